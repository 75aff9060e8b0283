//! Making room before a build: with a memory budget, a build that would take RSS to HIGH
//! pressure is preceded by the pressure rule's eviction (`Gateway::sweep_from` with the
//! coming bytes counted as headroom), so the process does not go over its budget first and
//! get stopped by the platform before the next sweep could act. At HIGH with those bytes
//! only modules outside the working set go; if the build would not fit under the budget
//! (CRITICAL with them), the working set too ([`crate::working_set`]). This sweep is not an
//! invocation boundary.

use crate::config::UnloadStrategy;
use crate::cost::expected_build_bytes;
use crate::gateway::Gateway;
use crate::memory::{self, Pressure};
use crate::sync::lock_std;

impl Gateway {
    /// Before module `index` is built: with a memory budget, if RSS plus what its build is
    /// expected to add would reach HIGH pressure, sweep now, counting those bytes as already
    /// there — so the pressure rule evicts *before* the build instead of at the next sweep,
    /// after the process went over.
    ///
    /// Expected: the larger of the heap bytes and the RSS growth of its latest build here
    /// ([`expected_build_bytes`]); for a first build, the same figures from the configured
    /// heat profile (what the module took in the instance that exported it); else nothing.
    /// The cost strategy's: the idle rule (the seeds') evicts at sweeps only.
    pub(crate) fn make_room(&self, index: u32) {
        let (Some(budget), true, UnloadStrategy::Cost) = (
            self.config.memory_budget_bytes,
            self.config.unloading,
            self.config.unload_strategy,
        ) else {
            return;
        };
        let Some(m) = self.reg.modules.get(index as usize) else {
            return;
        };
        // Known from an earlier build here, else from the heat profile another instance
        // exported (a first build's size is otherwise unknown).
        let expected = expected_build_bytes(m.last_build_bytes(), m.last_build_rss_growth_bytes())
            .or_else(|| {
                let preload = self.config.heat_preload.as_ref()?;
                let entry = preload
                    .profile
                    .modules
                    .iter()
                    .find(|e| e.module == m.name())?;
                expected_build_bytes(entry.bytes, entry.rss_growth_bytes)
            })
            .unwrap_or(0);
        let Some(rss) = memory::rss_bytes() else {
            return;
        };
        if Pressure::of(rss.saturating_add(expected), budget) >= Pressure::High {
            self.sweep_from(lock_std(&self.lugs), Some(expected));
        }
    }
}
