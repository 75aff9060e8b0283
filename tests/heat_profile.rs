//! Heat profiles: export → JSON → import in a new process (instance B, started by the test
//! with `LMMS_HEAT_PROFILE` set), and the preload at gateway start (hot modules built,
//! cold, unknown, over-limit, unsized, async and failing ones skipped and reported). Bad
//! input: `tests/heat_profile_errors.rs`.

use lmms::{
    Config, HeatPreload, HeatProfile, Init, InitError, ManualClock, SkipReason, SkippedModule,
};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Duration;

/// Byte figures are measured: the export carries each module's bytes.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

macro_rules! module {
    ($ty:ident, $name:literal, $kib:literal) => {
        #[lmms::module(name = $name, policy = "utility")]
        pub struct $ty(Vec<u8>);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                Ok($ty(vec![7; $kib * 1024]))
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn get(m: &$ty) -> usize {
            m.0.len()
        }
    };
}

// Preloaded at start from the configured profile (or not, each for its reason).
mod hot {
    use super::*;
    module!(Hot, "hot_mod", 64);
}
mod warm {
    use super::*;
    module!(Warm, "warm_mod", 64);
}
mod cold {
    use super::*;
    module!(Cold, "cold_mod", 64);
}
mod big {
    use super::*;
    module!(Big, "big_mod", 64);
}
mod unsized_ {
    use super::*;
    module!(Unsized, "unsized_mod", 64);
}
// The round trip's traffic.
mod rt_a {
    use super::*;
    module!(RtA, "rt_a", 256);
}
mod rt_b {
    use super::*;
    module!(RtB, "rt_b", 128);
}
mod rt_idle {
    use super::*;
    module!(RtIdle, "rt_idle", 16);
}

#[lmms::module(name = "async_mod", async_init)]
pub struct AsyncMod;

impl lmms::AsyncInit for AsyncMod {
    async fn init() -> Result<Self, InitError> {
        Ok(AsyncMod)
    }
}

#[lmms::module(name = "failing_mod")]
pub struct Failing;

impl Init for Failing {
    fn init() -> Result<Self, InitError> {
        Err("no data".into())
    }
}

const MIB: u64 = 1 << 20;

/// What "instance A" learned, as instance B receives it: the hot modules plus one of each
/// kind a preload must skip.
const PROFILE: &str = r#"{"version": 1, "heat_window_s": 3600, "modules": [
    {"module": "warm_mod", "calls_in_window": 5, "build_ns": 2000000, "bytes": 2097152},
    {"module": "cold_mod", "calls_in_window": 2, "bytes": 1024},
    {"module": "hot_mod", "calls_in_window": 40, "build_ns": 1000000, "bytes": 1048576},
    {"module": "big_mod", "calls_in_window": 30, "bytes": 524288000},
    {"module": "gone_mod", "calls_in_window": 20, "bytes": 1024},
    {"module": "async_mod", "calls_in_window": 10, "bytes": 1024},
    {"module": "failing_mod", "calls_in_window": 8, "bytes": 1024},
    {"module": "unsized_mod", "calls_in_window": 6, "build_ns": null, "bytes": null}]}"#;

/// The tests of this process share one gateway, configured with [`PROFILE`] (at least 3
/// calls, at most 64 MiB), and take turns.
fn setup() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CONFIGURE: Once = Once::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    CONFIGURE.call_once(|| {
        let profile = HeatProfile::from_json(PROFILE).unwrap();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&ManualClock::new()))
            .sweep_interval(Duration::from_secs(1 << 40))
            .heat_preload(HeatPreload::new(profile).min_calls(3).max_mb(64))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
    });
    guard
}

#[path = "common/modules.rs"]
mod modules;
use modules::module;

fn skipped(module: &str, reason: SkipReason) -> (String, SkipReason) {
    (module.to_string(), reason)
}

fn pairs(skipped: &[SkippedModule]) -> Vec<(String, SkipReason)> {
    skipped
        .iter()
        .map(|s| (s.module.clone(), s.reason.clone()))
        .collect()
}

