//! The working set under a memory budget (the cost strategy's pressure rule): which modules
//! were used in recent invocations, and *thrash* — a module rebuilt soon after a pressure
//! eviction.
//!
//! Pressure eviction exists to keep the process under the platform's limit, not under HIGH
//! at any price: evicting a module the next invocations need costs its rebuild each time
//! and leaves the peak where it was. So at HIGH only modules outside the working set go; a
//! working-set module goes only when the limit would otherwise be passed (CRITICAL, or a
//! build that would not fit). See [`crate::strategy`] for the rule.
//!
//! **Invocations.** An invocation here is the stretch between two *boundary sweeps*: every
//! sweep except the one that makes room before a build ([`Gateway::sweep`] at an
//! invocation boundary, or the end-of-call sweep every `sweep_interval`). Calls are counted
//! per thread off the shared path and folded at each sweep; a call belongs to the invocation
//! in progress when the first sweep that sees it runs (a boundary sweep closes its own
//! invocation: its calls belong to the one it closes).
//!
//! **Working set.** A module is in it when one of its operations was called in one of the
//! last `N` invocations, the current one included — `N` is
//! [`Config::working_set_invocations`](crate::Config::working_set_invocations), default 2,
//! so a module used every other invocation stays in — or when it thrashed.
//!
//! **Thrash.** A module evicted under pressure and built again within
//! [`THRASH_INVOCATIONS`] invocations. Once seen, the module is kept at HIGH from then on
//! (at CRITICAL the limit still wins), and a [`ThrashWarning`] says so with the working
//! set's size and the memory size that would hold it.
//!
//! [`Gateway::sweep`]: crate::Gateway::sweep

use crate::memory::{RecommendOptions, Recommendation};

/// A module built again within this many invocations of its pressure eviction has
/// thrashed: the eviction bought a rebuild, not memory.
///
/// ```
/// assert_eq!(lmms::THRASH_INVOCATIONS, 8);
/// ```
pub const THRASH_INVOCATIONS: u64 = 8;

/// Where a module stands for the pressure rule. Ordered: lower tiers go first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    /// Not used in the last `N` invocations: may go at HIGH.
    Outside,
    /// Used in the last `N` invocations: goes only past the limit.
    Recent,
    /// Thrashed: goes only past the limit, after every other module.
    Kept,
}

/// Per-module invocation bookkeeping, kept by sweeps (under the sweep lock).
pub(crate) struct WorkingSet {
    /// Boundary sweeps so far: the index of the invocation in progress.
    invocation: u64,
    /// The invocation the latest fold attributed calls to (decisions are taken against it).
    at: u64,
    /// Per module: the latest invocation it was used in.
    used_in: Vec<Option<u64>>,
    /// Per module: the invocation of its latest pressure eviction not yet followed by a build.
    evicted_in: Vec<Option<u64>>,
    /// Per module: it thrashed (kept at HIGH from then on).
    kept: Vec<bool>,
    /// Thrashing rebuilds seen in all.
    thrashes: u64,
    /// Modules whose thrash the latest fold saw.
    fresh: Vec<usize>,
}

impl WorkingSet {
    pub fn new(modules: usize) -> Self {
        Self {
            invocation: 0,
            at: 0,
            used_in: vec![None; modules],
            evicted_in: vec![None; modules],
            kept: vec![false; modules],
            thrashes: 0,
            fresh: Vec::new(),
        }
    }

    /// Starts a sweep's fold; a boundary sweep closes the invocation in progress.
    pub fn begin(&mut self, boundary: bool) {
        self.at = self.invocation;
        if boundary {
            self.invocation = self.invocation.saturating_add(1);
        }
        self.fresh.clear();
    }

    /// Module `i` since the previous fold: whether its operations were called, whether it
    /// was built.
    pub fn note(&mut self, i: usize, called: bool, built: bool) {
        if called {
            self.used_in[i] = Some(self.at);
        }
        if built {
            if let Some(e) = self.evicted_in[i].take() {
                if self.at.saturating_sub(e) <= THRASH_INVOCATIONS {
                    self.kept[i] = true;
                    self.thrashes = self.thrashes.saturating_add(1);
                    self.fresh.push(i);
                }
            }
        }
    }

