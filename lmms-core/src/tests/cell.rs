use crate::cell::ModuleCell;
use crate::error::InitError;
use crate::module::{Builder, Protection};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

/// Thread counts: smaller under miri, which is slow.
const THREADS: usize = if cfg!(miri) { 3 } else { 16 };
const ROUNDS: usize = if cfg!(miri) { 20 } else { 2_000 };

/// A value that counts its live instances in a per-test static.
macro_rules! counted {
    ($name:ident) => {
        static LIVE: AtomicUsize = AtomicUsize::new(0);
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        struct $name {
            payload: Vec<u64>,
        }
        impl crate::Init for $name {
            fn init() -> Result<Self, InitError> {
                BUILDS.fetch_add(1, SeqCst);
                let before = LIVE.fetch_add(1, SeqCst);
                assert_eq!(before, 0, "two live instances");
                Ok($name {
                    payload: vec![7; 16],
                })
            }
        }
        impl Drop for $name {
            fn drop(&mut self) {
                LIVE.fetch_sub(1, SeqCst);
            }
        }
    };
}

#[test]
fn concurrent_first_callers_share_one_build() {
    counted!(Value);
    static CELL: ModuleCell<Value> = ModuleCell::new();
    CELL.index.store(101, SeqCst);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let g = CELL.acquire("value", &Builder::blocking()).unwrap();
                assert_eq!(g.payload[3], 7);
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(BUILDS.load(SeqCst), 1);
    assert!(CELL.unload().unwrap().is_some());
    assert_eq!(LIVE.load(SeqCst), 0);
}

#[test]
fn init_error_reaches_every_waiter_and_is_not_cached() {
    static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
    struct Flaky;
    fn flaky() -> Result<Flaky, InitError> {
        // The first attempt fails slowly so that the other threads wait on it.
        if ATTEMPTS.fetch_add(1, SeqCst) == 0 {
            thread::sleep(std::time::Duration::from_millis(if cfg!(miri) {
                1
            } else {
                50
            }));
            return Err("backend down".into());
        }
        Ok(Flaky)
    }
    impl crate::Init for Flaky {
        fn init() -> Result<Self, InitError> {
            flaky()
        }
    }
    static CELL: ModuleCell<Flaky> = ModuleCell::new();
    CELL.index.store(102, SeqCst);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                CELL.acquire("flaky", &Builder::blocking())
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert!(failed >= 1, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(r.contains("backend down") && r.contains("flaky"), "{r}");
    }
    // Every thread that waited on the failing attempt got its error; later ones rebuilt.
    assert!(CELL.acquire("flaky", &Builder::blocking()).is_ok());
    assert!(ATTEMPTS.load(SeqCst) >= 2);
    assert_eq!(CELL.builds.load(SeqCst), 1);
}

#[test]
fn panic_in_init_leaves_the_cell_buildable() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    struct Boom;
    fn boom() -> Result<Boom, InitError> {
        if CALLS.fetch_add(1, SeqCst) == 0 {
            panic!("table corrupt");
        }
        Ok(Boom)
    }
    impl crate::Init for Boom {
        fn init() -> Result<Self, InitError> {
            boom()
        }
    }
    static CELL: ModuleCell<Boom> = ModuleCell::new();
    CELL.index.store(103, SeqCst);
    let err = CELL
        .acquire("boom", &Builder::blocking())
        .map(drop)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("panicked") && err.contains("table corrupt"),
        "{err}"
    );
    assert!(CELL.acquire("boom", &Builder::blocking()).is_ok());
}

