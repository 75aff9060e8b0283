//! The memory budget under the idle strategy (the seeds' rule): at HIGH pressure or above a
//! sweep ignores the grace period and the resident floor, evicting least recently used
//! modules until pressure is back to MODERATE — never past protections 1–3 or a `core`
//! module. Below HIGH both protections hold again. Pressure is RSS, as the platform counts
//! it (freed pages returned with a trim before it is judged), against `memory_budget_mb`;
//! time runs on a manual clock.

use lmms::memory::Pressure;
use lmms::{Config, Init, InitError, ManualClock, Protection, SweepReport, UnloadStrategy};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// Heap each module holds.
const S: usize = 8 << 20;
const MIB: u64 = 1 << 20;
/// The resident floor, higher than the modules left after the emergency sweep.
const FLOOR: usize = 8;

macro_rules! module {
    ($ty:ident, $name:literal, $policy:literal, $op:ident) => {
        #[lmms::module(name = $name, policy = $policy)]
        pub struct $ty(Vec<u8>);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                Ok($ty(vec![1; S]))
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn $op(m: &$ty) -> usize {
            m.0.len()
        }
    };
}

// High-pressure test: four protected modules and six plain utility ones.
module!(Core, "bud_core", "core", core_get);
module!(Hot, "bud_hot", "utility", hot_get);
module!(Active, "bud_active", "utility", active_get);
module!(U1, "bud_u1", "utility", u1_get);
module!(U2, "bud_u2", "utility", u2_get);
module!(U3, "bud_u3", "utility", u3_get);
module!(U4, "bud_u4", "utility", u4_get);
module!(U5, "bud_u5", "utility", u5_get);
module!(U6, "bud_u6", "utility", u6_get);

/// Protection 3: its only operation is cached, so a live entry pins it.
#[lmms::module(name = "bud_cached", policy = "utility")]
pub struct Cached(Vec<u8>);
impl Init for Cached {
    fn init() -> Result<Self, InitError> {
        Ok(Cached(vec![1; S]))
    }
}
#[lmms::operation(interface = "bud_cached", op = "get", module = Cached, cache_ttl = "300s")]
pub fn cached_get(m: &Cached) -> usize {
    m.0.len()
}

/// Protection 1: sweeps from inside a call of its own module.
#[lmms::operation(interface = "bud_active", op = "sweep_inside", module = Active)]
pub fn sweep_inside(_m: &Active) -> SweepReport {
    lmms::gateway().sweep()
}

// Moderate-pressure test: a ballast sized at run time to land in MODERATE, plus two more.
static BALLAST: AtomicUsize = AtomicUsize::new(0);
#[lmms::module(name = "mod_ballast", policy = "utility")]
pub struct Ballast(Vec<u8>);
impl Init for Ballast {
    fn init() -> Result<Self, InitError> {
        Ok(Ballast(vec![1; BALLAST.load(Relaxed)]))
    }
}
#[lmms::operation(interface = "mod_ballast", op = "get", module = Ballast)]
pub fn ballast_get(m: &Ballast) -> usize {
    m.0.len()
}
module!(W1, "mod_w1", "utility", w1_get);
module!(W2, "mod_w2", "utility", w2_get);

struct Env {
    clock: ManualClock,
    budget: u64,
}

/// Configures the gateway once (the budget from the heap measured before it starts) and
/// serializes the tests, which share the process heap.
fn setup() -> (MutexGuard<'static, ()>, &'static Env) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static ENV: OnceLock<Env> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let env = ENV.get_or_init(|| {
        let base = heap();
        // Ten modules of S: at 0.9 × budget = base + 7.5 S, three evictions bring HIGH
        // (even CRITICAL) back to MODERATE, two do not — half a module of margin each way.
        let budget_mb = (base + 15 * S as u64 / 2).div_ceil(MIB) * 10 / 9 + 1;
        let clock = ManualClock::new();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .memory_budget_mb(budget_mb)
            .unload_strategy(UnloadStrategy::Idle)
            .grace_period(Duration::from_secs(30))
            .min_resident_modules(FLOOR)
            .fast_path_threshold(5)
            .heat_window(Duration::from_secs(60))
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        Env {
            clock,
            budget: budget_mb * MIB,
        }
    });
    (guard, env)
}

/// Lets heat and cache entries expire, then unloads every module (forced).
fn cleanup(env: &Env) {
    let gw = lmms::gateway();
    env.clock.advance(Duration::from_secs(3600));
    gw.sweep();
    for m in gw.modules() {
        if m.resident {
            gw.unload(m.name).unwrap();
        }
    }
}

fn tick(env: &Env) {
    env.clock.advance(Duration::from_secs(1));
}

/// RSS after returning freed pages: what the gateway measures pressure on.
fn heap() -> u64 {
    lmms::memory::trim();
    lmms::memory::rss_bytes().expect("RSS readable")
}

fn blocked(report: &SweepReport, module: &str) -> Option<Protection> {
    report
        .blocked
        .iter()
        .find(|(m, _)| m == module)
        .map(|(_, p)| *p)
}

fn bytes_of(name: &str) -> u64 {
    lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .and_then(|m| m.bytes)
        .expect("resident and measured")
}

fn pct(used: u64, budget: u64) -> f64 {
    used as f64 * 100.0 / budget as f64
}

