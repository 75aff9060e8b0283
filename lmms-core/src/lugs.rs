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

use crate::config::{millis, UnloadStrategy};
use crate::gateway::Gateway;
use crate::memory::{self, Pressure, TrimReport};
use crate::module::{Policy, Protection};
use crate::strategy::{Candidate, Knobs, Rule, Unload, UnloadReason};
use crate::sync::lock_std;
use crate::working_set::{ThrashWarning, Tier};
use crate::Error;
use serde::Serialize;
use std::sync::atomic::Ordering::*;
use std::sync::{mpsc, MutexGuard};
use std::time::Duration;

/// What one sweep did.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct SweepReport {
    /// Modules unloaded, in the order they went.
    pub unloaded: Vec<String>,
    /// Each unload with its reason and the figures it used.
    pub unloads: Vec<Unload>,
    /// Modules that stayed, with the protection (or decision) that kept each.
    pub blocked: Vec<(String, Protection)>,
    /// Heap bytes the unloads gave back (counting allocator), if known.
    pub reclaimed_bytes: Option<u64>,
    /// Operations promoted to the fast path.
    pub promoted: Vec<String>,
    /// Operations demoted from the fast path.
    pub demoted: Vec<String>,
    /// Result-cache entries that had expired and were dropped.
    pub expired_cache_entries: usize,
    /// Memory pressure when the sweep started (with a memory budget).
    pub pressure: Option<Pressure>,
    /// The strategy in force.
    pub strategy: Option<UnloadStrategy>,
    /// Why the sweep decided by another rule than its strategy's (e.g. bytes unknown).
    pub fallback: Option<String>,
    /// RSS around the trim, if `trim_on_unload` is set and something was unloaded.
    pub trim: Option<TrimReport>,
    /// Set when this sweep saw thrash: a module rebuilt soon after its pressure eviction,
    /// kept at HIGH pressure from now on ([`ThrashWarning`]).
    pub thrash: Option<ThrashWarning>,
}

impl Gateway {
    /// Runs a sweep now: refreshes heat (promoting and demoting fast paths), drops expired
    /// cache entries, then unloads what the unload strategy chooses.
    ///
    /// ```
    /// let report = lmms::gateway().sweep();
    /// println!("unloaded {:?}, kept {:?}", report.unloaded, report.blocked);
    /// ```
    pub fn sweep(&self) -> SweepReport {
        self.sweep_from(lock_std(&self.lugs), None)
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
                self.account(m.name(), value.finish());
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
            let _ = self
                .counters
                .memory_reclaimed_bytes
                .fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_add(b)));
        }
        let _ = crate::contain::contain(|| crate::trace::unloaded(name, r.bytes));
        r.bytes
    }

    /// A sweep, starting with the sweep state locked (by [`Gateway::sweep`], or by the
    /// end-of-call `try_lock`): an invocation boundary. `room`: the sweep that makes room
    /// before a build, with the bytes about to be allocated, counted as in use when
    /// pressure is measured (not a boundary).
    pub(crate) fn sweep_from<'a>(
        &'a self,
        mut st: MutexGuard<'a, crate::heat::SweepState>,
        room: Option<u64>,
    ) -> SweepReport {
        let headroom = room.unwrap_or(0);
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
            return report;
        }
        let rule = self.rule(&mut report);
        let mut pressure = self.pressure_settled(headroom);
        report.pressure = pressure;
        let mut first = true;
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
            for (value, mut unload) in step {
                unload.reclaimed_bytes = self.account(&unload.module, value.finish());
                report.reclaimed_bytes = match (report.reclaimed_bytes, unload.reclaimed_bytes) {
                    (a, None) => a,
                    (a, Some(b)) => Some(a.unwrap_or(0).saturating_add(b)),
                };
                report.unloaded.push(unload.module.clone());
                report.unloads.push(unload);
            }
            if !stepwise {
                break;
            }
            pressure = self.pressure_settled(headroom);
            st = lock_std(&self.lugs);
        }
        if !report.unloaded.is_empty() && self.config.trim_on_unload {
            report.trim = Some(memory::trim());
        }
        if let Some(seen) = thrash {
            report.thrash = Some(self.thrash_warning(seen));
        }
        report
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
                            working_set: c.tier != Tier::Outside,
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
        let budget = self.config.memory_budget_bytes?;
        let used = memory::rss_bytes().or_else(memory::live_heap_bytes)?;
        Some(Pressure::of(used, budget))
    }

    /// [`Gateway::pressure`], after returning freed pages to the OS when it reads HIGH or
    /// above: pages the allocator kept after an unload are not memory in use.
    /// `headroom` bytes more are counted as in use (a build about to run).
    fn pressure_settled(&self, headroom: u64) -> Option<Pressure> {
        // No budget, no pressure: nothing to read.
        let budget = self.config.memory_budget_bytes?;
        let with = |p: Option<u64>| Some(Pressure::of(p?.saturating_add(headroom), budget));
        let used = || memory::rss_bytes().or_else(memory::live_heap_bytes);
        match with(used())? {
            p if p >= Pressure::High => {
                memory::trim();
                with(used())
            }
            p => Some(p),
        }
    }

    /// Starts a background thread that sweeps every `interval` (stop it with
    /// [`Gateway::stop_sweeper`] or by starting another). Not useful on Lambda, where the
    /// environment is frozen between invocations: sweep at invocation boundaries there.
    ///
    /// After a `fork()` the child has no sweeper thread (threads are not inherited): there,
    /// the parent's sweeper is forgotten, not joined, and this starts the child's own.
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
        *lock_std(&self.sweeper) = handle.map(|h| crate::gateway::Sweeper {
            stop: tx,
            handle: h,
            pid: std::process::id(),
        });
    }

    /// Stops the background sweeper, waiting for its current sweep to end. In a child
    /// forked after the sweeper started, there is no sweeper thread: the parent's record
    /// is forgotten, not joined (nothing to wait for).
    pub fn stop_sweeper(&self) {
        let sweeper = lock_std(&self.sweeper).take();
        match sweeper {
            Some(s) if s.pid == std::process::id() => {
                drop(s.stop);
                let _ = s.handle.join();
            }
            // Forked: the thread and the channel's other end live in the parent only.
            // Forget both (a few bytes): joining or detaching a thread of another process,
            // or waking its waiters, is undefined.
            Some(s) => std::mem::forget(s),
            None => {}
        }
    }
}
