//! LUGS: sweeps that unload idle modules when all five protections pass, and the ZAFP
//! heat refresh that runs at the start of each sweep.

use crate::config::millis;
use crate::gateway::Gateway;
use crate::memory::{self, Pressure, TrimReport};
use crate::module::{Policy, Protection};
use crate::registry::ModuleHandle;
use crate::sync::lock_std;
use crate::zafp::{Heat, HeatWindow};
use crate::Error;
use serde::Serialize;
use std::cell::Cell;
use std::sync::atomic::Ordering::*;
use std::sync::mpsc;
use std::time::Duration;

/// State kept between sweeps (behind the gateway's sweep lock).
pub(crate) struct SweepState {
    /// Calls of each operation in its sliding window.
    pub heat: Vec<HeatWindow>,
    /// Heat level of each operation as of the last sweep.
    pub levels: Vec<Heat>,
    /// Fast-path calls per operation as of the last sweep.
    pub fast_seen: Vec<u64>,
}

impl SweepState {
    pub fn new(ops: usize) -> Self {
        Self {
            heat: (0..ops).map(|_| HeatWindow::default()).collect(),
            levels: vec![Heat::Cold; ops],
            fast_seen: vec![0; ops],
        }
    }
}

/// What one sweep did.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct SweepReport {
    /// Modules unloaded, least recently used first.
    pub unloaded: Vec<String>,
    /// Modules that stayed, with the protection that kept each.
    pub blocked: Vec<(String, Protection)>,
    /// Heap bytes the unloads gave back (counting allocator), if known.
    pub reclaimed_bytes: Option<u64>,
    /// Operations promoted to the fast path.
    pub promoted: Vec<String>,
    /// Operations demoted from the fast path.
    pub demoted: Vec<String>,
    /// Result-cache entries that had expired and were dropped.
    pub expired_cache_entries: usize,
    /// Memory pressure when the sweep started (with a `MEMORY_BUDGET_MB`).
    pub pressure: Option<Pressure>,
    /// RSS around the trim, if `trim_on_unload` is set and something was unloaded.
    pub trim: Option<TrimReport>,
}

impl Gateway {
    /// Runs a sweep now: refreshes heat (promoting and demoting fast paths), drops expired
    /// cache entries, then unloads every module that passes the protections, least
    /// recently used first.
    ///
    /// ```
    /// let report = lmms::gateway().sweep();
    /// println!("unloaded {:?}, kept {:?}", report.unloaded, report.blocked);
    /// ```
    pub fn sweep(&self) -> SweepReport {
        let mut st = lock_std(&self.lugs);
        let now = self.now_ms();
        self.next_sweep_ms.store(
            now.saturating_add(millis(self.config.sweep_interval)),
            Relaxed,
        );
        self.sweep_locked(&mut st, now)
    }

    /// Unloads module `name` now, whatever its policy, heat, cache dependencies, grace
    /// period or the floor: only an active call keeps it (then the error names it).
    /// Returns whether it was resident.
    ///
    /// ```
    /// assert!(lmms::gateway().unload("no_such_module").is_err());
    /// ```
    pub fn unload(&self, name: &str) -> Result<bool, Error> {
        let m = self.module_handle(name)?;
        let st = lock_std(&self.lugs);
        let index = m.cell_index() as usize;
        for &op in &self.reg.ops_of_module[index] {
            self.reg.ops[op].empty_slot();
        }
        let result = self.try_unload(m);
        drop(st);
        match result {
            Ok(freed) => Ok(freed.is_some()),
            Err(protection) => Err(Error::UnloadRefused {
                module: name.to_string(),
                protection,
            }),
        }
    }

    /// Unloads `m` (re-checking active calls and fast-path pins atomically with the drop)
    /// and counts the attempt. `Ok(Some(bytes))` when it was unloaded.
    fn try_unload(&self, m: &'static dyn ModuleHandle) -> Result<Option<Option<u64>>, Protection> {
        self.counters.unload_attempts.fetch_add(1, Relaxed);
        match m.unload() {
            Ok(Some(reclaimed)) => {
                self.counters.lugs_unloads.fetch_add(1, Relaxed);
                if let Some(b) = reclaimed.bytes {
                    self.counters.memory_reclaimed_bytes.fetch_add(b, Relaxed);
                }
                crate::trace::unloaded(m.name(), reclaimed.bytes);
                Ok(Some(reclaimed.bytes))
            }
            Ok(None) => Ok(None),
            Err(p) => {
                self.counters.blocked(p);
                Err(p)
            }
        }
    }

    pub(crate) fn sweep_locked(&self, st: &mut SweepState, now: u64) -> SweepReport {
        let mut report = SweepReport::default();
        self.counters.sweeps.fetch_add(1, Relaxed);
        self.refresh_heat(st, now, &mut report);
        report.expired_cache_entries = crate::cache::purge_expired(self, now);
        if !self.config.unloading {
            return report;
        }
        let mut pressure = self.pressure();
        report.pressure = pressure;
        let modules = &self.reg.modules;
        let mut lru: Vec<usize> = (0..modules.len())
            .filter(|&i| modules[i].is_resident() && modules[i].policy() != Policy::Core)
            .collect();
        lru.sort_by_key(|&i| modules[i].last_use_ms());
        let mut resident = modules.iter().filter(|m| m.is_resident()).count();
        for i in lru {
            let m = modules[i];
            let emergency = pressure.is_some_and(|p| p >= Pressure::High);
            let verdict = match self.protections(st, i, now, resident, emergency) {
                Ok(()) => self.try_unload(m),
                Err(p) => {
                    self.counters.unload_attempts.fetch_add(1, Relaxed);
                    self.counters.blocked(p);
                    Err(p)
                }
            };
            match verdict {
                Ok(Some(bytes)) => {
                    resident -= 1;
                    report.unloaded.push(m.name().to_string());
                    report.reclaimed_bytes = bytes.map(|b| b + report.reclaimed_bytes.unwrap_or(0));
                    if emergency {
                        pressure = self.pressure();
                    }
                }
                Ok(None) => {}
                Err(p) => report.blocked.push((m.name().to_string(), p)),
            }
        }
        if !report.unloaded.is_empty() && self.config.trim_on_unload {
            report.trim = Some(memory::trim());
        }
        report
    }

