//! LUGS's decision rules: which resident module to unload next, and why.
//!
//! The sweep ([`crate::lugs`]) asks [`Rule::pick`] for candidates one step at a time and
//! detaches them; this file only decides. Every rule keeps protections 1–3 (active calls,
//! hot operation, cache dependencies) and never touches a `core` module.
//!
//! * [`Rule::Idle`] — the seeds' clock rule: `utility` modules also wait out the grace
//!   period and keep the resident floor; `feature` modules go as soon as 1–3 pass. At HIGH
//!   pressure, grace and floor are ignored and modules go least recently used first, one a
//!   step, until pressure is below HIGH.
//! * [`Rule::Pressure`] — cost strategy with a memory budget: nothing below HIGH; at HIGH,
//!   lowest GreedyDual-Size-Frequency priority first among the modules *outside the working
//!   set* ([`crate::working_set`]), one a step, until below HIGH. A working-set module
//!   (used in recent invocations, or kept after thrashing) stays at HIGH
//!   ([`Protection::WorkingSet`]) and goes only at CRITICAL — pressure past the limit,
//!   counting the bytes of a build about to run — after every module outside it, kept
//!   modules last; once back under the limit, HIGH's rule applies again.
//! * [`Rule::BreakEven`] — cost strategy without a budget: a module goes once idle past its
//!   ski-rental break-even time (`utility`: and past the grace period, floor kept).
//!
//! See [`crate::cost`] for the two cost rules' derivation.

use crate::cost::{break_even_ms, gdsf_priority};
use crate::memory::Pressure;
use crate::module::{Policy, Protection};
use crate::order::sort_by;
use crate::working_set::Tier;

/// Why a module was unloaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnloadReason {
    /// Memory pressure at HIGH or above (either strategy).
    Pressure,
    /// Idle past its break-even time (cost strategy, no budget).
    BreakEven,
    /// The seeds' clock rule (idle strategy, or cost strategy with bytes unknown).
    IdleRule,
    /// [`Gateway::unload`](crate::Gateway::unload) asked for it.
    Explicit,
}

serialize_unit_enum!(UnloadReason {
    Pressure => 0 "pressure",
    BreakEven => 1 "break_even",
    IdleRule => 2 "idle_rule",
    Explicit => 3 "explicit",
});

/// One unload and the figures that decided it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Unload {
    /// The module.
    pub module: String,
    /// Why it went.
    pub reason: UnloadReason,
    /// Heap bytes its value held (measured at build), if known.
    pub bytes: Option<u64>,
    /// Heap bytes its drop gave back (counting allocator), if known.
    pub reclaimed_bytes: Option<u64>,
    /// Mean wall-clock build time, ns.
    pub build_ns: Option<u64>,
    /// Calls since it was built.
    pub uses: u64,
    /// Time since its last use, ms.
    pub idle_ms: u64,
    /// GreedyDual-Size-Frequency priority it was evicted at ([`UnloadReason::Pressure`]
    /// under the cost strategy).
    pub priority: Option<f64>,
    /// Its break-even idle time, ms ([`UnloadReason::BreakEven`]).
    pub break_even_ms: Option<u64>,
    /// Memory pressure when it was chosen, with a budget.
    pub pressure: Option<Pressure>,
    /// It was in the working set (used in recent invocations, or kept after thrashing):
    /// the pressure rule evicted it because the limit would otherwise have been passed.
    pub working_set: bool,
}

serialize_struct!(Unload {
    module,
    reason,
    bytes,
    reclaimed_bytes,
    build_ns,
    uses,
    idle_ms,
    priority,
    break_even_ms,
    pressure,
    working_set
});

/// What the rules know of one resident, non-`core` candidate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub index: usize,
    pub policy: Policy,
    pub bytes: Option<u64>,
    pub build_ns: Option<u64>,
    pub uses: u64,
    pub last_use_ms: u64,
    /// GDSF inflation `L` in force at its last use ([`crate::cost::Inflation::at`]).
    pub inflation: f64,
    /// Protections 1–3 as seen now (the detach re-checks 1 and 3 exactly).
    pub protected: Option<Protection>,
    /// Where it stands in the working set (read by the pressure rule only).
    pub tier: Tier,
}

/// The rule a sweep runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Rule {
    Idle,
    Pressure,
    BreakEven,
}

/// What a rule asks of one candidate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pick {
    pub index: usize,
    pub reason: UnloadReason,
    /// Checks the detach re-runs on exact figures: the module must have been idle at least
    /// this long (ms) at the moment of unloading.
    pub min_idle_ms: u64,
    pub priority: Option<f64>,
    pub break_even_ms: Option<u64>,
}

