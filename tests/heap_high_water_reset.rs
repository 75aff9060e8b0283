//! `reset_heap_high_water` racing allocations on other threads: the mark it leaves must
//! never stay below the live heap (a peak reached while the reset ran would be lost).

use lmms::memory::{heap_high_water_bytes, live_heap_bytes, reset_heap_high_water};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// A thread allocates 1 MiB, says so, holds it ~100 µs and frees it, over and over, while
/// this one resets the mark. Whenever the other thread's allocation has returned (its
/// count and any mark update done) and is still held, the mark must be at least the live
/// heap.
#[test]
fn a_reset_never_leaves_the_mark_below_the_live_heap() {
    let stop = Arc::new(AtomicBool::new(false));
    let holding = Arc::new(AtomicBool::new(false));
    let churn = {
        let (stop, holding) = (stop.clone(), holding.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                // Allocated, not filled: flagged as soon as the allocator returns.
                let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(1 << 20));
                holding.store(true, SeqCst);
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(100) {
                    std::hint::spin_loop();
                }
                holding.store(false, SeqCst);
                drop(v);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut lost = None;
    while Instant::now() < deadline && lost.is_none() {
        reset_heap_high_water().unwrap();
        // Long enough for an allocation that raced the reset to return and be flagged.
        let t = Instant::now();
        while t.elapsed() < Duration::from_micros(2) {
            std::hint::spin_loop();
        }
        let held = holding.load(SeqCst);
        let (live, mark) = (live_heap_bytes().unwrap(), heap_high_water_bytes().unwrap());
        if held && holding.load(SeqCst) && mark < live {
            lost = Some((mark, live));
        }
    }
    stop.store(true, SeqCst);
    churn.join().unwrap();
    assert_eq!(lost, None, "(mark, live heap) after a reset");
}
