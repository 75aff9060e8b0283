//! The home of one module's value: built on first use, dropped when LUGS unloads it, and
//! never two live instances.
//!
//! # The state machine
//!
//! A [`ModuleCell`] holds the module's value behind `value: AtomicPtr<()>` (null = not
//! resident; the type is erased, see [`RawCell`]) and a `state` mutex that serializes the transitions that change `value`:
//!
//! ```text
//!            build (crate::build)                         detach (state locked)
//!   EMPTY ──────────────────────────▶ RESIDENT ─────────────────────────────────▶ DROPPING
//!     ▲                                                                             │
//!     └───────────────── the value's Drop has run (no runtime lock held) ───────────┘
//! ```
//!
//! While DROPPING, `value` is null and no build can start: a caller on another thread
//! waits for the drop to end; a caller on the dropping thread itself (an operation called
//! from the module's own `Drop`) gets [`Error::ModuleUnloading`]. So a new value is only
//! ever built after the old one is gone, and the `Drop` runs with no runtime lock held.
//!
//! A call *holds* the value in one of two ways, each a store followed by a load:
//!
//! * **Pinned** (blocking calls, slow and fast path alike): write the module's index into
//!   the calling thread's own record ([`crate::local`]), light fence, load `value`. Nothing
//!   shared is written, so calls on many threads do not contend.
//! * **Counted** (async calls, whose task may move between threads, and calls nested too
//!   deep to pin): `active += 1`, `fence(SeqCst)`, load `value`.
//!
//! Null means "not resident": the call builds the value (or waits for the builder).
//!
//! **Handoffs.** A build is made for the callers that triggered or awaited it: when it is
//! published, each of them holds a *ticket* ([`crate::build::Ticket`]) until it has taken
//! its hold, and `detach` refuses while any ticket is out. A call is therefore served by
//! the build it waited for; a sweeper racing the callers cannot unload it first.
//!
//! **Detach** (under `state`, so no build can start): refuse while a build runs, a ticket
//! is out, a fast-path slot points at the value or `active` is non-zero; store null into
//! `value`, run the heavy fence ([`crate::fence::heavy_fence`]), then look for holds: any
//! thread pinning the module or a non-zero `active`. None: no call holds the old pointer
//! and none can load it again, so the caller's remaining checks (cache dependencies, last
//! use) are exact — they can only change under a hold. If those pass, the cell moves to
//! DROPPING and hands the value out as a [`Detached`], which drops it (exactly once) after
//! every runtime lock is released. Otherwise the pointer is put back: the unload loses the
//! race and the call is served by the current value.
//!
//! Either the unloader's fence comes first in the fences' total order, and the caller's
//! load after its own fence sees null (it goes to the builder, which waits for the drop),
//! or the caller's fence comes first and the unloader sees its hold. The `loom` models in
//! `src/tests/loom.rs` check both kinds of hold exhaustively (loom models fences, not
//! `SeqCst` accesses, which is why the protocol is written with fences).

use crate::cost::Costs;
use crate::error::Error;
pub(crate) use crate::hold::{Hold, ModuleGuard, Pinned};
pub(crate) use detached::Detached;

mod detached;
use crate::module::{Builder, Policy, Protection};
use crate::sync::{
    fence, lock, maybe_const, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Condvar, Mutex,
};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::task::Waker;

/// Implemented by `#[lmms::module]`; not meant to be implemented by hand.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an lmms module: add `#[lmms::module]` to its definition",
    label = "not an lmms module"
)]
// rustc quotes the line of a failed bound: a state that is not `Send` or `Sync` is
// reported at the `Module` impl with the comment on its line, which names the fix.
pub trait Module:
    Sized
    + Send // a module's state is shared by all threads: use `Mutex`, `RwLock` or atomics, not `Rc`
    + Sync // a module's state is shared by all threads: use `Mutex`, `RwLock` or atomics, not `RefCell`/`Cell`
    + 'static
{
    const NAME: &'static str;
    const POLICY: Policy;
    const FILE: &'static str;
    const LINE: u32;
    fn builder() -> Builder<Self>;
    fn cell() -> &'static ModuleCell<Self>;
}

