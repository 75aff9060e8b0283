//! A build made of many small allocations grows RSS by more than the heap bytes it
//! allocates: each allocation carries the allocator's chunk overhead (glibc: 32 bytes of
//! pages for an 8-byte box). The platform counts RSS, so making room before a rebuild must
//! expect the RSS growth measured across the previous build, not only its heap bytes —
//! else the eviction leaves the process short and the build takes it over HIGH.

#[path = "common/budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::{Config, ManualClock, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

sized_module!(Tiles, "tiles", "tiles", tiles, 24);

/// Boxes in the index: 2 M × 8 bytes counted (+ 16 MB of pointers), about 76 MiB of RSS.
const BOXES: usize = 2_000_000;

/// A module whose value is two million separately allocated 8-byte boxes.
#[lmms::module(name = "index", policy = "feature")]
// Boxed on purpose: one small allocation each, the point of the module.
#[allow(clippy::vec_box)]
pub struct Index(Vec<Box<u64>>);

impl lmms::Init for Index {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Index((1..=BOXES as u64).map(Box::new).collect()))
    }
}

#[lmms::operation(interface = "index", op = "len", module = Index)]
pub fn index_len(m: &Index) -> usize {
    m.0.len()
}

#[test]
fn the_rss_growth_of_many_small_allocations_makes_room_before_a_rebuild() {
    let clock = ManualClock::new();
    // HIGH is 88 MiB above the RSS now: the index alone (~76 MiB of RSS) fits under it;
    // the tiles (24 MiB) plus the index's heap bytes (~31 MiB) would too, but the tiles
    // plus the index's RSS growth (~100 MiB) do not.
    let budget_mb = budget_mb_high_above_rss(88 * MIB);
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .memory_budget_mb(budget_mb)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let high = budget_mb * MIB * 9 / 10;
    let info = |n: &str| gw.modules().into_iter().find(|m| m.name == n).unwrap();

    // The index's figures become known with its first build; then it goes.
    assert_eq!(index_len().unwrap(), BOXES);
    let first = info("index");
    let heap = first.last_build_bytes.unwrap();
    let growth = first.last_build_rss_growth_bytes.unwrap();
    let figures = format!(
        "heap {:.1} MiB, RSS growth {:.1} MiB, HIGH {:.1} MiB",
        heap as f64 / MIB as f64,
        growth as f64 / MIB as f64,
        high as f64 / MIB as f64
    );
    println!("[cost_make_room_rss] first build: {figures}");
    // The premise: RSS grows clearly more than the counted heap bytes.
    assert!(growth > heap * 3 / 2, "{figures}");
    assert!(gw.unload("index").unwrap());
    tiles().unwrap();
    clock.advance(Duration::from_secs(1));
    let before = rss();
    assert!(gw.pressure().unwrap() < Pressure::High);
    // Counted by heap bytes alone, the rebuild would fit: no room would be made.
    assert!(before + heap + 8 * MIB < high, "{figures}, RSS {before}");

    // Counted by its RSS growth, it does not: the tiles go first.
    assert_eq!(index_len().unwrap(), BOXES);
    let after = lmms::memory::rss_bytes().unwrap();
    let resident = |n: &str| info(n).resident;
    let figures = format!(
        "{figures}, RSS before the rebuild {:.1} MiB, after {:.1} MiB",
        before as f64 / MIB as f64,
        after as f64 / MIB as f64
    );
    println!("[cost_make_room_rss] rebuild: {figures}");
    assert!(!resident("tiles"), "{figures}");
    assert!(resident("index"), "{figures}");
    assert_eq!(
        gw.stats().unloads_by_reason.get(&UnloadReason::Pressure),
        Some(&1)
    );
    assert!(after < high, "RSS over HIGH after the rebuild: {figures}");
}
