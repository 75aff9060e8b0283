//! The targets, checked against the figures of this run (never tuned into it). They are
//! informational: a missed one does not change the exit status unless `--strict` is given.

use crate::report::{find, ModeResult};
use crate::sizing::{Mode, Profile};
use crate::text;
use serde::Serialize;

/// One target and what this run measured.
#[derive(Serialize)]
pub struct Target {
    pub profile: &'static str,
    pub target: &'static str,
    pub measured: String,
    pub met: bool,
}

/// Every target whose modes ran. `small_eager_again`: the bill of a second small `eager`
/// run, printed beside the small profile's bill ratio as the spread of identical runs.
pub fn check(modes: &[ModeResult], small_eager_again: Option<f64>) -> Vec<Target> {
    let mut out = Vec::new();
    let s = Profile::Small;
    if let (Some(e), Some(l), Some(g)) = (
        find(modes, s, Mode::Eager),
        find(modes, s, Mode::Lmms),
        find(modes, s, Mode::Ligs),
    ) {
        out.push(ratio(
            s,
            "lmms bill ≤ 1.0× eager's",
            l,
            e,
            |m| m.gb_s_per_1k_aws,
            "GB-s per 1 000 invocations",
            1.0,
        ));
        if let (Some(again), Some(t)) = (small_eager_again, out.last_mut()) {
            t.measured.push_str(&format!(
                "; eager run again: {:.3}× its first run",
                again / e.gb_s_per_1k_aws
            ));
        }
        out.push(ratio(
            s,
            "lmms mean response ≤ 1.5× ligs'",
            l,
            g,
            |m| m.avg_response_us,
            "µs",
            1.5,
        ));
        out.push(ratio(
            s,
            "lmms cold start ≤ 0.40× eager's",
            l,
            e,
            |m| m.cold_start_ms,
            "ms",
            0.40,
        ));
    }
    let p = Profile::Large;
    if let (Some(e), Some(l)) = (find(modes, p, Mode::Eager), find(modes, p, Mode::Lmms)) {
        out.push(ratio(
            p,
            "lmms bill ≤ 0.35× eager's",
            l,
            e,
            |m| m.gb_s_per_1k_aws,
            "GB-s per 1 000 invocations",
            0.35,
        ));
        let share = l.rebuilds as f64 / l.requests.max(1) as f64;
        out.push(Target {
            profile: p.name(),
            target: "lmms rebuilds ≤ 5 % of requests",
            measured: format!(
                "{:.2} % ({} rebuilds / {} requests)",
                share * 100.0,
                l.rebuilds,
                l.requests
            ),
            met: share <= 0.05,
        });
        out.push(Target {
            profile: p.name(),
            target: "lmms: no OOM",
            measured: format!(
                "peak {:.0} MiB × 1.25 = {:.0} MiB at {} MB: {}",
                l.peak_rss_bytes as f64 / 1048576.0,
                l.peak_rss_bytes as f64 * 1.25 / 1048576.0,
                l.configured_memory_mb,
                if l.oom { "OOM" } else { "fits" }
            ),
            met: !l.oom,
        });
        out.push(Target {
            profile: p.name(),
            target: "eager needs ≥ 1 024 MB",
            measured: format!("{} MB", e.configured_memory_mb),
            met: e.configured_memory_mb >= 1024,
        });
        // What holding the small working set and the largest data module together takes,
        // from the same figures the size rule uses: below it, every build of that module
        // evicts small modules that are used again.
        let together = find(modes, Profile::Small, Mode::Ligs)
            .zip(find(modes, p, Mode::Ligs))
            .map(|(small, large_ligs)| {
                let largest = crate::large::largest(&large_ligs.module_bytes);
                format!(
                    " (the small working set, {:.0} MiB, and the largest module, {:.0} MiB, resident together need {} MB)",
                    small.peak_rss_bytes as f64 / 1048576.0,
                    largest as f64 / 1048576.0,
                    crate::sizing::fitting_mb(small.peak_rss_bytes + largest)
                )
            })
            .unwrap_or_default();
        out.push(Target {
            profile: p.name(),
            target: "lmms ≤ 256 MB",
            measured: format!("{} MB{together}", l.configured_memory_mb),
            met: l.configured_memory_mb <= 256 && !l.oom,
        });
    }
    out
}

/// `f(num) / f(den)` against `limit`.
fn ratio(
    p: Profile,
    target: &'static str,
    num: &ModeResult,
    den: &ModeResult,
    f: fn(&ModeResult) -> f64,
    unit: &str,
    limit: f64,
) -> Target {
    let r = f(num) / f(den);
    Target {
        profile: p.name(),
        target,
        measured: format!(
            "{} ({} vs {} {unit})",
            text::ratio(r, limit),
            text::num(f(num)),
            text::num(f(den))
        ),
        met: r <= limit,
    }
}

/// The targets as printed lines, each wrapped under its measured figures.
pub fn lines(targets: &[Target]) -> String {
    let width = targets
        .iter()
        .map(|t| t.target.chars().count())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(2 + 6 + 2 + 5 + 2 + width + 2);
    let mut out = String::new();
    for t in targets {
        let pad = " ".repeat(width - t.target.chars().count());
        out.push_str(&text::wrap(
            &format!(
                "  {:6}  {:5}  {}{pad}  {}",
                if t.met { "met" } else { "MISSED" },
                t.profile,
                t.target,
                t.measured
            ),
            &indent,
        ));
    }
    out
}
