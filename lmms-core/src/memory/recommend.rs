//! A Lambda memory-size recommendation for one measured peak: peak × safety margin, in
//! Lambda's allowed range, with the GB-second cost of the current size against it. For a
//! whole recorded trace priced at every size, see `right_size.rs`.

use super::lambda::{LAMBDA_MAX_MB, LAMBDA_MIN_MB, LAMBDA_X86_PRICE_PER_GB_S, MIB};
use std::time::Duration;

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
#[derive(Clone, Debug, PartialEq)]
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

serialize_struct!(Recommendation {
    peak_rss_bytes,
    safety_margin,
    needed_bytes,
    recommended_mb,
    exceeds_max,
    current_mb,
    billed_duration_ms,
    price_per_gb_s,
    current_gb_s,
    recommended_gb_s,
    current_cost_usd,
    recommended_cost_usd,
    saving_per_million_usd
});

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
}
