//! LUGS: the sweep that unloads modules, and forced unloads.
//!
//! A sweep refreshes heat (ZAFP promotion and demotion, [`crate::heat`]), drops expired
//! cache entries, then unloads step by step: [`Rule::pick`](crate::strategy) chooses, the
//! module cell detaches the value (re-checking holds, cache dependencies and idle time on
//! exact figures), and the value is dropped **after the sweep lock is released** — a
//! module's `Drop` may call back into the gateway (stats, another sweep, an unload, even
//! one of its own operations, which gets a clear error). Under memory pressure a step
//! evicts one module, and pressure is measured again (after returning freed pages to the
//! OS, since the platform counts RSS) before the next.
//!
//! Where the drop runs: [`Gateway::sweep`] and forced unloads drop inline, before they
//! return. The sweeps that run inside a user's call (end of call) and on the background
//! sweeper only decide and detach, and hand the drops and the trim to the drop thread
//! ([`drops`]), so the call that ran the sweep does not wait for them.

mod drops;
mod handoff;
mod report;
mod sweeper;

use crate::config::{millis, UnloadStrategy};
use crate::gateway::Gateway;
use crate::memory::{self, Pressure};
use crate::module::{Policy, Protection};
use crate::strategy::{Candidate, Knobs, Rule, Unload, UnloadReason};
use crate::sync::lock_std;
use crate::working_set::Tier;
use crate::Error;
use drops::Batch;
pub use drops::DeferredDrops;
pub(crate) use handoff::pending_drops;
pub use report::SweepReport;
use report::{elapsed_ns, timed};
use std::sync::atomic::Ordering::*;
use std::sync::{MutexGuard, TryLockError};
use std::time::Instant;

impl Gateway {
    /// Runs a sweep now: refreshes heat (promoting and demoting fast paths), drops expired
    /// cache entries, then unloads what the unload strategy chooses.
    ///
    /// The drops run here, before it returns; drops that sweeps at the end of calls or on
    /// the background sweeper handed to the drop thread are waited for first (their memory
    /// is gone before pressure is measured) and at the end, and reported in
    /// [`SweepReport::deferred`]. (Called from a module's `init` or `Drop`, it does not wait
    /// for them: see [`Gateway::drain_drops`].)
    ///
    /// ```
    /// let report = lmms::gateway().sweep();
    /// println!("unloaded {:?}, kept {:?}", report.unloaded, report.blocked);
    /// println!("earlier sweeps' drops: {:?}", report.deferred.unloads);
    /// ```
    pub fn sweep(&self) -> SweepReport {
        let started = Instant::now();
        drops::drain();
        let mut report = self.sweep_from(lock_std(&self.lugs), None);
        // Drops a concurrent end-of-call sweep handed over meanwhile.
        drops::drain();
        report.deferred = drops::take_finished();
        report.blocking_ns = elapsed_ns(started);
        report
    }

    /// Unloads module `name` now, whatever its policy, heat, cache dependencies, grace
    /// period or the floor: only a call in flight keeps it (then the error names it).
    /// Returns whether it was resident.
    ///
    /// ```
    /// assert!(lmms::gateway().unload("no_such_module").is_err());
    /// ```
    pub fn unload(&self, name: &str) -> Result<bool, Error> {
        let m = self.module_handle(name)?;
        let mut st = lock_std(&self.lugs);
        for &op in &self.reg.ops_of_module[m.cell_index() as usize] {
            self.reg.ops[op].empty_slot();
        }
        self.counters.unload_attempts.fetch_add(1, Relaxed);
        let detached = m.detach(&|_| Ok(()));
        if let Ok(Some(_)) = detached {
            let i = m.cell_index() as usize;
            st.note_unload(i, self.calls_now(i));
        }
        drop(st);
        match detached {
            Ok(Some(value)) => {
                self.counters.reason(UnloadReason::Explicit);
                self.account(m.name(), drops::finish(value));
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(protection) => {
                self.counters.blocked(protection);
                Err(Error::UnloadRefused {
                    module: name.to_string(),
                    protection,
                })
            }
        }
    }

    /// Counts a finished unload; returns the bytes it freed.
    fn account(&self, name: &str, r: crate::cell::Reclaimed) -> Option<u64> {
        self.counters.lugs_unloads.fetch_add(1, Relaxed);
        if let Some(b) = r.bytes {
            let reclaimed = &self.counters.memory_reclaimed_bytes;
            crate::sync::add_saturating(reclaimed, b, Relaxed, Relaxed);
        }
        let _ = crate::contain::contain(|| crate::trace::unloaded(name, r.bytes));
        r.bytes
    }

    /// A sweep that drops inline, starting with the sweep state locked (by
    /// [`Gateway::sweep`], or before a build that needs room): an invocation boundary.
    /// `room`: the sweep that makes room before a build, with the bytes about to be
    /// allocated, counted as in use when pressure is measured (not a boundary).
    pub(crate) fn sweep_from<'a>(
        &'a self,
        st: MutexGuard<'a, crate::heat::SweepState>,
        room: Option<u64>,
    ) -> SweepReport {
        self.sweep_with(st, room, None)
    }

