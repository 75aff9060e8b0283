//! Figures of one mode (computed from the replay), the seeds' claims (constants, labelled
//! as claims), the GB-second arithmetic and the printed table.

use crate::scenarios::{Replay, Sample, Unload};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// AWS Lambda free tier per month.
pub const FREE_GB_S: f64 = 400_000.0;
pub const FREE_REQUESTS: f64 = 1_000_000.0;
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
    pub first_response_unix_ns: u64,
    pub main_to_first_response_ns: u64,
    pub init_ns: u64,
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
    pub peak_rss: u64,
    pub hot_path_ns: f64,
    pub hot_path_filled: bool,
    pub ligs_loads: u64,
    pub lugs_unloads: u64,
    pub zafp_hits: u64,
    pub memory_reclaimed_bytes: u64,
    pub modules: usize,
    pub operations: usize,
    pub resident_at_end: usize,
    pub module_bytes: BTreeMap<String, u64>,
}

/// Everything measured in one mode. Series are for the plot and left out of `--json`.
#[derive(Clone, Serialize, Deserialize)]
pub struct ModeResult {
    pub mode: String,
    /// Parent's spawn of the child → the child's first response (set by the parent).
    pub cold_start_ms: f64,
    /// The child's `main` → its first response.
    pub cold_start_in_child_ms: f64,
    pub first_response_unix_ns: u64,
    /// The first `lmms::gateway()` call (eager mode: builds every module).
    pub init_ms: f64,
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
    pub peak_rss_bytes: u64,
    pub after_idle_heap_bytes: u64,
    pub after_idle_rss_bytes: u64,
    pub end_heap_bytes: u64,
    pub end_rss_bytes: u64,
    pub requests: usize,
    pub non_200: usize,
    pub avg_response_us: f64,
    pub morning_avg_response_us: f64,
    pub p99_response_us: f64,
    pub hot_request_us: f64,
    pub hot_path_ns: f64,
    pub hot_path_on_fast_path: bool,
    pub gb_s_per_1k_seed: f64,
    pub gb_s_per_1k_aws: f64,
    pub configured_memory_mb: u64,
    pub cold_start_gb_s_aws: f64,
    pub free_tier_calls_seed: f64,
    pub free_tier_calls_aws: f64,
    pub month_gb_s_seed: f64,
    pub month_gb_s_aws: f64,
    pub ligs_loads: u64,
    pub lugs_unloads: u64,
    pub zafp_hits: u64,
    pub memory_reclaimed_bytes: u64,
    pub modules: usize,
    pub operations: usize,
    pub resident_modules_at_end: usize,
    pub module_bytes: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unloads: Vec<Unload>,
}

