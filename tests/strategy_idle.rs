//! The shared scenario under the idle strategy (the seeds' rule): the least recently used
//! module goes first, however long it takes to rebuild (see `common/strategy_scenario.rs`).

#[path = "common/strategy_scenario.rs"]
mod scenario;

#[test]
fn idle_drops_the_least_recently_used_first() {
    let report = scenario::run(lmms::UnloadStrategy::Idle);
    assert_eq!(
        report.unloaded.first().map(String::as_str),
        Some("old_small"),
        "{report:?}"
    );
    assert_eq!(report.unloads[0].reason, lmms::UnloadReason::Pressure);
    // Still at HIGH after that megabyte: the 24 MiB module went too.
    assert_eq!(report.unloaded, ["old_small", "old_cheap"], "{report:?}");
}
