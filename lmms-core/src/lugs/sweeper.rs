//! The background sweeper: a thread that sweeps every interval, for a long-running process
//! or Lambda Managed Instances (never frozen). Its sweeps, like those at the end of calls,
//! leave the drops to the drop thread.

use crate::gateway::Gateway;
use crate::sync::lock_std;
use std::sync::mpsc;
use std::time::Duration;

impl Gateway {
    /// Starts a background thread that sweeps every `interval` (stop it with
    /// [`Gateway::stop_sweeper`] or by starting another). Its sweeps leave the drops to the
    /// drop thread, like those at the end of calls. On classic Lambda, where the
    /// environment is frozen between invocations, sweep at invocation boundaries instead;
    /// on Lambda Managed Instances (never frozen, concurrent invocations) this serves.
    ///
    /// After a `fork()` the child has no sweeper thread (threads are not inherited): there,
    /// the parent's sweeper is forgotten, not joined, and this starts the child's own.
    pub fn start_sweeper(&'static self, interval: Duration) {
        self.stop_sweeper();
        let (tx, rx) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("lmms-sweeper".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
                    self.sweep_deferring(lock_std(&self.lugs));
                }
            })
            .ok();
        *lock_std(&self.sweeper) = handle.map(|h| crate::gateway::Sweeper {
            stop: tx,
            handle: h,
            pid: std::process::id(),
        });
    }

    /// Stops the background sweeper, waiting for its current sweep to end. In a child
    /// forked after the sweeper started, there is no sweeper thread: the parent's record
    /// is forgotten, not joined (nothing to wait for).
    pub fn stop_sweeper(&self) {
        let sweeper = lock_std(&self.sweeper).take();
        match sweeper {
            Some(s) if s.pid == std::process::id() => {
                drop(s.stop);
                let _ = s.handle.join();
            }
            // Forked: the thread and the channel's other end live in the parent only.
            // Forget both (a few bytes): joining or detaching a thread of another process,
            // or waking its waiters, is undefined.
            Some(s) => std::mem::forget(s),
            None => {}
        }
    }
}
