//! What a sweep reports, and the timing and byte sums it is filled with.

use super::DeferredDrops;
use crate::memory::{Pressure, TrimReport};
use crate::module::Protection;
use crate::strategy::Unload;
use crate::working_set::ThrashWarning;
use crate::UnloadStrategy;
use std::time::Instant;

/// What one sweep did.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SweepReport {
    /// Modules unloaded, in the order they went.
    pub unloaded: Vec<String>,
    /// Each unload with its reason and the figures it used.
    pub unloads: Vec<Unload>,
    /// Modules that stayed, with the protection (or decision) that kept each.
    pub blocked: Vec<(String, Protection)>,
    /// Heap bytes the unloads gave back (counting allocator), if known. Only the drops this
    /// sweep ran itself: those it handed to the drop thread (`Unload::reclaimed_bytes`
    /// `None` here) are counted when they finish, in `Stats::memory_reclaimed_bytes` and
    /// the next [`Gateway::sweep`](crate::Gateway::sweep)'s `deferred`.
    pub reclaimed_bytes: Option<u64>,
    /// Operations promoted to the fast path.
    pub promoted: Vec<String>,
    /// Operations demoted from the fast path.
    pub demoted: Vec<String>,
    /// Result-cache entries that had expired and were dropped.
    pub expired_cache_entries: usize,
    /// Memory pressure when the sweep started (with a memory budget).
    pub pressure: Option<Pressure>,
    /// The strategy in force.
    pub strategy: Option<UnloadStrategy>,
    /// Why the sweep decided by another rule than its strategy's (e.g. bytes unknown).
    pub fallback: Option<String>,
    /// RSS around the trim, if `trim_on_unload` is set and this sweep dropped something
    /// itself (the drop thread trims after the drops handed to it: `deferred`).
    pub trim: Option<TrimReport>,
    /// What the caller of this sweep waited, ns. A sweep at the end of a call or on the
    /// background sweeper: deciding and detaching (its drops and trim run on the drop
    /// thread). [`Gateway::sweep`](crate::Gateway::sweep): waiting for earlier deferred
    /// drops, then deciding, dropping and trimming.
    pub blocking_ns: u64,
    /// This sweep's full cost, ns: deciding, dropping what it unloaded and trimming. `None`
    /// when it left drops to the drop thread (their time is in `Stats::deferred_drop_ns`
    /// and in the next [`Gateway::sweep`](crate::Gateway::sweep)'s `deferred`).
    pub cost_ns: Option<u64>,
    /// Drops that earlier sweeps handed to the drop thread, finished since the previous
    /// [`Gateway::sweep`](crate::Gateway::sweep) (only that one fills this: it waits for
    /// them first).
    pub deferred: DeferredDrops,
    /// Set when this sweep saw thrash: a module rebuilt soon after its pressure eviction,
    /// kept at HIGH pressure from now on ([`ThrashWarning`]).
    pub thrash: Option<ThrashWarning>,
}

serialize_struct!(SweepReport {
    unloaded,
    unloads,
    blocked,
    reclaimed_bytes,
    promoted,
    demoted,
    expired_cache_entries,
    pressure,
    strategy,
    fallback,
    trim,
    blocking_ns,
    cost_ns,
    deferred,
    thrash
});

/// The sum of two byte counts, known if either is.
pub(crate) fn add_bytes(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (a, None) => a,
        (a, Some(b)) => Some(a.unwrap_or(0).saturating_add(b)),
    }
}

/// Nanoseconds since `t0`.
pub(crate) fn elapsed_ns(t0: Instant) -> u64 {
    u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `report` with its timing: `left_running` when drops were left to the drop thread.
pub(super) fn timed(mut report: SweepReport, started: Instant, left_running: bool) -> SweepReport {
    let ns = elapsed_ns(started);
    report.blocking_ns = ns;
    report.cost_ns = (!left_running).then_some(ns);
    report
}