/// Settings the rules read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Knobs {
    pub grace_ms: u64,
    pub floor: usize,
    pub r: f64,
}

impl Rule {
    /// Whether this rule evicts one module a step and re-measures pressure between.
    pub fn emergency(self, pressure: Option<Pressure>) -> bool {
        let high = pressure.is_some_and(|p| p >= Pressure::High);
        match self {
            Rule::Idle | Rule::Pressure => high,
            Rule::BreakEven => false,
        }
    }

    /// The modules to try this step, in order, with the protection that keeps each of the
    /// others. `resident` counts every resident module (for the floor).
    pub fn pick(
        self,
        mut cands: Vec<Candidate>,
        pressure: Option<Pressure>,
        now: u64,
        resident: usize,
        k: Knobs,
    ) -> (Vec<Pick>, Vec<(usize, Protection)>) {
        let emergency = self.emergency(pressure);
        if self == Rule::Pressure && !emergency {
            // Under the budget: memory already paid for; nothing to gain.
            return (Vec::new(), Vec::new());
        }
        let priority = |c: &Candidate| {
            gdsf_priority(
                c.inflation,
                c.uses.max(1),
                c.build_ns.unwrap_or(0),
                c.bytes.unwrap_or(0),
            )
        };
        match self {
            Rule::Pressure => sort_by(&mut cands, |a, b| {
                (a.tier.cmp(&b.tier)).then_with(|| priority(a).total_cmp(&priority(b)))
            }),
            _ => sort_by(&mut cands, |a, b| a.last_use_ms.cmp(&b.last_use_ms)),
        }
        // Past the limit: the working set may go too (after everything outside it).
        let critical = pressure == Some(Pressure::Critical);
        let (mut picks, mut blocked) = (Vec::new(), Vec::new());
        let mut resident = resident;
        for c in cands {
            if let Some(p) = c.protected {
                blocked.push((c.index, p));
                continue;
            }
            if self == Rule::Pressure && c.tier != Tier::Outside && !critical {
                blocked.push((c.index, Protection::WorkingSet));
                continue;
            }
            let idle = now.saturating_sub(c.last_use_ms);
            let utility = c.policy == Policy::Utility;
            let mut pick = Pick {
                index: c.index,
                reason: UnloadReason::IdleRule,
                min_idle_ms: 0,
                priority: None,
                break_even_ms: None,
            };
            match self {
                _ if emergency => {
                    pick.reason = UnloadReason::Pressure;
                    pick.priority = (self == Rule::Pressure).then(|| priority(&c));
                }
                Rule::BreakEven => {
                    let t = break_even_ms(c.build_ns.unwrap_or(0), c.bytes.unwrap_or(0), k.r);
                    pick.reason = UnloadReason::BreakEven;
                    pick.break_even_ms = Some(t);
                    pick.min_idle_ms = if utility { t.max(k.grace_ms) } else { t };
                }
                _ => pick.min_idle_ms = if utility { k.grace_ms } else { 0 },
            }
            if idle < pick.min_idle_ms {
                let why = if utility && idle < k.grace_ms {
                    Protection::GracePeriod
                } else {
                    Protection::BelowBreakEven
                };
                blocked.push((c.index, why));
                continue;
            }
            if utility && !emergency && resident <= k.floor {
                blocked.push((c.index, Protection::ResidentFloor));
                continue;
            }
            picks.push(pick);
            resident = resident.saturating_sub(1);
            if emergency {
                // One a step: pressure is measured again before the next.
                break;
            }
        }
        (picks, blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: Knobs = Knobs {
        grace_ms: 30_000,
        floor: 0,
        r: 9.0,
    };

    fn cand(index: usize, bytes: u64, build_ms: u64, last_use_ms: u64) -> Candidate {
        Candidate {
            index,
            policy: Policy::Utility,
            bytes: Some(bytes),
            build_ns: Some(build_ms * 1_000_000),
            uses: 1,
            last_use_ms,
            inflation: 0.0,
            protected: None,
            tier: Tier::Outside,
        }
    }

    #[test]
    fn pressure_rule_waits_for_high_and_prefers_cheap_rebuilds_per_byte() {
        // A 64 MiB module that rebuilds in 5 ms vs. a 1 MiB one that takes 200 ms, used
        // longer ago: the big cheap one goes first.
        let cands = vec![cand(0, 1 << 20, 200, 0), cand(1, 64 << 20, 5, 50_000)];
        let (picks, _) = Rule::Pressure.pick(cands.clone(), Some(Pressure::Moderate), 60_000, 2, K);
        assert!(picks.is_empty());
        let (picks, _) = Rule::Pressure.pick(cands.clone(), Some(Pressure::High), 60_000, 2, K);
        assert_eq!(picks.iter().map(|p| p.index).collect::<Vec<_>>(), [1]);
        // The idle rule in the same emergency goes least recently used first.
        let (picks, _) = Rule::Idle.pick(cands, Some(Pressure::High), 60_000, 2, K);
        assert_eq!(picks.iter().map(|p| p.index).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn a_module_unused_since_earlier_evictions_ages_out_first() {
        // Same size and build time: the module last used before `L` rose to 40 goes first,
        // though it has four times the uses of the one used since.
        let mut old = cand(0, 1 << 20, 10, 1_000);
        old.uses = 4;
        let mut recent = cand(1, 1 << 20, 10, 50_000);
        recent.inflation = 40.0;
        let (picks, _) = Rule::Pressure.pick(vec![recent, old], Some(Pressure::High), 60_000, 2, K);
        assert_eq!(picks[0].index, 0);
        assert_eq!(picks[0].priority, Some(4.0 * 10e6 / (1 << 20) as f64));
    }

    #[test]
    fn high_spares_the_working_set_and_critical_takes_it_after_the_rest() {
        use Pressure::{Critical, High};
        // The working-set module is the cheapest per byte, yet at HIGH the one outside
        // goes; with none outside, HIGH evicts nothing and says why.
        let mut recent = cand(0, 64 << 20, 5, 50_000);
        recent.tier = Tier::Recent;
        let outside = cand(1, 1 << 20, 200, 0);
        let mut kept = cand(2, 32 << 20, 5, 0);
        kept.tier = Tier::Kept;
        let idx = |p: Vec<Pick>| p.iter().map(|p| p.index).collect::<Vec<_>>();
        let pick = |c: Vec<Candidate>, p| Rule::Pressure.pick(c, Some(p), 60_000, 3, K);
        assert_eq!(idx(pick(vec![recent, outside, kept], High).0), [1]);
        let (p, b) = pick(vec![recent, kept], High);
        assert!(p.is_empty());
        assert_eq!(
            b,
            [(0, Protection::WorkingSet), (2, Protection::WorkingSet)]
        );
        // Past the limit: outside first, then the working set, kept modules last.
        assert_eq!(idx(pick(vec![recent, outside, kept], Critical).0), [1]);
        assert_eq!(idx(pick(vec![kept, recent], Critical).0), [0]);
        assert_eq!(idx(pick(vec![kept], Critical).0), [2]);
        // The seeds' rule does not read the working set.
        let (p, _) = Rule::Idle.pick(vec![recent, kept], Some(High), 60_000, 2, K);
        assert_eq!(idx(p), [2]);
    }

    #[test]
    fn break_even_needs_its_idle_time_and_the_grace_period() {
        // 10 ms for 10 MiB: T* = 9.216 s, under the 30 s grace period for utility.
        let c = cand(0, 10 << 20, 10, 0);
        let (p, b) = Rule::BreakEven.pick(vec![c], None, 29_999, 1, K);
        assert!(p.is_empty() && b == [(0, Protection::GracePeriod)]);
        let (p, _) = Rule::BreakEven.pick(vec![c], None, 30_000, 1, K);
        assert_eq!(
            (p[0].break_even_ms, p[0].reason),
            (Some(9_216), UnloadReason::BreakEven)
        );
        // A feature module needs only its break-even time.
        let f = Candidate {
            policy: Policy::Feature,
            ..c
        };
        let (p, b) = Rule::BreakEven.pick(vec![f], None, 9_215, 1, K);
        assert!(p.is_empty() && b == [(0, Protection::BelowBreakEven)]);
        let (p, _) = Rule::BreakEven.pick(vec![f], None, 9_216, 1, K);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn floor_and_protections_hold() {
        let k = Knobs { floor: 1, ..K };
        let mut hot = cand(1, 1, 1, 0);
        hot.protected = Some(Protection::HotOperation);
        let (p, b) = Rule::Idle.pick(
            vec![cand(0, 1, 1, 0), hot, cand(2, 1, 1, 0)],
            None,
            60_000,
            3,
            k,
        );
        assert_eq!(p.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(b, [(1, Protection::HotOperation)]);
        let (p, b) = Rule::Idle.pick(vec![cand(0, 1, 1, 0), cand(2, 1, 1, 0)], None, 60_000, 2, k);
        assert_eq!((p.len(), b), (1, vec![(2, Protection::ResidentFloor)]));
    }
}
