//! The memory [`Tracker`]: snapshots at named points, per-operation deltas, peaks, JSON
//! export, a Lambda memory-size recommendation and leak detection (SPEC section 7).
//!
//! The tracker is called by the application (or a handler wrapper), never by the
//! gateway's call path: reading RSS is a file read, far too slow for every call.

use super::{heap_high_water_bytes, live_heap_bytes, rss_bytes, rss_high_water_bytes};
use crate::sync::lock_std;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

/// Smallest memory size Lambda allows, in MB (Lambda's MB are MiB).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_MIN_MB, 128);
/// ```
pub const LAMBDA_MIN_MB: u32 = 128;

/// Largest memory size Lambda allows, in MB (Lambda's MB are MiB).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_MAX_MB, 10_240);
/// ```
pub const LAMBDA_MAX_MB: u32 = 10_240;

/// The public on-demand price of one GB-second of Lambda compute on x86 (USD, first
/// pricing tier). Pass your own with [`RecommendOptions::price_per_gb_s`] (Arm, other
/// tiers, other regions).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_X86_PRICE_PER_GB_S, 0.0000166667);
/// ```
pub const LAMBDA_X86_PRICE_PER_GB_S: f64 = 0.0000166667;

/// One reading of memory and time: live heap (if a
/// [`CountingAlloc`](super::CountingAlloc) is installed), RSS and a monotonic instant.
///
/// ```
/// let r = lmms::memory::Reading::now();
/// assert_eq!(r.heap_bytes, lmms::memory::live_heap_bytes()); // None here: no counting allocator
/// if cfg!(target_os = "linux") {
///     assert!(r.rss_bytes.is_some());
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Live heap bytes, `None` (unknown) without the counting allocator.
    pub heap_bytes: Option<u64>,
    /// Resident set size in bytes, `None` where `/proc/self/statm` is missing.
    pub rss_bytes: Option<u64>,
    /// When it was taken.
    pub at: Instant,
}

impl Reading {
    /// Reads live heap, RSS and the time now (RSS costs a read of `/proc/self/statm`,
    /// a few microseconds).
    ///
    /// ```
    /// let a = lmms::memory::Reading::now();
    /// let b = lmms::memory::Reading::now();
    /// assert!(b.at >= a.at);
    /// ```
    pub fn now() -> Self {
        Reading {
            heap_bytes: live_heap_bytes(),
            rss_bytes: rss_bytes(),
            at: Instant::now(),
        }
    }
}

/// A reading kept under a name by [`Tracker::snapshot`].
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// let s = tracker.snapshot("cold start");
/// assert_eq!(s.name, "cold start");
/// assert_eq!(s.heap_bytes, None); // no counting allocator in this doctest
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    /// The name given.
    pub name: String,
    /// Live heap bytes, if measured.
    pub heap_bytes: Option<u64>,
    /// RSS bytes, if available.
    pub rss_bytes: Option<u64>,
    /// Milliseconds since the tracker was created.
    pub elapsed_ms: f64,
}

/// Memory and time figures of one operation key, accumulated by [`Tracker::measure`] and
/// [`Tracker::record`]. Deltas are `after − before` of process-wide figures, so other
/// threads' work during the operation shows up in them too.
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.measure("weather.forecast", || "sunny".repeat(1000));
/// let op = &tracker.report().operations["weather.forecast"];
/// assert_eq!(op.calls, 1);
/// assert_eq!(op.heap_delta_total, None); // unknown without the counting allocator
/// ```
#[derive(Clone, Debug, Default, Serialize)]
pub struct OpMemory {
    /// Measurements recorded.
    pub calls: u64,
    /// Total duration, ns.
    pub total_duration_ns: u64,
    /// Longest duration, ns.
    pub max_duration_ns: u64,
    /// Sum of live-heap deltas, bytes (`None` if the heap is not measured).
    pub heap_delta_total: Option<i64>,
    /// Largest live-heap delta of one call, bytes.
    pub heap_delta_max: Option<i64>,
    /// Live-heap delta of the latest call, bytes.
    pub heap_delta_last: Option<i64>,
    /// Sum of RSS deltas, bytes (`None` if RSS is not available).
    pub rss_delta_total: Option<i64>,
    /// Largest RSS delta of one call, bytes.
    pub rss_delta_max: Option<i64>,
    /// RSS delta of the latest call, bytes.
    pub rss_delta_last: Option<i64>,
}

