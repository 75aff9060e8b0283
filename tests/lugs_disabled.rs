//! `ENABLE_MODULE_UNLOADING=false`: LUGS never unloads, whatever the policy.

use lmms::{Config, Init, InitError, ManualClock};
use std::time::Duration;

#[lmms::module(policy = "feature")]
pub struct Report(Vec<u8>);

impl Init for Report {
    fn init() -> Result<Self, InitError> {
        Ok(Report(vec![0; 4096]))
    }
}

#[lmms::operation(interface = "report", op = "size", module = Report)]
pub fn size(r: &Report) -> usize {
    r.0.len()
}

#[test]
fn unloading_disabled_keeps_every_module() {
    let clock = ManualClock::new();
    lmms::configure(
        Config::builder()
            .clock(lmms::Clock::manual(&clock))
            .unloading(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(size().unwrap(), 4096);
    clock.advance(Duration::from_secs(24 * 3600));
    let report = lmms::gateway().sweep();
    assert!(
        report.unloaded.is_empty() && report.blocked.is_empty(),
        "{report:?}"
    );
    assert!(lmms::gateway().modules()[0].resident);
}
