//! What a module costs, measured: how long its builds take, how often it is used, how long
//! it sits idle between uses; and the two rules that turn those figures into an unload
//! decision under [`UnloadStrategy::Cost`](crate::UnloadStrategy::Cost).
//!
//! A leaf: it knows nothing of the gateway. Every figure is written off the call path — at
//! a build (rare, and slow anyway), or when a call finds the module idle for at least a
//! second (rare by definition).
//!
//! # The two rules
//!
//! **With a memory budget** (a Lambda function's configured size), memory under the budget
//! is already paid for: nothing is unloaded below HIGH pressure. At HIGH, modules are
//! evicted in ascending GreedyDual-Size-Frequency priority (Cherkasova, 1998; applied to
//! function keep-alive by FaasCache, ASPLOS 2021):
//!
//! ```text
//! H = L + uses × build_time / bytes
//! ```
//!
//! `L` rises to the `H` of each module evicted, and a module's `H` takes the `L` in force
//! at its last use (`cost/inflation.rs`), so modules that stopped being used age out
//! behind ones still in use. A module that rebuilds in milliseconds per megabyte goes
//! before a small one that takes 200 ms to build, whatever their recency.
//!
//! **Without a budget** (a long-running process sharing its host), holding `b` bytes for a
//! second costs `b / 1 GiB` GB-seconds and a rebuild costs `build_time × R` GB-seconds
//! (`R` = `GB_SECONDS_PER_CPU_SECOND`). Keeping an idle module is renting; unloading it is
//! buying the rebuild. The ski-rental break-even rule unloads once the module has been
//! idle for as long as its rebuild is worth:
//!
//! ```text
//! T* = build_time × R × 1 GiB / b
//! ```
//!
//! It is deterministic and never pays more than twice what the best offline choice (one
//! that knew when the next call would come) pays.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

mod inflation;
pub(crate) use inflation::Inflation;

/// 1 GB as AWS bills memory: 1 024 MiB.
pub const GIB: f64 = (1u64 << 30) as f64;

/// Upper bounds (ms, exclusive) of the idle-gap histogram's buckets; the last is open.
pub const GAP_BUCKETS_MS: [u64; 4] = [10_000, 60_000, 600_000, 3_600_000];

/// Gaps shorter than this are not recorded: they are not idle time worth an unload.
pub const MIN_GAP_MS: u64 = 1_000;

/// The measured costs of one module, kept next to its value.
#[derive(Debug)]
pub(crate) struct Costs {
    last_build_ns: AtomicU64,
    total_build_ns: AtomicU64,
    /// Heap bytes the latest build allocated (`u64::MAX`: unknown); kept after a drop.
    last_build_bytes: AtomicU64,
    /// How much the process's RSS grew across the latest build (`u64::MAX`: unknown).
    last_build_rss_growth: AtomicU64,
    /// Gaps between uses: [1 s, 10 s), [10 s, 1 min), [1 min, 10 min), [10 min, 1 h), ≥ 1 h.
    gaps: [AtomicU64; 5],
}

impl Costs {
    pub(crate) const fn new() -> Self {
        Self {
            last_build_ns: AtomicU64::new(0),
            total_build_ns: AtomicU64::new(0),
            last_build_bytes: AtomicU64::new(u64::MAX),
            last_build_rss_growth: AtomicU64::new(u64::MAX),
            gaps: [const { AtomicU64::new(0) }; 5],
        }
    }

    /// Records a finished build of `ns` nanoseconds (wall clock: what the caller waited
    /// and Lambda billed), the heap bytes it allocated and the RSS growth across it.
    pub(crate) fn record_build(&self, ns: u64, bytes: Option<u64>, rss_growth: Option<u64>) {
        self.last_build_ns.store(ns, Relaxed);
        self.last_build_bytes
            .store(bytes.unwrap_or(u64::MAX), Relaxed);
        self.last_build_rss_growth
            .store(rss_growth.unwrap_or(u64::MAX), Relaxed);
        // Saturating: a counter the runtime keeps never wraps.
        crate::sync::add_saturating(&self.total_build_ns, ns, Relaxed, Relaxed);
    }

    /// Records a gap of `ms` between two uses (ignored below [`MIN_GAP_MS`]).
    pub(crate) fn record_gap(&self, ms: u64) {
        if ms < MIN_GAP_MS {
            return;
        }
        let i = GAP_BUCKETS_MS.iter().position(|&b| ms < b).unwrap_or(4);
        self.gaps[i].fetch_add(1, Relaxed);
    }

