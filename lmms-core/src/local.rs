//! Per-thread records: call counts (heat) and fast-path pins, written only by their own
//! thread (no shared cache line on the call path) and read by sweeps.
//!
//! Records are `'static` (leaked once, then recycled): a call keeps `&'static` to its
//! thread's record instead of looking it up again. Invariants, all kept under the
//! `RECORDS` lock:
//!
//! 1. `live` holds every record a thread may still pin or count on — each registered
//!    thread's until it exits — so [`any_pins`], [`pins_of`] and [`totals`] see them all.
//!    `live[i].live_slot == i`; a record outside `live` has `live_slot == NOT_LIVE`.
//!    Removing one is a `swap_remove` plus fixing the moved record's slot: O(1), so a
//!    thread's exit costs the same however many threads are alive.
//! 2. A thread's counts move into `retired_calls` (and are zeroed) in the critical section
//!    where its thread exits: [`totals`] counts every call exactly once, before and after.
//!    In the same critical section its fast-path words are handed back (flagged off, the
//!    record's pointers to them cleared), before its thread-locals are freed: a pointer in
//!    a record always points to a live word while the lock is held.
//! 3. A record enters `free` only from its own thread's exit, after `CURRENT` was cleared
//!    (no later call on that thread can reach it) and only with no pin (no call
//!    of that thread in progress). So every record in `free` — and every record a new
//!    thread gets — has zero pins, zero counts and no fast-path word. A record still
//!    pinned at exit stays in `live` and is never recycled.
//! 4. Records are never freed. The number allocated is bounded by the most threads alive
//!    at once (plus the few made before the operation count was set, which are not reused).
//!
//! The call path (`current`, `count`, `pin`, `unpin`, and the fast path's [`FastWord`],
//! a `thread_local!` of each operation that the record points to) touches only the
//! thread's own data and takes the lock only to drain a fast-path word's count, once per
//! 2^30 calls.

mod fast;
mod totals;

pub(crate) use fast::FastPinned;
pub use fast::FastWord;

pub(crate) use totals::{cache_hits, total_of, totals};

use crate::sync::{lock_std, AtomicPtr, AtomicU32, AtomicU64};
use std::cell::Cell;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Mutex;

/// Pinned calls one thread can have in progress at once (nested calls); more take a
/// counted hold (slow path) instead.
pub(crate) const MAX_PIN_DEPTH: usize = 8;

pub(crate) struct ThreadRecord {
    /// `module index + 1` of each pinned call in progress on this thread, 0 = free. Calls
    /// nest, so the slot in use is the first free one (slot 0 unless nested); no depth
    /// counter, so a pin is one load and one store and an unpin one store.
    pins: [AtomicU32; MAX_PIN_DEPTH],
    /// Counts per operation index (monotonic): slow-path calls in the first half,
    /// result-cache hits in the second.
    calls: Box<[AtomicU64]>,
    /// Per operation index, this thread's [`FastWord`] of it (null until the thread's
    /// first fast-path call of it): its fast-path pin and call count.
    fast: Box<[AtomicPtr<AtomicU64>]>,
    /// Per operation index, the fast-path calls drained out of this thread's word of it
    /// when the word's count filled up (written and read under the records lock only).
    drained: Box<[AtomicU64]>,
    ops: usize,
    /// Index of this record in the live list, or [`NOT_LIVE`]. Read and written only under
    /// the records lock (a std atomic only to keep the record `Sync`); never on the call
    /// path.
    live_slot: std::sync::atomic::AtomicUsize,
}

/// [`ThreadRecord::live_slot`] of a record not in the live list.
const NOT_LIVE: usize = usize::MAX;

