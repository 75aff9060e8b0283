//! The background sweeper: a thread that sweeps every interval, for a long-running process
//! or Lambda Managed Instances (never frozen). Its sweeps, like those at the end of calls,
//! leave the drops to the drop thread.

use crate::gateway::Gateway;
use crate::sync::lock_std;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Gateway {
    /// Starts a background thread that sweeps every `interval` (stop it with
    /// [`Gateway::stop_sweeper`] or by starting another). Its sweeps leave the drops to the
    /// drop thread, like those at the end of calls. On classic Lambda, where the
    /// environment is frozen between invocations, sweep at invocation boundaries instead;
    /// on Lambda Managed Instances (never frozen, concurrent invocations) this serves.
    ///
    /// After a `fork()` the child has no sweeper thread (threads are not inherited): there,
    /// the parent's sweeper is forgotten, not joined, and this starts the child's own.
    ///
    /// The interval is at least 1 ms: zero would sweep without pause, holding the sweep
    /// lock that calls' end-of-call sweeps take.
    pub fn start_sweeper(&'static self, interval: Duration) {
        let interval = interval.max(Duration::from_millis(1));
        self.stop_sweeper();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("lmms-sweeper".into())
            .spawn(move || {
                while wait(interval, &stopped) {
                    self.sweep_deferring(lock_std(&self.lugs));
                }
            })
            .ok();
        *lock_std(&self.sweeper) = handle.map(|h| crate::gateway::Sweeper {
            stop,
            handle: h,
            pid: std::process::id(),
        });
    }

    /// Stops the background sweeper, waiting for its current sweep to end. In a child
    /// forked after the sweeper started, there is no sweeper thread: the parent's record
    /// is forgotten, not joined (nothing to wait for).
    ///
    /// Called from code the runtime runs for the user — a module's `init` or `Drop`, or
    /// anything on the sweeper's own thread (a cached value's `Drop`, a `tracing`
    /// subscriber) — it tells the sweeper to stop and returns without waiting: the sweep
    /// may be waiting for that very thread (a sweep under memory pressure waits for the
    /// drop thread's drops). The sweeper then ends once its current sweep is done.
    pub fn stop_sweeper(&self) {
        let sweeper = lock_std(&self.sweeper).take();
        match sweeper {
            Some(s) if s.pid == std::process::id() => {
                s.stop.store(true, Ordering::Release);
                s.handle.thread().unpark();
                let on_sweeper = s.handle.thread().id() == std::thread::current().id();
                if !on_sweeper && super::drops::may_wait() {
                    let _ = s.handle.join();
                }
            }
            // Forked: the thread lives in the parent only.
            // Forget its record (a few bytes): joining, detaching or unparking a thread of
            // another process is undefined.
            Some(s) => std::mem::forget(s),
            None => {}
        }
    }
}

/// Parks the sweeper thread for `interval` (parking may wake early: it parks again until
/// the time is up); `false` as soon as it is told to stop. Parking, not a channel's
/// `recv_timeout`: a channel would compile std's three channel flavours into every
/// application for one bit of news.
fn wait(interval: Duration, stop: &AtomicBool) -> bool {
    // An interval too long to add to the clock is a wait without end, until stopped.
    let deadline = Instant::now().checked_add(interval);
    loop {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        match deadline.map(|d| d.saturating_duration_since(Instant::now())) {
            Some(Duration::ZERO) => return true,
            Some(left) => std::thread::park_timeout(left),
            None => std::thread::park(),
        }
    }
}
