//! The cost strategy without a memory budget (a long-running process sharing its host):
//! a module is unloaded once it has been idle for its ski-rental break-even time
//! `T* = build_time × R × 1 GiB / bytes`, measured — never before, and for `utility`
//! modules never before the grace period either, with the resident floor kept.

use lmms::cost::break_even_ms;
use lmms::{Config, Init, InitError, ManualClock, Protection, UnloadReason};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

macro_rules! module {
    ($ty:ident, $name:literal, $policy:literal, $op:ident, $mib:expr) => {
        #[lmms::module(name = $name, policy = $policy)]
        pub struct $ty(Vec<u8>);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                Ok($ty(vec![1; $mib << 20]))
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn $op(m: &$ty) -> usize {
            m.0.len()
        }
    };
}

module!(Feat, "be_feature", "feature", feature_get, 16);
module!(Util, "be_utility", "utility", utility_get, 16);
module!(Other, "be_other", "utility", other_get, 1);

const R: f64 = 9.0;

fn setup() -> (MutexGuard<'static, ()>, &'static ManualClock) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let clock = CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .no_memory_budget()
            .gb_seconds_per_cpu_second(R)
            .grace_period(Duration::from_secs(30))
            .min_resident_modules(1)
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        clock
    });
    (guard, clock)
}

/// The break-even time the gateway's own measurements give, ms.
fn t_star(name: &str) -> u64 {
    let m = lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .unwrap();
    break_even_ms(m.mean_build_ns.unwrap(), m.bytes.unwrap(), R)
}

fn blocked(r: &lmms::SweepReport, n: &str) -> Option<Protection> {
    r.blocked.iter().find(|(m, _)| m == n).map(|(_, p)| *p)
}

#[test]
fn feature_module_goes_exactly_at_its_break_even_time() {
    let (_serial, clock) = setup();
    let gw = lmms::gateway();
    feature_get().unwrap();
    clock.advance(Duration::from_millis(1));
    let t = t_star("be_feature");
    println!("[cost_break_even] be_feature: T* = {t} ms");
    assert!(t > 0 && t < 3_600_000, "{t}");
    // Idle 1 ms less than T*: it stays, and the report says why.
    clock.advance(Duration::from_millis(t - 2));
    let r = gw.sweep();
    assert!(r.unloaded.is_empty(), "{r:?}");
    assert_eq!(blocked(&r, "be_feature"), Some(Protection::BelowBreakEven));
    clock.advance(Duration::from_millis(1));
    let r = gw.sweep();
    assert_eq!(r.unloaded, ["be_feature"], "{r:?}");
    let u = &r.unloads[0];
    assert_eq!(u.reason, UnloadReason::BreakEven);
    assert_eq!(u.break_even_ms, Some(t));
    assert_eq!(u.idle_ms, t);
    assert!(u.build_ns.is_some() && u.bytes >= Some(16 << 20), "{u:?}");
}

#[test]
fn utility_module_also_waits_out_the_grace_period_and_keeps_the_floor() {
    let (_serial, clock) = setup();
    let gw = lmms::gateway();
    utility_get().unwrap();
    other_get().unwrap();
    clock.advance(Duration::from_millis(1));
    let t = t_star("be_utility");
    let grace = 30_000;
    // Past T* but inside the grace period (T* for 16 MiB is well under 30 s here, unless
    // the build was slow; then the grace period is the smaller bound and this is skipped).
    if t < grace {
        clock.advance(Duration::from_millis(t.max(1)));
        let r = gw.sweep();
        assert_eq!(
            blocked(&r, "be_utility"),
            Some(Protection::GracePeriod),
            "{r:?}"
        );
    }
    clock.advance(Duration::from_millis(grace.max(t) + t_star("be_other")));
    let r = gw.sweep();
    // Both idle past their times, floor 1: the least recently used goes, the other stays.
    assert_eq!(r.unloaded.len(), 1, "{r:?}");
    let stayed = if r.unloaded[0] == "be_utility" {
        "be_other"
    } else {
        "be_utility"
    };
    assert_eq!(
        blocked(&r, stayed),
        Some(Protection::ResidentFloor),
        "{r:?}"
    );
    gw.unload(stayed).unwrap();
}
