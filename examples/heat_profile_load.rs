//! Time and peak memory of a gateway start whose `LMMS_HEAT_PROFILE` is hostile: an
//! endless device, a FIFO with no writer, 200 MB (and 0.9 MB) of valid entries followed by
//! garbage, and `bytes` that add up past `u64::MAX`. Each case runs in a child process (this binary
//! again) that sets `LMMS_HEAT_PROFILE`, starts the gateway and prints its fault; the
//! parent measures the wall time and the child's peak RSS (`wait4`), limits the child's
//! address space to 4 GiB and kills it after 20 s.
//!
//! ```text
//! cargo run --release --example heat_profile_load
//! ```

use std::io::{BufWriter, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[lmms::module(name = "big_a")]
pub struct BigA;

impl lmms::Init for BigA {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(BigA)
    }
}

#[lmms::module(name = "big_b")]
pub struct BigB;

impl lmms::Init for BigB {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(BigB)
    }
}

const LIMIT_AS: u64 = 4 << 30;
const TIMEOUT: Duration = Duration::from_secs(20);

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--child") {
        child();
        return;
    }
    let dir = std::env::temp_dir().join(format!("lmms_heat_load_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let garbage = dir.join("prefix_then_garbage.json");
    let size = write_prefix_then_garbage(&garbage, 200_000_000);
    // Just within the 1 MiB limit: read and parsed, entry by entry, up to the garbage.
    let small = dir.join("small_prefix_then_garbage.json");
    let small_size = write_prefix_then_garbage(&small, 900_000);
    let overflow = format!(
        r#"{{"version": 1, "modules": [{{"module": "big_a", "calls_in_window": 5, "bytes": {}}}, {{"module": "big_b", "calls_in_window": 5, "bytes": 1}}]}}"#,
        u64::MAX
    );
    let cases = [
        ("/dev/zero", "/dev/zero".to_string()),
        ("/dev/urandom", "/dev/urandom".to_string()),
        ("FIFO, no writer", fifo.to_str().unwrap().to_string()),
        (
            "200 MB valid prefix, then garbage",
            garbage.to_str().unwrap().to_string(),
        ),
        (
            "0.9 MB valid prefix, then garbage",
            small.to_str().unwrap().to_string(),
        ),
        ("bytes past u64::MAX (inline)", overflow),
    ];
    println!("files of the prefix cases: {size} and {small_size} bytes");
    println!("| case | outcome | wall time | peak RSS | what the gateway said |");
    println!("|---|---|---|---|---|");
    for (name, value) in cases {
        let (outcome, elapsed, peak_kib, said) = run(&value);
        println!(
            "| {name} | {outcome} | {:.2} s | {:.1} MiB | {} |",
            elapsed.as_secs_f64(),
            peak_kib as f64 / 1024.0,
            said.chars().take(230).collect::<String>()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes valid profile entries until `len` bytes, then garbage; returns the file's size.
fn write_prefix_then_garbage(path: &std::path::Path, len: u64) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut text = String::from(r#"{"version": 1, "modules": ["#);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < len {
        text.push_str(&format!(
            r#"{{"module": "m{i}", "calls_in_window": 1, "bytes": 1024}},"#
        ));
        i += 1;
        if text.len() > 1 << 16 {
            written += text.len() as u64;
            out.write_all(text.as_bytes()).unwrap();
            text.clear();
        }
    }
    text.push_str("garbage");
    written += text.len() as u64;
    out.write_all(text.as_bytes()).unwrap();
    out.flush().unwrap();
    written
}

/// Runs one case in a child; returns the outcome, wall time, peak RSS (KiB) and output.
fn run(value: &str) -> (String, Duration, i64, String) {
    let t0 = Instant::now();
    // Reaped by `wait4` below, which also gives its peak RSS.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .env("LMMS_HEAT_PROFILE", value)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: `pid` is our child; both out-pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if t0.elapsed() > TIMEOUT && !killed {
            // SAFETY: our own child, by its id.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = t0.elapsed();
    let mut said = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut said);
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let outcome = if killed {
        format!("hung: killed after {} s", TIMEOUT.as_secs())
    } else if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else {
        format!("signal {}", libc::WTERMSIG(status))
    };
    let said = match (
        said.trim(),
        err.lines()
            .find(|l| l.contains("panicked") || l.contains("memory")),
    ) {
        ("", Some(e)) => e.to_string(),
        (s, Some(e)) => format!("{s} / {e}"),
        (s, None) => s.to_string(),
    };
    (outcome, elapsed, usage.ru_maxrss, said.replace('|', "/"))
}

fn child() {
    let limit = libc::rlimit {
        rlim_cur: LIMIT_AS,
        rlim_max: LIMIT_AS,
    };
    // SAFETY: a valid rlimit; lowers this process's own address-space limit.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    let gw = lmms::gateway();
    match gw.fault() {
        Some(e) => print!("fault: {e}"),
        None => match gw.heat_preload_report() {
            Some(r) => print!(
                "no fault; preloaded {:?}, profiled_bytes {}",
                r.built, r.profiled_bytes
            ),
            None => print!("no fault, no preload"),
        },
    }
}
