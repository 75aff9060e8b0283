//! The memory tracker on real figures (counting allocator installed): per-operation heap
//! deltas, the allocator's high-water mark catching a spike between readings, leak
//! detection on a real leak and not on a steady workload, and a recommendation from the
//! measured peak.

use lmms::memory::{LeakBasis, RecommendOptions, Tracker};
use std::sync::Mutex;
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// The tests read the process-wide heap: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn operation_deltas_are_the_bytes_an_operation_leaves_live() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tracker = Tracker::new();
    let kept = tracker.measure("cache.fill", || vec![1u8; 4 << 20]);
    tracker.measure("scratch.work", || drop(vec![1u8; 4 << 20]));
    let report = tracker.report();
    assert!(report.heap_measured);
    let fill = report.operations["cache.fill"].heap_delta_last.unwrap();
    let scratch = report.operations["scratch.work"].heap_delta_last.unwrap();
    println!("[memory_tracker] cache.fill left {fill} B live, scratch.work {scratch} B");
    // Live heap is process-wide: the test harness's other threads may free a few bytes
    // during the measurement, so allow a small slack below the 4 MiB kept.
    assert!(fill >= (4 << 20) - (64 << 10), "fill left {fill}");
    assert!(scratch.abs() < 64 << 10, "scratch left {scratch}");
    drop(kept);
}

#[test]
fn the_high_water_mark_catches_a_spike_between_readings() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    lmms::memory::reset_heap_high_water().unwrap();
    let tracker = Tracker::new();
    let before = tracker.snapshot("before");
    drop(std::hint::black_box(vec![1u8; 32 << 20]));
    let after = tracker.snapshot("after");
    let report = tracker.report();
    let sampled = report.peak_heap_bytes.unwrap();
    let high_water = report.heap_high_water_bytes.unwrap();
    println!(
        "[memory_tracker] heap before {} B, after {} B, sampled peak {sampled} B, allocator high water {high_water} B",
        before.heap_bytes.unwrap(),
        after.heap_bytes.unwrap()
    );
    assert!(sampled < before.heap_bytes.unwrap() + (32 << 20));
    // The harness's own threads may free a little meanwhile: 64 KiB of slack, far below the
    // 32 MiB spike the sampled figure misses.
    assert!(high_water + (64 << 10) >= before.heap_bytes.unwrap() + (32 << 20));
}

#[test]
fn a_real_leak_is_flagged_and_a_steady_workload_is_not() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let leaky = Tracker::new().leak_window(20).leak_min_samples(10);
    let steady = Tracker::new().leak_window(20).leak_min_samples(10);
    // The figure is the process-wide live heap: run the two workloads one after the other.
    for i in 0..20 {
        steady.begin_invocation();
        let work: Vec<u8> = vec![(i % 7) as u8; 256 << 10]; // used, then freed
        std::hint::black_box(&work);
        drop(work);
        steady.end_invocation();
    }
    let mut leaked = Vec::new();
    for _ in 0..20 {
        leaky.begin_invocation();
        leaked.push(vec![1u8; 64 << 10]); // 64 KiB kept per invocation
        leaky.end_invocation();
    }
    let leak = leaky.leak_check();
    let flat = steady.leak_check();
    println!("[memory_tracker] leaky: {leak:?}");
    println!("[memory_tracker] steady: {flat:?}");
    assert_eq!(leak.basis, Some(LeakBasis::Heap));
    assert!(leak.suspected, "{leak:?}");
    let slope = leak.slope_bytes_per_invocation.unwrap();
    assert!(
        (slope - 65536.0).abs() < 4096.0,
        "slope {slope} B/invocation for 64 KiB leaked each time"
    );
    assert!(!flat.suspected, "{flat:?}");
    assert!(
        flat.slope_bytes_per_invocation.unwrap().abs() < 1024.0,
        "{flat:?}"
    );
    drop(leaked);
}

#[test]
fn recommendation_from_the_measured_peak() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tracker = Tracker::new();
    tracker.snapshot("start");
    let opts = RecommendOptions::new(1024, Duration::from_millis(120));
    let rec = tracker.recommend(&opts).expect("RSS known on Linux");
    println!(
        "[memory_tracker] peak RSS {:.1} MiB -> recommended {} MB (configured {} MB): {:.4} vs {:.4} GB-s per invocation, {:.2} USD saved per million",
        rec.peak_rss_bytes as f64 / 1048576.0,
        rec.recommended_mb,
        rec.current_mb,
        rec.current_gb_s,
        rec.recommended_gb_s,
        rec.saving_per_million_usd
    );
    // The kernel's high-water mark only grows: a later read is at least what was used.
    assert!(rec.peak_rss_bytes <= tracker.peak_rss_bytes().unwrap());
    let needed_mb = ((rec.peak_rss_bytes as f64 * 1.25).ceil() as u64).div_ceil(1 << 20);
    assert_eq!(rec.recommended_mb as u64, needed_mb.clamp(128, 10240));
    assert_eq!(rec.billed_duration_ms, 120);
}
