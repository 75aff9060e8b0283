//! Async callers waiting for a build that does not finish keep no memory once they are
//! gone: a waiter stores one waker, replaced when it is polled again and removed when it
//! is cancelled (live heap, counting allocator).
//!
//! Figures are printed (`cargo test -p lmms --test memory_wakers -- --nocapture`) and
//! repeated in every assertion message. A stored waker is 16 bytes (a tokio waker also
//! keeps its task, ~700 bytes, allocated), so "less than one byte per re-poll" and "less
//! than 16 bytes per task" are bounds that any waker kept per poll or per task breaks.

use lmms::{AsyncInit, InitError};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const REPOLLS: usize = 200_000;
const TASKS: usize = 20_000;

/// An async module whose init waits for `$release` (never, until the test ends).
macro_rules! pending_module {
    ($ty:ident, $name:literal, $op:ident, $started:ident, $release:ident) => {
        static $started: AtomicBool = AtomicBool::new(false);
        static $release: tokio::sync::Notify = tokio::sync::Notify::const_new();
        #[lmms::module(name = $name, async_init)]
        pub struct $ty;
        impl AsyncInit for $ty {
            async fn init() -> Result<Self, InitError> {
                $started.store(true, SeqCst);
                $release.notified().await;
                Ok($ty)
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub async fn $op(_m: &$ty) -> u8 {
            1
        }
    };
}

pending_module!(
    Repolled,
    "wakers_repolled",
    repolled_get,
    R_STARTED,
    R_RELEASE
);
pending_module!(Tasked, "wakers_tasked", tasked_get, T_STARTED, T_RELEASE);

/// Tests share the live heap: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Spawns the call that builds a pending module, once its init runs.
async fn spawn_builder<F>(call: F, started: &AtomicBool) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let builder = tokio::spawn(call);
    while !started.load(SeqCst) {
        tokio::task::yield_now().await;
    }
    builder
}

fn live() -> u64 {
    lmms::memory::live_heap_bytes().expect("the counting allocator is installed")
}

/// Polls `waiter` once; it must be pending (the build still runs).
async fn poll_once(mut waiter: Pin<&mut impl Future>) {
    std::future::poll_fn(|cx| {
        assert!(waiter.as_mut().poll(cx).is_pending(), "the build ended");
        Poll::Ready(())
    })
    .await;
}

/// `n` waiters that each poll the pending build once and are cancelled (what a timeout
/// does, without waiting for the timer).
async fn cancelled_waiters(n: usize) {
    for _ in 0..n {
        poll_once(pin!(repolled_get())).await;
    }
}

/// One waiter polled `n` times by this task.
async fn repolled_waiter(n: usize) {
    let mut waiter = pin!(repolled_get());
    for _ in 0..n {
        poll_once(waiter.as_mut()).await;
    }
}

/// Live-heap growth over `phase` (printed), asserted below one byte per waiter poll.
async fn growth_over(what: &str, phase: impl Future<Output = ()>) {
    let before = live();
    phase.await;
    let after = live();
    let growth = after.saturating_sub(before);
    let figures = format!("live heap {before} B before, {after} B after {what}: +{growth} B");
    println!("{figures}");
    assert!(growth < REPOLLS as u64, "{figures}");
}

#[test]
fn re_polled_and_cancelled_waiters_keep_no_wakers() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let rt = runtime();
    rt.block_on(async {
        let builder = spawn_builder(repolled_get(), &R_STARTED).await;
        // Warm-up: thread records, the waiter list's first node.
        cancelled_waiters(1_000).await;
        repolled_waiter(1_000).await;
        let what = format!("{REPOLLS} cancelled waiters");
        growth_over(&what, cancelled_waiters(REPOLLS)).await;
        let what = format!("{REPOLLS} re-polls of one waiter");
        growth_over(&what, repolled_waiter(REPOLLS)).await;
        R_RELEASE.notify_one();
        assert_eq!(builder.await.unwrap().unwrap(), 1);
    });
}

/// `n` tasks that each wait 1 ms for the pending build, time out and end.
async fn timed_out_tasks(n: usize) {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(async {
                tokio::time::timeout(Duration::from_millis(1), tasked_get())
                    .await
                    .is_err()
            })
        })
        .collect();
    for h in handles {
        assert!(h.await.unwrap(), "the build must still be pending");
    }
}

#[test]
fn timed_out_tasks_are_freed_while_the_build_runs() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let rt = runtime();
    rt.block_on(async {
        let builder = spawn_builder(tasked_get(), &T_STARTED).await;
        timed_out_tasks(1_000).await;
        let before = live();
        timed_out_tasks(TASKS).await;
        let after = live();
        let growth = after.saturating_sub(before);
        let figures = format!(
            "live heap {before} B before, {after} B after {TASKS} timed-out tasks: +{growth} B"
        );
        println!("{figures}");
        assert!(growth < 16 * TASKS as u64, "{figures}");
        T_RELEASE.notify_one();
        assert_eq!(builder.await.unwrap().unwrap(), 1);
    });
}
