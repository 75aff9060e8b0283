//! Memory figures, measured: live heap bytes from an opt-in counting allocator, RSS from
//! `/proc/self/statm`, per-module attribution, the opt-in trim hook, the [`Tracker`]
//! (snapshots, per-operation deltas, peaks, Lambda memory-size recommendation, leak
//! detection), Lambda's billing model and right-sizing from a recorded [`Trace`]
//! ([`RightSizing`]: every memory size priced, the cheapest that fits recommended).

mod alloc;
mod lambda;
mod leak;
mod recommend;
mod right_size;
mod right_size_options;
mod snapshot;
mod trace;
mod trace_read;
mod tracker;

pub use alloc::CountingAlloc;
pub(crate) use alloc::{attribute_free_to, attribute_to, Attributed};
pub use lambda::{
    billed_ms, cpu_share, gb_seconds, invocation_duration, LAMBDA_FREE_GB_S_PER_MONTH,
    LAMBDA_FREE_REQUESTS_PER_MONTH, LAMBDA_MAX_MB, LAMBDA_MB_PER_VCPU, LAMBDA_MIN_MB,
    LAMBDA_PRICE_PER_REQUEST, LAMBDA_X86_PRICE_PER_GB_S,
};
pub use leak::{InvocationSample, LeakBasis, LeakReport, MAX_LEAK_WINDOW};
pub use recommend::{RecommendOptions, Recommendation};
pub use right_size::{RightSizing, SizeCost};
pub use right_size_options::{RightSizeError, RightSizeOptions};
pub use snapshot::{OpMemory, Reading, Snapshot};
pub use trace::{Trace, TracedInvocation};
pub use tracker::{Tracker, TrackerReport};

/// Live heap bytes, if a [`CountingAlloc`] is the global allocator; `None` (unknown)
/// otherwise — never a made-up zero.
///
/// ```
/// // Without `#[global_allocator] static A: lmms::memory::CountingAlloc = ...` installed:
/// assert_eq!(lmms::memory::live_heap_bytes(), None);
/// ```
pub fn live_heap_bytes() -> Option<u64> {
    alloc::live_bytes()
}

/// The highest live heap the counting allocator has seen since the process started or the
/// last [`reset_heap_high_water`] — a true peak, not one sampled at chosen points. `None`
/// without a [`CountingAlloc`].
///
/// ```
/// // Without the counting allocator installed, the peak is unknown, not zero:
/// assert_eq!(lmms::memory::heap_high_water_bytes(), None);
/// ```
pub fn heap_high_water_bytes() -> Option<u64> {
    alloc::high_water()
}

/// Lowers the heap high-water mark to the current live heap (e.g. at the start of an
/// invocation) and returns the mark it replaced. `None` without a [`CountingAlloc`].
///
/// ```
/// assert_eq!(lmms::memory::reset_heap_high_water(), None); // no counting allocator here
/// ```
pub fn reset_heap_high_water() -> Option<u64> {
    alloc::reset_high_water()
}

/// The highest RSS of this process so far, as the kernel records it (`VmHWM` in
/// `/proc/self/status`, Linux); `None` where that is not available.
///
/// ```
/// if cfg!(target_os = "linux") {
///     let hwm = lmms::memory::rss_high_water_bytes().unwrap();
///     assert!(hwm > 0);
/// }
/// ```
pub fn rss_high_water_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident set size of this process in bytes, from `/proc/self/statm` (Linux); `None`
/// where that file does not exist.
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(lmms::memory::rss_bytes().unwrap() > 0);
/// }
/// ```
pub fn rss_bytes() -> Option<u64> {
    let statm = read_statm()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(resident_pages * page_size())
}

/// `/proc/self/statm`, read through a descriptor kept open: a sweep under a memory budget
/// reads it at every invocation boundary, and opening a `/proc` path is most of the cost
/// (open, stat, read, read, close: ~30 µs measured on a 2-core EPYC VM, against ~2 µs for
/// one positional read). The kernel regenerates the file on each read at offset 0.
/// Reopened when the process id changed (a forked child must not read its parent's).
#[cfg(unix)]
fn read_statm() -> Option<String> {
    use std::os::unix::fs::FileExt;
    static STATM: std::sync::Mutex<Option<(u32, std::fs::File)>> = std::sync::Mutex::new(None);
    let pid = std::process::id();
    let mut file = STATM.lock().unwrap_or_else(|e| e.into_inner());
    if !matches!(&*file, Some((p, _)) if *p == pid) {
        *file = Some((pid, std::fs::File::open("/proc/self/statm").ok()?));
    }
    let (_, f) = file.as_ref()?;
    let mut buf = [0u8; 256];
    let n = f.read_at(&mut buf, 0).ok()?;
    String::from_utf8(buf[..n].to_vec()).ok()
}

#[cfg(not(unix))]
fn read_statm() -> Option<String> {
    std::fs::read_to_string("/proc/self/statm").ok()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions and only reads system configuration.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// CPU time the calling thread has used so far (user and system, `CLOCK_THREAD_CPUTIME_ID`),
/// or `None` where the clock is not available. The difference across an invocation is
/// its CPU time, which [`TracedInvocation`] needs for right-sizing: unlike wall time it
/// leaves out waits and the time other processes held the core.
///
/// ```
/// let before = lmms::memory::thread_cpu_time();
/// let mut x = 0u64;
/// for i in 0..1_000_000u64 {
///     x = x.wrapping_add(std::hint::black_box(i));
/// }
/// if let (Some(a), Some(b)) = (before, lmms::memory::thread_cpu_time()) {
///     assert!(b > a);
/// }
/// # std::hint::black_box(x);
/// ```
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call; clock_gettime only writes it.
    // std offers no per-thread CPU clock, hence the FFI call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 || ts.tv_sec < 0 || ts.tv_nsec < 0 {
        return None;
    }
    Some(std::time::Duration::new(
        ts.tv_sec as u64,
        ts.tv_nsec as u32,
    ))
}

