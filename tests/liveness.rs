//! A call is served by the build it waited for: with grace 0 and a sweeper unloading
//! nonstop, a build cannot be dropped before the calls that triggered or awaited it ran on
//! it. Every build serves at least one call, so calls ≥ builds; before builds were handed
//! to their waiters, 3 callers got 3 calls through against hundreds of builds.

use lmms::{Config, Init, InitError, UnloadStrategy};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

static BUILDS: AtomicU64 = AtomicU64::new(0);

#[lmms::module(name = "churn", policy = "feature")]
pub struct Churn(Vec<u64>);
impl Init for Churn {
    fn init() -> Result<Self, InitError> {
        BUILDS.fetch_add(1, SeqCst);
        // A build long enough for the sweeper to race it.
        std::thread::sleep(Duration::from_micros(200));
        Ok(Churn(vec![7; 256]))
    }
}

#[lmms::operation(interface = "churn", op = "get", module = Churn)]
pub fn get(c: &Churn) -> u64 {
    c.0[3]
}

#[test]
fn every_build_serves_the_calls_that_waited_for_it() {
    let config = Config::builder()
        .unload_strategy(UnloadStrategy::Idle)
        .grace_period(Duration::ZERO)
        .min_resident_modules(0)
        // Never HOT: heat must not shield the module from the sweeper.
        .fast_path_threshold(u64::MAX / 8)
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let stop = Arc::new(AtomicBool::new(false));
    let sweeper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut unloads = 0u64;
            let mut round = 0u64;
            while !stop.load(SeqCst) {
                // Mostly the cheapest unload there is, to hit the moment right after a
                // build is published; now and then a whole sweep (grace 0 unloads too).
                round += 1;
                if round % 64 == 0 {
                    unloads += gw.sweep().unloaded.len() as u64;
                } else if gw.unload("churn").unwrap_or(false) {
                    unloads += 1;
                }
            }
            unloads
        })
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    let callers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    assert_eq!(get().unwrap(), 7);
                    calls += 1;
                    // Idle between calls, so the unloader finds the module free and the
                    // next call has to build it again.
                    std::thread::sleep(Duration::from_micros(50));
                }
                calls
            })
        })
        .collect();
    let calls: u64 = callers.into_iter().map(|h| h.join().unwrap()).sum();
    stop.store(true, SeqCst);
    let unloads = sweeper.join().unwrap();
    let builds = BUILDS.load(SeqCst);
    println!("[liveness] 3 callers, 3 s: {calls} calls, {builds} builds, {unloads} unloads");
    assert!(unloads > 0, "the sweeper must really race the callers");
    assert!(calls >= builds, "{calls} calls < {builds} builds");
}
