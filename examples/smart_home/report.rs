//! Figures of one mode (computed from the replay), the seeds' claims (constants, labelled
//! as claims) and the two kinds of GB-second arithmetic: the seeds' (memory used ×
//! duration) and the honest Lambda bill (`bill.rs`).

use crate::bill;
use crate::child::Job;
use crate::scenarios::{PeakAt, Replay, Sample, Unload};
use crate::sizing::{Mode, Profile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// AWS Lambda free tier per month.
pub const FREE_GB_S: f64 = lmms::memory::LAMBDA_FREE_GB_S_PER_MONTH;
pub const FREE_REQUESTS: f64 = lmms::memory::LAMBDA_FREE_REQUESTS_PER_MONTH as f64;
/// The seeds' monthly volume (seed 000, scenario 3).
pub const MONTH_CALLS: f64 = 50_000.0;
const MIB: f64 = 1024.0 * 1024.0;

/// The seeds' claims: (key, before LMMS, after LMMS). Quoted, never measured here.
pub const SEED_CLAIMS: &[(&str, &str, &str)] = &[
    ("cold_start", "800-1200 ms", "320-480 ms"),
    ("initial_memory", "40-50 MB", "12-15 MB"),
    ("sustained_memory", "40-45 MB", "26-30 MB"),
    ("memory_after_idle", "45 MB", "12-15 MB"),
    ("average_response", "140 ms", "119 ms"),
    ("hot_path_response", "140 ms", "2-5 ms"),
    ("gb_s_per_1k", "12", "4.2"),
    ("free_tier_calls_per_month", "33K", "95K"),
    ("gb_s_per_month_at_50k", "315", "160.65"),
];

/// Raw figures the child collects besides the replay's records.
pub struct Raw {
    pub started_unix_ns: u64,
    pub first_response_unix_ns: u64,
    pub main_to_first_response_ns: u64,
    pub init_ns: u64,
    pub init_cpu_ns: u64,
    pub init_peak_rss: u64,
    pub gateway_ready_ns: u64,
    pub first_response_ns: u64,
    pub initial_heap: u64,
    pub initial_rss: u64,
    pub single_heap: u64,
    pub single_rss: u64,
    pub burst_peak_heap: u64,
    pub after_idle_heap: u64,
    pub after_idle_rss: u64,
    pub end_heap: u64,
    pub end_rss: u64,
    pub hot_path_ns: f64,
    pub hot_path_filled: bool,
    pub ligs_loads: u64,
    pub lugs_unloads: u64,
    pub zafp_hits: u64,
    pub memory_reclaimed_bytes: u64,
    pub modules: usize,
    pub operations: usize,
    pub resident_at_end: usize,
    pub rebuilds: u64,
    pub budget_bytes: Option<u64>,
    pub module_bytes: BTreeMap<String, u64>,
    pub module_rebuilds: BTreeMap<String, u64>,
    pub large_build_ms: BTreeMap<String, f64>,
    /// `Stats::log_line()` at the end of the replay.
    pub stats_line: String,
}

/// One point of a mode's memory-size × cost curve.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct SizePoint {
    pub mb: u32,
    pub cost_per_million_usd: f64,
    pub oom: bool,
}