impl ThreadRecord {
    pub(crate) fn new(ops: usize) -> Self {
        Self {
            pins: std::array::from_fn(|_| AtomicU32::new(0)),
            calls: (0..2 * ops).map(|_| AtomicU64::new(0)).collect(),
            fast: (0..ops)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            drained: (0..ops).map(|_| AtomicU64::new(0)).collect(),
            ops,
            live_slot: std::sync::atomic::AtomicUsize::new(NOT_LIVE),
        }
    }

    /// Counts one slow-path call of operation `op`; returns this thread's count of them
    /// (0 for an operation it does not count). Only the owning thread writes, so a plain
    /// load + store suffices (no read-modify-write).
    #[inline]
    pub(crate) fn count(&self, op: usize) -> u64 {
        let Some(c) = self.calls.get(op) else {
            return 0;
        };
        let n = c.load(Relaxed).saturating_add(1);
        c.store(n, Relaxed);
        n
    }

    /// Counts one result-cache hit of operation `op`; `false` if `op` is not one this
    /// record counts (not registered).
    #[inline]
    pub(crate) fn count_cache_hit(&self, op: usize) -> bool {
        let Some(c) = op.checked_add(self.ops).and_then(|i| self.calls.get(i)) else {
            return false;
        };
        c.store(c.load(Relaxed).saturating_add(1), Relaxed);
        true
    }

    /// Pins `module` for a pinned call; returns the slot to unpin, or `None` when all
    /// slots are in use (calls nested too deep).
    #[inline]
    pub(crate) fn pin(&self, module: u32) -> Option<usize> {
        // A cell not yet in the registry has no index to pin: it takes a counted hold.
        if module == u32::MAX {
            return None;
        }
        // Only this thread writes its pins, so a free slot stays free until the store.
        let d = if self.pins[0].load(Relaxed) == 0 {
            0
        } else {
            self.nested_slot()?
        };
        self.pins[d].store(module + 1, Relaxed);
        Some(d)
    }

    /// The first free slot after slot 0 (a pinned call inside another one).
    #[cold]
    fn nested_slot(&self) -> Option<usize> {
        (1..MAX_PIN_DEPTH).find(|&d| self.pins[d].load(Relaxed) == 0)
    }

    /// Ends the pinned call in slot `d`. `Release`: everything the call did with the
    /// module's value happens before a sweep that reads the pin as clear.
    #[inline]
    pub(crate) fn unpin(&self, d: usize) {
        self.pins[d].store(0, Release);
    }

    /// No pin and every count zero: the state a new or recycled record starts in.
    #[cfg(test)]
    pub(crate) fn is_zeroed(&self) -> bool {
        self.pins.iter().all(|p| p.load(Relaxed) == 0)
            && self.calls.iter().all(|c| c.load(Relaxed) == 0)
            && self.no_fast_words()
    }

    pub(crate) fn pins(&self, module: u32) -> bool {
        // `u32::MAX` is "no index yet": never pinned (and `+ 1` must not wrap to 0, the
        // mark of an empty slot).
        let Some(mark) = module.checked_add(1) else {
            return false;
        };
        self.pins.iter().any(|p| p.load(Acquire) == mark)
    }
}

/// The records sweeps must see, the records ready for reuse, and the totals of threads
/// that exited. The invariants are in this file's docs.
struct Records {
    live: Vec<&'static ThreadRecord>,
    free: Vec<&'static ThreadRecord>,
    /// Free records of another size (made before the operation count was set): never
    /// handed out again, kept here so they stay reachable (not leaked).
    stale: Vec<&'static ThreadRecord>,
    /// Counts of exited threads: slow-path calls, fast-path calls, cache hits (`ops` each).
    retired_calls: Vec<u64>,
    /// The module index of each operation (`u32::MAX` for one without a module): which
    /// fast-path pins ([`ThreadRecord::fast`]) pin which module.
    op_modules: Vec<u32>,
    #[cfg(test)]
    allocated: usize,
}