#[test]
fn unload_waits_for_active_calls_and_drops_once() {
    counted!(Value);
    static CELL: ModuleCell<Value> = ModuleCell::new();
    CELL.index.store(104, SeqCst);
    let guard = CELL.acquire("value", &Builder::blocking()).unwrap();
    assert_eq!(CELL.unload().unwrap_err(), Protection::ActiveCalls);
    assert_eq!(
        guard.payload.len(),
        16,
        "the call is still served by the value"
    );
    drop(guard);
    assert!(CELL.unload().unwrap().is_some());
    assert!(CELL.unload().unwrap().is_none(), "nothing left to drop");
    assert_eq!(BUILDS.load(SeqCst), 1);
    assert_eq!(LIVE.load(SeqCst), 0);
    assert_eq!(CELL.drops.load(SeqCst), 1);
}

#[test]
fn pinned_and_counted_holds_each_block_unload() {
    counted!(Value);
    static CELL: ModuleCell<Value> = ModuleCell::new();
    CELL.index.store(105, SeqCst);
    let pinned = CELL.acquire("value", &Builder::blocking()).unwrap();
    assert!(
        matches!(pinned, crate::cell::Hold::Pinned(_)),
        "a blocking call pins"
    );
    assert_eq!(CELL.active_calls(), 1);
    assert_eq!(CELL.unload().unwrap_err(), Protection::ActiveCalls);
    assert_eq!(pinned.payload.len(), 16);
    drop(pinned);
    let counted = CELL.try_count().expect("resident");
    assert_eq!(CELL.unload().unwrap_err(), Protection::ActiveCalls);
    assert_eq!(counted.payload.len(), 16);
    drop(counted);
    assert_eq!(CELL.active_calls(), 0);
    assert!(CELL.unload().unwrap().is_some());
    assert_eq!(BUILDS.load(SeqCst), 1);
}

#[test]
fn calls_racing_unloads_never_see_two_instances_or_a_dropped_value() {
    counted!(Value);
    static CELL: ModuleCell<Value> = ModuleCell::new();
    CELL.index.store(106, SeqCst);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let callers: Vec<_> = (0..THREADS.min(4))
        .map(|_| {
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    let g = CELL.acquire("value", &Builder::blocking()).unwrap();
                    assert_eq!(LIVE.load(SeqCst), 1, "a call's value was dropped under it");
                    assert_eq!(g.payload.iter().sum::<u64>(), 7 * 16);
                }
            })
        })
        .collect();
    let unloader = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut unloaded = 0;
            while !stop.load(SeqCst) {
                if let Ok(Some(_)) = CELL.unload() {
                    unloaded += 1;
                }
                thread::yield_now();
            }
            unloaded
        })
    };
    callers.into_iter().for_each(|h| h.join().unwrap());
    stop.store(true, SeqCst);
    let unloaded = unloader.join().unwrap();
    let (builds, drops) = (
        CELL.builds.load(SeqCst) as usize,
        CELL.drops.load(SeqCst) as usize,
    );
    assert_eq!(drops, unloaded);
    assert_eq!(BUILDS.load(SeqCst), builds);
    assert_eq!(builds - drops, usize::from(CELL.is_resident()));
    assert_eq!(LIVE.load(SeqCst), usize::from(CELL.is_resident()));
}

/// Counts its wakes.
struct CountWakes(AtomicUsize);
impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

struct PanicOnWake;
impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        panic!("a waker that panics on wake");
    }
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

