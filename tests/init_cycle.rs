//! Inits that wait for each other across threads or tasks: X's init calls an operation of
//! Y while Y's init, on another thread or task, calls one of X. The wait that would close
//! the cycle gets the cyclic-init error instead of blocking; the other init goes on, and
//! every later call works. Each scenario runs under a watchdog: a hang fails the test.

use lmms::{AsyncInit, Init, InitError};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{LazyLock, Mutex};

#[path = "common/watchdog.rs"]
mod watchdog;
use watchdog::watchdog;

/// What the inits' calls of the next module returned: errors only.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn note(r: Result<u8, lmms::Error>) {
    if let Err(e) = r {
        SEEN.lock().unwrap().push(e.to_string());
    }
}

/// Takes what the inits saw: exactly one cyclic-init error, naming a module of the cycle.
fn one_cycle_refused(names: &[&str]) {
    let seen = std::mem::take(&mut *SEEN.lock().unwrap());
    println!("{seen:?}");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("cyclic init"), "{seen:?}");
    assert!(
        names
            .iter()
            .any(|n| seen[0].contains(&format!("module `{n}`"))),
        "{seen:?}"
    );
}

/// A module whose init, the first time, waits at `$barrier` (so that every module of the
/// cycle is being built) and then calls `$next`.
macro_rules! sync_link {
    ($ty:ident, $name:literal, $get:ident, $next:ident, $barrier:ident) => {
        #[lmms::module(name = $name, policy = "utility")]
        pub struct $ty;
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                static FIRST: AtomicBool = AtomicBool::new(true);
                if FIRST.swap(false, SeqCst) {
                    $barrier.wait();
                    note($next());
                }
                Ok($ty)
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn $get(_m: &$ty) -> u8 {
            1
        }
    };
}

static PAIR: LazyLock<std::sync::Barrier> = LazyLock::new(|| std::sync::Barrier::new(2));
sync_link!(X, "cycle_x", x_get, y_get, PAIR);
sync_link!(Y, "cycle_y", y_get, x_get, PAIR);

static TRIO: LazyLock<std::sync::Barrier> = LazyLock::new(|| std::sync::Barrier::new(3));
sync_link!(A, "cycle_a", a_get, b_get, TRIO);
sync_link!(B, "cycle_b", b_get, c_get, TRIO);
sync_link!(C, "cycle_c", c_get, a_get, TRIO);

/// Tests share `SEEN`: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Calls each of `gets` on its own thread, all at once; every call must succeed.
fn on_threads(gets: &'static [fn() -> Result<u8, lmms::Error>]) {
    let threads: Vec<_> = gets.iter().map(std::thread::spawn).collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap(), 1);
    }
}

#[test]
fn two_threads_whose_inits_call_each_other_do_not_deadlock() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    watchdog("x and y on two threads", || on_threads(&[x_get, y_get]));
    one_cycle_refused(&["cycle_x", "cycle_y"]);
    assert_eq!((x_get().unwrap(), y_get().unwrap()), (1, 1));
}

#[test]
fn three_threads_in_a_ring_of_inits_do_not_deadlock() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    watchdog("a, b and c on three threads", || {
        on_threads(&[a_get, b_get, c_get])
    });
    one_cycle_refused(&["cycle_a", "cycle_b", "cycle_c"]);
}

/// The async pair: each init, the first time in a run, meets the other at a barrier and
/// awaits the other's operation.
static ASYNC_PAIR: Mutex<Option<std::sync::Arc<tokio::sync::Barrier>>> = Mutex::new(None);

fn async_pair_barrier() -> Option<std::sync::Arc<tokio::sync::Barrier>> {
    ASYNC_PAIR.lock().unwrap().clone()
}

macro_rules! async_link {
    ($ty:ident, $name:literal, $get:ident, $next:ident, $first:ident) => {
        static $first: AtomicBool = AtomicBool::new(true);
        #[lmms::module(name = $name, async_init)]
        pub struct $ty;
        impl AsyncInit for $ty {
            async fn init() -> Result<Self, InitError> {
                if $first.swap(false, SeqCst) {
                    async_pair_barrier().unwrap().wait().await;
                    note($next().await);
                }
                Ok($ty)
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub async fn $get(_m: &$ty) -> u8 {
            1
        }
    };
}

async_link!(P, "cycle_p", p_get, q_get, P_FIRST);
async_link!(Q, "cycle_q", q_get, p_get, Q_FIRST);

fn two_tasks(rt: tokio::runtime::Runtime) {
    *ASYNC_PAIR.lock().unwrap() = Some(std::sync::Arc::new(tokio::sync::Barrier::new(2)));
    P_FIRST.store(true, SeqCst);
    Q_FIRST.store(true, SeqCst);
    rt.block_on(async {
        let p = tokio::spawn(p_get());
        let q = tokio::spawn(q_get());
        assert_eq!(p.await.unwrap().unwrap(), 1);
        assert_eq!(q.await.unwrap().unwrap(), 1);
        assert_eq!(p_get().await.unwrap() + q_get().await.unwrap(), 2);
    });
    one_cycle_refused(&["cycle_p", "cycle_q"]);
    let gw = lmms::gateway();
    assert!(gw.unload("cycle_p").unwrap() && gw.unload("cycle_q").unwrap());
}

#[test]
fn two_tasks_whose_inits_await_each_other_do_not_deadlock() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    watchdog("p and q as two tasks on one thread", || {
        two_tasks(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        )
    });
    watchdog("p and q as two tasks on two threads", || {
        two_tasks(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        )
    });
}