static RECORDS: Mutex<Records> = Mutex::new(Records {
    live: Vec::new(),
    free: Vec::new(),
    stale: Vec::new(),
    retired_calls: Vec::new(),
    op_modules: Vec::new(),
    #[cfg(test)]
    allocated: 0,
});
static OPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Records {
    /// Appends `rec` to `live` (no-op if it is there already).
    fn add_live(&mut self, rec: &'static ThreadRecord) {
        if rec.live_slot.load(Relaxed) == NOT_LIVE {
            rec.live_slot.store(self.live.len(), Relaxed);
            self.live.push(rec);
        }
    }

    /// Removes `rec` from `live` in O(1): the last record takes its slot.
    fn remove_live(&mut self, rec: &'static ThreadRecord) {
        let slot = rec.live_slot.swap(NOT_LIVE, Relaxed);
        if slot == NOT_LIVE {
            return;
        }
        debug_assert!(std::ptr::eq(self.live[slot], rec));
        self.live.swap_remove(slot);
        if let Some(moved) = self.live.get(slot) {
            moved.live_slot.store(slot, Relaxed);
        }
    }

    /// Moves the counts of `rec` into the retired totals, leaving them zero; `fast_counts`:
    /// its fast-path counts, already taken out ([`ThreadRecord::retire_fast`]).
    fn retire_counts(&mut self, rec: &ThreadRecord, fast_counts: &[u64]) {
        let ops = rec.ops;
        if self.retired_calls.len() < 3 * ops {
            self.retired_calls.resize(3 * ops, 0);
        }
        let (slow, rest) = self.retired_calls.split_at_mut(ops);
        let (fast, hits) = rest.split_at_mut(ops);
        let (rec_slow, rec_hits) = rec.calls.split_at(ops);
        for (total, c) in slow
            .iter_mut()
            .zip(rec_slow)
            .chain(hits.iter_mut().zip(rec_hits))
        {
            *total = total.saturating_add(c.swap(0, Relaxed));
        }
        for (total, n) in fast.iter_mut().zip(fast_counts) {
            *total = total.saturating_add(*n);
        }
    }
}

/// Sets the operations the records count (once, when the registry is built): the module
/// index of each (`u32::MAX` for an operation without one).
pub(crate) fn set_operations(op_modules: Vec<u32>) {
    let mut records = lock_std(&RECORDS);
    OPS.store(op_modules.len(), Release);
    records.op_modules = op_modules;
}

thread_local! {
    /// This thread's record. No destructor, so reading it is a plain thread-local load.
    static CURRENT: Cell<Option<&'static ThreadRecord>> = const { Cell::new(None) };
    /// Hands the record back when the thread exits.
    static REGISTRATION: Registration = const { Registration };
}

/// Hands this thread's record back as its thread-locals are torn down (invariant 3).
struct Registration;

impl Drop for Registration {
    fn drop(&mut self) {
        // From here on this thread has no record: a later call (from another thread-local's
        // destructor) goes uncounted and unpinned instead of registering again.
        let Some(rec) = CURRENT.with(|c| c.take()) else {
            return;
        };
        // Only this thread writes its pins: plain loads see their final values. No
        // fast-path call of this thread is in progress (see `fast`'s docs): its words are
        // handed back here, before its thread-local storage goes away.
        let idle = rec.pins.iter().all(|p| p.load(Relaxed) == 0);
        let mut records = lock_std(&RECORDS);
        let fast = rec.retire_fast(&records);
        records.retire_counts(rec, &fast);
        if idle {
            records.remove_live(rec);
            records.free.push(rec);
        }
        // Else a pin outlives the thread (a hold kept in a thread-local that is dropped
        // later): the record stays live, so unloads keep seeing the pin, and is never
        // handed out again.
    }
}

/// This thread's record, creating it on first use; `None` while the thread is being torn
/// down (its calls then go uncounted).
#[inline]
pub(crate) fn current() -> Option<&'static ThreadRecord> {
    CURRENT.with(Cell::get).or_else(register)
}

