//! Stopping the background sweeper does not wait its interval out. (Its own process: the
//! gateway is process-wide, and `tests/sweeper.rs` configures it.)

use std::sync::mpsc;
use std::time::Duration;

#[test]
fn a_sweeper_waiting_out_a_long_interval_stops_at_once() {
    let gw = lmms::gateway();
    // An hour, and an interval too long to add to the clock (a wait without end): stopping
    // wakes the thread, it does not wait the interval out.
    for interval in [Duration::from_secs(3600), Duration::MAX] {
        let sweeps = gw.stats().sweeps;
        gw.start_sweeper(interval);
        std::thread::sleep(Duration::from_millis(20));
        // Stopped on another thread and waited for with a bound: a sweeper that is not
        // woken fails the test instead of hanging it for the interval.
        let (done, stopped) = mpsc::channel();
        std::thread::spawn(move || {
            gw.stop_sweeper();
            let _ = done.send(());
        });
        assert!(
            stopped.recv_timeout(Duration::from_secs(10)).is_ok(),
            "stop_sweeper did not return within 10 s with a {interval:?} interval"
        );
        assert_eq!(gw.stats().sweeps, sweeps, "no interval elapsed: no sweep");
    }
}
