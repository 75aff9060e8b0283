//! The printed results table of one profile (one unit per row, chosen for the row's
//! figures and named in its label) and the `--json` object.

use crate::report::{find, ModeResult, SEED_CLAIMS};
use crate::sizing::{Mode, Profile};
use crate::text::{count, num, time_unit};

const MIB: f64 = 1024.0 * 1024.0;

/// What a row's figures are, which decides how they are printed.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Nanoseconds, printed in the unit [`time_unit`] picks for the row.
    Time,
    Mib,
    Mb,
    Count,
    GbS,
    Usd,
    /// 1 = peak × 1.25 over the size (OOM), 0 = fits.
    Fits,
    YesNo,
}

enum Row {
    Section(&'static str),
    Figures(&'static str, Kind, fn(&ModeResult) -> Option<f64>),
}

fn mib(bytes: u64) -> Option<f64> {
    Some(bytes as f64 / MIB)
}

fn n(x: u64) -> Option<f64> {
    Some(x as f64)
}

fn rows() -> Vec<Row> {
    use Kind::*;
    use Row::{Figures as F, Section as S};
    vec![
        S("time"),
        F("cold start: spawn → first response", Time, |m| {
            Some(m.cold_start_ms * 1e6)
        }),
        F("INIT CPU: process start → ready", Time, |m| {
            Some(m.init_cpu_ms * 1e6)
        }),
        F("mean response, mixed workload", Time, |m| {
            Some(m.avg_response_us * 1e3)
        }),
        F("p99 response, mixed workload", Time, |m| {
            Some(m.p99_response_us * 1e3)
        }),
        // 0: no hot request in this mode's replay (lmms_idle's shorter prefix under
        // --quick), so nothing was measured: "-", not a time of 0.
        F("hot op (sensors.read): request", Time, |m| {
            (m.hot_request_us > 0.0).then_some(m.hot_request_us * 1e3)
        }),
        F("hot op (sensors.read): typed call", Time, |m| {
            Some(m.hot_path_ns)
        }),
        F("CPU per invocation, measured", Time, |m| {
            Some(m.mean_cpu_us * 1e3)
        }),
        F("  of which the boundary sweep", Time, |m| {
            Some(m.mean_sweep_us * 1e3)
        }),
        F("I/O wait per invocation, modelled", Time, |m| {
            Some(m.mean_wait_ms * 1e6)
        }),
        S("memory (RSS: what Lambda counts; live heap: what lmms counts)"),
        F("RSS before the first request", Mib, |m| {
            mib(m.initial_rss_bytes)
        }),
        F("RSS, mean over the mixed workload", Mib, |m| {
            mib(m.sustained_rss_bytes)
        }),
        F("peak RSS, INIT or any invocation", Mib, |m| {
            mib(m.peak_rss_bytes)
        }),
        F("RSS after 2 min idle", Mib, |m| mib(m.after_idle_rss_bytes)),
        F("live heap before the first request", Mib, |m| {
            mib(m.initial_heap_bytes)
        }),
        F("live heap, mean over the mixed workload", Mib, |m| {
            mib(m.sustained_heap_bytes)
        }),
        F("live heap after 2 min idle", Mib, |m| {
            mib(m.after_idle_heap_bytes)
        }),
        S("modules"),
        F("builds (first builds and rebuilds)", Count, |m| {
            n(m.ligs_loads)
        }),
        F(
            "rebuilds (builds after an unload)",
            Count,
            |m| n(m.rebuilds),
        ),
        F("unloads", Count, |m| n(m.lugs_unloads)),
        F("memory freed by unloads", Mib, |m| {
            mib(m.memory_reclaimed_bytes)
        }),
        F("modules resident at the end", Count, |m| {
            n(m.resident_modules_at_end as u64)
        }),
        F("fast-path hits", Count, |m| n(m.zafp_hits)),
        F("hot op served on the fast path", YesNo, |m| {
            Some(f64::from(u8::from(m.hot_path_on_fast_path)))
        }),
        F("answers other than 200", Count, |m| n(m.non_200 as u64)),
        S("Lambda bill (configured memory × billed duration)"),
        F("configured memory", Mb, |m| n(m.configured_memory_mb)),
        F("memory budget it ran under", Mb, |m| {
            m.budget_mb.map(|b| b as f64)
        }),
        F("peak RSS × 1.25 within the size", Fits, |m| {
            Some(f64::from(u8::from(m.oom)))
        }),
        F("GB-s per 1 000 invocations", GbS, |m| {
            Some(m.gb_s_per_1k_aws)
        }),
        F("GB-s per cold start, INIT billed", GbS, |m| {
            Some(m.cold_start_gb_s_aws)
        }),
        F("$ per million requests", Usd, |m| {
            Some(m.cost_per_million_usd)
        }),
        F("recommended size: cheapest that fits", Mb, |m| {
            m.recommended_mb.map(|b| b as f64)
        }),
        F("$ per million requests at that size", Usd, |m| {
            m.recommended_cost_per_million_usd
        }),
    ]
}

/// A row's label with its unit, and its figures as printed.
fn figures(label: &str, kind: Kind, values: &[Option<f64>]) -> (String, Vec<String>) {
    let max = values.iter().flatten().fold(0.0, |a: f64, b| a.max(*b));
    let (unit, div) = match kind {
        Kind::Time => time_unit(max),
        Kind::Mib => ("MiB", 1.0),
        Kind::Mb => ("MB", 1.0),
        // Their labels name the unit.
        Kind::GbS | Kind::Usd | Kind::Count | Kind::Fits | Kind::YesNo => ("", 1.0),
    };
    let cells = values
        .iter()
        .map(|v| match (kind, v) {
            (_, None) => "-".to_string(),
            (Kind::Count, Some(x)) => count(*x as u64),
            (Kind::Mb, Some(x)) => format!("{x:.0}"),
            (Kind::Usd, Some(x)) => format!("{x:.2}"),
            (Kind::Fits, Some(x)) => if *x > 0.0 { "OOM" } else { "fits" }.into(),
            (Kind::YesNo, Some(x)) => if *x > 0.0 { "yes" } else { "no" }.into(),
            (_, Some(x)) => num(x / div),
        })
        .collect();
    let label = if unit.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({unit})")
    };
    (label, cells)
}

/// A ratio with three decimals, or three significant digits beyond 10 or below 0.01.
fn ratio(r: f64) -> String {
    match r.abs() {
        a if a >= 100.0 => format!("{r:.0}×"),
        a if a >= 10.0 => format!("{r:.1}×"),
        a if a >= 0.01 => format!("{r:.3}×"),
        _ => format!("{}×", num(r)),
    }
}

/// One profile's table: the four modes as measured, and lmms ÷ eager.
pub fn table(profile: Profile, modes: &[ModeResult]) -> String {
    let find = |m: Mode| find(modes, profile, m);
    let mut header = vec![String::new()];
    header.extend(Mode::ALL.iter().map(|m| m.name().to_string()));
    header.push("lmms ÷ eager".into());
    let mut cells = vec![header];
    for row in rows() {
        let (label, kind, get) = match row {
            Row::Section(title) => {
                cells.push(vec![title.to_string()]);
                continue;
            }
            Row::Figures(l, k, g) => (l, k, g),
        };
        let values: Vec<Option<f64>> = Mode::ALL.iter().map(|m| find(*m).and_then(get)).collect();
        let (label, mut line) = figures(label, kind, &values);
        let numeric = !matches!(kind, Kind::Fits | Kind::YesNo);
        line.push(match (values[0], values[2]) {
            (Some(e), Some(l)) if numeric && e != 0.0 && e.is_finite() && l.is_finite() => {
                ratio(l / e)
            }
            _ => String::new(),
        });
        line.insert(0, format!("  {label}"));
        cells.push(line);
    }
    layout(&cells)
}

/// Rows of cells as aligned text: the first column left-aligned, the others right-aligned;
/// a row of one cell (a section title) is printed as it is.
pub fn layout(cells: &[Vec<String>]) -> String {
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            cells
                .iter()
                .filter(|r| r.len() > 1)
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in cells.iter().enumerate() {
        if r.len() == 1 {
            out.push_str(&format!("{}\n", r[0]));
            continue;
        }
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
            if c == 0 {
                line.push_str(&format!("{cell}{pad}"));
            } else {
                line.push_str(&format!("  {pad}{cell}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (cols - 1)));
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
