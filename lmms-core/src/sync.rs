//! Synchronization primitives, swapped for `loom`'s under `cfg(loom)` so the model tests
//! explore the very code the runtime runs.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Adds `n` to a counter the runtime keeps, saturating at `u64::MAX`: such a counter never
/// wraps. (`fetch_update`'s loop, written out: that method is being renamed `try_update`,
/// which the supported toolchains do not all have.)
pub(crate) fn add_saturating(
    counter: &std::sync::atomic::AtomicU64,
    n: u64,
    set: std::sync::atomic::Ordering,
    fetch: std::sync::atomic::Ordering,
) {
    let mut now = counter.load(fetch);
    while let Err(seen) = counter.compare_exchange_weak(now, now.saturating_add(n), set, fetch) {
        now = seen;
    }
}

/// A `pub const fn`, or a plain `pub fn` under loom (whose atomics and mutexes have no
/// const constructors): the constructors of the statics generated code declares.
macro_rules! maybe_const {
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$m])* pub const fn $name($($arg: $ty),*) -> $ret $body
        #[cfg(loom)]
        $(#[$m])* pub fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use maybe_const;

/// Locks a mutex, ignoring poisoning: every critical section in the runtime leaves its
/// state consistent before anything that can panic (user code runs outside the locks).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// [`lock`] for the `std` mutexes of process-wide statics (never modelled by loom).
pub(crate) fn lock_std<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The current thread's id (loom's model threads share one OS thread).
#[cfg(loom)]
pub(crate) fn current_thread() -> loom::thread::ThreadId {
    loom::thread::current().id()
}

/// The current thread's id.
#[cfg(not(loom))]
pub(crate) fn current_thread() -> std::thread::ThreadId {
    std::thread::current().id()
}

#[cfg(loom)]
pub(crate) type ThreadId = loom::thread::ThreadId;
#[cfg(not(loom))]
pub(crate) type ThreadId = std::thread::ThreadId;