/// Everything measured in one mode. Series are for the plot and left out of `--json`.
#[derive(Clone, Serialize, Deserialize)]
pub struct ModeResult {
    pub mode: String,
    pub profile: String,
    /// Parent's spawn of the child → the child's first response (set by the parent).
    pub cold_start_ms: f64,
    /// The child's `main` → its first response.
    pub cold_start_in_child_ms: f64,
    pub first_response_unix_ns: u64,
    /// The first `lmms::gateway()` call (eager mode: builds every module).
    pub init_ms: f64,
    /// CPU time of the INIT phase (process start to gateway ready, builds included).
    pub init_cpu_ms: f64,
    /// `gateway().ready_time_ns()`: registry gathered, tables built.
    pub gateway_ready_us: f64,
    pub first_response_us: f64,
    pub initial_heap_bytes: u64,
    pub initial_rss_bytes: u64,
    pub single_command_heap_bytes: u64,
    pub single_command_rss_bytes: u64,
    pub burst_peak_heap_bytes: u64,
    pub sustained_heap_bytes: u64,
    pub sustained_rss_bytes: u64,
    /// Highest RSS of the INIT or any invocation (`VmHWM`, reset before each).
    pub peak_rss_bytes: u64,
    pub after_idle_heap_bytes: u64,
    pub after_idle_rss_bytes: u64,
    pub end_heap_bytes: u64,
    pub end_rss_bytes: u64,
    /// Invocations billed (every scenario's requests).
    pub requests: usize,
    /// Requests of the mixed workload (`lmms_idle` replays a prefix of the sequence).
    #[serde(default)]
    pub mixed_requests: usize,
    /// Where the heat profile it started from came from (set by the parent), if any.
    #[serde(default)]
    pub heat_profile_from: Option<String>,
    pub non_200: usize,
    pub avg_response_us: f64,
    pub morning_avg_response_us: f64,
    pub p99_response_us: f64,
    pub hot_request_us: f64,
    pub hot_path_ns: f64,
    pub hot_path_on_fast_path: bool,
    /// Mean modelled wait per invocation, ms.
    pub mean_wait_ms: f64,
    /// Mean measured CPU per invocation, µs.
    pub mean_cpu_us: f64,
    /// Mean wall-clock time of the boundary sweep per invocation, µs (inside the CPU
    /// above: it is what the runtime adds at each boundary).
    pub mean_sweep_us: f64,
    pub gb_s_per_1k_seed: f64,
    /// The honest bill: GB-s per 1 000 invocations at the configured size, INIT included.
    pub gb_s_per_1k_aws: f64,
    pub configured_memory_mb: u64,
    /// Memory budget the mode ran under, MB (adaptive modes).
    pub budget_mb: Option<u64>,
    /// Peak × 1.25 exceeds the configured size.
    pub oom: bool,
    /// Peak alone exceeds the configured size (Lambda would have stopped the process).
    pub peak_exceeds_size: bool,
    pub cost_per_million_usd: f64,
    pub recommended_mb: Option<u64>,
    pub recommended_cost_per_million_usd: Option<f64>,
    pub cold_start_gb_s_aws: f64,
    pub free_tier_calls_seed: f64,
    pub free_tier_calls_aws: f64,
    pub month_gb_s_seed: f64,
    pub month_gb_s_aws: f64,
    pub ligs_loads: u64,
    /// Builds beyond the first of each module.
    pub rebuilds: u64,
    pub lugs_unloads: u64,
    pub zafp_hits: u64,
    pub memory_reclaimed_bytes: u64,
    pub modules: usize,
    pub operations: usize,
    pub resident_modules_at_end: usize,
    pub module_bytes: BTreeMap<String, u64>,
    /// Rebuilds (builds beyond the first) of each module rebuilt at least once.
    #[serde(default)]
    pub module_rebuilds: BTreeMap<String, u64>,
    /// Mean build time of each large module built in this run, ms.
    pub large_build_ms: BTreeMap<String, f64>,
    pub size_costs: Vec<SizePoint>,
    /// The invocation with the highest peak RSS, and what big modules were resident then.
    pub peak_at: Option<PeakAt>,
    /// This child's CPU time (user + system, whole process), s: what the run cost here.
    pub child_cpu_s: f64,
    /// This child's wall time, s.
    pub child_wall_s: f64,
    /// The runtime's counters at the end of the replay as a Lambda function logs them for
    /// CloudWatch: `[LMMS_STATS] ` and one JSON object (`Stats::log_line()`). In the JSON
    /// output only: hundreds of columns wide, it would bury the text report.
    pub stats_line: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unloads: Vec<Unload>,
}

/// The result of mode `m` of profile `p` among `modes`, if it ran.
pub fn find(modes: &[ModeResult], p: Profile, m: Mode) -> Option<&ModeResult> {
    modes
        .iter()
        .find(|r| r.profile == p.name() && r.mode == m.name())
}

/// User + system CPU time of this process so far, s (`/proc/self/stat`, 10 ms ticks).
fn process_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

