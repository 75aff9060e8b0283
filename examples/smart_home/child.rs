//! One mode's run, in a fresh child process: configure the gateway, replay the scenarios,
//! measure, print one JSON object on stdout (the `[LMMS_STATS]` line in it).

use crate::report::{ModeResult, Raw};
use crate::scenarios::{self, cpu_ns, heap, reset_peak_rss, rss, Replay};
use crate::sizing::{Mode, Profile};
use lmms::{Clock, Config, ManualClock, UnloadStrategy};
use std::time::{Duration, Instant};

/// What the parent asks of a child.
pub struct Job {
    pub mode: Mode,
    pub profile: Profile,
    pub quick: bool,
    /// The Lambda size an adaptive mode runs at (its budget derives from it).
    pub memory_mb: Option<u32>,
    /// A warm-up instance: replays this many mixed requests on another seed and prints
    /// its heat profile and its bill instead of a result.
    pub warmup: Option<usize>,
    /// A heat profile exported by an earlier instance (a JSON file), as
    /// `LMMS_HEAT_PROFILE` would give it.
    pub heat_profile: Option<String>,
}

/// Mixed requests of the full replay.
pub const MIXED: usize = 5_000;
/// Mixed requests `lmms_idle` replays: the first 1 750 of the same sequence (five of its
/// idle gaps). The seeds' clock rule rebuilds a module on most of its calls, which made it
/// most of the run's time; its figures are per request (average response, GB-s per 1 000
/// calls, rebuilds per request), so the prefix keeps them comparable.
pub const MIXED_IDLE: usize = 1_750;
/// Mixed requests of the first warm-up instance, whose heat profile the others start from.
pub const WARMUP_MIXED: usize = 1_500;
/// Mixed requests of each warm-up instance that prices a candidate size.
pub const PRICING_MIXED: usize = 1_000;
/// The warm-up instance's seed: its requests are not those of the measured replay.
pub const WARMUP_SEED: &str = "warm-up ";
/// The warm-up instance counts heat over a day (`HEAT_WINDOW`), so its export covers its
/// whole life rather than its last hour.
const WARMUP_HEAT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The settings of each mode; all on the replay clock, sweeping only at invocation
/// boundaries (an end-of-call sweep would fire inside a handler as the clock jumps).
pub fn config(job: &Job, clock: &ManualClock) -> Result<Config, String> {
    let b = Config::builder()
        .clock(Clock::manual(clock))
        .sweep_interval(Duration::from_secs(1 << 40));
    let budget = job.memory_mb.map(crate::sizing::budget_mb);
    let b = match (job.mode, budget) {
        // The traditional baseline: everything built at start, kept, no fast path.
        (Mode::Eager, _) => b.lazy_loading(false).unloading(false).fast_path(false),
        // LIGS only: lazy builds, no unloading, no fast path.
        (Mode::Ligs, _) => b.lazy_loading(true).unloading(false).fast_path(false),
        // Everything on, default (cost) strategy, under the budget of its Lambda size; freed
        // pages trimmed back to the OS after unloads.
        (Mode::Lmms, Some(mb)) => b.memory_budget_mb(mb as u64).trim_on_unload(true),
        // The same with the seeds' clock rule.
        (Mode::LmmsIdle, Some(mb)) => b
            .unload_strategy(UnloadStrategy::Idle)
            .memory_budget_mb(mb as u64)
            .trim_on_unload(true),
        (m, None) => return Err(format!("{} needs --memory-mb", m.name())),
    };
    let b = if job.warmup.is_some() {
        b.heat_window(WARMUP_HEAT_WINDOW)
    } else {
        b
    };
    let b = match &job.heat_profile {
        // The profile gives first builds their sizes (LUGS makes room before building);
        // nothing is preloaded (a threshold above any count), so INIT stays LIGS'.
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            let profile = lmms::HeatProfile::from_json(&text).map_err(|e| e.to_string())?;
            b.heat_preload(lmms::HeatPreload::new(profile).min_calls(u64::MAX))
        }
        None => b,
    };
    b.build().map_err(|e| e.to_string())
}

/// Mixed requests a mode replays.
pub fn mixed_requests(job: &Job) -> usize {
    let n = if job.mode == Mode::LmmsIdle {
        MIXED_IDLE
    } else {
        MIXED
    };
    scaled(n, job.quick)
}

/// `--quick` replays 400 of the full 5 000 mixed requests, and the others in proportion.
pub fn scaled(n: usize, quick: bool) -> usize {
    if quick {
        n * 400 / MIXED
    } else {
        n
    }
}

