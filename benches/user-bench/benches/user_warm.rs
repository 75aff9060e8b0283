//! The resident, not hot, typed call, in its own process: the gateway runs with the fast
//! path off (`user_app::setup_warm`), so the operation stays on the slow path however often
//! the loop calls it (with the fast path on it is promoted within 64 calls). The direct
//! call is measured again here, as this run's baseline.
//!
//! ```sh
//! cargo bench -p user-bench --bench user --bench user_warm -- --warm-up-time 1 --measurement-time 3
//! cargo run --release -p user-bench --bin user_report
//! ```

mod clock;
mod scaling;

use clock::BenchClock;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use user_app::{body, Table};

static EAGER: Table = Table::filled(7);

#[inline]
fn direct(i: usize) -> u64 {
    body(&EAGER, i)
}

fn calls(c: &mut Criterion<BenchClock>) {
    if let Err(e) = user_app::setup_warm() {
        panic!("user-app setup_warm: {e}");
    }
    eprintln!("single-thread clock: {}", clock::from_env().name());
    let mut g = c.benchmark_group("user_warm");
    let mut i = 0usize;
    g.bench_function("direct", |b| {
        b.iter(|| {
            i += 1;
            direct(black_box(i))
        })
    });
    g.bench_function("lmms_typed_warm", |b| {
        b.iter(|| {
            i += 1;
            user_app::warm(black_box(i)).unwrap()
        })
    });
    g.finish();
    let ops = lmms::gateway().operations();
    assert!(
        !ops.iter().any(|o| o.fast_path),
        "an operation reached the fast path: the warm figure would be the fast path's"
    );
}

fn threads(c: &mut Criterion) {
    scaling::threads(c, "user_warm_threads", "typed_warm", user_app::warm);
}

criterion_group! {
    name = single_thread;
    config = Criterion::default().with_measurement(clock::from_env());
    targets = calls
}
criterion_group!(scaling_group, threads);
criterion_main!(single_thread, scaling_group);
