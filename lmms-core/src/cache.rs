//! The result cache: opt-in per operation with `cache_ttl`.
//!
//! # Shape
//!
//! `#[lmms::operation(cache_ttl = "300s")]` emits, inside the generated wrapper, one
//! [`OpCache<K, V>`] static whose key `K` is the tuple of the operation's arguments and
//! whose value `V` is its result (the `Ok` value when the declared return type is a
//! `Result`: errors are never cached). The wrapper asks the cache **before** it enters the
//! call, so a hit never touches the module: it is not built, its heat is not counted and
//! its last use is not updated. A miss runs the normal path (fast path or slow path) and
//! stores the result before the call ends.
//!
//! # Hits take no lock and write nothing shared
//!
//! Each operation's cache is 64 shards, each an [`ArcSwapOption`] of an immutable table
//! (`cache/table.rs`). A hit hashes the key, loads its shard's table (arc-swap's load: a
//! store into this thread's own debt slot, no shared write, no lock), finds the entry,
//! checks its expiry and clones the value, then counts the hit in this thread's record
//! ([`crate::local`]), which sweeps and `stats()` sum. The key's `Hash` and `Eq` and the
//! value's `Clone` run there, with no lock held.
//!
//! Writers (inserts, evictions, purges) serialize on one process-wide index lock
//! (`cache/index.rs`) and publish a new table for each shard they change:
//! copy-on-write, but a table holds `Arc`s of entries, so a copy clones pointers, and an
//! entry is found by its stored hash and insertion sequence. No user `Hash`, `Eq`,
//! `Clone` or `Drop` runs while the lock is held: an insert hashes its key and looks for
//! the entry it replaces (user `Eq`) *before* taking the lock, then checks under the lock
//! that the shard's table is still the one it searched (else it searches again); removed
//! entries and replaced tables are dropped after the lock is released (or by the last
//! reader holding them). An insert copies one shard, `1/64` of the operation's entries.
//!
//! # Exact dependencies (LUGS protection 3)
//!
//! An entry counts toward its module's `cache_deps` for exactly as long as it is in the
//! index: `+1` when inserted, `-1` when it is replaced, evicted or purged as expired. All
//! four happen under the index lock, with the map change in the same critical section, so
//! the count equals the number of the module's entries in the maps at every unlock.
//! [`purge_expired`] runs at the start of every sweep and drops every entry whose expiry
//! has passed, in all operations, so a module whose last entry expired is unloadable by
//! that very sweep. (Between its expiry and the next sweep an expired entry is no longer
//! served, but it still counts: nothing happens to the module in between anyway, since
//! only sweeps unload.) The entry is stored while the miss's call still holds the module,
//! so a concurrent sweep sees either the active call or the dependency.
//!
//! # Bound and eviction order
//!
//! At most `CACHE_MAX_ENTRIES` entries live across all operations. An insert into a full
//! cache is never dropped: it evicts the entry **that expires soonest across all
//! operations**, ties (equal expiry) going to the oldest insert. With equal TTLs that is
//! plain FIFO; with mixed TTLs, a short-lived entry goes before a long-lived one, because
//! it is the one that would have released its module first. An expired entry that has not
//! been purged yet sorts first of all, so it is always the first to go.
//!
//! # Why hand-written
//!
//! Protection 3 needs an exact per-module count of live entries and expiry that releases
//! the module at once. General-purpose caches (moka, for one) report estimated entry
//! counts and expire lazily, so the part they would do (a hash map with a TTL) is smaller
//! than the part they cannot (the exact cross-operation index): this module is that small
//! structure, on `std`, `rustc-hash` and `arc-swap` (the published tables).

mod index;
mod table;

use crate::handle::OpHandle;
use crate::operation::OpCommon;
use arc_swap::ArcSwapOption;
use index::{CacheHandle, Slot};
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use table::{Entry, Table};

/// What an argument of a cached operation must be: the cache key is the tuple of the
/// arguments. Implemented for every `Hash + Eq + Clone + Send + Sync + 'static` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a result-cache key: arguments of a `cache_ttl` operation must be `Hash + Eq + Clone + Send + Sync + 'static`",
    label = "this argument is part of the cache key, so it must be `Hash + Eq + Clone + Send + Sync + 'static`",
    note = "the result cache looks results up by the tuple of the operation's arguments: derive or implement `Hash`, `PartialEq`, `Eq` and `Clone` for `{Self}`, or remove `cache_ttl`"
)]
pub trait CacheKey: Hash + Eq + Clone + Send + Sync + 'static {}
// `do_not_recommend`: report `T: CacheKey` (the message above), not each missing bound.
#[diagnostic::do_not_recommend]
impl<T: Hash + Eq + Clone + Send + Sync + 'static> CacheKey for T {}

