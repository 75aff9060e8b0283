//! The gateway's start and first call with a multi-thread tokio runtime's workers alive
//! (what a Lambda function written with `#[tokio::main]` has): no syscall whose cost grows
//! with the threads alive. Registering for expedited `membarrier` is such a call (an RCU
//! grace period once other threads exist: 9 ms measured in one call), so it is left to the
//! first unload that needs the heavy fence, or the first promotion.
//!
//! Asserted: the structural property (no registration at the start or the first call,
//! which builds a module and pins it); the registration once an unload needed the heavy
//! fence (where the kernel offers `membarrier`). Printed: the time of `gateway()` plus the
//! first call, and of that first unload, measured in this run (timings on a loaded 2-core
//! machine vary too much for a bound to be robust).

#[path = "common/membarrier.rs"]
mod membarrier;

use lmms::{Init, InitError};
use membarrier::membarrier_available;
use std::time::Instant;

#[lmms::module(name = "greeter", policy = "feature")]
pub struct Greeter(String);
impl Init for Greeter {
    fn init() -> Result<Self, InitError> {
        Ok(Greeter("hello".into()))
    }
}

#[lmms::operation(interface = "greeter", op = "greet", module = Greeter)]
pub fn greet(g: &Greeter, name: String) -> String {
    format!("{} {name}", g.0)
}

/// The threads of this process (`/proc/self/task`).
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn first_gateway_call_with_eight_workers_alive_does_not_register_membarrier() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(8)
        .enable_all()
        .build()
        .unwrap();
    // A multi-thread runtime starts its workers when it is built.
    let alive = threads();
    assert!(alive >= 9, "8 workers and the test thread: {alive} threads");

    let (start_and_first_call, answer) = rt.block_on(async {
        tokio::spawn(async {
            let t0 = Instant::now();
            let gw = lmms::gateway();
            let answer = greet("world".into());
            let took = t0.elapsed();
            assert!(gw.fault().is_none());
            (took, answer)
        })
        .await
        .unwrap()
    });
    assert_eq!(answer.unwrap(), "hello world");
    println!(
        "[gateway_start_threads] {alive} threads alive: gateway() + first call (a build) took \
         {:.3} ms",
        start_and_first_call.as_secs_f64() * 1e3
    );
    assert!(
        !lmms::membarrier_active(),
        "the start or the first call registered for membarrier"
    );

    // The first unload needs the heavy fence: the registration happens there.
    let t0 = Instant::now();
    assert!(lmms::gateway().unload("greeter").unwrap());
    let first_unload = t0.elapsed();
    let kernel_has_it = membarrier_available();
    println!(
        "[gateway_start_threads] first unload (registration included): {:.3} ms; membarrier \
         offered by the kernel: {kernel_has_it:?}, registered: {}",
        first_unload.as_secs_f64() * 1e3,
        lmms::membarrier_active()
    );
    if let Some(offered) = kernel_has_it {
        assert_eq!(lmms::membarrier_active(), offered);
    }
    // Calls after the registration take the light side and still see a live value.
    rt.block_on(async {
        for _ in 0..100 {
            assert_eq!(greet("again".into()).unwrap(), "hello again");
        }
    });
    drop(rt);
}
