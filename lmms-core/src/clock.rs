//! The gateway's time source: the system's monotonic clock read coarsely, or a
//! [`ManualClock`] that moves only when told to (tests and replays).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The longest duration a setting may hold: 2^62 ms (about 146 million years). The clock
/// counts milliseconds in a `u64`; this bound leaves room to add any setting to any clock
/// reading without overflow.
pub const MAX_DURATION: Duration = Duration::from_millis(1 << 62);

/// A duration in whole milliseconds, for settings already checked against [`MAX_DURATION`].
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The gateway's time source: the system's monotonic clock, or a [`ManualClock`].
///
/// ```
/// use std::time::Duration;
/// let manual = lmms::ManualClock::new();
/// let clock = lmms::Clock::manual(&manual);
/// manual.advance(Duration::from_secs(31));
/// assert_eq!(clock.now_ms(), 31_000);
/// ```
#[derive(Clone, Debug)]
pub struct Clock(ClockKind);

#[derive(Clone, Debug)]
enum ClockKind {
    /// The system clock's reading at this clock's origin, in milliseconds.
    System(u64),
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The monotonic system clock, read coarsely (`CLOCK_MONOTONIC_COARSE` on Linux:
    /// a few ns a read, resolution of a few ms).
    pub fn system() -> Self {
        Clock(ClockKind::System(system_ms()))
    }

    /// A clock that moves only when `manual` is advanced.
    pub fn manual(manual: &ManualClock) -> Self {
        Clock(ClockKind::Manual(manual.ms.clone()))
    }

    /// Milliseconds since this clock's origin.
    #[inline]
    pub fn now_ms(&self) -> u64 {
        match &self.0 {
            ClockKind::System(origin) => system_ms().saturating_sub(*origin),
            ClockKind::Manual(ms) => ms.load(Ordering::Acquire),
        }
    }
}

/// Milliseconds on the system's monotonic clock, read coarsely: `CLOCK_MONOTONIC_COARSE`
/// is the kernel's last tick, read from the vDSO without a syscall or the hardware
/// counter, a few ns a read where `std::time::Instant::now()` costs ~20 ns.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn system_ms() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec` for the call's duration, and the
    // clock id is a constant the kernel has had since 2.6.32. (No safe std API reads a
    // coarse clock; the `coarsetime` crate makes this same call, at the cost of one more
    // crate for every user to build.) On failure `now` stays zero: time stands still,
    // which delays unloads and never hurts a call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
    // Plain casts and arithmetic, the cheapest on the call path: the kernel's monotonic
    // clock counts time since boot, so `tv_sec` is far from overflowing in milliseconds
    // and `tv_nsec` is below 10^9 (both non-negative).
    (now.tv_sec as u64) * 1_000 + (now.tv_nsec as u64) / 1_000_000
}

/// Milliseconds on the system's monotonic clock (`std::time::Instant`), counted from the
/// first reading in the process.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn system_ms() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    millis(ORIGIN.get_or_init(std::time::Instant::now).elapsed())
}

/// A clock for tests and replays: time moves only when told to.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward (saturating at the end of the clock's range, never wrapping).
    pub fn advance(&self, by: Duration) {
        let by = millis(by);
        crate::sync::add_saturating(&self.ms, by, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Milliseconds since the origin.
    pub fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::Acquire)
    }
}
