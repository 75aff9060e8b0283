//! One mode's run, in a fresh child process: configure the gateway, replay the scenarios,
//! measure, print one JSON object on stdout and the `[LMMS_STATS]` line on stderr.

use crate::report::ModeResult;
use crate::scenarios::{self, heap, rss, Replay};
use lmms::{Clock, Config, ManualClock};
use std::time::{Duration, Instant};

/// The settings of each mode; all on the replay clock, sweeping only at invocation
/// boundaries (an end-of-call sweep would fire inside a handler as the clock jumps).
pub fn config(mode: &str, clock: &ManualClock) -> Result<Config, String> {
    let b = Config::builder()
        .clock(Clock::manual(clock))
        .sweep_interval(Duration::from_secs(1 << 40));
    let b = match mode {
        // The traditional baseline: everything built at start, kept, no fast path.
        "eager" => b.lazy_loading(false).unloading(false).fast_path(false),
        // LIGS only: lazy builds, no unloading, no fast path.
        "ligs" => b.lazy_loading(true).unloading(false).fast_path(false),
        // Everything on, seeds' defaults; freed pages trimmed back to the OS after unloads.
        "lmms" => b.trim_on_unload(true),
        other => return Err(format!("unknown mode {other:?} (eager, ligs, lmms)")),
    };
    b.build().map_err(|e| e.to_string())
}

/// Peak RSS of this process (`VmHWM`), bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

pub fn run(mode: &str, quick: bool, started_unix_ns: u64) -> Result<ModeResult, String> {
    let clock = ManualClock::new();
    lmms::configure(config(mode, &clock)?).map_err(|e| e.to_string())?;

    // Init phase: the first `gateway()` call (in eager mode it builds every module).
    let t = Instant::now();
    let gw = lmms::gateway();
    let init_ns = t.elapsed().as_nanos() as u64;
    if let Some(f) = gw.fault() {
        return Err(format!("gateway fault: {f}"));
    }
    let (initial_heap, initial_rss) = (heap(), rss());

    let mut r = Replay::new(clock);
    scenarios::single_command(&mut r);
    let first = &r.requests[0];
    let first_response_ns = first.dur_ns;
    let first_response_unix_ns = r.first_response_unix_ns.unwrap_or(0);
    let main_to_first_ns = first_response_unix_ns.saturating_sub(started_unix_ns);
    let (single_heap, single_rss) = (first.heap, first.rss);

    scenarios::morning_routine(&mut r);
    let burst_peak_heap = r.requests.iter().map(|q| q.heap).max().unwrap_or(0);
    scenarios::idle_two_minutes(&mut r);
    let (after_idle_heap, after_idle_rss) = (heap(), rss());

    let n_mixed = if quick { 400 } else { 5_000 };
    scenarios::mixed_workload(&mut r, n_mixed);
    let (hot_path_ns, hot_path_filled) = scenarios::hot_path(if quick { 20_000 } else { 300_000 });
    // The last idle: after the mixed workload, 2 minutes again.
    scenarios::idle_two_minutes(&mut r);
    let (end_heap, end_rss) = (heap(), rss());

    let stats = gw.stats();
    eprintln!("{}", stats.log_line());
    Ok(ModeResult::measure(
        mode,
        &r,
        crate::report::Raw {
            first_response_unix_ns,
            main_to_first_response_ns: main_to_first_ns,
            init_ns,
            gateway_ready_ns: gw.ready_time_ns(),
            first_response_ns,
            initial_heap,
            initial_rss,
            single_heap,
            single_rss,
            burst_peak_heap,
            after_idle_heap,
            after_idle_rss,
            end_heap,
            end_rss,
            peak_rss: peak_rss(),
            hot_path_ns,
            hot_path_filled,
            ligs_loads: stats.ligs_loads,
            lugs_unloads: stats.lugs_unloads,
            zafp_hits: stats.zafp_hits,
            // Measured: this example installs the counting allocator, so it is `Some`.
            memory_reclaimed_bytes: stats.memory_reclaimed_bytes.unwrap_or(0),
            modules: stats.total_modules,
            operations: stats.operations.len(),
            resident_at_end: stats.resident_modules,
            module_bytes: stats
                .modules
                .iter()
                .filter_map(|m| m.bytes.map(|b| (m.name.to_string(), b)))
                .collect(),
        },
    ))
}
