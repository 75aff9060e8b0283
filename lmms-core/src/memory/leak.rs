//! Invocations and leak detection: [`Tracker::end_invocation`] records the bytes left live
//! after each invocation, and [`Tracker::leak_check`] fits their least-squares trend, which
//! flags steady growth.

use super::{Reading, Tracker};
use crate::sync::lock_std;
use std::time::{Duration, Instant};

/// The longest leak window [`Tracker::leak_window`] takes (a larger one is this): 100 000
/// invocations, 0.8 MB of samples, allocated whole at the first.
///
/// ```
/// use lmms::memory::{Tracker, MAX_LEAK_WINDOW};
/// let tracker = Tracker::new().leak_window(usize::MAX);
/// tracker.end_invocation(); // allocates MAX_LEAK_WINDOW samples, not usize::MAX
/// assert!(tracker.leak_check().samples <= MAX_LEAK_WINDOW);
/// ```
pub const MAX_LEAK_WINDOW: usize = 100_000;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakBasis {
    /// Live heap bytes (counting allocator).
    Heap,
    /// Resident set size.
    Rss,
}

serialize_unit_enum!(LeakBasis { Heap => 0 "heap", Rss => 1 "rss" });

/// The trend of the bytes left live after each invocation, over the last invocations
/// (see [`Tracker::leak_check`]).
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// let report = tracker.leak_check();
/// assert_eq!(report.samples, 0);
/// assert!(!report.suspected);
/// ```
#[derive(Clone, Debug)]
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

serialize_struct!(LeakReport {
    basis,
    samples,
    slope_bytes_per_invocation,
    r_squared,
    growth_bytes,
    threshold_bytes_per_invocation,
    suspected
});

/// What [`Tracker::end_invocation`] recorded.
///
/// ```
/// let tracker = lmms::memory::Tracker::new();
/// tracker.begin_invocation();
/// let s = tracker.end_invocation();
/// assert_eq!(s.index, 0);
/// assert!(s.duration.is_some());
/// ```
#[derive(Clone, Copy, Debug)]
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

serialize_struct!(InvocationSample {
    index,
    heap_bytes,
    rss_bytes,
    duration
});

impl Tracker {
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

    /// Leak detection looks at the last `n` invocations (default 50; at least 2, at most
    /// [`MAX_LEAK_WINDOW`]: the window is allocated whole at its first sample).
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
        self.leak_window = n.clamp(2, MAX_LEAK_WINDOW);
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
    /// # Panics
    /// If `bytes_per_invocation` is NaN (no slope is above it: detection would be off).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_threshold(64.0 * 1024.0);
    /// assert_eq!(tracker.leak_check().threshold_bytes_per_invocation, 65536.0);
    /// ```
    #[must_use]
    pub fn leak_threshold(mut self, bytes_per_invocation: f64) -> Self {
        assert!(
            !bytes_per_invocation.is_nan(),
            "leak threshold must be a number of bytes per invocation, got NaN"
        );
        self.leak_threshold = bytes_per_invocation;
        self
    }

    /// Least r² of the straight-line fit for growth to count as steady (default 0.8;
    /// 0 flags any slope above the threshold).
    ///
    /// # Panics
    /// If `r_squared` is NaN or above 1 (no fit reaches it: detection would be off).
    ///
    /// ```
    /// let tracker = lmms::memory::Tracker::new().leak_min_r_squared(0.0);
    /// assert!(!tracker.leak_check().suspected);
    /// ```
    #[must_use]
    pub fn leak_min_r_squared(mut self, r_squared: f64) -> Self {
        assert!(
            r_squared <= 1.0,
            "least r² must be a number at most 1, got {r_squared}"
        );
        self.leak_min_r_squared = r_squared;
        self
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
}
