//! Unload work off the response path: a sweep at the end of a call decides and detaches,
//! and the drop thread drops the value and trims after the call has returned.
//!
//! - the call during which the end-of-call sweep unloads a 100 MiB, 1 M-allocation module
//!   takes about as long as one with nothing to unload (median of several runs);
//! - that call returns while the module's `Drop` is still blocked; a call that needs the
//!   module meanwhile waits for the drop and gets a new build only after it (never two
//!   live instances); the reclaimed bytes are counted once the drop has finished;
//! - `Gateway::sweep` waits for pending drops and reports them complete;
//! - a `Drop` on the drop thread may call back into the gateway.
//!
//! Figures are printed (`cargo test --test deferred_drop -- --nocapture`).

use lmms::{Config, Error, Init, InitError, UnloadStrategy};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// ~100 MiB in 2^20 allocations of 100 bytes.
const BIG_ALLOCS: usize = 1 << 20;
const BIG_ALLOC: usize = 100;

#[lmms::module(name = "big", policy = "feature")]
pub struct Big(Vec<Box<[u8]>>);

impl Init for Big {
    fn init() -> Result<Self, InitError> {
        Ok(Big((0..BIG_ALLOCS)
            .map(|i| vec![(i % 251) as u8; BIG_ALLOC].into_boxed_slice())
            .collect()))
    }
}

#[lmms::operation(interface = "big", op = "len", module = Big)]
pub fn big_len(b: &Big) -> usize {
    b.0.len()
}

/// A call on no module: its end-of-call maintenance is what sweeps.
#[lmms::operation(interface = "ping", op = "ping")]
pub fn ping() -> u64 {
    7
}

/// Its `Drop` waits until the gate opens, so a drop stays pending as long as a test wants.
const GATED_BYTES: usize = 8 << 20;
/// Open, and how many times it was closed.
static GATE: Mutex<(bool, u64)> = Mutex::new((true, 0));
static GATE_CV: Condvar = Condvar::new();
static EVENTS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
static GATED_LIVE: AtomicUsize = AtomicUsize::new(0);
static GATED_MAX_LIVE: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "gated", policy = "feature")]
pub struct Gated(Vec<u8>);

impl Init for Gated {
    fn init() -> Result<Self, InitError> {
        let live = GATED_LIVE.fetch_add(1, SeqCst) + 1;
        GATED_MAX_LIVE.fetch_max(live, SeqCst);
        lock(&EVENTS).push("build");
        Ok(Gated(vec![5; GATED_BYTES]))
    }
}

impl Drop for Gated {
    fn drop(&mut self) {
        lock(&EVENTS).push("drop start");
        let mut gate = lock(&GATE);
        while !gate.0 {
            gate = GATE_CV.wait(gate).unwrap_or_else(|p| p.into_inner());
        }
        drop(gate);
        GATED_LIVE.fetch_sub(1, SeqCst);
        lock(&EVENTS).push("drop end");
    }
}

#[lmms::operation(interface = "gated", op = "len", module = Gated)]
pub fn gated_len(g: &Gated) -> usize {
    g.0.len()
}

fn events() -> Vec<&'static str> {
    lock(&EVENTS).clone()
}

/// Locks, ignoring poison (one failed test must not fail the others).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn open_gate() {
    lock(&GATE).0 = true;
    GATE_CV.notify_all();
}

/// Closes the gate, and opens it again in 10 s unless a test did: were a drop run on the
/// calling thread, the call would wait that long instead of hanging the test.
fn close_gate() {
    let closed = {
        let mut gate = lock(&GATE);
        gate.1 += 1;
        gate.0 = false;
        gate.1
    };
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(10));
        let mut gate = lock(&GATE);
        if gate.1 == closed {
            gate.0 = true;
            GATE_CV.notify_all();
        }
    });
}

/// Its `Drop` calls back into the gateway (it runs on the drop thread).
#[lmms::module(name = "echo", policy = "feature")]
pub struct Echo;

impl Init for Echo {
    fn init() -> Result<Self, InitError> {
        Ok(Echo)
    }
}

#[lmms::operation(interface = "echo", op = "get", module = Echo)]
pub fn echo_get(_e: &Echo) -> u8 {
    1
}

