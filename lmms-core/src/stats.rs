//! Counters, the `Stats` snapshot, its `[LMMS_STATS]` log line, and introspection.

use crate::cost::IdleGaps;
use crate::heat::Heat;
use crate::module::{Policy, Protection};
use crate::strategy::UnloadReason;
use crate::working_set::ThrashWarning;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Gateway-wide counters (rarely written: sweeps, unloads, cache).
#[derive(Default)]
pub(crate) struct Counters {
    /// Module unloads (LUGS).
    pub lugs_unloads: AtomicU64,
    /// Unloads considered.
    pub unload_attempts: AtomicU64,
    blocked: [AtomicU64; 7],
    reasons: [AtomicU64; 4],
    pub memory_reclaimed_bytes: AtomicU64,
    pub promotions: AtomicU64,
    pub demotions: AtomicU64,
    pub sweeps: AtomicU64,
    /// Modules rebuilt soon after their pressure eviction ([`crate::working_set`]).
    pub thrash_rebuilds: AtomicU64,
    /// The latest thrash warning (locked only to store or clone it).
    pub thrash: std::sync::Mutex<Option<ThrashWarning>>,
    /// Module values dropped on the drop thread.
    pub deferred_drops: AtomicU64,
    /// Time the drop thread spent dropping and trimming, ns.
    pub deferred_drop_ns: AtomicU64,
}

const PROTECTIONS: [Protection; 7] = [
    Protection::ActiveCalls,
    Protection::HotOperation,
    Protection::CacheDependencies,
    Protection::GracePeriod,
    Protection::ResidentFloor,
    Protection::BelowBreakEven,
    Protection::WorkingSet,
];

const REASONS: [UnloadReason; 4] = [
    UnloadReason::Pressure,
    UnloadReason::BreakEven,
    UnloadReason::IdleRule,
    UnloadReason::Explicit,
];

impl Counters {
    pub fn blocked(&self, p: Protection) {
        let i = PROTECTIONS.iter().position(|q| *q == p).unwrap_or(0);
        self.blocked[i].fetch_add(1, Relaxed);
    }

    pub fn reason(&self, r: UnloadReason) {
        let i = REASONS.iter().position(|q| *q == r).unwrap_or(0);
        self.reasons[i].fetch_add(1, Relaxed);
    }

    /// Refused unloads by protection (those that happened).
    pub fn blocked_by(&self) -> BTreeMap<Protection, u64> {
        nonzero(&PROTECTIONS, &self.blocked)
    }

    /// Unloads by reason (those that happened).
    pub fn by_reason(&self) -> BTreeMap<UnloadReason, u64> {
        nonzero(&REASONS, &self.reasons)
    }
}

fn nonzero<K: Copy + Ord>(keys: &[K], counts: &[AtomicU64]) -> BTreeMap<K, u64> {
    // A loop, not `collect`: no sort (the keys come in order) and no iterator adapters.
    let mut map = BTreeMap::new();
    for (key, count) in keys.iter().zip(counts) {
        let n = count.load(Relaxed);
        if n > 0 {
            map.insert(*key, n);
        }
    }
    map
}

/// A snapshot of what the gateway has done. Field names follow the seeds' log line.
///
/// ```
/// let stats = lmms::gateway().stats();
/// assert!(stats.log_line().starts_with("[LMMS_STATS] {"));
/// assert!(stats.log_line().contains(r#""fault":null"#)); // no configuration fault here
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Stats {
    /// The gateway's fault (a configuration or registration error), if any: every call
    /// returns it, and the settings shown (strategy, budget) are not in force.
    pub fault: Option<String>,
    /// Module builds (LIGS loads).
    pub ligs_loads: u64,
    /// Module unloads (LUGS).
    pub lugs_unloads: u64,
    /// Calls served by the fast path.
    pub zafp_hits: u64,
    /// Operations promoted to the fast path.
    pub zafp_promotions: u64,
    /// Operations demoted from the fast path.
    pub zafp_demotions: u64,
    /// Result-cache hits.
    pub cache_hits: u64,
    /// Result-cache misses.
    pub cache_misses: u64,
    /// Unloads considered.
    pub unload_attempts: u64,
    /// Unloads refused, all protections together.
    pub unload_blocked: u64,
    /// Unloads refused, by the protection that refused them.
    pub unload_blocked_by: BTreeMap<Protection, u64>,
    /// Unloads by reason.
    pub unloads_by_reason: BTreeMap<UnloadReason, u64>,
    /// The unload strategy in force.
    pub unload_strategy: crate::UnloadStrategy,
    /// The memory budget, bytes, if any.
    pub memory_budget_bytes: Option<u64>,
    /// Where the memory budget came from.
    pub budget_source: Option<crate::memory::BudgetSource>,
    /// Heap bytes given back by unloads, measured by the counting allocator; `None`
    /// (unknown) without it.
    pub memory_reclaimed_bytes: Option<u64>,
    /// Whether byte figures are measured (a `CountingAlloc` is installed).
    pub memory_measured: bool,
    /// Live heap bytes, if measured.
    pub live_heap_bytes: Option<u64>,
    /// Resident set size in bytes (`/proc/self/statm`).
    pub rss_bytes: Option<u64>,
    /// Resident modules.
    pub resident_modules: usize,
    /// Registered modules.
    pub total_modules: usize,
    /// Filled fast-path slots.
    pub hot_paths: usize,
    /// Sweeps run.
    pub sweeps: u64,
    /// Rebuilds of a module within [`THRASH_INVOCATIONS`](crate::THRASH_INVOCATIONS)
    /// invocations of its pressure eviction (cost strategy, memory budget): each one a
    /// rebuild the eviction bought instead of memory.
    pub thrash_rebuilds: u64,
    /// The latest thrash warning: the modules kept at HIGH pressure since, the working
    /// set's measured size and the memory size that would hold it. `None` until thrash is
    /// seen.
    pub thrash: Option<ThrashWarning>,
    /// Module values dropped on the drop thread (unloaded by sweeps at the end of calls or
    /// on the background sweeper), counted when their `Drop` has run; their bytes are in
    /// `memory_reclaimed_bytes` and `lugs_unloads` counts them then too.
    pub deferred_drops: u64,
    /// Time the drop thread spent dropping those values and trimming, ns.
    pub deferred_drop_ns: u64,
    /// Module values handed to the drop thread and not dropped yet (see
    /// `Gateway::drain_drops`).
    pub deferred_drops_pending: u64,
    /// Per-module figures.
    pub modules: Vec<ModuleInfo>,
    /// Per-operation figures.
    pub operations: Vec<OperationInfo>,
}

