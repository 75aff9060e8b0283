//! Heat: how often each operation is called over a sliding window ([`HeatWindow`]), its
//! level ([`Heat`]), and the state sweeps keep between them ([`SweepState`]). The decisions
//! that follow from heat — promotion, demotion — are [`crate::promote`]'s.

use crate::registry::Registry;
use crate::working_set::WorkingSet;
use std::collections::VecDeque;

/// State kept between sweeps (behind the gateway's sweep lock).
pub(crate) struct SweepState {
    /// Calls of each operation in its sliding window.
    pub heat: Vec<HeatWindow>,
    /// Heat level of each operation as of the last refresh.
    pub levels: Vec<Heat>,
    /// Fast-path calls per operation as of the last refresh.
    pub fast_seen: Vec<u64>,
    /// GreedyDual-Size-Frequency inflation `L` over time.
    pub inflation: crate::cost::Inflation,
    /// Which modules were used in recent invocations, and thrash.
    pub ws: WorkingSet,
    /// Per module: calls of its operations at the last sweep, the builds seen then, and
    /// the call count at its latest unload (its uses since count from there).
    module_calls: Vec<u64>,
    builds_seen: Vec<u64>,
    uses_base: Vec<u64>,
}

impl SweepState {
    pub fn new(ops: usize, modules: usize) -> Self {
        Self {
            heat: (0..ops).map(|_| HeatWindow::default()).collect(),
            levels: vec![Heat::Cold; ops],
            fast_seen: vec![0; ops],
            inflation: Default::default(),
            ws: WorkingSet::new(modules),
            module_calls: vec![0; modules],
            builds_seen: vec![0; modules],
            uses_base: vec![0; modules],
        }
    }

    /// Folds per-operation call totals into per-module ones, and tells the working set
    /// which modules were called or built since the last sweep. `boundary`: this sweep
    /// ends an invocation (every sweep but the one making room before a build).
    pub fn note_builds(&mut self, reg: &Registry, totals: &[u64], boundary: bool) {
        self.ws.begin(boundary);
        for (i, m) in reg.modules.iter().enumerate() {
            let total = reg.ops_of_module[i]
                .iter()
                .fold(0u64, |t, &op| t.saturating_add(totals[op]));
            let builds = m.builds();
            let built = builds != self.builds_seen[i];
            self.builds_seen[i] = builds;
            self.ws.note(i, total > self.module_calls[i], built);
            self.module_calls[i] = total;
        }
    }

    /// Module `i` was unloaded when its operations had been called `calls_now` times in
    /// all: its next build's uses count from there. A build is made for the call that
    /// needed it, which is counted before the build starts (and may be seen by a sweep that
    /// makes room for it), so counting from the unload — not from the first sweep that
    /// sees the build — counts that call.
    pub fn note_unload(&mut self, i: usize, calls_now: u64) {
        self.uses_base[i] = calls_now;
    }

    /// Calls of module `i`'s operations since its latest unload (as of the last sweep): for
    /// a resident module, its current build's uses, the call that built it included.
    pub fn uses_since_build(&self, i: usize) -> u64 {
        self.module_calls[i].saturating_sub(self.uses_base[i])
    }
}

/// Heat levels, from calls in the heat window.
///
/// ```
/// use lmms::Heat;
/// assert_eq!(Heat::from_calls(10, 50), Heat::Cold);
/// assert_eq!(Heat::from_calls(50, 50), Heat::Warm);
/// assert_eq!(Heat::from_calls(51, 50), Heat::Hot);
/// assert_eq!(Heat::from_calls(201, 50), Heat::Critical);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Heat {
    /// Up to a fifth of the threshold (10 by default).
    Cold,
    /// Up to the threshold (11–50 by default).
    Warm,
    /// Above `FAST_PATH_THRESHOLD`: gets a fast path, protects its module.
    Hot,
    /// Above four times the threshold.
    Critical,
}

serialize_unit_enum!(Heat {
    Cold => 0 "COLD",
    Warm => 1 "WARM",
    Hot => 2 "HOT",
    Critical => 3 "CRITICAL",
});

impl Heat {
    /// The level of `calls` in the window for a given `FAST_PATH_THRESHOLD`.
    pub fn from_calls(calls: u64, threshold: u64) -> Heat {
        if calls > threshold.saturating_mul(4) {
            Heat::Critical
        } else if calls > threshold {
            Heat::Hot
        } else if calls > threshold / 5 {
            Heat::Warm
        } else {
            Heat::Cold
        }
    }

    /// HOT or CRITICAL.
    pub fn is_hot(self) -> bool {
        self >= Heat::Hot
    }
}

/// Number of buckets a heat window is cut into: heat is exact to 1/60 of the window.
const BUCKETS: u64 = 60;

/// Calls of one operation in a sliding window, fed with running totals by sweeps.
#[derive(Debug, Default)]
pub(crate) struct HeatWindow {
    buckets: VecDeque<(u64, u64)>,
    /// The running total at the last update.
    pub(crate) last_total: u64,
    sum: u64,
    /// Clock time of the latest sweep that saw new calls (LRU order of hot slots).
    pub(crate) last_active_ms: u64,
}

impl HeatWindow {
    /// Adds the calls made since the last update and drops those older than `window_ms`.
    /// Returns the calls in the window.
    pub(crate) fn update(&mut self, total: u64, now_ms: u64, window_ms: u64) -> u64 {
        let width = (window_ms / BUCKETS).max(1);
        let delta = total.saturating_sub(self.last_total);
        self.last_total = total;
        if delta > 0 {
            self.last_active_ms = now_ms;
            let start = now_ms - now_ms % width;
            match self.buckets.back_mut() {
                Some((s, n)) if *s == start => *n = n.saturating_add(delta),
                _ => self.buckets.push_back((start, delta)),
            }
            self.sum = self.sum.saturating_add(delta);
        }
        while let Some(&(start, n)) = self.buckets.front() {
            if now_ms >= start.saturating_add(window_ms) {
                self.sum = self.sum.saturating_sub(n);
                self.buckets.pop_front();
            } else {
                break;
            }
        }
        self.sum
    }

    pub(crate) fn calls(&self) -> u64 {
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_decays() {
        let mut w = HeatWindow::default();
        assert_eq!(w.update(60, 0, 3_600_000), 60);
        assert_eq!(w.update(60, 1_000_000, 3_600_000), 60);
        assert_eq!(w.update(70, 3_000_000, 3_600_000), 70);
        // The first 60 calls leave the window one hour after their bucket.
        assert_eq!(w.update(70, 3_600_000, 3_600_000), 10);
        assert_eq!(w.update(70, 6_600_000, 3_600_000), 0);
    }

    #[test]
    fn levels_follow_threshold() {
        assert_eq!(Heat::from_calls(0, 50), Heat::Cold);
        assert_eq!(Heat::from_calls(11, 50), Heat::Warm);
        assert_eq!(Heat::from_calls(200, 50), Heat::Hot);
        assert_eq!(Heat::from_calls(3, 10), Heat::Warm);
    }
}
