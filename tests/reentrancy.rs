//! User code the runtime runs — a module's `Drop`, its `init` (sync and async) — may call
//! back into the gateway. None of it runs under a runtime lock, so nothing deadlocks; an
//! operation of the very module being dropped or built gets a clear error instead of a
//! deadlock or a second instance. Each scenario runs under a watchdog: a hang fails the
//! test instead of stalling the suite.

use lmms::{AsyncInit, Error, Init, InitError};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

#[path = "common/watchdog.rs"]
mod watchdog;
use watchdog::watchdog;

/// What the `Drop` of `Reentrant` saw, call by call.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
static LIVE: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "reentrant", policy = "utility")]
pub struct Reentrant(u32);
impl Init for Reentrant {
    fn init() -> Result<Self, InitError> {
        assert_eq!(LIVE.fetch_add(1, SeqCst), 0, "two live instances");
        Ok(Reentrant(5))
    }
}
impl Drop for Reentrant {
    fn drop(&mut self) {
        let gw = lmms::gateway();
        let mut seen = Vec::new();
        seen.push(format!("stats:{}", gw.stats().total_modules));
        seen.push(format!("operations:{}", gw.operations().len()));
        seen.push(format!("modules:{}", gw.modules().len()));
        seen.push(format!("sweep:{}", gw.sweep().unloaded.len()));
        seen.push(format!(
            "unload_other:{:?}",
            gw.unload("other").map_err(|e| e.to_string())
        ));
        seen.push(match reentrant_get() {
            Err(Error::ModuleUnloading { module }) => format!("own_op:unloading:{module}"),
            other => format!("own_op:{other:?}"),
        });
        seen.push(format!("other_op:{:?}", other_get()));
        *SEEN.lock().unwrap() = seen;
        LIVE.fetch_sub(1, SeqCst);
    }
}
#[lmms::operation(interface = "reentrant", op = "get", module = Reentrant)]
pub fn reentrant_get(r: &Reentrant) -> u32 {
    r.0
}

#[lmms::module(name = "other", policy = "utility")]
pub struct Other;
impl Init for Other {
    fn init() -> Result<Self, InitError> {
        Ok(Other)
    }
}
#[lmms::operation(interface = "other", op = "get", module = Other)]
pub fn other_get(_o: &Other) -> u8 {
    1
}

#[test]
fn drop_may_call_the_gateway_and_its_own_operation_errs() {
    let seen = watchdog("drop calling back", || {
        assert_eq!(reentrant_get().unwrap(), 5);
        assert!(lmms::gateway().unload("reentrant").unwrap());
        SEEN.lock().unwrap().clone()
    });
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert!(seen[4].starts_with("unload_other:Ok"), "{seen:?}");
    assert_eq!(seen[5], "own_op:unloading:reentrant", "{seen:?}");
    assert_eq!(seen[6], "other_op:Ok(1)", "{seen:?}");
    assert_eq!(LIVE.load(SeqCst), 0);
    // After the drop the module builds again as usual.
    assert_eq!(reentrant_get().unwrap(), 5);
    assert_eq!(LIVE.load(SeqCst), 1);
}

/// A sync init that calls one of its own operations.
#[lmms::module(name = "self_init", policy = "utility")]
pub struct SelfInit;
impl Init for SelfInit {
    fn init() -> Result<Self, InitError> {
        match self_init_get() {
            Err(e) => Err(InitError::msg(format!("inner: {e}"))),
            Ok(_) => Ok(SelfInit),
        }
    }
}
#[lmms::operation(interface = "self_init", op = "get", module = SelfInit)]
pub fn self_init_get(_s: &SelfInit) -> u8 {
    2
}

#[test]
fn sync_init_calling_its_own_operation_errs() {
    let err = watchdog("sync init calling itself", || self_init_get().unwrap_err());
    let msg = err.to_string();
    assert!(
        msg.contains("cyclic init") && msg.contains("self_init"),
        "{msg}"
    );
}

/// An async init that awaits one of its own operations.
#[lmms::module(name = "self_async", async_init)]
pub struct SelfAsync;
impl AsyncInit for SelfAsync {
    async fn init() -> Result<Self, InitError> {
        match self_async_get().await {
            Err(e) => Err(InitError::msg(format!("inner: {e}"))),
            Ok(_) => Ok(SelfAsync),
        }
    }
}
#[lmms::operation(interface = "self_async", op = "get", module = SelfAsync)]
pub async fn self_async_get(_s: &SelfAsync) -> u8 {
    3
}

