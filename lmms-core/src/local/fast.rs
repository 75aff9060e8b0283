//! The fast path's pins: for each operation with a module, a word in a `thread_local!`
//! of its own ([`FastWord`], declared by `#[lmms::operation]` next to the operation's
//! static), which is at once the thread's pin of the operation and its count of the
//! operation's fast-path calls. Its address is fixed at compile time (a thread-pointer
//! offset): an inlined call finds it without an index, a bounds check or a record.
//!
//! The word `n` holds `BASE` (2) plus twice the fast-path calls finished on the thread
//! since its last drain (below); a call in progress stores `n - 1` (odd: [`PINNED`], and
//! `n` is never below 2, so it cannot wrap). Two flags make the inlined entry refuse it:
//!
//! * [`OFF`]: the inlined entry is not for this thread now — the word is not yet
//!   registered in the thread's record (a fresh word), the operation's slot was found
//!   empty (not HOT), or the process has no `membarrier`, so a pin needs a full fence,
//!   which only the out-of-line entry runs. Only the out-of-line entry
//!   ([`FastWord::enter_out_of_line`]) clears it, after registering the word.
//! * [`FULL`]: the count reached 2^30 − 1. The out-of-line entry *drains* it: under the
//!   records lock (which every reader of the counts holds), it adds the count to the
//!   record's `drained` total (saturating) and sets the word back to `BASE`. So the
//!   count never wraps, the totals never see a call twice or not at all, and the drain
//!   costs one lock per 2^30 calls.
//!
//! So the inlined entry ([`FastWord::enter`]) is: load the word; if no bit outside
//! bits 1–30 is set (one `test` with a 32-bit immediate: `PINNED`, `FULL`, `OFF` and the
//! bits above), store `n - 1` (pinned), light fence, load the slot; leaving stores
//! `n + 2` (`Release`). A nested call of the same operation finds the word pinned and
//! takes the out-of-line path, which sends it to the slow path.
//!
//! The unloader finds the word through the thread's record ([`ThreadRecord::fast`]: one
//! pointer per operation, set by the thread itself before its first pin of it), under the
//! records lock. The pointer is cleared — and the word made `OFF` again — by the thread's
//! own exit (`Registration`'s drop, under the same lock), which runs before the thread's
//! `thread_local!` storage goes away (Linux only: see [`ThreadRecord::register_fast`]),
//! and with no fast-path call of the thread in progress: a fast-path pin lives only
//! inside `call::run`, on the thread's stack, and thread-local destructors run one after
//! another, never inside such a call.

use super::{Records, ThreadRecord};
use crate::sync::{maybe_const, AtomicPtr, AtomicU64};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// A fast-path call of the operation is in progress on the thread (the word is odd).
const PINNED: u64 = 1;
/// A word counting no call: pinning stores `n - 1`, which must not wrap.
const BASE: u64 = 2;
/// The count reached 2^30 − 1: the out-of-line entry drains it before the next call.
const FULL: u64 = 1 << 31;
/// The inlined entry refuses the word (not registered, slot empty, or full fences only).
const OFF: u64 = 1 << 63;
/// Any bit set outside bits 1–30: the inlined entry takes the out-of-line path. It is
/// `0x8000_0001` sign-extended: one `test` with a 32-bit immediate on x86-64.
const REFUSE: u64 = !(FULL - 2);

/// The calls a word counts (pinned or not, `OFF` or not).
fn count_of(word: u64) -> u64 {
    // Pinned, the word is `n - 1`: adding the pin bit back gives `n` (even) either way.
    let n = (word & !OFF) + (word & PINNED);
    (n / 2).saturating_sub(BASE / 2)
}

/// One thread's pin and fast-path call count of one operation: the `thread_local!` that
/// `#[lmms::operation]` declares for each blocking operation with a module.
#[doc(hidden)]
pub struct FastWord(AtomicU64);

