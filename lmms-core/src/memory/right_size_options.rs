//! What right-sizing (`right_size.rs`) is asked to do — safety margin, prices, the sizes
//! to price — with Lambda's x86 prices and size range as defaults, and why a request
//! cannot be answered.

use super::lambda::{
    LAMBDA_MAX_MB, LAMBDA_MIN_MB, LAMBDA_PRICE_PER_REQUEST, LAMBDA_X86_PRICE_PER_GB_S,
};

/// What right-sizing is asked to do: safety margin, prices and the sizes to price.
///
/// ```
/// let opts = lmms::memory::RightSizeOptions::new()
///     .safety_margin(1.5)
///     .price_per_gb_s(0.0000133334) // Arm
///     .sizes(256, 3008);
/// assert_eq!(opts.min_mb(), 256);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RightSizeOptions {
    // Read by the pricing in `right_size.rs`.
    pub(super) safety_margin: f64,
    pub(super) price_per_gb_s: f64,
    pub(super) price_per_request: f64,
    pub(super) min_mb: u32,
    pub(super) max_mb: u32,
    pub(super) step_mb: u32,
}

impl Default for RightSizeOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl RightSizeOptions {
    /// Safety margin 1.25, x86 prices, every size from 128 to 10 240 MB in 1 MB steps.
    ///
    /// ```
    /// let opts = lmms::memory::RightSizeOptions::new();
    /// assert_eq!((opts.min_mb(), opts.max_mb(), opts.step()), (128, 10_240, 1));
    /// assert_eq!(opts.margin(), 1.25);
    /// ```
    pub fn new() -> Self {
        RightSizeOptions {
            safety_margin: 1.25,
            price_per_gb_s: LAMBDA_X86_PRICE_PER_GB_S,
            price_per_request: LAMBDA_PRICE_PER_REQUEST,
            min_mb: LAMBDA_MIN_MB,
            max_mb: LAMBDA_MAX_MB,
            step_mb: 1,
        }
    }

    /// A size runs out of memory when the trace's peak × `margin` exceeds it (default
    /// 1.25; at least 1, checked by
    /// [`RightSizing::for_trace`](super::RightSizing::for_trace)).
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().safety_margin(1.1).margin(), 1.1);
    /// ```
    #[must_use]
    pub fn safety_margin(mut self, margin: f64) -> Self {
        self.safety_margin = margin;
        self
    }

    /// USD per GB-second (default [`LAMBDA_X86_PRICE_PER_GB_S`]).
    ///
    /// ```
    /// let _ = lmms::memory::RightSizeOptions::new().price_per_gb_s(0.0000133334);
    /// ```
    #[must_use]
    pub fn price_per_gb_s(mut self, price: f64) -> Self {
        self.price_per_gb_s = price;
        self
    }

    /// USD per request (default [`LAMBDA_PRICE_PER_REQUEST`]).
    ///
    /// ```
    /// let _ = lmms::memory::RightSizeOptions::new().price_per_request(0.0);
    /// ```
    #[must_use]
    pub fn price_per_request(mut self, price: f64) -> Self {
        self.price_per_request = price;
        self
    }

    /// Price only sizes from `min_mb` to `max_mb` (within 128..=10 240). Use a higher
    /// `min_mb` for a trace recorded under a memory budget: below the size it ran at, the
    /// process would have behaved differently, so the trace says nothing about them.
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().sizes(512, 1024).max_mb(), 1024);
    /// ```
    #[must_use]
    pub fn sizes(mut self, min_mb: u32, max_mb: u32) -> Self {
        self.min_mb = min_mb;
        self.max_mb = max_mb;
        self
    }

    /// Price every `step_mb`-th size from the smallest (default 1: every size Lambda allows).
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().step_mb(64).step(), 64);
    /// ```
    #[must_use]
    pub fn step_mb(mut self, step_mb: u32) -> Self {
        self.step_mb = step_mb;
        self
    }

    /// The safety margin.
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().margin(), 1.25);
    /// ```
    pub fn margin(&self) -> f64 {
        self.safety_margin
    }

    /// The smallest size priced, MB.
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().sizes(256, 512).min_mb(), 256);
    /// ```
    pub fn min_mb(&self) -> u32 {
        self.min_mb
    }

    /// The largest size priced, MB.
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().max_mb(), 10_240);
    /// ```
    pub fn max_mb(&self) -> u32 {
        self.max_mb
    }

    /// The step between sizes priced, MB.
    ///
    /// ```
    /// assert_eq!(lmms::memory::RightSizeOptions::new().step(), 1);
    /// ```
    pub fn step(&self) -> u32 {
        self.step_mb
    }

    /// Whether the options can price anything: margin ≥ 1, prices ≥ 0, sizes a range
    /// within Lambda's, step ≥ 1.
    pub(super) fn check(&self) -> Result<(), RightSizeError> {
        let m = self.safety_margin;
        if !(m.is_finite() && m >= 1.0) {
            return Err(RightSizeError::SafetyMargin(m));
        }
        for (name, p) in [
            ("price_per_gb_s", self.price_per_gb_s),
            ("price_per_request", self.price_per_request),
        ] {
            if !(p.is_finite() && p >= 0.0) {
                return Err(RightSizeError::Price(name, p));
            }
        }
        if self.min_mb < LAMBDA_MIN_MB || self.max_mb > LAMBDA_MAX_MB || self.min_mb > self.max_mb {
            return Err(RightSizeError::Sizes(self.min_mb, self.max_mb));
        }
        if self.step_mb == 0 {
            return Err(RightSizeError::Step);
        }
        Ok(())
    }
}

/// Why a trace cannot be right-sized.
///
/// ```
/// use lmms::memory::{RightSizeError, RightSizeOptions, RightSizing, Trace};
/// let err = RightSizing::for_trace(&Trace::new(), &RightSizeOptions::new()).unwrap_err();
/// assert_eq!(err, RightSizeError::EmptyTrace);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum RightSizeError {
    /// No invocations: a cost per request is undefined.
    EmptyTrace,
    /// The safety margin is not a finite number ≥ 1.
    SafetyMargin(f64),
    /// A price is negative or not finite.
    Price(&'static str, f64),
    /// The size range is empty or outside 128..=10 240 MB.
    Sizes(u32, u32),
    /// The step is zero.
    Step,
}

impl std::fmt::Display for RightSizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RightSizeError::EmptyTrace => f.write_str("the trace has no invocations"),
            RightSizeError::SafetyMargin(margin) => {
                write!(
                    f,
                    "safety margin must be a finite number >= 1, got {margin}"
                )
            }
            RightSizeError::Price(name, price) => {
                write!(f, "{name} must be a finite number >= 0, got {price}")
            }
            RightSizeError::Sizes(min, max) => {
                write!(
                    f,
                    "sizes {min}..={max} MB are not a range within 128..=10240 MB"
                )
            }
            RightSizeError::Step => f.write_str("the size step must be at least 1 MB"),
        }
    }
}

impl std::error::Error for RightSizeError {}