    /// Protections 1–5 for module `i`, in SPEC order. The unload itself re-checks active
    /// calls and fast-path pins atomically with the drop.
    fn protections(
        &self,
        st: &SweepState,
        i: usize,
        now: u64,
        resident: usize,
        emergency: bool,
    ) -> Result<(), Protection> {
        let m = self.reg.modules[i];
        if m.active_calls() > 0 {
            return Err(Protection::ActiveCalls);
        }
        if self.reg.ops_of_module[i]
            .iter()
            .any(|&op| st.levels[op].is_hot())
        {
            return Err(Protection::HotOperation);
        }
        if m.cache_deps() > 0 {
            return Err(Protection::CacheDependencies);
        }
        if m.policy() == Policy::Utility && !emergency {
            if now.saturating_sub(m.last_use_ms()) < millis(self.config.grace_period) {
                return Err(Protection::GracePeriod);
            }
            if resident <= self.config.min_resident_modules {
                return Err(Protection::ResidentFloor);
            }
        }
        Ok(())
    }

    /// Aggregates per-thread call counts into each operation's window; fills the slots of
    /// operations that turned HOT (at most `MAX_HOT_PATHS`, least recently active emptied
    /// first) and empties those that cooled down.
    fn refresh_heat(&self, st: &mut SweepState, now: u64, report: &mut SweepReport) {
        let (totals, fast) = crate::local::totals(self.reg.ops.len());
        let window = millis(self.config.heat_window);
        let threshold = self.config.fast_path_threshold;
        for (i, op) in self.reg.ops.iter().enumerate() {
            let calls = st.heat[i].update(totals[i], now, window);
            // Fast-path calls record no last use themselves (no clock on that path): count
            // them as a use at this sweep, so protection 4 sees recent fast-path use.
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
                crate::trace::promoted(&op.common().key(), calls);
            } else if was.is_hot() && !level.is_hot() {
                self.counters.demotions.fetch_add(1, Relaxed);
                report.demoted.push(op.common().key());
                crate::trace::demoted(&op.common().key(), calls);
            }
            if !level.is_hot() || !self.config.fast_path {
                op.empty_slot();
            }
        }
        if !self.config.fast_path {
            return;
        }
        // Fill the hottest candidates first, within MAX_HOT_PATHS.
        let mut want: Vec<usize> = (0..self.reg.ops.len())
            .filter(|&i| st.levels[i].is_hot() && self.reg.ops[i].module().is_some())
            .collect();
        want.sort_by_key(|&i| std::cmp::Reverse(st.heat[i].last_active_ms));
        for (rank, &i) in want.iter().enumerate() {
            if rank >= self.config.max_hot_paths {
                self.reg.ops[i].empty_slot();
            }
        }
        for &i in want.iter().take(self.config.max_hot_paths) {
            self.reg.ops[i].fill_slot();
        }
    }

    /// Memory pressure against `MEMORY_BUDGET_MB` (live heap if counted, else RSS).
    pub fn pressure(&self) -> Option<Pressure> {
        let budget = self.config.memory_budget_bytes?;
        let used = memory::live_heap_bytes().or_else(memory::rss_bytes)?;
        Some(Pressure::of(used, budget))
    }

    /// Heat level of every operation as of the last sweep, by `interface.op`.
    pub(crate) fn heat_of(&self, op: usize) -> (Heat, u64) {
        let st = lock_std(&self.lugs);
        (st.levels[op], st.heat[op].calls())
    }

    /// Starts a background thread that sweeps every `interval` (stop it with
    /// [`Gateway::stop_sweeper`] or by starting another). Not useful on Lambda, where the
    /// environment is frozen between invocations: sweep at invocation boundaries there.
    pub fn start_sweeper(&'static self, interval: Duration) {
        self.stop_sweeper();
        let (tx, rx) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("lmms-sweeper".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
                    self.sweep();
                }
            })
            .ok();
        *lock_std(&self.sweeper) = handle.map(|h| Sweeper {
            stop: tx,
            handle: h,
        });
    }

    /// Stops the background sweeper, waiting for its current sweep to end.
    pub fn stop_sweeper(&self) {
        let sweeper = lock_std(&self.sweeper).take();
        if let Some(s) = sweeper {
            drop(s.stop);
            let _ = s.handle.join();
        }
    }

    /// End-of-call maintenance: at most every 64 slow calls per thread it reads the clock,
    /// and sweeps if `sweep_interval` has passed and no other sweep is running.
    #[inline]
    pub(crate) fn after_call(&self) {
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
            self.maybe_sweep();
        }
    }

    #[cold]
    fn maybe_sweep(&self) {
        let now = self.now_ms();
        if now < self.next_sweep_ms.load(Relaxed) {
            return;
        }
        if let Ok(mut st) = self.lugs.try_lock() {
            self.next_sweep_ms.store(
                now.saturating_add(millis(self.config.sweep_interval)),
                Relaxed,
            );
            self.sweep_locked(&mut st, now);
        }
    }
}

pub(crate) struct Sweeper {
    stop: mpsc::Sender<()>,
    handle: std::thread::JoinHandle<()>,
}
