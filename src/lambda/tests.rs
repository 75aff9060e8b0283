//! Unit tests of the boundary's pure parts: the EMF line, its counts, the options' and
//! `AWS_LAMBDA_MAX_CONCURRENCY`'s checks. (The boundary itself, extension and layer, is
//! tested end to end under a Lambda emulator in `tests/lambda_simulator.rs`.)

use super::emf::testing::line;
use super::{mode_from_env, BoundaryMode, Options};
use serde_json::Value;
use std::time::Duration;

fn stats_with(loads: u64, unloads: u64) -> crate::Stats {
    let mut s = crate::gateway().stats();
    s.ligs_loads = loads;
    s.lugs_unloads = unloads;
    s.live_heap_bytes = Some(4096);
    s.rss_bytes = None;
    s
}

#[test]
fn emf_line_is_json_with_aws_metadata_for_every_metric() {
    let options = Options::default().namespace("shop/checkout");
    let mut report = crate::SweepReport::default();
    report.unloaded = vec!["table_core".into()];
    report.reclaimed_bytes = Some(1 << 20);
    let sweep = Some((Duration::from_micros(1234), report));
    let (text, _) = line(&options, Some("fn-a"), &stats_with(3, 1), sweep);
    let v: Value = serde_json::from_str(&text).expect("one JSON object");
    let aws = &v["_aws"];
    assert_eq!(aws["Timestamp"], 1_700_000_000_123u64);
    let directive = &aws["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "shop/checkout");
    assert_eq!(
        directive["Dimensions"],
        serde_json::json!([["FunctionName"]])
    );
    assert_eq!(v["FunctionName"], "fn-a");
    let metrics = directive["Metrics"].as_array().unwrap();
    // Each declared metric is a member of the root with a number, and has a unit.
    for m in metrics {
        let name = m["Name"].as_str().unwrap();
        assert!(v[name].is_number(), "{name} missing: {text}");
        assert!(["Count", "Bytes", "Microseconds"].contains(&m["Unit"].as_str().unwrap()));
    }
    let names: Vec<&str> = metrics
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    for expected in [
        "ligs_loads",
        "lugs_unloads",
        "sweeps",
        "resident_modules",
        "live_heap_bytes",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not declared: {names:?}"
        );
    }
    assert!(
        !names.contains(&"rss_bytes"),
        "an unknown figure is left out"
    );
    assert_eq!(v["sweep_us"], 1234);
    assert_eq!(v["sweep_unloaded"], 1);
    assert_eq!(v["sweep_reclaimed_bytes"], 1 << 20);
    assert_eq!(v["unloaded"], serde_json::json!(["table_core"]));
    assert_eq!(v["request_id"], "req-1");
    assert_eq!(v["ligs_loads"], 3);
    assert_eq!(v["live_heap_bytes"], 4096);
}

#[test]
fn emf_line_without_function_name_or_sweep() {
    let (text, _) = line(&Options::default(), None, &stats_with(0, 0), None);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "lmms");
    assert_eq!(
        v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([[]])
    );
    assert!(v.get("sweep_us").is_none() && v.get("FunctionName").is_none());
}

#[test]
fn counters_are_counted_since_the_previous_line() {
    let options = Options::default();
    let mut e = super::emf::Emitter::new(&options);
    let first = super::emf::testing::counts(&mut e, &stats_with(5, 2));
    assert_eq!((first[0], first[1]), (5, 2));
    let second = super::emf::testing::counts(&mut e, &stats_with(7, 2));
    assert_eq!((second[0], second[1]), (2, 0));
    // An older reading (a concurrent invocation logged a newer one first) counts nothing.
    let stale = super::emf::testing::counts(&mut e, &stats_with(6, 2));
    assert_eq!((stale[0], stale[1]), (0, 0));
    let third = super::emf::testing::counts(&mut e, &stats_with(8, 3));
    assert_eq!((third[0], third[1]), (1, 1));
}

#[test]
fn max_concurrency_decides_the_mode() {
    use std::env::VarError;
    let set = |v: &str| Ok(v.to_string());
    assert_eq!(
        mode_from_env(Err(VarError::NotPresent)),
        Ok(BoundaryMode::PerInvocation)
    );
    assert_eq!(mode_from_env(set("1")), Ok(BoundaryMode::PerInvocation));
    assert_eq!(
        mode_from_env(set("4")),
        Ok(BoundaryMode::Sweeper { max_concurrency: 4 })
    );
    // Not UTF-8: refused, not read as unset (which would mean one invocation at a time).
    use std::os::unix::ffi::OsStringExt;
    let garbled = std::ffi::OsString::from_vec(b"4\xff".to_vec());
    let e = mode_from_env(Err(VarError::NotUnicode(garbled)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("AWS_LAMBDA_MAX_CONCURRENCY") && e.contains("not UTF-8"),
        "{e}"
    );
    // " 4" too: `lambda_runtime` does not trim it, and both must agree on the mode.
    for bad in ["0", "-2", "four", "", " 4"] {
        let e = mode_from_env(set(bad)).unwrap_err().to_string();
        assert!(
            e.contains("AWS_LAMBDA_MAX_CONCURRENCY") && e.contains(&format!("`{bad}`")),
            "{e}"
        );
    }
}

#[test]
fn bad_options_are_named() {
    for ns in ["", "AWS/Lambda", ":orders", "has space", &"n".repeat(256)] {
        let e = Options::default()
            .namespace(ns)
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("namespace") && e.contains(&format!("`{ns}`")),
            "{e}"
        );
    }
    assert!(Options::default()
        .namespace("a.b-c_d/e#f:g")
        .check()
        .is_ok());
    let e = Options::default()
        .sweep_interval(Duration::ZERO)
        .check()
        .unwrap_err();
    assert!(e.to_string().contains("sweeper interval"), "{e}");
}