/// What the state lock guards.
pub(crate) struct BuildState {
    pub phase: Phase,
    /// Build attempts so far; waiters remember the one they waited for.
    pub attempt: u64,
    /// How the latest finished attempt ended (its waiters read it).
    pub outcome: Option<(u64, Result<(), Error>)>,
    /// Callers waiting for the running build: each gets a ticket if it succeeds.
    pub waiting: usize,
    /// Tickets out: callers whose build is published and that have not taken their hold.
    pub tickets: usize,
    /// Async waiters of the running build or drop: one waker per waiter, under the key
    /// the waiter keeps (a re-poll replaces it, a cancelled waiter removes it), so wakers
    /// never pile up however often a pending waiter is polled or dropped.
    pub wakers: BTreeMap<u64, Waker>,
    /// The key of the next async waiter to register.
    pub next_waiter: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    /// A build runs (its thread, or threads for an async one, mark the cell "in init").
    Building,
    /// The detached value is being dropped on this thread.
    Dropping(crate::sync::ThreadId),
}

/// The lazily built, resettable home of one module's value: a [`RawCell`] that knows the
/// value's type. Only the few lines that touch a `T` (a hold's pointer, boxing a built
/// value) are generic; the state machine, builds, waits and unloads are [`RawCell`]'s,
/// compiled once for every module instead of once per module type.
#[doc(hidden)]
pub struct ModuleCell<T> {
    raw: RawCell,
    /// Names `T` without making the cell `!Sync` for a `T` that is not: a state that is
    /// not `Send + Sync` is reported once, at the `Module` impl (which requires both, as
    /// every method that can reach a `T` does), not again at the `static` of its cell.
    _value: PhantomData<fn() -> T>,
}

/// The type-erased part of a [`ModuleCell`]: everything but the value's type.
///
/// Invariant: a `RawCell` is only ever made by [`ModuleCell::new`], for a `T: Send + Sync`,
/// and `value` is null or a `Box<T>` of that `T` turned into a raw pointer, which
/// `drop_value` (`drop_box::<T>`) drops.
#[doc(hidden)]
pub struct RawCell {
    pub(crate) value: AtomicPtr<()>,
    pub(crate) active: AtomicUsize,
    pub(crate) state: Mutex<BuildState>,
    pub(crate) changed: Condvar,
    /// Index in the registry (set when the registry is built; used for memory attribution
    /// and fast-path pins).
    pub(crate) index: AtomicU32,
    /// Clock time (ms) of the latest release of a call.
    pub(crate) last_use_ms: AtomicU64,
    /// Filled fast-path slots pointing at the current value.
    pub(crate) fast_refs: AtomicUsize,
    /// Live result-cache entries computed by this module (protection 3).
    pub(crate) cache_deps: std::sync::atomic::AtomicUsize,
    pub(crate) builds: AtomicU64,
    pub(crate) drops: AtomicU64,
    /// Heap bytes allocated while the current value was built (counting allocator), or
    /// `u64::MAX` if unknown.
    pub(crate) bytes: AtomicU64,
    pub(crate) costs: Costs,
    /// Drops a value of this cell's type, given as the pointer `value` holds.
    drop_value: unsafe fn(*mut ()),
}

/// Drops `value`, a `Box<T>` turned into a raw pointer.
///
/// # Safety
/// `value` came from `Box::<T>::into_raw`, and nothing uses it afterwards.
unsafe fn drop_box<T>(value: *mut ()) {
    // SAFETY: as the caller promises.
    drop(unsafe { Box::from_raw(value.cast::<T>()) });
}

impl<T> std::ops::Deref for ModuleCell<T> {
    type Target = RawCell;
    #[inline(always)]
    fn deref(&self) -> &RawCell {
        &self.raw
    }
}

