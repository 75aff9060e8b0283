//! Profiles, modes, and how each mode's Lambda memory size is chosen.
//!
//! - `eager` and `ligs` never unload: their memory does not depend on the size. Each is
//!   configured at the smallest size that holds its measured peak RSS × [`MARGIN`] (the
//!   library's right-sizing of its trace, `smallest_fitting`).
//! - `lmms` and `lmms_idle` unload under a memory budget, so what they hold depends on the
//!   size they run at: each runs once at a size fixed *before* it runs, from figures
//!   measured earlier in the same run ([`adaptive_size_mb`]), with the budget
//!   [`budget_mb`] of that size. If its measured peak × the margin exceeds the size, it is
//!   an OOM: shown as such, never re-run at a size picked after the fact.
//!   `--size-sweep` prices it at other sizes too ([`candidate_sizes_mb`]).

use serde::{Deserialize, Serialize};

/// Safety margin on a measured peak: the same for every mode.
pub const MARGIN: f64 = 1.25;
const MIB: u64 = 1 << 20;

/// The two profiles of the reference application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The ~50 small modules (all fit in 128 MB).
    Small,
    /// The same plus the data-bearing modules of `large/` (~1 GB).
    Large,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Small, Profile::Large];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Small => "small",
            Profile::Large => "large",
        }
    }

    pub fn parse(s: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown profile {s:?} (small, large)"))
    }
}

/// The four modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Eager,
    Ligs,
    Lmms,
    LmmsIdle,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Eager, Mode::Ligs, Mode::Lmms, Mode::LmmsIdle];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Eager => "eager",
            Mode::Ligs => "ligs",
            Mode::Lmms => "lmms",
            Mode::LmmsIdle => "lmms_idle",
        }
    }

    pub fn parse(s: &str) -> Result<Mode, String> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mode {s:?} (eager, ligs, lmms, lmms_idle)"))
    }

    /// Whether the mode unloads under a budget (its memory depends on its size).
    pub fn adaptive(self) -> bool {
        matches!(self, Mode::Lmms | Mode::LmmsIdle)
    }
}

/// The memory budget (`MEMORY_BUDGET_MB`) an adaptive mode gets at a Lambda size: the size
/// ÷ the margin, so that what lmms keeps resident (it evicts above 90 % of the budget)
/// leaves the same headroom the other modes are sized with.
pub fn budget_mb(size_mb: u32) -> u32 {
    (size_mb as f64 / MARGIN).floor() as u32
}

/// The smallest Lambda size (MB, 128..=10 240) that holds `bytes` × the margin.
pub fn fitting_mb(bytes: u64) -> u32 {
    let mb = (bytes as f64 * MARGIN / MIB as f64).ceil() as u64;
    mb.clamp(128, 10_240) as u32
}

/// LUGS evicts above this share of the budget (HIGH pressure).
const HIGH: f64 = 0.9;
/// Sizes `--size-sweep` prices, evenly spaced from the least an adaptive mode needs to its
/// size.
const CANDIDATES: u32 = 4;

/// The size of an adaptive mode: the smallest that holds, with the margin, every small
/// module at once (`small_working_set`: the peak RSS of the small profile's `ligs` run)
/// plus the profile's largest data module (`largest_module`: its bytes in this profile's
/// `ligs` run; 0 in the small profile) *under HIGH pressure*. LUGS evicts above HIGH, so at
/// this size a request for the largest module finds room without evicting a small module;
/// only the data modules, which cannot all be resident at once, are rebuilt.
pub fn adaptive_size_mb(small_working_set: u64, largest_module: u64) -> u32 {
    fitting_mb(((small_working_set + largest_module) as f64 / HIGH).ceil() as u64)
}

/// The sizes `--size-sweep` prices an adaptive mode at, from three figures measured
/// before it runs: `one_request` (the RSS after the first request of the small profile's
/// `ligs` run: the runtime, the handler's modules and one feature) and the two figures of
/// [`adaptive_size_mb`]. From the least — one request's RSS plus the largest module, with
/// the margin: below it a request for that module cannot be served at all — to the
/// adaptive size, [`CANDIDATES`] sizes evenly spaced (one if they agree).
pub fn candidate_sizes_mb(
    one_request: u64,
    small_working_set: u64,
    largest_module: u64,
) -> Vec<u32> {
    let most = adaptive_size_mb(small_working_set, largest_module);
    let least = fitting_mb(one_request + largest_module).min(most);
    let mut sizes: Vec<u32> = (0..CANDIDATES)
        .map(|i| least + (most - least) * i / (CANDIDATES - 1))
        .collect();
    sizes.dedup();
    sizes
}
