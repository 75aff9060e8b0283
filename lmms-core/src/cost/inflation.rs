//! GreedyDual-Size-Frequency's inflation `L`, kept as a history so that each module's
//! priority can take the `L` in force at its last use without a write on the call path.

/// The GreedyDual-Size-Frequency inflation `L` over time: the priority of the last module
/// evicted, raised at each eviction.
///
/// GDSF ages a module by the `L` in force when it was last used: its priority is
/// `L(last use) + uses × build_time / bytes`, so a module left unused while others were
/// evicted keeps an old, low `L` and goes before one in use since. Setting a priority at
/// every use would put a shared write on the call path, so the sweep keeps the history of
/// `L` instead (it only changes at evictions, under the sweep lock) and looks up each
/// candidate's `L` from its last-use time.
#[derive(Debug, Default)]
pub(crate) struct Inflation {
    /// `(clock ms, L from then on)`, in time order, `L` non-decreasing.
    log: Vec<(u64, f64)>,
    /// `L` before the first entry: 0, or the last entry dropped.
    before: f64,
}

/// Entries kept at most: past it the oldest go, and a module last used before the oldest
/// entry left gets that entry's `L` — a higher priority than it had, so it is kept longer,
/// never evicted early.
const INFLATION_LOG_MAX: usize = 1024;

impl Inflation {
    /// `L` now.
    pub fn current(&self) -> f64 {
        self.log.last().map_or(self.before, |&(_, l)| l)
    }

    /// `L` in force at clock time `ms` (a use in the same millisecond as an eviction
    /// counts as after it).
    pub fn at(&self, ms: u64) -> f64 {
        match self.log.partition_point(|&(t, _)| t <= ms) {
            0 => self.before,
            n => self.log[n - 1].1,
        }
    }

    /// An eviction at `now_ms` of a module of priority `h`: `L` becomes `h` (it never
    /// falls). `oldest_use_ms`: the earliest last use of any module still resident; older
    /// history is dropped.
    pub fn raise(&mut self, now_ms: u64, h: f64, oldest_use_ms: u64) {
        // A module of zero or unknown bytes has an infinite priority (`gdsf_priority`):
        // evicted anyway (past the limit), it must not make `L` infinite, which would tie
        // every later priority at infinity for good. `L` stays where it was.
        if !h.is_finite() {
            return;
        }
        let l = h.max(self.current());
        match self.log.last_mut() {
            Some(last) if last.0 >= now_ms => last.1 = l,
            _ => self.log.push((now_ms, l)),
        }
        // Keep the entry in force at `oldest_use_ms` and everything after it.
        let keep_from = self
            .log
            .partition_point(|&(t, _)| t <= oldest_use_ms)
            .saturating_sub(1)
            .max(self.log.len().saturating_sub(INFLATION_LOG_MAX));
        if let Some(&(_, l)) = keep_from.checked_sub(1).map(|i| &self.log[i]) {
            self.before = l;
        }
        self.log.drain(..keep_from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflation_is_looked_up_at_the_last_use() {
        let mut l = Inflation::default();
        assert_eq!((l.current(), l.at(5)), (0.0, 0.0));
        l.raise(100, 2.0, 0);
        l.raise(200, 1.0, 0); // never falls
        l.raise(300, 7.0, 0);
        assert_eq!(l.at(99), 0.0);
        assert_eq!(
            l.at(100),
            2.0,
            "a use in the eviction's millisecond counts as after it"
        );
        assert_eq!(l.at(250), 2.0);
        assert_eq!(l.at(u64::MAX), 7.0);
        // History older than the oldest resident module's last use goes, except the entry
        // in force then.
        l.raise(400, 8.0, 250);
        assert_eq!((l.at(250), l.at(0), l.log.len()), (2.0, 2.0, 3));
        for t in 0..5000 {
            l.raise(1000 + t, 9.0 + t as f64, 0);
        }
        assert_eq!(l.log.len(), INFLATION_LOG_MAX);
        assert!(
            l.at(0) >= 8.0,
            "past the cap, an old use gets a higher L, never a lower one"
        );
    }

    /// A module of zero (or unknown) bytes has an infinite priority; evicting one anyway
    /// (past the limit) must not make `L` infinite, which would erase every later
    /// priority's difference (∞ + x = ∞ for every module used after it).
    #[test]
    fn an_infinite_priority_does_not_make_inflation_infinite() {
        use crate::cost::gdsf_priority;
        let mut l = Inflation::default();
        l.raise(100, 3.0, 0);
        l.raise(200, gdsf_priority(l.current(), 1, 5, 0), 0);
        assert!(l.current().is_finite(), "L = {}", l.current());
        // Two modules used after it keep their order: 64 MiB rebuilt in 5 ms goes first.
        let (big_cheap, small_dear) = (
            gdsf_priority(l.at(300), 1, 5_000_000, 64 << 20),
            gdsf_priority(l.at(300), 1, 200_000_000, 1 << 20),
        );
        assert!(big_cheap < small_dear, "{big_cheap} vs {small_dear}");
    }
}
