//! Turns criterion's output of the user bench into a table of ratios against the baselines
//! measured in the same run, checks each target, and writes it into `docs/benchmarks.md`
//! (between the `user-bench` markers) with the machine and its load.
//!
//! ```text
//! cargo bench -p user-bench --bench user --bench user_warm -- --warm-up-time 1 --measurement-time 3
//! cargo run --release -p user-bench --bin user_report
//! ```
//!
//! Figures are criterion's median estimates (robust to the odd preempted sample on a shared
//! machine). Fails with a message naming the missing file if a benchmark did not run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const BEGIN: &str =
    "<!-- user-bench:begin (written by `cargo run --release -p user-bench --bin user_report`) -->";
const END: &str = "<!-- user-bench:end -->";

/// The workspace root (two levels above this crate).
fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("criterion")
}

/// Median time in ns of one benchmark, e.g. `("user_call", "lazylock")`.
fn median_ns(group: &str, bench: &str) -> Result<f64, String> {
    let path = criterion_dir()
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run the user bench first)", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median.point_estimate", path.display()))
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
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc ?".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!("{cpu}, {cores} cores, {rustc};\n1-minute load average when the report ran: {load}")
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

/// The table, between the markers.
fn table() -> Result<String, String> {
    let c = |b: &str| median_ns("user_call", b);
    let lazy = c("lazylock")?;
    let fast = c("lmms_fast_path")?;
    // The warm call ran in its own process (fast path off), against that run's direct call.
    let warm = median_ns("user_warm", "lmms_typed_warm")?;
    let warm_direct = median_ns("user_warm", "direct")?;
    let exec = c("lmms_execute_no_json")?;
    let exec_json_whole = c("lmms_execute_json")?;
    let args_clone_drop = c("json_args_clone_drop")?;
    let exec_json = exec_json_whole - args_clone_drop;
    let t = |b: &str| median_ns("user_threads", b);
    let fast_scale = 2.0 * t("fast_path_1")? / t("fast_path_2")?;
    let w = |b: &str| median_ns("user_warm_threads", b);
    let warm_scale = 2.0 * w("typed_warm_1")? / w("typed_warm_2")?;
    let k = |b: &str| median_ns("user_cache", b);
    let (hit, map, moka) = (k("lmms_cache_hit")?, k("hashmap_get")?, k("moka_get")?);

    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{BEGIN}");
    let _ = writeln!(w, "Machine: {}.\n", machine());
    let _ = writeln!(
        w,
        "| variant (`benches/user-bench/benches/user.rs`, `user_warm.rs`) | median | ratio | target | |"
    );
    let _ = writeln!(w, "|---|---:|---:|---|---|");
    let base = |w: &mut String, label: &str, bench: &str| -> Result<(), String> {
        let ns = c(bench)?;
        let _ = writeln!(
            w,
            "| {label} | {ns:.2} ns | {:.2}× LazyLock | | |",
            ns / lazy
        );
        Ok(())
    };
    base(
        w,
        "direct call, eagerly built `static` (baseline)",
        "direct",
    )?;
    base(w, "`std::sync::LazyLock` (baseline)", "lazylock")?;
    base(
        w,
        "`std::sync::OnceLock::get_or_init` (baseline)",
        "oncelock",
    )?;
    base(w, "`once_cell::sync::Lazy` (baseline)", "once_cell_lazy")?;
    base(
        w,
        "`ArcSwapOption` slot, `load()` (resettable baseline)",
        "arc_swap_slot",
    )?;
    base(
        w,
        "`arc_swap::Cache` per thread (resettable baseline)",
        "arc_swap_cache",
    )?;
    base(
        w,
        "`Mutex<Option<Arc<T>>>` (resettable baseline)",
        "mutex_option_arc",
    )?;
    let _ = writeln!(
        w,
        "| lmms fast path (HOT) | {fast:.2} ns | {:.2}× LazyLock | ≤ 1.5× | {} |",
        fast / lazy,
        verdict(fast / lazy <= 1.5)
    );
    let _ = writeln!(
        w,
        "| lmms typed call, resident, not hot (`user_warm.rs`: own process, fast path off; direct there {warm_direct:.2} ns) | {warm:.2} ns | +{:.2} ns over direct | ≤ +20 ns | {} |",
        warm - warm_direct,
        verdict(warm - warm_direct <= 20.0)
    );
    let _ = writeln!(
        w,
        "| lmms `execute`, no arguments, unit result | {exec:.2} ns | | ≤ 60 ns | {} |",
        verdict(exec <= 60.0)
    );
    let _ = writeln!(
        w,
        "| lmms `execute`, JSON object of two `u64` arguments, `u64` result (the call: {exec_json_whole:.2} ns less {args_clone_drop:.2} ns to make and drop the object) | {exec_json:.2} ns | | ≤ 90 ns | {} |",
        verdict(exec_json <= 90.0)
    );
    let _ = writeln!(
        w,
        "| two threads, one hot operation (fast path) | | throughput {fast_scale:.2}× one thread | ≥ 1.8× | {} |",
        verdict(fast_scale >= 1.8)
    );
    let _ = writeln!(
        w,
        "| two threads, one warm operation (slow path) | | throughput {warm_scale:.2}× one thread | | |"
    );
    let _ = writeln!(
        w,
        "| lmms result-cache hit, HOT cached operation, `u64` key | {hit:.2} ns | {:.2}× `HashMap::get` | ≤ 2× | {} |",
        hit / map,
        verdict(hit / map <= 2.0)
    );
    let _ = writeln!(
        w,
        "| `std::collections::HashMap::get`, same key (baseline) | {map:.2} ns | 1.00× | | |"
    );
    let _ = writeln!(
        w,
        "| `moka::sync::Cache::get`, same key (baseline) | {moka:.2} ns | {:.2}× `HashMap::get` (lmms hit: {:.2}× moka) | | |",
        moka / map,
        hit / moka
    );
    let _ = writeln!(w, "{END}");
    Ok(out)
}

fn main() -> Result<(), String> {
    let out = table()?;
    print!("{out}");
    let doc = root().join("docs/benchmarks.md");
    let existing = std::fs::read_to_string(&doc).map_err(|e| format!("{}: {e}", doc.display()))?;
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{}{}",
            &existing[..a],
            out.trim_end(),
            &existing[b + END.len()..]
        ),
        _ => return Err(format!("{}: no user-bench markers", doc.display())),
    };
    std::fs::write(&doc, updated).map_err(|e| format!("{}: {e}", doc.display()))?;
    eprintln!("written to {}", doc.display());
    Ok(())
}
