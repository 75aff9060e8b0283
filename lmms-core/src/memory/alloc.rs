//! The counting allocator and per-thread attribution of allocations to a module.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{
    AtomicBool, AtomicI64,
    Ordering::{Relaxed, SeqCst},
};
use std::task::{Context, Poll};

static INSTALLED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);
/// Highest value `LIVE` has reached (since start or the last [`reset_high_water`]).
static PEAK: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Net bytes allocated by this thread since it started (allocations minus frees).
    static NET: Cell<i64> = const { Cell::new(0) };
    /// Net bytes already attributed to nested scopes (so an outer scope does not count
    /// an inner module's bytes as its own).
    static CLAIMED: Cell<i64> = const { Cell::new(0) };
}

/// A global allocator wrapper that counts live heap bytes and attributes the bytes a
/// module allocates while it is built (or frees while it is dropped) to that module.
///
/// Opt in from the application's crate root:
///
/// ```
/// #[global_allocator]
/// static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();
///
/// let before = lmms::memory::live_heap_bytes().unwrap();
/// let v = vec![0u8; 1 << 20];
/// assert!(lmms::memory::live_heap_bytes().unwrap() >= before + (1 << 20));
/// drop(v);
/// ```
///
/// Cost: one relaxed `fetch_add` on a shared counter and two thread-local adds per
/// allocation and per free, plus a relaxed load of the high-water mark per allocation
/// (written only when the live heap reaches a new high).
pub struct CountingAlloc<A = System> {
    inner: A,
}

impl CountingAlloc<System> {
    /// Counting over the system allocator.
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> CountingAlloc<A> {
    /// Counting over any other global allocator (jemalloc, mimalloc, …).
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }
}

#[inline]
fn record(delta: i64) {
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
    let live = LIVE.fetch_add(delta, Relaxed) + delta;
    // A new high is rare after warm-up: the load keeps the line shared, the write is skipped.
    if delta > 0 && live > PEAK.load(Relaxed) {
        PEAK.fetch_max(live, Relaxed);
    }
    // `try_with`: during thread teardown the slot may be gone; the global count still holds.
    let _ = NET.try_with(|n| n.set(n.get() + delta));
}

// SAFETY: every method forwards to the wrapped allocator with the caller's arguments
// unchanged, so its guarantees are the inner allocator's; the counting touches only
// atomics and const-initialized thread-locals without destructors, which never allocate.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (see the impl's SAFETY note).
        let p = unsafe { self.inner.alloc(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { self.inner.alloc_zeroed(layout) };
        if !p.is_null() {
            record(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { self.inner.dealloc(ptr, layout) };
        record(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's arguments.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

pub(crate) fn live_bytes() -> Option<u64> {
    INSTALLED
        .load(Relaxed)
        .then(|| LIVE.load(Relaxed).max(0) as u64)
}

/// Highest live heap since start or the last [`reset_high_water`] (`None` without the
/// counting allocator).
pub(crate) fn high_water() -> Option<u64> {
    installed().then(|| PEAK.load(Relaxed).max(0) as u64)
}

/// Lowers the high-water mark to the current live heap; returns the mark it replaced.
///
/// An allocation on another thread between reading the live heap and storing the mark
/// would be lost: its own `record` compared against the old, higher mark and skipped the
/// update, and the store then put the mark below the live heap. So the live heap is read
/// again after the store and the mark raised to it (`fetch_max`): an allocation counted
/// before that read is in the mark; one after it sees the lowered mark and raises it
/// itself.
pub(crate) fn reset_high_water() -> Option<u64> {
    if !installed() {
        return None;
    }
    let old = PEAK.swap(LIVE.load(SeqCst), SeqCst);
    PEAK.fetch_max(LIVE.load(SeqCst), SeqCst);
    Some(old.max(0) as u64)
}

fn installed() -> bool {
    INSTALLED.load(Relaxed)
}

/// Runs `f`, returning its result and the net bytes this thread allocated during it, less
/// what nested scopes claimed (`None` without the counting allocator).
fn scoped<R>(f: impl FnOnce() -> R) -> (R, i64) {
    let net0 = NET.with(Cell::get);
    let claimed0 = CLAIMED.with(Cell::get);
    let r = f();
    let total = NET.with(Cell::get) - net0;
    let nested = CLAIMED.with(Cell::get) - claimed0;
    CLAIMED.with(|c| c.set(claimed0 + total));
    (r, total - nested)
}

/// Runs a module build; returns its result and the bytes it allocated (if known).
pub(crate) fn attribute_to<R>(f: impl FnOnce() -> R) -> (R, Option<u64>) {
    let (r, net) = scoped(f);
    (r, installed().then_some(net.max(0) as u64))
}

/// Runs a module drop; returns the bytes it freed (if known).
pub(crate) fn attribute_free_to(f: impl FnOnce()) -> Option<u64> {
    let ((), net) = scoped(f);
    installed().then_some((-net).max(0) as u64)
}

/// A future whose polls are attributed like [`attribute_to`], summed over all polls.
pub(crate) struct Attributed<F> {
    inner: F,
    net: i64,
}

impl<F> Attributed<F> {
    pub(crate) fn new(inner: F) -> Self {
        Self { inner, net: 0 }
    }

    pub(crate) fn bytes(&self) -> Option<u64> {
        installed().then_some(self.net.max(0) as u64)
    }
}

impl<F: Future + Unpin> Future for Attributed<F> {
    type Output = (F::Output, Option<u64>);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (poll, net) = scoped(|| Pin::new(&mut this.inner).poll(cx));
        this.net += net;
        match poll {
            Poll::Pending => Poll::Pending,
            Poll::Ready(out) => Poll::Ready((out, this.bytes())),
        }
    }
}
