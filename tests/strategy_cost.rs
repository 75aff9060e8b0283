//! The shared scenario under the cost strategy: the module cheapest to rebuild per byte
//! goes first, though another was used longer ago (see `common/strategy_scenario.rs`).

#[path = "common/strategy_scenario.rs"]
mod scenario;

#[test]
fn cost_drops_the_cheapest_rebuild_per_byte_first() {
    let report = scenario::run(lmms::UnloadStrategy::Cost);
    assert_eq!(
        report.unloaded.first().map(String::as_str),
        Some("old_cheap"),
        "{report:?}"
    );
    assert!(
        !report.unloaded.iter().any(|m| m == "old_small"),
        "{report:?}"
    );
    assert_eq!(report.unloads[0].reason, lmms::UnloadReason::Pressure);
}
