//! Building a module's value (LIGS): one build under contention, its outcome shared by
//! every caller that waited for it, and the build handed to those callers before anything
//! can unload it.
//!
//! * Concurrent first callers wait for one `init`. Success: each waiter (and the builder)
//!   gets a [`Ticket`], which keeps the value from being detached until the caller has taken
//!   its hold — a call is served by the build it waited for. Failure: every waiter of that
//!   attempt gets the error; nothing is cached, the next call retries. A panic in `init`
//!   becomes an error; an async builder that is cancelled ends its attempt and its waiters
//!   retry.
//! * An operation of a module called from that module's own `init` (sync or async), or from
//!   its `Drop`, gets an error at once — never a deadlock, never a second instance. So does
//!   an init's call that would wait, through inits on other threads or tasks, for itself
//!   (`build/cycle.rs`).
//! * A blocking call of a module whose `init` is async gets [`Error::AsyncInitRequired`]
//!   unless the value is resident, even while an async build runs: a blocking wait there
//!   would stall an executor thread, or deadlock a current-thread runtime.
//! * `init` and the `tracing` event of a load run with no runtime lock held.
//!
//! Blocking builds are here; async callers' (`acquire_async`, `build_async` and the futures
//! they await) are in `build/async_build.rs`.

mod async_build;
mod cycle;

use crate::cell::{BuildState, Hold, ModuleCell, Phase, RawCell};
use crate::cost::BuildStart;
use crate::error::{Error, InitError};
use crate::memory;
use crate::module::{Builder, ErasedInit};
use crate::sync::{current_thread, lock, MutexGuard};
pub(crate) use cycle::in_any_init;
use cycle::{in_init, InInit, Waiting};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

/// Proof that the holder waited for (or made) the resident build: while any ticket is out
/// the value cannot be detached. Dropping it gives the value back to LUGS.
pub(crate) struct Ticket {
    cell: &'static RawCell,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(&self.cell.state).tickets -= 1;
    }
}

/// What the state says to a caller that found no resident value.
enum Next {
    Resident(Ticket),
    Build(u64),
    /// Wait for build `attempt`; the waits it records for cycle detection end with it.
    WaitBuild(u64, Waiting),
    WaitDrop,
}

impl<T: Send + Sync + 'static> ModuleCell<T> {
    /// Enters a blocking call: a hold on the resident value, building it first if needed.
    /// `name` and `builder` describe the module for errors and the build. Inlined: the
    /// resident case (a warm call) is a pin and a load in the caller.
    #[inline]
    pub(crate) fn acquire(
        &'static self,
        name: &'static str,
        builder: &Builder<T>,
    ) -> Result<Hold<T>, Error> {
        loop {
            if let Some(hold) = self.try_hold() {
                return Ok(hold);
            }
            let ticket = match builder.init {
                ErasedInit::Sync(init) => self.build_blocking(name, Some(init)),
                ErasedInit::Async(_) => self.build_blocking(name, None),
            }?;
            // The ticket keeps the value resident: this hold is on the build we waited for.
            let hold = self.try_hold();
            drop(ticket);
            if let Some(hold) = hold {
                return Ok(hold);
            }
        }
    }
}

impl RawCell {
    /// Under the state lock: a ticket on the resident value, or what to do instead.
    fn next(
        &'static self,
        st: &mut BuildState,
        name: &'static str,
        async_init: bool,
    ) -> Result<Next, Error> {
        if !self.value.load(SeqCst).is_null() {
            st.tickets += 1;
            return Ok(Next::Resident(Ticket { cell: self }));
        }
        match st.phase {
            Phase::Building if in_init(self) => Err(init_failed(
                name,
                "its init called one of its own operations (cyclic init)",
            )),
            Phase::Dropping(t) if t == current_thread() => Err(Error::ModuleUnloading {
                module: name.to_string(),
            }),
            _ if async_init => Err(Error::AsyncInitRequired {
                module: name.to_string(),
            }),
            Phase::Building => {
                let waits = cycle::wait_for(self, name)?;
                st.waiting += 1;
                Ok(Next::WaitBuild(st.attempt, waits))
            }
            Phase::Dropping(_) => Ok(Next::WaitDrop),
            Phase::Idle => {
                st.phase = Phase::Building;
                st.attempt += 1;
                Ok(Next::Build(st.attempt))
            }
        }
    }

