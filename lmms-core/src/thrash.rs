//! The gateway's side of a thrash warning ([`crate::working_set`]): when a sweep's fold saw a
//! module rebuilt soon after its pressure eviction, the working set is read under the sweep
//! lock, and the warning — with the RSS after the sweep's evictions — is made once the sweep
//! is done, counted in the stats and kept as the latest one.

use crate::gateway::Gateway;
use crate::handle::ModuleHandle;
use crate::heat::SweepState;
use crate::memory;
use crate::sync::lock_std;
use crate::working_set::{Member, ThrashWarning, Tier};
use std::sync::atomic::Ordering::Relaxed;

/// Thrash a sweep's fold saw: the modules kept after thrashing, the count in all, and the working
/// set then (read under the sweep lock; the warning is made after it is released).
pub(crate) struct ThrashSeen {
    kept: Vec<String>,
    thrashes: u64,
    members: Vec<&'static dyn ModuleHandle>,
}

impl Gateway {
    /// What a thrash warning needs, read under the sweep lock if this sweep's fold saw
    /// thrash (rarely: nothing is gathered otherwise): every module kept so far, the count, and
    /// the working set.
    pub(crate) fn thrash_seen(&self, st: &SweepState) -> Option<ThrashSeen> {
        if st.ws.fresh().is_empty() {
            return None;
        }
        let modules = &self.reg.modules;
        let n = self.config.working_set_invocations;
        let tier = |i: usize| st.ws.tier(i, n);
        let kept = (0..modules.len()).filter(|&i| tier(i) == Tier::Kept);
        let members = (0..modules.len()).filter(|&i| tier(i) != Tier::Outside);
        Some(ThrashSeen {
            kept: kept.map(|i| modules[i].name().to_string()).collect(),
            thrashes: st.ws.thrashes(),
            members: members.map(|i| modules[i]).collect(),
        })
    }

    /// The warning for thrash this sweep saw, with the RSS after its evictions; counted in
    /// [`crate::Stats`] and logged as the latest warning.
    pub(crate) fn thrash_warning(&self, seen: ThrashSeen) -> ThrashWarning {
        let members: Vec<Member> = seen
            .members
            .iter()
            .map(|m| Member {
                name: m.name(),
                bytes: crate::cost::expected_build_bytes(
                    m.last_build_bytes(),
                    m.last_build_rss_growth_bytes(),
                ),
                resident: m.is_resident(),
            })
            .collect();
        let rss = memory::rss_bytes()
            .or_else(memory::live_heap_bytes)
            .unwrap_or(0);
        let budget = self.config.memory_budget_bytes.unwrap_or(0);
        let warning = ThrashWarning::new(seen.kept, seen.thrashes, &members, rss, budget);
        self.counters.thrash_rebuilds.store(seen.thrashes, Relaxed);
        *lock_std(&self.counters.thrash) = Some(warning.clone());
        warning
    }
}