impl FastWord {
    maybe_const! {
        /// A word not registered yet: the inlined entry refuses it.
        fn new() -> Self {
            Self(AtomicU64::new(OFF | BASE))
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
    /// word in `rec` (this thread's record) if it is not yet, drains a `FULL` count, then
    /// pins with the fence the process needs now. The inlined entry takes the word from
    /// the next call on if the fence is the light one (it clears `OFF` with this pin).
    /// `None` for a nested call of the same operation or a null `from`.
    #[inline]
    pub(crate) fn enter_out_of_line<T>(
        &self,
        from: &AtomicPtr<T>,
        rec: &'static ThreadRecord,
        op: usize,
    ) -> Option<FastPinned<'_, T>> {
        let mut n = self.0.load(Relaxed);
        if n & PINNED != 0 || !rec.register_fast(op, &self.0) {
            return None;
        }
        if n & !OFF >= FULL {
            n = rec.drain_fast(op, &self.0);
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
        BASE + calls * 2
    }
}

impl ThreadRecord {
    /// Registers `word` as this thread's fast-path word of operation `op`; whether it is
    /// (false for an operation the record does not count). Called by the record's own
    /// thread only, before its first pin of the word: an unload that sees the pin sees
    /// the pointer too (both precede the pin's fence).
    ///
    /// Only on Linux: other threads read the word through this pointer until the thread's
    /// exit clears it, so the word must outlive the thread's thread-local destructors. A
    /// `thread_local!` without a destructor is a native (ELF) thread-local there, freed
    /// with the thread; on a platform whose `thread_local!` may free it earlier (one built
    /// on OS keys), it would not be. Elsewhere the calls of a HOT operation take the slow
    /// path (those platforms have no `membarrier` either: the fast path would be out of
    /// line, with a full fence).
    pub(crate) fn register_fast(&self, op: usize, word: &AtomicU64) -> bool {
        if !cfg!(target_os = "linux") {
            return false;
        }
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

    /// Moves the count of `word` (this thread's registered word of operation `op`, not
    /// pinned) into the record's `drained` total and sets it back to `BASE`, keeping its
    /// `OFF` flag: both under the records lock, so a reader of the counts sees the calls
    /// in one place or the other, once. Returns the word's new value. Called by the
    /// record's own thread only.
    #[cold]
    fn drain_fast(&self, op: usize, word: &AtomicU64) -> u64 {
        let _held = crate::sync::lock_std(&super::RECORDS);
        let n = word.load(Relaxed);
        if let Some(d) = self.drained.get(op) {
            d.store(d.load(Relaxed).saturating_add(count_of(n)), Relaxed);
        }
        let fresh = (n & OFF) | BASE;
        word.store(fresh, Relaxed);
        fresh
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
        let drained = self.drained.get(op).map_or(0, |d| d.load(Relaxed));
        self.fast_word(op, held)
            .map_or(0, |w| count_of(w.load(Relaxed)))
            .saturating_add(drained)
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
    /// back: each made `OFF` with a zero count and unregistered, the drained totals zero.
    /// Run by the record's own thread as it exits, under the records lock (`held`), with
    /// no fast-path call of the thread in progress (see this module's docs).
    pub(super) fn retire_fast(&self, held: &Records) -> Vec<u64> {
        (0..self.ops)
            .map(|op| {
                let calls = self.fast_calls(op, held);
                self.drained[op].store(0, Relaxed);
                if let Some(w) = self.fast_word(op, held) {
                    debug_assert_eq!(w.load(Relaxed) & PINNED, 0, "a call outlived its thread");
                    w.store(OFF | BASE, Relaxed);
                    self.fast[op].store(std::ptr::null_mut(), Relaxed);
                }
                calls
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

    /// Whether no fast-path word is registered and nothing is drained (a new or recycled
    /// record).
    #[cfg(test)]
    pub(super) fn no_fast_words(&self) -> bool {
        self.fast.iter().all(|p| p.load(Relaxed).is_null())
            && self.drained.iter().all(|d| d.load(Relaxed) == 0)
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
    /// Stores `n - 1` (pinned) into `word`, fence (a full one if `strong_fence`: no
    /// membarrier in this process, see [`crate::fence::strong_fences`]), loads `from`.
    /// `None`, with `n` stored back, if it is null. `n` is even, at least `BASE` and below
    /// `FULL` apart from `OFF` (the callers check), so neither `n - 1` nor `n + 2` wraps or
    /// carries into `OFF`.
    #[inline(always)]
    fn pin(from: &AtomicPtr<T>, word: &'w AtomicU64, n: u64, strong_fence: bool) -> Option<Self> {
        // `n - 1`, not `n + 1`: the compiler knows `n` is even and would make `n + 1` an
        // `or`, one instruction more (a copy) than the `lea` of `n - 1` on x86-64.
        word.store(n - 1, Relaxed);
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
