//! Right-sizing from a recorded trace: price every Lambda memory size with the billing
//! model of `lambda.rs` and recommend the cheapest one that does not run out of memory —
//! what Lambda Power Tuning finds by deploying the function at several sizes, computed
//! from one run.
//!
//! A trace is one execution environment's life: an optional INIT (the cold start) and the
//! invocations that followed. Each entry carries the peak memory it reached, the CPU time
//! it used (measured on a full core, e.g. with [`thread_cpu_time`](super::thread_cpu_time))
//! and the time it waited on I/O. At a size of `MB` the CPU part runs `1769 / MB` times
//! longer below one vCPU, while the wait does not change: a CPU-bound trace is cheapest at a
//! larger size than a wait-bound one.

use super::lambda::{cpu_share, gb_seconds, LAMBDA_MB_PER_VCPU, MIB};
use super::right_size_options::{RightSizeError, RightSizeOptions};
use super::{Trace, TracedInvocation};

/// One memory size priced for a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeCost {
    /// The memory size, MB.
    pub memory_mb: u32,
    /// The trace's peak × safety margin exceeds this size: Lambda would stop the process
    /// (or it would run without the margin).
    pub oom: bool,
    /// Share of one vCPU at this size.
    pub cpu_share: f64,
    /// Billed milliseconds of the INIT phase (0 without one).
    pub init_billed_ms: u64,
    /// Billed milliseconds of all invocations, each rounded up on its own.
    pub billed_ms: u64,
    /// GB-seconds of the INIT and every invocation.
    pub gb_s: f64,
    /// GB-seconds per 1 000 invocations (INIT included, spread over the trace).
    pub gb_s_per_1k: f64,
    /// What the whole trace costs, USD: GB-seconds and request fees.
    pub cost_usd: f64,
    /// `cost_usd` per million invocations, USD.
    pub cost_per_million_usd: f64,
}

serialize_struct!(SizeCost {
    memory_mb,
    oom,
    cpu_share,
    init_billed_ms,
    billed_ms,
    gb_s,
    gb_s_per_1k,
    cost_usd,
    cost_per_million_usd
});

/// Every size priced for one trace, and the cheapest that does not run out of memory.
///
/// ```
/// use lmms::memory::{RightSizeOptions, RightSizing, Trace, TracedInvocation};
/// use std::time::Duration;
/// let mut trace = Trace::new();
/// trace.init = Some(TracedInvocation::new(50 << 20, Duration::from_millis(80), Duration::ZERO));
/// for _ in 0..100 {
///     // 150 MiB peak, 2 ms of CPU, 30 ms waiting on an API.
///     trace.push(TracedInvocation::new(150 << 20, Duration::from_millis(2), Duration::from_millis(30)));
/// }
/// let sizing = RightSizing::for_trace(&trace, &RightSizeOptions::new()).unwrap();
/// let best = sizing.recommended().unwrap();
/// assert!(best.memory_mb >= 188); // 150 MiB × 1.25 = 187.5 MiB
/// assert!(sizing.at(128).unwrap().oom);
/// assert!(best.cost_per_million_usd <= sizing.at(1024).unwrap().cost_per_million_usd);
/// println!("recommended {} MB: ${:.2} per million requests", best.memory_mb, best.cost_per_million_usd);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RightSizing {
    /// Invocations in the trace (the INIT not counted).
    pub invocations: usize,
    /// Rebuilds in the trace.
    pub rebuilds: u64,
    /// The trace's peak memory, bytes.
    pub peak_bytes: u64,
    /// The safety margin applied.
    pub safety_margin: f64,
    /// Peak × margin, bytes (rounded up): a size must hold this.
    pub needed_bytes: u64,
    /// USD per GB-second used.
    pub price_per_gb_s: f64,
    /// USD per request used.
    pub price_per_request: f64,
    /// The cheapest size that does not run out of memory (the smaller one on a tie);
    /// `None` if every size priced runs out.
    pub recommended_mb: Option<u32>,
    /// Every size priced, ascending.
    pub sizes: Vec<SizeCost>,
}

serialize_struct!(RightSizing {
    invocations,
    rebuilds,
    peak_bytes,
    safety_margin,
    needed_bytes,
    price_per_gb_s,
    price_per_request,
    recommended_mb,
    sizes
});

