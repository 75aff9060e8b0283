//! The result cache on the injectable clock: a hit never touches the module (no build, no
//! heat, no last use), errors are not cached, expiry releases the module's dependency at
//! the next sweep, replacement keeps the count exact, counters, and the same cache behind
//! typed, async, dynamic and fast-path calls.

use lmms::{Config, Init, InitError, ManualClock, Protection};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// A `feature` module (no grace period, no floor) that counts its builds, with one cached
/// operation (TTL 10 s) that counts its body runs.
macro_rules! counted {
    ($ty:ident, $name:literal, $op:ident, $builds:ident, $runs:ident) => {
        static $builds: AtomicUsize = AtomicUsize::new(0);
        static $runs: AtomicUsize = AtomicUsize::new(0);
        #[lmms::module(name = $name, policy = "feature")]
        pub struct $ty(String);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                $builds.fetch_add(1, SeqCst);
                Ok($ty(format!("{}:", $name)))
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty, cache_ttl = "10s")]
        pub fn $op(m: &$ty, key: String) -> String {
            $runs.fetch_add(1, SeqCst);
            format!("{}{key}", m.0)
        }
    };
}

counted!(Hit, "c_hit", hit_get, HIT_BUILDS, HIT_RUNS);
counted!(Ttl, "c_ttl", ttl_get, TTL_BUILDS, TTL_RUNS);
counted!(Repl, "c_repl", repl_get, REPL_BUILDS, REPL_RUNS);
counted!(Cnt, "c_count", count_get, CNT_BUILDS, CNT_RUNS);
counted!(Dyn, "c_dyn", dyn_get, DYN_BUILDS, DYN_RUNS);
counted!(Fast, "c_fast", fast_get, FAST_BUILDS, FAST_RUNS);

/// Tests in this file share one gateway and one clock; they run one at a time.
fn setup() -> (MutexGuard<'static, ()>, &'static ManualClock) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let clock = CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        let config = Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .fast_path_threshold(5)
            .heat_window(Duration::from_secs(60))
            // Only explicit sweeps: end-of-call sweeps would make the tests racy.
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
        clock
    });
    (guard, clock)
}

#[path = "common/modules.rs"]
mod modules;
use modules::module;

fn operation(interface: &str) -> lmms::OperationInfo {
    lmms::gateway()
        .operations()
        .into_iter()
        .find(|o| o.interface == interface && o.op == "get")
        .unwrap()
}

#[test]
fn a_hit_does_not_build_the_module_nor_count_heat_nor_last_use() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    assert_eq!(hit_get("a".into()).unwrap(), "c_hit:a");
    assert_eq!((HIT_BUILDS.load(SeqCst), HIT_RUNS.load(SeqCst)), (1, 1));
    let last_use = module("c_hit").last_use_ms;
    let calls = operation("c_hit").total_calls;

    // Resident: a hit leaves last use and heat alone.
    clock.advance(Duration::from_secs(1));
    assert_eq!(hit_get("a".into()).unwrap(), "c_hit:a");
    assert_eq!(HIT_RUNS.load(SeqCst), 1);
    assert_eq!(module("c_hit").last_use_ms, last_use);
    assert_eq!(operation("c_hit").total_calls, calls);

    // Unloaded (forced, past the cache dependency): a hit does not build it again.
    assert!(gw.unload("c_hit").unwrap());
    assert_eq!(hit_get("a".into()).unwrap(), "c_hit:a");
    assert!(!module("c_hit").resident);
    assert_eq!((HIT_BUILDS.load(SeqCst), HIT_RUNS.load(SeqCst)), (1, 1));
    assert_eq!(operation("c_hit").total_calls, calls);

    // Another key is a miss: the module is built again and the body runs.
    assert_eq!(hit_get("b".into()).unwrap(), "c_hit:b");
    assert_eq!((HIT_BUILDS.load(SeqCst), HIT_RUNS.load(SeqCst)), (2, 2));
    assert_eq!(operation("c_hit").total_calls, calls + 1);
}

static FALLIBLE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Odd numbers fail.
#[lmms::operation(interface = "c_err", op = "half", cache_ttl = "60s")]
pub fn half(n: u32) -> Result<u32, String> {
    FALLIBLE_RUNS.fetch_add(1, SeqCst);
    if n % 2 == 0 {
        Ok(n / 2)
    } else {
        Err(format!("{n} is odd"))
    }
}

