//! Stopping the background sweeper does not wait its interval out. (Its own process: the
//! gateway is process-wide, and `tests/sweeper.rs` configures it.)

use std::time::{Duration, Instant};

#[test]
fn a_sweeper_waiting_out_a_long_interval_stops_at_once() {
    let gw = lmms::gateway();
    // An hour, and an interval too long to add to the clock (a wait without end): stopping
    // wakes the thread, it does not wait the interval out.
    for interval in [Duration::from_secs(3600), Duration::MAX] {
        let sweeps = gw.stats().sweeps;
        gw.start_sweeper(interval);
        std::thread::sleep(Duration::from_millis(20));
        let t0 = Instant::now();
        gw.stop_sweeper();
        let took = t0.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "stop_sweeper took {took:?} with a {interval:?} interval"
        );
        assert_eq!(gw.stats().sweeps, sweeps, "no interval elapsed: no sweep");
    }
}
