//! Reading a heat-profile file under a size limit (a low one here, to keep files small).

use crate::profile::load;

fn temp(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("lmms_profile_{}_{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Valid entries for about `len` bytes, then garbage.
fn prefix_then_garbage(len: usize) -> String {
    let mut text = String::from(r#"{"version": 1, "modules": ["#);
    let mut i = 0;
    while text.len() < len {
        text.push_str(&format!(
            r#"{{"module": "m{i}", "calls_in_window": 1, "bytes": 9}},"#
        ));
        i += 1;
    }
    text + "garbage"
}

#[test]
fn the_limit_is_checked_on_the_size_before_reading_and_on_what_is_read() {
    let path = temp("prefix.json", &prefix_then_garbage(200 << 10));
    let msg = load(&path, 64 << 10).unwrap_err();
    assert!(msg.contains("-byte limit"), "{msg}");
    // Under a higher limit the same file is read, and the garbage is where it stops.
    let msg = load(&path, 1 << 20).unwrap_err();
    assert!(msg.contains("not valid JSON"), "{msg}");
    let _ = std::fs::remove_file(&path);
    // A regular file that reports no size (procfs) is cut off one byte past the limit.
    let msg = load("/proc/self/maps", 64).unwrap_err();
    assert!(
        msg.contains("more bytes than its size said") && msg.contains("64-byte limit"),
        "{msg}"
    );
}

#[test]
fn a_profile_within_the_limit_reads_whatever_the_field_order() {
    // `modules` before `version`: an entry's problem waits for the version, which wins.
    let text = r#"{"modules": [{"module": "a", "calls": 1}], "version": 2}"#;
    let msg = load(&temp("v2.json", text), 1 << 10).unwrap_err();
    assert!(msg.contains("version 2 is not supported"), "{msg}");
    let text = r#"{"heat_window_s": -1, "version": 3}"#;
    let msg = load(&temp("v3.json", text), 1 << 10).unwrap_err();
    assert!(msg.contains("version 3 is not supported"), "{msg}");
    let text = r#"{"modules": [{"module": "a", "calls": 1}], "version": 1}"#;
    let msg = load(&temp("v1.json", text), 1 << 10).unwrap_err();
    assert!(msg.contains("unknown field `calls`"), "{msg}");
    let text = r#"{"modules": [{"module": "a", "calls_in_window": 2}], "version": 1}"#;
    let profile = load(&temp("ok.json", text), 1 << 10).unwrap();
    assert_eq!(profile.modules[0].calls_in_window, 2);
    for name in ["v2.json", "v3.json", "v1.json", "ok.json"] {
        let _ = std::fs::remove_file(
            std::env::temp_dir().join(format!("lmms_profile_{}_{name}", std::process::id())),
        );
    }
}
