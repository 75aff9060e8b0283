//! ZAFP's decisions: promotion of operations that turned HOT to the fast path, demotion of
//! those that cooled, and the end-of-call check that runs them between sweeps.
//!
//! Calls are counted per thread ([`crate::local`]); a sweep folds the counts into each
//! operation's window ([`crate::heat`]). Between sweeps, every 64th slow call on a thread
//! checks the operation it just ran: when its pending calls would take it past the
//! threshold, heat is refreshed right there, so an operation reaches its fast path within a
//! bounded number of calls — not at the next sweep, which a Lambda function may not see for
//! minutes.

use crate::config::millis;
use crate::gateway::Gateway;
use crate::heat::{Heat, SweepState};
use crate::lugs::SweepReport;
use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::TryLockError;

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
            crate::order::sort_by(&mut want, |&a, &b| {
                st.heat[b].last_active_ms.cmp(&st.heat[a].last_active_ms)
            });
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
        let _ = crate::contain::contain(|| {
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
    /// a sweep if `sweep_interval` has passed (one that leaves its drops to the drop
    /// thread), else checks `op` for promotion.
    #[inline]
    pub(crate) fn after_call(&'static self, op: usize) {
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
    fn maintain(&'static self, op: usize) {
        let mut st = match self.lugs.try_lock() {
            Ok(st) => st,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let now = self.now_ms();
        if now >= self.next_sweep_ms.load(Relaxed) {
            // Its drops and trim run on the drop thread: this call does not wait for them.
            self.sweep_deferring(st);
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
