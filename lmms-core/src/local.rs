//! Per-thread records: call counts (heat), result-cache hits and fast-path pins, written
//! only by their own thread (no shared cache line on the call path) and read by sweeps
//! and `stats()`.

use crate::sync::{lock_std, AtomicU32, AtomicU64};
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
    /// Counts per operation index (monotonic), in three runs of `ops`: slow-path calls,
    /// fast-path calls (so each path bumps exactly one counter), result-cache hits.
    calls: Box<[AtomicU64]>,
    ops: usize,
}

impl ThreadRecord {
    pub(crate) fn new(ops: usize) -> Self {
        Self {
            pins: std::array::from_fn(|_| AtomicU32::new(0)),
            calls: (0..3 * ops).map(|_| AtomicU64::new(0)).collect(),
            ops,
        }
    }

    /// Counts one slow-path call of operation `op`. Only the owning thread writes, so a
    /// plain load + store suffices (no read-modify-write).
    #[inline]
    pub(crate) fn count(&self, op: usize) {
        if let Some(c) = self.calls.get(op) {
            c.store(c.load(Relaxed) + 1, Relaxed);
        }
    }

    /// Counts one fast-path call of operation `op`.
    #[inline(always)]
    pub(crate) fn count_fast(&self, op: usize) {
        if let Some(c) = self.calls.get(self.ops + op) {
            c.store(c.load(Relaxed) + 1, Relaxed);
        }
    }

    /// Counts one result-cache hit of operation `op`; `false` if `op` is not one this
    /// record counts (not registered).
    #[inline]
    pub(crate) fn count_cache_hit(&self, op: usize) -> bool {
        let Some(c) = op.checked_add(2 * self.ops).and_then(|i| self.calls.get(i)) else {
            return false;
        };
        c.store(c.load(Relaxed) + 1, Relaxed);
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

    pub(crate) fn pins(&self, module: u32) -> bool {
        self.pins.iter().any(|p| p.load(Acquire) == module + 1)
    }
}

/// All records in use, plus the totals of threads that exited.
struct Records {
    live: Vec<&'static ThreadRecord>,
    /// Records of exited threads, zeroed, for the next new thread.
    free: Vec<&'static ThreadRecord>,
    retired_calls: Vec<u64>,
}

static RECORDS: Mutex<Records> = Mutex::new(Records {
    live: Vec::new(),
    free: Vec::new(),
    retired_calls: Vec::new(),
});
static OPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many operations the records count (once, when the registry is built).
pub(crate) fn set_operation_count(n: usize) {
    OPS.store(n, Release);
}

thread_local! {
    /// This thread's record. No destructor, so reading it is a plain thread-local load.
    static CURRENT: Cell<Option<&'static ThreadRecord>> = const { Cell::new(None) };
    /// Hands the record back when the thread exits.
    static REGISTRATION: Registration = const { Registration };
}

/// Records are `'static` (leaked once, then recycled): a call can keep `&'static` to its
/// thread's record instead of looking it up again, and a record is only recycled after its
/// thread's thread-locals are torn down, when no call of that thread is in progress.
struct Registration;

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(rec) = CURRENT.with(|c| c.take()) else {
            return;
        };
        let mut records = lock_std(&RECORDS);
        records.live.retain(|r| !std::ptr::eq(*r, rec));
        if records.retired_calls.len() < rec.calls.len() {
            records.retired_calls.resize(rec.calls.len(), 0);
        }
        for (total, c) in records.retired_calls.iter_mut().zip(rec.calls.iter()) {
            *total += c.swap(0, Relaxed);
        }
        records.free.push(rec);
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
    let rec = match records.free.iter().position(|r| r.ops == ops) {
        Some(i) => records.free.swap_remove(i),
        None => Box::leak(Box::new(ThreadRecord::new(ops))),
    };
    records.live.push(rec);
    drop(records);
    CURRENT.with(|c| c.set(Some(rec)));
    Some(rec)
}

/// This thread's record only if it already exists (the fast path never creates one: a
/// slow call always comes first).
#[inline(always)]
pub(crate) fn existing() -> Option<&'static ThreadRecord> {
    CURRENT.with(Cell::get)
}

/// Total calls per operation over all threads, live and exited, and the fast-path share
/// of them per operation.
pub(crate) fn totals(ops: usize) -> (Vec<u64>, Vec<u64>) {
    let split = summed(ops);
    // Slow-path counts first, then fast-path counts, then cache hits.
    let (slow, rest) = split.split_at(ops);
    let fast = &rest[..ops];
    let calls = slow.iter().zip(fast).map(|(s, f)| s + f).collect();
    (calls, fast.to_vec())
}

/// Result-cache hits per operation over all threads, live and exited (those counted in
/// thread records: see `cache::count_hit`).
pub(crate) fn cache_hits(ops: usize) -> Vec<u64> {
    summed(ops).split_off(2 * ops)
}

/// Every record's counters (`3 * ops` of them), summed over live and exited threads.
fn summed(ops: usize) -> Vec<u64> {
    let records = lock_std(&RECORDS);
    let mut sum = vec![0u64; 3 * ops];
    let mut add = |counts: &mut dyn Iterator<Item = u64>| {
        for (t, c) in sum.iter_mut().zip(counts) {
            *t += c;
        }
    };
    add(&mut records.retired_calls.iter().copied());
    for rec in &records.live {
        add(&mut rec.calls.iter().map(|c| c.load(Relaxed)));
    }
    sum
}

/// Makes `rec` visible to unloads (the loom model registers its own records).
#[cfg(all(test, loom))]
pub(crate) fn register_for_model(rec: &'static ThreadRecord, on: bool) {
    let mut records = lock_std(&RECORDS);
    records.live.retain(|r| !std::ptr::eq(*r, rec));
    if on {
        records.live.push(rec);
    }
}

/// Calls pinning `module` right now, over all threads (introspection).
pub(crate) fn pins_of(module: u32) -> usize {
    lock_std(&RECORDS)
        .live
        .iter()
        .map(|r| {
            r.pins
                .iter()
                .filter(|p| p.load(Relaxed) == module + 1)
                .count()
        })
        .sum()
}

/// Whether any thread may be inside a fast-path call on `module`. Call only after the
/// module's slots were emptied and [`crate::zafp::heavy_fence`] ran.
pub(crate) fn any_pins(module: u32) -> bool {
    lock_std(&RECORDS).live.iter().any(|r| r.pins(module))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn pins_take_the_first_free_slot_and_run_out_at_the_limit() {
        let rec = ThreadRecord::new(1);
        assert_eq!(rec.pin(3), Some(0));
        assert_eq!(rec.pin(4), Some(1), "a nested pin takes the next slot");
        assert!(rec.pins(3) && rec.pins(4));
        rec.unpin(0);
        assert!(!rec.pins(3) && rec.pins(4));
        assert_eq!(rec.pin(5), Some(0), "slot 0 is free again");
        assert_eq!(
            rec.pin(u32::MAX),
            None,
            "a module without an index cannot pin"
        );
        let nested: Vec<_> = (0..MAX_PIN_DEPTH - 2)
            .map(|m| rec.pin(10 + m as u32))
            .collect();
        assert!(nested.iter().all(Option::is_some));
        assert_eq!(rec.pin(99), None, "all slots in use");
        for d in 0..MAX_PIN_DEPTH {
            rec.unpin(d);
        }
        assert!((0..100).all(|m| !rec.pins(m)));
    }
}
