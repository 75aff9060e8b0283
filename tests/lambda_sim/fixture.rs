//! The function under test: a typed `lambda_runtime` handler behind `lmms::lambda`, run
//! as a child process of the test (so that the emulator can freeze it with SIGSTOP).
//!
//! One module, `fixture_table` (policy `feature`: the boundary sweep unloads it when the
//! invocation that built it is over), holds `FIXTURE_TABLE_MIB` MiB and sleeps
//! `FIXTURE_DROP_MS` ms in its `Drop` (a slow teardown: the response must not wait for
//! it). Builds, drops and live instances are counted; `{"op": "counts"}` returns them.

use lambda_runtime::{service_fn, LambdaEvent};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static BUILDS: AtomicU64 = AtomicU64::new(0);
static DROPS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static MAX_LIVE: AtomicI64 = AtomicI64::new(0);
static IN_FLIGHT: AtomicI64 = AtomicI64::new(0);
static MAX_IN_FLIGHT: AtomicI64 = AtomicI64::new(0);

pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[lmms::module(name = "fixture_table", policy = "feature")]
pub struct Table {
    bytes: Vec<u8>,
}

impl lmms::Init for Table {
    fn init() -> Result<Self, lmms::InitError> {
        BUILDS.fetch_add(1, SeqCst);
        let live = LIVE.fetch_add(1, SeqCst) + 1;
        MAX_LIVE.fetch_max(live, SeqCst);
        let len = (env_u64("FIXTURE_TABLE_MIB", 8) as usize) << 20;
        // Written, so that the pages are resident (RSS), as a real table's are.
        let bytes = (0..len).map(|i| (i % 251) as u8).collect();
        Ok(Table { bytes })
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(env_u64("FIXTURE_DROP_MS", 300)));
        LIVE.fetch_sub(1, SeqCst);
        DROPS.fetch_add(1, SeqCst);
        println!("[FIXTURE_DROPPED] {}", now_ms());
    }
}

/// Reads the table; holds the module `hold_ms` across an await (a slow downstream call).
#[lmms::operation(interface = "fixture", op = "lookup", module = Table)]
pub async fn lookup(t: &Table, i: u64, hold_ms: u64) -> u64 {
    if hold_ms > 0 {
        tokio::time::sleep(Duration::from_millis(hold_ms)).await;
    }
    t.bytes[i as usize % t.bytes.len()] as u64
}

#[derive(Deserialize)]
pub struct Request {
    op: String,
    #[serde(default)]
    i: u64,
    #[serde(default)]
    hold_ms: u64,
    /// For `use`: the budget scenarios' modules to call (`fixture_budget.rs`).
    #[serde(default)]
    mods: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Default)]
pub struct Counts {
    pub builds: u64,
    pub drops: u64,
    pub max_live: i64,
    pub max_in_flight: i64,
}

#[derive(Serialize)]
pub struct Response {
    op: String,
    value: u64,
    counts: Option<Counts>,
    /// For `builds`: each module's builds and the thrash count.
    builds: Option<serde_json::Value>,
}

async fn handle(event: LambdaEvent<Request>) -> Result<Response, lambda_runtime::Error> {
    let req = event.payload;
    let in_flight = IN_FLIGHT.fetch_add(1, SeqCst) + 1;
    MAX_IN_FLIGHT.fetch_max(in_flight, SeqCst);
    let result: Result<u64, lambda_runtime::Error> = match req.op.as_str() {
        "lookup" => lookup(req.i, req.hold_ms).await.map_err(Into::into),
        "light" => Ok(req.i),
        "use" => crate::fixture_budget::use_modules(&req.mods),
        "counts" | "builds" => Ok(0),
        other => Err(format!("unknown op `{other}`").into()),
    };
    IN_FLIGHT.fetch_sub(1, SeqCst);
    if std::env::var_os("FIXTURE_SWEEP_IN_HANDLER").is_some() {
        // The hand-written boundary, for comparison: the response waits for it.
        lmms::gateway().sweep();
    }
    let counts = (req.op == "counts").then(|| Counts {
        builds: BUILDS.load(SeqCst),
        drops: DROPS.load(SeqCst),
        max_live: MAX_LIVE.load(SeqCst),
        max_in_flight: MAX_IN_FLIGHT.load(SeqCst),
    });
    let builds = (req.op == "builds").then(crate::fixture_budget::builds);
    Ok(Response {
        op: req.op,
        value: result?,
        counts,
        builds,
    })
}

/// The child process's main: `lmms::lambda::run`, or `run_concurrent` with
/// `FIXTURE_CONCURRENT=1`, under `#[tokio::main]`'s default multi-thread runtime.
pub fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let served = rt.block_on(async {
        if std::env::var_os("FIXTURE_CONCURRENT").is_some() {
            lmms::lambda::run_concurrent(service_fn(handle)).await
        } else {
            lmms::lambda::run(service_fn(handle)).await
        }
    });
    if let Err(e) = served {
        println!("[FIXTURE_EXIT] {e}");
        std::process::exit(3);
    }
}