/// What an unload freed.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Reclaimed {
    /// Heap bytes released during the drop (counting allocator), if known.
    pub bytes: Option<u64>,
}

/// What the unloader's last checks see once no call can hold the value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quiet {
    pub cache_deps: usize,
    pub last_use_ms: u64,
}

impl<T: Send + Sync + 'static> ModuleCell<T> {
    maybe_const! {
        /// An empty cell.
        fn new() -> Self {
        Self {
            raw: RawCell {
            value: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicUsize::new(0),
            state: Mutex::new(BuildState {
                phase: Phase::Idle,
                attempt: 0,
                outcome: None,
                waiting: 0,
                tickets: 0,
                wakers: BTreeMap::new(),
                next_waiter: 0,
            }),
            changed: Condvar::new(),
            index: AtomicU32::new(u32::MAX),
            last_use_ms: AtomicU64::new(0),
            fast_refs: AtomicUsize::new(0),
            cache_deps: std::sync::atomic::AtomicUsize::new(0),
            builds: AtomicU64::new(0),
            drops: AtomicU64::new(0),
            bytes: AtomicU64::new(u64::MAX),
            costs: Costs::new(),
            drop_value: drop_box::<T>,
            },
            _value: PhantomData,
        }
        }
    }

    /// The current value pointer (null when not resident), for filling fast-path slots.
    pub(crate) fn value_ptr(&self) -> *mut T {
        self.value.load(Acquire).cast()
    }

    /// A hold on the resident value, if there is one: pinned on this thread when it can,
    /// else counted.
    #[inline]
    pub(crate) fn try_hold(&'static self) -> Option<Hold<T>> {
        if let Some(p) = self.try_pin() {
            return Some(Hold::Pinned(p));
        }
        self.try_count().map(Hold::Counted)
    }

    /// A pinned hold, if the value is resident and this thread can pin (`None` also when
    /// it cannot: the caller then tries a counted hold, which tells the two apart).
    #[inline]
    fn try_pin(&'static self) -> Option<Pinned<T>> {
        // Under loom the thread records (process-wide) cannot be used across model
        // executions; the pinned protocol is modelled on its own in `tests/loom.rs`.
        #[cfg(loom)]
        return None;
        #[cfg(not(loom))]
        {
            let rec = crate::local::current()?;
            Pinned::pin(
                &self.value,
                rec,
                self.index.load(Relaxed),
                crate::fence::strong_fences(),
            )
        }
    }

    /// A pinned hold taken on a given record (for the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn pin_with(&self, rec: &'static crate::local::ThreadRecord) -> Option<Pinned<T>> {
        Pinned::pin(
            &self.value,
            rec,
            self.index.load(Relaxed),
            crate::fence::strong_fences(),
        )
    }

    /// A counted hold: `active += 1`, fence, load.
    #[inline]
    pub(crate) fn try_count(&'static self) -> Option<ModuleGuard<T>> {
        let value = self.raw.count()?;
        Some(ModuleGuard {
            active: &self.raw.active,
            value: value.cast(),
        })
    }

    /// Detaches (no verdict beyond holds) and drops at once (the cell tests).
    #[cfg(test)]
    pub(crate) fn unload(&'static self) -> Result<Option<Reclaimed>, Protection> {
        Ok(self.detach(&|_| Ok(()))?.map(Detached::finish))
    }
}

impl RawCell {
    /// Whether a value is resident.
    pub fn is_resident(&self) -> bool {
        !self.value.load(Acquire).is_null()
    }

    /// In-flight calls of any kind (a scan of the thread records: for introspection and
    /// sweeps, not the call path).
    pub fn active_calls(&self) -> usize {
        self.active.load(Relaxed) + crate::local::pins_of(self.index.load(Relaxed))
    }

    /// Records a use at `now_ms` (never moves last use backwards) and the idle gap before it.
    pub(crate) fn touch(&self, now_ms: u64) {
        let prev = self.last_use_ms.fetch_max(now_ms, Relaxed);
        if prev > 0 && now_ms > prev {
            self.costs.record_gap(now_ms - prev);
        }
    }

