//! A hang fails the test instead of stalling the suite (`reentrancy.rs`, `init_cycle.rs`).

use std::time::Duration;

/// Runs `f` on a thread; fails if it does not finish within 20 s (a deadlock).
pub fn watchdog<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what}: no answer in 20 s (deadlock)"))
}
