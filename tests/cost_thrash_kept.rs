//! Thrash under a memory budget is counted, stopped and reported. A module used every third
//! invocation is outside the working set (the last two invocations) at the boundary before
//! its next use, so HIGH pressure evicts it — a module not used recently is cheap to lose.
//! When it is built again one invocation later, that is thrash: it is counted, the module is
//! kept at HIGH from then on, and a warning in the sweep's report, `Stats` and the
//! `[LMMS_STATS]` line gives the working set's measured size and the memory size that would
//! hold it.

#[path = "common/budget.rs"]
mod budget;

use budget::{configure_filled_to, rss, sized_module, MIB};
use lmms::memory::{Pressure, RecommendOptions, Recommendation};
use lmms::{Protection, SweepReport, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

sized_module!(Steady, "steady", "steady", steady, 8, 20);
sized_module!(Periodic, "periodic", "periodic", periodic, 16);

#[test]
fn a_module_rebuilt_after_its_pressure_eviction_is_kept_and_reported() {
    // Both resident: ~95 % (HIGH); `steady` alone: well below HIGH.
    let clock = configure_filled_to(24 * MIB, 95);
    let gw = lmms::gateway();
    let budget = gw.config().memory_budget_bytes.unwrap();
    let builds = |name: &str| gw.modules().iter().find(|m| m.name == name).unwrap().builds;
    let invocation = |k: u32| -> SweepReport {
        steady().unwrap();
        if k % 3 == 0 {
            periodic().unwrap();
        }
        clock.advance(Duration::from_secs(1));
        let report = gw.sweep();
        println!(
            "[cost_thrash_kept] invocation {k}: RSS {:.1} MiB of {:.1} MiB, periodic built {} \
             times; {report:?}",
            rss() as f64 / MIB as f64,
            budget as f64 / MIB as f64,
            builds("periodic")
        );
        report
    };

    // 0: both used, both in the working set. 1: `periodic` used one invocation ago, still in.
    for k in 0..2 {
        let r = invocation(k);
        assert_eq!(r.pressure, Some(Pressure::High), "{r:?}");
        assert!(r.unloaded.is_empty(), "{r:?}");
    }
    // 2: `periodic` last used two invocations ago: outside the working set, evicted at HIGH.
    let r = invocation(2);
    assert_eq!(r.pressure, Some(Pressure::High), "{r:?}");
    assert_eq!(r.unloaded, ["periodic"], "{r:?}");
    let u = &r.unloads[0];
    assert_eq!(
        (u.reason, u.working_set, u.uses),
        (UnloadReason::Pressure, false, 1)
    );
    assert!(r.thrash.is_none());

    // 3: built again one invocation after its eviction: thrash, reported by this boundary.
    let r = invocation(3);
    assert_eq!(builds("periodic"), 2);
    assert!(r.unloaded.is_empty(), "{r:?}");
    let w = r.thrash.clone().expect("thrash reported");
    println!("[cost_thrash_kept] {}", w.message);
    assert_eq!(w.kept, ["periodic"]);
    assert_eq!(w.thrash_rebuilds, 1);
    let mut ws = w.working_set.clone();
    ws.sort();
    assert_eq!(ws, ["periodic", "steady"]);
    assert!(w.working_set_bytes >= 24 * MIB, "{w:?}");
    // Both resident: what the process needs is its RSS at the sweep.
    assert!(w.needed_rss_bytes >= budget * 9 / 10, "{w:?}");
    let rec = Recommendation::for_peak(
        w.needed_rss_bytes,
        &RecommendOptions::new((budget / MIB) as u32, Duration::ZERO),
    );
    assert_eq!(w.recommended_mb, rec.recommended_mb);
    assert!(w.recommended_mb as u64 > budget / MIB, "{w:?}");
    assert_eq!(w.budget_mb, budget / MIB);

    // 4, 5: at 5 `periodic` is outside the recent invocations again, but kept at HIGH.
    for k in 4..6 {
        let r = invocation(k);
        assert_eq!(r.pressure, Some(Pressure::High), "{r:?}");
        assert!(r.unloaded.is_empty(), "{r:?}");
        assert!(r.thrash.is_none(), "reported once");
        assert!(r
            .blocked
            .contains(&("periodic".to_string(), Protection::WorkingSet)));
    }
    // 6: used again, no rebuild.
    invocation(6);
    assert_eq!(builds("periodic"), 2);

    let stats = gw.stats();
    assert_eq!(stats.thrash_rebuilds, 1);
    assert_eq!(stats.thrash.as_ref(), Some(&w));
    let line = stats.log_line();
    assert!(line.contains("\"thrash_rebuilds\":1"), "{line}");
    assert!(
        line.contains(&format!("\"recommended_mb\":{}", w.recommended_mb)),
        "{line}"
    );
    assert!(
        line.contains(&format!("\"working_set_bytes\":{}", w.working_set_bytes)),
        "{line}"
    );
}
