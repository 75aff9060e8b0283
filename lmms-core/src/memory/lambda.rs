//! AWS Lambda's billing model, as AWS documents it:
//!
//! - memory sizes from 128 MB to 10 240 MB in 1 MB steps (Lambda's MB are MiB), and CPU in
//!   proportion to memory: "at 1,769 MB, a function has the equivalent of one vCPU"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html>);
//! - duration billed per millisecond, rounded up, at the configured memory: GB-seconds =
//!   configured GB × billed seconds, plus a fee per request
//!   (<https://aws.amazon.com/lambda/pricing/>; x86, first pricing tier, us-east-1);
//! - the INIT phase (a cold start's set-up) is billed like an invocation: always for custom
//!   runtimes such as Rust's `provided.al2023`, for every runtime since 1 August 2025
//!   (<https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/>).

use std::time::Duration;

pub(crate) const MIB: u64 = 1024 * 1024;

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
/// pricing tier, <https://aws.amazon.com/lambda/pricing/>). Pass your own with
/// [`RecommendOptions::price_per_gb_s`](super::RecommendOptions::price_per_gb_s) or
/// [`RightSizeOptions::price_per_gb_s`](super::RightSizeOptions::price_per_gb_s) (Arm,
/// other tiers, other regions).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_X86_PRICE_PER_GB_S, 0.0000166667);
/// ```
pub const LAMBDA_X86_PRICE_PER_GB_S: f64 = 0.0000166667;

/// The fee per request, USD: $0.20 per million, x86 and Arm alike
/// (<https://aws.amazon.com/lambda/pricing/>).
///
/// ```
/// assert!((lmms::memory::LAMBDA_PRICE_PER_REQUEST * 1e6 - 0.2).abs() < 1e-12);
/// ```
pub const LAMBDA_PRICE_PER_REQUEST: f64 = 0.0000002;

/// The memory size, MB, at which a function gets the equivalent of one full vCPU; below
/// it, its share of a vCPU is `MB / 1769`. Above it a function gets more vCPUs, which a
/// single-threaded handler cannot use, so [`cpu_share`] stops at 1.
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_MB_PER_VCPU, 1769);
/// ```
pub const LAMBDA_MB_PER_VCPU: u32 = 1769;

/// The monthly free tier: 400 000 GB-seconds (<https://aws.amazon.com/lambda/pricing/>).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_FREE_GB_S_PER_MONTH, 400_000.0);
/// ```
pub const LAMBDA_FREE_GB_S_PER_MONTH: f64 = 400_000.0;

/// The monthly free tier: 1 000 000 requests (<https://aws.amazon.com/lambda/pricing/>).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_FREE_REQUESTS_PER_MONTH, 1_000_000);
/// ```
pub const LAMBDA_FREE_REQUESTS_PER_MONTH: u64 = 1_000_000;

/// The share of one vCPU a function of `memory_mb` gets: `memory_mb / 1769`, at most 1
/// (one thread cannot use more than one vCPU).
///
/// ```
/// use lmms::memory::cpu_share;
/// assert!((cpu_share(128) - 128.0 / 1769.0).abs() < 1e-12);
/// assert_eq!(cpu_share(1769), 1.0);
/// assert_eq!(cpu_share(10_240), 1.0);
/// ```
pub fn cpu_share(memory_mb: u32) -> f64 {
    (memory_mb as f64 / LAMBDA_MB_PER_VCPU as f64).min(1.0)
}

/// How long an invocation runs at `memory_mb`: `wait` (I/O, unchanged by the size) plus
/// `cpu` measured on a full core, stretched by [`cpu_share`].
///
/// ```
/// use lmms::memory::invocation_duration;
/// use std::time::Duration;
/// let d = invocation_duration(Duration::from_millis(10), Duration::from_millis(40), 884);
/// assert!((d.as_secs_f64() - (0.040 + 0.010 * 1769.0 / 884.0)).abs() < 1e-9);
/// assert_eq!(invocation_duration(Duration::from_millis(10), Duration::ZERO, 3008),
///            Duration::from_millis(10));
/// // Too long to stretch: the longest `Duration`.
/// assert_eq!(invocation_duration(Duration::MAX, Duration::ZERO, 128), Duration::MAX);
/// ```
pub fn invocation_duration(cpu: Duration, wait: Duration, memory_mb: u32) -> Duration {
    let share = cpu_share(memory_mb.max(1));
    // Saturating: a CPU time too long for a `Duration` once stretched (from a hand-made or
    // deserialized trace) is the longest duration, not a panic.
    let stretched = Duration::try_from_secs_f64(cpu.as_secs_f64() / share).unwrap_or(Duration::MAX);
    wait.saturating_add(stretched)
}

/// Billed milliseconds of a duration: rounded up to the next whole millisecond (a 1 ns
/// invocation bills 1 ms; zero bills zero).
///
/// ```
/// use lmms::memory::billed_ms;
/// use std::time::Duration;
/// assert_eq!(billed_ms(Duration::from_micros(2_001)), 3);
/// assert_eq!(billed_ms(Duration::from_millis(7)), 7);
/// assert_eq!(billed_ms(Duration::from_nanos(1)), 1);
/// assert_eq!(billed_ms(Duration::ZERO), 0);
/// ```
pub fn billed_ms(duration: Duration) -> u64 {
    duration
        .as_nanos()
        .div_ceil(1_000_000)
        .min(u64::MAX as u128) as u64
}

/// GB-seconds of `billed_ms` milliseconds at `memory_mb` (1 GB = 1024 MB, as Lambda
/// counts).
///
/// ```
/// assert_eq!(lmms::memory::gb_seconds(1536, 1500), 2.25);
/// ```
pub fn gb_seconds(memory_mb: u32, billed_ms: u64) -> f64 {
    memory_mb as f64 / 1024.0 * billed_ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_share_is_proportional_below_one_vcpu_and_capped_above() {
        assert_eq!(cpu_share(LAMBDA_MB_PER_VCPU / 2 + 1), 885.0 / 1769.0);
        assert!(cpu_share(1768) < 1.0);
        assert_eq!(cpu_share(1770), 1.0);
    }

    #[test]
    fn duration_stretches_cpu_only() {
        let cpu = Duration::from_millis(100);
        let wait = Duration::from_millis(50);
        let at_128 = invocation_duration(cpu, wait, 128);
        let at_1769 = invocation_duration(cpu, wait, 1769);
        assert_eq!(at_1769, Duration::from_millis(150));
        let expected = 0.05 + 0.1 * 1769.0 / 128.0;
        assert!((at_128.as_secs_f64() - expected).abs() < 1e-9, "{at_128:?}");
        assert_eq!(invocation_duration(Duration::ZERO, wait, 128), wait);
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond() {
        assert_eq!(billed_ms(Duration::from_nanos(999_999)), 1);
        assert_eq!(billed_ms(Duration::from_nanos(1_000_000)), 1);
        assert_eq!(billed_ms(Duration::from_nanos(1_000_001)), 2);
        assert_eq!(billed_ms(Duration::MAX), u64::MAX);
        assert_eq!(gb_seconds(128, 1000), 0.125);
    }
}