serialize_struct!(Stats {
    fault,
    ligs_loads,
    lugs_unloads,
    zafp_hits,
    zafp_promotions,
    zafp_demotions,
    cache_hits,
    cache_misses,
    unload_attempts,
    unload_blocked,
    unload_blocked_by,
    unloads_by_reason,
    unload_strategy,
    memory_budget_bytes,
    budget_source,
    memory_reclaimed_bytes,
    memory_measured,
    live_heap_bytes,
    rss_bytes,
    resident_modules,
    total_modules,
    hot_paths,
    sweeps,
    thrash_rebuilds,
    thrash,
    deferred_drops,
    deferred_drop_ns,
    deferred_drops_pending,
} StatsLine without { modules, operations });

impl Stats {
    /// One line, `[LMMS_STATS] ` followed by JSON, for CloudWatch Logs Insights (the
    /// per-module and per-operation lists are left out to keep the line short).
    pub fn log_line(&self) -> String {
        // Through a `Value` (the key order a `Value` map has, as before) of the figures
        // alone: the module and operation lists are never serialized.
        let v = serde_json::to_value(StatsLine(self)).unwrap_or_default();
        format!("[LMMS_STATS] {v}")
    }
}

/// Introspection of one module.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ModuleInfo {
    /// Module name.
    pub name: &'static str,
    /// LUGS policy.
    pub policy: Policy,
    /// Whether its value is built.
    pub resident: bool,
    /// Calls in flight on it (pinned blocking calls, fast and slow path, and async calls).
    pub active_calls: usize,
    /// Clock time (ms since the clock's origin) of the latest call's end, if any.
    pub last_use_ms: Option<u64>,
    /// Live result-cache entries computed by it.
    pub cache_entries: usize,
    /// Heap bytes allocated while the resident value was built (measured), if known.
    pub bytes: Option<u64>,
    /// Times its value was built.
    pub builds: u64,
    /// Times its value was dropped.
    pub drops: u64,
    /// Wall-clock time of its latest build, ns (what the caller waited).
    pub last_build_ns: Option<u64>,
    /// Mean wall-clock build time over all its builds, ns.
    pub mean_build_ns: Option<u64>,
    /// Heap bytes its latest build allocated, if measured — kept after an unload, unlike
    /// `bytes` (what the resident value holds).
    pub last_build_bytes: Option<u64>,
    /// How much the process's RSS grew across its latest build, measured with a memory
    /// budget only (`None` without one). It can exceed `last_build_bytes` — each small
    /// allocation carries the allocator's overhead — and builds or calls on other threads
    /// at the same time count in it too. Kept after an unload.
    pub last_build_rss_growth_bytes: Option<u64>,
    /// Calls of its operations since its current build, the call that built it included
    /// (counted off the call path: as of the last sweep; calls since its latest unload).
    pub uses_since_build: u64,
    /// Time since its last use, ms (`None` if never used).
    pub idle_ms: Option<u64>,
    /// Gaps between uses, by length.
    pub idle_gaps: IdleGaps,
    /// Whether it is built (or runs) asynchronously.
    pub is_async: bool,
}

serialize_struct!(ModuleInfo {
    name,
    policy,
    resident,
    active_calls,
    last_use_ms,
    cache_entries,
    bytes,
    builds,
    drops,
    last_build_ns,
    mean_build_ns,
    last_build_bytes,
    last_build_rss_growth_bytes,
    uses_since_build,
    idle_ms,
    idle_gaps,
    is_async
});

/// Introspection of one operation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OperationInfo {
    /// Interface name.
    pub interface: &'static str,
    /// Operation name.
    pub op: &'static str,
    /// Module it runs on, if any.
    pub module: Option<&'static str>,
    /// Heat level as of the last sweep.
    pub heat: Heat,
    /// Calls in the heat window as of the last sweep.
    pub calls_in_window: u64,
    /// Calls in all (slow and fast path), as of now.
    pub total_calls: u64,
    /// Whether its fast-path slot is filled.
    pub fast_path: bool,
    /// Result-cache hits.
    pub cache_hits: u64,
    /// Result-cache misses.
    pub cache_misses: u64,
    /// Live result-cache entries.
    pub cache_entries: usize,
    /// Whether `execute` can call it.
    pub dynamic: bool,
    /// Whether it is built (or runs) asynchronously.
    pub is_async: bool,
}

serialize_struct!(OperationInfo {
    interface,
    op,
    module,
    heat,
    calls_in_window,
    total_calls,
    fast_path,
    cache_hits,
    cache_misses,
    cache_entries,
    dynamic,
    is_async
});
