//! One scenario, run under each unload strategy by `tests/strategy_cost.rs` and
//! `tests/strategy_idle.rs` (each its own process: the gateway is configured once).
//!
//! Two `feature` modules, used one after the other under a memory budget: `old_small`
//! (1 MiB, 40 ms of CPU to build, used first) and `old_cheap` (24 MiB, a few ms per MiB to
//! build). With both resident the process is at HIGH pressure; dropping `old_cheap` brings
//! it below. Then a sweep: the idle rule drops the least recently used module first,
//! whatever it costs to rebuild (and, still at HIGH, the other one after it); the cost rule
//! drops the one that is cheapest to rebuild per byte it frees, and only that one.

#[path = "budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::{Config, Init, InitError, ManualClock, SweepReport, UnloadStrategy};
use std::time::{Duration, Instant};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

#[lmms::module(name = "old_small", policy = "feature")]
pub struct OldSmall(Vec<u64>);
impl Init for OldSmall {
    fn init() -> Result<Self, InitError> {
        let t = Instant::now();
        let mut x = 7u64;
        while t.elapsed() < Duration::from_millis(40) {
            for _ in 0..10_000 {
                x = x.rotate_left(5) ^ x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            }
        }
        Ok(OldSmall(vec![x | 1; (MIB / 8) as usize]))
    }
}
#[lmms::operation(interface = "old_small", op = "get", module = OldSmall)]
pub fn old_small(m: &OldSmall) -> usize {
    m.0.len()
}

sized_module!(OldCheap, "old_cheap", "old_cheap", old_cheap, 24);

/// Runs the scenario under `strategy`; returns the sweep's report.
pub fn run(strategy: UnloadStrategy) -> SweepReport {
    let clock = ManualClock::new();
    // HIGH with both (base + 25 MiB), below HIGH without old_cheap (base + 1 MiB), still
    // HIGH without old_small (base + 24 MiB): 0.9 × budget = base + 13 MiB.
    let budget_mb = budget_mb_high_above_rss(13 * MIB);
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .unload_strategy(strategy)
        .memory_budget_mb(budget_mb)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    for call in [old_small, old_cheap] {
        call().unwrap();
        clock.advance(Duration::from_secs(1));
    }
    assert!(gw.pressure().unwrap() >= Pressure::High);
    let report = gw.sweep();
    println!("[strategy {strategy:?}] {report:?}");
    report
}
