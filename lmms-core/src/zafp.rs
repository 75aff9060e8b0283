//! ZAFP: the fast path of HOT operations (which operations are HOT is [`crate::heat`]'s).
//!
//! # How a fast-path call stays safe without touching a shared counter
//!
//! A slot holds the module's value pointer while the operation is HOT. A fast-path call
//! (inlined into the operation's wrapper, [`crate::call::run`]):
//!
//! 1. loads the operation's word in this thread's `thread_local!`
//!    ([`crate::local::FastWord`], declared by `#[lmms::operation]`: its address is a
//!    constant offset from the thread pointer) and, unless it is flagged (not registered
//!    in the thread's record, not HOT when last seen, no `membarrier`, saturated) or
//!    already pinned (a nested call), stores it pinned (`+ 1`),
//! 2. runs a light fence, then loads the slot; null means "take the slow path",
//! 3. calls the function on the value and stores the word unpinned, one call more
//!    (`+ 2`, `Release`).
//!
//! Nothing of this is shared with other threads' calls: the word is the pin and the heat
//! counter at once, and only its thread writes it. A flagged word sends the call out of
//! line: if the slot is empty, the word is flagged so the next calls skip the pin
//! ([`FastSlot::filled_for`]); else ([`FastSlot::enter_out_of_line`]) the word is
//! registered in the thread's record, so that unloads and sweeps find it, and the call
//! pins with the fence the process needs (a full one without `membarrier`). An unload of
//! a module whose slot was filled must first empty the slot, then run the heavy fence,
//! then find no thread pinning the module, through any of its operations' registered
//! words ([`crate::local::any_pins`]) — else it backs off, like under an active slow
//! call.
//!
//! The light/heavy pair is the asymmetric fence of [`crate::fence`]: either the unloader
//! sees the pin, or the caller sees the emptied slot.

use crate::cell::Module;
use crate::local::{self, FastPinned, FastWord};
use crate::sync::{maybe_const, AtomicPtr};
use std::sync::atomic::Ordering::*;

/// The fast-path slot of one operation on module type `T`.
#[doc(hidden)]
pub struct FastSlot<T> {
    value: AtomicPtr<T>,
}

impl<T: Module> FastSlot<T> {
    maybe_const! {
        /// An empty slot.
        fn new() -> Self {
            Self { value: AtomicPtr::new(std::ptr::null_mut()) }
        }
    }

    /// Fills the slot with the module's resident value. Run under the sweep lock (no
    /// unload can run concurrently). Returns false if the module is not resident.
    pub(crate) fn fill(&self) -> bool {
        let cell = T::cell();
        let value = cell.value_ptr();
        if value.is_null() || self.is_filled() {
            return false;
        }
        // The first promotion registers for membarrier (once): the calls that find the slot
        // filled then take the light fence, inline, if the registration succeeded.
        crate::fence::register();
        cell.fast_refs.fetch_add(1, SeqCst);
        self.value.store(value, SeqCst);
        true
    }

    /// Empties the slot; the module then needs a pin check before it can be unloaded.
    pub(crate) fn empty(&self) -> bool {
        if !self.take() {
            return false;
        }
        T::cell().fast_refs.fetch_sub(1, SeqCst);
        true
    }
}

impl<T> FastSlot<T> {
    pub(crate) fn is_filled(&self) -> bool {
        !self.value.load(Relaxed).is_null()
    }

    /// The inlined entry: pins operation `word`'s (this thread's word of the operation)
    /// and loads the slot, unless the word sends the call out of line.
    #[inline(always)]
    pub(crate) fn enter<'w>(&self, word: &'w FastWord) -> Option<FastPinned<'w, T>> {
        word.enter(&self.value)
    }

    /// For a call the inlined entry refused: whether the slot is filled (then try
    /// [`FastSlot::enter_out_of_line`]); if it is not, flags `word` so that this thread's
    /// next calls of the operation skip the pin (one load and a test inline).
    #[inline]
    pub(crate) fn filled_for(&self, word: &FastWord) -> bool {
        if self.is_filled() {
            return true;
        }
        word.switch_off();
        false
    }

    /// The out-of-line entry of operation `op` (its registry index), for a call the
    /// inlined one refused while the slot was filled: registers `word` in this thread's
    /// record and pins it with the fence the process needs. `None`: take the slow path
    /// (the slot was emptied, a nested call of the operation, an operation the record
    /// does not count, or a thread being torn down).
    #[inline]
    pub(crate) fn enter_out_of_line<'w>(
        &self,
        word: &'w FastWord,
        op: usize,
    ) -> Option<FastPinned<'w, T>> {
        word.enter_out_of_line(&self.value, local::current()?, op)
    }

    /// A slot filled with `value` (tests and the loom model).
    #[cfg(test)]
    pub(crate) fn filled_with(value: *mut T) -> Self {
        Self {
            value: AtomicPtr::new(value),
        }
    }

    /// The caller's half of the protocol on this slot, out of line (the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn pin_on<'w>(
        &self,
        word: &'w FastWord,
        rec: &'static local::ThreadRecord,
        op: usize,
    ) -> Option<FastPinned<'w, T>> {
        word.enter_out_of_line(&self.value, rec, op)
    }

    /// The unloader's first half: empty the slot (`SeqCst`, before the heavy fence).
    pub(crate) fn take(&self) -> bool {
        !self.value.swap(std::ptr::null_mut(), SeqCst).is_null()
    }
}
