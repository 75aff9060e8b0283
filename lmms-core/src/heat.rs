//! Heat: how often each operation is called over a sliding window, and the ZAFP decisions
//! that follow from it (promotion to the fast path, demotion, hot-module protection).
//!
//! Calls are counted per thread ([`crate::local`]); a sweep folds the counts into each
//! operation's window. Between sweeps, every 64th slow call on a thread checks the
//! operation it just ran: when its pending calls would take it past the threshold, heat is
//! refreshed right there, so an operation reaches its fast path within a bounded number of
//! calls — not at the next sweep, which a Lambda function may not see for minutes.

use crate::config::millis;
use crate::gateway::Gateway;
use crate::lugs::SweepReport;
use crate::registry::Registry;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::TryLockError;

/// State kept between sweeps (behind the gateway's sweep lock).
pub(crate) struct SweepState {
    /// Calls of each operation in its sliding window.
    pub heat: Vec<HeatWindow>,
    /// Heat level of each operation as of the last refresh.
    pub levels: Vec<Heat>,
    /// Fast-path calls per operation as of the last refresh.
    pub fast_seen: Vec<u64>,
    /// GreedyDual-Size-Frequency inflation `L`: the priority of the last module evicted.
    pub inflation: f64,
    /// Per module: calls of its operations at the last sweep, the builds seen then, and
    /// the call count its current build started from.
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
            inflation: 0.0,
            module_calls: vec![0; modules],
            builds_seen: vec![0; modules],
            uses_base: vec![0; modules],
        }
    }

    /// Folds per-operation call totals into per-module ones; a module built since the last
    /// sweep counts its uses from the calls seen at that sweep (uses are counted off the
    /// call path, so a build is placed at the sweep before it was seen).
    pub fn note_builds(&mut self, reg: &Registry, totals: &[u64]) {
        for (i, m) in reg.modules.iter().enumerate() {
            let total = reg.ops_of_module[i]
                .iter()
                .fold(0u64, |t, &op| t.saturating_add(totals[op]));
            let builds = m.builds();
            if builds != self.builds_seen[i] {
                self.builds_seen[i] = builds;
                self.uses_base[i] = self.module_calls[i];
            }
            self.module_calls[i] = total;
        }
    }

    /// Calls of module `i`'s operations since its current build (as of the last sweep).
    pub fn uses_since_build(&self, i: usize) -> u64 {
        self.module_calls[i].saturating_sub(self.uses_base[i])
    }
}

impl Gateway {
    /// Aggregates per-thread call counts into each operation's window; fills the slots of
    /// operations that turned HOT (at most `MAX_HOT_PATHS`, least recently active emptied
    /// first) and empties those that cooled down. Returns the call totals per operation.
    /// `tracing` events are left to [`Gateway::emit_heat_events`], after the lock is gone.
    pub(crate) fn refresh_heat(
        &self,
        st: &mut SweepState,
        now: u64,
        report: &mut SweepReport,
    ) -> Vec<u64> {
        let (totals, fast) = crate::local::totals(self.reg.ops.len());
        let window = millis(self.config.heat_window);
        let threshold = self.config.fast_path_threshold;
        for (i, op) in self.reg.ops.iter().enumerate() {
            let calls = st.heat[i].update(totals[i], now, window);
            // Fast-path calls record no last use themselves (no clock on that path): count
            // them as a use at this refresh, so the grace period sees recent fast-path use.
            if fast[i] > st.fast_seen[i] {
                st.fast_seen[i] = fast[i];
                if let Some(m) = op.module() {
                    m.touch(now);
                }
            }
            let level = Heat::from_calls(calls, threshold);
            let was = std::mem::replace(&mut st.levels[i], level);
            if level.is_hot() && !was.is_hot() {
                self.counters.promotions.fetch_add(1, Relaxed);
                report.promoted.push(op.common().key());
            } else if was.is_hot() && !level.is_hot() {
                self.counters.demotions.fetch_add(1, Relaxed);
                report.demoted.push(op.common().key());
            }
            if !level.is_hot() || !self.config.fast_path {
                op.empty_slot();
            }
        }
        if self.config.fast_path {
            // Fill the most recently active candidates first, within MAX_HOT_PATHS.
            let mut want: Vec<usize> = (0..self.reg.ops.len())
                .filter(|&i| st.levels[i].is_hot() && self.reg.ops[i].module().is_some())
                .collect();
            want.sort_by_key(|&i| std::cmp::Reverse(st.heat[i].last_active_ms));
            for (rank, &i) in want.iter().enumerate() {
                if rank >= self.config.max_hot_paths {
                    self.reg.ops[i].empty_slot();
                } else {
                    self.reg.ops[i].fill_slot();
                }
            }
        }
        totals
    }

    /// The `tracing` events of a refresh, sent with no runtime lock held (a subscriber may
    /// call back into the gateway) and contained (a subscriber may panic).
    pub(crate) fn emit_heat_events(&self, report: &SweepReport) {
        let _ = std::panic::catch_unwind(|| {
            for op in &report.promoted {
                crate::trace::promoted(op);
            }
            for op in &report.demoted {
                crate::trace::demoted(op);
            }
        });
    }

    /// Heat level and calls in the window of operation `op`, as of the last refresh.
    pub(crate) fn heat_of(&self, op: usize) -> (Heat, u64) {
        let st = crate::sync::lock_std(&self.lugs);
        (st.levels[op], st.heat[op].calls())
    }

    /// End-of-call maintenance: every 64th slow call on a thread reads the clock and runs
    /// a sweep if `sweep_interval` has passed, else checks `op` for promotion.
    #[inline]
    pub(crate) fn after_call(&self, op: usize) {
        thread_local! {
            static COUNTDOWN: Cell<u32> = const { Cell::new(0) };
        }
        let due = COUNTDOWN
            .try_with(|c| {
                let n = c.get();
                c.set(if n == 0 { 63 } else { n - 1 });
                n == 0
            })
            .unwrap_or(false);
        if due {
            self.maintain(op);
        }
    }

    #[cold]
    fn maintain(&self, op: usize) {
        let mut st = match self.lugs.try_lock() {
            Ok(st) => st,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let now = self.now_ms();
        if now >= self.next_sweep_ms.load(Relaxed) {
            self.sweep_from(st);
            return;
        }
        if !self.config.fast_path || op >= st.levels.len() || st.levels[op].is_hot() {
            return;
        }
        let pending =
            crate::local::total_of(op, self.reg.ops.len()).saturating_sub(st.heat[op].last_total);
        if st.heat[op].calls().saturating_add(pending) > self.config.fast_path_threshold {
            let mut report = SweepReport::default();
            self.refresh_heat(&mut st, now, &mut report);
            drop(st);
            self.emit_heat_events(&report);
        }
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
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
