//! An operation reaches its fast path within a bounded number of calls after it crosses
//! `FAST_PATH_THRESHOLD` — with no sweep at all (a Lambda function may see none for
//! minutes): every 64th slow call on a thread checks the operation it ran.

use lmms::{Config, Init, InitError};
use std::time::Duration;

#[lmms::module(name = "promo", policy = "utility")]
pub struct Promo(u64);
impl Init for Promo {
    fn init() -> Result<Self, InitError> {
        Ok(Promo(9))
    }
}
#[lmms::operation(interface = "promo", op = "get", module = Promo)]
pub fn get(p: &Promo) -> u64 {
    p.0
}

#[test]
fn hot_within_a_bounded_number_of_calls_without_a_sweep() {
    let config = Config::builder()
        .fast_path_threshold(50)
        // No end-of-call sweep in this test's lifetime, and no explicit one.
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let fast = || gw.operations().iter().any(|o| o.op == "get" && o.fast_path);
    let mut promoted_at = None;
    for call in 1..=400u64 {
        assert_eq!(get().unwrap(), 9);
        if promoted_at.is_none() && fast() {
            promoted_at = Some(call);
        }
    }
    let at = promoted_at.expect("never reached the fast path in 400 calls");
    println!("[promotion] threshold 50: on the fast path after call {at}");
    // Past the threshold (51 calls) plus at most one check interval of 64 calls.
    assert!((51..=51 + 64).contains(&at), "promoted at call {at}");
    assert_eq!(gw.stats().sweeps, 0, "no sweep ran");
    assert!(gw.stats().zafp_hits > 0);
}
