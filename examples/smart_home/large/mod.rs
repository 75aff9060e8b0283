//! The large profile's data-bearing modules: what a smart-home function may carry beside
//! its ~50 small modules — models, map tiles, forecast grids, a device catalogue, firmware.
//! Each holds 90–150 MiB of real data, generated from a seeded "bundled" stream and
//! decoded, computed or parsed in `init` (every page written), and each is used by a small
//! share of the traffic (`workload.rs`).
//!
//! They are compiled into every run. In the small profile they hold nothing
//! (`data::large(..)` is 0 there) and no request reaches them; `--quick` shrinks them (it
//! says so in its output).
//!
//! Policy `utility`: expensive to build and used now and then, so under the seeds' clock
//! rule (`lmms_idle`) they wait out the grace period instead of going at the first
//! invocation boundary. Under the cost strategy (`lmms`) policy does not decide: memory
//! pressure and their rebuild cost per byte do.

pub mod geo;
pub mod models;
pub mod stores;

/// One MiB.
pub const MIB: usize = 1 << 20;

/// Full-size bytes of each large module's main table (the modules' own figures, measured
/// by the counting allocator, are a little higher: indexes and headers).
pub const FULL_MIB: &[(&str, usize)] = &[
    ("speech_model", 150),
    ("intent_model", 92),
    ("camera_detector", 140),
    ("map_tiles", 144),
    ("energy_grid", 130),
    ("device_catalogue", 128),
    ("firmware_store", 150),
];

/// The names of the large modules.
pub fn names() -> impl Iterator<Item = &'static str> {
    FULL_MIB.iter().map(|(n, _)| *n)
}

/// The bytes of the largest large module in a run's `module_bytes` (0 if none was built).
pub fn largest(module_bytes: &std::collections::BTreeMap<String, u64>) -> u64 {
    names()
        .filter_map(|n| module_bytes.get(n).copied())
        .max()
        .unwrap_or(0)
}