impl OpMemory {
    /// Mean duration of the recorded calls (zero before the first).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// tracker.measure("op", || std::thread::sleep(std::time::Duration::from_millis(2)));
    /// let op = &tracker.report().operations["op"];
    /// assert!(op.mean_duration() >= std::time::Duration::from_millis(2));
    /// ```
    pub fn mean_duration(&self) -> Duration {
        Duration::from_nanos(self.total_duration_ns.checked_div(self.calls).unwrap_or(0))
    }

    fn add(&mut self, before: &Reading, after: &Reading) {
        let ns = after.at.saturating_duration_since(before.at).as_nanos() as u64;
        self.calls += 1;
        self.total_duration_ns = self.total_duration_ns.saturating_add(ns);
        self.max_duration_ns = self.max_duration_ns.max(ns);
        let delta = |a: Option<u64>, b: Option<u64>| Some(b? as i64 - a? as i64);
        fold(
            delta(before.heap_bytes, after.heap_bytes),
            &mut self.heap_delta_total,
            &mut self.heap_delta_max,
            &mut self.heap_delta_last,
        );
        fold(
            delta(before.rss_bytes, after.rss_bytes),
            &mut self.rss_delta_total,
            &mut self.rss_delta_max,
            &mut self.rss_delta_last,
        );
    }
}

fn fold(d: Option<i64>, total: &mut Option<i64>, max: &mut Option<i64>, last: &mut Option<i64>) {
    if let Some(d) = d {
        *total = Some(total.unwrap_or(0).saturating_add(d));
        *max = Some(max.map_or(d, |m| m.max(d)));
        *last = Some(d);
    }
}

/// What [`Tracker::end_invocation`] recorded.
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.begin_invocation();
/// let s = tracker.end_invocation();
/// assert_eq!(s.index, 0);
/// assert!(s.duration.is_some());
/// ```
#[derive(Clone, Copy, Debug, Serialize)]
pub struct InvocationSample {
    /// 0 for the first invocation recorded by this tracker.
    pub index: u64,
    /// Live heap after the invocation, if measured.
    pub heap_bytes: Option<u64>,
    /// RSS after the invocation, if available.
    pub rss_bytes: Option<u64>,
    /// Time since the matching [`Tracker::begin_invocation`], if there was one.
    pub duration: Option<Duration>,
}

/// Which figure leak detection follows: live heap when the counting allocator is
/// installed, RSS otherwise (coarser: allocator caching and page granularity blur it).
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.end_invocation();
/// let basis = tracker.leak_check().basis;
/// if cfg!(target_os = "linux") {
///     assert_eq!(basis, Some(lmms::memory::LeakBasis::Rss)); // no counting allocator here
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakBasis {
    /// Live heap bytes (counting allocator).
    Heap,
    /// Resident set size.
    Rss,
}

/// The trend of the bytes left live after each invocation, over the last invocations
/// (see [`Tracker::leak_check`]).
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// let report = tracker.leak_check();
/// assert_eq!(report.samples, 0);
/// assert!(!report.suspected);
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct LeakReport {
    /// The figure followed (`None` before the first sample or when neither is known).
    pub basis: Option<LeakBasis>,
    /// Invocations in the window.
    pub samples: usize,
    /// Least-squares slope of the figure against the invocation number, bytes per
    /// invocation (`None` with fewer than two samples).
    pub slope_bytes_per_invocation: Option<f64>,
    /// How well a straight line fits (1 = exactly; growth that is steady, not noise).
    pub r_squared: Option<f64>,
    /// Last minus first sample of the window, bytes.
    pub growth_bytes: Option<i64>,
    /// Slope above which growth is flagged.
    pub threshold_bytes_per_invocation: f64,
    /// Steady growth: at least `min_samples`, slope above the threshold, and a fit with
    /// `r_squared` at least the tracker's minimum.
    pub suspected: bool,
}