/// Smallest Lambda memory size (128..=10240 MB, 1 MB steps) at least 1.25 × peak RSS.
pub fn configured_mb(peak_rss: u64) -> u64 {
    ((peak_rss as f64 * 1.25 / MIB).ceil() as u64).clamp(128, 10_240)
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
    pub fn measure(mode: &str, r: &Replay, raw: Raw) -> ModeResult {
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
        let configured = configured_mb(raw.peak_rss);
        // Seeds' arithmetic: memory used (RSS at the request) × duration.
        let seed_total: f64 = mixed
            .iter()
            .map(|q| q.rss as f64 / (1024.0 * MIB) * q.dur_ns as f64 / 1e9)
            .sum();
        // AWS: configured memory × billed duration (handler + boundary sweep, up to 1 ms).
        let billed_ms: f64 = mixed
            .iter()
            .map(|q| ((q.dur_ns + q.sweep_ns) as f64 / 1e6).ceil().max(1.0))
            .sum();
        let aws_total = configured as f64 / 1024.0 * billed_ms / 1000.0;
        let (seed_1k, aws_1k) = (seed_total / n * 1000.0, aws_total / n * 1000.0);
        let free = |per_1k: f64| {
            if per_1k > 0.0 {
                FREE_GB_S / (per_1k / 1000.0)
            } else {
                f64::INFINITY
            }
        };
        let cold_in_child = raw.main_to_first_response_ns as f64 / 1e6;
        ModeResult {
            mode: mode.into(),
            cold_start_ms: cold_in_child,
            cold_start_in_child_ms: cold_in_child,
            first_response_unix_ns: raw.first_response_unix_ns,
            init_ms: raw.init_ns as f64 / 1e6,
            gateway_ready_us: raw.gateway_ready_ns as f64 / 1e3,
            first_response_us: us(raw.first_response_ns),
            initial_heap_bytes: raw.initial_heap,
            initial_rss_bytes: raw.initial_rss,
            single_command_heap_bytes: raw.single_heap,
            single_command_rss_bytes: raw.single_rss,
            burst_peak_heap_bytes: raw.burst_peak_heap,
            sustained_heap_bytes: mean(mixed.iter().map(|q| q.heap as f64)) as u64,
            sustained_rss_bytes: mean(mixed.iter().map(|q| q.rss as f64)) as u64,
            peak_rss_bytes: raw.peak_rss,
            after_idle_heap_bytes: raw.after_idle_heap,
            after_idle_rss_bytes: raw.after_idle_rss,
            end_heap_bytes: raw.end_heap,
            end_rss_bytes: raw.end_rss,
            requests: r.requests.len(),
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
            gb_s_per_1k_seed: seed_1k,
            gb_s_per_1k_aws: aws_1k,
            configured_memory_mb: configured,
            cold_start_gb_s_aws: configured as f64 / 1024.0 * cold_in_child.ceil() / 1000.0,
            free_tier_calls_seed: free(seed_1k),
            free_tier_calls_aws: free(aws_1k).min(FREE_REQUESTS),
            month_gb_s_seed: seed_1k * MONTH_CALLS / 1000.0,
            month_gb_s_aws: aws_1k * MONTH_CALLS / 1000.0,
            ligs_loads: raw.ligs_loads,
            lugs_unloads: raw.lugs_unloads,
            zafp_hits: raw.zafp_hits,
            memory_reclaimed_bytes: raw.memory_reclaimed_bytes,
            modules: raw.modules,
            operations: raw.operations,
            resident_modules_at_end: raw.resident_at_end,
            module_bytes: raw.module_bytes,
            samples: r.samples.clone(),
            unloads: r.unloads.clone(),
        }
    }

    /// The parent's view: cold start from its spawn of the child.
    pub fn set_spawn(&mut self, spawn_unix_ns: u64) {
        self.cold_start_ms = self.first_response_unix_ns.saturating_sub(spawn_unix_ns) as f64 / 1e6;
        let configured = self.configured_memory_mb as f64 / 1024.0;
        self.cold_start_gb_s_aws = configured * self.cold_start_ms.ceil() / 1000.0;
    }
}

fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / MIB)
}

fn sig(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.3e}")
    }
}

