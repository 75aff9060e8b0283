//! The printed results table of one profile and the `--json` object.

use crate::report::{ModeResult, SEED_CLAIMS};
use crate::sizing::{Mode, Profile};

const MIB: f64 = 1024.0 * 1024.0;

fn mib(x: f64) -> String {
    format!("{:.2} MiB", x / MIB)
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

type Get = Box<dyn Fn(&ModeResult) -> f64>;
type Row = (&'static str, &'static str, Get, fn(f64) -> String);

fn row(
    label: &'static str,
    claim: &'static str,
    get: impl Fn(&ModeResult) -> f64 + 'static,
    fmt: fn(f64) -> String,
) -> Row {
    (label, claim, Box::new(get), fmt)
}

fn rows() -> Vec<Row> {
    let b = |x: u64| x as f64;
    let opt = |x: Option<u64>| x.map_or(f64::NAN, |v| v as f64);
    vec![
        row(
            "cold start: spawn → 1st response (ms)",
            "cold_start",
            |m| m.cold_start_ms,
            |x| format!("{x:.1} ms"),
        ),
        row(
            "  init: first gateway() call (ms)",
            "",
            |m| m.init_ms,
            |x| format!("{x:.1} ms"),
        ),
        row(
            "  INIT CPU, process start → ready (ms)",
            "",
            |m| m.init_cpu_ms,
            |x| format!("{x:.1} ms"),
        ),
        row(
            "initial memory, live heap (before 1st req)",
            "initial_memory",
            move |m| b(m.initial_heap_bytes),
            mib,
        ),
        row(
            "initial memory, RSS",
            "initial_memory",
            move |m| b(m.initial_rss_bytes),
            mib,
        ),
        row(
            "sustained memory, live heap (mixed mean)",
            "sustained_memory",
            move |m| b(m.sustained_heap_bytes),
            mib,
        ),
        row(
            "sustained memory, RSS (mixed mean)",
            "sustained_memory",
            move |m| b(m.sustained_rss_bytes),
            mib,
        ),
        row(
            "peak RSS (INIT or any invocation, VmHWM)",
            "",
            move |m| b(m.peak_rss_bytes),
            mib,
        ),
        row(
            "memory after 2 min idle, live heap",
            "memory_after_idle",
            move |m| b(m.after_idle_heap_bytes),
            mib,
        ),
        row(
            "memory after 2 min idle, RSS",
            "memory_after_idle",
            move |m| b(m.after_idle_rss_bytes),
            mib,
        ),
        row(
            "average response, mixed workload (µs)",
            "average_response",
            |m| m.avg_response_us,
            |x| format!("{x:.1} µs"),
        ),
        row(
            "  p99 response, mixed workload (µs)",
            "",
            |m| m.p99_response_us,
            |x| format!("{x:.1} µs"),
        ),
        row(
            "hot-op request, handler (µs)",
            "hot_path_response",
            |m| m.hot_request_us,
            |x| format!("{x:.2} µs"),
        ),
        row(
            "hot-path typed call, sensors.read (ns)",
            "hot_path_response",
            |m| m.hot_path_ns,
            |x| format!("{x:.0} ns"),
        ),
        row(
            "rebuilds (builds beyond each module's 1st)",
            "",
            move |m| b(m.rebuilds),
            |x| format!("{x:.0}"),
        ),
        row(
            "  per invocation: CPU measured (µs)",
            "",
            |m| m.mean_cpu_us,
            |x| format!("{x:.1} µs"),
        ),
        row(
            "    of which the boundary sweep (µs)",
            "",
            |m| m.mean_sweep_us,
            |x| format!("{x:.1} µs"),
        ),
        row(
            "  per invocation: wait modelled (ms)",
            "",
            |m| m.mean_wait_ms,
            |x| format!("{x:.2} ms"),
        ),
        row(
            "GB-s / 1 000 calls, seed arith (RSS×dur)",
            "gb_s_per_1k",
            |m| m.gb_s_per_1k_seed,
            sig,
        ),
        row(
            "GB-s / 1 000 calls, Lambda bill",
            "gb_s_per_1k",
            |m| m.gb_s_per_1k_aws,
            sig,
        ),
        row(
            "  configured memory (MB)",
            "",
            move |m| b(m.configured_memory_mb),
            |x| format!("{x:.0} MB"),
        ),
        row(
            "  memory budget it ran under (MB)",
            "",
            move |m| opt(m.budget_mb),
            |x| {
                if x.is_nan() {
                    "-".into()
                } else {
                    format!("{x:.0} MB")
                }
            },
        ),
        row(
            "  OOM: peak × 1.25 > configured",
            "",
            |m| if m.oom { 1.0 } else { 0.0 },
            |x| if x > 0.0 { "OOM".into() } else { "fits".into() },
        ),
        row(
            "  $ per million requests, configured",
            "",
            |m| m.cost_per_million_usd,
            |x| format!("${x:.2}"),
        ),
        row(
            "  recommended size (MB)",
            "",
            move |m| opt(m.recommended_mb),
            |x| {
                if x.is_nan() {
                    "none fits".into()
                } else {
                    format!("{x:.0} MB")
                }
            },
        ),
        row(
            "  $ per million requests, recommended",
            "",
            |m| m.recommended_cost_per_million_usd.unwrap_or(f64::NAN),
            |x| {
                if x.is_nan() {
                    "-".into()
                } else {
                    format!("${x:.2}")
                }
            },
        ),
        row(
            "  Lambda GB-s per cold start (INIT billed)",
            "",
            |m| m.cold_start_gb_s_aws,
            sig,
        ),
        row(
            "free-tier calls/month, seed arith (GB-s)",
            "free_tier_calls_per_month",
            |m| m.free_tier_calls_seed,
            count,
        ),
        row(
            "free-tier calls/month, Lambda (≤1M req.)",
            "free_tier_calls_per_month",
            |m| m.free_tier_calls_aws,
            count,
        ),
        row(
            "GB-s per month at 50 000 calls, seed arith",
            "gb_s_per_month_at_50k",
            |m| m.month_gb_s_seed,
            sig,
        ),
        row(
            "GB-s per month at 50 000 calls, Lambda",
            "gb_s_per_month_at_50k",
            |m| m.month_gb_s_aws,
            sig,
        ),
    ]
}

/// One profile's table: seeds' claims, the four modes as measured, and lmms ÷ eager.
pub fn table(profile: Profile, modes: &[ModeResult]) -> String {
    let claim = |k: &str| {
        SEED_CLAIMS
            .iter()
            .find(|c| c.0 == k)
            .map_or(("", ""), |c| (c.1, c.2))
    };
    let find = |m: Mode| {
        modes
            .iter()
            .find(|r| r.mode == m.name() && r.profile == profile.name())
    };
    let mut header = vec![
        "metric".to_string(),
        "seed before".into(),
        "seed after".into(),
    ];
    header.extend(Mode::ALL.iter().map(|m| m.name().to_string()));
    header.push("lmms ÷ eager".into());
    let mut cells = vec![header];
    for (label, key, get, fmt) in rows() {
        let (before, after) = claim(key);
        let mut line = vec![label.to_string(), before.into(), after.into()];
        for m in Mode::ALL {
            line.push(find(m).map_or("-".into(), |r| fmt(get(r))));
        }
        let ratio = match (find(Mode::Eager), find(Mode::Lmms)) {
            (Some(e), Some(l)) if get(e) != 0.0 && get(e).is_finite() && get(l).is_finite() => {
                format!("{:.3}×", get(l) / get(e))
            }
            _ => "-".into(),
        };
        line.push(ratio);
        cells.push(line);
    }
    let cols = cells[0].len();
    let widths: Vec<usize> = (0..cols)
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
            let pad = " ".repeat(widths[c] - cell.chars().count());
            if c == 0 {
                out.push_str(&format!("{cell}{pad} "));
            } else {
                out.push_str(&format!("| {pad}{cell} "));
            }
        }
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + cols * 3 - 2));
            out.push('\n');
        }
    }
    out
}

/// `{"profiles": {"small": {"modes": {...}}, "large": {...}}, "seed_claims": {...}, ...}`
/// without the series.
pub fn json(modes: &[ModeResult], extra: serde_json::Value) -> serde_json::Value {
    let mut profiles = serde_json::Map::new();
    for p in Profile::ALL {
        let mut m = serde_json::Map::new();
        for r in modes.iter().filter(|r| r.profile == p.name()) {
            let mut r = r.clone();
            r.samples.clear();
            r.unloads.clear();
            m.insert(r.mode.clone(), serde_json::to_value(&r).unwrap_or_default());
        }
        profiles.insert(p.name().into(), serde_json::json!({ "modes": m }));
    }
    let claims: serde_json::Map<_, _> = SEED_CLAIMS
        .iter()
        .map(|(k, b, a)| (k.to_string(), serde_json::json!({"before": b, "after": a, "source": "seeds 000/002 results tables (claims, not measured)"})))
        .collect();
    let mut out = serde_json::json!({"profiles": profiles, "seed_claims": claims});
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    out
}
