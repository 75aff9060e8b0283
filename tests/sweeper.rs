//! The optional background sweeper: it unloads an idle module without any call or explicit
//! sweep, and stops cleanly.

use lmms::{Config, Init, InitError};
use std::time::{Duration, Instant};

#[lmms::module(policy = "feature")]
pub struct Scratch(Vec<u8>);

impl Init for Scratch {
    fn init() -> Result<Self, InitError> {
        Ok(Scratch(vec![3; 1 << 16]))
    }
}

#[lmms::operation(interface = "scratch", op = "len", module = Scratch)]
pub fn len(s: &Scratch) -> usize {
    s.0.len()
}

fn resident() -> bool {
    lmms::gateway()
        .modules()
        .iter()
        .any(|m| m.name == "scratch" && m.resident)
}

#[test]
fn background_sweeper_unloads_idle_modules_and_stops() {
    // No end-of-call sweeps: only the background thread can unload.
    lmms::configure(
        Config::builder()
            .sweep_interval(Duration::from_secs(1 << 30))
            .build()
            .unwrap(),
    )
    .unwrap();
    let gw = lmms::gateway();
    assert_eq!(len().unwrap(), 1 << 16);
    assert!(resident());
    gw.start_sweeper(Duration::from_millis(5));
    let deadline = Instant::now() + Duration::from_secs(10);
    while resident() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !resident(),
        "the sweeper did not unload the idle feature module"
    );
    gw.stop_sweeper();
    let sweeps = gw.stats().sweeps;
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        gw.stats().sweeps,
        sweeps,
        "no sweep after stop_sweeper returned"
    );
    // Stopping twice, or without a sweeper, is fine.
    gw.stop_sweeper();
}