    /// The latest build's time, if any build finished.
    pub(crate) fn last_build_ns(&self, builds: u64) -> Option<u64> {
        (builds > 0).then(|| self.last_build_ns.load(Relaxed))
    }

    /// The bytes the latest build allocated, if measured (still known after a drop).
    pub(crate) fn last_build_bytes(&self) -> Option<u64> {
        match self.last_build_bytes.load(Relaxed) {
            u64::MAX => None,
            b => Some(b),
        }
    }

    /// How much RSS grew across the latest build, if measured (with a memory budget only).
    pub(crate) fn last_build_rss_growth(&self) -> Option<u64> {
        match self.last_build_rss_growth.load(Relaxed) {
            u64::MAX => None,
            b => Some(b),
        }
    }

    /// The mean build time over `builds` builds.
    pub(crate) fn mean_build_ns(&self, builds: u64) -> Option<u64> {
        (builds > 0).then(|| self.total_build_ns.load(Relaxed) / builds)
    }

    pub(crate) fn gaps(&self) -> IdleGaps {
        let g = |i: usize| self.gaps[i].load(Relaxed);
        IdleGaps {
            s1_to_10s: g(0),
            s10_to_1m: g(1),
            m1_to_10m: g(2),
            m10_to_1h: g(3),
            over_1h: g(4),
        }
    }
}

/// Whether builds measure the RSS growth across them: set when a gateway starts with a
/// memory budget. Off otherwise, so that no build reads `/proc` without a budget (miri's
/// isolation forbids it, and nothing would use the figure).
static MEASURE_RSS_GROWTH: AtomicBool = AtomicBool::new(false);

/// Has every build from now on measure the RSS growth across it.
pub(crate) fn measure_rss_growth() {
    MEASURE_RSS_GROWTH.store(true, Relaxed);
}

/// When a build started: its clock, and the RSS then (with a memory budget).
///
/// The RSS is read because a build can grow it by more than the heap bytes it allocates:
/// every small allocation carries the allocator's chunk overhead (on glibc, two million
/// 8-byte boxes count 30.5 MiB with their pointers and take 76 MiB of pages). Two reads of
/// `/proc/self/statm` through a kept-open descriptor (~2 µs each) per build, which is rare
/// and slow anyway — never on a call's fast path.
pub(crate) struct BuildStart {
    at: Instant,
    rss: Option<u64>,
}

impl BuildStart {
    pub(crate) fn now() -> Self {
        let rss = if MEASURE_RSS_GROWTH.load(Relaxed) {
            crate::memory::rss_bytes()
        } else {
            None
        };
        Self {
            rss,
            at: Instant::now(),
        }
    }

    /// The wall-clock time since the start, ns, and the RSS growth since (if measured).
    pub(crate) fn finish(&self) -> (u64, Option<u64>) {
        let ns = u64::try_from(self.at.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let growth = self
            .rss
            .and_then(|before| Some(crate::memory::rss_bytes()?.saturating_sub(before)));
        (ns, growth)
    }
}

/// The memory a build of a module is expected to add: the larger of the heap bytes it
/// allocated and the RSS growth measured across it, where known. The platform counts RSS,
/// which outgrows the heap figure for builds of many small allocations; the RSS figure may
/// in turn be inflated by builds or calls running on other threads at the same time (or
/// deflated where the build reused pages freed earlier) — taking the larger is deliberately
/// conservative: evicting a little too much costs a rebuild, too little costs the process.
///
/// ```text
/// expected = max(heap bytes, RSS growth)   (either unknown: the other; both: None)
/// ```
pub(crate) fn expected_build_bytes(heap: Option<u64>, rss_growth: Option<u64>) -> Option<u64> {
    heap.max(rss_growth)
}

/// How often a module sat idle, and for how long, between two uses (gaps under a second
/// are not counted).
///
/// ```
/// let gaps = lmms::IdleGaps::default();
/// assert_eq!(gaps.total(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdleGaps {
    /// 1 to 10 seconds.
    pub s1_to_10s: u64,
    /// 10 seconds to a minute.
    pub s10_to_1m: u64,
    /// 1 to 10 minutes.
    pub m1_to_10m: u64,
    /// 10 minutes to an hour.
    pub m10_to_1h: u64,
    /// An hour or more.
    pub over_1h: u64,
}

serialize_struct!(IdleGaps {
    s1_to_10s,
    s10_to_1m,
    m1_to_10m,
    m10_to_1h,
    over_1h
});

