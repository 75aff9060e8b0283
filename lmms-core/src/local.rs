//! Per-thread records: call counts (heat) and fast-path pins, written only by their own
//! thread (no shared cache line on the call path) and read by sweeps.

use crate::sync::{lock_std, AtomicU32, AtomicU64, AtomicUsize};
use std::cell::OnceCell;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;
use std::sync::Mutex;

/// Nesting depth of fast-path calls one thread can pin at once; deeper calls take the
/// slow path.
pub(crate) const MAX_PIN_DEPTH: usize = 8;

pub(crate) struct ThreadRecord {
    /// `module index + 1` of each fast-path call in progress on this thread, by depth.
    pins: [AtomicU32; MAX_PIN_DEPTH],
    depth: AtomicUsize,
    /// Calls per operation index (monotonic).
    calls: Box<[AtomicU64]>,
    /// Calls served by the fast path.
    fast_hits: AtomicU64,
}

impl ThreadRecord {
    pub(crate) fn new(ops: usize) -> Self {
        Self {
            pins: std::array::from_fn(|_| AtomicU32::new(0)),
            depth: AtomicUsize::new(0),
            calls: (0..ops).map(|_| AtomicU64::new(0)).collect(),
            fast_hits: AtomicU64::new(0),
        }
    }

    /// Counts one call of operation `op`. Only the owning thread writes, so a plain
    /// load + store suffices (no read-modify-write).
    #[inline]
    pub(crate) fn count(&self, op: usize) {
        if let Some(c) = self.calls.get(op) {
            c.store(c.load(Relaxed) + 1, Relaxed);
        }
    }

    #[inline]
    pub(crate) fn count_fast_hit(&self) {
        self.fast_hits
            .store(self.fast_hits.load(Relaxed) + 1, Relaxed);
    }

    /// Pins `module` for a fast-path call; returns the depth to unpin, or `None` when
    /// nested too deep.
    #[inline]
    pub(crate) fn pin(&self, module: u32) -> Option<usize> {
        let d = self.depth.load(Relaxed);
        let slot = self.pins.get(d)?;
        slot.store(module + 1, Relaxed);
        self.depth.store(d + 1, Relaxed);
        Some(d)
    }

    /// Ends the fast-path call pinned at depth `d`. `Release`: everything the call did
    /// with the module's value happens before a sweep that reads the pin as clear.
    #[inline]
    pub(crate) fn unpin(&self, d: usize) {
        self.pins[d].store(0, Release);
        self.depth.store(d, Relaxed);
    }

    pub(crate) fn pins(&self, module: u32) -> bool {
        self.pins.iter().any(|p| p.load(Acquire) == module + 1)
    }
}

/// All live thread records, plus the totals of threads that exited.
struct Records {
    live: Vec<Arc<ThreadRecord>>,
    retired_calls: Vec<u64>,
    retired_fast_hits: u64,
}

static RECORDS: Mutex<Records> = Mutex::new(Records {
    live: Vec::new(),
    retired_calls: Vec::new(),
    retired_fast_hits: 0,
});
static OPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many operations the records count (once, when the registry is built).
pub(crate) fn set_operation_count(n: usize) {
    OPS.store(n, Release);
}

struct Registration(Arc<ThreadRecord>);

impl Drop for Registration {
    fn drop(&mut self) {
        let mut records = lock_std(&RECORDS);
        records.live.retain(|r| !Arc::ptr_eq(r, &self.0));
        let rec = &self.0;
        if records.retired_calls.len() < rec.calls.len() {
            records.retired_calls.resize(rec.calls.len(), 0);
        }
        for (total, c) in records.retired_calls.iter_mut().zip(rec.calls.iter()) {
            *total += c.load(Relaxed);
        }
        records.retired_fast_hits += rec.fast_hits.load(Relaxed);
    }
}

thread_local! {
    static LOCAL: OnceCell<Registration> = const { OnceCell::new() };
}

/// Runs `f` with this thread's record, creating it on first use. `None` if the thread is
/// being torn down.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadRecord) -> R) -> Option<R> {
    LOCAL
        .try_with(|cell| {
            let reg = cell.get_or_init(|| {
                let rec = Arc::new(ThreadRecord::new(OPS.load(Acquire)));
                lock_std(&RECORDS).live.push(rec.clone());
                Registration(rec)
            });
            f(&reg.0)
        })
        .ok()
}

/// Runs `f` with this thread's record only if it already exists (the fast path never
/// creates one: a slow call always comes first).
#[inline]
pub(crate) fn with_existing<R>(f: impl FnOnce(&ThreadRecord) -> Option<R>) -> Option<R> {
    LOCAL
        .try_with(|cell| cell.get().and_then(|reg| f(&reg.0)))
        .ok()
        .flatten()
}

/// Total calls per operation over all threads, live and exited, and total fast-path hits.
pub(crate) fn totals(ops: usize) -> (Vec<u64>, u64) {
    let records = lock_std(&RECORDS);
    let mut calls = vec![0u64; ops];
    for (t, r) in calls.iter_mut().zip(records.retired_calls.iter()) {
        *t += r;
    }
    let mut hits = records.retired_fast_hits;
    for rec in &records.live {
        for (t, c) in calls.iter_mut().zip(rec.calls.iter()) {
            *t += c.load(Relaxed);
        }
        hits += rec.fast_hits.load(Relaxed);
    }
    (calls, hits)
}

/// Whether any thread may be inside a fast-path call on `module`. Call only after the
/// module's slots were emptied and [`crate::zafp::heavy_fence`] ran.
pub(crate) fn any_pins(module: u32) -> bool {
    lock_std(&RECORDS).live.iter().any(|r| r.pins(module))
}