/// Options of a Lambda memory-size recommendation.
///
/// ```
/// use std::time::Duration;
/// let opts = lmms::memory::RecommendOptions::new(1024, Duration::from_millis(120))
///     .safety_margin(1.5)
///     .price_per_gb_s(0.0000133334); // Arm
/// let rec = lmms::memory::Recommendation::for_peak(200 << 20, &opts);
/// assert_eq!(rec.recommended_mb, 300);
/// ```
#[derive(Clone, Debug)]
pub struct RecommendOptions {
    current_mb: u32,
    billed_duration: Duration,
    safety_margin: f64,
    price_per_gb_s: f64,
}

impl RecommendOptions {
    /// The function's configured memory size (MB) and the duration of one invocation (it
    /// is billed rounded up to the millisecond). Safety margin 1.25, x86 price.
    ///
    /// ```
    /// let opts = lmms::memory::RecommendOptions::new(512, std::time::Duration::from_millis(80));
    /// let rec = lmms::memory::Recommendation::for_peak(64 << 20, &opts);
    /// assert_eq!(rec.safety_margin, 1.25);
    /// assert_eq!(rec.price_per_gb_s, lmms::memory::LAMBDA_X86_PRICE_PER_GB_S);
    /// ```
    pub fn new(current_mb: u32, billed_duration: Duration) -> Self {
        RecommendOptions {
            current_mb,
            billed_duration,
            safety_margin: 1.25,
            price_per_gb_s: LAMBDA_X86_PRICE_PER_GB_S,
        }
    }

    /// Multiplies the peak before rounding up (default 1.25).
    ///
    /// # Panics
    /// If `margin` is not a finite number of at least 1.
    ///
    /// ```
    /// let opts = lmms::memory::RecommendOptions::new(512, std::time::Duration::from_millis(1))
    ///     .safety_margin(2.0);
    /// assert_eq!(lmms::memory::Recommendation::for_peak(100 << 20, &opts).recommended_mb, 200);
    /// ```
    pub fn safety_margin(mut self, margin: f64) -> Self {
        assert!(
            margin.is_finite() && margin >= 1.0,
            "safety margin must be a finite number >= 1, got {margin}"
        );
        self.safety_margin = margin;
        self
    }

    /// Price of one GB-second in USD (default [`LAMBDA_X86_PRICE_PER_GB_S`]).
    ///
    /// # Panics
    /// If `price` is negative or not finite.
    ///
    /// ```
    /// let opts = lmms::memory::RecommendOptions::new(1024, std::time::Duration::from_secs(1))
    ///     .price_per_gb_s(0.00002);
    /// let rec = lmms::memory::Recommendation::for_peak(1, &opts);
    /// assert!((rec.current_cost_usd - 0.00002).abs() < 1e-12);
    /// ```
    pub fn price_per_gb_s(mut self, price: f64) -> Self {
        assert!(
            price.is_finite() && price >= 0.0,
            "price per GB-s must be a finite number >= 0, got {price}"
        );
        self.price_per_gb_s = price;
        self
    }
}

