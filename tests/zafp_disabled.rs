//! `ENABLE_FAST_PATH=false`: operations still heat up (and protect their module) but no
//! slot is ever filled.

use lmms::{Config, Heat, ManualClock};

#[lmms::operation(interface = "calc", op = "double")]
pub fn double(x: u32) -> u32 {
    x * 2
}

#[lmms::module]
pub struct Table(Vec<u32>);

impl lmms::Init for Table {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Table((0..100).collect()))
    }
}

#[lmms::operation(interface = "calc", op = "lookup", module = Table)]
pub fn lookup(t: &Table, i: usize) -> u32 {
    t.0[i]
}

#[test]
fn fast_path_disabled_never_fills_a_slot() {
    let clock = ManualClock::new();
    lmms::configure(
        Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .fast_path(false)
            .fast_path_threshold(5)
            .build()
            .unwrap(),
    )
    .unwrap();
    for i in 0..20 {
        assert_eq!(double(i).unwrap(), i * 2);
        assert_eq!(lookup(i as usize).unwrap(), i);
    }
    lmms::gateway().sweep();
    let ops = lmms::gateway().operations();
    assert!(
        ops.iter().all(|o| o.heat == Heat::Hot && !o.fast_path),
        "{ops:?}"
    );
    for i in 0..20 {
        assert_eq!(lookup(i).unwrap(), i as u32);
    }
    assert_eq!(lmms::gateway().stats().zafp_hits, 0);
}