/// What `Echo`'s `Drop` saw: its thread, a call of its own operation and one of another,
/// whether `drain_drops` waited, and the sweep count after a nested `sweep()`.
type EchoSeen = (String, Result<u8, Error>, Result<u64, Error>, bool, u64);
static ECHO_DROP: Mutex<Option<EchoSeen>> = Mutex::new(None);

impl Drop for Echo {
    fn drop(&mut self) {
        let gw = lmms::gateway();
        let own = echo_get();
        let other = ping();
        let drained = gw.drain_drops();
        gw.sweep();
        let thread = std::thread::current().name().unwrap_or("").to_string();
        let seen = (thread, own, other, drained, gw.stats().sweeps);
        *lock(&ECHO_DROP) = Some(seen);
    }
}

/// Tests share one gateway: one at a time, from a clean state.
fn setup() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    let guard = lock(&SERIAL);
    CONFIGURED.get_or_init(|| {
        let config = Config::builder()
            // A feature module goes at the first sweep after its last call.
            .unload_strategy(UnloadStrategy::Idle)
            .trim_on_unload(true)
            // Every call that runs end-of-call maintenance sweeps.
            .sweep_interval(Duration::from_millis(1))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
    });
    open_gate();
    let gw = lmms::gateway();
    assert!(gw.drain_drops());
    for m in ["big", "gated", "echo"] {
        gw.unload(m).unwrap();
    }
    gw.sweep();
    guard
}

fn resident(name: &str) -> bool {
    lmms::gateway()
        .modules()
        .iter()
        .any(|m| m.name == name && m.resident)
}

fn drops_of(name: &str) -> u64 {
    let modules = lmms::gateway().modules();
    modules.iter().find(|m| m.name == name).unwrap().drops
}

/// Runs `f` on a new thread, whose first call runs end-of-call maintenance (one call in 64
/// per thread does), after the sweep interval has passed.
fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    // Past the 1 ms sweep interval on the coarse clock (4 ms ticks at 250 Hz).
    std::thread::sleep(Duration::from_millis(10));
    std::thread::spawn(f).join().unwrap()
}

