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
    System(coarsetime::Instant),
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The monotonic system clock, read coarsely (`CLOCK_MONOTONIC_COARSE` on Linux:
    /// a few ns a read, resolution of a few ms).
    pub fn system() -> Self {
        Clock(ClockKind::System(
            coarsetime::Instant::now_without_cache_update(),
        ))
    }

    /// A clock that moves only when `manual` is advanced.
    pub fn manual(manual: &ManualClock) -> Self {
        Clock(ClockKind::Manual(manual.ms.clone()))
    }

    /// Milliseconds since this clock's origin.
    #[inline]
    pub fn now_ms(&self) -> u64 {
        match &self.0 {
            // `now_without_cache_update`: `now()` would also write a process-wide atomic,
            // a cache line every calling thread would contend on.
            ClockKind::System(origin) => coarsetime::Instant::now_without_cache_update()
                .duration_since(*origin)
                .as_millis(),
            ClockKind::Manual(ms) => ms.load(Ordering::Acquire),
        }
    }
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
        let _ = self
            .ms
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |ms| {
                Some(ms.saturating_add(by))
            });
    }

    /// Milliseconds since the origin.
    pub fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::Acquire)
    }
}
