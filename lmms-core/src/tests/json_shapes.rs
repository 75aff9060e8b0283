//! The JSON the public report types serialize to, pinned: their `Serialize` (and the
//! trace's `Deserialize`) impls are written by hand, and log lines and profiles parsed by
//! other tools depend on every key, its order and each enum's spelling.

use crate::lugs::{DeferredDrops, SweepReport};
use crate::memory::{BudgetSource, LeakBasis, Pressure, Trace, TracedInvocation, TrimReport};
use crate::preload::{HeatPreloadReport, SkipReason, SkippedModule};
use crate::{Heat, HeatProfile, ModuleHeat, Policy, Protection, UnloadReason, UnloadStrategy};
use std::time::Duration;

fn json<T: serde_core::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn unit_enums_serialize_to_their_spelling() {
    let heat = [Heat::Cold, Heat::Warm, Heat::Hot, Heat::Critical].map(|h| json(&h));
    assert_eq!(heat.join(","), r#""COLD","WARM","HOT","CRITICAL""#);
    let pressure = [
        Pressure::Normal,
        Pressure::Moderate,
        Pressure::High,
        Pressure::Critical,
    ]
    .map(|p| json(&p));
    assert_eq!(
        pressure.join(","),
        r#""NORMAL","MODERATE","HIGH","CRITICAL""#
    );
    let policy = [Policy::Core, Policy::Utility, Policy::Feature].map(|p| json(&p));
    assert_eq!(policy.join(","), r#""core","utility","feature""#);
    let protection = [
        Protection::ActiveCalls,
        Protection::HotOperation,
        Protection::CacheDependencies,
        Protection::GracePeriod,
        Protection::ResidentFloor,
        Protection::BelowBreakEven,
        Protection::WorkingSet,
    ]
    .map(|p| json(&p));
    assert_eq!(
        protection.join(","),
        r#""active_calls","hot_operation","cache_dependencies","grace_period","resident_floor","below_break_even","working_set""#
    );
    let reason = [
        UnloadReason::Pressure,
        UnloadReason::BreakEven,
        UnloadReason::IdleRule,
        UnloadReason::Explicit,
    ]
    .map(|r| json(&r));
    assert_eq!(
        reason.join(","),
        r#""pressure","break_even","idle_rule","explicit""#
    );
    let strategy = [UnloadStrategy::Cost, UnloadStrategy::Idle].map(|s| json(&s));
    assert_eq!(strategy.join(","), r#""cost","idle""#);
    let source = [
        BudgetSource::MemoryBudgetMb,
        BudgetSource::LambdaFunctionMemorySize,
        BudgetSource::Builder,
    ]
    .map(|s| json(&s));
    assert_eq!(
        source.join(","),
        r#""memory_budget_mb","lambda_function_memory_size","builder""#
    );
    let basis = [LeakBasis::Heap, LeakBasis::Rss].map(|b| json(&b));
    assert_eq!(basis.join(","), r#""heap","rss""#);
}

#[test]
fn skip_reasons_are_tagged_and_sit_beside_the_module() {
    let reasons = [
        SkipReason::BelowThreshold {
            calls: 2,
            min_calls: 3,
        },
        SkipReason::UnknownModule,
        SkipReason::BytesUnknown,
        SkipReason::OverLimit { bytes: 9, left: 4 },
        SkipReason::AsyncInit,
        SkipReason::InitFailed {
            error: "no \"data\"".into(),
        },
    ];
    let alone: Vec<String> = reasons.iter().map(json).collect();
    assert_eq!(
        alone.join("\n"),
        [
            r#"{"reason":"below_threshold","calls":2,"min_calls":3}"#,
            r#"{"reason":"unknown_module"}"#,
            r#"{"reason":"bytes_unknown"}"#,
            r#"{"reason":"over_limit","bytes":9,"left":4}"#,
            r#"{"reason":"async_init"}"#,
            r#"{"reason":"init_failed","error":"no \"data\""}"#,
        ]
        .join("\n")
    );
    let report = HeatPreloadReport {
        built: vec!["a".into()],
        already_resident: vec!["b".into()],
        skipped: reasons
            .into_iter()
            .map(|reason| SkippedModule {
                module: "m".into(),
                reason,
            })
            .collect(),
        profiled_bytes: 7,
        elapsed_us: 8,
    };
    assert_eq!(
        json(&report),
        concat!(
            r#"{"built":["a"],"already_resident":["b"],"skipped":["#,
            r#"{"module":"m","reason":"below_threshold","calls":2,"min_calls":3},"#,
            r#"{"module":"m","reason":"unknown_module"},"#,
            r#"{"module":"m","reason":"bytes_unknown"},"#,
            r#"{"module":"m","reason":"over_limit","bytes":9,"left":4},"#,
            r#"{"module":"m","reason":"async_init"},"#,
            r#"{"module":"m","reason":"init_failed","error":"no \"data\""}"#,
            r#"],"profiled_bytes":7,"elapsed_us":8}"#
        )
    );
}

#[test]
fn reports_keep_their_keys_in_declaration_order() {
    let report = SweepReport {
        unloaded: vec!["m".into()],
        blocked: vec![("n".into(), Protection::GracePeriod)],
        pressure: Some(Pressure::High),
        strategy: Some(UnloadStrategy::Idle),
        trim: Some(TrimReport {
            rss_before: Some(5),
            rss_after: None,
        }),
        deferred: DeferredDrops {
            blocking_ns: 1,
            ..DeferredDrops::default()
        },
        ..SweepReport::default()
    };
    assert_eq!(
        json(&report),
        concat!(
            r#"{"unloaded":["m"],"unloads":[],"blocked":[["n","grace_period"]],"#,
            r#""reclaimed_bytes":null,"promoted":[],"demoted":[],"expired_cache_entries":0,"#,
            r#""pressure":"HIGH","strategy":"idle","fallback":null,"#,
            r#""trim":{"rss_before":5,"rss_after":null},"blocking_ns":0,"cost_ns":null,"#,
            r#""deferred":{"unloads":[],"not_listed":0,"reclaimed_bytes":null,"blocking_ns":1,"#,
            r#""cost_ns":0,"trim_released_bytes":null},"thrash":null}"#
        )
    );
    let mut entry = ModuleHeat::new("x", 3);
    entry.bytes = Some(4);
    let profile = HeatProfile::new(60, vec![entry, ModuleHeat::new("y", 9)]);
    assert_eq!(
        json(&profile),
        concat!(
            r#"{"version":1,"heat_window_s":60,"modules":["#,
            r#"{"module":"y","calls_in_window":9,"build_ns":null,"bytes":null,"rss_growth_bytes":null},"#,
            r#"{"module":"x","calls_in_window":3,"build_ns":null,"bytes":4,"rss_growth_bytes":null}]}"#
        )
    );
}

#[test]
fn a_trace_round_trips_and_names_what_is_wrong() {
    let mut trace = Trace::new();
    trace.init = Some(TracedInvocation::new(
        7,
        Duration::from_millis(3),
        Duration::ZERO,
    ));
    trace.push(
        TracedInvocation::new(9, Duration::from_nanos(5), Duration::from_secs(1)).with_rebuilds(2),
    );
    let text = json(&trace);
    assert_eq!(
        text,
        concat!(
            r#"{"init":{"peak_bytes":7,"cpu":{"secs":0,"nanos":3000000},"wait":{"secs":0,"nanos":0},"rebuilds":0},"#,
            r#""invocations":[{"peak_bytes":9,"cpu":{"secs":0,"nanos":5},"wait":{"secs":1,"nanos":0},"rebuilds":2}]}"#
        )
    );
    assert_eq!(serde_json::from_str::<Trace>(&text).unwrap(), trace);
    // Unknown keys are skipped, a missing `init` is none; the array form is read too.
    let lenient = r#"{"invocations":[[1,{"secs":0,"nanos":2},{"secs":3,"nanos":0},4]],"extra":1}"#;
    let read: Trace = serde_json::from_str(lenient).unwrap();
    assert_eq!(read.init, None);
    assert_eq!(
        read.invocations,
        [
            TracedInvocation::new(1, Duration::from_nanos(2), Duration::from_secs(3))
                .with_rebuilds(4)
        ]
    );
    let errors = [
        r#"{"invocations":[{"peak_bytes":1,"cpu":{"secs":0,"nanos":0},"wait":{"secs":0,"nanos":0}}]}"#,
        r#"{"init":null,"init":null,"invocations":[]}"#,
        r#"{"init":null}"#,
        r#"{"invocations":[{"peak_bytes":"x"}]}"#,
        r#"[]"#,
        r#"7"#,
    ]
    .map(|t| serde_json::from_str::<Trace>(t).unwrap_err().to_string());
    assert_eq!(
        errors,
        [
            "missing field `rebuilds` at line 1 column 87",
            "duplicate field `init` at line 1 column 19",
            "missing field `invocations` at line 1 column 13",
            "invalid type: string \"x\", expected u64 at line 1 column 33",
            "invalid length 0, expected struct Trace with 2 elements at line 1 column 2",
            "invalid type: integer `7`, expected struct Trace at line 1 column 1",
        ]
    );
}

#[test]
fn the_stats_line_is_the_stats_without_their_lists() {
    let stats = crate::gateway().stats();
    let mut full = serde_json::to_value(&stats).unwrap();
    let map = full.as_object_mut().unwrap();
    assert!(map.remove("modules").is_some() && map.remove("operations").is_some());
    assert_eq!(stats.log_line(), format!("[LMMS_STATS] {full}"));
}