/// A Lambda memory size for a measured peak RSS, and what one invocation costs at the
/// current and at the recommended size.
///
/// AWS bills configured memory × billed duration (rounded up to 1 ms), whatever the
/// function actually uses: a smaller configured size is the only way lower memory turns
/// into a lower bill. Beware that Lambda scales CPU with memory, so a CPU-bound function
/// may run longer at a smaller size; re-measure the duration there.
///
/// ```
/// use lmms::memory::{RecommendOptions, Recommendation};
/// use std::time::Duration;
/// // Peak RSS 100 MiB, configured 1024 MB, 200 ms per invocation.
/// let rec = Recommendation::for_peak(100 << 20, &RecommendOptions::new(1024, Duration::from_millis(200)));
/// assert_eq!(rec.recommended_mb, 128); // 125 MiB needed, Lambda's minimum is 128
/// assert_eq!(rec.current_gb_s, 0.2);   // 1 GB × 0.2 s
/// assert_eq!(rec.recommended_gb_s, 0.025);
/// assert!(rec.saving_per_million_usd > 0.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// Peak RSS the recommendation is based on, bytes.
    pub peak_rss_bytes: u64,
    /// The margin applied.
    pub safety_margin: f64,
    /// Peak × margin, bytes (rounded up).
    pub needed_bytes: u64,
    /// The recommended memory size, MB: `needed_bytes` rounded up to whole MB (MiB), at
    /// least [`LAMBDA_MIN_MB`], at most [`LAMBDA_MAX_MB`].
    pub recommended_mb: u32,
    /// `needed_bytes` is more than [`LAMBDA_MAX_MB`]: even the largest size is too small.
    pub exceeds_max: bool,
    /// The configured memory size, MB.
    pub current_mb: u32,
    /// Billed duration of one invocation, ms (rounded up).
    pub billed_duration_ms: u64,
    /// Price used, USD per GB-second.
    pub price_per_gb_s: f64,
    /// GB-seconds of one invocation at the current size.
    pub current_gb_s: f64,
    /// GB-seconds of one invocation at the recommended size (same duration).
    pub recommended_gb_s: f64,
    /// Cost of one invocation at the current size, USD.
    pub current_cost_usd: f64,
    /// Cost of one invocation at the recommended size, USD.
    pub recommended_cost_usd: f64,
    /// Current minus recommended cost per million invocations, USD (negative: the
    /// recommended size costs more, because the current one is too small).
    pub saving_per_million_usd: f64,
}

impl Recommendation {
    /// The recommendation for a peak RSS of `peak_rss_bytes`.
    ///
    /// ```
    /// use lmms::memory::{RecommendOptions, Recommendation};
    /// use std::time::Duration;
    /// let opts = RecommendOptions::new(128, Duration::from_micros(10_100)); // billed 11 ms
    /// let rec = Recommendation::for_peak(400 << 20, &opts);
    /// assert_eq!(rec.recommended_mb, 500);
    /// assert_eq!(rec.billed_duration_ms, 11);
    /// assert!(rec.saving_per_million_usd < 0.0); // 128 MB is too small for this peak
    /// ```
    pub fn for_peak(peak_rss_bytes: u64, options: &RecommendOptions) -> Self {
        let needed = (peak_rss_bytes as f64 * options.safety_margin).ceil();
        let needed_bytes = if needed >= u64::MAX as f64 {
            u64::MAX
        } else {
            needed as u64
        };
        let needed_mb = needed_bytes.div_ceil(MIB);
        let recommended_mb = needed_mb.clamp(LAMBDA_MIN_MB as u64, LAMBDA_MAX_MB as u64) as u32;
        let nanos = options.billed_duration.as_nanos();
        let billed_duration_ms = nanos.div_ceil(1_000_000).min(u64::MAX as u128) as u64;
        let gb_s = |mb: u32| mb as f64 / 1024.0 * billed_duration_ms as f64 / 1000.0;
        let current_gb_s = gb_s(options.current_mb);
        let recommended_gb_s = gb_s(recommended_mb);
        let current_cost_usd = current_gb_s * options.price_per_gb_s;
        let recommended_cost_usd = recommended_gb_s * options.price_per_gb_s;
        Recommendation {
            peak_rss_bytes,
            safety_margin: options.safety_margin,
            needed_bytes,
            recommended_mb,
            exceeds_max: needed_mb > LAMBDA_MAX_MB as u64,
            current_mb: options.current_mb,
            billed_duration_ms,
            price_per_gb_s: options.price_per_gb_s,
            current_gb_s,
            recommended_gb_s,
            current_cost_usd,
            recommended_cost_usd,
            saving_per_million_usd: (current_cost_usd - recommended_cost_usd) * 1e6,
        }
    }
}

