//! lmms as a user's crate sees it: the operations live in `user-app`, a separate crate
//! that depends only on `lmms`; this harness calls them across the crate boundary, as a
//! user's handler crate does, and runs the hand-written baselines in the same run, written
//! here as a user would write them in their own crate. Every variant is a direct call the
//! loop may inline (the shared body, `user_app::body`, never is).
//!
//! The resident, not hot, typed call runs in its own process (`user_warm.rs`): with the
//! fast path on, an operation called in a loop is promoted within 64 calls.
//!
//! ```sh
//! cargo bench -p user-bench --bench user --bench user_warm -- --warm-up-time 1 --measurement-time 3
//! # on a loaded machine, single-thread figures on this thread's CPU time instead:
//! LMMS_BENCH_CLOCK=thread-cpu cargo bench -p user-bench --bench user --bench user_warm -- --warm-up-time 1 --measurement-time 3
//! cargo run --release -p user-bench --bin user_report   # ratios → docs/benchmarks.md
//! ```

mod clock;
mod scaling;

use arc_swap::{ArcSwapOption, Cache};
use clock::BenchClock;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use user_app::{body, Table};

// --- baselines: the same body on the same table, held the ways a user might hold it ----

static EAGER: Table = Table::filled(7);
static LAZY: LazyLock<Table> = LazyLock::new(Table::new);
static ONCE: OnceLock<Table> = OnceLock::new();
static ONCE_CELL: once_cell::sync::Lazy<Table> = once_cell::sync::Lazy::new(Table::new);
/// A resettable slot (what unloading needs): `None` = not built.
static SWAP: ArcSwapOption<Table> = ArcSwapOption::const_empty();
static MUTEX: Mutex<Option<Arc<Table>>> = Mutex::new(None);

thread_local! {
    /// `arc_swap::Cache`: a per-thread copy of `SWAP`'s `Arc`, revalidated on each load.
    static SWAP_CACHE: RefCell<Cache<&'static ArcSwapOption<Table>, Option<Arc<Table>>>> =
        RefCell::new(Cache::new(&SWAP));
}

#[inline]
fn direct(i: usize) -> u64 {
    body(&EAGER, i)
}

#[inline]
fn lazylock(i: usize) -> u64 {
    body(&LAZY, i)
}

#[inline]
fn oncelock(i: usize) -> u64 {
    body(ONCE.get_or_init(Table::new), i)
}

#[inline]
fn once_cell_lazy(i: usize) -> u64 {
    body(&ONCE_CELL, i)
}

#[cold]
fn swap_build() -> Arc<Table> {
    let t = Arc::new(Table::new());
    SWAP.store(Some(t.clone()));
    t
}

#[inline]
fn arc_swap_slot(i: usize) -> u64 {
    match &*SWAP.load() {
        Some(t) => body(t, i),
        None => body(&swap_build(), i),
    }
}

#[inline]
fn arc_swap_cache(i: usize) -> u64 {
    SWAP_CACHE.with(|c| match c.borrow_mut().load() {
        Some(t) => body(t, i),
        None => body(&swap_build(), i),
    })
}

#[inline]
fn mutex_arc(i: usize) -> u64 {
    let t = {
        let mut slot = MUTEX.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| Arc::new(Table::new())).clone()
    };
    body(&t, i)
}

#[inline]
fn hashmap_get(map: &HashMap<(u64,), u64>, key: &(u64,)) -> Option<u64> {
    map.get(key).copied()
}

#[inline]
fn moka_get(cache: &moka::sync::Cache<(u64,), u64>, key: &(u64,)) -> Option<u64> {
    cache.get(key)
}

fn setup() {
    if let Err(e) = user_app::setup() {
        panic!("user-app setup: {e}");
    }
    eprintln!(
        "membarrier fast-path fence active: {}; single-thread clock: {}",
        lmms::membarrier_active(),
        clock::from_env().name()
    );
}

fn calls(c: &mut Criterion<BenchClock>) {
    setup();
    let mut g = c.benchmark_group("user_call");
    let mut i = 0usize;
    // A direct call each (no function pointer), so every variant inlines into the loop as
    // it would into a user's handler.
    macro_rules! bench {
        ($name:literal, $f:expr) => {
            g.bench_function($name, |b| {
                b.iter(|| {
                    i += 1;
                    $f(black_box(i))
                })
            })
        };
    }
    bench!("direct", direct);
    bench!("lazylock", lazylock);
    bench!("oncelock", oncelock);
    bench!("once_cell_lazy", once_cell_lazy);
    bench!("arc_swap_slot", arc_swap_slot);
    bench!("arc_swap_cache", arc_swap_cache);
    bench!("mutex_option_arc", mutex_arc);
    g.bench_function("lmms_fast_path", |b| {
        b.iter(|| {
            i += 1;
            user_app::hot(black_box(i)).unwrap()
        })
    });
    g.bench_function("lmms_execute_no_json", |b| {
        // Returns a `bool` like the other variants return a `u64`: criterion's `black_box`
        // of a 32-byte `Value` copies it byte by byte, which is the harness, not `execute`.
        b.iter(|| {
            lmms::execute("user", "noop", serde_json::Value::Null)
                .unwrap()
                .is_null()
        })
    });
    let args = serde_json::json!({ "i": 3, "j": 5 });
    // The baseline of the next row: making the argument object and dropping it, which a
    // caller pays whether or not it calls `execute` (a handler has the request's JSON
    // either way). Both rows clone inside the timed loop, so the allocator sees the same
    // alloc-then-free pattern a handler makes (a batch of clones freed later would
    // measure glibc's slow free path instead).
    g.bench_function("json_args_clone_drop", |b| {
        b.iter(|| drop(black_box(args.clone())))
    });
    g.bench_function("lmms_execute_json", |b| {
        // The whole call: the lookup, the argument checks, both arguments deserialized,
        // the body, the result serialized; plus the clone and the drop of the baseline.
        b.iter(|| {
            lmms::execute("user", "pair", args.clone())
                .unwrap()
                .as_u64()
        })
    });
    g.finish();
}

fn cache(c: &mut Criterion<BenchClock>) {
    let key = (7u64,);
    let expected = user_app::cached(key.0).unwrap();
    let map: HashMap<(u64,), u64> = (0..100u64)
        .map(|k| ((k,), k * 3))
        .chain([(key, expected)])
        .collect();
    let moka = moka::sync::Cache::new(10_000);
    for k in 0..100u64 {
        moka.insert((k,), k * 3);
    }
    moka.insert(key, expected);
    let (_, misses) = user_app::cached_hits_and_misses();

    let mut g = c.benchmark_group("user_cache");
    g.bench_function("lmms_cache_hit", |b| {
        b.iter(|| user_app::cached(black_box(key.0)).unwrap())
    });
    g.bench_function("hashmap_get", |b| {
        b.iter(|| hashmap_get(&map, black_box(&key)).unwrap())
    });
    g.bench_function("moka_get", |b| {
        b.iter(|| moka_get(&moka, black_box(&key)).unwrap())
    });
    g.finish();
    let (hits, misses_after) = user_app::cached_hits_and_misses();
    assert_eq!(misses_after, misses, "the hit loop missed ({hits} hits)");
}

fn threads(c: &mut Criterion) {
    scaling::threads(c, "user_threads", "fast_path", user_app::hot);
}

criterion_group! {
    name = single_thread;
    config = Criterion::default().with_measurement(clock::from_env());
    targets = calls, cache
}
// Scaling is wall time by definition (two threads' throughput against one's).
criterion_group!(scaling, threads);
criterion_main!(single_thread, scaling);
