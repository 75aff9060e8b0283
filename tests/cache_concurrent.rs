//! The result cache under concurrent writers: threads hit, miss (insert), evict (a small
//! `CACHE_MAX_ENTRIES`) and purge (sweeps with the clock moving) at once, on two operations
//! of two modules. Every call returns its key's value, the bound holds, and the dependency
//! counts stay exact: once everything expired, a sweep brings every count to zero.

use lmms::{Config, Init, InitError, ManualClock};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

const MAX: usize = 40;

#[lmms::module(name = "cc_a", policy = "feature")]
pub struct A;
impl Init for A {
    fn init() -> Result<Self, InitError> {
        Ok(A)
    }
}

#[lmms::module(name = "cc_b", policy = "feature")]
pub struct B;
impl Init for B {
    fn init() -> Result<Self, InitError> {
        Ok(B)
    }
}

#[lmms::operation(interface = "cc_a", op = "get", module = A, cache_ttl = "2s")]
pub fn a_get(_m: &A, k: u64) -> u64 {
    k * 3
}

#[lmms::operation(interface = "cc_b", op = "get", module = B, cache_ttl = "5s")]
pub fn b_get(_m: &B, k: String) -> String {
    format!("b{k}")
}

/// (module entries, operation entries) for one interface.
fn entries(name: &str) -> (usize, usize) {
    let gw = lmms::gateway();
    let m = gw.modules().into_iter().find(|m| m.name == name).unwrap();
    let op = gw
        .operations()
        .into_iter()
        .find(|o| o.interface == name)
        .unwrap();
    (m.cache_entries, op.cache_entries)
}

#[test]
fn concurrent_hits_inserts_evictions_and_purges_keep_counts_exact() {
    let clock = ManualClock::new();
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .cache_max_entries(MAX)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..4u64)
            .map(|t| {
                s.spawn(move || {
                    for i in 0..3_000u64 {
                        // Few enough keys for hits, enough to overflow the bound.
                        let k = (i * 7 + t * 13) % 60;
                        assert_eq!(a_get(k).unwrap(), k * 3);
                        assert_eq!(b_get(k.to_string()).unwrap(), format!("b{k}"));
                    }
                })
            })
            .collect();
        s.spawn(|| {
            while !stop.load(SeqCst) {
                clock.advance(Duration::from_millis(100));
                gw.sweep();
                std::thread::yield_now();
            }
        });
        for caller in callers {
            caller.join().unwrap();
        }
        stop.store(true, SeqCst);
    });
    let (ma, oa) = entries("cc_a");
    let (mb, ob) = entries("cc_b");
    assert_eq!((ma, mb), (oa, ob), "module and operation counts disagree");
    assert!(oa + ob <= MAX, "{} entries over the bound {MAX}", oa + ob);
    let stats = gw.stats();
    assert!(stats.cache_hits > 0 && stats.cache_misses > 0, "{stats:?}");
    assert_eq!(stats.cache_hits + stats.cache_misses, 2 * 4 * 3_000);

    // Everything expires: one sweep purges all and releases every dependency.
    clock.advance(Duration::from_secs(5));
    let report = gw.sweep();
    assert_eq!(report.expired_cache_entries, oa + ob);
    assert_eq!((entries("cc_a"), entries("cc_b")), ((0, 0), (0, 0)));
}
