//! Throughput of one operation on one thread and on two, shared by the user benches: each
//! thread makes `iters` calls and the time is the wall time, so the throughput ratio is
//! 2 × t(1) / t(2). Wall time by definition (two threads' throughput against one's).

use criterion::{black_box, Criterion};
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// Benches `call` on 1 and 2 threads as `{group}/{name}_{n}`.
pub fn threads(
    c: &mut Criterion,
    group: &str,
    name: &str,
    call: fn(usize) -> Result<u64, lmms::Error>,
) {
    let mut g = c.benchmark_group(group);
    for n in [1usize, 2] {
        g.bench_function(format!("{name}_{n}"), |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(Barrier::new(n + 1));
                let workers: Vec<_> = (0..n)
                    .map(|_| {
                        let barrier = barrier.clone();
                        std::thread::spawn(move || {
                            // A first slow call registers this thread's record.
                            call(0).unwrap();
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
    g.finish();
}
