//! `LMMS_HEAT_PROFILE` pointing at something hostile: a device that never ends, a FIFO
//! with no writer, a file far too large, garbage after a valid prefix, `bytes` that
//! overflow. Each is a configuration error naming the variable and the problem, returned
//! at once: no read until memory runs out, no hang, no panic. Variables are read through
//! a closure, never the process environment.

use lmms::{Config, Error, HeatPreload, HeatProfile, Init, InitError, ModuleHeat};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

#[lmms::module(name = "big_a")]
pub struct BigA;

impl Init for BigA {
    fn init() -> Result<Self, InitError> {
        Ok(BigA)
    }
}

#[lmms::module(name = "big_b")]
pub struct BigB;

impl Init for BigB {
    fn init() -> Result<Self, InitError> {
        Ok(BigB)
    }
}

/// The configuration error for `LMMS_HEAT_PROFILE=value`, read on another thread and
/// bounded in time: a read that hangs fails the test instead of hanging it.
fn refused(value: &str) -> String {
    let value = value.to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = Config::from_lookup(|v| (v == "LMMS_HEAT_PROFILE").then(|| value.clone()));
        tx.send(r.map(|_| ()))
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Err(Error::Config(msg))) => {
            assert!(msg.contains("LMMS_HEAT_PROFILE"), "{msg}");
            msg
        }
        Ok(other) => panic!("expected a configuration error, got {other:?}"),
        Err(_) => panic!("reading the heat profile did not return within 30 s"),
    }
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lmms_hostile_{}_{name}", std::process::id()))
}

#[test]
fn endless_devices_are_refused_without_reading() {
    for (dev, kind) in [
        ("/dev/zero", "character device"),
        ("/dev/urandom", "character device"),
    ] {
        let msg = refused(dev);
        assert!(
            msg.contains(dev) && msg.contains(&format!("not a regular file (a {kind})")),
            "{msg}"
        );
    }
    let dir = std::env::temp_dir();
    let msg = refused(dir.to_str().unwrap());
    assert!(msg.contains("not a regular file (a directory)"), "{msg}");
}

#[test]
fn a_fifo_with_no_writer_does_not_block() {
    let fifo = temp("fifo");
    let _ = std::fs::remove_file(&fifo);
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
    let msg = refused(fifo.to_str().unwrap());
    let _ = std::fs::remove_file(&fifo);
    assert!(msg.contains("not a regular file (a FIFO)"), "{msg}");
}

#[test]
fn a_file_past_the_size_limit_is_refused_before_it_is_read() {
    let cap = lmms::HEAT_PROFILE_MAX_BYTES;
    // A valid prefix one byte past the limit, then garbage: refused by its size.
    let prefixed = temp("prefixed.json");
    let mut text = String::from(r#"{"version": 1, "modules": ["#);
    let mut i = 0;
    while text.len() as u64 <= cap {
        text.push_str(&format!(r#"{{"module": "m{i}", "calls_in_window": 1}},"#));
        i += 1;
    }
    text.push_str("garbage");
    std::fs::write(&prefixed, &text).unwrap();
    // A sparse file of 16 GiB: reading it would take that much memory.
    let sparse = temp("sparse.json");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(16 << 30)
        .unwrap();
    for (file, len) in [(&prefixed, text.len() as u64), (&sparse, 16 << 30)] {
        let msg = refused(file.to_str().unwrap());
        let _ = std::fs::remove_file(file);
        assert!(
            msg.contains(&format!("has {len} bytes, past the {cap}-byte limit")),
            "{msg}"
        );
    }
    // Inline JSON is held to the same limit.
    let msg = refused(&format!(
        r#"{{"version": 1, "modules": []{}}}"#,
        " ".repeat(cap as usize)
    ));
    assert!(
        msg.contains("(inline JSON)") && msg.contains("-byte limit"),
        "{msg}"
    );
}

#[test]
fn garbage_after_a_valid_prefix_is_invalid_json_with_its_position() {
    let file = temp("garbage.json");
    let entries: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"module": "m{i}", "calls_in_window": {i}}}"#))
        .collect();
    std::fs::write(
        &file,
        format!(
            r#"{{"version": 1, "modules": [{}, garbage"#,
            entries.join(",\n")
        ),
    )
    .unwrap();
    let msg = refused(file.to_str().unwrap());
    let _ = std::fs::remove_file(&file);
    assert!(
        msg.contains("not valid JSON") && msg.contains("line 1000"),
        "{msg}"
    );
}

#[test]
fn bytes_adding_up_past_u64_max_are_refused_not_wrapped() {
    let entry = |name: &str, bytes: u64| {
        format!(r#"{{"module": "{name}", "calls_in_window": 5, "bytes": {bytes}}}"#)
    };
    let json = format!(
        r#"{{"version": 1, "modules": [{}, {}]}}"#,
        entry("big_a", u64::MAX),
        entry("big_b", 1)
    );
    let says = "`bytes` add up past u64::MAX";
    let msg = refused(&json);
    assert!(msg.contains(says), "{msg}");
    let msg = HeatProfile::from_json(&json).unwrap_err().to_string();
    assert!(msg.contains(says), "{msg}");

    // Built in code: the builder and a preload by hand refuse it too (the preload used to
    // add the figures up unchecked: a panic in debug builds, a wrapped sum in release).
    let mut a = ModuleHeat::new("big_a", 5);
    a.bytes = Some(u64::MAX);
    let mut b = ModuleHeat::new("big_b", 5);
    b.bytes = Some(1);
    let preload = HeatPreload::new(HeatProfile::new(60, vec![a, b]));
    let msg = Config::builder()
        .heat_preload(preload.clone())
        .build()
        .unwrap_err()
        .to_string();
    assert!(msg.contains(says), "{msg}");
    lmms::gateway().preload("big_a").unwrap();
    lmms::gateway().preload("big_b").unwrap();
    let msg = lmms::gateway()
        .preload_profile(&preload)
        .unwrap_err()
        .to_string();
    assert!(msg.contains(says), "{msg}");
}

/// A value, name or key of a hostile profile is quoted in the error cut short, not whole:
/// the error becomes the gateway's fault, returned by every call (and logged by many
/// handlers), so a 1 MiB value would make each call's error 1 MiB.
#[test]
fn a_huge_value_is_not_quoted_whole_in_the_error() {
    let huge = "x".repeat(100_000);
    for json in [
        format!(r#"{{"version": "{huge}", "modules": []}}"#),
        format!(r#"{{"version": 1, "modules": ["{huge}"]}}"#),
        format!(r#"{{"version": 1, "modules": [{{"module": "{huge}", "calls_in_window": -1}}]}}"#),
        format!(r#"{{"version": 1, "modules": [{{"module": "{huge}"}}]}}"#),
        format!(r#"{{"version": 1, "modules": [], "{huge}": 1}}"#),
        format!(
            r#"{{"version": 1, "modules": [{{"module": "a", "calls_in_window": 1, "{huge}": 1}}]}}"#
        ),
        format!(
            r#"{{"version": 1, "modules": [{{"module": "a", "calls_in_window": [{}0]}}]}}"#,
            "0,".repeat(50_000)
        ),
    ] {
        let msg = refused(&json);
        assert!(msg.len() < 1_000, "{} bytes: {}…", msg.len(), &msg[..200]);
    }
}
