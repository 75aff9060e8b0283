//! Protections 3 (cache dependencies) and 4 (grace period) are decided atomically with the
//! unload: a use or a cache entry that lands between the sweep's first look and the unload
//! itself keeps the module. After a call has finished, the module it ran on is resident
//! whatever a racing sweep did — unloaded before the call (which then rebuilt it) or kept.

use lmms::{Config, Init, InitError, ManualClock, UnloadStrategy};
use std::sync::{Arc, Barrier};
use std::time::Duration;

#[lmms::module(name = "graced", policy = "utility")]
pub struct Graced(u32);
impl Init for Graced {
    fn init() -> Result<Self, InitError> {
        Ok(Graced(1))
    }
}
#[lmms::operation(interface = "graced", op = "get", module = Graced)]
pub fn graced_get(g: &Graced) -> u32 {
    g.0
}

#[lmms::module(name = "cached", policy = "feature")]
pub struct Cached(u32);
impl Init for Cached {
    fn init() -> Result<Self, InitError> {
        Ok(Cached(2))
    }
}
#[lmms::operation(interface = "cached", op = "get", module = Cached, cache_ttl = "1h")]
pub fn cached_get(c: &Cached, key: u64) -> u64 {
    key.wrapping_add(u64::from(c.0))
}

const ROUNDS: u64 = if cfg!(debug_assertions) {
    3_000
} else {
    20_000
};

#[test]
fn a_use_or_cache_entry_racing_the_sweep_keeps_the_module() {
    let clock = ManualClock::new();
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .unload_strategy(UnloadStrategy::Idle)
        .grace_period(Duration::from_secs(30))
        .min_resident_modules(0)
        .fast_path_threshold(u64::MAX / 8)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let barrier = Arc::new(Barrier::new(2));
    let resident = |n: &str| gw.modules().iter().any(|m| m.name == n && m.resident);
    let mut unloaded_before_call = 0;
    for round in 0..ROUNDS {
        // Both modules resident, past the grace period, no cache entry left.
        graced_get().unwrap();
        cached_get(u64::MAX - 1).unwrap();
        clock.advance(Duration::from_secs(7200));
        gw.sweep();
        graced_get().unwrap();
        clock.advance(Duration::from_secs(31));
        let b = barrier.clone();
        let caller = std::thread::spawn(move || {
            b.wait();
            graced_get().unwrap();
            cached_get(round).unwrap();
        });
        barrier.wait();
        let report = gw.sweep();
        caller.join().unwrap();
        unloaded_before_call += report.unloaded.len();
        assert!(
            resident("graced"),
            "round {round}: used, yet unloaded: {report:?}"
        );
        assert!(
            resident("cached"),
            "round {round}: a live entry, yet unloaded: {report:?}"
        );
    }
    println!("[protections_atomic] {ROUNDS} rounds; {unloaded_before_call} unloads raced the calls and lost nothing");
}
