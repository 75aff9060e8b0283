//! Exhaustive models (`RUSTFLAGS="--cfg loom" cargo test -p lmms-core --release --lib loom`).

use crate::cell::ModuleCell;
use crate::error::InitError;
use crate::fence::heavy_fence;
use crate::local::{FastWord, ThreadRecord};
use crate::module::Builder;
use crate::zafp::FastSlot;
use loom::thread;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// A value that counts its live instances in the current model execution (loom runs one
/// thread at a time, so a plain atomic observes every interleaving's order). One type per
/// test: the test harness runs tests in parallel.
macro_rules! counted {
    ($ty:ident, $live:ident) => {
        static $live: AtomicUsize = AtomicUsize::new(0);
        struct $ty(u32);
        impl crate::Init for $ty {
            fn init() -> Result<$ty, InitError> {
                assert_eq!($live.fetch_add(1, SeqCst), 0, "two live instances");
                Ok($ty(42))
            }
        }
        impl Drop for $ty {
            fn drop(&mut self) {
                $live.fetch_sub(1, SeqCst);
            }
        }
    };
}

counted!(CellValue, CELL_LIVE);
counted!(SlotValue, SLOT_LIVE);

/// Explores every interleaving with at most `LOOM_MAX_PREEMPTIONS` (default 3)
/// preemptions — loom's documented bound; the bugs it finds need only a few.
///
/// Models run one at a time: the pinned model registers its thread record in the
/// process-wide list that every unload reads, and loom objects must not be seen from
/// another model's execution.
fn model(f: impl Fn() + Sync + Send + 'static) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// Two callers and an unloader: every call is served by a live value, never two live
/// values, each build dropped at most once.
#[test]
fn loom_acquire_unload_build() {
    model(|| {
        CELL_LIVE.store(0, SeqCst);
        let cell: &'static ModuleCell<CellValue> = leak(ModuleCell::new());
        let caller = || {
            thread::spawn(move || {
                let g = cell
                    .acquire("value", &Builder::<CellValue>::blocking())
                    .unwrap();
                // A scheduling point while the call holds the value: an unload that got
                // the protocol wrong would drop it here.
                thread::yield_now();
                assert_eq!(CELL_LIVE.load(SeqCst), 1, "value dropped under a call");
                assert_eq!(g.0, 42);
            })
        };
        let a = caller();
        let b = caller();
        let unloader = thread::spawn(move || {
            let _ = cell.unload();
        });
        a.join().unwrap();
        b.join().unwrap();
        unloader.join().unwrap();
        let builds = cell.builds.load(SeqCst);
        let drops = cell.drops.load(SeqCst);
        assert_eq!(builds - drops, u64::from(cell.is_resident()));
        assert_eq!(CELL_LIVE.load(SeqCst) as u64, builds - drops);
        // Clean up so the next execution starts from zero.
        let _ = cell.unload();
    });
}

/// A fast-path caller registers its word in its record, pins it and reads the slot —
/// twice, the second time on the registered word — while an unloader empties the slot,
/// fences and frees the value if it finds no pin through the record: the caller never
/// reads a freed value.
#[test]
fn loom_fast_path_pin_versus_unload() {
    model(|| {
        SLOT_LIVE.store(0, SeqCst);
        let value: *mut SlotValue =
            Box::into_raw(Box::new(<SlotValue as crate::Init>::init().unwrap()));
        let slot: &'static FastSlot<SlotValue> = leak(FastSlot::filled_with(value));
        let rec: &'static ThreadRecord = leak(ThreadRecord::new(1));
        // The caller's thread-local word (a model thread has no `thread_local!` of its own).
        let word: &'static FastWord = leak(FastWord::new());
        let caller = thread::spawn(move || {
            for _ in 0..2 {
                if let Some(pinned) = slot.pin_on(word, rec, 0) {
                    thread::yield_now();
                    assert_eq!(SLOT_LIVE.load(SeqCst), 1, "fast path read a freed value");
                    assert_eq!(pinned.0, 42);
                }
            }
        });
        let value_addr = value as usize;
        let unloader = thread::spawn(move || {
            assert!(slot.take());
            if heavy_fence() && !rec.fast_pinned(0) {
                // SAFETY: the slot is empty and no pin was seen after the fence.
                drop(unsafe { Box::from_raw(value_addr as *mut SlotValue) });
                true
            } else {
                false
            }
        });
        caller.join().unwrap();
        let freed = unloader.join().unwrap();
        if !freed {
            // SAFETY: both threads are done; the unloader backed off, so we free it.
            drop(unsafe { Box::from_raw(value_addr as *mut SlotValue) });
        }
        assert_eq!(SLOT_LIVE.load(SeqCst), 0);
    });
}

counted!(PinnedValue, PINNED_LIVE);

/// A blocking call pins the module on its thread record while the real
/// `ModuleCell::unload` runs: the value is never dropped under the pinned call, and an
/// unload that loses the race leaves the value resident.
#[test]
fn loom_pinned_call_versus_unload() {
    model(|| {
        PINNED_LIVE.store(0, SeqCst);
        let cell: &'static ModuleCell<PinnedValue> = leak(ModuleCell::new());
        cell.index.store(0, SeqCst);
        // Build it (counted path under loom), then release.
        drop(
            cell.acquire("value", &Builder::<PinnedValue>::blocking())
                .unwrap(),
        );
        let rec: &'static ThreadRecord = leak(ThreadRecord::new(1));
        crate::local::register_for_model(rec, true);
        let caller = thread::spawn(move || {
            if let Some(pinned) = cell.pin_with(rec) {
                thread::yield_now();
                assert_eq!(
                    PINNED_LIVE.load(SeqCst),
                    1,
                    "value dropped under a pinned call"
                );
                assert_eq!(pinned.0, 42);
            }
        });
        let unloader = thread::spawn(move || cell.unload().map(|r| r.is_some()));
        caller.join().unwrap();
        let unloaded = unloader.join().unwrap();
        crate::local::register_for_model(rec, false);
        assert_eq!(PINNED_LIVE.load(SeqCst), usize::from(cell.is_resident()));
        assert_eq!(unloaded.is_err(), cell.is_resident());
        let _ = cell.unload();
        assert_eq!(PINNED_LIVE.load(SeqCst), 0);
    });
}

counted!(ServedValue, SERVED_LIVE);

/// A call is served by the build it waited for: one caller builds while an unloader tries
/// once. In every interleaving the caller's build is the only one — the unload either runs
/// before the build (nothing to drop), is refused while the caller's ticket is out, or runs
/// after the call. (Without tickets, an unload between publishing and the caller's hold
/// makes the caller build twice.)
#[test]
fn loom_call_served_by_the_build_it_waited_for() {
    model(|| {
        SERVED_LIVE.store(0, SeqCst);
        let cell: &'static ModuleCell<ServedValue> = leak(ModuleCell::new());
        let caller = thread::spawn(move || {
            let g = cell
                .acquire("value", &Builder::<ServedValue>::blocking())
                .unwrap();
            assert_eq!(g.0, 42);
        });
        let unloader = thread::spawn(move || {
            let _ = cell.unload();
        });
        caller.join().unwrap();
        unloader.join().unwrap();
        assert_eq!(
            cell.builds.load(SeqCst),
            1,
            "the call was served by another build"
        );
        let _ = cell.unload();
        assert_eq!(SERVED_LIVE.load(SeqCst), 0);
    });
}

counted!(AsyncValue, ASYNC_LIVE);

/// An async caller (its waker registered in two steps around the clone, with the state
/// unlocked between) against a blocking one, either of which builds: the waiter is always
/// woken (a lost wake-up leaves `block_on` parked, which loom reports as a deadlock), one
/// build serves both, and no waker, place or ticket is left behind.
#[test]
fn loom_async_waiter_is_woken_by_the_build() {
    model(|| {
        ASYNC_LIVE.store(0, SeqCst);
        let cell: &'static ModuleCell<AsyncValue> = leak(ModuleCell::new());
        let waiter = thread::spawn(move || {
            let builder = Builder::<AsyncValue>::blocking();
            let g = loom::future::block_on(cell.acquire_async("value", &builder)).unwrap();
            assert_eq!(g.0, 42);
        });
        let g = cell
            .acquire("value", &Builder::<AsyncValue>::blocking())
            .unwrap();
        assert_eq!(g.0, 42);
        drop(g);
        waiter.join().unwrap();
        assert_eq!(cell.builds.load(SeqCst), 1);
        {
            let st = crate::sync::lock(&cell.state);
            assert!(st.wakers.is_empty(), "a waker was left behind");
            assert_eq!((st.waiting, st.tickets), (0, 0));
        }
        let _ = cell.unload();
        assert_eq!(ASYNC_LIVE.load(SeqCst), 0);
    });
}
