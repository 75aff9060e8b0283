//! Per-thread records (call counts and fast-path pins) are recycled: a service that runs
//! each request on a fresh thread keeps a flat heap, however many threads come and go.

use lmms::{Config, Init, InitError};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

#[lmms::module(policy = "core")]
pub struct Table(Vec<u64>);

impl Init for Table {
    fn init() -> Result<Self, InitError> {
        Ok(Table((0..64).collect()))
    }
}

#[lmms::operation(interface = "table", op = "get", module = Table)]
pub fn get(t: &Table, i: usize) -> u64 {
    t.0[i % t.0.len()]
}

#[lmms::operation(interface = "table", op = "double")]
pub fn double(x: u64) -> u64 {
    2 * x
}

/// Runs `threads` short-lived threads, `batch` at a time, each making two calls.
fn run_threads(threads: usize, batch: usize) {
    for start in (0..threads).step_by(batch) {
        let handles: Vec<_> = (start..(start + batch).min(threads))
            .map(|i| {
                std::thread::spawn(move || {
                    let v = get(i).unwrap();
                    assert_eq!(double(v).unwrap(), 2 * (i as u64 % 64));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}

#[test]
fn short_lived_threads_leave_the_live_heap_flat() {
    // No unload and no end-of-call sweep during the run: the heap changes only with what
    // the threads leave behind.
    lmms::configure(
        Config::builder()
            .unloading(false)
            .sweep_interval(Duration::from_secs(1 << 30))
            .build()
            .unwrap(),
    )
    .unwrap();
    const WARM_UP: usize = 1_000;
    const REST: usize = 19_000;
    const BATCH: usize = 8;
    // Built once, resident from here on.
    assert_eq!(get(3).unwrap(), 3);
    run_threads(WARM_UP, BATCH);
    let warm = lmms::memory::live_heap_bytes().expect("the counting allocator is installed");
    run_threads(REST, BATCH);
    let after = lmms::memory::live_heap_bytes().unwrap();
    // A fixed slack for allocator-internal noise, not a per-thread one: leaking even a few
    // bytes per exited thread would exceed it 19 000 times over.
    const SLACK: u64 = 16 * 1024;
    assert!(
        after <= warm + SLACK,
        "live heap grew by {} bytes over {REST} short-lived threads ({warm} -> {after})",
        after.saturating_sub(warm)
    );
    // Every call was counted, on records that now belong to no live thread.
    let calls: u64 = lmms::gateway()
        .operations()
        .iter()
        .map(|o| o.total_calls)
        .sum();
    assert_eq!(calls, 2 * (1 + WARM_UP + REST) as u64 - 1);
}