/// The argument tuple of a cached operation: the key proper. Every argument being a
/// [`CacheKey`] makes the tuple one (for up to 12 arguments).
#[diagnostic::on_unimplemented(
    message = "the arguments `{Self}` of this `cache_ttl` operation cannot form its result-cache key",
    label = "the cache key is the tuple of these arguments",
    note = "each argument must be `Hash + Eq + Clone + Send + Sync + 'static`: the error on the argument's type says which is not"
)]
pub trait CacheKeyTuple: Hash + Eq + Clone + Send + Sync + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Hash + Eq + Clone + Send + Sync + 'static> CacheKeyTuple for T {}

/// What the result of a cached operation must be: each hit hands out a clone of the stored
/// value, on whichever thread calls (hence `Sync`). Implemented for every
/// `Clone + Send + Sync + 'static` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a cached result: the result of a `cache_ttl` operation must be `Clone + Send + Sync + 'static`",
    label = "this result is stored in the cache and cloned on every hit, so it must be `Clone + Send + Sync + 'static`",
    note = "derive or implement `Clone` for `{Self}` (or return an `Arc` of it), or remove `cache_ttl`"
)]
pub trait CacheValue: Clone + Send + Sync + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Clone + Send + Sync + 'static> CacheValue for T {}

/// The cached type as the cache's methods see it: the same requirement as [`CacheValue`],
/// reported at the attribute with a pointer to the error on the return type.
#[diagnostic::on_unimplemented(
    message = "the result `{Self}` of this `cache_ttl` operation cannot be cached",
    label = "this operation caches its results",
    note = "the result must be `Clone + Send + Sync + 'static` (see the error on the return type)"
)]
pub trait CachedResult: Clone + Send + Sync + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Clone + Send + Sync + 'static> CachedResult for T {}

/// A return type spelled `…Result<…>`: only its `Ok` value is cached, never an error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is named `Result` but is not `std::result::Result`: the result cache cannot tell its errors apart",
    label = "a `cache_ttl` operation returning a type named `Result` caches only its `Ok` values",
    note = "return `std::result::Result` (or an alias of it), or remove `cache_ttl`"
)]
pub trait CacheOk {
    /// The success type, which is what gets cached.
    type Ok;
    /// The success value, if this is one.
    fn cached_ok(&self) -> Option<&Self::Ok>;
    /// Wraps a cached success value back into the declared return type.
    fn from_cached(value: Self::Ok) -> Self;
}

impl<T, E> CacheOk for Result<T, E> {
    type Ok = T;
    #[inline]
    fn cached_ok(&self) -> Option<&T> {
        self.as_ref().ok()
    }
    #[inline]
    fn from_cached(value: T) -> Self {
        Ok(value)
    }
}

/// Compile-time check, spanned by the macro on an argument type.
#[inline(always)]
pub const fn assert_cache_key<T: CacheKey>() {}

/// Compile-time check, spanned by the macro on the return type.
#[inline(always)]
pub const fn assert_cache_value<T: CacheValue>() {}

/// Shards per operation: an insert copies one shard's table, so `1/SHARDS` of the
/// operation's entries (pointer copies).
const SHARDS: usize = 64;

/// The key's hash (Fx, like the registry's lookup table). Runs the key's `Hash`.
#[inline]
fn hash_of<K: Hash>(key: &K) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// The shard of a key hash: middle bits (the tables use the low bits for the bucket and
/// the top 7 as the tag, so both keep their spread within a shard).
#[inline]
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

/// The result cache of one operation: a static emitted by `#[lmms::operation]` when it
/// has `cache_ttl`. `K` is the argument tuple, `V` the cached result.
pub struct OpCache<K, V> {
    /// Published tables, by [`shard_of`] the key hash; `None` = no entry.
    shards: [ArcSwapOption<Table<K, V>>; SHARDS],
}

impl<K, V> OpCache<K, V> {
    /// An empty cache (a `static` initializer).
    pub const fn new() -> Self {
        Self {
            shards: [const { ArcSwapOption::const_empty() }; SHARDS],
        }
    }
}

impl<K: CacheKeyTuple, V: CachedResult> OpCache<K, V> {
    /// The cached result for `key` if it is live at `now_ms`, counting a hit or a miss on
    /// `op`. The call path's `OpCache::get` (in `call.rs`) checks the gateway for a fault
    /// and reads its clock first.
    #[inline]
    pub fn get_at(&self, op: &OpCommon, key: &K, now_ms: u64) -> Option<V> {
        let found = self.lookup_at(key, now_ms);
        match found {
            // Per thread: no shared cache line written by a hit.
            Some(_) => count_hit(op),
            None => {
                op.cache_misses.fetch_add(1, Relaxed);
            }
        }
        found
    }

