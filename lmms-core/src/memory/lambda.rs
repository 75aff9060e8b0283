//! AWS Lambda's billing model, as documented by AWS.

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
/// pricing tier). Pass your own with [`RecommendOptions::price_per_gb_s`] (Arm, other
/// tiers, other regions).
///
/// ```
/// assert_eq!(lmms::memory::LAMBDA_X86_PRICE_PER_GB_S, 0.0000166667);
/// ```
pub const LAMBDA_X86_PRICE_PER_GB_S: f64 = 0.0000166667;