    /// Module `i` was evicted under the pressure rule.
    pub fn evicted(&mut self, i: usize) {
        self.evicted_in[i] = Some(self.at);
    }

    /// Module `i`'s tier, with a working set of the last `n` invocations.
    pub fn tier(&self, i: usize, n: u64) -> Tier {
        if self.kept[i] {
            Tier::Kept
        } else if self.used_in[i].is_some_and(|u| u.saturating_add(n) > self.at) {
            Tier::Recent
        } else {
            Tier::Outside
        }
    }

    /// Modules whose thrash the latest fold saw.
    pub fn fresh(&self) -> &[usize] {
        &self.fresh
    }

    /// Thrashing rebuilds seen in all.
    pub fn thrashes(&self) -> u64 {
        self.thrashes
    }
}

/// A warning that pressure eviction thrashed: modules evicted under memory pressure were
/// built again within [`THRASH_INVOCATIONS`] invocations, so the memory budget is too small
/// for the modules the function keeps using. Those modules are kept at HIGH pressure from
/// then on (at CRITICAL the limit still wins). In [`SweepReport::thrash`] (the sweep that saw
/// it), [`Stats::thrash`] and the `[LMMS_STATS]` line (the latest).
///
/// ```
/// let stats = lmms::gateway().stats();
/// if let Some(w) = &stats.thrash {
///     eprintln!("{} (set the memory size to {} MB)", w.message, w.recommended_mb);
/// }
/// assert_eq!(stats.thrash_rebuilds, 0); // no budget here: no pressure eviction
/// ```
///
/// [`SweepReport::thrash`]: crate::SweepReport::thrash
/// [`Stats::thrash`]: crate::Stats::thrash
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ThrashWarning {
    /// What happened and what would fix it, in one sentence.
    pub message: String,
    /// Every module that thrashed so far (each kept at HIGH since).
    pub kept: Vec<String>,
    /// Thrashing rebuilds seen since the gateway started.
    pub thrash_rebuilds: u64,
    /// The working set: modules used in recent invocations, or kept after thrashing.
    pub working_set: Vec<String>,
    /// What their builds take, measured (the larger of heap bytes and RSS growth of each
    /// one's latest build, summed).
    pub working_set_bytes: u64,
    /// The process's RSS at the sweep plus the working-set modules not resident then: what
    /// the process needs to hold the working set.
    pub needed_rss_bytes: u64,
    /// The memory size that would hold it, MB: `needed_rss_bytes` × the recommendation's
    /// safety margin, in Lambda's allowed range ([`Recommendation::for_peak`]).
    pub recommended_mb: u32,
    /// Even the largest Lambda memory size is too small.
    pub exceeds_max: bool,
    /// The memory budget in force, MB.
    pub budget_mb: u64,
}

serialize_struct!(ThrashWarning {
    message,
    kept,
    thrash_rebuilds,
    working_set,
    working_set_bytes,
    needed_rss_bytes,
    recommended_mb,
    exceeds_max,
    budget_mb
});

/// One working-set module for a [`ThrashWarning`]: its name, the bytes its build takes,
/// whether it is resident.
pub(crate) struct Member {
    pub name: &'static str,
    pub bytes: Option<u64>,
    pub resident: bool,
}