#[test]
fn start_preload_builds_the_hot_modules_and_not_the_cold_ones() {
    let _turn = setup();
    let report = lmms::gateway()
        .heat_preload_report()
        .expect("a profile was configured");

    assert_eq!(report.built, ["hot_mod", "warm_mod"], "hottest first");
    assert!(report.already_resident.is_empty());
    assert_eq!(report.profiled_bytes, 3 * MIB);
    let mut failing = None;
    let reasons: Vec<_> = pairs(&report.skipped)
        .into_iter()
        .filter(|(m, r)| match r {
            SkipReason::InitFailed { error } if m == "failing_mod" => {
                failing = Some(error.clone());
                false
            }
            _ => true,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            skipped(
                "big_mod",
                SkipReason::OverLimit {
                    bytes: 500 * MIB,
                    left: 63 * MIB
                }
            ),
            skipped("gone_mod", SkipReason::UnknownModule),
            skipped("async_mod", SkipReason::AsyncInit),
            skipped("unsized_mod", SkipReason::BytesUnknown),
            skipped(
                "cold_mod",
                SkipReason::BelowThreshold {
                    calls: 2,
                    min_calls: 3
                }
            ),
        ]
    );
    assert!(failing.is_some_and(|e| e.contains("no data")));
    // In JSON a reason's fields sit beside the module's name.
    let json = serde_json::to_value(report).unwrap();
    let cold = serde_json::json!({"module": "cold_mod", "reason": "below_threshold",
                                   "calls": 2, "min_calls": 3});
    assert!(
        json["skipped"].as_array().unwrap().contains(&cold),
        "{json}"
    );

    for name in ["hot_mod", "warm_mod"] {
        let m = module(name);
        assert!(m.resident && m.builds == 1, "{m:?}");
    }
    // (`async_mod` is left to the async preload's test.)
    for name in ["cold_mod", "big_mod", "unsized_mod", "failing_mod"] {
        assert_eq!(module(name).builds, 0, "{name} not built");
    }
}

#[test]
fn the_async_preload_builds_what_the_start_could_not() {
    let _turn = setup();
    let gw = lmms::gateway();
    let preload = gw.config().heat_preload.clone().unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = runtime
        .block_on(gw.preload_profile_async(&preload))
        .unwrap();

    assert_eq!(report.built, ["async_mod"]);
    let resident = ["hot_mod", "warm_mod"];
    assert_eq!(report.already_resident, resident);
    assert!(module("async_mod").resident);
    // Preloading again builds nothing more.
    let again = gw.preload_profile(&preload).unwrap();
    assert!(again.built.is_empty(), "{again:?}");
    assert_eq!(again.already_resident, ["hot_mod", "async_mod", "warm_mod"]);
}

/// Instance A serves traffic and exports its profile; the JSON round-trips; instance B (a
/// new process running [`instance_b_preloads_from_the_environment`]) preloads from it
/// through `LMMS_HEAT_PROFILE`.
#[test]
fn export_round_trips_and_preloads_a_new_instance() {
    let _turn = setup();
    let gw = lmms::gateway();
    for _ in 0..3 {
        rt_a::get().unwrap();
    }
    rt_b::get().unwrap();
    gw.sweep(); // heat counts are as of the last sweep

    let profile = gw.heat_profile();
    let entry = |name: &str| profile.modules.iter().find(|m| m.module == name);
    let (a, b) = (entry("rt_a").unwrap(), entry("rt_b").unwrap());
    assert_eq!((a.calls_in_window, b.calls_in_window), (3, 1));
    assert!(a.bytes.is_some_and(|n| n >= 256 * 1024), "{a:?}");
    assert!(b.bytes.is_some_and(|n| n >= 128 * 1024), "{b:?}");
    assert!(
        a.build_ns.is_some_and(|ns| ns > 0),
        "mean build time: {a:?}"
    );
    assert!(entry("rt_idle").is_none() && entry("cold_mod").is_none());
    let order: Vec<_> = profile.modules.iter().map(|m| &m.module).collect();
    assert!(order.iter().position(|m| *m == "rt_a") < order.iter().position(|m| *m == "rt_b"));

    let json = profile.to_json();
    assert_eq!(HeatProfile::from_json(&json).unwrap(), profile);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["heat_window_s"], 3600);

    let path = std::env::temp_dir().join(format!("lmms_heat_{}.json", std::process::id()));
    std::fs::write(&path, &json).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["instance_b_preloads_from_the_environment", "--exact"])
        .args(["--nocapture", "--test-threads=1"])
        .env("LMMS_HEAT_PROFILE", &path)
        .env("LMMS_HEAT_PROFILE_MIN_CALLS", "2")
        .env("HEAT_PROFILE_TEST_INSTANCE_B", "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "instance B:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The second half of the round trip: runs in its own process, started by
/// [`export_round_trips_and_preloads_a_new_instance`] (in this process it has nothing to
/// check). The gateway reads `LMMS_HEAT_PROFILE` from the environment.
#[test]
fn instance_b_preloads_from_the_environment() {
    if std::env::var_os("HEAT_PROFILE_TEST_INSTANCE_B").is_none() {
        return;
    }
    let gw = lmms::gateway();
    assert!(gw.fault().is_none(), "{:?}", gw.fault());
    let report = gw.heat_preload_report().expect("preloaded at start");
    println!("{report:?}");
    assert_eq!(report.built, ["rt_a"]);
    assert_eq!(
        pairs(&report.skipped),
        [skipped(
            "rt_b",
            SkipReason::BelowThreshold {
                calls: 1,
                min_calls: 2
            }
        )]
    );
    assert!(module("rt_a").resident);
    assert_eq!(module("rt_b").builds, 0);
    assert_eq!(module("rt_idle").builds, 0);
}
