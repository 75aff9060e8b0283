//! After `fork()`, the child has the gateway but not its sweeper thread: starting a
//! sweeper there starts the child's own (it must not join the parent's thread, which does
//! not exist in the child), and it sweeps. The only test in this binary: no other thread
//! holds a lock when it forks.

use lmms::Config;
use std::time::{Duration, Instant};

fn sweeps() -> u64 {
    lmms::gateway().stats().sweeps
}

/// In the child: start its own sweeper and see it sweep. Exit code 0 on success.
fn child() -> i32 {
    let ok = std::panic::catch_unwind(|| {
        let gw = lmms::gateway();
        let before = sweeps();
        gw.start_sweeper(Duration::from_millis(5));
        let deadline = Instant::now() + Duration::from_secs(20);
        while sweeps() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let swept = sweeps() > before;
        gw.stop_sweeper();
        swept
    });
    match ok {
        Ok(true) => 0,
        Ok(false) => 2, // no sweep: the child has no working sweeper
        Err(_) => 3,    // start_sweeper or stop_sweeper panicked
    }
}

#[test]
fn a_forked_child_gets_its_own_sweeper() {
    lmms::configure(
        Config::builder()
            .sweep_interval(Duration::from_secs(1 << 30))
            .build()
            .unwrap(),
    )
    .unwrap();
    let gw = lmms::gateway();
    // The parent's sweeper waits an hour between sweeps: at the fork it holds no lock.
    gw.start_sweeper(Duration::from_secs(3600));
    // SAFETY: the child only runs `child()` (the gateway, a thread it spawns, sleeps) and
    // leaves with `_exit`; this binary's only test, so no other thread holds a lock.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child();
        // SAFETY: ends the child at once, running no exit handlers of the parent's harness.
        unsafe { libc::_exit(code) };
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = 0;
    loop {
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if Instant::now() > deadline {
            // SAFETY: our own child, by its id.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child hung (its sweeper never started or never stopped)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed: status {status:#x} (exit 2: no sweep; exit 3: a panic)"
    );
    // The parent's own sweeper is untouched and stops as usual.
    gw.stop_sweeper();
}
