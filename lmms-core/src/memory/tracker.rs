//! The memory [`Tracker`]: snapshots at named points, per-operation deltas, peaks, JSON
//! export and a Lambda memory-size recommendation for the peak. Leak detection over the
//! invocations it records is in `leak.rs`; the billing model in `lambda.rs`.
//!
//! The tracker is called by the application (or a handler wrapper), never by the
//! gateway's call path: reading RSS is a file read, far too slow for every call.

use super::leak::LeakBasis;
use super::{
    heap_high_water_bytes, live_heap_bytes, rss_high_water_bytes, LeakReport, OpMemory, Reading,
    RecommendOptions, Recommendation, Snapshot,
};
use crate::sync::lock_std;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Everything a [`Tracker`] holds, ready for JSON ([`Tracker::to_json`]).
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.snapshot("start");
/// let report = tracker.report();
/// assert_eq!(report.snapshots.len(), 1);
/// assert!(!report.heap_measured); // no counting allocator in this doctest
/// ```
#[derive(Clone, Debug)]
pub struct TrackerReport {
    /// Whether heap figures are measured (a counting allocator is installed).
    pub heap_measured: bool,
    /// Milliseconds since the tracker was created.
    pub elapsed_ms: f64,
    /// Named snapshots, oldest first (the most recent `max_snapshots`).
    pub snapshots: Vec<Snapshot>,
    /// Snapshots dropped to stay within `max_snapshots`.
    pub dropped_snapshots: u64,
    /// Per-operation figures, by key.
    pub operations: BTreeMap<String, OpMemory>,
    /// Highest live heap seen at the tracker's readings, if measured.
    pub peak_heap_bytes: Option<u64>,
    /// Highest live heap the allocator has seen (between readings too), if measured.
    pub heap_high_water_bytes: Option<u64>,
    /// Highest RSS seen at the tracker's readings.
    pub peak_rss_bytes: Option<u64>,
    /// Highest RSS of the process, as the kernel records it (`VmHWM`).
    pub rss_high_water_bytes: Option<u64>,
    /// Invocations recorded by [`Tracker::end_invocation`].
    pub invocations: u64,
    /// The leak trend over the latest invocations.
    pub leak: LeakReport,
}

serialize_struct!(TrackerReport {
    heap_measured,
    elapsed_ms,
    snapshots,
    dropped_snapshots,
    operations,
    peak_heap_bytes,
    heap_high_water_bytes,
    peak_rss_bytes,
    rss_high_water_bytes,
    invocations,
    leak
});

pub(super) struct Inner {
    pub(super) snapshots: VecDeque<Snapshot>,
    pub(super) dropped_snapshots: u64,
    pub(super) ops: BTreeMap<String, OpMemory>,
    pub(super) peak_heap: Option<u64>,
    pub(super) peak_rss: Option<u64>,
    pub(super) invocations: u64,
    pub(super) invocation_start: Option<Instant>,
    pub(super) basis: Option<LeakBasis>,
    pub(super) after_invocation: VecDeque<u64>,
}

impl Inner {
    pub(super) fn observe(&mut self, heap: Option<u64>, rss: Option<u64>) {
        if let Some(h) = heap {
            self.peak_heap = Some(self.peak_heap.map_or(h, |p| p.max(h)));
        }
        if let Some(r) = rss {
            self.peak_rss = Some(self.peak_rss.map_or(r, |p| p.max(r)));
        }
    }
}