#[test]
fn a_waker_panicking_on_wake_leaves_no_waiter_asleep_and_no_ticket_out() {
    static OPEN: AtomicBool = AtomicBool::new(false);
    struct Slow;
    fn slow() -> Pin<Box<dyn Future<Output = Result<Slow, InitError>> + Send>> {
        Box::pin(std::future::poll_fn(|_| match OPEN.load(SeqCst) {
            true => Poll::Ready(Ok(Slow)),
            false => Poll::Pending,
        }))
    }
    impl crate::AsyncInit for Slow {
        fn init() -> impl Future<Output = Result<Self, InitError>> + Send {
            slow()
        }
    }
    static CELL: ModuleCell<Slow> = ModuleCell::new();
    CELL.index.store(107, SeqCst);
    let builder = Builder::asynchronous();
    let counter = Arc::new(CountWakes(AtomicUsize::new(0)));
    let counting = Waker::from(counter.clone());
    let panicking = Waker::from(Arc::new(PanicOnWake));
    let mut build = Box::pin(CELL.acquire_async("slow", &builder));
    let mut first = Box::pin(CELL.acquire_async("slow", &builder));
    let mut second = Box::pin(CELL.acquire_async("slow", &builder));
    assert!(poll(build.as_mut(), &counting).is_pending());
    assert!(poll(first.as_mut(), &panicking).is_pending());
    assert!(poll(second.as_mut(), &counting).is_pending());
    OPEN.store(true, SeqCst);
    // Publishing wakes `first` (panics), then `second`.
    let built = catch_unwind(AssertUnwindSafe(|| poll(build.as_mut(), &counting)));
    let Ok(Poll::Ready(Ok(guard))) = built else {
        panic!("the waker's panic escaped the builder");
    };
    assert_eq!(
        counter.0.load(SeqCst),
        1,
        "the waiter after it was not woken"
    );
    drop(guard);
    for waiter in [first, second] {
        let mut waiter = waiter;
        let Poll::Ready(Ok(guard)) = poll(waiter.as_mut(), &counting) else {
            panic!("a woken waiter was not served by the build");
        };
        drop(guard);
    }
    drop(build);
    assert!(
        CELL.unload().unwrap().is_some(),
        "a ticket stayed out: the value can never be unloaded"
    );
}

/// A panic payload whose own `Drop` panics.
struct Bomb;
impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the panic payload's own drop panics");
    }
}

#[test]
fn a_drop_panicking_with_a_payload_whose_drop_panics_still_ends_the_unload() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Volatile;
    impl Drop for Volatile {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
            std::panic::panic_any(Bomb);
        }
    }
    fn volatile() -> Result<Volatile, InitError> {
        Ok(Volatile)
    }
    impl crate::Init for Volatile {
        fn init() -> Result<Self, InitError> {
            volatile()
        }
    }
    static CELL: ModuleCell<Volatile> = ModuleCell::new();
    CELL.index.store(108, SeqCst);
    drop(CELL.acquire("volatile", &Builder::blocking()).unwrap());
    let unloaded = catch_unwind(AssertUnwindSafe(|| CELL.unload().map(|r| r.is_some())));
    assert!(
        matches!(unloaded, Ok(Ok(true))),
        "the drop's panics escaped the unload"
    );
    assert_eq!(DROPS.load(SeqCst), 1);
    // The cell left its dropping phase: this thread and another build it again.
    drop(
        CELL.acquire("volatile", &Builder::blocking())
            .expect("builds again"),
    );
    assert!(CELL.unload().unwrap().is_some());
    thread::spawn(|| drop(CELL.acquire("volatile", &Builder::blocking()).unwrap()))
        .join()
        .unwrap();
    assert_eq!(CELL.builds.load(SeqCst), 3);
}

#[test]
fn an_init_panicking_with_a_payload_whose_drop_panics_leaves_the_cell_buildable() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    struct Fragile;
    fn fragile() -> Result<Fragile, InitError> {
        if CALLS.fetch_add(1, SeqCst) == 0 {
            std::panic::panic_any(Bomb);
        }
        Ok(Fragile)
    }
    impl crate::Init for Fragile {
        fn init() -> Result<Self, InitError> {
            fragile()
        }
    }
    static CELL: ModuleCell<Fragile> = ModuleCell::new();
    CELL.index.store(109, SeqCst);
    let first = catch_unwind(AssertUnwindSafe(|| {
        CELL.acquire("fragile", &Builder::blocking())
            .map(drop)
            .map_err(|e| e.to_string())
    }));
    let Ok(Err(err)) = first else {
        panic!("the payload's panic escaped the build");
    };
    assert!(
        err.contains("init panicked") && err.contains("fragile"),
        "{err}"
    );
    drop(
        CELL.acquire("fragile", &Builder::blocking())
            .expect("builds again"),
    );
}
