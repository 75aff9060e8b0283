//! Configuration: the budget's sources, the strategy settings, and every duration checked
//! instead of wrapped.

use crate::memory::BudgetSource;
use crate::{Config, Error, UnloadStrategy, MAX_DURATION};
use std::time::Duration;

fn env(vars: &[(&str, &str)]) -> Result<Config, Error> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

fn config_error(r: Result<Config, Error>) -> String {
    match r {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn budget_comes_from_memory_budget_mb_else_lambda_memory_size() {
    let c = env(&[]).unwrap();
    assert_eq!((c.memory_budget_bytes, c.budget_source), (None, None));
    let c = env(&[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")]).unwrap();
    assert_eq!(c.memory_budget_bytes, Some(1024 << 20));
    assert_eq!(
        c.budget_source,
        Some(BudgetSource::LambdaFunctionMemorySize)
    );
    let c = env(&[
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
        ("MEMORY_BUDGET_MB", "300"),
    ])
    .unwrap();
    assert_eq!(c.memory_budget_bytes, Some(300 << 20));
    assert_eq!(c.budget_source, Some(BudgetSource::MemoryBudgetMb));
}

#[test]
fn a_bad_budget_from_either_source_names_it() {
    for (var, value) in [
        ("MEMORY_BUDGET_MB", "lots"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "-128"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0"),
        ("MEMORY_BUDGET_MB", "18446744073709551615"),
    ] {
        let msg = config_error(env(&[(var, value)]));
        assert!(msg.contains(var), "{var}={value}: {msg}");
    }
    // The losing source is checked too: a bad value is never ignored.
    let msg = config_error(env(&[
        ("MEMORY_BUDGET_MB", "300"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "big"),
    ]));
    assert!(
        msg.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") && msg.contains("big"),
        "{msg}"
    );
}

#[test]
fn strategy_and_exchange_rate() {
    assert_eq!(env(&[]).unwrap().unload_strategy, UnloadStrategy::Cost);
    assert_eq!(env(&[]).unwrap().gb_seconds_per_cpu_second, 9.0);
    let c = env(&[
        ("UNLOAD_STRATEGY", "idle"),
        ("GB_SECONDS_PER_CPU_SECOND", "4.5"),
    ])
    .unwrap();
    assert_eq!(c.unload_strategy, UnloadStrategy::Idle);
    assert_eq!(c.gb_seconds_per_cpu_second, 4.5);
    let msg = config_error(env(&[("UNLOAD_STRATEGY", "lru")]));
    assert!(
        msg.contains("UNLOAD_STRATEGY") && msg.contains("lru"),
        "{msg}"
    );
    for bad in ["0", "-1", "NaN", "inf", "nine"] {
        let msg = config_error(env(&[("GB_SECONDS_PER_CPU_SECOND", bad)]));
        assert!(msg.contains("GB_SECONDS_PER_CPU_SECOND"), "{bad}: {msg}");
    }
}

#[test]
fn durations_past_the_clock_range_are_refused_not_wrapped() {
    let b = || Config::builder();
    for (name, r) in [
        (
            "UNLOAD_GRACE_PERIOD",
            b().grace_period(Duration::MAX).build(),
        ),
        ("HEAT_WINDOW", b().heat_window(Duration::MAX).build()),
        (
            "LMMS_SWEEP_INTERVAL_MS",
            b().sweep_interval(Duration::MAX).build(),
        ),
    ] {
        let msg = config_error(r);
        assert!(msg.contains(name) && msg.contains("out of range"), "{msg}");
    }
    assert!(b().grace_period(MAX_DURATION).build().is_ok());
    assert!(b()
        .grace_period(MAX_DURATION + Duration::from_millis(1))
        .build()
        .is_err());
    // From the environment: seconds that overflow the millisecond clock.
    let msg = config_error(env(&[("HEAT_WINDOW", "18446744073709551615")]));
    assert!(msg.contains("HEAT_WINDOW"), "{msg}");
}

#[test]
fn manual_clock_saturates() {
    let clock = crate::ManualClock::new();
    clock.advance(Duration::MAX);
    clock.advance(Duration::from_secs(1));
    assert_eq!(clock.now_ms(), u64::MAX);
}

#[test]
fn working_set_invocations_from_the_environment_at_least_one() {
    assert_eq!(env(&[]).unwrap().working_set_invocations, 2);
    let c = env(&[("LMMS_WORKING_SET_INVOCATIONS", "5")]).unwrap();
    assert_eq!(c.working_set_invocations, 5);
    for bad in ["0", "-1", "two"] {
        let msg = config_error(env(&[("LMMS_WORKING_SET_INVOCATIONS", bad)]));
        assert!(
            msg.contains("LMMS_WORKING_SET_INVOCATIONS") && (bad == "0" || msg.contains(bad)),
            "{bad}: {msg}"
        );
    }
}

#[test]
fn duration_variables_take_the_cache_ttl_forms_and_a_bare_number_in_their_unit() {
    for (value, ms) in [
        ("30", 30_000),
        ("30s", 30_000),
        ("5m", 300_000),
        ("250ms", 250),
        ("1h", 3_600_000),
        ("0", 0),
    ] {
        let c = env(&[("UNLOAD_GRACE_PERIOD", value)]).unwrap();
        assert_eq!(c.grace_period, Duration::from_millis(ms), "{value}");
    }
    let c = env(&[("HEAT_WINDOW", "2h"), ("LMMS_SWEEP_INTERVAL_MS", "2s")]).unwrap();
    assert_eq!(c.heat_window, Duration::from_secs(7200));
    assert_eq!(c.sweep_interval, Duration::from_secs(2));
    // `LMMS_SWEEP_INTERVAL_MS` keeps its bare unit: milliseconds.
    let c = env(&[("HEAT_WINDOW", "90"), ("LMMS_SWEEP_INTERVAL_MS", "250")]).unwrap();
    assert_eq!(c.heat_window, Duration::from_secs(90));
    assert_eq!(c.sweep_interval, Duration::from_millis(250));
    // An error names the variable and the value, says the bare unit and lists the forms.
    for (var, value, unit) in [
        ("UNLOAD_GRACE_PERIOD", "30 sec", "seconds"),
        ("HEAT_WINDOW", "1.5h", "seconds"),
        ("LMMS_SWEEP_INTERVAL_MS", "soon", "milliseconds"),
    ] {
        let msg = config_error(env(&[(var, value)]));
        assert!(
            msg.contains(var)
                && msg.contains(&format!("{value:?}"))
                && msg.contains(&format!("a bare whole number is {unit}"))
                && msg.contains(r#""500ms", "30s", "5m" or "1h""#),
            "{msg}"
        );
    }
    let msg = config_error(env(&[("HEAT_WINDOW", "0ms")]));
    assert!(
        msg.contains("HEAT_WINDOW") && msg.contains("more than 0"),
        "{msg}"
    );
}

#[test]
fn the_unload_strategy_is_read_in_any_case() {
    for (value, strategy) in [
        ("Cost", UnloadStrategy::Cost),
        ("COST", UnloadStrategy::Cost),
        ("Idle", UnloadStrategy::Idle),
        ("iDLE", UnloadStrategy::Idle),
    ] {
        let c = env(&[("UNLOAD_STRATEGY", value)]).unwrap();
        assert_eq!(c.unload_strategy, strategy, "{value}");
    }
    let msg = config_error(env(&[("UNLOAD_STRATEGY", "LRU")]));
    assert!(
        msg.contains("UNLOAD_STRATEGY") && msg.contains("LRU"),
        "{msg}"
    );
}

#[test]
fn a_value_that_is_not_utf8_is_an_error_naming_the_variable() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let raw = || OsString::from_vec(b"5\xff".to_vec());
    for var in ["MEMORY_BUDGET_MB", "LMMS_HEAT_PROFILE", "UNLOAD_STRATEGY"] {
        let msg = config_error(Config::from_os_lookup(|name| (name == var).then(raw)));
        assert!(
            msg.contains(var) && msg.contains("not valid UTF-8"),
            "{msg}"
        );
    }
    // The first bad value read is the one reported, whichever kind it is.
    let msg = config_error(Config::from_os_lookup(|name| match name {
        "LAZY_LOADING_ENABLED" => Some("maybe".into()),
        "MEMORY_BUDGET_MB" => Some(raw()),
        _ => None,
    }));
    assert!(msg.contains("LAZY_LOADING_ENABLED"), "{msg}");
    let msg = config_error(Config::from_os_lookup(|name| match name {
        "MEMORY_BUDGET_MB" => Some(raw()),
        "LMMS_HEAT_PROFILE_MAX_MB" => Some("9".into()),
        _ => None,
    }));
    assert!(msg.contains("MEMORY_BUDGET_MB"), "{msg}");
}
