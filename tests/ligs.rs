//! LIGS: nothing is built before it is needed, one build under contention, errors shared
//! and not cached, panics contained, preload; and the dynamic call's errors.

use lmms::{Error, Init, InitError};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

static TABLE_BUILDS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "table_core")]
pub struct Table {
    squares: Vec<u64>,
}

impl Init for Table {
    fn init() -> Result<Self, InitError> {
        TABLE_BUILDS.fetch_add(1, SeqCst);
        // Slow enough that all contending threads arrive while it runs.
        std::thread::sleep(Duration::from_millis(50));
        Ok(Table {
            squares: (0..1000).map(|i| i * i).collect(),
        })
    }
}

#[lmms::operation(interface = "table", op = "square", module = Table)]
pub fn square(t: &Table, n: usize) -> Option<u64> {
    t.squares.get(n).copied()
}

#[lmms::operation(interface = "table", op = "private", module = Table, dynamic = false)]
pub fn private(t: &Table) -> usize {
    t.squares.len()
}

#[lmms::operation(interface = "math", op = "add")]
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[lmms::operation(interface = "math", op = "greet")]
pub fn greet(name: String, title: Option<String>) -> String {
    match title {
        Some(t) => format!("Hello, {t} {name}"),
        None => format!("Hello, {name}"),
    }
}

#[test]
fn sixteen_threads_share_one_init() {
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                square(i).unwrap()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap(), Some((i * i) as u64));
    }
    assert_eq!(TABLE_BUILDS.load(SeqCst), 1);
    assert_eq!(private().unwrap(), 1000);
    assert_eq!(TABLE_BUILDS.load(SeqCst), 1);
}

static FLAKY_ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module]
pub struct FlakyBackend;

impl Init for FlakyBackend {
    fn init() -> Result<Self, InitError> {
        let attempt = FLAKY_ATTEMPTS.fetch_add(1, SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        match attempt {
            0 => Err("backend unreachable".into()),
            1 => panic!("corrupt table"),
            _ => Ok(FlakyBackend),
        }
    }
}

#[lmms::operation(interface = "flaky", op = "ping", module = FlakyBackend)]
pub fn ping(_b: &FlakyBackend) -> &'static str {
    "pong"
}

#[test]
fn init_error_goes_to_every_waiter_then_panic_then_success() {
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                ping()
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // All eight arrived within the first (50 ms) attempt and share its error.
    for r in &results {
        match r {
            Err(Error::InitFailed { module, cause }) => {
                assert_eq!(module, "flaky_backend");
                assert_eq!(cause.to_string(), "backend unreachable");
            }
            other => panic!("expected the shared init error, got {other:?}"),
        }
    }
    assert_eq!(
        FLAKY_ATTEMPTS.load(SeqCst),
        1,
        "the error was shared, not retried per waiter"
    );
    // Not cached: the next call retries; this attempt panics, which is contained.
    let err = ping().unwrap_err().to_string();
    assert!(
        err.contains("panicked") && err.contains("corrupt table"),
        "{err}"
    );
    // The gateway is still usable and the module buildable.
    assert_eq!(ping().unwrap(), "pong");
    assert_eq!(FLAKY_ATTEMPTS.load(SeqCst), 3);
}

static ASYNC_BUILDS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(async_init)]
pub struct Remote {
    greeting: String,
}

impl lmms::AsyncInit for Remote {
    async fn init() -> Result<Self, InitError> {
        ASYNC_BUILDS.fetch_add(1, SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Remote {
            greeting: "hi".into(),
        })
    }
}

#[lmms::operation(interface = "remote", op = "hello", module = Remote)]
pub async fn hello(r: &Remote, name: String) -> String {
    tokio::task::yield_now().await;
    format!("{} {name}", r.greeting)
}

#[lmms::operation(interface = "remote", op = "sync_hello", module = Remote)]
pub fn sync_hello(r: &Remote) -> String {
    r.greeting.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_init_runs_once_for_many_tasks() {
    let tasks: Vec<_> = (0..32)
        .map(|i| tokio::spawn(hello(format!("n{i}"))))
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap().unwrap(), format!("hi n{i}"));
    }
    assert_eq!(ASYNC_BUILDS.load(SeqCst), 1);
    let v = lmms::execute_async("remote", "hello", json!({"name": "x"}))
        .await
        .unwrap();
    assert_eq!(v, "hi x");
    // Resident now: a blocking call works too.
    assert_eq!(sync_hello().unwrap(), "hi");
    // A blocking `execute` of an async operation is a clear error.
    let err = lmms::execute("remote", "hello", json!({"name": "x"})).unwrap_err();
    assert!(matches!(err, Error::AsyncOperation { .. }), "{err}");
}