#[test]
fn async_init_awaiting_its_own_operation_errs() {
    let err = watchdog("async init awaiting itself", || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(self_async_get()).unwrap_err()
    });
    let msg = err.to_string();
    assert!(
        msg.contains("cyclic init") && msg.contains("self_async"),
        "{msg}"
    );
}

/// An async init that waits for a signal, so a build is in flight while a blocking call
/// of the same module comes in.
static RELEASE: tokio::sync::Notify = tokio::sync::Notify::const_new();
static STARTED: AtomicBool = AtomicBool::new(false);

#[lmms::module(name = "slow_async", async_init)]
pub struct SlowAsync;
impl AsyncInit for SlowAsync {
    async fn init() -> Result<Self, InitError> {
        STARTED.store(true, SeqCst);
        RELEASE.notified().await;
        Ok(SlowAsync)
    }
}
#[lmms::operation(interface = "slow_async", op = "get", module = SlowAsync)]
pub fn slow_async_get(_s: &SlowAsync) -> u8 {
    4
}
#[lmms::operation(interface = "slow_async", op = "get_async", module = SlowAsync)]
pub async fn slow_async_get_async(_s: &SlowAsync) -> u8 {
    4
}

fn blocking_call_during_async_build(rt: tokio::runtime::Runtime) {
    lmms::gateway().unload("slow_async").unwrap();
    STARTED.store(false, SeqCst);
    rt.block_on(async {
        let build = tokio::spawn(slow_async_get_async());
        while !STARTED.load(SeqCst) {
            tokio::task::yield_now().await;
        }
        // The async build is in flight: a blocking call neither waits nor calls it cyclic.
        let t = std::time::Instant::now();
        let err = slow_async_get().unwrap_err();
        assert!(matches!(err, Error::AsyncInitRequired { .. }), "{err}");
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );
        RELEASE.notify_one();
        assert_eq!(build.await.unwrap().unwrap(), 4);
    });
    // Resident now: blocking calls work.
    assert_eq!(slow_async_get().unwrap(), 4);
}

#[test]
fn blocking_call_during_an_async_build_on_a_current_thread_runtime() {
    watchdog("current-thread runtime", || {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        blocking_call_during_async_build(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        )
    });
}

#[test]
fn blocking_call_during_an_async_build_on_a_multi_thread_runtime() {
    watchdog("multi-thread runtime", || {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        blocking_call_during_async_build(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        )
    });
}

static SERIAL: Mutex<()> = Mutex::new(());

/// An init error whose `Drop` calls back into the gateway: the cell keeps the last failed
/// attempt's error (its outcome) until the next attempt ends, and drops it then.
static ERROR_ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
static ERROR_DROPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct CallingBackError;
impl std::fmt::Display for CallingBackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("first attempt fails")
    }
}
impl std::error::Error for CallingBackError {}
impl Drop for CallingBackError {
    fn drop(&mut self) {
        // Locks the module's state (`detach`), as any call into this module would.
        let _ = lmms::gateway().unload("fails_once");
        ERROR_DROPS.fetch_add(1, SeqCst);
    }
}

#[lmms::module(name = "fails_once", policy = "utility")]
pub struct FailsOnce;
impl Init for FailsOnce {
    fn init() -> Result<Self, InitError> {
        if ERROR_ATTEMPTS.fetch_add(1, SeqCst) == 0 {
            return Err(InitError::from(CallingBackError));
        }
        Ok(FailsOnce)
    }
}
#[lmms::operation(interface = "fails_once", op = "get", module = FailsOnce)]
pub fn fails_once_get(_f: &FailsOnce) -> u8 {
    7
}

#[test]
fn an_init_errors_drop_may_call_the_gateway() {
    let err = fails_once_get().unwrap_err();
    assert!(err.to_string().contains("first attempt fails"), "{err}");
    drop(err);
    assert_eq!(
        ERROR_DROPS.load(SeqCst),
        0,
        "the cell still holds the error"
    );
    // The second attempt replaces the kept error: its `Drop` runs, and calls back.
    let second = watchdog("a retry dropping the first attempt's error", fails_once_get);
    assert_eq!(second.unwrap(), 7);
    assert_eq!(ERROR_DROPS.load(SeqCst), 1);
}
