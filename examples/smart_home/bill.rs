//! The honest Lambda bill of one mode, computed with the library's right-sizing
//! (`lmms::memory::RightSizing`) from the replay's trace:
//!
//! - the trace is one execution environment's life: the INIT phase (process start and
//!   the first `gateway()` call: in `eager` mode every build) and every invocation of the
//!   replay, each with its measured CPU time, its modelled wait (`wait.rs`), its peak RSS
//!   and its rebuilds;
//! - at a size of `MB`, an invocation lasts wait + CPU × 1769 / MB (CPU share at most 1),
//!   billed rounded up to 1 ms, at configured GB × billed seconds, plus $0.20 per million
//!   requests; INIT is billed the same way (`lmms::memory` documents each constant and
//!   its source);
//! - a size whose memory is below the trace's peak × 1.25 runs out of memory.

use crate::report::SizePoint;
use crate::scenarios::Request;
use crate::sizing::{Mode, MARGIN};
use lmms::memory::{RightSizeOptions, RightSizing, SizeCost, Trace, TracedInvocation};
use std::time::Duration;

/// The bill of one mode.
pub struct Bill {
    /// The size the mode is configured at.
    pub configured_mb: u32,
    /// Figures at the configured size.
    pub at_configured: SizeCost,
    /// The cheapest size that does not run out of memory (adaptive modes: at least the size
    /// they ran at), with its figures.
    pub recommended: Option<SizeCost>,
    /// The trace's peak RSS, bytes.
    pub peak_bytes: u64,
    /// Coarse points of the size × cost table, for the plot and the JSON.
    pub curve: Vec<SizePoint>,
}

/// The trace of a replay: INIT and every request.
pub fn trace(init_cpu_ns: u64, init_peak: u64, requests: &[Request]) -> Trace {
    let mut t = Trace::new();
    t.init = Some(TracedInvocation::new(
        init_peak,
        Duration::from_nanos(init_cpu_ns),
        Duration::ZERO,
    ));
    for q in requests {
        t.push(
            TracedInvocation::new(
                q.peak_rss,
                Duration::from_nanos(q.cpu_ns),
                Duration::from_nanos(q.wait_ns),
            )
            .with_rebuilds(q.rebuilds),
        );
    }
    t
}

/// Prices `trace` at every Lambda size. `ran_at_mb`: the size an adaptive mode ran at (its
/// budget came from it), which is then its configured size; the recommendation only
/// considers sizes from there up (below it lmms would have evicted more: the trace says
/// nothing about them; above it, it would evict less, so this trace's cost there is an upper
/// bound).
pub fn bill(mode: Mode, trace: &Trace, ran_at_mb: Option<u32>) -> Result<Bill, String> {
    let opts = RightSizeOptions::new().safety_margin(MARGIN);
    let all = RightSizing::for_trace(trace, &opts).map_err(|e| e.to_string())?;
    let configured_mb = match (mode.adaptive(), ran_at_mb) {
        (true, Some(mb)) => mb,
        (true, None) => return Err(format!("{}: no size given", mode.name())),
        // Not fitting even at 10 240 MB: configured at the largest size, an OOM.
        (false, _) => all.smallest_fitting().map_or(10_240, |s| s.memory_mb),
    };
    let at_configured = all
        .at(configured_mb)
        .cloned()
        .ok_or_else(|| format!("{configured_mb} MB was not priced"))?;
    let recommended = if mode.adaptive() {
        let from = RightSizing::for_trace(trace, &opts.sizes(configured_mb, 10_240))
            .map_err(|e| e.to_string())?;
        from.recommended().cloned()
    } else {
        all.recommended().cloned()
    };
    let curve = all
        .sizes
        .iter()
        .filter(|s| {
            let mb = s.memory_mb;
            let coarse = (mb <= 3_008 && mb % 16 == 0) || mb % 256 == 0 || mb == 1769;
            // An adaptive mode's trace says nothing below the size it ran at.
            (coarse || mb == configured_mb) && (!mode.adaptive() || mb >= configured_mb)
        })
        .map(|s| SizePoint {
            mb: s.memory_mb,
            cost_per_million_usd: s.cost_per_million_usd,
            oom: s.oom,
        })
        .collect();
    Ok(Bill {
        configured_mb,
        at_configured,
        recommended,
        peak_bytes: all.peak_bytes,
        curve,
    })
}
