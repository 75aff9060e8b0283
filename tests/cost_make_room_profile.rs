//! A module's first build has no size of its own yet; a heat profile exported by another
//! instance carries it. With the profile configured, the first build of a big module
//! already makes room (here the profile preloads nothing: it only lends the size).

#[path = "common/budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, sized_module, MIB};
use lmms::{Config, HeatPreload, HeatProfile, ModuleHeat, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

sized_module!(Tiles, "resident_tiles", "tiles", tiles, 24);
sized_module!(Model, "profiled_model", "model", model, 40);

#[test]
fn the_profiled_size_makes_room_before_a_first_build() {
    let budget_mb = budget_mb_high_above_rss(52 * MIB);
    let mut entry = ModuleHeat::new("profiled_model", 1);
    entry.bytes = Some(40 * MIB);
    let mut preload = HeatPreload::new(HeatProfile::new(3600, vec![entry]));
    preload.min_calls = u64::MAX; // lend the size, preload nothing
    let config = Config::builder()
        .memory_budget_mb(budget_mb)
        .heat_preload(preload)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    tiles().unwrap();
    lmms::memory::reset_heap_high_water();
    model().unwrap();
    let peak = lmms::memory::heap_high_water_bytes().unwrap();
    let resident = |n: &str| gw.modules().iter().any(|m| m.name == n && m.resident);
    assert!(!resident("resident_tiles") && resident("profiled_model"));
    assert_eq!(
        gw.stats().unloads_by_reason.get(&UnloadReason::Pressure),
        Some(&1)
    );
    assert!(peak < budget_mb * MIB * 9 / 10, "heap peak {peak}");
}
