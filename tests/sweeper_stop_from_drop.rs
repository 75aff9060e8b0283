//! A module's `Drop` may stop (or restart) the background sweeper. Under memory pressure a
//! sweep waits for the drop thread's drops, so a `Drop` there that waited for the sweeper
//! would wait for itself; `stop_sweeper` from a `Drop` asks the sweeper to stop and
//! returns. So does code on the sweeper's own thread (an expired cached value's `Drop`),
//! which cannot wait for itself. (Its own process: it configures the process-wide gateway.)

use lmms::{Config, Init, InitError, UnloadStrategy};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

static DROPS_RETURNED: AtomicUsize = AtomicUsize::new(0);
static RESTART: AtomicBool = AtomicBool::new(false);

#[lmms::module(name = "stops_the_sweeper", policy = "feature")]
pub struct StopsTheSweeper;
impl Init for StopsTheSweeper {
    fn init() -> Result<Self, InitError> {
        Ok(StopsTheSweeper)
    }
}
impl Drop for StopsTheSweeper {
    fn drop(&mut self) {
        let gw = lmms::gateway();
        if RESTART.load(SeqCst) {
            gw.start_sweeper(Duration::from_millis(20));
        } else {
            gw.stop_sweeper();
        }
        DROPS_RETURNED.fetch_add(1, SeqCst);
    }
}
#[lmms::operation(interface = "stops_the_sweeper", op = "get", module = StopsTheSweeper)]
pub fn get(_m: &StopsTheSweeper) -> u8 {
    1
}

/// Waits (bounded) until the module's `Drop` has returned `n` times in all.
fn wait_for_drop(n: usize, what: &str) {
    let t = Instant::now();
    while DROPS_RETURNED.load(SeqCst) < n {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{what}: the Drop did not return within 10 s (it waits for the sweeper, which waits for it)"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One test: the gateway is configured once, before its first use.
#[test]
fn user_code_the_sweeper_waits_for_may_stop_it() {
    a_drop_on_the_drop_thread_may_stop_and_restart_the_sweeper();
    a_cached_values_drop_on_the_sweeper_thread_may_stop_the_sweeper();
}

fn a_drop_on_the_drop_thread_may_stop_and_restart_the_sweeper() {
    // A budget far below what the process holds: HIGH pressure, so each sweep waits for
    // its drops; the idle rule unloads the module at the first sweep after its call.
    let config = Config::builder()
        .memory_budget_mb(1)
        .unload_strategy(UnloadStrategy::Idle)
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();

    assert_eq!(get().unwrap(), 1);
    gw.start_sweeper(Duration::from_millis(20));
    wait_for_drop(1, "stop_sweeper from a Drop");

    // Restarting from a Drop stops the running sweeper the same way, then starts another.
    RESTART.store(true, SeqCst);
    assert_eq!(get().unwrap(), 1);
    gw.start_sweeper(Duration::from_millis(20));
    wait_for_drop(2, "start_sweeper from a Drop");
    // The sweeper the Drop started sweeps: the module is unloaded once more.
    RESTART.store(false, SeqCst);
    assert_eq!(get().unwrap(), 1);
    wait_for_drop(3, "the restarted sweeper's unload");
    gw.stop_sweeper();
}

static VALUE_DROPS_RETURNED: AtomicUsize = AtomicUsize::new(0);
static STOP_IN_VALUE_DROP: AtomicBool = AtomicBool::new(false);

/// A cached result whose `Drop` stops the sweeper: an expired entry is dropped by the sweep
/// that finds it, on the sweeper's own thread.
#[derive(Clone)]
pub struct StopsOnDrop;
impl Drop for StopsOnDrop {
    fn drop(&mut self) {
        if STOP_IN_VALUE_DROP.load(SeqCst) && std::thread::current().name() == Some("lmms-sweeper")
        {
            lmms::gateway().stop_sweeper();
            VALUE_DROPS_RETURNED.fetch_add(1, SeqCst);
        }
    }
}
#[lmms::operation(
    interface = "stops_on_drop",
    op = "get",
    cache_ttl = "1ms",
    dynamic = false
)]
pub fn cached() -> StopsOnDrop {
    StopsOnDrop
}

fn a_cached_values_drop_on_the_sweeper_thread_may_stop_the_sweeper() {
    STOP_IN_VALUE_DROP.store(true, SeqCst);
    drop(cached().unwrap());
    let gw = lmms::gateway();
    gw.start_sweeper(Duration::from_millis(5));
    let t = Instant::now();
    while VALUE_DROPS_RETURNED.load(SeqCst) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the expired value's Drop on the sweeper did not return within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