static LATE_BUILDS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(policy = "core")]
pub struct Late;

impl Init for Late {
    fn init() -> Result<Self, InitError> {
        LATE_BUILDS.fetch_add(1, SeqCst);
        Ok(Late)
    }
}

#[lmms::operation(interface = "late", op = "get", module = Late)]
pub fn late(_l: &Late) -> u8 {
    1
}

#[test]
fn nothing_is_built_before_use_and_preload_builds_ahead() {
    let gw = lmms::gateway();
    let late_info = gw.modules().into_iter().find(|m| m.name == "late").unwrap();
    assert!(!late_info.resident && late_info.builds == 0 && LATE_BUILDS.load(SeqCst) == 0);
    gw.preload("late").unwrap();
    assert_eq!(LATE_BUILDS.load(SeqCst), 1);
    assert_eq!(late().unwrap(), 1);
    assert_eq!(LATE_BUILDS.load(SeqCst), 1);
    assert!(matches!(
        gw.preload("nope"),
        Err(Error::UnknownModule { .. })
    ));
}

#[test]
fn dynamic_calls_and_their_errors() {
    assert_eq!(
        lmms::execute("math", "add", json!({"a": 2, "b": 40})).unwrap(),
        json!(42)
    );
    assert_eq!(
        lmms::execute("math", "greet", json!({"name": "Ada"})).unwrap(),
        json!("Hello, Ada")
    );
    assert_eq!(
        lmms::execute("table", "square", json!({"n": 3})).unwrap(),
        json!(9)
    );

    let err = |i: &str, o: &str, a| lmms::execute(i, o, a).unwrap_err();
    let e = err("maths", "add", json!({}));
    assert!(
        matches!(&e, Error::UnknownInterface { interface, .. } if interface == "maths"),
        "{e}"
    );
    assert!(
        e.to_string().contains("math"),
        "lists the known interfaces: {e}"
    );
    let e = err("math", "sub", json!({}));
    assert!(
        matches!(&e, Error::UnknownOperation { op, .. } if op == "sub"),
        "{e}"
    );
    assert!(
        e.to_string().contains("add"),
        "lists the interface's operations: {e}"
    );
    let e = err("math", "add", json!({"a": 1}));
    assert!(
        matches!(&e, Error::MissingArgument { param, .. } if param == "b"),
        "{e}"
    );
    let e = err("math", "add", json!({"a": 1, "b": "two"}));
    assert!(
        matches!(&e, Error::BadArgument { param, .. } if param == "b"),
        "{e}"
    );
    let e = err("math", "add", json!({"a": 1, "b": 2, "c": 3}));
    assert!(
        matches!(&e, Error::ExtraArgument { param, .. } if param == "c"),
        "{e}"
    );
    let e = err("math", "add", json!([1, 2]));
    assert!(matches!(&e, Error::ArgumentsNotObject { .. }), "{e}");
    assert!(
        e.to_string().contains("math.add") && e.to_string().contains("array"),
        "{e}"
    );
    let e = err("table", "private", json!({}));
    assert!(
        matches!(&e, Error::NotDynamic { op, .. } if op == "private"),
        "{e}"
    );
}

#[test]
fn introspection_lists_modules_and_operations() {
    let gw = lmms::gateway();
    let ops = gw.operations();
    let add = ops
        .iter()
        .find(|o| o.interface == "math" && o.op == "add")
        .unwrap();
    assert!(add.module.is_none() && add.dynamic && !add.is_async);
    let hello = ops.iter().find(|o| o.op == "hello").unwrap();
    assert!(hello.is_async && hello.module == Some("remote"));
    let private = ops.iter().find(|o| o.op == "private").unwrap();
    assert!(!private.dynamic);
    let remote = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "remote")
        .unwrap();
    assert!(remote.is_async);
    assert!(gw.ready_time_ns() > 0);
}

#[lmms::operation(interface = "track", op = "grow")]
pub fn grow(n: usize) -> usize {
    vec![1u8; n].iter().map(|&b| b as usize).sum()
}

#[test]
fn dynamic_calls_record_their_memory_delta_in_the_gateway_tracker() {
    let tracker = std::sync::Arc::new(lmms::memory::Tracker::new());
    lmms::gateway().track_operations(tracker.clone()).unwrap();
    assert_eq!(
        lmms::execute("track", "grow", json!({"n": 4096})).unwrap(),
        json!(4096)
    );
    assert_eq!(grow(16).unwrap(), 16, "typed calls are not tracked");
    let report = tracker.report();
    let op = &report.operations["track.grow"];
    assert_eq!(op.calls, 1);
    assert!(op.total_duration_ns > 0);
    assert!(
        lmms::gateway().track_operations(tracker).is_err(),
        "set once"
    );
}
