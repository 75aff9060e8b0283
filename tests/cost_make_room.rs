//! With a memory budget, room is made *before* a build: when RSS plus what the module's
//! previous build allocated would reach HIGH pressure, the pressure rule evicts first, so
//! the build does not take the process over its budget (a Lambda function is stopped when
//! it goes over its configured memory; an eviction at the next sweep would come too late).

#[path = "common/budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::{Config, ManualClock, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

sized_module!(Tiles, "tiles", "tiles", tiles, 24);
sized_module!(Model, "model", "model", model, 40);

#[test]
fn a_known_big_build_evicts_first_and_stays_under_the_budget() {
    let clock = ManualClock::new();
    // Either module fits under HIGH on its own; both together do not.
    let budget_mb = budget_mb_high_above_rss(52 * MIB);
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .memory_budget_mb(budget_mb)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let budget = budget_mb * MIB;

    // The model's size becomes known with its first build; then it goes.
    model().unwrap();
    assert!(gw.unload("model").unwrap());
    tiles().unwrap();
    clock.advance(Duration::from_secs(1));
    assert!(gw.pressure().unwrap() < Pressure::High);

    // Building the model again would cross HIGH: the tiles go first.
    lmms::memory::reset_heap_high_water();
    model().unwrap();
    let peak_heap = lmms::memory::heap_high_water_bytes().unwrap();
    let resident = |n: &str| gw.modules().iter().any(|m| m.name == n && m.resident);
    let figures = format!(
        "budget {:.1} MiB, heap peak during the build {:.1} MiB, RSS now {:.1} MiB",
        budget as f64 / MIB as f64,
        peak_heap as f64 / MIB as f64,
        rss() as f64 / MIB as f64
    );
    println!("[cost_make_room] {figures}");
    assert!(!resident("tiles"), "{figures}");
    assert!(resident("model"), "{figures}");
    assert_eq!(
        gw.stats().unloads_by_reason.get(&UnloadReason::Pressure),
        Some(&1)
    );
    assert!(peak_heap < budget * 9 / 10, "{figures}");
}
