//! Builds for async callers: [`ModuleCell::acquire_async`] takes a counted hold (a task may
//! move between threads) and awaits the build. Waiters await a [`Wait`]; the builder is
//! guarded by [`AbortBuild`], so a cancelled build ends its attempt and its waiters retry;
//! [`CatchUnwind`] polls an async `init`, marking the cell "in init" on the polling thread
//! and turning a panic into an error. The state machine and the tickets are the parent
//! module's, shared with blocking builds.

use super::{InInit, Next, Ticket, Waiting};
use crate::cell::{BuildState, ModuleCell, ModuleGuard, Phase, RawCell};
use crate::cost::BuildStart;
use crate::error::{Error, InitError};
use crate::memory;
use crate::module::{Builder, ErasedInit};
use crate::operation::BoxFuture;
use crate::sync::lock;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

impl<T: Send + Sync + 'static> ModuleCell<T> {
    /// Like [`ModuleCell::acquire`] for async calls: a counted hold (`Send`), awaiting an
    /// async build.
    pub(crate) async fn acquire_async(
        &'static self,
        name: &'static str,
        builder: &Builder<T>,
    ) -> Result<ModuleGuard<T>, Error> {
        if let Some(guard) = self.try_count() {
            return Ok(guard);
        }
        let value = self.acquire_counted(name, builder.init).await?;
        Ok(ModuleGuard {
            active: &self.active,
            value: value.cast(),
        })
    }
}

impl RawCell {
    /// Builds the value if it is not resident (an async build), holding it for no call:
    /// what preloading an async module awaits. Not generic: one copy, in the runtime.
    pub(crate) async fn build_unheld(
        &'static self,
        name: &'static str,
        init: ErasedInit<'static>,
    ) -> Result<(), Error> {
        self.acquire_counted(name, init).await?;
        // The count `acquire_counted` took, given back at once.
        self.uncount();
        Ok(())
    }

    /// The value, counted (see [`RawCell::count`]), building it first if needed.
    async fn acquire_counted(
        &'static self,
        name: &'static str,
        init: ErasedInit<'static>,
    ) -> Result<*mut (), Error> {
        loop {
            if let Some(value) = self.count() {
                return Ok(value);
            }
            let ticket = self.build_async(name, init).await?;
            let value = self.count();
            drop(ticket);
            if let Some(value) = value {
                return Ok(value);
            }
        }
    }

    async fn build_async(
        &'static self,
        name: &'static str,
        init: ErasedInit<'_>,
    ) -> Result<Ticket, Error> {
        let attempt = loop {
            let next = self.next(&mut lock(&self.state), name, false)?;
            match next {
                Next::Resident(ticket) => return Ok(ticket),
                Next::Build(attempt) => break attempt,
                Next::WaitBuild(attempt, waits) => {
                    if let Some(result) = Wait::new(self, Some(attempt), Some(waits)).await {
                        return result;
                    }
                }
                Next::WaitDrop => {
                    Wait::new(self, None, None).await;
                }
            }
        };
        // From here on this task is the builder; if it is dropped mid-build (cancelled),
        // the guard ends the attempt so that waiters retry.
        let mut abort = AbortBuild {
            cell: self,
            armed: true,
        };
        let t0 = BuildStart::now();
        let (result, bytes) = match init {
            ErasedInit::Sync(build) => memory::attribute_to(|| {
                let _busy = InInit::enter(self, name);
                catch_unwind(AssertUnwindSafe(build))
            }),
            ErasedInit::Async(build) => {
                CatchUnwind(self, name, memory::Attributed::new(build())).await
            }
        };
        abort.armed = false;
        self.finish_build(name, attempt, result, bytes, t0)
    }
}

