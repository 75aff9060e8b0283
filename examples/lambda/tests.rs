//! The handler, tested locally without AWS: each test builds a `LambdaEvent` with a default
//! `Context`, calls the handler `main` hands to the runtime, then sweeps as `lmms::lambda`'s
//! boundary does after each response (`tests/lambda_simulator.rs` runs the real boundary
//! under a Lambda emulator).
//!
//! The gateway is process-wide and the tests share it, so they take turns (`serial`) and
//! compare module build/drop counts before and after rather than absolute states. It runs
//! on a manual clock that never moves, with `UNLOAD_STRATEGY=idle`: utility modules stay
//! inside their grace period, feature modules go at the first boundary, and no end-of-call
//! sweep fires on its own; the only sweeps are the boundary's.

use crate::handler::{handle, InvocationError};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Once;
use std::time::Duration;

/// Configures the gateway once (small data, manual clock) and serializes the tests.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    static CONFIGURE: Once = Once::new();
    CONFIGURE.call_once(|| {
        crate::data::set_scale_pct(5);
        let config = lmms::Config::builder()
            .clock(lmms::Clock::manual(&lmms::ManualClock::new()))
            // The boundary mechanics under the seeds' rule, where a feature module goes at
            // the first boundary after its use (the default cost strategy keeps it while
            // memory is below the function's size).
            .unload_strategy(lmms::UnloadStrategy::Idle)
            .sweep_interval(Duration::from_secs(24 * 3600))
            .build()
            .expect("valid test config");
        lmms::configure(config).expect("configured before the gateway starts");
    });
    SERIAL.lock().await
}

/// One invocation: the handler, then the boundary sweep.
async fn invoke(event: Value) -> Result<Value, InvocationError> {
    let result = handle(LambdaEvent::new(event, Context::default())).await;
    lmms::gateway().sweep();
    result
}

fn builds() -> BTreeMap<&'static str, u64> {
    lmms::gateway()
        .modules()
        .into_iter()
        .map(|m| (m.name, m.builds))
        .collect()
}

/// Modules built since `before` was taken.
fn built_since(before: &BTreeMap<&'static str, u64>) -> BTreeSet<String> {
    builds()
        .into_iter()
        .filter(|(name, n)| before.get(name).is_none_or(|b| n > b))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn module(name: &str) -> lmms::ModuleInfo {
    lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("module {name} is registered"))
}

fn translate_event() -> Value {
    json!({"interface": "i18n", "op": "translate",
           "params": {"lang": crate::data::LANGS[0], "key": "msg.1"}})
}

#[tokio::test]
async fn a_call_builds_only_its_module() {
    let _turn = serial().await;
    lmms::gateway().unload("i18n_core").unwrap();
    let before = builds();

    let out = invoke(translate_event()).await.expect("translate succeeds");

    assert!(out.as_str().is_some_and(|s| !s.is_empty()), "{out}");
    assert_eq!(built_since(&before), BTreeSet::from(["i18n_core".into()]));
    // A utility module inside its grace period survives the boundary sweep.
    assert!(module("i18n_core").resident);
}

#[tokio::test]
async fn the_boundary_sweep_unloads_a_feature_module() {
    let _turn = serial().await;
    lmms::gateway().unload("homeassistant_timers").unwrap();
    let before = module("homeassistant_timers");

    let out = invoke(json!({"interface": "timers", "op": "start",
                            "params": {"name": "tea", "seconds": 240}}))
    .await
    .expect("timers.start succeeds");

    assert_eq!(out, json!("timer tea set for 240 s"));
    let after = module("homeassistant_timers");
    assert_eq!(after.builds, before.builds + 1, "built for the call");
    assert_eq!(after.drops, before.drops + 1, "dropped at the boundary");
    assert!(!after.resident);
}

#[tokio::test]
async fn an_unknown_op_is_a_lambda_error() {
    let _turn = serial().await;

    let err = invoke(json!({"interface": "timers", "op": "explode", "params": {}}))
        .await
        .unwrap_err();

    assert_eq!(err.error_type, "UnknownOperation");
    assert!(
        err.message.contains("explode") && err.message.contains("start"),
        "{err}"
    );
    let diagnostic = Diagnostic::from(err.clone());
    assert_eq!(diagnostic.error_type, "UnknownOperation");
    assert_eq!(diagnostic.error_message, err.message);
}

