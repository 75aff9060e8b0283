//! The cost strategy needs bytes: without the counting allocator it falls back to the idle
//! rule (the seeds' clock rule) and the sweep report says so.

use lmms::{Config, Init, InitError, ManualClock, UnloadReason};
use std::time::Duration;

#[lmms::module(name = "fb_feature", policy = "feature")]
pub struct Feat(Vec<u8>);
impl Init for Feat {
    fn init() -> Result<Self, InitError> {
        Ok(Feat(vec![1; 4096]))
    }
}
#[lmms::operation(interface = "fb", op = "get", module = Feat)]
pub fn get(m: &Feat) -> usize {
    m.0.len()
}

#[test]
fn bytes_unknown_means_the_idle_rule_and_the_report_says_so() {
    let clock = ManualClock::new();
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    get().unwrap();
    let info = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "fb_feature")
        .unwrap();
    assert_eq!(info.bytes, None, "unknown, never 0");
    assert!(info.mean_build_ns.is_some());
    let r = gw.sweep();
    assert_eq!(r.strategy, Some(lmms::UnloadStrategy::Cost));
    assert!(
        r.fallback
            .as_deref()
            .is_some_and(|f| f.contains("bytes unknown")),
        "{r:?}"
    );
    // The idle rule: a feature module goes at the first sweep after its use.
    assert_eq!(r.unloaded, ["fb_feature"]);
    assert_eq!(r.unloads[0].reason, UnloadReason::IdleRule);
}
