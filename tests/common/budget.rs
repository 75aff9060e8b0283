//! Memory-budget scenarios, shared by `cost_make_room.rs`, `cost_make_room_profile.rs` and
//! `common/strategy_scenario.rs`: modules that hold a known number of MiB, the process's
//! RSS, and a budget whose HIGH pressure starts a given amount above it. Each test binary
//! installs its own global allocator and configures its own gateway (one per process).

// Not every binary uses every helper.
#![allow(dead_code)]

pub const MIB: u64 = 1 << 20;

/// The process's resident set size, after handing freed memory back to the OS.
pub fn rss() -> u64 {
    lmms::memory::trim();
    lmms::memory::rss_bytes().expect("RSS readable")
}

/// A memory budget, in MB, whose HIGH pressure (90 % of it) is `above` bytes over the RSS
/// now: modules adding up to less stay below HIGH, more reach it.
pub fn budget_mb_high_above_rss(above: u64) -> u64 {
    (rss() + above).div_ceil(MIB) * 10 / 9
}

/// A memory budget, in MB, that `above` bytes over the RSS now fill to `percent` % of it:
/// 95 puts them between HIGH (90 %) and the limit, 5 % from either.
pub fn budget_mb_filled_to(above: u64, percent: u64) -> u64 {
    ((rss() + above) * 100 / percent).div_ceil(MIB)
}

/// Configures the process's gateway for an invocation scenario under a memory budget:
/// `above` bytes over the RSS now fill the budget to `percent` % ([`budget_mb_filled_to`]),
/// time runs on the returned manual clock, and sweeps run only when the test calls
/// `sweep()` (its invocation boundaries).
pub fn configure_filled_to(above: u64, percent: u64) -> lmms::ManualClock {
    let clock = lmms::ManualClock::new();
    let config = lmms::Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .memory_budget_mb(budget_mb_filled_to(above, percent))
        .sweep_interval(std::time::Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    clock
}

/// `sized_module!(Type, "module", "interface", op_fn, mib)`: a `feature` module `Type`
/// whose value holds `mib` MiB of touched (non-zero) bytes, and its operation
/// `op_fn() -> usize` (`interface.get`, the bytes held). With a sixth argument `ms`, its
/// build also sleeps that many milliseconds (modules of one build cost, whatever the page
/// faults take).
macro_rules! sized_module {
    ($ty:ident, $name:literal, $interface:literal, $op:ident, $mib:expr) => {
        sized_module!($ty, $name, $interface, $op, $mib, 0);
    };
    ($ty:ident, $name:literal, $interface:literal, $op:ident, $mib:expr, $ms:expr) => {
        #[lmms::module(name = $name, policy = "feature")]
        pub struct $ty(Vec<u8>);
        impl lmms::Init for $ty {
            fn init() -> Result<Self, lmms::InitError> {
                std::thread::sleep(std::time::Duration::from_millis($ms));
                // Non-zero: every page is written, so the RSS grows by the size.
                Ok($ty(vec![1; $mib << 20]))
            }
        }
        #[lmms::operation(interface = $interface, op = "get", module = $ty)]
        pub fn $op(m: &$ty) -> usize {
            m.0.len()
        }
    };
}
pub(crate) use sized_module;