impl ThrashWarning {
    /// The warning for modules `kept`, a working set `members`, the RSS now and the budget.
    pub(crate) fn new(
        kept: Vec<String>,
        thrash_rebuilds: u64,
        members: &[Member],
        rss: u64,
        budget_bytes: u64,
    ) -> Self {
        let sum = |f: &dyn Fn(&Member) -> bool| {
            members
                .iter()
                .filter(|m| f(m))
                .fold(0u64, |t, m| t.saturating_add(m.bytes.unwrap_or(0)))
        };
        let working_set_bytes = sum(&|_| true);
        let needed_rss_bytes = rss.saturating_add(sum(&|m| !m.resident));
        let budget_mb = budget_bytes / (1 << 20);
        let options = RecommendOptions::new(
            u32::try_from(budget_mb).unwrap_or(u32::MAX),
            std::time::Duration::ZERO,
        );
        let rec = Recommendation::for_peak(needed_rss_bytes, &options);
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        let message = format!(
            "pressure eviction thrashed: {thrash_rebuilds} module rebuild(s) within \
             {THRASH_INVOCATIONS} invocations of an eviction; {kept:?} kept at HIGH pressure \
             from now on. The working set ({} modules, {:.1} MiB) needs {:.1} MiB of RSS: a \
             memory size of {} MB{} would hold it (budget {budget_mb} MB)",
            members.len(),
            mib(working_set_bytes),
            mib(needed_rss_bytes),
            rec.recommended_mb,
            if rec.exceeds_max {
                " (the largest; still short)"
            } else {
                ""
            },
        );
        ThrashWarning {
            message,
            kept,
            thrash_rebuilds,
            working_set: members.iter().map(|m| m.name.to_string()).collect(),
            working_set_bytes,
            needed_rss_bytes,
            recommended_mb: rec.recommended_mb,
            exceeds_max: rec.exceeds_max,
            budget_mb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_means_the_last_n_invocations_the_current_one_included() {
        let mut ws = WorkingSet::new(2);
        ws.begin(true); // the boundary closing invocation 0
        ws.note(0, true, true);
        assert_eq!(ws.tier(0, 2), Tier::Recent);
        assert_eq!(ws.tier(1, 2), Tier::Outside, "never used");
        ws.begin(true); // closes invocation 1: module 0 used in 0, within the last 2
        ws.note(0, false, false);
        assert_eq!(
            (ws.tier(0, 2), ws.tier(0, 1)),
            (Tier::Recent, Tier::Outside)
        );
        ws.begin(false); // a room sweep during invocation 2
        assert_eq!(ws.tier(0, 2), Tier::Outside);
        assert_eq!(ws.tier(0, 3), Tier::Recent);
    }

    #[test]
    fn a_rebuild_soon_after_a_pressure_eviction_is_thrash_and_keeps_the_module() {
        let mut ws = WorkingSet::new(2);
        ws.begin(true);
        ws.evicted(0);
        ws.evicted(1);
        for _ in 0..THRASH_INVOCATIONS {
            ws.begin(true);
        }
        // Module 0 comes back within the window, module 1 one invocation too late.
        ws.note(0, true, true);
        assert_eq!((ws.fresh(), ws.thrashes()), (&[0][..], 1));
        ws.begin(true);
        ws.note(1, true, true);
        assert!(ws.fresh().is_empty());
        assert_eq!((ws.tier(0, 1), ws.tier(1, 1)), (Tier::Kept, Tier::Recent));
        // A build with no eviction before it is not thrash.
        ws.begin(true);
        ws.note(0, true, true);
        assert_eq!(ws.thrashes(), 1);
    }

    #[test]
    fn the_warning_prices_the_working_set_with_the_recommendation() {
        const MIB: u64 = 1 << 20;
        let members = [
            Member {
                name: "table",
                bytes: Some(80 * MIB),
                resident: false,
            },
            Member {
                name: "small",
                bytes: Some(4 * MIB),
                resident: true,
            },
        ];
        let w = ThrashWarning::new(vec!["table".into()], 3, &members, 60 * MIB, 128 * MIB);
        assert_eq!(w.working_set_bytes, 84 * MIB);
        assert_eq!(
            w.needed_rss_bytes,
            140 * MIB,
            "RSS now plus what is not resident"
        );
        // 140 MiB × 1.25 = 175 MB, as the recommendation rounds it.
        let rec =
            Recommendation::for_peak(140 * MIB, &RecommendOptions::new(128, Default::default()));
        assert_eq!((w.recommended_mb, rec.recommended_mb), (175, 175));
        assert_eq!(w.budget_mb, 128);
        assert!(
            w.message.contains("175 MB") && w.message.contains("\"table\""),
            "{}",
            w.message
        );
    }
}
