//! The read side of the per-thread counters: sums over every live record and the totals of
//! exited threads, taken under the records lock (sweeps, promotion checks, `stats()`).
//! Each call is counted exactly once, before and after its thread exits (invariant 2 of
//! the parent module).

use super::RECORDS;
use crate::sync::lock_std;

/// Total calls per operation over all threads, live and exited, and the fast-path share
/// of them per operation.
pub(crate) fn totals(ops: usize) -> (Vec<u64>, Vec<u64>) {
    let sum = summed(ops);
    // Slow-path counts first, then fast-path counts, then cache hits.
    let (slow, rest) = sum.split_at(ops);
    let fast = &rest[..ops];
    let calls = slow
        .iter()
        .zip(fast)
        .map(|(s, f)| s.saturating_add(*f))
        .collect();
    (calls, fast.to_vec())
}

/// Result-cache hits per operation over all threads, live and exited (those counted in
/// thread records: see `cache::count_hit`).
pub(crate) fn cache_hits(ops: usize) -> Vec<u64> {
    summed(ops).split_off(2 * ops)
}

/// Every record's counts (`3 * ops` of them: slow-path calls, fast-path calls, cache hits),
/// summed over live and exited threads.
fn summed(ops: usize) -> Vec<u64> {
    let records = lock_std(&RECORDS);
    let mut sum = vec![0u64; 3 * ops];
    let mut add = |counts: &mut dyn Iterator<Item = u64>| {
        for (t, c) in sum.iter_mut().zip(counts) {
            *t = t.saturating_add(c);
        }
    };
    add(&mut records.retired_calls.iter().copied());
    for rec in &records.live {
        add(&mut rec.counts(&records));
    }
    sum
}

/// Total calls of operation `op` over all threads, live and exited (`ops` operations in
/// all): the promotion check between sweeps, O(threads).
pub(crate) fn total_of(op: usize, ops: usize) -> u64 {
    let records = lock_std(&RECORDS);
    let at = |i: usize| [i, ops + i];
    let retired = at(op).iter().fold(0u64, |t, &i| {
        t.saturating_add(records.retired_calls.get(i).copied().unwrap_or(0))
    });
    records.live.iter().fold(retired, |t, rec| {
        t.saturating_add(rec.slow_calls(op))
            .saturating_add(rec.fast_calls(op, &records))
    })
}
