//! Caller threads for the stress tests (`stress.rs`, `stress_deferred.rs`): each runs a
//! body with its thread number and call number until told to stop, and they report how
//! many calls they made; the test's length comes from `LMMS_STRESS_SECS`.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The test's length in seconds: `LMMS_STRESS_SECS`, else `default`.
pub fn stress_secs(default: u64) -> u64 {
    std::env::var("LMMS_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Threads calling until [`Callers::stop`].
pub struct Callers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
}

impl Callers {
    /// Starts `n` threads, each calling `call(thread, call number)` in a loop.
    pub fn start(n: u64, call: impl Fn(u64, u64) + Send + Sync + Clone + 'static) -> Callers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|t| {
                let (stop, call) = (stop.clone(), call.clone());
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(SeqCst) {
                        call(t, n);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        Callers { stop, threads }
    }

    /// Stops them; returns the calls they made (a caller's panic fails the test here).
    pub fn stop(self) -> u64 {
        self.stop.store(true, SeqCst);
        self.threads.into_iter().map(|t| t.join().unwrap()).sum()
    }
}
