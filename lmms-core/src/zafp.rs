//! ZAFP: the fast path of HOT operations (which operations are HOT is [`crate::heat`]'s).
//!
//! # How a fast-path call stays safe without touching a shared counter
//!
//! A slot holds the module's value pointer while the operation is HOT. A fast-path call:
//!
//! 1. writes a *pin* into its own thread's record: the operation's word there, which
//!    counts the thread's fast-path calls of it, made odd ([`crate::local::FastPinned`]),
//! 2. runs a light fence, then loads the slot; null means "take the slow path",
//! 3. calls the function on the value and makes the word even again, one call more
//!    (`Release`).
//!
//! Nothing of this is shared with other threads' calls: the word is the pin and the heat
//! counter at once, and lives in the calling thread's record. An unload of a module whose
//! slot was filled must first empty the slot, then run the heavy fence, then find no
//! thread pinning the module, through any of its operations ([`crate::local::any_pins`])
//! — else it backs off, like under an active slow call.
//!
//! The light/heavy pair is the asymmetric fence of [`crate::fence`]: either the unloader
//! sees the pin, or the caller sees the emptied slot.

use crate::cell::Module;
use crate::fence::strong_fences;
use crate::local::{self, FastPinned};
use crate::sync::{maybe_const, AtomicPtr, AtomicU32};
use std::sync::atomic::Ordering::*;

/// The fast-path slot of one operation on module type `T`.
#[doc(hidden)]
pub struct FastSlot<T> {
    value: AtomicPtr<T>,
    /// The operation's registry index, and in the top bit whether pins need a full fence:
    /// both fixed by the time the slot is first filled, and kept next to `value` so a
    /// fast-path call reads one cache line.
    meta: AtomicU32,
}

/// `FastSlot::meta`'s flag bit: pins need a full fence. Set, it puts the index out of
/// every record's range, so the inlined fast path refuses the slot and the out-of-line
/// one ([`FastSlot::enter_strong`]) takes it: the full fence costs far more than the call.
const STRONG_FENCE: u32 = 1 << 31;

/// `FastSlot::meta` of an empty slot: no operation, no flag.
const NO_OP: u32 = STRONG_FENCE - 1;

impl<T: Module> FastSlot<T> {
    maybe_const! {
        /// An empty slot.
        fn new() -> Self {
            Self { value: AtomicPtr::new(std::ptr::null_mut()), meta: AtomicU32::new(NO_OP) }
        }
    }

    pub(crate) fn is_filled(&self) -> bool {
        !self.value.load(Relaxed).is_null()
    }

    /// Fills the slot of operation `op` (its registry index) with the module's resident
    /// value. Run under the sweep lock (no unload can run concurrently). Returns false if
    /// the module is not resident.
    pub(crate) fn fill(&self, op: usize) -> bool {
        let cell = T::cell();
        let value = cell.value_ptr();
        let Some(op) = u32::try_from(op).ok().filter(|&i| i < NO_OP) else {
            return false;
        };
        if value.is_null() || self.is_filled() {
            return false;
        }
        // The first promotion registers for membarrier (once), so the side recorded here
        // is settled: the light one from now on if the registration succeeded.
        crate::fence::register();
        let strong = if strong_fences() { STRONG_FENCE } else { 0 };
        self.meta.store(op | strong, Relaxed);
        cell.fast_refs.fetch_add(1, SeqCst);
        self.value.store(value, SeqCst);
        true
    }

    /// Empties the slot; the module then needs a pin check before it can be unloaded.
    pub(crate) fn empty(&self) -> bool {
        if !self.take() {
            return false;
        }
        // Calls of a HOT-no-more operation stop at the first load again.
        self.meta.store(NO_OP, Relaxed);
        T::cell().fast_refs.fetch_sub(1, SeqCst);
        true
    }
}

impl<T> FastSlot<T> {
    /// Enters a fast-path call if the slot is filled: pins the operation (and so its
    /// module) on this thread, which also counts the call's heat there.
    #[inline(always)]
    pub(crate) fn enter(&self) -> Option<FastPinned<T>> {
        // An empty slot costs one load: no thread-local access for operations that are
        // not hot. `meta` is this operation's index (with its flag) or `NO_OP`, never
        // another operation's, so whichever is read, the pin below is this operation's
        // or none; whether the slot is filled is decided by the load after the pin.
        let meta = self.meta.load(Relaxed);
        if meta == NO_OP {
            return None;
        }
        let rec = local::existing()?;
        // With `STRONG_FENCE` set the index is out of range: refused here, taken by
        // `enter_strong`.
        FastPinned::pin(&self.value, rec, meta as usize, false)
    }

    /// Whether the slot was filled for pins that need a full fence ([`FastSlot::enter_strong`]).
    #[inline(always)]
    pub(crate) fn needs_strong_fence(&self) -> bool {
        self.meta.load(Relaxed) & STRONG_FENCE != 0
    }

    /// [`FastSlot::enter`] for a slot whose pins need a full fence (no membarrier in this
    /// process): called out of line, by the slow path, before anything else.
    #[inline]
    pub(crate) fn enter_strong(&self) -> Option<FastPinned<T>> {
        let meta = self.meta.load(Relaxed);
        if meta & STRONG_FENCE == 0 {
            return None;
        }
        let rec = local::existing()?;
        FastPinned::pin(&self.value, rec, (meta & !STRONG_FENCE) as usize, true)
    }

    /// A slot filled with `value` for operation `op` (tests of both entries).
    #[cfg(test)]
    pub(crate) fn filled_for_test(value: *mut T, op: u32, strong: bool) -> Self {
        let flag = if strong { STRONG_FENCE } else { 0 };
        Self {
            value: AtomicPtr::new(value),
            meta: AtomicU32::new(op | flag),
        }
    }

    /// The caller's half of the protocol on this slot (for the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn pin_on(
        &self,
        rec: &'static local::ThreadRecord,
        op: usize,
    ) -> Option<FastPinned<T>> {
        FastPinned::pin(&self.value, rec, op, true)
    }

    /// The unloader's first half: empty the slot (`SeqCst`, before the heavy fence).
    pub(crate) fn take(&self) -> bool {
        !self.value.swap(std::ptr::null_mut(), SeqCst).is_null()
    }

    #[cfg(all(test, loom))]
    pub(crate) fn filled_with(value: *mut T) -> Self {
        Self {
            value: AtomicPtr::new(value),
            meta: AtomicU32::new(STRONG_FENCE),
        }
    }
}
