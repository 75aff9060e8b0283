//! The original design documents' claimed figures (`report::SEED_CLAIMS`) beside the same
//! quantities measured in this run's small profile, eager → lmms: one row per quantity,
//! each in one unit.

use crate::report::{find, ModeResult, FREE_GB_S, FREE_REQUESTS, MONTH_CALLS, SEED_CLAIMS};
use crate::sizing::{Mode, Profile};
use crate::table::layout;
use crate::text::{count, header, num, wrap};

/// (claim key, quantity, unit of the row if its label does not name it, the measured
/// figure in that unit).
type Measured = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ModeResult) -> f64,
);

const MIB: f64 = 1024.0 * 1024.0;

fn measured() -> [Measured; 9] {
    [
        ("cold_start", "cold start", "ms", |m| m.cold_start_ms),
        (
            "initial_memory",
            "RSS before the first request",
            "MiB",
            |m| m.initial_rss_bytes as f64 / MIB,
        ),
        (
            "sustained_memory",
            "RSS, mean over the mixed workload",
            "MiB",
            |m| m.sustained_rss_bytes as f64 / MIB,
        ),
        ("memory_after_idle", "RSS after 2 min idle", "MiB", |m| {
            m.after_idle_rss_bytes as f64 / MIB
        }),
        (
            "average_response",
            "mean response, mixed workload",
            "ms",
            |m| m.avg_response_us / 1e3,
        ),
        (
            "hot_path_response",
            "hot op (sensors.read): request",
            "ms",
            |m| m.hot_request_us / 1e3,
        ),
        (
            "gb_s_per_1k",
            "GB-s per 1 000 calls, Lambda bill",
            "",
            |m| m.gb_s_per_1k_aws,
        ),
        (
            "free_tier_calls_per_month",
            "calls per month the free tier covers",
            "calls",
            |m| m.free_tier_calls_aws,
        ),
        (
            "gb_s_per_month_at_50k",
            "GB-s per month at 50 000 calls",
            "",
            |m| m.month_gb_s_aws,
        ),
    ]
}

/// The claim without its unit ("800-1200 ms" → "800-1200"): the row's label carries it.
fn bare(claim: &str) -> &str {
    claim
        .strip_suffix(" ms")
        .or_else(|| claim.strip_suffix(" MB"))
        .unwrap_or(claim)
}

/// The section, or nothing if the small profile's eager or lmms did not run.
pub fn section(modes: &[ModeResult]) -> String {
    let find = |m: Mode| find(modes, Profile::Small, m);
    let (Some(e), Some(l)) = (find(Mode::Eager), find(Mode::Lmms)) else {
        return String::new();
    };
    let mut out = header("Claimed vs measured (small profile)");
    out.push_str(&wrap(
        "claimed: the figures the original design documents claim for this application before and after \
         lmms; measured: the same quantities in this run, eager → lmms (the documents' MB read as MiB).",
        "",
    ));
    let mut cells = vec![vec![
        String::new(),
        "claimed before → after".into(),
        "measured eager → lmms".into(),
    ]];
    for (key, label, unit, get) in measured() {
        let Some((_, before, after)) = SEED_CLAIMS.iter().find(|c| c.0 == key) else {
            continue;
        };
        // Counts of calls in full; the unit of the others in the label.
        let fmt = |m: &ModeResult| match unit {
            "calls" => count(get(m) as u64),
            _ => num(get(m)),
        };
        let label = match unit {
            "" | "calls" => label.to_string(),
            u => format!("{label} ({u})"),
        };
        cells.push(vec![
            format!("  {label}"),
            format!("{} → {}", bare(before), bare(after)),
            format!("{} → {}", fmt(e), fmt(l)),
        ]);
    }
    out.push_str(&layout(&cells));
    let seed = |m: &ModeResult| num(m.gb_s_per_1k_seed);
    let mut notes = format!(
        "The documents' GB-s are RSS × handler time, which is not what Lambda bills (configured memory × billed \
         duration, I/O wait included): on this run that arithmetic gives {} → {} GB-s per 1 000 calls. A month is \
         the documents' {} calls.",
        seed(e),
        seed(l),
        count(MONTH_CALLS as u64)
    );
    if e.free_tier_calls_aws >= FREE_REQUESTS && l.free_tier_calls_aws >= FREE_REQUESTS {
        notes.push_str(&format!(
            " The free tier covers {} requests and {} GB-s a month; here the requests run out first.",
            count(FREE_REQUESTS as u64),
            count(FREE_GB_S as u64)
        ));
    }
    out.push_str(&wrap(&notes, ""));
    out
}
