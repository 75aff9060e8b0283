//! The data path of a call, top to bottom. Generated wrappers call these (through
//! `lmms::__private`):
//!
//! 1. **Fast path** ([`run`], inlined into the wrapper): the operation is HOT and its slot
//!    is filled → pin the module on this thread, count one call, run the body on the
//!    pre-resolved value, unpin.
//! 2. **Slow path** (`run_slow` → `enter_slow`, out of line): the gateway is ready (no
//!    configuration or registration fault) → count heat → acquire the module (LIGS: build
//!    it on first use, waiting for a concurrent builder) → run the same body closure.
//! 3. **End of call** ([`Call`]'s `Drop`): record last use, release the module, and now
//!    and then run a sweep (LUGS + ZAFP promotion).
//!
//! Async calls take [`enter_async`] (always the slow path, with a `Send` counted hold);
//! stateless calls [`enter_stateless`]. A cached operation checks its cache before any of
//! these (see [`crate::cache`]).

use crate::error::Error;
use crate::gateway::{ready, Gateway};
use crate::local;
use crate::module::{Hold, Module, ModuleCell, ModuleGuard};
use crate::operation::{Operation, StatelessOperation};
use std::sync::atomic::Ordering::Relaxed;

/// A blocking call in progress on module `T`'s value; derefs to it.
#[doc(hidden)]
pub struct Call<T: Module> {
    hold: Hold<T>,
    /// The gateway, for end-of-call bookkeeping; `None` on the fast path, which has none.
    slow: Option<&'static Gateway>,
}

/// Runs a blocking call of `op`: `body` on the module's value, through the fast path if
/// the slot is filled, else the slow path. This is what a generated wrapper calls: the
/// fast branch is inlined into it (pin, one counter, body, unpin), the slow branch is one
/// out-of-line call that receives the same closure.
#[inline(always)]
pub fn run<T: Module, R>(
    op: &'static Operation<T>,
    body: impl FnOnce(&T) -> R,
) -> Result<R, Error> {
    if let Some(pinned) = op.slot.enter(&op.common.index) {
        return Ok(body(&pinned));
    }
    // The out-of-line slow path returns its (rare) error boxed: `Result<R, Box<Error>>`
    // comes back in registers for a register-sized `R`, where a `Result<R, Error>` would
    // live in memory and make the fast branch above store its result there too.
    run_slow(op, body).map_err(|e| *e)
}

#[inline(never)]
fn run_slow<T: Module, R>(
    op: &'static Operation<T>,
    body: impl FnOnce(&T) -> R,
) -> Result<R, Box<Error>> {
    let call = enter_slow(op).map_err(Box::new)?;
    Ok(body(&call))
}

#[inline]
fn enter_slow<T: Module>(op: &'static Operation<T>) -> Result<Call<T>, Error> {
    let gw = ready()?;
    count(op.common.index());
    let hold = T::cell().acquire(T::NAME, &T::builder())?;
    Ok(Call {
        hold,
        slow: Some(gw),
    })
}

/// Async form of [`run`]: awaits an async module build. Always the slow path: a
/// fast-path pin belongs to one thread and a task may move between threads.
pub async fn enter_async<T: Module>(op: &'static Operation<T>) -> Result<AsyncCall<T>, Error> {
    let gw = ready()?;
    count(op.common.index());
    let guard = T::cell().acquire_async(T::NAME, &T::builder()).await?;
    Ok(AsyncCall { guard, gw })
}

/// An async call in progress on module `T`'s value; `Send`, derefs to the value.
#[doc(hidden)]
pub struct AsyncCall<T: 'static> {
    guard: ModuleGuard<T>,
    gw: &'static Gateway,
}

impl<T> std::ops::Deref for AsyncCall<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Drop for AsyncCall<T> {
    fn drop(&mut self) {
        end_slow_call(self.guard.cell(), self.gw);
    }
}

/// Records the end of a slow-path call (its guard is released right after, as fields drop
/// after `drop`, so an end-of-call sweep still sees the module in use).
#[inline]
fn end_slow_call<T>(cell: &ModuleCell<T>, gw: &'static Gateway) {
    // Write only when the (millisecond) time moved on: an unconditional store from every
    // call would bounce the cell's cache line, which every caller reads, between cores.
    let now = gw.now_ms();
    if cell.last_use_ms.load(Relaxed) < now {
        cell.last_use_ms.store(now, Relaxed);
    }
    gw.after_call();
}

#[inline]
fn count(op: usize) {
    if let Some(rec) = local::current() {
        rec.count(op);
    }
}

impl<T: Module> std::ops::Deref for Call<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.hold
    }
}

impl<T: Module> Drop for Call<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(gw) = self.slow {
            end_slow_call(T::cell(), gw);
        }
    }
}

/// A call of an operation without module state.
#[doc(hidden)]
pub struct StatelessCall {
    gw: &'static Gateway,
}

/// Enters a call of a stateless operation.
#[inline]
pub fn enter_stateless(op: &'static StatelessOperation) -> Result<StatelessCall, Error> {
    let gw = ready()?;
    count(op.common.index());
    Ok(StatelessCall { gw })
}

impl Drop for StatelessCall {
    #[inline]
    fn drop(&mut self) {
        self.gw.after_call();
    }
}
