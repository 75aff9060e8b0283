//! What the gateway shows of itself: every module and operation with its figures, and the
//! [`Stats`] snapshot behind the `[LMMS_STATS]` log line.

use crate::gateway::Gateway;
use crate::module::Protection;
use crate::order::sort_by;
use crate::stats::{ModuleInfo, OperationInfo, Stats};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

impl Gateway {
    /// Every registered module, with its state.
    ///
    /// ```
    /// for m in lmms::gateway().modules() {
    ///     println!("{} {:?} resident={}", m.name, m.policy, m.resident);
    /// }
    /// ```
    pub fn modules(&self) -> Vec<ModuleInfo> {
        let now = self.now_ms();
        let uses: Vec<u64> = {
            let st = crate::sync::lock_std(&self.lugs);
            (0..self.reg.modules.len())
                .map(|i| st.uses_since_build(i))
                .collect()
        };
        let mut modules = self
            .reg
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| ModuleInfo {
                name: m.name(),
                policy: m.policy(),
                resident: m.is_resident(),
                active_calls: m.active_calls(),
                last_use_ms: (m.builds() > 0).then(|| m.last_use_ms()),
                cache_entries: m.cache_deps(),
                bytes: m.bytes(),
                builds: m.builds(),
                drops: m.drops(),
                last_build_ns: m.last_build_ns(),
                mean_build_ns: m.mean_build_ns(),
                last_build_bytes: m.last_build_bytes(),
                last_build_rss_growth_bytes: m.last_build_rss_growth_bytes(),
                uses_since_build: uses[i],
                idle_ms: (m.builds() > 0).then(|| now.saturating_sub(m.last_use_ms())),
                idle_gaps: m.idle_gaps(),
                is_async: m.is_async(),
            })
            .collect::<Vec<_>>();
        sort_by(&mut modules, |a, b| a.name.cmp(b.name));
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
                    cache_hits: c.cache_hits.load(Relaxed).saturating_add(hits[i]),
                    cache_misses: c.cache_misses.load(Relaxed),
                    cache_entries: crate::cache::entries_of(*op),
                    dynamic: !matches!(c.meta.dynamic, crate::operation::Dynamic::Off),
                    is_async: c.meta.is_async,
                }
            })
            .collect::<Vec<_>>();
        sort_by(&mut ops, |a, b| {
            (a.interface, a.op).cmp(&(b.interface, b.op))
        });
        ops
    }

    /// A snapshot of every counter plus per-module and per-operation figures.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let zafp_hits = saturating_sum(crate::local::totals(self.reg.ops.len()).1);
        let modules = self.modules();
        let operations = self.operations();
        let unload_blocked_by: BTreeMap<Protection, u64> = c.blocked_by();
        let live = crate::memory::live_heap_bytes();
        Stats {
            fault: self.fault.as_ref().map(ToString::to_string),
            ligs_loads: saturating_sum(modules.iter().map(|m| m.builds)),
            lugs_unloads: c.lugs_unloads.load(Relaxed),
            zafp_hits,
            zafp_promotions: c.promotions.load(Relaxed),
            zafp_demotions: c.demotions.load(Relaxed),
            cache_hits: saturating_sum(operations.iter().map(|o| o.cache_hits)),
            cache_misses: saturating_sum(operations.iter().map(|o| o.cache_misses)),
            unload_attempts: c.unload_attempts.load(Relaxed),
            unload_blocked: saturating_sum(unload_blocked_by.values().copied()),
            unload_blocked_by,
            unloads_by_reason: c.by_reason(),
            unload_strategy: self.config.unload_strategy,
            memory_budget_bytes: self.config.memory_budget_bytes,
            budget_source: self.config.budget_source,
            memory_reclaimed_bytes: live.map(|_| c.memory_reclaimed_bytes.load(Relaxed)),
            memory_measured: live.is_some(),
            live_heap_bytes: live,
            rss_bytes: crate::memory::rss_bytes(),
            resident_modules: modules.iter().filter(|m| m.resident).count(),
            total_modules: modules.len(),
            hot_paths: operations.iter().filter(|o| o.fast_path).count(),
            sweeps: c.sweeps.load(Relaxed),
            thrash_rebuilds: c.thrash_rebuilds.load(Relaxed),
            thrash: crate::sync::lock_std(&c.thrash).clone(),
            deferred_drops: c.deferred_drops.load(Relaxed),
            deferred_drop_ns: c.deferred_drop_ns.load(Relaxed),
            deferred_drops_pending: crate::lugs::pending_drops(),
            modules,
            operations,
        }
    }
}

/// A total of counters that stops at `u64::MAX` rather than wrapping (or panicking in a
/// debug build), as each counter it adds does.
fn saturating_sum(counts: impl IntoIterator<Item = u64>) -> u64 {
    counts.into_iter().fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    #[test]
    fn totals_stop_at_the_largest_count() {
        assert_eq!(super::saturating_sum([1, 2, 3]), 6);
        assert_eq!(super::saturating_sum([u64::MAX - 1, 1, 1]), u64::MAX);
        assert_eq!(super::saturating_sum([]), 0);
    }
}