impl IdleGaps {
    /// Gaps counted in all.
    ///
    /// ```
    /// let stats = lmms::gateway().stats();
    /// let gaps: u64 = stats.modules.iter().map(|m| m.idle_gaps.total()).sum();
    /// println!("{gaps} idle gaps of a second or more");
    /// ```
    pub fn total(&self) -> u64 {
        [self.s10_to_1m, self.m1_to_10m, self.m10_to_1h, self.over_1h]
            .into_iter()
            .fold(self.s1_to_10s, u64::saturating_add)
    }
}

/// GreedyDual-Size-Frequency priority: `L + uses × build_ns / bytes` (lower goes first).
/// A module of zero bytes is worth keeping whatever it cost: infinite priority.
///
/// ```
/// use lmms::cost::gdsf_priority;
/// // 64 MiB rebuilt in 5 ms goes before 1 MiB that takes 200 ms, at equal use.
/// assert!(gdsf_priority(0.0, 1, 5_000_000, 64 << 20) < gdsf_priority(0.0, 1, 200_000_000, 1 << 20));
/// ```
pub fn gdsf_priority(l: f64, uses: u64, build_ns: u64, bytes: u64) -> f64 {
    if bytes == 0 {
        return f64::INFINITY;
    }
    l + uses as f64 * build_ns as f64 / bytes as f64
}

/// The ski-rental break-even idle time, in ms: `build_time × R × 1 GiB / bytes`, where `R`
/// is GB-seconds per CPU-second. Saturates at `u64::MAX` (a module of zero bytes is never
/// worth unloading).
///
/// ```
/// use lmms::cost::break_even_ms;
/// // 10 ms to rebuild 10 MiB at R = 9: idle for 9.2 s before unloading pays.
/// assert_eq!(break_even_ms(10_000_000, 10 << 20, 9.0), 9_216);
/// assert_eq!(break_even_ms(10_000_000, 0, 9.0), u64::MAX);
/// ```
pub fn break_even_ms(build_ns: u64, bytes: u64, r: f64) -> u64 {
    if bytes == 0 {
        return u64::MAX;
    }
    let ms = build_ns as f64 / 1e6 * r * GIB / bytes as f64;
    if ms.is_finite() && ms < u64::MAX as f64 {
        ms.round() as u64
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_land_in_their_buckets() {
        let c = Costs::new();
        for ms in [
            999,
            1_000,
            9_999,
            10_000,
            59_999,
            60_000,
            600_000,
            3_600_000,
            u64::MAX,
        ] {
            c.record_gap(ms);
        }
        let g = c.gaps();
        assert_eq!(
            (
                g.s1_to_10s,
                g.s10_to_1m,
                g.m1_to_10m,
                g.m10_to_1h,
                g.over_1h
            ),
            (2, 2, 1, 1, 2)
        );
    }

    #[test]
    fn build_times_saturate_and_average() {
        let c = Costs::new();
        assert_eq!(c.mean_build_ns(0), None);
        c.record_build(10, None, None);
        c.record_build(30, Some(7), Some(9));
        assert_eq!(c.last_build_bytes(), Some(7));
        assert_eq!(c.last_build_rss_growth(), Some(9));
        assert_eq!(
            (c.last_build_ns(2), c.mean_build_ns(2)),
            (Some(30), Some(20))
        );
        c.record_build(u64::MAX, None, None);
        assert_eq!(c.last_build_rss_growth(), None);
        assert_eq!(c.total_build_ns.load(Relaxed), u64::MAX);
    }

    #[test]
    fn the_larger_known_figure_is_expected() {
        assert_eq!(expected_build_bytes(Some(126), Some(183)), Some(183));
        assert_eq!(expected_build_bytes(Some(40), Some(12)), Some(40));
        assert_eq!(expected_build_bytes(None, Some(5)), Some(5));
        assert_eq!(expected_build_bytes(Some(5), None), Some(5));
        assert_eq!(expected_build_bytes(None, None), None);
    }

    /// `IdleGaps`' fields are public (a default one can be filled in): their sum must not
    /// overflow (a panic in debug builds, a wrapped count in release).
    #[test]
    fn idle_gap_total_saturates() {
        let g = IdleGaps {
            over_1h: u64::MAX,
            s1_to_10s: 1,
            ..IdleGaps::default()
        };
        assert_eq!(g.total(), u64::MAX);
    }

    #[test]
    fn priority_ages_with_inflation() {
        // Inflation L lifts every priority computed after an eviction.
        assert!(gdsf_priority(5.0, 1, 1, 1) > gdsf_priority(0.0, 4, 1, 1));
        assert_eq!(gdsf_priority(0.0, 0, 1, 1), 0.0);
    }
}
