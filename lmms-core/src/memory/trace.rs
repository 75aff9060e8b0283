//! A recorded trace of invocations, the input of right-sizing ([`RightSizing`](super::RightSizing)):
//! one execution environment's INIT (if recorded) and its invocations, each with the peak
//! memory it reached, its CPU time on a full core, its I/O wait and its module rebuilds.

use std::time::Duration;

/// One invocation (or the INIT phase) of a recorded trace.
///
/// ```
/// use lmms::memory::TracedInvocation;
/// use std::time::Duration;
/// let inv = TracedInvocation::new(90 << 20, Duration::from_micros(300), Duration::from_millis(40))
///     .with_rebuilds(1);
/// assert_eq!((inv.peak_bytes, inv.rebuilds), (90 << 20, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TracedInvocation {
    /// The highest memory (RSS, as Lambda counts it) the process reached, bytes.
    pub peak_bytes: u64,
    /// CPU time used, measured on a full core.
    pub cpu: Duration,
    /// Time spent waiting on I/O (unchanged by the memory size).
    pub wait: Duration,
    /// Module builds during the invocation beyond each module's first (informational: their
    /// CPU time is already in `cpu`).
    pub rebuilds: u32,
}

serialize_struct!(TracedInvocation {
    peak_bytes,
    cpu,
    wait,
    rebuilds
});

impl TracedInvocation {
    /// An invocation with no rebuilds.
    ///
    /// ```
    /// let inv = lmms::memory::TracedInvocation::new(1, std::time::Duration::ZERO, std::time::Duration::ZERO);
    /// assert_eq!(inv.rebuilds, 0);
    /// ```
    pub fn new(peak_bytes: u64, cpu: Duration, wait: Duration) -> Self {
        TracedInvocation {
            peak_bytes,
            cpu,
            wait,
            rebuilds: 0,
        }
    }

    /// The same invocation with `rebuilds` module rebuilds.
    ///
    /// ```
    /// let inv = lmms::memory::TracedInvocation::new(1, std::time::Duration::ZERO, std::time::Duration::ZERO);
    /// assert_eq!(inv.with_rebuilds(3).rebuilds, 3);
    /// ```
    #[must_use]
    pub fn with_rebuilds(mut self, rebuilds: u32) -> Self {
        self.rebuilds = rebuilds;
        self
    }
}

/// A recorded trace: one execution environment's INIT (if recorded) and its invocations.
///
/// ```
/// use lmms::memory::{Trace, TracedInvocation};
/// use std::time::Duration;
/// let mut trace = Trace::new();
/// trace.init = Some(TracedInvocation::new(40 << 20, Duration::from_millis(30), Duration::ZERO));
/// trace.push(TracedInvocation::new(60 << 20, Duration::from_micros(200), Duration::from_millis(20)));
/// assert_eq!(trace.peak_bytes(), 60 << 20);
/// assert_eq!(trace.invocations.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The INIT phase (billed like an invocation, not counted as a request).
    pub init: Option<TracedInvocation>,
    /// The invocations, in order.
    pub invocations: Vec<TracedInvocation>,
}

serialize_struct!(Trace { init, invocations });

impl Trace {
    /// An empty trace.
    ///
    /// ```
    /// assert!(lmms::memory::Trace::new().invocations.is_empty());
    /// ```
    pub fn new() -> Self {
        Trace::default()
    }

    /// Appends an invocation.
    ///
    /// ```
    /// let mut t = lmms::memory::Trace::new();
    /// t.push(lmms::memory::TracedInvocation::new(1, std::time::Duration::ZERO, std::time::Duration::ZERO));
    /// assert_eq!(t.invocations.len(), 1);
    /// ```
    pub fn push(&mut self, invocation: TracedInvocation) {
        self.invocations.push(invocation);
    }

    /// The highest `peak_bytes` of the INIT and every invocation (0 for an empty trace).
    ///
    /// ```
    /// use lmms::memory::{Trace, TracedInvocation};
    /// let mut t = Trace::new();
    /// t.init = Some(TracedInvocation::new(7, Default::default(), Default::default()));
    /// assert_eq!(t.peak_bytes(), 7);
    /// ```
    pub fn peak_bytes(&self) -> u64 {
        self.init
            .iter()
            .chain(&self.invocations)
            .map(|i| i.peak_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Rebuilds over all invocations (and the INIT).
    ///
    /// ```
    /// use lmms::memory::{Trace, TracedInvocation};
    /// let mut t = Trace::new();
    /// t.push(TracedInvocation::new(1, Default::default(), Default::default()).with_rebuilds(2));
    /// t.push(TracedInvocation::new(1, Default::default(), Default::default()).with_rebuilds(1));
    /// assert_eq!(t.rebuilds(), 3);
    /// ```
    pub fn rebuilds(&self) -> u64 {
        self.init
            .iter()
            .chain(&self.invocations)
            .map(|i| i.rebuilds as u64)
            .sum()
    }
}
