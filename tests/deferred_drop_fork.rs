//! The drop thread after `fork`: a forked child has none (only the forking thread is
//! copied). A drop its parent had queued runs in the child once it asks for it
//! (`drain_drops`, a sweep), on a drop thread the child starts; the module can then be
//! built again there. The drop the parent's thread was running at the fork is lost to the
//! child and no longer counted as pending.

#![cfg(target_os = "linux")]

use lmms::{Config, Init, InitError, UnloadStrategy};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

static GATE: Mutex<bool> = Mutex::new(true);
static GATE_CV: Condvar = Condvar::new();
static SLOW_DROP_STARTED: AtomicU64 = AtomicU64::new(0);
static QUEUED_DROPS: AtomicU64 = AtomicU64::new(0);

/// Its `Drop` blocks until the gate opens: the parent's drop thread is inside it at the fork.
#[lmms::module(name = "slow", policy = "feature")]
pub struct Slow;

impl Init for Slow {
    fn init() -> Result<Self, InitError> {
        Ok(Slow)
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        SLOW_DROP_STARTED.fetch_add(1, SeqCst);
        let mut open = GATE.lock().unwrap_or_else(|p| p.into_inner());
        while !*open {
            open = GATE_CV.wait(open).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[lmms::operation(interface = "slow", op = "get", module = Slow)]
pub fn slow_get(_s: &Slow) -> u8 {
    1
}

/// Its drop is queued behind `Slow`'s at the fork.
#[lmms::module(name = "queued", policy = "feature")]
pub struct Queued(Vec<u8>);

impl Init for Queued {
    fn init() -> Result<Self, InitError> {
        Ok(Queued(vec![2; 4096]))
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        QUEUED_DROPS.fetch_add(1, SeqCst);
    }
}

#[lmms::operation(interface = "queued", op = "len", module = Queued)]
pub fn queued_len(q: &Queued) -> usize {
    q.0.len()
}

#[lmms::operation(interface = "ping", op = "ping")]
pub fn ping() -> u8 {
    7
}

/// Runs `f` on a new thread, whose first call runs end-of-call maintenance, after the
/// sweep interval has passed.
fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::sleep(Duration::from_millis(10));
    std::thread::spawn(f).join().unwrap()
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < Duration::from_secs(10), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// In the child: what went wrong, as an exit code (no printing, no unwinding).
fn child() -> i32 {
    // SAFETY: `alarm` only arms a timer: a hang ends the child with SIGALRM.
    unsafe { libc::alarm(20) };
    let gw = lmms::gateway();
    // The parent's running batch (`slow`) is lost here; `queued` is still pending.
    if gw.stats().deferred_drops_pending != 1 {
        return 2;
    }
    if QUEUED_DROPS.load(SeqCst) != 0 {
        return 3;
    }
    if !gw.drain_drops() {
        return 4;
    }
    if QUEUED_DROPS.load(SeqCst) != 1 || gw.stats().deferred_drops_pending != 0 {
        return 5;
    }
    if !matches!(queued_len(), Ok(4096)) {
        return 6;
    }
    0
}

#[test]
fn a_forked_child_starts_its_own_drop_thread() {
    lmms::configure(
        Config::builder()
            .unload_strategy(UnloadStrategy::Idle)
            .sweep_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    let gw = lmms::gateway();
    on_fresh_thread(|| slow_get().unwrap());
    *GATE.lock().unwrap() = false;
    // This call's end-of-call sweep unloads `slow`; the drop thread blocks in its Drop.
    on_fresh_thread(|| ping().unwrap());
    wait_until("slow's Drop starts", || SLOW_DROP_STARTED.load(SeqCst) == 1);
    on_fresh_thread(|| queued_len().unwrap());
    // And this one unloads `queued`, queued behind `slow`.
    on_fresh_thread(|| ping().unwrap());
    assert_eq!(gw.stats().deferred_drops_pending, 2);

    // SAFETY: the child only runs `child()` (the runtime's locks are not held: the drop
    // thread waits on the gate, no other thread is in the gateway) and ends with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child();
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);

    // The parent goes on as before: open the gate, both drops run here.
    *GATE.lock().unwrap() = true;
    GATE_CV.notify_all();
    assert!(gw.drain_drops());
    assert_eq!(QUEUED_DROPS.load(SeqCst), 1);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed: status {status:#x} (exit code {}; see `child`)",
        libc::WEXITSTATUS(status)
    );
}