/// Everything a [`Tracker`] holds, ready for JSON ([`Tracker::to_json`]).
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.snapshot("start");
/// let report = tracker.report();
/// assert_eq!(report.snapshots.len(), 1);
/// assert!(!report.heap_measured); // no counting allocator in this doctest
/// ```
#[derive(Clone, Debug, Serialize)]
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

struct Inner {
    snapshots: VecDeque<Snapshot>,
    dropped_snapshots: u64,
    ops: BTreeMap<String, OpMemory>,
    peak_heap: Option<u64>,
    peak_rss: Option<u64>,
    invocations: u64,
    invocation_start: Option<Instant>,
    basis: Option<LeakBasis>,
    after_invocation: VecDeque<u64>,
}

impl Inner {
    fn observe(&mut self, heap: Option<u64>, rss: Option<u64>) {
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
    start: Instant,
    max_snapshots: usize,
    leak_window: usize,
    leak_min_samples: usize,
    leak_threshold: f64,
    leak_min_r_squared: f64,
    inner: Mutex<Inner>,
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

    /// Leak detection looks at the last `n` invocations (default 50; at least 2).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_window(5);
    /// for _ in 0..8 {
    ///     tracker.end_invocation();
    /// }
    /// assert_eq!(tracker.leak_check().samples, 5);
    /// ```
    #[must_use]
    pub fn leak_window(mut self, n: usize) -> Self {
        self.leak_window = n.max(2);
        self
    }

    /// Growth is flagged only with at least `n` samples in the window (default 10; at
    /// least 2).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_min_samples(3);
    /// tracker.end_invocation();
    /// assert!(!tracker.leak_check().suspected); // one sample proves nothing
    /// ```
    #[must_use]
    pub fn leak_min_samples(mut self, n: usize) -> Self {
        self.leak_min_samples = n.max(2);
        self
    }

    /// Slope (bytes per invocation) above which growth is flagged (default 1024).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_threshold(64.0 * 1024.0);
    /// assert_eq!(tracker.leak_check().threshold_bytes_per_invocation, 65536.0);
    /// ```
    #[must_use]
    pub fn leak_threshold(mut self, bytes_per_invocation: f64) -> Self {
        self.leak_threshold = bytes_per_invocation;
        self
    }

    /// Least r² of the straight-line fit for growth to count as steady (default 0.8;
    /// 0 flags any slope above the threshold).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_min_r_squared(0.0);
    /// assert!(!tracker.leak_check().suspected);
    /// ```
    #[must_use]
    pub fn leak_min_r_squared(mut self, r_squared: f64) -> Self {
        self.leak_min_r_squared = r_squared;
        self
    }

    fn elapsed_ms(&self, at: Instant) -> f64 {
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

    /// Marks the start of an invocation (its duration is reported by
    /// [`Tracker::end_invocation`]). Optional.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// tracker.begin_invocation();
    /// assert!(tracker.end_invocation().duration.is_some());
    /// assert!(tracker.end_invocation().duration.is_none()); // no begin for this one
    /// ```
    pub fn begin_invocation(&self) {
        lock_std(&self.inner).invocation_start = Some(Instant::now());
    }

    /// Records the bytes left live after an invocation — live heap, or RSS without the
    /// counting allocator — for leak detection, and updates the peaks. Call it at the end
    /// of each invocation, after the gateway's sweep.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new();
    /// let first = tracker.end_invocation();
    /// let second = tracker.end_invocation();
    /// assert_eq!((first.index, second.index), (0, 1));
    /// assert_eq!(tracker.report().invocations, 2);
    /// ```
    pub fn end_invocation(&self) -> InvocationSample {
        let r = Reading::now();
        let mut inner = lock_std(&self.inner);
        inner.observe(r.heap_bytes, r.rss_bytes);
        let duration = inner
            .invocation_start
            .take()
            .map(|s| r.at.saturating_duration_since(s));
        let index = inner.invocations;
        inner.invocations += 1;
        let (basis, value) = match (r.heap_bytes, r.rss_bytes) {
            (Some(h), _) => (Some(LeakBasis::Heap), Some(h)),
            (None, Some(rss)) => (Some(LeakBasis::Rss), Some(rss)),
            (None, None) => (None, None),
        };
        if let (Some(basis), Some(value)) = (basis, value) {
            if inner.basis != Some(basis) {
                // The figure followed changed (the allocator became visible): restart.
                inner.after_invocation.clear();
                inner.basis = Some(basis);
            }
            if inner.after_invocation.len() >= self.leak_window {
                inner.after_invocation.pop_front();
            }
            // Allocate the whole window at once, so the tracker's own growth does not show
            // up as a trend in the figure it follows.
            let spare = self.leak_window - inner.after_invocation.len();
            inner.after_invocation.reserve_exact(spare);
            inner.after_invocation.push_back(value);
        }
        InvocationSample {
            index,
            heap_bytes: r.heap_bytes,
            rss_bytes: r.rss_bytes,
            duration,
        }
    }

    /// The least-squares trend of the bytes left live after each of the last invocations.
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_min_samples(3);
    /// let mut kept = Vec::new();
    /// for _ in 0..3 {
    ///     tracker.end_invocation();
    ///     kept.push(vec![1u8; 1 << 20]); // leak 1 MiB per invocation
    /// }
    /// let report = tracker.leak_check();
    /// assert_eq!(report.samples, 3);
    /// assert!(report.slope_bytes_per_invocation.is_some());
    /// ```
    pub fn leak_check(&self) -> LeakReport {
        let inner = lock_std(&self.inner);
        let samples: Vec<f64> = inner.after_invocation.iter().map(|&b| b as f64).collect();
        let fit = least_squares(&samples);
        let slope = fit.map(|(s, _)| s);
        let r_squared = fit.map(|(_, r2)| r2);
        let growth_bytes = match (
            inner.after_invocation.front(),
            inner.after_invocation.back(),
        ) {
            (Some(&a), Some(&b)) if samples.len() >= 2 => Some(b as i64 - a as i64),
            _ => None,
        };
        let suspected = samples.len() >= self.leak_min_samples
            && slope.is_some_and(|s| s > self.leak_threshold)
            && r_squared.is_some_and(|r2| r2 >= self.leak_min_r_squared);
        LeakReport {
            basis: inner.basis,
            samples: samples.len(),
            slope_bytes_per_invocation: slope,
            r_squared,
            growth_bytes,
            threshold_bytes_per_invocation: self.leak_threshold,
            suspected,
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

/// Least-squares fit of `ys` against 0, 1, 2, …: `(slope, r²)`. `None` with fewer than two
/// points. A flat series fits exactly (r² = 1).
fn least_squares(ys: &[f64]) -> Option<(f64, f64)> {
    let n = ys.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, &y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        let dy = y - mean_y;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 {
        1.0
    } else {
        (sxy * sxy) / (sxx * syy)
    };
    Some((slope, r2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(current_mb: u32, ms: u64) -> RecommendOptions {
        RecommendOptions::new(current_mb, Duration::from_millis(ms))
    }

    #[test]
    fn recommendation_rounds_up_to_whole_mb_with_margin() {
        // 300 MiB × 1.25 = 375 MiB exactly.
        let rec = Recommendation::for_peak(300 * MIB, &opts(1024, 100));
        assert_eq!(rec.needed_bytes, 375 * MIB);
        assert_eq!(rec.recommended_mb, 375);
        // One byte more needs the next MB.
        let rec = Recommendation::for_peak(300 * MIB + 1, &opts(1024, 100));
        assert_eq!(rec.needed_bytes, 375 * MIB + 2); // ceil(1.25)
        assert_eq!(rec.recommended_mb, 376);
        assert!(!rec.exceeds_max);
    }

    #[test]
    fn recommendation_clamps_to_lambda_range() {
        let rec = Recommendation::for_peak(10 * MIB, &opts(512, 10));
        assert_eq!(rec.recommended_mb, LAMBDA_MIN_MB);
        assert!(!rec.exceeds_max);
        let rec = Recommendation::for_peak(9000 * MIB, &opts(10240, 10));
        assert_eq!(rec.needed_bytes, 11250 * MIB);
        assert_eq!(rec.recommended_mb, LAMBDA_MAX_MB);
        assert!(rec.exceeds_max);
        let rec = Recommendation::for_peak(8192 * MIB, &opts(10240, 10));
        assert_eq!(rec.recommended_mb, LAMBDA_MAX_MB);
        assert!(!rec.exceeds_max, "exactly 10240 MB fits");
        let rec = Recommendation::for_peak(u64::MAX, &opts(10240, 10));
        assert!(rec.exceeds_max);
        assert_eq!(rec.recommended_mb, LAMBDA_MAX_MB);
    }

    #[test]
    fn recommendation_costs_gb_seconds_of_configured_memory() {
        // 1536 MB for 1.5 s = 2.25 GB-s; recommended 200 MiB × 1.25 = 250 MB.
        let rec = Recommendation::for_peak(200 * MIB, &opts(1536, 1500));
        assert_eq!(rec.billed_duration_ms, 1500);
        assert_eq!(rec.current_gb_s, 2.25);
        assert_eq!(rec.recommended_mb, 250);
        let expected = 250.0 / 1024.0 * 1.5;
        assert!((rec.recommended_gb_s - expected).abs() < 1e-12);
        assert!((rec.current_cost_usd - 2.25 * LAMBDA_X86_PRICE_PER_GB_S).abs() < 1e-15);
        let saving = (2.25 - expected) * LAMBDA_X86_PRICE_PER_GB_S * 1e6;
        assert!((rec.saving_per_million_usd - saving).abs() < 1e-9);
    }

    #[test]
    fn billed_duration_rounds_up_to_the_millisecond() {
        let o = RecommendOptions::new(1024, Duration::from_nanos(1));
        assert_eq!(Recommendation::for_peak(MIB, &o).billed_duration_ms, 1);
        let o = RecommendOptions::new(1024, Duration::from_micros(2001));
        assert_eq!(Recommendation::for_peak(MIB, &o).billed_duration_ms, 3);
        let o = RecommendOptions::new(1024, Duration::from_millis(7));
        assert_eq!(Recommendation::for_peak(MIB, &o).billed_duration_ms, 7);
        let o = RecommendOptions::new(1024, Duration::ZERO);
        let rec = Recommendation::for_peak(MIB, &o);
        assert_eq!((rec.billed_duration_ms, rec.current_gb_s), (0, 0.0));
    }

    #[test]
    fn custom_margin_and_price() {
        let o = opts(2048, 1000).safety_margin(1.5).price_per_gb_s(0.00001);
        let rec = Recommendation::for_peak(1000 * MIB, &o);
        assert_eq!(rec.recommended_mb, 1500);
        assert!((rec.current_cost_usd - 2.0 * 0.00001).abs() < 1e-15);
        assert!((rec.recommended_cost_usd - 1500.0 / 1024.0 * 0.00001).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "safety margin")]
    fn margin_below_one_is_refused() {
        let _ = opts(128, 1).safety_margin(0.9);
    }

    #[test]
    fn slope_of_exact_lines() {
        let (s, r2) = least_squares(&[10.0, 20.0, 30.0, 40.0]).unwrap();
        assert!((s - 10.0).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12);
        let (s, r2) = least_squares(&[5.0, 5.0, 5.0]).unwrap();
        assert_eq!((s, r2), (0.0, 1.0));
        let (s, _) = least_squares(&[100.0, 90.0, 80.0]).unwrap();
        assert!((s + 10.0).abs() < 1e-12);
        assert!(least_squares(&[1.0]).is_none());
        assert!(least_squares(&[]).is_none());
    }

    #[test]
    fn slope_of_noisy_series() {
        // y = 3x + noise (±1 alternating): slope close to 3, fit good but not exact.
        let ys: Vec<f64> = (0..20)
            .map(|i| 3.0 * i as f64 + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let (s, r2) = least_squares(&ys).unwrap();
        assert!((s - 3.0).abs() < 0.1, "slope {s}");
        assert!(r2 > 0.9 && r2 < 1.0, "r2 {r2}");
        // Pure alternation: no trend, poor fit.
        let ys: Vec<f64> = (0..20).map(|i| (i % 2) as f64 * 1000.0).collect();
        let (s, r2) = least_squares(&ys).unwrap();
        assert!(s.abs() < 60.0 && r2 < 0.1, "slope {s} r2 {r2}");
    }

    /// Drives the leak window directly with chosen values (the unit-test process has no
    /// counting allocator, so real readings would be RSS).
    fn feed(tracker: &Tracker, values: &[u64]) {
        let mut inner = lock_std(&tracker.inner);
        inner.basis = Some(LeakBasis::Heap);
        for &v in values {
            if inner.after_invocation.len() >= tracker.leak_window {
                inner.after_invocation.pop_front();
            }
            inner.after_invocation.push_back(v);
        }
    }

    #[test]
    fn steady_growth_is_flagged_flat_and_noisy_are_not() {
        let t = Tracker::new().leak_window(10).leak_min_samples(5);
        feed(
            &t,
            &(0..10).map(|i| 1_000_000 + i * 4096).collect::<Vec<_>>(),
        );
        let r = t.leak_check();
        assert!(r.suspected, "{r:?}");
        assert!((r.slope_bytes_per_invocation.unwrap() - 4096.0).abs() < 1e-6);
        assert_eq!(r.growth_bytes, Some(9 * 4096));

        let t = Tracker::new().leak_window(10).leak_min_samples(5);
        feed(&t, &[1_000_000; 10]);
        assert!(!t.leak_check().suspected);

        // Large swings without a trend: slope may pass the threshold, the fit does not.
        let t = Tracker::new().leak_window(10).leak_min_samples(5);
        feed(
            &t,
            &[
                0, 900_000, 0, 900_000, 0, 900_000, 0, 900_000, 50_000, 900_000,
            ],
        );
        let r = t.leak_check();
        assert!(!r.suspected, "{r:?}");

        // Growth below the threshold.
        let t = Tracker::new().leak_min_samples(5).leak_threshold(8192.0);
        feed(&t, &(0..10).map(|i| i * 4096).collect::<Vec<_>>());
        assert!(!t.leak_check().suspected);

        // Too few samples.
        let t = Tracker::new().leak_min_samples(20);
        feed(&t, &(0..10).map(|i| i * 1_000_000).collect::<Vec<_>>());
        assert!(!t.leak_check().suspected);
    }

    #[test]
    fn the_window_keeps_the_latest_invocations() {
        let t = Tracker::new().leak_window(4).leak_min_samples(4);
        // Growth long ago, flat since: not a leak now.
        feed(
            &t,
            &[
                0,
                1 << 20,
                2 << 20,
                3 << 20,
                5 << 20,
                5 << 20,
                5 << 20,
                5 << 20,
            ],
        );
        let r = t.leak_check();
        assert_eq!(r.samples, 4);
        assert_eq!(r.slope_bytes_per_invocation, Some(0.0));
        assert!(!r.suspected);
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
        let keys =
            |v: &serde_json::Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
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
        assert!(
            op["total_duration_ns"].as_u64().unwrap() >= op["max_duration_ns"].as_u64().unwrap()
        );
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
}
