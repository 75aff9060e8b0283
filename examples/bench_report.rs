//! Turns criterion's output of `cargo bench --bench call_paths --bench gateway_ready` into
//! a table of ratios against the baselines measured in the same run, checks each SPEC
//! target, and writes it into `docs/benchmarks.md` (between the `call-paths` markers)
//! with the machine it ran on.
//!
//! ```text
//! cargo bench --bench call_paths --bench gateway_ready
//! cargo run --release --example bench_report
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const BEGIN: &str =
    "<!-- call-paths:begin (written by `cargo run --release --example bench_report`) -->";
const END: &str = "<!-- call-paths:end -->";

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion")
}

/// Mean time in ns of one criterion benchmark, e.g. `("call", "direct_lazylock")`; a
/// benchmark outside any group has an empty `bench`.
fn mean_ns(group: &str, bench: &str) -> Result<f64, String> {
    let path = criterion_dir()
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run the benchmarks first)", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no mean.point_estimate", path.display()))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {rustc}")
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn main() -> Result<(), String> {
    let m = |b: &str| mean_ns("call", b);
    let lazy = m("direct_lazylock")?;
    let eager = m("direct_eager_static")?;
    let mutex = m("resettable_mutex_arc")?;
    let fast = m("lmms_fast_path")?;
    let warm = m("lmms_typed_warm")?;
    let exec = m("lmms_execute_no_json")?;
    let exec_json = m("lmms_execute_json")?;
    let t = |b: &str| mean_ns("threads", b);
    let (fast1, fast2) = (t("fast_path_1")?, t("fast_path_2")?);
    let (warm1, warm2) = (t("typed_warm_1")?, t("typed_warm_2")?);
    let ready = mean_ns("gateway_ready_1000_ops_100_modules", "")?;

    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(out, "Machine: {}.\n", machine());
    let _ = writeln!(out, "| path | mean | against the baseline | target | |");
    let _ = writeln!(out, "|---|---:|---:|---|---|");
    let _ = writeln!(
        out,
        "| direct call through a `LazyLock` static (baseline) | {lazy:.2} ns | 1.00× | | |"
    );
    let _ = writeln!(
        out,
        "| eagerly built static (baseline) | {eager:.2} ns | {:.2}× LazyLock | | |",
        eager / lazy
    );
    let _ = writeln!(out, "| hand-written resettable `Mutex<Option<Arc<T>>>` (baseline) | {mutex:.2} ns | {:.2}× LazyLock | | |", mutex / lazy);
    let _ = writeln!(
        out,
        "| lmms fast path (HOT) | {fast:.2} ns | {:.2}× LazyLock | ≤ 2× | {} |",
        fast / lazy,
        verdict(fast / lazy <= 2.0)
    );
    let _ = writeln!(
        out,
        "| lmms typed call, resident, not hot | {warm:.2} ns | +{:.2} ns over LazyLock | ≤ +25 ns | {} |",
        warm - lazy,
        verdict(warm - lazy <= 25.0)
    );
    let _ = writeln!(
        out,
        "| lmms `execute`, no arguments, unit result | {exec:.2} ns | | ≤ 60 ns | {} |",
        verdict(exec <= 60.0)
    );
    let _ = writeln!(out, "| lmms `execute` with JSON parse + serialize | {exec_json:.2} ns | {:.2}× `execute` without JSON | | |", exec_json / exec);
    let fast_ratio = 2.0 * fast1 / fast2;
    let warm_ratio = 2.0 * warm1 / warm2;
    let _ = writeln!(out, "| two threads, one hot operation (fast path) | | throughput {fast_ratio:.2}× one thread | ≥ 1.8× | {} |", verdict(fast_ratio >= 1.8));
    let _ = writeln!(out, "| two threads, one warm operation (slow path) | | throughput {warm_ratio:.2}× one thread | | |");
    let _ = writeln!(
        out,
        "| gateway ready, 1 000 operations in 100 modules | {:.1} µs | | ≤ 100 µs | {} |",
        ready / 1000.0,
        verdict(ready <= 100_000.0)
    );
    let _ = writeln!(out, "{END}");

    print!("{out}");
    let doc = Path::new("docs/benchmarks.md");
    let existing = std::fs::read_to_string(doc).unwrap_or_else(|_| "# Benchmarks\n".into());
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{}{}",
            &existing[..a],
            out.trim_end(),
            &existing[b + END.len()..]
        ),
        _ => format!("{}\n## Call paths\n\n{out}", existing.trim_end()),
    };
    std::fs::write(doc, updated).map_err(|e| format!("{}: {e}", doc.display()))?;
    eprintln!("written to {}", doc.display());
    Ok(())
}
