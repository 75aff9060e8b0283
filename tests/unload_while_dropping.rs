//! A forced unload of a module whose value is being dropped (by a sweep, its `Drop` still
//! running) finds nothing resident: it returns `Ok(false)`, not a refusal blamed on calls
//! in flight, and counts no blocked unload.

use lmms::{Config, Init, InitError, Protection, UnloadStrategy};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static OPEN: Mutex<bool> = Mutex::new(true);
static OPEN_CV: Condvar = Condvar::new();
static DROP_STARTED: AtomicBool = AtomicBool::new(false);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn set_gate(open: bool) {
    *lock(&OPEN) = open;
    OPEN_CV.notify_all();
}

/// Its `Drop` waits until the gate opens (at most 20 s).
#[lmms::module(name = "slow_drop", policy = "feature")]
pub struct SlowDrop(Vec<u8>);

impl Init for SlowDrop {
    fn init() -> Result<Self, InitError> {
        Ok(SlowDrop(vec![1; 1024]))
    }
}

impl Drop for SlowDrop {
    fn drop(&mut self) {
        DROP_STARTED.store(true, SeqCst);
        let t = Instant::now();
        let mut open = lock(&OPEN);
        while !*open && t.elapsed() < Duration::from_secs(20) {
            open = OPEN_CV
                .wait_timeout(open, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[lmms::operation(interface = "slow_drop", op = "get", module = SlowDrop)]
pub fn slow_drop_get(m: &SlowDrop) -> usize {
    m.0.len()
}

#[test]
fn unloading_a_module_whose_drop_runs_finds_nothing_resident() {
    let config = Config::builder()
        .unload_strategy(UnloadStrategy::Idle)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    assert_eq!(slow_drop_get().unwrap(), 1024);

    // A sweep on another thread unloads the idle `feature` module; its `Drop` blocks there.
    set_gate(false);
    let sweeper = std::thread::spawn(|| lmms::gateway().sweep());
    let t = Instant::now();
    while !DROP_STARTED.load(SeqCst) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the sweep never dropped"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let blocked_before = gw.stats().unload_blocked;

    let r = gw.unload("slow_drop");
    set_gate(true);
    let report = sweeper.join().unwrap();
    assert_eq!(report.unloaded, ["slow_drop"]);
    assert!(
        matches!(r, Ok(false)),
        "no call is in flight and nothing is resident, yet: {r:?}"
    );
    let stats = gw.stats();
    assert_eq!(stats.unload_blocked, blocked_before, "{stats:?}");
    assert_eq!(
        stats.unload_blocked_by.get(&Protection::ActiveCalls),
        None,
        "an unload blamed on calls in flight with none"
    );
}
