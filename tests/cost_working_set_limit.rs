//! At the limit the working set goes too, and an eviction counts the call that built the
//! module. `filler` (used at every invocation) holds the process at HIGH (~95 % of the
//! budget); `burst` is built for the first time in a later invocation, with the process
//! already at HIGH — so a sweep makes room first (it can evict nothing: `filler` is in the
//! working set) and sees `burst`'s call before its build — and takes the process past its
//! budget (CRITICAL). At that boundary the working set is no longer safe: the module cheapest
//! to lose per byte, `burst`, goes — reporting the one use it had, the call that built it —
//! and eviction stops once under the limit, though still at HIGH: `filler` stays.

#[path = "common/budget.rs"]
mod budget;

use budget::{configure_filled_to, rss, sized_module, MIB};
use lmms::memory::Pressure;
use lmms::{Protection, UnloadReason};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

// `filler` is slow to build (dear to lose per byte), `burst` is not.
sized_module!(Filler, "filler", "filler", filler, 24, 60);
sized_module!(Burst, "burst", "burst", burst, 24);

#[test]
fn critical_evicts_from_the_working_set_until_under_the_limit() {
    let clock = configure_filled_to(24 * MIB, 95);
    let gw = lmms::gateway();
    let budget = gw.config().memory_budget_bytes.unwrap();
    let figures = |what: &str| {
        format!(
            "{what}: RSS {:.1} MiB of {:.1} MiB; {:?}",
            rss() as f64 / MIB as f64,
            budget as f64 / MIB as f64,
            gw.modules()
                .iter()
                .map(|m| (m.name, m.resident, m.builds, m.uses_since_build))
                .collect::<Vec<_>>()
        )
    };

    filler().unwrap();
    filler().unwrap();
    clock.advance(Duration::from_secs(1));
    let r = gw.sweep();
    assert_eq!(r.pressure, Some(Pressure::High), "{}", figures("filler"));
    assert_eq!(r.blocked, [("filler".to_string(), Protection::WorkingSet)]);

    filler().unwrap();
    burst().unwrap();
    clock.advance(Duration::from_secs(1));
    let before = figures("burst built");
    let r = gw.sweep();
    let after = figures("after the boundary");
    println!("[cost_working_set_limit] {before}\n[cost_working_set_limit] {after}\n{r:?}");
    assert_eq!(r.pressure, Some(Pressure::Critical), "{before}");
    assert_eq!(r.unloaded, ["burst"], "{after}");
    let u = &r.unloads[0];
    assert_eq!(u.reason, UnloadReason::Pressure);
    assert_eq!(u.pressure, Some(Pressure::Critical));
    assert!(u.working_set, "{u:?}");
    assert_eq!(u.uses, 1, "the call that built it is a use: {u:?}");
    // Back under the limit but at HIGH: the rest of the working set stays.
    assert_eq!(gw.pressure(), Some(Pressure::High), "{after}");
    assert!(gw
        .modules()
        .iter()
        .any(|m| m.name == "filler" && m.resident));
    assert!(r
        .blocked
        .contains(&("filler".to_string(), Protection::WorkingSet)));
}