/// The error type is not `Clone`: only the `Ok` type has to be.
#[lmms::operation(interface = "c_err", op = "parse", cache_ttl = "60s", dynamic = false)]
pub fn parse(s: String) -> std::io::Result<u64> {
    FALLIBLE_RUNS.fetch_add(1, SeqCst);
    s.parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

#[test]
fn errors_are_never_cached() {
    let (_g, _clock) = setup();
    let before = FALLIBLE_RUNS.load(SeqCst);
    assert_eq!(half(3).unwrap(), Err("3 is odd".to_string()));
    assert_eq!(half(3).unwrap(), Err("3 is odd".to_string()));
    assert_eq!(
        FALLIBLE_RUNS.load(SeqCst),
        before + 2,
        "an Err was served from the cache"
    );
    assert_eq!(half(4).unwrap(), Ok(2));
    assert_eq!(half(4).unwrap(), Ok(2));
    assert_eq!(
        FALLIBLE_RUNS.load(SeqCst),
        before + 3,
        "an Ok was not cached"
    );

    assert!(parse("x".into()).unwrap().is_err());
    assert!(parse("x".into()).unwrap().is_err());
    assert_eq!(parse("7".into()).unwrap().unwrap(), 7);
    assert_eq!(parse("7".into()).unwrap().unwrap(), 7);
    assert_eq!(FALLIBLE_RUNS.load(SeqCst), before + 6);
    let parse_op = lmms::gateway()
        .operations()
        .into_iter()
        .find(|o| o.interface == "c_err" && o.op == "parse")
        .unwrap();
    assert_eq!(parse_op.cache_entries, 1);
}

#[test]
fn expiry_releases_the_dependency_so_the_next_sweep_unloads() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    ttl_get("k".into()).unwrap();
    assert_eq!(module("c_ttl").cache_entries, 1);
    assert_eq!(operation("c_ttl").cache_entries, 1);

    let report = gw.sweep();
    assert!(report
        .blocked
        .contains(&("c_ttl".to_string(), Protection::CacheDependencies)));
    assert!(module("c_ttl").resident);

    // One millisecond before expiry: still live, still served, still protecting.
    clock.advance(Duration::from_millis(9_999));
    ttl_get("k".into()).unwrap();
    assert_eq!(TTL_RUNS.load(SeqCst), 1);
    let report = gw.sweep();
    assert!(report
        .blocked
        .contains(&("c_ttl".to_string(), Protection::CacheDependencies)));

    // At expiry: the sweep purges the entry and unloads the module in the same pass.
    clock.advance(Duration::from_millis(1));
    let report = gw.sweep();
    assert!(report.expired_cache_entries >= 1);
    assert!(report.unloaded.contains(&"c_ttl".to_string()), "{report:?}");
    assert_eq!(module("c_ttl").cache_entries, 0);
    assert_eq!(operation("c_ttl").cache_entries, 0);
    assert!(!module("c_ttl").resident);

    // The next call is a miss and builds the module again.
    ttl_get("k".into()).unwrap();
    assert_eq!((TTL_BUILDS.load(SeqCst), TTL_RUNS.load(SeqCst)), (2, 2));
}

#[test]
fn replacing_an_expired_entry_keeps_the_count_exact() {
    let (_g, clock) = setup();
    repl_get("k".into()).unwrap();
    repl_get("j".into()).unwrap();
    assert_eq!(module("c_repl").cache_entries, 2);
    // Expired but not yet purged: not served, and replaced by the next miss.
    clock.advance(Duration::from_secs(10));
    repl_get("k".into()).unwrap();
    assert_eq!(REPL_RUNS.load(SeqCst), 3);
    assert_eq!(module("c_repl").cache_entries, 2);
    assert_eq!(operation("c_repl").cache_entries, 2);
    // The sweep purges only "j": "k" was refreshed.
    lmms::gateway().sweep();
    assert_eq!(module("c_repl").cache_entries, 1);
    repl_get("k".into()).unwrap();
    assert_eq!(REPL_RUNS.load(SeqCst), 3);
    clock.advance(Duration::from_secs(10));
    lmms::gateway().sweep();
    assert_eq!(module("c_repl").cache_entries, 0);
}

#[test]
fn hits_and_misses_are_counted_per_operation_and_in_stats() {
    let (_g, _clock) = setup();
    let before = lmms::gateway().stats();
    count_get("a".into()).unwrap();
    count_get("a".into()).unwrap();
    count_get("a".into()).unwrap();
    count_get("b".into()).unwrap();
    let op = operation("c_count");
    assert_eq!((op.cache_hits, op.cache_misses), (2, 2));
    let after = lmms::gateway().stats();
    assert!(after.cache_hits >= before.cache_hits + 2);
    assert!(after.cache_misses >= before.cache_misses + 2);
    assert!(after.log_line().contains("\"cache_hits\""));
}

static ASYNC_BUILDS: AtomicUsize = AtomicUsize::new(0);
static ASYNC_RUNS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "c_async", policy = "feature", async_init)]
pub struct Remote(u64);

impl lmms::AsyncInit for Remote {
    async fn init() -> Result<Self, InitError> {
        ASYNC_BUILDS.fetch_add(1, SeqCst);
        tokio::task::yield_now().await;
        Ok(Remote(100))
    }
}

