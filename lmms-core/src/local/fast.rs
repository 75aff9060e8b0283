//! The fast path's pins: one word per operation in each thread's record that is at once
//! the operation's fast-path call count and its pin, so a fast-path call writes its
//! record twice (enter, leave) and nothing else.
//!
//! The word holds twice the fast-path calls finished on the thread, plus one while a call
//! is in progress: entering stores `n + 1` (odd: pinned), then the light fence, then loads
//! the slot; leaving stores `n + 2` (`Release`). That is the same hold as a module pin —
//! "store my mark, fence, load the value" — with the mark being the odd word, and an
//! unload finds it by the operation's module ([`ThreadRecord::fast_pins_of`]). A call of
//! the same operation nested in one in progress on the thread (the word is already odd)
//! takes the slow path, as does a word about to saturate: nothing wraps.

use super::ThreadRecord;
use crate::sync::{AtomicPtr, AtomicU64};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

impl ThreadRecord {
    /// Slow-path calls of operation `op` on this thread.
    pub(super) fn slow_calls(&self, op: usize) -> u64 {
        if op >= self.ops {
            return 0;
        }
        self.calls.get(op).map_or(0, |c| c.load(Relaxed))
    }

    /// Fast-path calls of operation `op` finished on this thread.
    pub(super) fn fast_calls(&self, op: usize) -> u64 {
        self.fast.get(op).map_or(0, |w| w.load(Relaxed) / 2)
    }

    /// All counts in the totals' layout: slow-path calls, fast-path calls, cache hits.
    pub(super) fn counts(&self) -> impl Iterator<Item = u64> + '_ {
        let (slow, hits) = self.calls.split_at(self.ops);
        let load = |c: &AtomicU64| c.load(Relaxed);
        slow.iter()
            .map(load)
            .chain(self.fast.iter().map(move |w| load(w) / 2))
            .chain(hits.iter().map(load))
    }

    /// Whether a fast-path call is in progress on this record (its own thread only).
    pub(super) fn any_fast_pin(&self) -> bool {
        self.fast.iter().any(|w| w.load(Relaxed) & 1 == 1)
    }

    /// Fast-path calls in progress on an operation of `module` (`op_modules`: each
    /// operation's module).
    pub(crate) fn fast_pins_of(&self, module: u32, op_modules: &[u32]) -> usize {
        self.fast
            .iter()
            .zip(op_modules)
            .filter(|&(w, &m)| m == module && w.load(Acquire) & 1 == 1)
            .count()
    }

    #[cfg(test)]
    pub(crate) fn set_fast_word_for_test(&self, op: usize, n: u64) {
        self.fast[op].store(n, Relaxed);
    }

    #[cfg(test)]
    pub(crate) fn fast_word_for_test(&self, op: usize) -> u64 {
        self.fast[op].load(Relaxed)
    }

    /// Whether a fast-path call of operation `op` is in progress (the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn fast_pinned(&self, op: usize) -> bool {
        self.fast.get(op).is_some_and(|w| w.load(Acquire) & 1 == 1)
    }
}

/// A fast-path call in progress: operation `op`'s word in this thread's record is odd.
/// Not `Send`: the word belongs to this thread. Dropping it ends (and counts) the call.
pub(crate) struct FastPinned<T> {
    value: *const T,
    word: &'static AtomicU64,
    /// The word's value once the call is over: one more call finished, not pinned.
    done: u64,
}

impl<T> FastPinned<T> {
    /// Pins operation `op` on `rec`, light fence, loads `from`. `None` (nothing written,
    /// or the word restored) if `from` is null, `op` is not counted by `rec`, the word is
    /// already pinned (a nested call of the same operation) or about to saturate.
    /// `strong_fence`: no membarrier in this process, so the caller's side must be a full
    /// fence ([`crate::fence::strong_fences`]).
    #[inline(always)]
    pub(crate) fn pin(
        from: &AtomicPtr<T>,
        rec: &'static ThreadRecord,
        op: usize,
        strong_fence: bool,
    ) -> Option<Self> {
        let word = rec.fast.get(op)?;
        // Only this thread writes its words: a plain load and store, no read-modify-write.
        let n = word.load(Relaxed);
        // One test for both refusals: rotated right by one, an odd word has its top bit
        // set, and the only even word whose `+ 2` would wrap (`u64::MAX - 1`) becomes
        // `u64::MAX >> 1`.
        if n.rotate_right(1) >= u64::MAX >> 1 {
            return None;
        }
        let done = n + 2;
        word.store(n + 1, Relaxed);
        crate::fence::light_fence(strong_fence);
        let value = from.load(Acquire);
        if value.is_null() {
            word.store(n, Release);
            return None;
        }
        Some(FastPinned { value, word, done })
    }
}

impl<T> std::ops::Deref for FastPinned<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the value was loaded non-null after this thread made its word odd behind
        // a light fence. An unload empties the fast-path slots and clears the value, runs
        // the heavy fence and backs off while any thread's word for an operation of the
        // module is odd (`local::any_pins`), so the value stays alive until `drop` stores
        // the even word with `Release`.
        unsafe { &*self.value }
    }
}

impl<T> Drop for FastPinned<T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.word.store(self.done, Release);
    }
}
