//! `CACHE_MAX_ENTRIES` across all operations: an insert into a full cache evicts the entry
//! that expires soonest (the oldest insert among equal expiries), never the new one, and
//! every eviction releases its module's dependency.

use lmms::{Config, Init, InitError, ManualClock};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

static LONG_RUNS: AtomicUsize = AtomicUsize::new(0);
static SHORT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "b_long", policy = "feature")]
pub struct Long;
impl Init for Long {
    fn init() -> Result<Self, InitError> {
        Ok(Long)
    }
}

#[lmms::module(name = "b_short", policy = "feature")]
pub struct Short;
impl Init for Short {
    fn init() -> Result<Self, InitError> {
        Ok(Short)
    }
}

#[lmms::operation(interface = "b_long", op = "get", module = Long, cache_ttl = "100s")]
pub fn long(_m: &Long, n: u32) -> u32 {
    LONG_RUNS.fetch_add(1, SeqCst);
    n
}

#[lmms::operation(interface = "b_short", op = "get", module = Short, cache_ttl = "10s")]
pub fn short(_m: &Short, n: u32) -> u32 {
    SHORT_RUNS.fetch_add(1, SeqCst);
    n
}

fn entries(module: &str) -> usize {
    let gw = lmms::gateway();
    let m = gw.modules().into_iter().find(|m| m.name == module).unwrap();
    let op = gw
        .operations()
        .into_iter()
        .find(|o| o.interface == module)
        .unwrap();
    assert_eq!(
        m.cache_entries, op.cache_entries,
        "{module}: module and op disagree"
    );
    op.cache_entries
}

/// Calls `long(n)` and says whether it was a hit.
fn long_hit(n: u32) -> bool {
    let before = LONG_RUNS.load(SeqCst);
    assert_eq!(long(n).unwrap(), n);
    LONG_RUNS.load(SeqCst) == before
}

fn short_hit(n: u32) -> bool {
    let before = SHORT_RUNS.load(SeqCst);
    assert_eq!(short(n).unwrap(), n);
    SHORT_RUNS.load(SeqCst) == before
}

#[test]
fn full_cache_evicts_soonest_expiry_then_oldest_insert() {
    let clock = ManualClock::new();
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .cache_max_entries(3)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();

    // Equal TTLs: first in, first out.
    assert!(!long_hit(1));
    assert!(!long_hit(2));
    assert!(!long_hit(3));
    assert_eq!(entries("b_long"), 3);
    assert!(!long_hit(4)); // full: evicts 1, the oldest
    assert_eq!(entries("b_long"), 3);
    assert!(long_hit(2) && long_hit(3) && long_hit(4));
    assert!(!long_hit(1)); // evicted; re-inserting it evicts 2
    assert!(long_hit(3) && long_hit(4) && long_hit(1));
    assert!(!long_hit(2));
    // Now live: 4 (expires 100 s), 1 (100 s), 2 (100 s), all inserted at t = 0.

    // Mixed TTLs: the entry that expires soonest goes first, even if it is the newest.
    clock.advance(Duration::from_secs(1));
    assert!(!short_hit(7)); // full: evicts 4, the oldest of the equal expiries
    assert_eq!((entries("b_long"), entries("b_short")), (2, 1));
    clock.advance(Duration::from_secs(1));
    assert!(!long_hit(5)); // full: evicts short 7 (expires at 11 s), not long 1 or 2
    assert_eq!((entries("b_long"), entries("b_short")), (3, 0));
    assert!(long_hit(1) && long_hit(2) && long_hit(5));

    // The new entry is never its own victim, even when it expires soonest of all.
    assert!(!short_hit(8)); // expires at 12 s; evicts long 1 (100 s, oldest)
    assert!(short_hit(8));
    assert_eq!((entries("b_long"), entries("b_short")), (2, 1));

    // Evictions released the dependency exactly: once short 8 expires, `b_short` unloads.
    clock.advance(Duration::from_secs(10));
    let report = gw.sweep();
    assert_eq!(report.expired_cache_entries, 1);
    assert!(
        report.unloaded.contains(&"b_short".to_string()),
        "{report:?}"
    );
    assert!(!report.unloaded.contains(&"b_long".to_string()));
    assert_eq!((entries("b_long"), entries("b_short")), (2, 0));
}