#[tokio::test]
async fn malformed_events_and_arguments_are_lambda_errors() {
    let _turn = serial().await;
    let cases = [
        (
            json!("timers.start"),
            "InvalidEvent",
            "must be a JSON object",
        ),
        (
            json!({"interface": "timers"}),
            "InvalidEvent",
            "`op` is missing",
        ),
        (
            json!({"interface": 7, "op": "start"}),
            "InvalidEvent",
            "`interface` must be a string",
        ),
        (
            json!({"interface": "nowhere", "op": "get"}),
            "UnknownOperation",
            "nowhere",
        ),
        (
            json!({"interface": "timers", "op": "start", "params": {"name": "tea"}}),
            "InvalidArguments",
            "seconds",
        ),
        (
            json!({"interface": "timers", "op": "start", "params": [1, 2]}),
            "InvalidArguments",
            "JSON object",
        ),
    ];
    for (event, error_type, says) in cases {
        let err = invoke(event.clone()).await.unwrap_err();
        assert_eq!(err.error_type, error_type, "{event}: {err}");
        assert!(err.message.contains(says), "{event}: {err}");
    }
}

#[tokio::test]
async fn a_heat_profile_exported_by_one_instance_preloads_another() {
    let _turn = serial().await;
    // Instance A serves some traffic...
    for event in [
        translate_event(),
        json!({"interface": "timers", "op": "start", "params": {"name": "egg", "seconds": 300}}),
        json!({"interface": "shopping", "op": "add", "params": {"item": "oat milk"}}),
        json!({"interface": "shopping", "op": "add", "params": {"item": "rye bread"}}),
    ] {
        invoke(event).await.expect("call succeeds");
    }
    // ...and exports what it learned, directly or through an invocation.
    let profile = lmms::gateway().heat_profile();
    let names: BTreeSet<String> = profile.modules.iter().map(|m| m.module.clone()).collect();
    for name in [
        "i18n_core",
        "homeassistant_timers",
        "homeassistant_shopping_list",
    ] {
        assert!(names.contains(name), "{name} in {profile:?}");
    }
    let exported = invoke(json!({"interface": "lmms", "op": "heat"}))
        .await
        .unwrap();
    assert_eq!(exported, serde_json::to_value(&profile).unwrap());

    // Instance B starts with none of them resident...
    for name in &names {
        lmms::gateway().unload(name).unwrap();
    }
    let path = std::env::temp_dir().join(format!("lmms_heat_{}.json", std::process::id()));
    std::fs::write(&path, exported.to_string()).unwrap();
    let before = builds();

    // ...and its environment names A's profile. (The gateway preloads it when it starts;
    // this process's gateway has started already, so the test runs the same preload.)
    let config = lmms::Config::from_lookup(|var| {
        (var == lmms::HEAT_PROFILE_VAR).then(|| path.to_string_lossy().into_owned())
    });
    let _ = std::fs::remove_file(&path);
    let preload = config.expect("a valid profile").heat_preload.unwrap();
    let report = lmms::gateway()
        .preload_profile_async(&preload)
        .await
        .unwrap();

    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(report.built.iter().cloned().collect::<BTreeSet<_>>(), names);
    assert_eq!(built_since(&before), names, "exactly the profile's modules");
    for name in &names {
        assert!(module(name).resident, "{name}");
    }
}

fn profile_of(modules: &[&str]) -> lmms::HeatPreload {
    let modules = modules
        .iter()
        .map(|m| lmms::ModuleHeat::new(*m, 5))
        .collect();
    lmms::HeatProfile::new(3600, modules).into()
}

/// The limit of preloading (docs/lambda.md): a preload is not a use, so a preloaded
/// `feature` module that the first invocation does not call is given back at that
/// invocation's boundary, like any idle feature module.
#[tokio::test]
async fn a_preloaded_feature_module_left_unused_goes_at_the_first_boundary() {
    let _turn = serial().await;
    lmms::gateway().unload("homeassistant_scenes").unwrap();
    let report = lmms::gateway()
        .preload_profile(&profile_of(&["homeassistant_scenes"]))
        .unwrap();
    assert_eq!(report.built, ["homeassistant_scenes"]);
    let drops = module("homeassistant_scenes").drops;

    invoke(translate_event()).await.expect("translate succeeds");

    let scenes = module("homeassistant_scenes");
    assert!(!scenes.resident);
    assert_eq!(scenes.drops, drops + 1);
}

#[tokio::test]
async fn a_profiled_module_this_build_lacks_is_skipped_and_reported() {
    let _turn = serial().await;
    lmms::gateway().unload("units_core").unwrap();
    let before = builds();

    let report = lmms::gateway()
        .preload_profile(&profile_of(&["units_core", "no_such_module"]))
        .unwrap();

    assert_eq!(report.built, ["units_core"]);
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].module, "no_such_module");
    assert_eq!(report.skipped[0].reason, lmms::SkipReason::UnknownModule);
    assert_eq!(built_since(&before), BTreeSet::from(["units_core".into()]));
}
