//! No thrash under a memory budget: a large module used every other invocation, beside
//! small modules used at every one, with the process at HIGH pressure (~95 % of the budget)
//! whenever the large one is resident. The process is under its limit, and the large
//! module is part of the working set (used within the last two invocations): it is built
//! once and kept — not evicted at each boundary only to be rebuilt at the next use, which
//! leaves the peak where it was and pays a rebuild every other invocation.

#[path = "common/budget.rs"]
mod budget;

use budget::{configure_filled_to, rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::Protection;
use std::time::{Duration, Instant};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

// The large one is cheap to rebuild per byte: the first GDSF would evict.
sized_module!(Table, "table", "table", table, 40);
sized_module!(SmallA, "small_a", "small_a", small_a, 4, 20);
sized_module!(SmallB, "small_b", "small_b", small_b, 4, 20);

#[test]
fn a_large_module_used_every_other_invocation_is_built_once() {
    let clock = configure_filled_to(48 * MIB, 95);
    let gw = lmms::gateway();
    let budget = gw.config().memory_budget_bytes.unwrap();
    let builds = |name: &str| gw.modules().iter().find(|m| m.name == name).unwrap().builds;

    for invocation in 0..10 {
        small_a().unwrap();
        small_b().unwrap();
        if invocation % 2 == 0 {
            table().unwrap();
        }
        clock.advance(Duration::from_secs(1));
        let t0 = Instant::now();
        let report = gw.sweep();
        let sweep = t0.elapsed();
        let figures = format!(
            "invocation {invocation}: sweep {sweep:?}; RSS {:.1} MiB of {:.1} MiB; table built {} \
             times; {report:?}",
            rss() as f64 / MIB as f64,
            budget as f64 / MIB as f64,
            builds("table"),
        );
        println!("[cost_thrash] {figures}");
        // The scenario: HIGH, not past the limit, at every boundary.
        assert_eq!(report.pressure, Some(Pressure::High), "{figures}");
        assert!(report.unloaded.is_empty(), "{figures}");
        assert!(
            report
                .blocked
                .contains(&("table".to_string(), Protection::WorkingSet)),
            "{figures}"
        );
    }
    assert_eq!(builds("table"), 1);
    let stats = gw.stats();
    assert_eq!((stats.lugs_unloads, stats.thrash_rebuilds), (0, 0));
    assert!(stats.thrash.is_none());
}