/// An async wait for the running build `build` (its outcome), or for a drop to end.
///
/// It keeps one waker in the cell, under its own key: a poll that finds it there with a
/// waker that [`Waker::will_wake`] the same task stores nothing; another waker replaces it;
/// dropping the wait removes it. Wakers are cloned and dropped with the state unlocked
/// (they are user code).
struct Wait {
    cell: &'static RawCell,
    build: Option<u64>,
    done: bool,
    /// This waiter's key in the cell's wakers, once it has registered one.
    key: Option<u64>,
    /// The waits recorded for cycle detection (a build's waiter inside an init).
    _waits: Option<Waiting>,
}

impl Wait {
    fn new(cell: &'static RawCell, build: Option<u64>, waits: Option<Waiting>) -> Self {
        Wait {
            cell,
            build,
            done: false,
            key: None,
            _waits: waits,
        }
    }

    fn pending(&self, st: &BuildState) -> bool {
        match self.build {
            Some(attempt) => st.phase != Phase::Idle && st.attempt == attempt,
            None => matches!(st.phase, Phase::Dropping(_)),
        }
    }

    fn ready(&mut self, st: &BuildState) -> Poll<Option<Result<Ticket, Error>>> {
        self.done = true;
        Poll::Ready(self.build.and_then(|a| self.cell.outcome_of(st, a)))
    }
}

impl Future for Wait {
    type Output = Option<Result<Ticket, Error>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let st = lock(&this.cell.state);
        if !this.pending(&st) {
            return this.ready(&st);
        }
        let stored = this.key.and_then(|k| st.wakers.get(&k));
        if stored.is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        drop(st);
        let waker = cx.waker().clone();
        let mut st = lock(&this.cell.state);
        if !this.pending(&st) {
            let ready = this.ready(&st);
            drop(st);
            crate::contain::drop_waker(Some(waker));
            return ready;
        }
        let key = match this.key {
            Some(key) => key,
            None => {
                let Some(next) = st.next_waiter.checked_add(1) else {
                    // Keys run out after 2^64 waiters: poll again rather than wrap.
                    drop(st);
                    waker.wake();
                    return Poll::Pending;
                };
                let key = st.next_waiter;
                st.next_waiter = next;
                this.key = Some(key);
                key
            }
        };
        let replaced = st.wakers.insert(key, waker);
        drop(st);
        crate::contain::drop_waker(replaced);
        Poll::Pending
    }
}

impl Drop for Wait {
    /// Removes this waiter's waker; a waiter cancelled before it saw the outcome also gives
    /// back what the builder counted for it: its place among the waiters, or its ticket.
    fn drop(&mut self) {
        let unseen = self.build.filter(|_| !self.done);
        if self.key.is_none() && unseen.is_none() {
            return;
        }
        let mut st = lock(&self.cell.state);
        let waker = self.key.and_then(|k| st.wakers.remove(&k));
        if let Some(attempt) = unseen {
            if st.phase != Phase::Idle && st.attempt == attempt {
                st.waiting -= 1;
            } else if matches!(&st.outcome, Some((a, Ok(()))) if *a == attempt) {
                st.tickets -= 1;
            }
        }
        drop(st);
        crate::contain::drop_waker(waker);
    }
}

/// Ends an async build attempt that was cancelled, so its waiters retry.
struct AbortBuild {
    cell: &'static RawCell,
    armed: bool,
}

impl Drop for AbortBuild {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // The waiters' places are void: they see no outcome for their attempt and retry.
        self.cell.settle(|st| {
            st.phase = Phase::Idle;
            st.waiting = 0;
        });
    }
}

/// Polls an async init with the cell marked "in init" on this thread, turning a panic into
/// an error value (and reporting attributed bytes).
struct CatchUnwind(
    &'static RawCell,
    &'static str,
    memory::Attributed<BoxFuture<Result<*mut (), InitError>>>,
);

impl Future for CatchUnwind {
    type Output = (std::thread::Result<Result<*mut (), InitError>>, Option<u64>);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (cell, name) = (self.0, self.1);
        let inner = &mut self.2;
        let _busy = InInit::enter(cell, name);
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready((r, bytes))) => Poll::Ready((Ok(r), bytes)),
            Err(panic) => Poll::Ready((Err(panic), inner.bytes())),
        }
    }
}
