//! A module's first build has no size of its own yet; a heat profile exported by another
//! instance carries it. With the profile configured, the first build of a big module
//! already makes room (here the profile preloads nothing: it only lends the size).

use lmms::{Config, HeatPreload, HeatProfile, Init, InitError, ModuleHeat, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const MIB: u64 = 1 << 20;

#[lmms::module(name = "resident_tiles", policy = "feature")]
pub struct Tiles(Vec<u8>);
impl Init for Tiles {
    fn init() -> Result<Self, InitError> {
        Ok(Tiles(vec![1; 24 << 20]))
    }
}
#[lmms::operation(interface = "tiles", op = "get", module = Tiles)]
pub fn tiles(t: &Tiles) -> usize {
    t.0.len()
}

#[lmms::module(name = "profiled_model", policy = "feature")]
pub struct Model(Vec<u8>);
impl Init for Model {
    fn init() -> Result<Self, InitError> {
        Ok(Model(vec![2; 40 << 20]))
    }
}
#[lmms::operation(interface = "model", op = "get", module = Model)]
pub fn model(m: &Model) -> usize {
    m.0.len()
}

#[test]
fn the_profiled_size_makes_room_before_a_first_build() {
    lmms::memory::trim();
    let rss = lmms::memory::rss_bytes().unwrap();
    let budget_mb = (rss + 52 * MIB).div_ceil(MIB) * 10 / 9;
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
