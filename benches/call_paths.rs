//! Call-path costs, lmms beside the baselines a user would write by hand, in one run
//! (the targets: fast path ≤ 2× LazyLock, warm call ≤ +25 ns, execute ≤ 60 ns). `cargo bench --bench call_paths`; ratios: `cargo run --release
//! --example bench_report`.
//!
//! Every variant runs the same trivial body on the same table: `t.data[i & 63]`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lmms::{Config, Init, InitError};
use std::sync::{Arc, Barrier, LazyLock, Mutex};
use std::time::{Duration, Instant};

pub struct Table {
    data: [u64; 64],
}

impl Table {
    fn new() -> Table {
        let mut data = [0u64; 64];
        for (i, d) in data.iter_mut().enumerate() {
            *d = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        Table { data }
    }
}

#[inline(never)]
fn body(t: &Table, i: usize) -> u64 {
    t.data[i & 63]
}

// --- baselines ---------------------------------------------------------------------
static LAZY: LazyLock<Table> = LazyLock::new(Table::new);
static EAGER: Table = Table { data: [7; 64] };
static RESETTABLE: Mutex<Option<Arc<Table>>> = Mutex::new(None);

fn resettable_call(i: usize) -> u64 {
    let t = {
        let mut slot = RESETTABLE.lock().unwrap();
        slot.get_or_insert_with(|| Arc::new(Table::new())).clone()
    };
    body(&t, i)
}

// --- lmms --------------------------------------------------------------------------
#[lmms::module(name = "bench_table", policy = "core")]
pub struct BenchTable(Table);

impl Init for BenchTable {
    fn init() -> Result<Self, InitError> {
        Ok(BenchTable(Table::new()))
    }
}

/// Promoted to the fast path before measuring.
#[lmms::operation(interface = "bench", op = "hot", module = BenchTable)]
pub fn hot(t: &BenchTable, i: usize) -> u64 {
    body(&t.0, i)
}

/// Never promoted: measured on the slow (resident, not hot) path.
#[lmms::operation(interface = "bench", op = "warm", module = BenchTable)]
pub fn warm(t: &BenchTable, i: usize) -> u64 {
    body(&t.0, i)
}

/// No arguments, unit result: the dynamic path with (almost) no JSON work.
#[lmms::operation(interface = "bench", op = "noop", module = BenchTable)]
pub fn noop(t: &BenchTable) {
    black_box(&t.0);
}

fn setup() {
    // No end-of-call sweeps: heat is aggregated only by the explicit sweep below, so `hot`
    // is promoted once and `warm` never is.
    lmms::configure(
        Config::builder()
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap(),
    )
    .unwrap();
    for i in 0..100 {
        hot(i).unwrap();
    }
    warm(0).unwrap();
    let report = lmms::gateway().sweep();
    assert!(
        report.promoted.contains(&"bench.hot".to_string()),
        "{report:?}"
    );
    let ops = lmms::gateway().operations();
    assert!(ops.iter().any(|o| o.op == "hot" && o.fast_path));
    assert!(ops.iter().any(|o| o.op == "warm" && !o.fast_path));
    eprintln!(
        "membarrier fast-path fence active: {}",
        lmms::membarrier_active()
    );
}

fn single_thread(c: &mut Criterion) {
    setup();
    let mut g = c.benchmark_group("call");
    let mut i = 0usize;
    g.bench_function("direct_lazylock", |b| {
        b.iter(|| {
            i += 1;
            body(&LAZY, black_box(i))
        })
    });
    g.bench_function("direct_eager_static", |b| {
        b.iter(|| {
            i += 1;
            body(&EAGER, black_box(i))
        })
    });
    g.bench_function("resettable_mutex_arc", |b| {
        b.iter(|| {
            i += 1;
            resettable_call(black_box(i))
        })
    });
    g.bench_function("lmms_fast_path", |b| {
        b.iter(|| {
            i += 1;
            hot(black_box(i)).unwrap()
        })
    });
    g.bench_function("lmms_typed_warm", |b| {
        b.iter(|| {
            i += 1;
            warm(black_box(i)).unwrap()
        })
    });
    g.bench_function("lmms_execute_no_json", |b| {
        b.iter(|| lmms::execute("bench", "noop", serde_json::Value::Null).unwrap())
    });
    g.bench_function("lmms_execute_json", |b| {
        b.iter(|| {
            let args: serde_json::Value = serde_json::from_str(black_box(r#"{"i": 5}"#)).unwrap();
            let out = lmms::execute("bench", "warm", args).unwrap();
            serde_json::to_string(&out).unwrap()
        })
    });
    g.finish();
}

/// Throughput of one hot operation on one thread and on two: each thread makes `iters`
/// calls; the reported time is the wall time, so throughput ratio = 2 × t(1) / t(2).
fn threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("threads");
    for (name, call) in [
        ("fast_path", hot as fn(usize) -> Result<u64, lmms::Error>),
        ("typed_warm", warm),
    ] {
        for n in [1usize, 2] {
            g.bench_function(format!("{name}_{n}"), |b| {
                b.iter_custom(|iters| {
                    let barrier = Arc::new(Barrier::new(n + 1));
                    let workers: Vec<_> = (0..n)
                        .map(|_| {
                            let barrier = barrier.clone();
                            std::thread::spawn(move || {
                                barrier.wait();
                                let mut acc = 0u64;
                                for i in 0..iters as usize {
                                    acc = acc.wrapping_add(call(black_box(i)).unwrap());
                                }
                                black_box(acc);
                            })
                        })
                        .collect();
                    barrier.wait();
                    let t0 = Instant::now();
                    workers.into_iter().for_each(|w| w.join().unwrap());
                    t0.elapsed()
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = single_thread, threads
}
criterion_main!(benches);
