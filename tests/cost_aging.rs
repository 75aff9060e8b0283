//! GreedyDual-Size-Frequency ages modules that stopped being used: a module's priority is
//! `L + uses × build_time / bytes` with the `L` in force at its *last use*, and `L` rises
//! to the priority of each module evicted. A module used a few times long ago therefore
//! goes, after enough evictions, before modules used once since — where a priority
//! computed with today's `L` for everyone would keep it forever, on its old uses.

#[path = "common/budget.rs"]
mod budget;

use budget::{budget_mb_high_above_rss, sized_module, MIB};
use lmms::{Config, ManualClock, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

// Every module: 16 MiB and a ~10 ms build, so all have the same cost per byte.
sized_module!(Early, "early", "early", early, 16, 10);
sized_module!(M1, "m1", "m1", m1, 16, 10);
sized_module!(M2, "m2", "m2", m2, 16, 10);
sized_module!(M3, "m3", "m3", m3, 16, 10);
sized_module!(M4, "m4", "m4", m4, 16, 10);
sized_module!(M5, "m5", "m5", m5, 16, 10);
sized_module!(M6, "m6", "m6", m6, 16, 10);
sized_module!(M7, "m7", "m7", m7, 16, 10);
sized_module!(M8, "m8", "m8", m8, 16, 10);
sized_module!(M9, "m9", "m9", m9, 16, 10);
sized_module!(M10, "m10", "m10", m10, 16, 10);
sized_module!(M11, "m11", "m11", m11, 16, 10);
sized_module!(M12, "m12", "m12", m12, 16, 10);

#[test]
fn a_module_used_long_ago_ages_out_behind_ones_used_since() {
    let clock = ManualClock::new();
    // Two 16 MiB modules fit under HIGH, a third reaches it. A working set of one
    // invocation (the module just used): every other module is outside it, so GDSF's
    // order among them decides.
    let config = Config::builder()
        .clock(lmms::Clock::manual(&clock))
        .memory_budget_mb(budget_mb_high_above_rss(40 * MIB))
        .working_set_invocations(1)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    let resident = |name: &str| gw.modules().iter().any(|m| m.name == name && m.resident);

    // `early` is used three times, then never again.
    for _ in 0..3 {
        early().unwrap();
    }
    clock.advance(Duration::from_secs(1));
    gw.sweep();

    // Then one new module a second, each used once, with a sweep after each.
    let later: [fn() -> Result<usize, lmms::Error>; 12] =
        [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12];
    let mut evicted_before_early = 0;
    let mut went_at = None;
    for (k, op) in later.iter().enumerate() {
        clock.advance(Duration::from_secs(1));
        op().unwrap();
        clock.advance(Duration::from_secs(1));
        let report = gw.sweep();
        assert!(
            report
                .unloads
                .iter()
                .all(|u| u.reason == UnloadReason::Pressure),
            "{report:?}"
        );
        evicted_before_early += report
            .unloaded
            .iter()
            .take_while(|n| n.as_str() != "early")
            .count();
        if !resident("early") {
            went_at = Some(k + 1);
            break;
        }
    }
    let modules: Vec<_> = gw
        .modules()
        .into_iter()
        .filter(|m| m.builds > 0)
        .map(|m| {
            (
                m.name,
                m.resident,
                m.bytes,
                m.mean_build_ns,
                m.uses_since_build,
            )
        })
        .collect();
    println!("[cost_aging] early went with module {went_at:?}, after {evicted_before_early} others; {modules:?}");
    // With its three uses priced at today's `L`, `early` would outrank every module used
    // once and never go.
    assert!(!resident("early"), "early never aged out: {modules:?}");
    // Nor did it go at once: newer modules went first, while `L` was still low.
    assert!(evicted_before_early > 0, "{modules:?}");
}