/// Measures memory where the application says: named snapshots, per-operation deltas and
/// durations, peaks, invocation-by-invocation leak trend, JSON export and a Lambda
/// memory-size recommendation.
///
/// Heap figures need a [`CountingAlloc`](super::CountingAlloc) as the global allocator;
/// without one they are `None` (unknown), never zero. All methods take `&self`: share one
/// tracker (e.g. [`Tracker::global`]) between threads.
///
/// ```
/// use lmms::memory::{RecommendOptions, Tracker};
/// use std::time::Duration;
///
/// let tracker = Tracker::new();
/// tracker.snapshot("cold start");
/// for _ in 0..3 {
///     tracker.begin_invocation();
///     let n = tracker.measure("weather.forecast", || vec![0u8; 4096].len());
///     assert_eq!(n, 4096);
///     tracker.end_invocation();
/// }
/// let json = tracker.to_json();
/// assert_eq!(json["operations"]["weather.forecast"]["calls"], 3);
/// if let Some(rec) = tracker.recommend(&RecommendOptions::new(1024, Duration::from_millis(50))) {
///     println!("configure {} MB (now 1024 MB)", rec.recommended_mb);
/// }
/// ```
pub struct Tracker {
    pub(super) start: Instant,
    pub(super) max_snapshots: usize,
    pub(super) leak_window: usize,
    pub(super) leak_min_samples: usize,
    pub(super) leak_threshold: f64,
    pub(super) leak_min_r_squared: f64,
    pub(super) inner: Mutex<Inner>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    /// A tracker with the defaults: 1 000 snapshots kept, leak window of the last 50
    /// invocations, flagged from 10 samples, above 1 KiB per invocation with r² ≥ 0.8.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// assert_eq!(tracker.report().invocations, 0);
    /// ```
    pub fn new() -> Self {
        Tracker {
            start: Instant::now(),
            max_snapshots: 1000,
            leak_window: 50,
            leak_min_samples: 10,
            leak_threshold: 1024.0,
            leak_min_r_squared: 0.8,
            inner: Mutex::new(Inner {
                snapshots: VecDeque::new(),
                dropped_snapshots: 0,
                ops: BTreeMap::new(),
                peak_heap: None,
                peak_rss: None,
                invocations: 0,
                invocation_start: None,
                basis: None,
                after_invocation: VecDeque::new(),
            }),
        }
    }

