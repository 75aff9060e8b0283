//! A cached value's `Drop` is user code: when a sweep purges expired entries it runs with
//! no runtime lock held (so it may call the gateway) and a panic in it is contained (two in
//! one purge must not abort the process).

use lmms::{Config, ManualClock};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

/// What the stored values do when dropped, once armed (the clones handed to callers are
/// dropped before).
static CALL_STATS: AtomicBool = AtomicBool::new(false);
static PANIC: AtomicBool = AtomicBool::new(false);
static STATS_SEEN: AtomicUsize = AtomicUsize::new(0);
static PANICKED: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone)]
pub struct Hostile(u64);

impl Drop for Hostile {
    fn drop(&mut self) {
        if CALL_STATS.load(SeqCst) {
            // Takes the gateway's sweep lock: a self-deadlock if the sweep still held it.
            let stats = lmms::gateway().stats();
            assert!(stats.sweeps >= 1);
            STATS_SEEN.fetch_add(1, SeqCst);
        }
        if PANIC.load(SeqCst) {
            PANICKED.fetch_add(1, SeqCst);
            panic!("cached value {} refuses to go", self.0);
        }
    }
}

#[lmms::operation(interface = "hostile", op = "get", cache_ttl = "10s", dynamic = false)]
pub fn get(n: u64) -> Hostile {
    Hostile(n)
}

fn clock() -> &'static ManualClock {
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            // Only explicit sweeps.
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        clock
    })
}

/// A sweep on another thread, bounded: a deadlocked sweep fails the test instead of hanging it.
fn sweep_within(limit: Duration) -> lmms::SweepReport {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(lmms::gateway().sweep()).ok());
    rx.recv_timeout(limit)
        .expect("the sweep did not finish: a cached value's Drop ran under a runtime lock")
}

#[test]
fn purged_values_drop_outside_the_sweep_lock_and_their_panics_are_contained() {
    let clock = clock();
    // Entries 1 and 2: their Drop calls `stats()`.
    for n in [1, 2] {
        assert_eq!(get(n).unwrap().0, n);
    }
    clock.advance(Duration::from_secs(11));
    CALL_STATS.store(true, SeqCst);
    let report = sweep_within(Duration::from_secs(60));
    CALL_STATS.store(false, SeqCst);
    assert_eq!(report.expired_cache_entries, 2);
    assert_eq!(STATS_SEEN.load(SeqCst), 2, "both values were dropped");

    // Entries 3 and 4: their Drop panics. Both purged by one sweep, which returns.
    for n in [3, 4] {
        assert_eq!(get(n).unwrap().0, n);
    }
    clock.advance(Duration::from_secs(11));
    PANIC.store(true, SeqCst);
    let report = sweep_within(Duration::from_secs(60));
    PANIC.store(false, SeqCst);
    assert_eq!(report.expired_cache_entries, 2);
    assert_eq!(PANICKED.load(SeqCst), 2, "both Drops ran (and panicked)");

    // The gateway works on: a new entry is cached and served.
    assert_eq!(get(5).unwrap().0, 5);
    assert_eq!(lmms::gateway().stats().cache_hits, 0);
    assert_eq!(get(5).unwrap().0, 5);
    assert_eq!(lmms::gateway().stats().cache_hits, 1);
}