    /// The bare lookup: a clone of the value stored for `key` if it is live at `now_ms`.
    /// Counts nothing (benchmarks use it as the baseline).
    #[inline]
    pub fn lookup_at(&self, key: &K, now_ms: u64) -> Option<V> {
        let hash = hash_of(key);
        let table = self.shards[shard_of(hash)].load();
        let entry = table.as_ref()?.find(hash, key)?;
        (entry.expires_ms > now_ms).then(|| entry.value.clone())
    }

    /// Stores `value` for `key`, expiring `cache_ttl` after `now_ms`; `op` is the operation
    /// this cache belongs to (its entry count and its module's dependency count follow the
    /// entry). Replaces an entry with the same key; when the cache holds `max` entries
    /// (across all operations), evicts first the entry that expires soonest (see the module
    /// docs). The call path's `OpCache::insert` (in `call.rs`) passes the gateway's clock
    /// and `cache_max_entries`.
    pub fn insert_at(
        &'static self,
        op: &'static dyn OpHandle,
        key: K,
        value: V,
        now_ms: u64,
        max: usize,
    ) {
        let ttl = op.common().meta.cache_ttl_ms.unwrap_or(0);
        if ttl == 0 || max == 0 {
            return;
        }
        // User code first, no lock held: the key's `Hash`, then its `Eq` against the
        // entries of the table this insert will replace.
        let hash = hash_of(&key);
        let s = shard_of(hash);
        let mut garbage = Garbage::default();
        let (mut index, seen, replaced) = loop {
            let seen = self.shards[s].load_full();
            let replaced = seen
                .as_ref()
                .and_then(|t| t.find(hash, &key))
                .map(|e| e.seq);
            let index = index::lock();
            if same_table(&*self.shards[s].load(), &seen) {
                break (index, seen, replaced);
            }
            // Another insert or removal published this shard meanwhile: search again.
            drop(index);
            garbage.push(seen);
        };
        let mut table = seen.as_deref().cloned().unwrap_or_default();
        if let Some(old) = replaced.and_then(|seq| table.remove(hash, seq)) {
            index::unlist(&mut index, &old);
            garbage.push(old);
        }
        // Make room before listing the new entry, so that it is never its own victim.
        while index.by_expiry.len() >= max {
            let Some(((_, victim), slot)) = index.by_expiry.pop_first() else {
                break;
            };
            index::release(slot.op);
            let here = std::ptr::addr_eq(slot.cache, self as *const Self);
            if here && shard_of(slot.hash) == s {
                // In the table being built: remove it there.
                if let Some(old) = table.remove(slot.hash, victim) {
                    garbage.push(old);
                }
            } else {
                slot.cache.remove(&[(slot.hash, victim)], &mut garbage);
            }
        }
        let expires_ms = now_ms.saturating_add(ttl);
        let seq = index.next_seq;
        index.next_seq += 1;
        table.add(Arc::new(Entry {
            hash,
            key,
            value,
            expires_ms,
            seq,
        }));
        let cache: &'static dyn CacheHandle = self;
        index
            .by_expiry
            .insert((expires_ms, seq), Slot { op, cache, hash });
        index::retain(op);
        garbage.push(self.shards[s].swap(Some(Arc::new(table))));
        drop(index);
        drop(seen);
        drop(garbage);
    }

    /// Live entries of this cache (including expired ones not yet purged).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.load().as_ref().map_or(0, |t| t.len()))
            .sum()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: CacheKeyTuple, V: CachedResult> CacheHandle for OpCache<K, V> {
    fn remove(&self, victims: &[(u64, u64)], garbage: &mut Garbage) {
        let mut shards: Vec<usize> = victims.iter().map(|&(h, _)| shard_of(h)).collect();
        shards.sort_unstable();
        shards.dedup();
        for s in shards {
            let Some(old) = self.shards[s].load_full() else {
                continue;
            };
            let mut table = (*old).clone();
            for &(hash, seq) in victims.iter().filter(|&&(h, _)| shard_of(h) == s) {
                if let Some(entry) = table.remove(hash, seq) {
                    garbage.push(entry);
                }
            }
            let new = (table.len() > 0).then(|| Arc::new(table));
            garbage.push(self.shards[s].swap(new));
            garbage.push(old);
        }
    }
}

/// Whether `current` is the table `seen` (both absent, or the same allocation).
fn same_table<T>(current: &Option<Arc<T>>, seen: &Option<Arc<T>>) -> bool {
    match (current, seen) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

/// Counts a hit of `op` in this thread's record; on the shared counter only when the
/// thread has none (it is being torn down) or the operation is not registered.
#[inline]
fn count_hit(op: &OpCommon) {
    let counted = crate::local::current().is_some_and(|rec| rec.count_cache_hit(op.index()));
    if !counted {
        op.cache_hits.fetch_add(1, Relaxed);
    }
}

pub(crate) use index::{purge_expired, Garbage};

/// Live entries of one operation (including expired ones not yet purged).
pub(crate) fn entries_of(op: &dyn OpHandle) -> usize {
    op.common().cache_entries.load(Relaxed)
}
