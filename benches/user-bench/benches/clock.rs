//! The clock the single-thread benchmarks read: wall time (criterion's default), or with
//! `LMMS_BENCH_CLOCK=thread-cpu` the calling thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), which does not count the time the thread waits while
//! other processes run: on a shared, loaded machine, that keeps the ratios of one run
//! comparable (cache pollution from the other processes still shows).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use std::time::{Duration, Instant};

/// Wall time or this thread's CPU time, chosen once from `LMMS_BENCH_CLOCK`.
pub struct BenchClock {
    thread_cpu: bool,
}

/// Reads `LMMS_BENCH_CLOCK`: unset or `wall` → wall time; `thread-cpu` → thread CPU time;
/// anything else is an error (named, so a typo does not silently measure wall time).
pub fn from_env() -> BenchClock {
    match std::env::var("LMMS_BENCH_CLOCK").as_deref() {
        Err(_) | Ok("wall") => BenchClock { thread_cpu: false },
        Ok("thread-cpu") => BenchClock { thread_cpu: true },
        Ok(other) => {
            eprintln!("LMMS_BENCH_CLOCK={other:?}: expected \"wall\" or \"thread-cpu\"");
            std::process::exit(2)
        }
    }
}

impl BenchClock {
    /// Which clock, for the run's log.
    pub fn name(&self) -> &'static str {
        if self.thread_cpu {
            "thread CPU time"
        } else {
            "wall time"
        }
    }
}

/// This thread's CPU time.
fn thread_cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through a valid pointer to a local.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A start reading of either clock.
pub enum Start {
    Wall(Instant),
    Cpu(Duration),
}

static WALL: WallTime = WallTime;

impl Measurement for BenchClock {
    type Intermediate = Start;
    type Value = Duration;

    fn start(&self) -> Start {
        if self.thread_cpu {
            Start::Cpu(thread_cpu_now())
        } else {
            Start::Wall(Instant::now())
        }
    }

    fn end(&self, start: Start) -> Duration {
        match start {
            Start::Wall(t) => t.elapsed(),
            Start::Cpu(t) => thread_cpu_now().saturating_sub(t),
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}
