//! LUGS on the injectable clock: each protection blocking on its own, the grace period at
//! its exact boundary, the floor, `feature` and `core` policies, LRU order, forced unloads.

use lmms::{Config, Init, InitError, ManualClock, Protection, SweepReport};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

macro_rules! module {
    ($ty:ident, $name:literal, $policy:literal, $op:ident) => {
        #[lmms::module(name = $name, policy = $policy)]
        pub struct $ty(Vec<u8>);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                Ok($ty(vec![1; 1024]))
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn $op(m: &$ty) -> usize {
            m.0.len()
        }
    };
}

module!(U1, "u1", "utility", u1_get);
module!(U2, "u2", "utility", u2_get);
module!(U3, "u3", "utility", u3_get);
module!(F1, "f1", "feature", f1_get);
module!(C1, "c1", "core", c1_get);

/// Sweeps from inside a call of its own module: protection 1 must hold.
#[lmms::operation(interface = "u1", op = "sweep_inside", module = U1)]
pub fn sweep_inside(_m: &U1) -> SweepReport {
    lmms::gateway().sweep()
}

/// Tests in this file share one gateway; they run one at a time from a clean state.
fn setup() -> (MutexGuard<'static, ()>, &'static ManualClock) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let clock = CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .grace_period(Duration::from_secs(30))
            .min_resident_modules(1)
            .fast_path_threshold(5)
            .heat_window(Duration::from_secs(60))
            // Only explicit sweeps: end-of-call sweeps would make the tests racy.
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        clock
    });
    let gw = lmms::gateway();
    // Let all heat decay, then unload everything (forced: ignores policy and protections).
    // Absorb calls the previous test made after its last sweep, then let them all age
    // out of the heat window: otherwise they would count as this test's recent calls.
    gw.sweep();
    clock.advance(Duration::from_secs(3600));
    gw.sweep();
    for m in gw.modules() {
        if m.resident {
            gw.unload(m.name).unwrap();
        }
    }
    (guard, clock)
}

fn blocked(report: &SweepReport, module: &str) -> Option<Protection> {
    report
        .blocked
        .iter()
        .find(|(m, _)| m == module)
        .map(|(_, p)| *p)
}

fn resident(name: &str) -> bool {
    lmms::gateway()
        .modules()
        .iter()
        .any(|m| m.name == name && m.resident)
}

#[test]
fn grace_period_exact_boundary_lru_order_and_floor() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    u1_get().unwrap();
    clock.advance(Duration::from_millis(1));
    u2_get().unwrap();
    clock.advance(Duration::from_millis(1));
    u3_get().unwrap();
    // u1 was used at t0; now t0 + 30 s - 1 ms - 2 ms... advance to exactly 1 ms before
    // u1's grace period ends.
    clock.advance(Duration::from_millis(30_000 - 2 - 1));
    let r = gw.sweep();
    assert!(r.unloaded.is_empty(), "{r:?}");
    assert_eq!(blocked(&r, "u1"), Some(Protection::GracePeriod));
    // Exactly at the boundary: u1 goes, u2 and u3 (used 1 and 2 ms later) stay.
    clock.advance(Duration::from_millis(1));
    let r = gw.sweep();
    assert_eq!(r.unloaded, vec!["u1"], "{r:?}");
    assert_eq!(blocked(&r, "u2"), Some(Protection::GracePeriod));
    // Both past their grace period: least recently used first, and the sweep stops at the
    // floor (1 resident module).
    clock.advance(Duration::from_secs(60));
    let r = gw.sweep();
    assert_eq!(r.unloaded, vec!["u2"], "{r:?}");
    assert_eq!(blocked(&r, "u3"), Some(Protection::ResidentFloor));
    assert!(resident("u3") && !resident("u2") && !resident("u1"));
    let stats = gw.stats();
    assert!(stats.unload_blocked_by[&Protection::GracePeriod] >= 2);
    assert!(stats.unload_blocked_by[&Protection::ResidentFloor] >= 1);
}

#[test]
fn feature_modules_go_as_soon_as_idle_and_core_never() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    c1_get().unwrap();
    u1_get().unwrap();
    f1_get().unwrap();
    // No time has passed: the utility module is in its grace period, the feature module
    // ignores it (and the floor).
    let r = gw.sweep();
    assert_eq!(r.unloaded, vec!["f1"], "{r:?}");
    assert_eq!(blocked(&r, "u1"), Some(Protection::GracePeriod));
    clock.advance(Duration::from_secs(24 * 3600));
    let r = gw.sweep();
    assert!(resident("c1"), "core is never unloaded by a sweep: {r:?}");
    assert!(!r.unloaded.contains(&"c1".to_string()));
    // A forced unload ignores policy.
    assert!(gw.unload("c1").unwrap());
    assert!(!resident("c1"));
}

