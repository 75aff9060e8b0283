//! The fast path's pins: for each operation with a module, a word in a `thread_local!`
//! of its own ([`FastWord`], declared by `#[lmms::operation]` next to the operation's
//! static), which is at once the thread's pin of the operation and its count of the
//! operation's fast-path calls. Its address is fixed at compile time (a thread-pointer
//! offset): an inlined call finds it without an index, a bounds check or a record.
//!
//! The word holds twice the fast-path calls finished on the thread, plus [`PINNED`] while
//! a call is in progress, plus two flags that make the inlined entry refuse it:
//!
//! * [`OFF`]: the inlined entry is not for this thread now — the word is not yet
//!   registered in the thread's record (a fresh word), the operation's slot was found
//!   empty (not HOT), or the process has no `membarrier`, so a pin needs a full fence,
//!   which only the out-of-line entry runs. Only the out-of-line entry
//!   ([`FastWord::enter_out_of_line`]) clears it, after registering the word.
//! * [`FULL`]: the count reached 2^61 on this thread: both entries refuse, and the
//!   thread's further calls of the operation take the slow path and are counted there
//!   (saturating). Nothing wraps.
//!
//! So the inlined entry ([`FastWord::enter`]) is: load the word; if none of
//! `OFF | FULL | PINNED` is set, store it `+ 1` (pinned), light fence, load the slot;
//! leaving stores `+ 2` (`Release`). A nested call of the same operation finds the word
//! pinned and takes the out-of-line path, which sends it to the slow path.
//!
//! The unloader finds the word through the thread's record ([`ThreadRecord::fast`]: one
//! pointer per operation, set by the thread itself before its first pin of it), under the
//! records lock. The pointer is cleared — and the word made `OFF` again — by the thread's
//! own exit (`Registration`'s drop, under the same lock), which runs before the thread's
//! `thread_local!` storage goes away, and with no fast-path call of the thread in
//! progress: a fast-path pin lives only inside `call::run`, on the thread's stack, and
//! thread-local destructors run one after another, never inside such a call.

use super::{Records, ThreadRecord};
use crate::sync::{maybe_const, AtomicPtr, AtomicU64};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// A fast-path call of the operation is in progress on the thread.
const PINNED: u64 = 1;
/// The count reached 2^61: no fast-path call of the operation on this thread any more.
const FULL: u64 = 1 << 62;
/// The inlined entry refuses the word (not registered, slot empty, or full fences only).
const OFF: u64 = 1 << 63;
/// Any of these set: the inlined entry takes the out-of-line path.
const REFUSE: u64 = OFF | FULL | PINNED;

/// The calls a word counts (`FULL` is the top bit of the count).
fn count_of(word: u64) -> u64 {
    (word & !(OFF | PINNED)) >> 1
}

/// One thread's pin and fast-path call count of one operation: the `thread_local!` that
/// `#[lmms::operation]` declares for each blocking operation with a module.
#[doc(hidden)]
pub struct FastWord(AtomicU64);

impl FastWord {
    maybe_const! {
        /// A word not registered yet: the inlined entry refuses it.
        fn new() -> Self {
            Self(AtomicU64::new(OFF))
        }
    }

    /// The inlined entry: pins the operation on this thread and loads `from`, unless the
    /// word is `OFF`, `FULL` or already pinned, or `from` is null (`None`: nothing written,
    /// or the word restored).
    #[inline(always)]
    pub(crate) fn enter<T>(&self, from: &AtomicPtr<T>) -> Option<FastPinned<'_, T>> {
        // Only this thread writes its words: a plain load and store, no read-modify-write.
        let n = self.0.load(Relaxed);
        if n & REFUSE != 0 {
            return None;
        }
        FastPinned::pin(from, &self.0, n, false)
    }

    /// The out-of-line entry, for a filled slot (`from`) of operation `op`: registers the
    /// word in `rec` (this thread's record) if it is not yet, then pins with the fence the
    /// process needs now. The inlined entry takes the word from the next call on if the
    /// fence is the light one (it clears `OFF` with this pin). `None` for a nested call
    /// of the same operation, a `FULL` word or a null `from`.
    #[inline]
    pub(crate) fn enter_out_of_line<T>(
        &self,
        from: &AtomicPtr<T>,
        rec: &'static ThreadRecord,
        op: usize,
    ) -> Option<FastPinned<'_, T>> {
        let n = self.0.load(Relaxed);
        if n & (PINNED | FULL) != 0 || !rec.register_fast(op, &self.0) {
            return None;
        }
        // Settled once `false` (see `crate::fence`): a word taken inline stays light.
        let strong = crate::fence::strong_fences();
        let n = if strong { n | OFF } else { n & !OFF };
        FastPinned::pin(from, &self.0, n, strong)
    }

    /// The operation's slot is empty: sends this thread's calls of it straight to the
    /// out-of-line path (one load and a test) until the slot is filled again.
    #[inline]
    pub(crate) fn switch_off(&self) {
        let n = self.0.load(Relaxed);
        if n & (OFF | PINNED) == 0 {
            self.0.store(n | OFF, Relaxed);
        }
    }

    /// The word as it is (tests).
    #[cfg(test)]
    pub(crate) fn raw(&self) -> u64 {
        self.0.load(Relaxed)
    }

    /// Sets the word (tests).
    #[cfg(test)]
    pub(crate) fn set_raw(&self, n: u64) {
        self.0.store(n, Relaxed)
    }

    /// The fast-path calls the word counts (tests).
    #[cfg(test)]
    pub(crate) fn calls(&self) -> u64 {
        count_of(self.raw())
    }

    /// The word's value with `calls` fast-path calls counted, not pinned, not `OFF`
    /// (tests).
    #[cfg(test)]
    pub(crate) fn counting(calls: u64) -> u64 {
        calls * 2
    }
}