impl ModeResult {
    pub fn measure(job: &Job, r: &Replay, raw: Raw) -> Result<ModeResult, String> {
        let mixed: Vec<_> = r
            .requests
            .iter()
            .filter(|q| q.scenario == "mixed")
            .collect();
        let n = mixed.len().max(1) as f64;
        let us = |ns: u64| ns as f64 / 1e3;
        let mut durs: Vec<u64> = mixed.iter().map(|q| q.dur_ns).collect();
        durs.sort_unstable();
        let p99 = durs.get(durs.len() * 99 / 100).copied().unwrap_or(0);
        // Requests of the hottest operation once it has been called more than the
        // fast-path threshold (the same requests in every mode).
        let hot: Vec<_> = mixed
            .iter()
            .filter(|q| q.key == "sensors.read")
            .skip(60)
            .collect();
        // Seeds' arithmetic: memory used (RSS at the request) × handler duration.
        let seed_total: f64 = mixed
            .iter()
            .map(|q| q.rss as f64 / (1024.0 * MIB) * q.dur_ns as f64 / 1e9)
            .sum();
        let seed_1k = seed_total / n * 1000.0;
        // The honest bill over every invocation of the replay.
        let trace = bill::trace(raw.init_cpu_ns, raw.init_peak_rss, &r.requests);
        let b = bill::bill(job.mode, &trace, job.memory_mb)?;
        let c = &b.at_configured;
        let aws_1k = c.gb_s_per_1k;
        let free = |per_1k: f64| {
            if per_1k > 0.0 {
                FREE_GB_S / (per_1k / 1000.0)
            } else {
                f64::INFINITY
            }
        };
        let all = r.requests.len().max(1) as f64;
        let cold_in_child = raw.main_to_first_response_ns as f64 / 1e6;
        let configured = b.configured_mb as u64;
        Ok(ModeResult {
            mode: job.mode.name().into(),
            profile: job.profile.name().into(),
            cold_start_ms: cold_in_child,
            cold_start_in_child_ms: cold_in_child,
            first_response_unix_ns: raw.first_response_unix_ns,
            init_ms: raw.init_ns as f64 / 1e6,
            init_cpu_ms: raw.init_cpu_ns as f64 / 1e6,
            gateway_ready_us: raw.gateway_ready_ns as f64 / 1e3,
            first_response_us: us(raw.first_response_ns),
            initial_heap_bytes: raw.initial_heap,
            initial_rss_bytes: raw.initial_rss,
            single_command_heap_bytes: raw.single_heap,
            single_command_rss_bytes: raw.single_rss,
            burst_peak_heap_bytes: raw.burst_peak_heap,
            sustained_heap_bytes: mean(mixed.iter().map(|q| q.heap as f64)) as u64,
            sustained_rss_bytes: mean(mixed.iter().map(|q| q.rss as f64)) as u64,
            peak_rss_bytes: b.peak_bytes,
            after_idle_heap_bytes: raw.after_idle_heap,
            after_idle_rss_bytes: raw.after_idle_rss,
            end_heap_bytes: raw.end_heap,
            end_rss_bytes: raw.end_rss,
            requests: r.requests.len(),
            mixed_requests: mixed.len(),
            heat_profile_from: None,
            non_200: r.requests.iter().filter(|q| q.status != 200).count(),
            avg_response_us: mean(mixed.iter().map(|q| us(q.dur_ns))),
            morning_avg_response_us: mean(
                r.requests
                    .iter()
                    .filter(|q| q.scenario == "morning")
                    .map(|q| us(q.dur_ns)),
            ),
            p99_response_us: us(p99),
            hot_request_us: mean(hot.iter().map(|q| us(q.dur_ns))),
            hot_path_ns: raw.hot_path_ns,
            hot_path_on_fast_path: raw.hot_path_filled,
            mean_wait_ms: r.requests.iter().map(|q| q.wait_ns as f64).sum::<f64>() / all / 1e6,
            mean_cpu_us: r.requests.iter().map(|q| q.cpu_ns as f64).sum::<f64>() / all / 1e3,
            mean_sweep_us: r.requests.iter().map(|q| q.sweep_ns as f64).sum::<f64>() / all / 1e3,
            gb_s_per_1k_seed: seed_1k,
            gb_s_per_1k_aws: aws_1k,
            configured_memory_mb: configured,
            budget_mb: raw.budget_bytes.map(|b| b >> 20),
            oom: c.oom,
            peak_exceeds_size: b.peak_bytes > configured << 20,
            cost_per_million_usd: c.cost_per_million_usd,
            recommended_mb: b.recommended.as_ref().map(|s| s.memory_mb as u64),
            recommended_cost_per_million_usd: b
                .recommended
                .as_ref()
                .map(|s| s.cost_per_million_usd),
            cold_start_gb_s_aws: lmms::memory::gb_seconds(b.configured_mb, c.init_billed_ms),
            free_tier_calls_seed: free(seed_1k),
            free_tier_calls_aws: free(aws_1k).min(FREE_REQUESTS),
            month_gb_s_seed: seed_1k * MONTH_CALLS / 1000.0,
            month_gb_s_aws: aws_1k * MONTH_CALLS / 1000.0,
            ligs_loads: raw.ligs_loads,
            rebuilds: raw.rebuilds,
            lugs_unloads: raw.lugs_unloads,
            zafp_hits: raw.zafp_hits,
            memory_reclaimed_bytes: raw.memory_reclaimed_bytes,
            modules: raw.modules,
            operations: raw.operations,
            resident_modules_at_end: raw.resident_at_end,
            module_bytes: raw.module_bytes,
            module_rebuilds: raw.module_rebuilds,
            large_build_ms: raw.large_build_ms,
            stats_line: raw.stats_line,
            size_costs: b.curve,
            peak_at: r.peak_at.clone(),
            child_cpu_s: process_cpu_s(),
            child_wall_s: crate::scenarios::unix_ns().saturating_sub(raw.started_unix_ns) as f64
                / 1e9,
            samples: r.samples.clone(),
            unloads: r.unloads.clone(),
        })
    }

    /// The parent's view: cold start from its spawn of the child.
    pub fn set_spawn(&mut self, spawn_unix_ns: u64) {
        self.cold_start_ms = self.first_response_unix_ns.saturating_sub(spawn_unix_ns) as f64 / 1e6;
    }
}