/// Wall time of a `ping` call whose end-of-call sweep runs.
fn timed_ping() -> Duration {
    on_fresh_thread(|| {
        let t = Instant::now();
        assert_eq!(ping().unwrap(), 7);
        t.elapsed()
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn an_unload_at_the_end_of_a_call_costs_that_call_no_drop() {
    let _g = setup();
    let gw = lmms::gateway();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..11 {
        // Nothing to unload.
        assert!(gw.drain_drops());
        assert!(!resident("big"));
        without.push(timed_ping());

        // The 100 MiB module is resident and idle: this call's sweep unloads it.
        on_fresh_thread(|| big_len().unwrap());
        assert!(resident("big"));
        let drops = drops_of("big");
        let reclaimed = gw.stats().memory_reclaimed_bytes.unwrap();
        with.push(timed_ping());
        assert!(!resident("big"), "the sweep did not unload the module");
        assert!(gw.drain_drops());
        assert_eq!(drops_of("big"), drops + 1);
        let freed = gw.stats().memory_reclaimed_bytes.unwrap() - reclaimed;
        assert!(
            freed >= (BIG_ALLOCS * BIG_ALLOC) as u64,
            "reclaimed {freed} bytes, the module held more"
        );
    }
    let (w, wo) = (median(with.clone()), median(without.clone()));
    println!("call with an unload: median {w:?} {with:?}\ncall without: median {wo:?} {without:?}");
    let stats = gw.stats();
    println!(
        "drop thread: {} drops, {:.1} ms",
        stats.deferred_drops,
        stats.deferred_drop_ns as f64 / 1e6
    );
    assert!(
        w <= wo + Duration::from_millis(5),
        "the call that unloaded 100 MiB took {w:?}, {:?} more than one that unloaded nothing",
        w.saturating_sub(wo)
    );
}

#[test]
fn a_deferred_drop_blocks_no_caller_and_a_rebuild_waits_for_it() {
    let _g = setup();
    let gw = lmms::gateway();
    on_fresh_thread(|| gated_len().unwrap());
    lock(&EVENTS).clear();
    let reclaimed = gw.stats().memory_reclaimed_bytes.unwrap();
    let deferred = gw.stats().deferred_drops;
    close_gate();
    let took = timed_ping();
    assert!(
        took < Duration::from_secs(5),
        "the call waited {took:?} for the module's Drop"
    );
    assert!(!resident("gated"));
    // The drop thread starts the drop shortly after the call (and stays in it).
    let t = Instant::now();
    while events().is_empty() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(events(), ["drop start"]);
    let stats = gw.stats();
    assert_eq!(stats.deferred_drops_pending, 1);
    assert_eq!(stats.deferred_drops, deferred);
    assert_eq!(
        stats.memory_reclaimed_bytes.unwrap(),
        reclaimed,
        "counted before the drop ended"
    );

    // A call needing the module waits for the drop, then builds.
    let served = std::sync::Arc::new(AtomicBool::new(false));
    let caller = {
        let served = served.clone();
        std::thread::spawn(move || {
            let r = gated_len();
            served.store(true, SeqCst);
            r
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !served.load(SeqCst),
        "served while the old value's Drop ran"
    );
    assert_eq!(GATED_LIVE.load(SeqCst), 1);
    open_gate();
    assert_eq!(caller.join().unwrap().unwrap(), GATED_BYTES);
    assert_eq!(
        events(),
        ["drop start", "drop end", "build"],
        "the new value was built before the old one's Drop ended"
    );
    assert_eq!(GATED_MAX_LIVE.load(SeqCst), 1, "two live instances");

    assert!(gw.drain_drops());
    let stats = gw.stats();
    assert_eq!(stats.deferred_drops_pending, 0);
    assert_eq!(stats.deferred_drops, deferred + 1);
    let freed = stats.memory_reclaimed_bytes.unwrap() - reclaimed;
    assert!(freed >= GATED_BYTES as u64, "reclaimed {freed} bytes");
}

#[test]
fn sweep_waits_for_deferred_drops_and_reports_them() {
    let _g = setup();
    let gw = lmms::gateway();
    on_fresh_thread(|| gated_len().unwrap());
    close_gate();
    timed_ping();
    assert!(!resident("gated"));
    assert_eq!(gw.stats().deferred_drops_pending, 1);
    let opener = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(200));
        open_gate();
    });
    let report = gw.sweep();
    opener.join().unwrap();
    println!("{report:#?}");
    assert_eq!(gw.stats().deferred_drops_pending, 0);
    let d = &report.deferred;
    let gated: Vec<_> = d.unloads.iter().filter(|u| u.module == "gated").collect();
    assert_eq!(gated.len(), 1, "{d:?}");
    assert!(gated[0].reclaimed_bytes.unwrap() >= GATED_BYTES as u64);
    assert!(d.reclaimed_bytes.unwrap() >= GATED_BYTES as u64);
    assert!(
        d.trim_released_bytes.is_some(),
        "trim_on_unload: the drop thread trims"
    );
    // The deciding sweep held its caller for microseconds; the drop took the 200 ms.
    assert!(d.blocking_ns < 100_000_000, "{d:?}");
    assert!(d.cost_ns >= d.blocking_ns + 150_000_000, "{d:?}");
    // `sweep` waited for it.
    assert!(report.blocking_ns >= 150_000_000, "{report:?}");
    assert!(report.cost_ns.unwrap() <= report.blocking_ns);
    // Collected once.
    assert!(gw.sweep().deferred.unloads.is_empty());
}

#[test]
fn a_drop_on_the_drop_thread_may_call_back_into_the_gateway() {
    let _g = setup();
    let gw = lmms::gateway();
    on_fresh_thread(|| echo_get().unwrap());
    *lock(&ECHO_DROP) = None;
    timed_ping();
    assert!(gw.drain_drops());
    let sweeps = gw.stats().sweeps;
    let seen = lock(&ECHO_DROP).take();
    let (thread, own, other, drained, sweeps_seen) = seen.expect("Drop ran");
    assert_eq!(thread, "lmms-drops");
    assert!(
        matches!(own, Err(Error::ModuleUnloading { ref module }) if module == "echo"),
        "{own:?}"
    );
    assert_eq!(other.unwrap(), 7);
    assert!(
        !drained,
        "a Drop does not wait for the drop thread (its own)"
    );
    assert!(
        sweeps_seen <= sweeps && sweeps_seen > 0,
        "the nested sweep ran"
    );
}