#[lmms::operation(interface = "c_async", op = "add", module = Remote, cache_ttl = "10s")]
pub async fn remote_add(r: &Remote, n: u64) -> u64 {
    ASYNC_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    r.0 + n
}

#[test]
fn async_operations_share_the_cache() {
    let (_g, _clock) = setup();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(remote_add(1).await.unwrap(), 101);
        assert_eq!(remote_add(1).await.unwrap(), 101);
        assert_eq!((ASYNC_BUILDS.load(SeqCst), ASYNC_RUNS.load(SeqCst)), (1, 1));
        // Dynamic async calls go through the same cache.
        let v = lmms::execute_async("c_async", "add", serde_json::json!({"n": 1}))
            .await
            .unwrap();
        assert_eq!(v, serde_json::json!(101));
        assert_eq!(ASYNC_RUNS.load(SeqCst), 1);
        // A hit does not build an unloaded module, async either.
        assert!(lmms::gateway().unload("c_async").unwrap());
        assert_eq!(remote_add(1).await.unwrap(), 101);
        assert_eq!(ASYNC_BUILDS.load(SeqCst), 1);
    });
    assert!(!module("c_async").resident);
}

#[test]
fn execute_hits_the_same_cache_as_typed_calls() {
    let (_g, _clock) = setup();
    let args = || serde_json::json!({"key": "x"});
    assert_eq!(
        lmms::execute("c_dyn", "get", args()).unwrap(),
        serde_json::json!("c_dyn:x")
    );
    assert_eq!(DYN_RUNS.load(SeqCst), 1);
    assert_eq!(
        lmms::execute("c_dyn", "get", args()).unwrap(),
        serde_json::json!("c_dyn:x")
    );
    assert_eq!(dyn_get("x".into()).unwrap(), "c_dyn:x");
    assert_eq!(DYN_RUNS.load(SeqCst), 1);
    let op = operation("c_dyn");
    assert_eq!((op.cache_hits, op.cache_misses), (2, 1));
    // A dynamic hit does not build an unloaded module either.
    assert!(lmms::gateway().unload("c_dyn").unwrap());
    lmms::execute("c_dyn", "get", args()).unwrap();
    assert_eq!(DYN_BUILDS.load(SeqCst), 1);
}

#[test]
fn the_fast_path_answers_from_the_cache() {
    let (_g, _clock) = setup();
    let gw = lmms::gateway();
    // Hits do not count heat: heat it up with misses (distinct keys).
    for i in 0..10 {
        fast_get(format!("warm{i}")).unwrap();
    }
    let report = gw.sweep();
    assert!(
        report.promoted.contains(&"c_fast.get".to_string()),
        "{report:?}"
    );
    assert!(operation("c_fast").fast_path);

    let zafp = gw.stats().zafp_hits;
    assert_eq!(fast_get("hot".into()).unwrap(), "c_fast:hot");
    assert_eq!(
        gw.stats().zafp_hits,
        zafp + 1,
        "the miss took the fast path"
    );
    assert_eq!(FAST_RUNS.load(SeqCst), 11);
    assert_eq!(fast_get("hot".into()).unwrap(), "c_fast:hot");
    assert_eq!(
        FAST_RUNS.load(SeqCst),
        11,
        "the fast path bypassed the cache"
    );
    assert_eq!(
        gw.stats().zafp_hits,
        zafp + 1,
        "a hit entered the fast path"
    );
    assert_eq!(FAST_BUILDS.load(SeqCst), 1);
}

static UNIT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[lmms::operation(interface = "c_unit", op = "now", cache_ttl = "1s")]
pub fn unit_now() -> u64 {
    UNIT_RUNS.fetch_add(1, SeqCst) as u64
}

#[test]
fn an_operation_without_arguments_caches_on_the_empty_key() {
    let (_g, clock) = setup();
    let first = unit_now().unwrap();
    assert_eq!(unit_now().unwrap(), first);
    clock.advance(Duration::from_secs(1));
    assert_eq!(unit_now().unwrap(), first + 1);
}

counted!(Race, "c_race", race_get, RACE_BUILDS, RACE_RUNS);

#[test]
fn concurrent_misses_on_one_key_leave_one_entry_and_one_dependency() {
    let (_g, _clock) = setup();
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..200 {
                    let key = format!("k{}", (i + t) % 5);
                    assert_eq!(race_get(key.clone()).unwrap(), format!("c_race:{key}"));
                }
            });
        }
    });
    // However many threads raced on a miss, each key holds one entry and one dependency.
    assert_eq!(operation("c_race").cache_entries, 5);
    assert_eq!(module("c_race").cache_entries, 5);
    let op = operation("c_race");
    assert_eq!(op.cache_hits + op.cache_misses, 800);
    assert_eq!(op.cache_misses as usize, RACE_RUNS.load(SeqCst));
    assert_eq!(RACE_BUILDS.load(SeqCst), 1);
}
