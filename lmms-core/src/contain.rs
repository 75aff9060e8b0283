//! Running user code whose panic must not escape: a module's `Drop`, a waker's `wake` or
//! `drop`, a `tracing` subscriber. The runtime calls it where a panic would leave a cell
//! half-changed (a drop never marked done, waiters never woken, tickets never returned),
//! so the panic is caught and its payload discarded.
//!
//! A panic payload is a value too: its own `Drop` may panic, with a payload of its own.
//! [`discard`] drops each payload under `catch_unwind`, and the payload of a panic in that
//! drop in turn, up to [`NESTED_PANICS`] deep; a payload still panicking at that depth is
//! leaked (`mem::forget`) rather than dropped once more, which could go on without end.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

/// Runs `f`, containing a panic; `Err` carries nothing (the payload is discarded).
pub(crate) fn contain<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    catch_unwind(AssertUnwindSafe(f)).map_err(discard)
}

/// Payloads dropped in a chain (each the panic of the previous one's `Drop`) before the
/// next is leaked.
pub(crate) const NESTED_PANICS: usize = 8;

/// Drops a caught panic's payload without letting a panic in its own `Drop` escape.
pub(crate) fn discard(mut payload: Box<dyn Any + Send>) {
    for _ in 0..NESTED_PANICS {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(nested) => payload = nested,
        }
    }
    std::mem::forget(payload);
}

/// Wakes every waker (each `wake` contained, so one that panics cannot keep the others
/// asleep). Call with no lock held: `wake` is user code.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        let _ = contain(move || waker.wake());
    }
}

/// Drops a waker (user code, which may panic) with no lock held, containing a panic.
pub(crate) fn drop_waker(waker: Option<Waker>) {
    if let Some(waker) = waker {
        let _ = contain(move || drop(waker));
    }
}