#[test]
fn active_call_blocks_unload() {
    let (_g, _clock) = setup();
    u2_get().unwrap();
    u3_get().unwrap();
    // u1 is feature-free utility in its grace period, so make the floor and grace moot by
    // asking for the protection order: active calls come first.
    let r = sweep_inside().unwrap();
    assert_eq!(blocked(&r, "u1"), Some(Protection::ActiveCalls), "{r:?}");
    // A forced unload under an active call is refused too.
    #[lmms::operation(interface = "u1", op = "unload_inside", module = U1)]
    fn unload_inside(_m: &U1) -> String {
        lmms::gateway().unload("u1").unwrap_err().to_string()
    }
    let err = unload_inside().unwrap();
    assert!(err.contains("u1") && err.contains("active calls"), "{err}");
}

#[test]
fn hot_operation_protects_its_module_until_it_cools() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    c1_get().unwrap(); // a core module keeps the resident count above the floor
    u1_get().unwrap();
    for _ in 0..6 {
        u2_get().unwrap(); // above the threshold of 5: HOT at the next sweep
    }
    u3_get().unwrap();
    clock.advance(Duration::from_secs(31));
    let r = gw.sweep();
    assert!(r.promoted.contains(&"u2.get".to_string()), "{r:?}");
    assert_eq!(blocked(&r, "u2"), Some(Protection::HotOperation), "{r:?}");
    assert!(r.unloaded.contains(&"u1".to_string()), "{r:?}");
    // The heat window (60 s) passes without calls: u2.get cools, loses its fast path and
    // its module becomes unloadable in the same sweep.
    clock.advance(Duration::from_secs(61));
    let r = gw.sweep();
    assert!(r.demoted.contains(&"u2.get".to_string()), "{r:?}");
    assert!(r.unloaded.contains(&"u2".to_string()), "{r:?}");
}

#[test]
fn stats_count_loads_unloads_and_attempts() {
    let (_g, _clock) = setup();
    let gw = lmms::gateway();
    let before = gw.stats();
    f1_get().unwrap();
    let r = gw.sweep();
    assert_eq!(r.unloaded, vec!["f1"]);
    let after = gw.stats();
    assert_eq!(after.ligs_loads, before.ligs_loads + 1);
    assert_eq!(after.lugs_unloads, before.lugs_unloads + 1);
    assert!(after.unload_attempts > before.unload_attempts);
    let line = after.log_line();
    assert!(
        line.starts_with("[LMMS_STATS] {") && line.contains("\"lugs_unloads\""),
        "{line}"
    );
    let f1 = gw.modules().into_iter().find(|m| m.name == "f1").unwrap();
    assert!(!f1.resident && f1.builds == f1.drops);
}

#[test]
fn fast_path_use_and_preload_count_as_use_for_the_grace_period() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    c1_get().unwrap(); // keeps the resident count above the floor
    for _ in 0..6 {
        u1_get().unwrap();
    }
    let r = gw.sweep();
    assert!(r.promoted.contains(&"u1.get".to_string()), "{r:?}");
    // 50 s later one call, served by the fast path (no clock read on that path).
    clock.advance(Duration::from_secs(50));
    let hits = gw.stats().zafp_hits;
    u1_get().unwrap();
    assert_eq!(gw.stats().zafp_hits, hits + 1);
    gw.sweep();
    // 11 s after that call the operation has cooled (the 6 calls left the 60 s window), but
    // the module was used 11 s ago: the grace period still holds.
    clock.advance(Duration::from_secs(11));
    let r = gw.sweep();
    assert!(r.demoted.contains(&"u1.get".to_string()), "{r:?}");
    assert_eq!(blocked(&r, "u1"), Some(Protection::GracePeriod), "{r:?}");

    // A preloaded module starts its grace period when it is built.
    gw.preload("u3").unwrap();
    let r = gw.sweep();
    assert_eq!(blocked(&r, "u3"), Some(Protection::GracePeriod), "{r:?}");
    // No counting allocator in this binary: reclaimed bytes are unknown, not zero.
    assert_eq!(gw.stats().memory_reclaimed_bytes, None);
}

/// `Unload::working_set` says the pressure rule evicted a working-set module at the limit.
/// The idle rule does not read the working set: its unloads never carry the flag, however
/// recently the module was called.
#[test]
fn an_idle_rule_unload_is_no_working_set_eviction() {
    let (_g, _clock) = setup();
    let gw = lmms::gateway();
    f1_get().unwrap();
    let r = gw.sweep();
    assert_eq!(r.unloaded, vec!["f1"], "{r:?}");
    let u = &r.unloads[0];
    assert_eq!(u.reason, lmms::UnloadReason::IdleRule, "{u:?}");
    assert!(
        !u.working_set,
        "an idle-rule unload flagged as at the limit: {u:?}"
    );
}
