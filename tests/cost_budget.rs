//! The cost strategy with a memory budget (a Lambda function's configured size): below
//! HIGH pressure nothing is unloaded — not even `feature` modules past any grace period,
//! since memory under the budget is already paid for; at HIGH, modules go in ascending
//! GreedyDual-Size-Frequency priority (`uses × build_time / bytes`), so a big module that
//! rebuilds fast goes before a small one that is slow to build, whatever their recency,
//! and eviction stops once pressure is below HIGH. Protections 1–3 hold throughout.
//!
//! Pressure is RSS (after returning freed pages) against the budget; time runs on a manual
//! clock; bytes come from the counting allocator.

use lmms::memory::Pressure;
use lmms::{Config, Init, InitError, ManualClock, Protection, UnloadReason};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const MIB: u64 = 1 << 20;
const BIG: usize = 48 << 20;

/// 48 MiB of touched pages: milliseconds to rebuild, per byte almost free.
#[lmms::module(name = "big_fast", policy = "feature")]
pub struct BigFast(Vec<u8>);
impl Init for BigFast {
    fn init() -> Result<Self, InitError> {
        Ok(BigFast(vec![1; BIG]))
    }
}
#[lmms::operation(interface = "big_fast", op = "get", module = BigFast)]
pub fn big_get(m: &BigFast) -> usize {
    m.0.len()
}

/// 1 MiB that takes 60 ms of CPU to compute: expensive per byte.
#[lmms::module(name = "small_slow", policy = "feature")]
pub struct SmallSlow(Vec<u64>);
impl Init for SmallSlow {
    fn init() -> Result<Self, InitError> {
        let t = Instant::now();
        let mut x = 1u64;
        while t.elapsed() < Duration::from_millis(60) {
            for _ in 0..10_000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
            }
        }
        Ok(SmallSlow(vec![x | 1; (MIB / 8) as usize]))
    }
}
#[lmms::operation(interface = "small_slow", op = "get", module = SmallSlow)]
pub fn small_get(m: &SmallSlow) -> usize {
    m.0.len()
}

/// Cached: a live entry keeps it (protection 3) even at HIGH.
#[lmms::module(name = "cached_mod", policy = "feature")]
pub struct CachedMod(Vec<u8>);
impl Init for CachedMod {
    fn init() -> Result<Self, InitError> {
        Ok(CachedMod(vec![1; 4 << 20]))
    }
}
#[lmms::operation(interface = "cached_mod", op = "get", module = CachedMod, cache_ttl = "1h")]
pub fn cached_get(m: &CachedMod) -> usize {
    m.0.len()
}

fn rss() -> u64 {
    lmms::memory::trim();
    lmms::memory::rss_bytes().expect("RSS readable")
}

fn clock() -> &'static ManualClock {
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        // HIGH (> 90 %) with every module resident, below HIGH once the 48 MiB one is gone.
        let base = rss();
        let budget_mb = (base + 26 * MIB).div_ceil(MIB) * 10 / 9;
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .memory_budget_mb(budget_mb)
            .grace_period(Duration::from_secs(30))
            .min_resident_modules(8)
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        clock
    })
}

#[test]
fn nothing_below_high_then_gdsf_order_until_below_high() {
    let clock = clock();
    let gw = lmms::gateway();
    assert_eq!(gw.config().unload_strategy, lmms::UnloadStrategy::Cost);
    assert_eq!(
        gw.config().budget_source,
        Some(lmms::memory::BudgetSource::Builder)
    );

    // small_slow is used first (least recently used), big_fast last.
    small_get().unwrap();
    clock.advance(Duration::from_secs(1));
    cached_get().unwrap();
    clock.advance(Duration::from_secs(1));
    let budget = gw.config().memory_budget_bytes.unwrap();
    let figures = |what: &str| {
        format!(
            "{what}: RSS {:.1} MiB of budget {:.1} MiB; modules {:?}",
            rss() as f64 / MIB as f64,
            budget as f64 / MIB as f64,
            gw.modules()
                .iter()
                .map(|m| (m.name, m.resident, m.bytes, m.mean_build_ns))
                .collect::<Vec<_>>()
        )
    };

    // Two feature modules, well past any grace period, under the budget: nothing goes.
    clock.advance(Duration::from_secs(3600));
    let report = gw.sweep();
    let before = figures("before big_fast");
    assert!(report.pressure.unwrap() < Pressure::High, "{before}");
    assert!(report.unloaded.is_empty(), "{report:?}; {before}");

    // A fresh cache entry (the first expired with the hour): protection 3 for cached_mod.
    cached_get().unwrap();
    big_get().unwrap();
    clock.advance(Duration::from_secs(1));
    let at_high = figures("all resident");
    println!("[cost_budget] {at_high}");
    assert!(gw.pressure().unwrap() >= Pressure::High, "{at_high}");
    let info = |n: &str| gw.modules().into_iter().find(|m| m.name == n).unwrap();
    let (small, big) = (info("small_slow"), info("big_fast"));
    assert!(small.mean_build_ns.unwrap() >= 60_000_000, "{small:?}");
    assert!(big.bytes.unwrap() >= BIG as u64, "{big:?}");
    assert_eq!(small.last_build_ns, small.mean_build_ns);

    let report = gw.sweep();
    let after = figures("after the sweep");
    println!("[cost_budget] {after}; report {report:?}");
    // The big, cheap-to-rebuild module went although small_slow was used longer ago; one
    // eviction brought pressure below HIGH, so small_slow stayed.
    assert_eq!(report.unloaded, ["big_fast"], "{after}");
    let u = &report.unloads[0];
    assert_eq!(u.reason, UnloadReason::Pressure);
    assert!(u.priority.is_some() && u.bytes >= Some(BIG as u64), "{u:?}");
    assert!(u.reclaimed_bytes >= Some(BIG as u64), "{u:?}");
    assert_eq!(u.pressure.map(|p| p >= Pressure::High), Some(true));
    assert!(gw.pressure().unwrap() < Pressure::High, "{after}");
    assert!(info("small_slow").resident && info("cached_mod").resident);
    assert_eq!(
        gw.stats().unloads_by_reason.get(&UnloadReason::Pressure),
        Some(&1)
    );
    // Protection 3 at HIGH: reported when it kept a candidate (here pressure fell first).
    assert!(report
        .blocked
        .iter()
        .all(|(_, p)| *p == Protection::CacheDependencies));
}