    /// A process-wide tracker, created on first use.
    ///
    /// ```
    /// let t = lmms::memory::Tracker::global();
    /// assert!(std::ptr::eq(t, lmms::memory::Tracker::global()));
    /// ```
    pub fn global() -> &'static Tracker {
        static GLOBAL: OnceLock<Tracker> = OnceLock::new();
        GLOBAL.get_or_init(Tracker::new)
    }

    /// Keeps at most `n` snapshots (the oldest are dropped and counted). At least 1.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().max_snapshots(2);
    /// for name in ["a", "b", "c"] {
    ///     tracker.snapshot(name);
    /// }
    /// let report = tracker.report();
    /// assert_eq!(report.snapshots.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["b", "c"]);
    /// assert_eq!(report.dropped_snapshots, 1);
    /// ```
    #[must_use]
    pub fn max_snapshots(mut self, n: usize) -> Self {
        self.max_snapshots = n.max(1);
        self
    }

    pub(super) fn elapsed_ms(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.start).as_secs_f64() * 1000.0
    }

    /// Takes a reading now and keeps it under `name`; returns it.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// let s = tracker.snapshot("after init");
    /// assert!(s.elapsed_ms >= 0.0);
    /// assert_eq!(tracker.report().snapshots[0].name, "after init");
    /// ```
    pub fn snapshot(&self, name: impl Into<String>) -> Snapshot {
        let r = Reading::now();
        let snap = Snapshot {
            name: name.into(),
            heap_bytes: r.heap_bytes,
            rss_bytes: r.rss_bytes,
            elapsed_ms: self.elapsed_ms(r.at),
        };
        let mut inner = lock_std(&self.inner);
        inner.observe(r.heap_bytes, r.rss_bytes);
        if inner.snapshots.len() >= self.max_snapshots {
            inner.snapshots.pop_front();
            inner.dropped_snapshots += 1;
        }
        inner.snapshots.push_back(snap.clone());
        snap
    }

    /// Runs `f`, recording the live-heap and RSS change and the duration under `op`
    /// (e.g. `"weather.forecast"`); returns what `f` returns. Costs two [`Reading`]s
    /// (two reads of `/proc/self/statm`): measure operations, not every call of a hot loop.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// let len = tracker.measure("report.build", || "x".repeat(1 << 16).len());
    /// assert_eq!(len, 1 << 16);
    /// assert_eq!(tracker.report().operations["report.build"].calls, 1);
    /// ```
    pub fn measure<R>(&self, op: &str, f: impl FnOnce() -> R) -> R {
        let before = Reading::now();
        let r = f();
        let after = Reading::now();
        self.record(op, &before, &after);
        r
    }

    /// Records one measurement of `op` from readings the caller took (for code that
    /// cannot be wrapped in a closure, such as an `async` handler).
    ///
    /// ```
    /// use lmms::memory::{Reading, Tracker};
    /// let tracker = Tracker::new();
    /// let before = Reading::now();
    /// let data = vec![1u8; 1 << 20];
    /// let after = Reading::now();
    /// tracker.record("load", &before, &after);
    /// drop(data);
    /// let op = &tracker.report().operations["load"];
    /// assert_eq!(op.calls, 1);
    /// assert!(op.rss_delta_last.is_some() == cfg!(target_os = "linux"));
    /// ```
    pub fn record(&self, op: &str, before: &Reading, after: &Reading) {
        let mut inner = lock_std(&self.inner);
        inner.observe(before.heap_bytes, before.rss_bytes);
        inner.observe(after.heap_bytes, after.rss_bytes);
        match inner.ops.get_mut(op) {
            Some(m) => m.add(before, after),
            None => {
                let mut m = OpMemory::default();
                m.add(before, after);
                inner.ops.insert(op.to_string(), m);
            }
        }
    }

    /// The highest RSS known: the larger of the tracker's readings and the kernel's
    /// high-water mark (`VmHWM`), which also catches peaks between readings.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// tracker.snapshot("now");
    /// assert_eq!(tracker.peak_rss_bytes().is_some(), cfg!(target_os = "linux"));
    /// ```
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        let observed = lock_std(&self.inner).peak_rss;
        match (observed, rss_high_water_bytes()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// A Lambda memory size for this process's peak RSS ([`Tracker::peak_rss_bytes`]),
    /// with the cost of one invocation at the current and the recommended size. `None`
    /// if RSS is unknown on this platform.
    ///
    /// ```
    /// use lmms::memory::{RecommendOptions, Tracker};
    /// let tracker = Tracker::new();
    /// tracker.snapshot("peak");
    /// let opts = RecommendOptions::new(3008, std::time::Duration::from_millis(250));
    /// if let Some(rec) = tracker.recommend(&opts) {
    ///     assert!(rec.recommended_mb >= lmms::memory::LAMBDA_MIN_MB);
    ///     assert_eq!(rec.billed_duration_ms, 250);
    /// }
    /// ```
    pub fn recommend(&self, options: &RecommendOptions) -> Option<Recommendation> {
        Some(Recommendation::for_peak(self.peak_rss_bytes()?, options))
    }

    /// Everything the tracker holds, as a struct.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// tracker.measure("op", || ());
    /// assert_eq!(tracker.report().operations.len(), 1);
    /// ```
    pub fn report(&self) -> TrackerReport {
        let leak = self.leak_check();
        let inner = lock_std(&self.inner);
        TrackerReport {
            heap_measured: live_heap_bytes().is_some(),
            elapsed_ms: self.elapsed_ms(Instant::now()),
            snapshots: inner.snapshots.iter().cloned().collect(),
            dropped_snapshots: inner.dropped_snapshots,
            operations: inner.ops.clone(),
            peak_heap_bytes: inner.peak_heap,
            heap_high_water_bytes: heap_high_water_bytes(),
            peak_rss_bytes: inner.peak_rss,
            rss_high_water_bytes: rss_high_water_bytes(),
            invocations: inner.invocations,
            leak,
        }
    }

    /// [`Tracker::report`] as JSON. Unknown figures are `null`.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// tracker.snapshot("start");
    /// let json = tracker.to_json();
    /// assert_eq!(json["snapshots"][0]["name"], "start");
    /// assert!(json["snapshots"][0]["heap_bytes"].is_null()); // no counting allocator here
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.report()).unwrap_or_default()
    }

    /// One log line, `[LMMS_MEMORY] ` followed by the report's JSON without the
    /// snapshots, for CloudWatch Logs Insights.
    ///
    /// ```
    /// let line = lmms::memory::Tracker::new().log_line();
    /// assert!(line.starts_with("[LMMS_MEMORY] {"));
    /// ```
    pub fn log_line(&self) -> String {
        let mut v = self.to_json();
        if let Some(o) = v.as_object_mut() {
            o.remove("snapshots");
        }
        format!("[LMMS_MEMORY] {v}")
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