fn count(x: f64) -> String {
    if x.is_infinite() {
        return "unbounded".into();
    }
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

type Row = (
    String,
    &'static str,
    Box<dyn Fn(&ModeResult) -> f64>,
    fn(f64) -> String,
);

/// The results table: seeds' claims, then eager, ligs, lmms as measured, and lmms ÷ eager.
pub fn table(modes: &[ModeResult]) -> String {
    let claim = |k: &str| {
        SEED_CLAIMS
            .iter()
            .find(|c| c.0 == k)
            .map_or(("", ""), |c| (c.1, c.2))
    };
    let b = |b: u64| b as f64;
    let rows: Vec<Row> = vec![
        (
            "cold start: spawn → 1st response (ms)".into(),
            "cold_start",
            Box::new(|m| m.cold_start_ms),
            |x| format!("{x:.1} ms"),
        ),
        (
            "  init: first gateway() call (ms)".into(),
            "",
            Box::new(|m| m.init_ms),
            |x| format!("{x:.1} ms"),
        ),
        (
            "  gateway ready_time_ns (µs)".into(),
            "",
            Box::new(|m| m.gateway_ready_us),
            |x| format!("{x:.1} µs"),
        ),
        (
            "initial memory, live heap (before 1st req)".into(),
            "initial_memory",
            Box::new(move |m| b(m.initial_heap_bytes)),
            |x| mib(x as u64),
        ),
        (
            "initial memory, RSS".into(),
            "initial_memory",
            Box::new(move |m| b(m.initial_rss_bytes)),
            |x| mib(x as u64),
        ),
        (
            "sustained memory, live heap (mixed mean)".into(),
            "sustained_memory",
            Box::new(move |m| b(m.sustained_heap_bytes)),
            |x| mib(x as u64),
        ),
        (
            "sustained memory, RSS (mixed mean)".into(),
            "sustained_memory",
            Box::new(move |m| b(m.sustained_rss_bytes)),
            |x| mib(x as u64),
        ),
        (
            "peak RSS (VmHWM)".into(),
            "",
            Box::new(move |m| b(m.peak_rss_bytes)),
            |x| mib(x as u64),
        ),
        (
            "memory after 2 min idle, live heap".into(),
            "memory_after_idle",
            Box::new(move |m| b(m.after_idle_heap_bytes)),
            |x| mib(x as u64),
        ),
        (
            "memory after 2 min idle, RSS".into(),
            "memory_after_idle",
            Box::new(move |m| b(m.after_idle_rss_bytes)),
            |x| mib(x as u64),
        ),
        (
            "average response, mixed workload (µs)".into(),
            "average_response",
            Box::new(|m| m.avg_response_us),
            |x| format!("{x:.1} µs"),
        ),
        (
            "  p99 response, mixed workload (µs)".into(),
            "",
            Box::new(|m| m.p99_response_us),
            |x| format!("{x:.1} µs"),
        ),
        (
            "hot-op request, handler (µs)".into(),
            "hot_path_response",
            Box::new(|m| m.hot_request_us),
            |x| format!("{x:.2} µs"),
        ),
        (
            "hot-path typed call, sensors.read (ns)".into(),
            "hot_path_response",
            Box::new(|m| m.hot_path_ns),
            |x| format!("{x:.0} ns"),
        ),
        (
            "GB-s / 1 000 calls, seed arith (RSS×dur)".into(),
            "gb_s_per_1k",
            Box::new(|m| m.gb_s_per_1k_seed),
            sig,
        ),
        (
            "GB-s / 1 000 calls, AWS (conf.×billed)".into(),
            "gb_s_per_1k",
            Box::new(|m| m.gb_s_per_1k_aws),
            sig,
        ),
        (
            "  configured memory (≥1.25×peak RSS, MB)".into(),
            "",
            Box::new(|m| m.configured_memory_mb as f64),
            |x| format!("{x:.0} MB"),
        ),
        (
            "  AWS GB-s per cold start (init billed)".into(),
            "",
            Box::new(|m| m.cold_start_gb_s_aws),
            sig,
        ),
        (
            "free-tier calls/month, seed arith (GB-s)".into(),
            "free_tier_calls_per_month",
            Box::new(|m| m.free_tier_calls_seed),
            count,
        ),
        (
            "free-tier calls/month, AWS (≤1M requests)".into(),
            "free_tier_calls_per_month",
            Box::new(|m| m.free_tier_calls_aws),
            count,
        ),
        (
            "GB-s per month at 50 000 calls, seed arith".into(),
            "gb_s_per_month_at_50k",
            Box::new(|m| m.month_gb_s_seed),
            sig,
        ),
        (
            "GB-s per month at 50 000 calls, AWS".into(),
            "gb_s_per_month_at_50k",
            Box::new(|m| m.month_gb_s_aws),
            sig,
        ),
    ];
    let find = |name: &str| modes.iter().find(|m| m.mode == name);
    let mut cells: Vec<Vec<String>> = vec![[
        "metric",
        "seed before",
        "seed after",
        "eager",
        "ligs",
        "lmms",
        "lmms ÷ eager",
    ]
    .map(String::from)
    .to_vec()];
    for (label, key, get, fmt) in &rows {
        let (before, after) = claim(key);
        let mut line = vec![label.clone(), before.into(), after.into()];
        for name in ["eager", "ligs", "lmms"] {
            line.push(find(name).map_or("-".into(), |m| fmt(get(m))));
        }
        let ratio = match (find("eager"), find("lmms")) {
            (Some(e), Some(l)) if get(e) != 0.0 && get(e).is_finite() && get(l).is_finite() => {
                format!("{:.3}×", get(l) / get(e))
            }
            _ => "-".into(),
        };
        line.push(ratio);
        cells.push(line);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in cells.iter().enumerate() {
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                out.push_str(&format!("{cell}{} ", " ".repeat(pad)));
            } else {
                out.push_str(&format!("| {}{cell} ", " ".repeat(pad)));
            }
        }
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 7 * 3 - 2));
            out.push('\n');
        }
    }
    out
}

/// `{"modes": {...}, "seed_claims": {...}}` without the series.
pub fn json(modes: &[ModeResult]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for r in modes {
        let mut r = r.clone();
        r.samples.clear();
        r.unloads.clear();
        m.insert(r.mode.clone(), serde_json::to_value(&r).unwrap_or_default());
    }
    let claims: serde_json::Map<_, _> = SEED_CLAIMS
        .iter()
        .map(|(k, b, a)| (k.to_string(), serde_json::json!({"before": b, "after": a, "source": "seeds 000/002 results tables (claims, not measured)"})))
        .collect();
    serde_json::json!({"modes": m, "seed_claims": claims})
}
