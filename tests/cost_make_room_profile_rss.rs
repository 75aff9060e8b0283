//! A first build's expected size from a heat profile is the larger of its `bytes` and its
//! `rss_growth_bytes`: here the profile says the module's build counted 16 MiB of heap but
//! grew RSS by 40 MiB (as many small allocations do), and room is made for the 40.

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
fn the_profiled_rss_growth_makes_room_before_a_first_build() {
    // Tiles (24) + the heap figure (16) fit under HIGH; tiles + the RSS growth (40) do not.
    let budget_mb = budget_mb_high_above_rss(52 * MIB);
    let mut entry = ModuleHeat::new("profiled_model", 1);
    entry.bytes = Some(16 * MIB);
    entry.rss_growth_bytes = Some(40 * MIB);
    let mut preload = HeatPreload::new(HeatProfile::new(3600, vec![entry]));
    preload.min_calls = u64::MAX; // lend the figures, preload nothing
    let config = Config::builder()
        .memory_budget_mb(budget_mb)
        .heat_preload(preload)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    tiles().unwrap();
    model().unwrap();
    let rss = lmms::memory::rss_bytes().unwrap();
    let resident = |n: &str| gw.modules().iter().any(|m| m.name == n && m.resident);
    assert!(!resident("resident_tiles") && resident("profiled_model"));
    assert_eq!(
        gw.stats().unloads_by_reason.get(&UnloadReason::Pressure),
        Some(&1)
    );
    assert!(rss < budget_mb * MIB * 9 / 10, "RSS {rss}");
}
