//! A process whose calls stay on the slow path (the fast path off: never promoted, and
//! nothing unloaded) still gets the light fence on its pins: after one thread's first
//! 256 slow calls of an operation, the membarrier registration runs in the background,
//! and no call waits for it. Before that, nothing registers.

#[path = "common/membarrier.rs"]
mod membarrier;

use lmms::{Config, Init, InitError};
use std::time::{Duration, Instant};

#[lmms::module(name = "warm_table", policy = "core")]
pub struct WarmTable(Vec<u64>);
impl Init for WarmTable {
    fn init() -> Result<Self, InitError> {
        Ok(WarmTable((0..64).collect()))
    }
}

#[lmms::operation(interface = "warm", op = "get", module = WarmTable)]
pub fn get(t: &WarmTable, i: usize) -> u64 {
    t.0[i & 63]
}

#[test]
fn slow_path_calls_register_the_light_fence_in_the_background() {
    let config = Config::builder()
        .fast_path(false)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    for i in 0..255 {
        assert_eq!(get(i).unwrap(), i as u64 & 63);
    }
    // Time enough for a registration to show, had one been started.
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !lmms::membarrier_active(),
        "registered before the 256th call"
    );
    assert_eq!(get(300).unwrap(), 300 & 63);
    let Some(offered) = membarrier::membarrier_available() else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while lmms::membarrier_active() != offered && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(lmms::membarrier_active(), offered);
    // The calls keep working on the light side.
    for i in 0..1_000 {
        assert_eq!(get(i).unwrap(), i as u64 & 63);
    }
    assert!(lmms::gateway().operations().iter().all(|o| !o.fast_path));
}