    /// Builds the value unless one is resident; with a build already running, waits for it
    /// and shares its outcome. `init` is `None` for a module whose init is async: a
    /// blocking call cannot build it.
    fn build_blocking(
        &'static self,
        name: &'static str,
        init: Option<&dyn Fn() -> Result<*mut (), InitError>>,
    ) -> Result<Ticket, Error> {
        let mut st = lock(&self.state);
        let attempt = loop {
            match self.next(&mut st, name, init.is_none())? {
                Next::Resident(ticket) => return Ok(ticket),
                Next::Build(attempt) => break attempt,
                Next::WaitBuild(attempt, _waits) => {
                    while st.phase != Phase::Idle && st.attempt == attempt {
                        st = wait(&self.changed, st);
                    }
                    if let Some(result) = self.outcome_of(&st, attempt) {
                        return result;
                    }
                }
                Next::WaitDrop => {
                    // A drop handed over to this thread meanwhile (the drop thread, in
                    // another module's `Drop`) is not waited for: `next` refuses it.
                    while matches!(st.phase, Phase::Dropping(t) if t != current_thread()) {
                        st = wait(&self.changed, st);
                    }
                }
            }
        };
        drop(st);
        let Some(init) = init else {
            unreachable!("`next` refuses a blocking build of an async init")
        };
        let t0 = BuildStart::now();
        let (outcome, bytes) = memory::attribute_to(|| {
            let _busy = InInit::enter(self, name);
            catch_unwind(AssertUnwindSafe(init))
        });
        self.finish_build(name, attempt, outcome, bytes, t0)
    }

    /// The waiter's share of finished attempt `attempt`: a ticket (counted for it by the
    /// builder) or the error; `None` if the attempt was abandoned (retry).
    fn outcome_of(&'static self, st: &BuildState, attempt: u64) -> Option<Result<Ticket, Error>> {
        match &st.outcome {
            Some((a, Ok(()))) if *a == attempt => Some(Ok(Ticket { cell: self })),
            Some((a, Err(e))) if *a == attempt => Some(Err(e.clone())),
            _ => None,
        }
    }

    fn finish_build(
        &'static self,
        name: &'static str,
        attempt: u64,
        outcome: std::thread::Result<Result<*mut (), InitError>>,
        bytes: Option<u64>,
        started: BuildStart,
    ) -> Result<Ticket, Error> {
        let result = match outcome {
            Ok(Ok(value)) => {
                let (ns, rss_growth) = started.finish();
                self.costs.record_build(ns, bytes, rss_growth);
                self.bytes.store(bytes.unwrap_or(u64::MAX), Relaxed);
                self.builds.fetch_add(1, Relaxed);
                // Still BUILDING: no detach can run before the tickets below are counted.
                self.value.store(value, SeqCst);
                Ok(())
            }
            Ok(Err(cause)) => Err(Error::InitFailed {
                module: name.to_string(),
                cause,
            }),
            Err(panic) => {
                let why = format!("init panicked: {}", panic_message(&*panic));
                // Before the state is settled: the payload's own `Drop` may panic.
                crate::contain::discard(panic);
                Err(init_failed(name, &why))
            }
        };
        let mut previous = None;
        self.settle(|st| {
            st.phase = Phase::Idle;
            if result.is_ok() {
                // One ticket for the builder, one for each waiter of this attempt.
                st.tickets += 1 + st.waiting;
            }
            st.waiting = 0;
            previous = st.outcome.replace((attempt, result.clone()));
        });
        // The previous attempt's error may hold the last reference to a user's error, whose
        // `Drop` may call back into the gateway (this cell's state lock included): dropped
        // after the lock, and contained like any user `Drop`.
        let _ = crate::contain::contain(move || drop(previous));
        // After the state is settled, and contained: a subscriber may panic or call back.
        if result.is_ok() {
            let _ = crate::contain::contain(|| crate::trace::loaded(name, bytes));
        }
        result.map(|()| Ticket { cell: self })
    }
}

fn wait<'a, S>(cv: &crate::sync::Condvar, g: MutexGuard<'a, S>) -> MutexGuard<'a, S> {
    cv.wait(g).unwrap_or_else(|p| p.into_inner())
}

fn init_failed(module: &str, why: &str) -> Error {
    Error::InitFailed {
        module: module.to_string(),
        cause: InitError::msg(why),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
