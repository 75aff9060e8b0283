//! `configure` checks the settings it is handed (their fields are public): a bad one is
//! refused at once with an error naming it, and changes nothing — the next `configure`
//! still takes, and the gateway starts on that one, never on environment defaults.

use std::time::Duration;

#[test]
fn a_refused_configuration_changes_nothing() {
    let mut bad = lmms::Config::default();
    bad.grace_period = Duration::MAX;
    let err = lmms::configure(bad).unwrap_err();
    assert!(
        matches!(&err, lmms::Error::Config(m) if m.contains("UNLOAD_GRACE_PERIOD")),
        "{err}"
    );
    let mut nan = lmms::Config::default();
    nan.gb_seconds_per_cpu_second = f64::NAN;
    assert!(lmms::configure(nan).is_err());

    let good = lmms::Config::builder()
        .min_resident_modules(3)
        .grace_period(Duration::from_secs(7))
        .build()
        .unwrap();
    lmms::configure(good).unwrap();
    let gw = lmms::gateway();
    assert!(gw.fault().is_none());
    assert_eq!(gw.config().min_resident_modules, 3);
    assert_eq!(gw.config().grace_period, Duration::from_secs(7));
}
