//! Without the counting allocator (none installed in this test binary) every heap figure
//! says it is unknown — `None` / `null` — never a made-up zero; RSS is still measured.

use lmms::memory::LeakBasis;
use lmms::{Config, Init, InitError};
use std::time::Duration;

#[lmms::module(name = "unknown_feature", policy = "feature")]
pub struct Held(Vec<u8>);

impl Init for Held {
    fn init() -> Result<Self, InitError> {
        Ok(Held(vec![1; 1 << 20]))
    }
}

#[lmms::operation(interface = "unknown_feature", op = "len", module = Held)]
pub fn held_len(h: &Held) -> usize {
    h.0.len()
}

/// One test, so one configuration and no sharing to arrange.
#[test]
fn byte_figures_are_unknown_without_the_counting_allocator() {
    let config = Config::builder()
        // A budget: pressure then falls back to RSS.
        .memory_budget_mb(1 << 20)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();

    assert_eq!(lmms::memory::live_heap_bytes(), None);
    assert_eq!(lmms::memory::heap_high_water_bytes(), None);
    assert_eq!(lmms::memory::reset_heap_high_water(), None);

    assert_eq!(held_len().unwrap(), 1 << 20);
    let info = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "unknown_feature")
        .unwrap();
    assert!(info.resident);
    assert_eq!(
        info.bytes, None,
        "ModuleInfo.bytes while resident: {info:?}"
    );

    let report = gw.sweep();
    assert_eq!(report.unloaded, ["unknown_feature"]);
    assert_eq!(report.reclaimed_bytes, None, "SweepReport.reclaimed_bytes");

    let stats = gw.stats();
    assert!(!stats.memory_measured);
    assert_eq!(stats.live_heap_bytes, None);
    assert_eq!(
        stats.memory_reclaimed_bytes, None,
        "Stats.memory_reclaimed_bytes"
    );
    assert_eq!(stats.lugs_unloads, 1);
    assert!(stats.modules.iter().all(|m| m.bytes.is_none()));
    let line = stats.log_line();
    assert!(line.contains("\"live_heap_bytes\":null"), "{line}");
    assert!(line.contains("\"memory_reclaimed_bytes\":null"), "{line}");

    // RSS is known on Linux, and pressure against the budget falls back to it.
    if cfg!(target_os = "linux") {
        assert!(stats.rss_bytes.unwrap() > 0);
        assert_eq!(gw.pressure(), Some(lmms::memory::Pressure::Normal));
    }

    // The tracker: heap unknown everywhere, RSS measured, leak trend on RSS.
    let tracker = lmms::memory::Tracker::new();
    let snap = tracker.snapshot("after unload");
    assert_eq!(snap.heap_bytes, None);
    tracker.measure("unknown_feature.len", || held_len().unwrap());
    tracker.end_invocation();
    let report = tracker.report();
    assert!(!report.heap_measured);
    assert_eq!(report.peak_heap_bytes, None);
    assert_eq!(report.heap_high_water_bytes, None);
    let op = &report.operations["unknown_feature.len"];
    assert_eq!(
        (op.heap_delta_total, op.heap_delta_max, op.heap_delta_last),
        (None, None, None)
    );
    let json = tracker.to_json();
    assert!(json["snapshots"][0]["heap_bytes"].is_null());
    assert!(json["operations"]["unknown_feature.len"]["heap_delta_total"].is_null());
    if cfg!(target_os = "linux") {
        assert!(snap.rss_bytes.unwrap() > 0);
        assert!(op.rss_delta_last.is_some());
        assert_eq!(report.leak.basis, Some(LeakBasis::Rss));
        assert!(tracker
            .recommend(&lmms::memory::RecommendOptions::new(
                1024,
                Duration::from_millis(100)
            ))
            .is_some());
    }
}
