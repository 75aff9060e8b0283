//! Readings of memory and time: a [`Reading`], a named [`Snapshot`] and the per-operation
//! figures a [`Tracker`](super::Tracker) accumulates ([`OpMemory`]).

#[cfg(doc)]
use super::Tracker;
use super::{live_heap_bytes, rss_bytes};
use std::time::{Duration, Instant};

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
#[derive(Clone, Debug)]
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

serialize_struct!(Snapshot {
    name,
    heap_bytes,
    rss_bytes,
    elapsed_ms
});

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
#[derive(Clone, Debug, Default)]
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

serialize_struct!(OpMemory {
    calls,
    total_duration_ns,
    max_duration_ns,
    heap_delta_total,
    heap_delta_max,
    heap_delta_last,
    rss_delta_total,
    rss_delta_max,
    rss_delta_last
});

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

    pub(super) fn add(&mut self, before: &Reading, after: &Reading) {
        let span = after.at.saturating_duration_since(before.at).as_nanos();
        // Saturated, not cut to its low 64 bits: `Reading::at` is public.
        let ns = u64::try_from(span).unwrap_or(u64::MAX);
        self.calls += 1;
        self.total_duration_ns = self.total_duration_ns.saturating_add(ns);
        self.max_duration_ns = self.max_duration_ns.max(ns);
        // In i128, then saturated: `Reading`'s fields are public, and `u64 as i64` would
        // wrap a figure past `i64::MAX` (and the subtraction could overflow).
        let delta = |a: Option<u64>, b: Option<u64>| {
            let d = i128::from(b?) - i128::from(a?);
            Some(d.clamp(i64::MIN.into(), i64::MAX.into()) as i64)
        };
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