impl ThreadRecord {
    /// Registers `word` as this thread's fast-path word of operation `op`; whether it is
    /// (false for an operation the record does not count). Called by the record's own
    /// thread only, before its first pin of the word: an unload that sees the pin sees
    /// the pointer too (both precede the pin's fence).
    pub(crate) fn register_fast(&self, op: usize, word: &AtomicU64) -> bool {
        let Some(slot) = self.fast.get(op) else {
            return false;
        };
        let word = std::ptr::from_ref(word).cast_mut();
        let was = slot.load(Relaxed);
        if was.is_null() {
            slot.store(word, Release);
            return true;
        }
        was == word
    }

    /// This thread's fast-path word of operation `op`, if registered. `_held`: the records
    /// lock, under which a word's thread cannot exit (and free it) before the pointer is
    /// cleared.
    fn fast_word<'a>(&self, op: usize, _held: &'a Records) -> Option<&'a AtomicU64> {
        let p = self.fast.get(op)?.load(Acquire);
        // SAFETY: a non-null pointer is the registering thread's own `thread_local!` word,
        // which lives until that thread's thread-local storage is freed; its exit clears
        // the pointer under the records lock first (`Registration`'s drop), and `_held`
        // proves that lock is held for `'a`.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// Slow-path calls of operation `op` on this thread.
    pub(super) fn slow_calls(&self, op: usize) -> u64 {
        if op >= self.ops {
            return 0;
        }
        self.calls.get(op).map_or(0, |c| c.load(Relaxed))
    }

    /// Fast-path calls of operation `op` finished on this thread.
    pub(super) fn fast_calls(&self, op: usize, held: &Records) -> u64 {
        self.fast_word(op, held)
            .map_or(0, |w| count_of(w.load(Relaxed)))
    }

    /// All counts in the totals' layout: slow-path calls, fast-path calls, cache hits.
    pub(super) fn counts<'a>(&'a self, held: &'a Records) -> impl Iterator<Item = u64> + 'a {
        let (slow, hits) = self.calls.split_at(self.ops);
        let load = |c: &AtomicU64| c.load(Relaxed);
        slow.iter()
            .map(load)
            .chain((0..self.ops).map(move |op| self.fast_calls(op, held)))
            .chain(hits.iter().map(load))
    }

    /// Takes this thread's fast-path counts out, one per operation, and hands its words
    /// back: each made `OFF` with a zero count and unregistered. Run by the record's own
    /// thread as it exits, under the records lock (`held`), with no fast-path call of the
    /// thread in progress (see this module's docs).
    pub(super) fn retire_fast(&self, held: &Records) -> Vec<u64> {
        (0..self.ops)
            .map(|op| {
                let Some(w) = self.fast_word(op, held) else {
                    return 0;
                };
                let n = w.load(Relaxed);
                debug_assert_eq!(n & PINNED, 0, "a fast-path call outlived its thread");
                w.store(OFF, Relaxed);
                self.fast[op].store(std::ptr::null_mut(), Relaxed);
                count_of(n)
            })
            .collect()
    }

    /// Fast-path calls in progress on an operation of `module` (`held.op_modules`: each
    /// operation's module).
    pub(super) fn fast_pins_of(&self, module: u32, held: &Records) -> usize {
        (0..self.ops)
            .filter(|&op| {
                held.op_modules.get(op) == Some(&module)
                    && self
                        .fast_word(op, held)
                        .is_some_and(|w| w.load(Acquire) & PINNED != 0)
            })
            .count()
    }

    /// Whether no fast-path word is registered (a new or recycled record).
    #[cfg(test)]
    pub(super) fn no_fast_words(&self) -> bool {
        self.fast.iter().all(|p| p.load(Relaxed).is_null())
    }

    /// Whether a fast-path call of operation `op` is in progress (the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn fast_pinned(&self, op: usize) -> bool {
        let held = crate::sync::lock_std(&super::RECORDS);
        self.fast_word(op, &held)
            .is_some_and(|w| w.load(Acquire) & PINNED != 0)
    }
}

/// A fast-path call in progress: its operation's word on this thread is pinned. Not
/// `Send`: the word belongs to this thread. Dropping it ends (and counts) the call.
pub(crate) struct FastPinned<'w, T> {
    value: *const T,
    word: &'w AtomicU64,
    /// The word's value once the call is over: one more call finished, not pinned.
    done: u64,
}

impl<'w, T> FastPinned<'w, T> {
    /// Stores `n + 1` (pinned) into `word`, fence (a full one if `strong_fence`: no
    /// membarrier in this process, see [`crate::fence::strong_fences`]), loads `from`.
    /// `None`, with `n` stored back, if it is null. `n` is even and below `FULL`'s next
    /// count (the callers check), so `n + 2` does not carry into the flags.
    #[inline(always)]
    fn pin(from: &AtomicPtr<T>, word: &'w AtomicU64, n: u64, strong_fence: bool) -> Option<Self> {
        word.store(n + 1, Relaxed);
        crate::fence::light_fence(strong_fence);
        let value = from.load(Acquire);
        if value.is_null() {
            word.store(n, Release);
            return None;
        }
        Some(FastPinned {
            value,
            word,
            done: n + 2,
        })
    }
}

impl<T> std::ops::Deref for FastPinned<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the value was loaded non-null after this thread pinned its word (which is
        // registered in its record) behind a light fence. An unload empties the fast-path
        // slots and clears the value, runs the heavy fence and backs off while any
        // registered word of an operation of the module is pinned (`local::any_pins`), so
        // the value stays alive until `drop` stores the unpinned word with `Release`.
        unsafe { &*self.value }
    }
}

impl<T> Drop for FastPinned<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.word.store(self.done, Release);
    }
}