/// Returns freed heap pages to the OS (`malloc_trim(0)` on glibc; a no-op elsewhere) and
/// reports the RSS before and after, so the change is a measured figure.
///
/// ```
/// let trim = lmms::memory::trim();
/// assert!(trim.rss_before.is_some() == trim.rss_after.is_some());
/// ```
pub fn trim() -> TrimReport {
    let rss_before = rss_bytes();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it is thread-safe and takes no
    // pointers from us.
    unsafe {
        libc::malloc_trim(0);
    }
    TrimReport {
        rss_before,
        rss_after: rss_bytes(),
    }
}

/// RSS around a [`trim`].
///
/// ```
/// let trim = lmms::memory::trim();
/// if let (Some(before), Some(after)) = (trim.rss_before, trim.rss_after) {
///     println!("RSS {before} → {after} bytes");
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrimReport {
    /// RSS in bytes before the trim.
    pub rss_before: Option<u64>,
    /// RSS in bytes after the trim.
    pub rss_after: Option<u64>,
}

serialize_struct!(TrimReport {
    rss_before,
    rss_after
});

impl TrimReport {
    /// Bytes of RSS the trim gave back: 0 if RSS grew, `None` if either figure is unknown.
    ///
    /// ```
    /// use lmms::memory::TrimReport;
    /// let trim = TrimReport { rss_before: Some(90 << 20), rss_after: Some(60 << 20) };
    /// assert_eq!(trim.rss_released(), Some(30 << 20));
    /// let grew = TrimReport { rss_before: Some(60 << 20), rss_after: Some(61 << 20) };
    /// assert_eq!(grew.rss_released(), Some(0));
    /// assert_eq!(TrimReport::default().rss_released(), None);
    /// ```
    pub fn rss_released(&self) -> Option<u64> {
        Some(self.rss_before?.saturating_sub(self.rss_after?))
    }
}

/// Where the memory budget came from.
///
/// ```
/// let c = lmms::Config::from_lookup(|v| {
///     (v == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE").then(|| "512".to_string())
/// })
/// .unwrap();
/// assert_eq!(c.memory_budget_bytes, Some(512 << 20));
/// assert_eq!(c.budget_source, Some(lmms::memory::BudgetSource::LambdaFunctionMemorySize));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BudgetSource {
    /// The `MEMORY_BUDGET_MB` environment variable.
    MemoryBudgetMb,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, which Lambda sets to the function's configured
    /// memory: what it bills for, and the size past which it stops the process.
    LambdaFunctionMemorySize,
    /// [`ConfigBuilder::memory_budget_mb`](crate::ConfigBuilder::memory_budget_mb).
    Builder,
}

serialize_unit_enum!(BudgetSource {
    MemoryBudgetMb => 0 "memory_budget_mb",
    LambdaFunctionMemorySize => 1 "lambda_function_memory_size",
    Builder => 2 "builder",
});

impl BudgetSource {
    /// The environment variable (or setting) it names.
    ///
    /// ```
    /// use lmms::memory::BudgetSource;
    /// let lambda = BudgetSource::LambdaFunctionMemorySize;
    /// assert_eq!(lambda.variable(), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
    /// assert_eq!(BudgetSource::Builder.variable(), "MEMORY_BUDGET_MB");
    /// ```
    pub fn variable(self) -> &'static str {
        match self {
            BudgetSource::MemoryBudgetMb | BudgetSource::Builder => "MEMORY_BUDGET_MB",
            BudgetSource::LambdaFunctionMemorySize => "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        }
    }
}

/// Memory pressure against the memory budget.
///
/// ```
/// use lmms::memory::Pressure;
/// assert_eq!(Pressure::of(70, 100), Pressure::Normal);
/// assert_eq!(Pressure::of(80, 100), Pressure::Moderate);
/// assert_eq!(Pressure::of(95, 100), Pressure::High);
/// assert_eq!(Pressure::of(101, 100), Pressure::Critical);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pressure {
    /// At most 75 % of the budget.
    Normal,
    /// Above 75 %.
    Moderate,
    /// Above 90 %: sweeps ignore the grace period and the floor.
    High,
    /// Above 100 %.
    Critical,
}

serialize_unit_enum!(Pressure {
    Normal => 0 "NORMAL",
    Moderate => 1 "MODERATE",
    High => 2 "HIGH",
    Critical => 3 "CRITICAL",
});

impl Pressure {
    /// The level of `used` bytes against `budget` bytes (a budget of 0 counts as 1 byte).
    ///
    /// ```
    /// use lmms::memory::Pressure;
    /// let budget = 512 << 20;
    /// assert_eq!(Pressure::of(460 << 20, budget), Pressure::Moderate); // 89.8 %
    /// assert_eq!(Pressure::of(470 << 20, budget), Pressure::High); // 91.8 %
    /// ```
    pub fn of(used: u64, budget: u64) -> Pressure {
        let budget = budget.max(1) as u128;
        let used = used as u128 * 100;
        if used > budget * 100 {
            Pressure::Critical
        } else if used > budget * 90 {
            Pressure::High
        } else if used > budget * 75 {
            Pressure::Moderate
        } else {
            Pressure::Normal
        }
    }
}
