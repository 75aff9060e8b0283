//! Counters, the `Stats` snapshot, its `[LMMS_STATS]` log line, and introspection.

use crate::gateway::Gateway;
use crate::module::{Policy, Protection};
use crate::zafp::Heat;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Gateway-wide counters (rarely written: sweeps, unloads, cache).
#[derive(Default)]
pub(crate) struct Counters {
    /// Module unloads (LUGS).
    pub lugs_unloads: AtomicU64,
    /// Unloads considered.
    pub unload_attempts: AtomicU64,
    blocked: [AtomicU64; 5],
    pub memory_reclaimed_bytes: AtomicU64,
    pub promotions: AtomicU64,
    pub demotions: AtomicU64,
    pub sweeps: AtomicU64,
}

const PROTECTIONS: [Protection; 5] = [
    Protection::ActiveCalls,
    Protection::HotOperation,
    Protection::CacheDependencies,
    Protection::GracePeriod,
    Protection::ResidentFloor,
];

impl Counters {
    pub fn blocked(&self, p: Protection) {
        let i = PROTECTIONS.iter().position(|q| *q == p).unwrap_or(0);
        self.blocked[i].fetch_add(1, Relaxed);
    }
}

/// A snapshot of what the gateway has done. Field names follow the seeds' log line.
///
/// ```
/// let stats = lmms::gateway().stats();
/// assert!(stats.log_line().starts_with("[LMMS_STATS] {"));
/// ```
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Stats {
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
    /// Per-module figures.
    pub modules: Vec<ModuleInfo>,
    /// Per-operation figures.
    pub operations: Vec<OperationInfo>,
}

impl Stats {
    /// One line, `[LMMS_STATS] ` followed by JSON, for CloudWatch Logs Insights (the
    /// per-module and per-operation lists are left out to keep the line short).
    pub fn log_line(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("modules");
            o.remove("operations");
        }
        format!("[LMMS_STATS] {v}")
    }
}

/// Introspection of one module.
#[derive(Clone, Debug, Serialize)]
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
    /// Whether it is built (or runs) asynchronously.
    pub is_async: bool,
}

/// Introspection of one operation.
#[derive(Clone, Debug, Serialize)]
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

impl Gateway {
    /// Every registered module, with its state.
    ///
    /// ```
    /// for m in lmms::gateway().modules() {
    ///     println!("{} {:?} resident={}", m.name, m.policy, m.resident);
    /// }
    /// ```
    pub fn modules(&self) -> Vec<ModuleInfo> {
        let mut modules = self
            .reg
            .modules
            .iter()
            .map(|m| ModuleInfo {
                name: m.name(),
                policy: m.policy(),
                resident: m.is_resident(),
                active_calls: m.active_calls(),
                last_use_ms: (m.builds() > 0).then(|| m.last_use_ms()),
                cache_entries: m.cache_deps(),
                bytes: m.bytes(),
                builds: m.builds(),
                drops: m.drops(),
                is_async: m.is_async(),
            })
            .collect::<Vec<_>>();
        modules.sort_by_key(|m| m.name);
        modules
    }

    /// Every registered operation, with its heat.
    ///
    /// ```
    /// for op in lmms::gateway().operations() {
    ///     println!("{}.{} {:?}", op.interface, op.op, op.heat);
    /// }
    /// ```
    pub fn operations(&self) -> Vec<OperationInfo> {
        let (totals, _) = crate::local::totals(self.reg.ops.len());
        let hits = crate::local::cache_hits(self.reg.ops.len());
        let mut ops = self
            .reg
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let c = op.common();
                let (heat, calls) = self.heat_of(i);
                OperationInfo {
                    interface: c.meta.interface,
                    op: c.meta.op,
                    module: op.module().map(|m| m.name()),
                    heat,
                    calls_in_window: calls,
                    total_calls: totals[i],
                    fast_path: op.slot_filled(),
                    cache_hits: c.cache_hits.load(Relaxed) + hits[i],
                    cache_misses: c.cache_misses.load(Relaxed),
                    cache_entries: crate::cache::entries_of(*op),
                    dynamic: !matches!(c.meta.dynamic, crate::operation::Dynamic::Off),
                    is_async: c.meta.is_async,
                }
            })
            .collect::<Vec<_>>();
        ops.sort_by_key(|o| (o.interface, o.op));
        ops
    }

    /// A snapshot of every counter plus per-module and per-operation figures.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let zafp_hits = crate::local::totals(self.reg.ops.len()).1.iter().sum();
        let modules = self.modules();
        let operations = self.operations();
        let unload_blocked_by: BTreeMap<Protection, u64> = PROTECTIONS
            .iter()
            .zip(c.blocked.iter())
            .map(|(p, n)| (*p, n.load(Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let live = crate::memory::live_heap_bytes();
        Stats {
            ligs_loads: modules.iter().map(|m| m.builds).sum(),
            lugs_unloads: c.lugs_unloads.load(Relaxed),
            zafp_hits,
            zafp_promotions: c.promotions.load(Relaxed),
            zafp_demotions: c.demotions.load(Relaxed),
            cache_hits: operations.iter().map(|o| o.cache_hits).sum(),
            cache_misses: operations.iter().map(|o| o.cache_misses).sum(),
            unload_attempts: c.unload_attempts.load(Relaxed),
            unload_blocked: unload_blocked_by.values().sum(),
            unload_blocked_by,
            memory_reclaimed_bytes: live.map(|_| c.memory_reclaimed_bytes.load(Relaxed)),
            memory_measured: live.is_some(),
            live_heap_bytes: live,
            rss_bytes: crate::memory::rss_bytes(),
            resident_modules: modules.iter().filter(|m| m.resident).count(),
            total_modules: modules.len(),
            hot_paths: operations.iter().filter(|o| o.fast_path).count(),
            sweeps: c.sweeps.load(Relaxed),
            modules,
            operations,
        }
    }
}
