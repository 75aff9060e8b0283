//! With a memory budget, room is made *before* a build: when RSS plus what the module's
//! previous build allocated would reach HIGH pressure, the pressure rule evicts first, so
//! the build does not take the process over its budget (a Lambda function is stopped when
//! it goes over its configured memory; an eviction at the next sweep would come too late).

use lmms::memory::Pressure;
use lmms::{Config, Init, InitError, ManualClock, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const MIB: u64 = 1 << 20;

#[lmms::module(name = "tiles", policy = "feature")]
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

#[lmms::module(name = "model", policy = "feature")]
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

fn rss() -> u64 {
    lmms::memory::trim();
    lmms::memory::rss_bytes().expect("RSS readable")
}

#[test]
fn a_known_big_build_evicts_first_and_stays_under_the_budget() {
    let clock = ManualClock::new();
    // Either module fits under HIGH on its own; both together do not.
    let budget_mb = (rss() + 52 * MIB).div_ceil(MIB) * 10 / 9;
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