/// What a warm-up instance hands on: its heat profile, what it served, and its bill at the
/// size it ran at.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Warmup {
    pub heat_profile: serde_json::Value,
    pub requests: usize,
    pub peak_rss_bytes: u64,
    pub memory_mb: u32,
    /// Its invocations priced at its size (no INIT: each candidate starts the same way).
    pub gb_s_per_1k_aws: f64,
    pub cost_per_million_usd: f64,
    /// Builds beyond each module's first.
    pub rebuilds: u64,
    /// Peak × the margin above its size.
    pub oom: bool,
}

/// An earlier instance of the same function: serves `job.warmup` mixed requests of another
/// seed, exports what it learned (`Gateway::heat_profile`) and prices its invocations.
pub fn warm_up(job: &Job) -> Result<Warmup, String> {
    let clock = ManualClock::new();
    lmms::configure(config(job, &clock)?).map_err(|e| e.to_string())?;
    let mut r = Replay::new(clock);
    let n = job.warmup.ok_or("not a warm-up")?;
    scenarios::mixed_workload(&mut r, scaled(n, job.quick), WARMUP_SEED);
    let profile = lmms::gateway().heat_profile().to_json();
    let trace = crate::bill::trace(0, 0, &r.requests);
    let bill = crate::bill::bill(job.mode, &trace, job.memory_mb)?;
    let c = &bill.at_configured;
    Ok(Warmup {
        heat_profile: serde_json::from_str(&profile).map_err(|e| e.to_string())?,
        requests: r.requests.len(),
        peak_rss_bytes: bill.peak_bytes,
        memory_mb: bill.configured_mb,
        gb_s_per_1k_aws: c.gb_s_per_1k,
        cost_per_million_usd: c.cost_per_million_usd,
        rebuilds: r.requests.iter().map(|q| q.rebuilds as u64).sum(),
        oom: c.oom,
    })
}

pub fn run(job: &Job, started_unix_ns: u64) -> Result<ModeResult, String> {
    let clock = ManualClock::new();
    lmms::configure(config(job, &clock)?).map_err(|e| e.to_string())?;

    // INIT: the process so far and the first `gateway()` call (eager: builds every module).
    let t = Instant::now();
    let gw = lmms::gateway();
    let init_ns = t.elapsed().as_nanos() as u64;
    if let Some(f) = gw.fault() {
        return Err(format!("gateway fault: {f}"));
    }
    let init_cpu_ns = cpu_ns();
    let init_peak_rss = lmms::memory::rss_high_water_bytes().unwrap_or(0);
    let (initial_heap, initial_rss) = (heap(), rss());
    if !reset_peak_rss() {
        return Err("cannot reset the RSS high-water mark (/proc/self/clear_refs)".into());
    }

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

    let n_mixed = mixed_requests(job);
    scenarios::mixed_workload(&mut r, n_mixed, "");
    let (hot_path_ns, hot_path_filled) =
        scenarios::hot_path(if job.quick { 20_000 } else { 300_000 });
    // The last idle: after the mixed workload, 2 minutes again.
    scenarios::idle_two_minutes(&mut r);
    let (end_heap, end_rss) = (heap(), rss());

    let stats = gw.stats();
    let large: Vec<&str> = crate::large::names().collect();
    ModeResult::measure(
        job,
        &r,
        Raw {
            started_unix_ns,
            first_response_unix_ns,
            main_to_first_response_ns: main_to_first_ns,
            init_ns,
            init_cpu_ns,
            init_peak_rss,
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
            rebuilds: stats
                .modules
                .iter()
                .map(|m| m.builds.saturating_sub(1))
                .sum(),
            budget_bytes: stats.memory_budget_bytes,
            module_rebuilds: stats
                .modules
                .iter()
                .filter(|m| m.builds > 1)
                .map(|m| (m.name.to_string(), m.builds - 1))
                .collect(),
            module_bytes: stats
                .modules
                .iter()
                .filter_map(|m| m.bytes.map(|b| (m.name.to_string(), b)))
                .collect(),
            large_build_ms: stats
                .modules
                .iter()
                .filter(|m| large.contains(&m.name))
                .filter_map(|m| {
                    m.mean_build_ns
                        .map(|ns| (m.name.to_string(), ns as f64 / 1e6))
                })
                .collect(),
            stats_line: stats.log_line(),
        },
    )
}
