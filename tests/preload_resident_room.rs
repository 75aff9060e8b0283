//! Preloading a module that is already resident builds nothing, so it makes no room:
//! with a memory budget it must not evict anything (not even the module itself) for a
//! build that does not happen.

#[path = "common/budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::{Config, ManualClock};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

sized_module!(Model, "model", "model", model, 40);

#[test]
fn preloading_a_resident_module_evicts_nothing() {
    let clock = ManualClock::new();
    // The model fits under HIGH once, not twice.
    let budget_mb = budget_mb_high_above_rss(60 * MIB);
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .memory_budget_mb(budget_mb)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();

    model().unwrap();
    // Two invocations without a call: the model leaves the working set.
    for _ in 0..3 {
        clock.advance(Duration::from_secs(1));
        let r = gw.sweep();
        assert!(r.unloaded.is_empty(), "{r:?}");
    }
    assert!(gw.pressure().unwrap() < Pressure::High);
    let info = |n: &str| gw.modules().into_iter().find(|m| m.name == n).unwrap();
    assert!(info("model").resident);

    gw.preload("model").unwrap();
    let m = info("model");
    let stats = gw.stats();
    assert_eq!(
        (m.builds, m.drops, stats.lugs_unloads),
        (1, 0, 0),
        "preloading the resident model evicted it and built it again: {:?}",
        stats.unloads_by_reason
    );
}