#[test]
fn high_pressure_evicts_lru_past_grace_and_floor_until_moderate() {
    let (_serial, env) = setup();
    let gw = lmms::gateway();
    cleanup(env);

    // Oldest first: core, hot, cached, active; then u1 … u6, one second apart.
    tick(env);
    core_get().unwrap();
    tick(env);
    for _ in 0..6 {
        hot_get().unwrap(); // above the threshold of 5: HOT at the next sweep
    }
    tick(env);
    cached_get().unwrap();
    tick(env);
    gw.preload("bud_active").unwrap();
    let lru = ["bud_u1", "bud_u2", "bud_u3", "bud_u4", "bud_u5", "bud_u6"];
    for get in [u1_get, u2_get, u3_get, u4_get, u5_get, u6_get] {
        tick(env);
        get().unwrap();
    }
    let resident_before = gw.stats().resident_modules;
    assert_eq!(resident_before, 10);
    assert!(resident_before > FLOOR);

    // What the sweep should do, from measured figures: evict in LRU order while HIGH.
    let used_before = heap();
    let mut used = used_before;
    let mut expected = Vec::new();
    for name in lru {
        if Pressure::of(used, env.budget) < Pressure::High {
            break;
        }
        used -= bytes_of(name);
        expected.push(name.to_string());
    }
    let start = Pressure::of(used_before, env.budget);

    // All ten modules are well within the grace period; the floor is 8.
    let report = sweep_inside().unwrap();
    let used_after = heap();
    let pressure_after = gw.pressure().unwrap();
    let figures = format!(
        "budget {:.1} MiB; RSS {:.1} MiB ({:.1} %, {:?}) -> {:.1} MiB ({:.1} %, {:?}); \
         unloaded {:?}; blocked {:?}",
        env.budget as f64 / MIB as f64,
        used_before as f64 / MIB as f64,
        pct(used_before, env.budget),
        start,
        used_after as f64 / MIB as f64,
        pct(used_after, env.budget),
        pressure_after,
        report.unloaded,
        report.blocked,
    );
    println!("[memory_budget] emergency sweep: {figures}");

    assert!(
        start >= Pressure::High,
        "the scenario starts at HIGH or above: {figures}"
    );
    assert_eq!(report.pressure, Some(start), "{figures}");
    assert!(
        expected.len() >= 2,
        "the scenario needs several evictions: {figures}"
    );
    assert_eq!(
        report.unloaded, expected,
        "LRU first, until MODERATE: {figures}"
    );
    assert!(pressure_after <= Pressure::Moderate, "{figures}");
    assert!(
        gw.stats().resident_modules < FLOOR,
        "the floor was ignored: {figures}"
    );
    // Protections 1–3 and `core` held even at HIGH.
    assert_eq!(
        blocked(&report, "bud_active"),
        Some(Protection::ActiveCalls),
        "{figures}"
    );
    assert_eq!(
        blocked(&report, "bud_hot"),
        Some(Protection::HotOperation),
        "{figures}"
    );
    assert_eq!(
        blocked(&report, "bud_cached"),
        Some(Protection::CacheDependencies),
        "{figures}"
    );
    let modules = gw.modules();
    let resident = |n: &str| modules.iter().any(|m| m.name == n && m.resident);
    for n in ["bud_core", "bud_hot", "bud_cached", "bud_active"] {
        assert!(resident(n), "{n} must stay: {figures}");
    }
    // Once back at MODERATE the grace period protects the rest again.
    for n in &lru[expected.len()..] {
        assert!(resident(n), "{n} must stay: {figures}");
        assert_eq!(
            blocked(&report, n),
            Some(Protection::GracePeriod),
            "{figures}"
        );
    }
    cleanup(env);
}

#[test]
fn below_high_pressure_grace_period_and_floor_hold() {
    let (_serial, env) = setup();
    let gw = lmms::gateway();
    cleanup(env);

    // A ballast that brings the live heap to ~82 % of the budget with the two others.
    let target = env.budget * 82 / 100;
    let ballast = target.saturating_sub(heap() + 2 * S as u64);
    BALLAST.store(ballast as usize, Relaxed);
    tick(env);
    ballast_get().unwrap();
    tick(env);
    w1_get().unwrap();
    tick(env);
    w2_get().unwrap();
    let used = heap();
    let pressure = gw.pressure().unwrap();
    let figures = format!(
        "budget {:.1} MiB; RSS {:.1} MiB ({:.1} %, {:?})",
        env.budget as f64 / MIB as f64,
        used as f64 / MIB as f64,
        pct(used, env.budget),
        pressure,
    );
    println!("[memory_budget] moderate: {figures}");
    assert_eq!(pressure, Pressure::Moderate, "{figures}");

    // Within the grace period: nothing goes.
    let report = gw.sweep();
    assert_eq!(report.pressure, Some(Pressure::Moderate), "{figures}");
    assert!(report.unloaded.is_empty(), "{report:?}; {figures}");
    for n in ["mod_ballast", "mod_w1", "mod_w2"] {
        assert_eq!(
            blocked(&report, n),
            Some(Protection::GracePeriod),
            "{figures}"
        );
    }

    // Past the grace period: three resident, floor 8 — nothing goes either.
    env.clock.advance(Duration::from_secs(31));
    let report = gw.sweep();
    assert!(report.unloaded.is_empty(), "{report:?}; {figures}");
    for n in ["mod_ballast", "mod_w1", "mod_w2"] {
        assert_eq!(
            blocked(&report, n),
            Some(Protection::ResidentFloor),
            "{figures}"
        );
    }
    cleanup(env);
}
