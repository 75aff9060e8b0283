//! Tests of the [`Tracker`]: invocations without the counting allocator, the JSON export,
//! and the recommendation from the highest RSS known.

use super::*;
use std::time::Duration;

fn opts(current_mb: u32, ms: u64) -> RecommendOptions {
    RecommendOptions::new(current_mb, Duration::from_millis(ms))
}

#[test]
fn end_invocation_without_counting_allocator_follows_rss() {
    let t = Tracker::new();
    let s = t.end_invocation();
    assert_eq!(s.heap_bytes, None, "no counting allocator in unit tests");
    if cfg!(target_os = "linux") {
        assert_eq!(t.leak_check().basis, Some(LeakBasis::Rss));
        assert_eq!(t.leak_check().samples, 1);
    }
}

#[test]
fn json_export_has_every_section_and_unknowns_are_null() {
    let t = Tracker::new();
    t.snapshot("start");
    t.begin_invocation();
    let v = t.measure("weather.forecast", || vec![7u8; 1 << 16]);
    assert_eq!(v.len(), 1 << 16);
    t.measure("weather.forecast", || ());
    t.end_invocation();
    let json = t.to_json();
    let text = serde_json::to_string(&json).unwrap();
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Same shape after a text round trip (floats may differ in the last digit: serde_json
    // does not round-trip f64 exactly without its `float_roundtrip` feature).
    let keys = |v: &serde_json::Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&back), keys(&json));
    assert_eq!(back["operations"]["weather.forecast"]["calls"], 2);
    assert_eq!(json["heap_measured"], false);
    assert_eq!(json["snapshots"][0]["name"], "start");
    assert!(json["snapshots"][0]["heap_bytes"].is_null());
    assert!(json["peak_heap_bytes"].is_null());
    assert!(json["heap_high_water_bytes"].is_null());
    let op = &json["operations"]["weather.forecast"];
    assert_eq!(op["calls"], 2);
    assert!(op["heap_delta_total"].is_null());
    assert!(op["total_duration_ns"].as_u64().unwrap() >= op["max_duration_ns"].as_u64().unwrap());
    assert_eq!(json["invocations"], 1);
    for key in [
        "basis",
        "samples",
        "slope_bytes_per_invocation",
        "suspected",
    ] {
        assert!(json["leak"].get(key).is_some(), "leak.{key} missing");
    }
    if cfg!(target_os = "linux") {
        assert!(json["peak_rss_bytes"].as_u64().unwrap() > 0);
        assert!(op["rss_delta_total"].is_i64());
        assert!(json["rss_high_water_bytes"].as_u64().unwrap() > 0);
    }
    let line = t.log_line();
    assert!(line.starts_with("[LMMS_MEMORY] {") && !line.contains("\"snapshots\""));
}

#[test]
fn recommend_uses_the_highest_rss_known() {
    let t = Tracker::new();
    t.snapshot("now");
    if let Some(rec) = t.recommend(&opts(1024, 10)) {
        let observed = t.report().peak_rss_bytes.unwrap();
        assert!(rec.peak_rss_bytes >= observed);
        // The kernel's high-water mark only grows (other test threads allocate
        // meanwhile): a later read is at least what the recommendation used.
        assert!(rec.peak_rss_bytes <= t.peak_rss_bytes().unwrap());
    }
}

/// `Reading`'s fields are public and `record` takes any two: figures past `i64::MAX` must
/// neither panic (debug overflow) nor wrap into a delta of the wrong sign.
#[test]
fn record_of_extreme_readings_saturates() {
    let t = Tracker::new();
    let at = std::time::Instant::now();
    let (low, high, top) = (
        Reading {
            heap_bytes: Some(0),
            rss_bytes: Some(u64::MAX),
            at,
        },
        Reading {
            heap_bytes: Some(u64::MAX),
            rss_bytes: Some(1),
            at,
        },
        Reading {
            heap_bytes: Some(i64::MAX as u64),
            rss_bytes: None,
            at,
        },
    );
    // `u64::MAX as i64` is -1, and `i64::MAX - -1` overflowed (a panic in debug builds).
    t.record("overflow", &high, &top);
    let op = &t.report().operations["overflow"];
    assert_eq!(
        op.heap_delta_last,
        Some(i64::MIN),
        "shrank: a negative delta"
    );
    // `u64::MAX as i64 - 0` was -1: growth reported as a shrink.
    t.record("extreme", &low, &high);
    let op = &t.report().operations["extreme"];
    assert_eq!(op.heap_delta_last, Some(i64::MAX), "grew: a positive delta");
    assert_eq!(
        op.rss_delta_last,
        Some(i64::MIN),
        "shrank: a negative delta"
    );
}

/// A NaN threshold or r² compares false with every slope: leak detection would be off
/// without a word. Refused, as `RecommendOptions` refuses a NaN margin.
#[test]
#[should_panic(expected = "leak threshold")]
fn a_nan_leak_threshold_is_refused() {
    let _ = Tracker::new().leak_threshold(f64::NAN);
}

#[test]
#[should_panic(expected = "r²")]
fn a_nan_leak_r_squared_is_refused() {
    let _ = Tracker::new().leak_min_r_squared(f64::NAN);
}

/// `Reading::at` is public too: a span past `u64::MAX` nanoseconds (584 years) was cut
/// to its low 64 bits (`as u64`), a short duration instead of the longest.
#[test]
fn record_of_a_span_past_u64_nanoseconds_saturates() {
    let t = Tracker::new();
    let before = Reading {
        heap_bytes: None,
        rss_bytes: None,
        at: std::time::Instant::now(),
    };
    let after = Reading {
        at: before.at + Duration::from_secs(1 << 40),
        ..before
    };
    t.record("long", &before, &after);
    let op = &t.report().operations["long"];
    assert_eq!(
        (op.max_duration_ns, op.total_duration_ns),
        (u64::MAX, u64::MAX)
    );
}