#[cold]
fn register() -> Option<&'static ThreadRecord> {
    // Registering the destructor first: if the thread is already being torn down, give up.
    REGISTRATION.try_with(|_| ()).ok()?;
    let ops = OPS.load(Acquire);
    let mut records = lock_std(&RECORDS);
    // A free record of another size was made before the operation count was set (it is
    // set once, so there are few): it moves to `stale`, never handed out.
    let reused = loop {
        match records.free.pop() {
            Some(r) if r.ops != ops => records.stale.push(r),
            other => break other,
        }
    };
    let rec = reused.unwrap_or_else(|| {
        #[cfg(test)]
        {
            records.allocated += 1;
        }
        Box::leak(Box::new(ThreadRecord::new(ops)))
    });
    records.add_live(rec);
    drop(records);
    CURRENT.with(|c| c.set(Some(rec)));
    Some(rec)
}

/// Makes `rec` visible to unloads (the loom model registers its own records).
#[cfg(all(test, loom))]
pub(crate) fn register_for_model(rec: &'static ThreadRecord, on: bool) {
    let mut records = lock_std(&RECORDS);
    if on {
        records.add_live(rec);
    } else {
        records.remove_live(rec);
    }
}

/// Calls pinning `module` right now, over all threads (introspection).
pub(crate) fn pins_of(module: u32) -> usize {
    let records = lock_std(&RECORDS);
    records
        .live
        .iter()
        .map(|r| {
            r.pins
                .iter()
                .filter(|p| Some(p.load(Relaxed)) == module.checked_add(1))
                .count()
                + r.fast_pins_of(module, &records)
        })
        .sum()
}

/// Whether any thread may be inside a pinned call (slow or fast path) on `module`. Call
/// only after the module's value was cleared (and its fast-path slots emptied) and
/// [`crate::fence::heavy_fence`] ran.
pub(crate) fn any_pins(module: u32) -> bool {
    let records = lock_std(&RECORDS);
    records
        .live
        .iter()
        .any(|r| r.pins(module) || r.fast_pins_of(module, &records) > 0)
}

/// Records allocated so far (tests: they are bounded by the threads alive at once).
#[cfg(test)]
pub(crate) fn allocated_records() -> usize {
    lock_std(&RECORDS).allocated
}

/// A hold pinned on the calling thread's record (slow and fast path). Not `Send`: the pin
/// belongs to this thread. Dropping it unpins. Crate-private: pins nest, so they must be
/// dropped in reverse order of pinning, which the runtime's scoped calls guarantee.
pub(crate) struct Pinned<T> {
    value: *const T,
    slot: usize,
    rec: &'static ThreadRecord,
}

impl<T> Pinned<T> {
    /// Pins module `index` on `rec`, light fence, loads `from`. `None` (unpinned) if it is
    /// null or the thread's pins are all in use. `strong_fence`: no membarrier in this
    /// process, so the caller's side must be a full fence ([`crate::fence::strong_fences`]).
    #[inline(always)]
    pub(crate) fn pin<U>(
        from: &AtomicPtr<U>,
        rec: &'static ThreadRecord,
        index: u32,
        strong_fence: bool,
    ) -> Option<Self> {
        let slot = rec.pin(index)?;
        crate::fence::light_fence(strong_fence);
        let value = from.load(Acquire).cast::<T>();
        if value.is_null() {
            rec.unpin(slot);
            return None;
        }
        Some(Pinned { value, slot, rec })
    }
}

impl<T> std::ops::Deref for Pinned<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the value was loaded non-null after this thread pinned its module behind
        // a light fence. An unload stores null (and empties the fast-path slots), runs the
        // heavy fence and backs off while any thread pins the module (see this module's
        // docs), so the value stays alive until `drop` clears the pin with `Release`.
        unsafe { &*self.value }
    }
}

impl<T> Drop for Pinned<T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.rec.unpin(self.slot);
    }
}