    /// A sweep inside a user's call (end of call) or on the background sweeper, started
    /// with the sweep state locked: it decides and detaches, and leaves the drops and the
    /// trim to the drop thread. Under memory pressure it waits for them before measuring
    /// again — with no lock held — and it drops inline where it must not wait (in a
    /// module's `init` or `Drop`: see `drops`) or no drop thread can start.
    pub(crate) fn sweep_deferring(
        &'static self,
        st: MutexGuard<'static, crate::heat::SweepState>,
    ) -> SweepReport {
        drops::resume();
        self.sweep_with(st, None, Some(self))
    }

    fn sweep_with<'a>(
        &'a self,
        mut st: MutexGuard<'a, crate::heat::SweepState>,
        room: Option<u64>,
        defer: Option<&'static Gateway>,
    ) -> SweepReport {
        let headroom = room.unwrap_or(0);
        let started = Instant::now();
        let mut report = SweepReport::default();
        let now = self.now_ms();
        self.next_sweep_ms.store(
            now.saturating_add(millis(self.config.sweep_interval)),
            Relaxed,
        );
        self.counters.sweeps.fetch_add(1, Relaxed);
        let totals = self.refresh_heat(&mut st, now, &mut report);
        st.note_builds(&self.reg, &totals, room.is_none());
        let thrash = self.thrash_seen(&st);
        // The expired values are dropped once the sweep lock is released (their `Drop` is
        // user code, which may call back into the gateway).
        let (expired, mut expired_values) = crate::cache::purge_expired(now);
        report.expired_cache_entries = expired;
        if !self.config.unloading {
            drop(st);
            expired_values.release();
            self.emit_heat_events(&report);
            return timed(report, started, false);
        }
        let rule = self.rule(&mut report);
        let mut pressure = match defer {
            None => self.pressure_settled(headroom, None),
            Some(_) => self.pressure_with(headroom),
        };
        if defer.is_some() && pressure >= Some(Pressure::High) {
            // Its trim waits for the drop thread, where a `Drop` may take the sweep lock.
            drop(st);
            pressure = self.pressure_settled(headroom, defer);
            st = match self.lugs.try_lock() {
                Ok(st) => st,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    // Another sweep goes on; what this one saw of thrash is still reported.
                    if let Some(seen) = thrash {
                        report.thrash = Some(self.thrash_warning(seen));
                    }
                    self.emit_heat_events(&report);
                    return timed(report, started, false);
                }
            };
        }
        report.pressure = pressure;
        let mut first = true;
        let mut later = Vec::new();
        // The caller's time not yet carried by a batch handed over.
        let mut since = started;
        loop {
            let step = self.step(&mut st, rule, pressure, &mut report);
            drop(st);
            expired_values.release();
            if first {
                self.emit_heat_events(&report);
                first = false;
            }
            let stepwise = rule.emergency(pressure);
            if step.is_empty() {
                break;
            }
            match defer {
                // Pressure is measured again next: what this step freed must be gone.
                Some(gw) if stepwise => {
                    self.hand_over(gw, step, false, true, &mut since, &mut report);
                }
                Some(_) => later.extend(step),
                None => self.drop_here(step, &mut report),
            }
            if !stepwise {
                break;
            }
            pressure = self.pressure_settled(headroom, defer);
            st = lock_std(&self.lugs);
        }
        if let Some(seen) = thrash {
            report.thrash = Some(self.thrash_warning(seen));
        }
        let trim = !report.unloaded.is_empty() || !later.is_empty();
        let trim = trim && self.config.trim_on_unload;
        match defer {
            Some(gw) => {
                let left = self.hand_over(gw, later, trim, false, &mut since, &mut report);
                timed(report, started, left)
            }
            None => {
                report.trim = trim.then(memory::trim);
                timed(report, started, false)
            }
        }
    }

    /// Calls of module `i`'s operations so far, over all threads (exact, for an unload).
    fn calls_now(&self, i: usize) -> u64 {
        let ops = self.reg.ops.len();
        self.reg.ops_of_module[i].iter().fold(0u64, |t, &op| {
            t.saturating_add(crate::local::total_of(op, ops))
        })
    }

    /// The rule this sweep runs: the strategy's, or the idle rule when the cost strategy
    /// cannot see bytes.
    fn rule(&self, report: &mut SweepReport) -> Rule {
        report.strategy = Some(self.config.unload_strategy);
        match self.config.unload_strategy {
            UnloadStrategy::Idle => Rule::Idle,
            UnloadStrategy::Cost if memory::live_heap_bytes().is_none() => {
                report.fallback = Some(
                    "bytes unknown (no lmms::memory::CountingAlloc installed): the idle rule decided"
                        .into(),
                );
                Rule::Idle
            }
            UnloadStrategy::Cost if self.config.memory_budget_bytes.is_some() => Rule::Pressure,
            UnloadStrategy::Cost => Rule::BreakEven,
        }
    }

    /// One step: what the rule picks, detached (values not dropped yet).
    fn step(
        &self,
        st: &mut crate::heat::SweepState,
        rule: Rule,
        pressure: Option<Pressure>,
        report: &mut SweepReport,
    ) -> Vec<(crate::cell::Detached, Unload)> {
        if rule == Rule::Pressure && !rule.emergency(pressure) {
            // Below HIGH the pressure rule picks nothing and blocks nothing: skip gathering
            // every resident module's figures (a sweep under a budget runs at every
            // invocation boundary, and Lambda bills its CPU).
            return Vec::new();
        }
        let now = self.now_ms();
        let modules = &self.reg.modules;
        let resident = modules.iter().filter(|m| m.is_resident()).count();
        let cands: Vec<Candidate> = (0..modules.len())
            .filter(|&i| modules[i].is_resident() && modules[i].policy() != Policy::Core)
            .map(|i| self.candidate(st, i))
            .collect();
        let knobs = Knobs {
            grace_ms: millis(self.config.grace_period),
            floor: self.config.min_resident_modules,
            r: self.config.gb_seconds_per_cpu_second,
        };
        let oldest_use = cands.iter().map(|c| c.last_use_ms).min().unwrap_or(now);
        let (picks, blocked) = rule.pick(cands, pressure, now, resident, knobs);
        let mut out = Vec::new();
        for (i, p) in blocked {
            self.block(report, i, p);
        }
        for pick in picks {
            let m = modules[pick.index];
            let verdict = |q: crate::cell::Quiet| {
                if q.cache_deps > 0 {
                    Err(Protection::CacheDependencies)
                } else if self.now_ms().saturating_sub(q.last_use_ms) < pick.min_idle_ms {
                    Err(Protection::GracePeriod)
                } else {
                    Ok(())
                }
            };
            match m.detach(&verdict) {
                Ok(Some(value)) => {
                    self.counters.unload_attempts.fetch_add(1, Relaxed);
                    self.counters.reason(pick.reason);
                    if let Some(h) = pick.priority {
                        st.inflation.raise(now, h, oldest_use);
                    }
                    let c = self.candidate(st, pick.index);
                    st.note_unload(pick.index, self.calls_now(pick.index));
                    if rule == Rule::Pressure {
                        st.ws.evicted(pick.index);
                    }
                    out.push((
                        value,
                        Unload {
                            module: m.name().to_string(),
                            reason: pick.reason,
                            bytes: c.bytes,
                            reclaimed_bytes: None,
                            build_ns: c.build_ns,
                            uses: c.uses,
                            idle_ms: now.saturating_sub(c.last_use_ms),
                            priority: pick.priority,
                            break_even_ms: pick.break_even_ms,
                            pressure,
                            // Only the pressure rule reads the working set.
                            working_set: rule == Rule::Pressure && c.tier != Tier::Outside,
                        },
                    ));
                }
                Ok(None) => {}
                Err(p) => self.block(report, pick.index, p),
            }
        }
        out
    }

    /// Protections 1–3 and the figures the rules read, for module `i`.
    fn candidate(&self, st: &crate::heat::SweepState, i: usize) -> Candidate {
        let m = self.reg.modules[i];
        let protected = if m.active_calls() > 0 {
            Some(Protection::ActiveCalls)
        } else if self.reg.ops_of_module[i]
            .iter()
            .any(|&op| st.levels[op].is_hot())
        {
            Some(Protection::HotOperation)
        } else if m.cache_deps() > 0 {
            Some(Protection::CacheDependencies)
        } else {
            None
        };
        Candidate {
            index: i,
            policy: m.policy(),
            bytes: m.bytes(),
            build_ns: m.mean_build_ns(),
            uses: st.uses_since_build(i),
            last_use_ms: m.last_use_ms(),
            inflation: st.inflation.at(m.last_use_ms()),
            protected,
            tier: st.ws.tier(i, self.config.working_set_invocations),
        }
    }

    /// Records that module `i` stayed (once per sweep, counted as a refused attempt).
    fn block(&self, report: &mut SweepReport, i: usize, p: Protection) {
        let name = self.reg.modules[i].name();
        if !report.blocked.iter().any(|(n, _)| n == name) {
            self.counters.unload_attempts.fetch_add(1, Relaxed);
            self.counters.blocked(p);
            report.blocked.push((name.to_string(), p));
        }
    }

    /// Memory pressure against the memory budget, measured as the platform counts: RSS
    /// (the live heap where RSS cannot be read). `None` without a budget.
    ///
    /// ```
    /// assert_eq!(lmms::gateway().pressure(), None); // no budget configured here
    /// ```
    pub fn pressure(&self) -> Option<Pressure> {
        self.pressure_with(0)
    }

    /// [`Gateway::pressure`] with `headroom` bytes more counted as in use.
    fn pressure_with(&self, headroom: u64) -> Option<Pressure> {
        let budget = self.config.memory_budget_bytes?;
        let used = memory::rss_bytes().or_else(memory::live_heap_bytes)?;
        Some(Pressure::of(used.saturating_add(headroom), budget))
    }

    /// [`Gateway::pressure`], after returning freed pages to the OS when it reads HIGH or
    /// above: pages the allocator kept after an unload are not memory in use.
    /// `headroom` bytes more are counted as in use (a build about to run). A deferring
    /// sweep (`defer`) has the drop thread trim, and waits for it.
    fn pressure_settled(&self, headroom: u64, defer: Option<&'static Gateway>) -> Option<Pressure> {
        match self.pressure_with(headroom)? {
            p if p >= Pressure::High => {
                let batch = defer.map(|gw| Batch {
                    gw,
                    values: Vec::new(),
                    trim: true,
                    blocking_ns: 0,
                    handed: Instant::now(),
                });
                if !matches!(batch.map(drops::run_and_wait), Some(Ok(()))) {
                    memory::trim();
                }
                self.pressure_with(headroom)
            }
            p => Some(p),
        }
    }
}