impl RightSizing {
    /// Prices `trace` at every size of `options`.
    ///
    /// # Errors
    /// [`RightSizeError`] for an empty trace or invalid options.
    ///
    /// ```
    /// use lmms::memory::{RightSizeError, RightSizeOptions, RightSizing, Trace, TracedInvocation};
    /// let mut trace = Trace::new();
    /// trace.push(TracedInvocation::new(1 << 20, Default::default(), Default::default()));
    /// let bad = RightSizeOptions::new().safety_margin(0.5);
    /// assert_eq!(RightSizing::for_trace(&trace, &bad), Err(RightSizeError::SafetyMargin(0.5)));
    /// ```
    pub fn for_trace(trace: &Trace, options: &RightSizeOptions) -> Result<Self, RightSizeError> {
        options.check()?;
        if trace.invocations.is_empty() {
            return Err(RightSizeError::EmptyTrace);
        }
        let peak_bytes = trace.peak_bytes();
        let needed = (peak_bytes as f64 * options.safety_margin).ceil();
        let needed_bytes = if needed >= u64::MAX as f64 {
            u64::MAX
        } else {
            needed as u64
        };
        let n = trace.invocations.len();
        // At one vCPU and above every duration is the same: price those sizes from one sum.
        let full_core = billed_total(trace, LAMBDA_MB_PER_VCPU);
        let mut sizes = Vec::new();
        let mut mb = options.min_mb;
        while mb <= options.max_mb {
            let (init_ms, ms) = if mb >= LAMBDA_MB_PER_VCPU {
                full_core
            } else {
                billed_total(trace, mb)
            };
            let gb_s = gb_seconds(mb, init_ms) + gb_seconds(mb, ms);
            let cost_usd = gb_s * options.price_per_gb_s + n as f64 * options.price_per_request;
            sizes.push(SizeCost {
                memory_mb: mb,
                oom: needed_bytes > mb as u64 * MIB,
                cpu_share: cpu_share(mb),
                init_billed_ms: init_ms,
                billed_ms: ms,
                gb_s,
                gb_s_per_1k: gb_s / n as f64 * 1000.0,
                cost_usd,
                cost_per_million_usd: cost_usd / n as f64 * 1e6,
            });
            mb = match mb.checked_add(options.step_mb) {
                Some(next) => next,
                None => break,
            };
        }
        let recommended_mb = sizes
            .iter()
            .filter(|s| !s.oom)
            .min_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd))
            .map(|s| s.memory_mb);
        Ok(RightSizing {
            invocations: n,
            rebuilds: trace.rebuilds(),
            peak_bytes,
            safety_margin: options.safety_margin,
            needed_bytes,
            price_per_gb_s: options.price_per_gb_s,
            price_per_request: options.price_per_request,
            recommended_mb,
            sizes,
        })
    }

    /// The recommended size's figures (`None` if every size runs out of memory).
    ///
    /// ```
    /// use lmms::memory::{RightSizeOptions, RightSizing, Trace, TracedInvocation};
    /// let mut t = Trace::new();
    /// t.push(TracedInvocation::new(20 << 30, Default::default(), Default::default())); // 20 GiB
    /// assert!(RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap().recommended().is_none());
    /// ```
    pub fn recommended(&self) -> Option<&SizeCost> {
        self.at(self.recommended_mb?)
    }

    /// The figures of `memory_mb`, if it was priced.
    ///
    /// ```
    /// use lmms::memory::{RightSizeOptions, RightSizing, Trace, TracedInvocation};
    /// let mut t = Trace::new();
    /// t.push(TracedInvocation::new(1, Default::default(), Default::default()));
    /// let s = RightSizing::for_trace(&t, &RightSizeOptions::new().step_mb(64)).unwrap();
    /// assert!(s.at(192).is_some() && s.at(200).is_none());
    /// ```
    pub fn at(&self, memory_mb: u32) -> Option<&SizeCost> {
        let i = self
            .sizes
            .binary_search_by_key(&memory_mb, |s| s.memory_mb)
            .ok()?;
        self.sizes.get(i)
    }

    /// The smallest size priced that does not run out of memory.
    ///
    /// ```
    /// use lmms::memory::{RightSizeOptions, RightSizing, Trace, TracedInvocation};
    /// let mut t = Trace::new();
    /// t.push(TracedInvocation::new(200 << 20, Default::default(), Default::default()));
    /// let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    /// assert_eq!(s.smallest_fitting().unwrap().memory_mb, 250);
    /// ```
    pub fn smallest_fitting(&self) -> Option<&SizeCost> {
        self.sizes.iter().find(|s| !s.oom)
    }
}

/// Billed ms of the INIT and of all invocations at `mb`, each invocation rounded up alone
/// (the arithmetic of [`invocation_duration`](super::invocation_duration) and
/// [`billed_ms`](super::billed_ms)).
/// This runs for every size × every invocation, so it stays in `u64` nanoseconds: the CPU
/// part is `ceil(cpu × 1769 / mb)`, exact, and only a duration past `u64` nanoseconds
/// (584 years) takes the `u128` path.
fn billed_total(trace: &Trace, mb: u32) -> (u64, u64) {
    let (mb, vcpu) = (u64::from(mb.max(1)), u64::from(LAMBDA_MB_PER_VCPU));
    let bill = |i: &TracedInvocation| {
        let fast = || {
            let (cpu, wait) = (
                u64::try_from(i.cpu.as_nanos()).ok()?,
                u64::try_from(i.wait.as_nanos()).ok()?,
            );
            let cpu = if mb >= vcpu {
                cpu
            } else {
                cpu.checked_mul(vcpu)?.div_ceil(mb)
            };
            Some(wait.checked_add(cpu)?.div_ceil(1_000_000))
        };
        fast().unwrap_or_else(|| {
            let cpu = i.cpu.as_nanos();
            let cpu = if mb >= vcpu {
                cpu
            } else {
                cpu.saturating_mul(vcpu.into()).div_ceil(mb.into())
            };
            let ms = i.wait.as_nanos().saturating_add(cpu).div_ceil(1_000_000);
            u64::try_from(ms).unwrap_or(u64::MAX)
        })
    };
    let init = trace.init.as_ref().map_or(0, bill);
    let total = trace
        .invocations
        .iter()
        .map(bill)
        .fold(0u64, u64::saturating_add);
    (init, total)
}

#[cfg(test)]
#[path = "right_size_tests.rs"]
mod tests;
