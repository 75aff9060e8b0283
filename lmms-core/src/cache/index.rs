//! Every live entry of every operation's cache in one process-wide index, soonest expiry
//! first: the bound (`CACHE_MAX_ENTRIES`), eviction order, expiry purges and the exact
//! dependency counts all live here. Writers only: a hit never touches it.

use super::table::Entry;
use crate::handle::OpHandle;
use crate::sync::lock_std;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Mutex;

/// Type-erased removal, for evictions and purges driven by the index.
pub(super) trait CacheHandle: Sync + 'static {
    /// Removes the entries `(hash, seq)` (identified by insertion sequence: no key is
    /// hashed or compared) and publishes the new tables; what is removed goes to
    /// `garbage`. Called with the index lock held.
    fn remove(&self, victims: &[(u64, u64)], garbage: &mut Garbage);
}

/// One live entry in the index.
pub(super) struct Slot {
    pub op: &'static dyn OpHandle,
    pub cache: &'static dyn CacheHandle,
    /// The entry's key hash (which shard of `cache` holds it).
    pub hash: u64,
}

/// Every live entry of every operation.
pub(super) struct Index {
    /// `(expires_ms, seq)` → entry. The first key is the next to expire (and to evict).
    pub by_expiry: BTreeMap<(u64, u64), Slot>,
    pub next_seq: u64,
}

pub(super) static INDEX: Mutex<Index> = Mutex::new(Index {
    by_expiry: BTreeMap::new(),
    next_seq: 0,
});

/// Locks the index (the only lock of the cache; hits never take it).
pub(super) fn lock() -> std::sync::MutexGuard<'static, Index> {
    lock_std(&INDEX)
}

/// Removed entries and replaced tables, dropped once the lock is released: dropping the
/// last reference to an entry runs its key's and value's `Drop` (user code). Each is
/// dropped on its own inside `catch_unwind`: a panicking `Drop` neither escapes (into a
/// sweep or the call that inserted) nor, with a second one, aborts the process.
#[derive(Default)]
pub(crate) struct Garbage(Vec<Box<dyn Send>>);

impl Garbage {
    pub(super) fn push<T: Send + 'static>(&mut self, thing: T) {
        self.0.push(Box::new(thing));
    }

    /// Drops everything held now (call it with no runtime lock held); a panic in a `Drop`
    /// is contained.
    pub(crate) fn release(&mut self) {
        for thing in std::mem::take(&mut self.0) {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(thing)));
        }
    }
}

impl Drop for Garbage {
    fn drop(&mut self) {
        self.release();
    }
}

/// An entry of `op` went live: count it on the operation and on its module.
pub(super) fn retain(op: &dyn OpHandle) {
    op.common().cache_entries.fetch_add(1, SeqCst);
    if let Some(m) = op.module() {
        m.cache_deps_counter().fetch_add(1, SeqCst);
    }
}

/// An entry of `op` is gone: the exact inverse of [`retain`].
pub(super) fn release(op: &dyn OpHandle) {
    op.common().cache_entries.fetch_sub(1, SeqCst);
    if let Some(m) = op.module() {
        m.cache_deps_counter().fetch_sub(1, SeqCst);
    }
}

/// Unlists the entry `(expires_ms, seq)` (replaced by a new one for its key) and releases
/// its dependency.
pub(super) fn unlist<K, V>(index: &mut Index, entry: &Entry<K, V>) {
    if let Some(slot) = index.by_expiry.remove(&(entry.expires_ms, entry.seq)) {
        release(slot.op);
    }
}

/// Unlists every entry whose expiry is at or before `now_ms`, in all operations, releasing
/// their modules' dependencies; returns how many, and the entries, not dropped yet. Runs at
/// the start of every sweep, under the sweep lock: the sweep drops the garbage (the cached
/// values' `Drop`, user code that may call the gateway) once it has released that lock.
pub(crate) fn purge_expired(now_ms: u64) -> (usize, Garbage) {
    let mut garbage = Garbage::default();
    let mut index = lock();
    let mut expired: Vec<(&'static dyn CacheHandle, u64, u64)> = Vec::new();
    while let Some(first) = index.by_expiry.first_entry() {
        if first.key().0 > now_ms {
            break;
        }
        let ((_, seq), slot) = first.remove_entry();
        release(slot.op);
        expired.push((slot.cache, slot.hash, seq));
    }
    // One new table per touched shard, not one per entry: group by cache.
    let addr =
        |e: &(&dyn CacheHandle, u64, u64)| e.0 as *const dyn CacheHandle as *const () as usize;
    crate::order::sort_by(&mut expired, |a, b| addr(a).cmp(&addr(b)));
    for group in expired.chunk_by(|a, b| std::ptr::addr_eq(a.0, b.0)) {
        let victims: Vec<(u64, u64)> = group.iter().map(|&(_, h, s)| (h, s)).collect();
        group[0].0.remove(&victims, &mut garbage);
    }
    drop(index);
    (expired.len(), garbage)
}

#[cfg(test)]
mod tests {
    use super::super::table::{Entry, Table};
    use super::super::{hash_of, shard_of, OpCache};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    static CACHE: OpCache<(u64,), u64> = OpCache::new();

    #[test]
    fn a_hit_does_not_wait_for_the_index_lock() {
        let key = (7u64,);
        let hash = hash_of(&key);
        let mut table = Table::default();
        table.add(Arc::new(Entry {
            hash,
            key,
            value: 49,
            expires_ms: 100,
            seq: 0,
        }));
        CACHE.shards[shard_of(hash)].store(Some(Arc::new(table)));
        // Every writer is blocked from here on; a hit on another thread is not.
        let held = super::lock();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(CACHE.lookup_at(&(7,), 99)).ok());
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(Some(49)),
            "a hit waited for the index lock"
        );
        assert_eq!(CACHE.lookup_at(&(7,), 100), None, "served at its expiry");
        assert_eq!(CACHE.lookup_at(&(8,), 0), None);
        drop(held);
        assert_eq!(CACHE.len(), 1);
    }
}
