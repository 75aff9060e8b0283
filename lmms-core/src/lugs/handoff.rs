//! Where a sweep's drops run: here, or handed to the drop thread ([`super::drops`]).

use super::drops::{self, Batch};
use super::report::{add_bytes, elapsed_ns};
use super::SweepReport;
use crate::cell::Detached;
use crate::gateway::Gateway;
use crate::memory;
use crate::strategy::Unload;
use std::time::Instant;

impl Gateway {
    /// Waits until every drop that sweeps at the end of calls or on the background sweeper
    /// handed to the drop thread has finished: their `Drop`s have run and their reclaimed
    /// bytes are counted in [`Stats`](crate::Stats). Returns `true` then. Called from inside
    /// a module's `init` or `Drop` it returns `false` at once if drops are pending: a `Drop`
    /// on the drop thread may call that very module and wait for it, so waiting there could
    /// wait forever. Call it before the process exits if a module's `Drop` must run (e.g.
    /// to flush).
    ///
    /// ```
    /// let gw = lmms::gateway();
    /// assert!(gw.drain_drops());
    /// assert_eq!(gw.stats().deferred_drops_pending, 0);
    /// ```
    pub fn drain_drops(&self) -> bool {
        drops::drain()
    }

    /// Drops `values` here, now, and records each unload with the bytes it gave back.
    pub(super) fn drop_here(&self, values: Vec<(Detached, Unload)>, report: &mut SweepReport) {
        for (value, mut unload) in values {
            unload.reclaimed_bytes = self.account(&unload.module, drops::finish(value));
            report.reclaimed_bytes = add_bytes(report.reclaimed_bytes, unload.reclaimed_bytes);
            report.unloaded.push(unload.module.clone());
            report.unloads.push(unload);
        }
    }

    /// Hands `values` (and a trim) to the drop thread, waiting for them if `wait`, and
    /// records the unloads (their bytes come with the drop). Where that cannot be, drops
    /// and trims here. Returns whether drops were left running. The batch carries the
    /// caller's time `since` the last hand-over (the sweep's start).
    pub(super) fn hand_over(
        &self,
        gw: &'static Gateway,
        values: Vec<(Detached, Unload)>,
        trim: bool,
        wait: bool,
        since: &mut Instant,
        report: &mut SweepReport,
    ) -> bool {
        if values.is_empty() && !trim {
            return false;
        }
        // Recorded first: once the drop thread runs, its frees contend with this thread's
        // allocations (the same malloc arena, often), so none are left for after.
        let listed = report.unloads.len();
        for (_, u) in &values {
            report.unloaded.push(u.module.clone());
            report.unloads.push(u.clone());
        }
        let batch = Batch {
            gw,
            values,
            trim,
            blocking_ns: elapsed_ns(*since),
            handed: Instant::now(),
        };
        *since = Instant::now();
        let handed = if wait {
            drops::run_and_wait(batch)
        } else {
            drops::hand_off(batch)
        };
        match handed {
            Ok(()) => !wait,
            Err(batch) => {
                report.unloaded.truncate(listed);
                report.unloads.truncate(listed);
                self.drop_here(batch.values, report);
                report.trim = batch.trim.then(memory::trim);
                false
            }
        }
    }
}

/// Module values handed to the drop thread and not dropped yet.
pub(crate) fn pending_drops() -> u64 {
    drops::pending() as u64
}