    /// The value, counted: `active += 1`, fence, load; `None` (and not counted) if it is
    /// not resident. [`ModuleCell::try_count`] wraps it in a guard.
    #[inline]
    pub(crate) fn count(&self) -> Option<*mut ()> {
        self.active.fetch_add(1, Relaxed);
        fence(SeqCst);
        let value = self.value.load(Acquire);
        if value.is_null() {
            self.uncount();
            return None;
        }
        Some(value)
    }

    /// Gives back a count [`RawCell::count`] took. `Release`: the holder's use of the
    /// value happens before an unload that reads zero.
    #[inline]
    pub(crate) fn uncount(&self) {
        self.active.fetch_sub(1, Release);
    }

    /// Takes the value out if no call holds it and `verdict` — run once no call can hold
    /// it, so on exact figures — agrees (see the protocol in this module's docs). `Ok(None)`
    /// if nothing was resident. The caller empties the fast-path slots first; a filled one
    /// refuses. The returned [`Detached`] drops the value: let it go after releasing every
    /// runtime lock.
    pub(crate) fn detach(
        &'static self,
        verdict: &dyn Fn(Quiet) -> Result<(), Protection>,
    ) -> Result<Option<Detached>, Protection> {
        let mut st = lock(&self.state);
        if let Phase::Dropping(_) = st.phase {
            // Already unloaded: its value is being dropped (`value` is null). Nothing is
            // resident, and no call holds it.
            return Ok(None);
        }
        if st.phase != Phase::Idle || st.tickets > 0 {
            return Err(Protection::ActiveCalls);
        }
        let value = self.value.load(Acquire);
        if value.is_null() {
            return Ok(None);
        }
        if self.fast_refs.load(SeqCst) != 0 {
            return Err(Protection::HotOperation);
        }
        if self.active.load(Relaxed) != 0 {
            return Err(Protection::ActiveCalls);
        }
        let index = self.index.load(Relaxed);
        self.value.store(std::ptr::null_mut(), Relaxed);
        let quiet = crate::fence::heavy_fence()
            && self.active.load(Acquire) == 0
            && !crate::local::any_pins(index);
        let decided = if quiet {
            verdict(Quiet {
                cache_deps: self.cache_deps.load(Acquire),
                last_use_ms: self.last_use_ms.load(Acquire),
            })
        } else {
            Err(Protection::ActiveCalls)
        };
        if let Err(p) = decided {
            self.value.store(value, Release);
            return Err(p);
        }
        st.phase = Phase::Dropping(crate::sync::current_thread());
        drop(st);
        Ok(Some(Detached { cell: self, value }))
    }

    /// Ends the DROPPING phase and wakes whoever waits to build.
    fn dropped(&self) {
        self.drops.fetch_add(1, Relaxed);
        self.bytes.store(u64::MAX, Relaxed);
        self.settle(|st| st.phase = Phase::Idle);
    }

    /// Changes the state with `f`, then wakes every waiter, blocking and async, after the
    /// lock is released: the one way a build or a drop ends. A waker that panics is
    /// contained: the others are still woken and the caller (a builder about to return its
    /// ticket, a drop ending) goes on.
    pub(crate) fn settle(&self, f: impl FnOnce(&mut BuildState)) {
        let mut st = lock(&self.state);
        f(&mut st);
        let wakers = std::mem::take(&mut st.wakers);
        drop(st);
        self.changed.notify_all();
        crate::contain::wake_all(wakers.into_values());
    }
}

#[cfg(not(loom))]
impl Drop for RawCell {
    fn drop(&mut self) {
        let value = *self.value.get_mut();
        if !value.is_null() {
            // SAFETY: `&mut self` proves no guard borrows the cell; the pointer came from
            // `Box::into_raw` of the cell's type (`module::boxed`), which `drop_value` drops, and is
            // dropped here once.
            unsafe { (self.drop_value)(value) };
        }
    }
}
