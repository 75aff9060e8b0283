//! The result cache (SPEC section 3): opt-in per operation with `cache_ttl`.
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
//! Each per-operation map is behind its own mutex, which is all a hit takes. Every live
//! entry is also listed in one process-wide index, ordered by `(expiry, insertion
//! sequence)`; inserts, evictions and purges take that index's lock first and the
//! per-operation lock second (never the other way round), so the index and the maps always
//! agree.
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
//! structure, on `std` and `rustc-hash` only.

use crate::error::Error;
use crate::gateway::{ready, Gateway};
use crate::handle::OpHandle;
use crate::operation::OpCommon;
use crate::sync::lock_std;
use rustc_hash::FxHashMap;
use std::any::Any;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Mutex};

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
    note = "each argument must be `Hash + Eq + Clone + Send + Sync + 'static` (see the error on the argument's type), and there can be at most 12"
)]
pub trait CacheKeyTuple: Hash + Eq + Clone + Send + Sync + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Hash + Eq + Clone + Send + Sync + 'static> CacheKeyTuple for T {}

/// What the result of a cached operation must be: each hit hands out a clone of the stored
/// value. Implemented for every `Clone + Send + 'static` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a cached result: the result of a `cache_ttl` operation must be `Clone + Send + 'static`",
    label = "this result is stored in the cache and cloned on every hit, so it must be `Clone + Send + 'static`",
    note = "derive or implement `Clone` for `{Self}` (or return an `Arc` of it), or remove `cache_ttl`"
)]
pub trait CacheValue: Clone + Send + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Clone + Send + 'static> CacheValue for T {}

/// The cached type as the cache's methods see it: the same requirement as [`CacheValue`],
/// reported at the attribute with a pointer to the error on the return type.
#[diagnostic::on_unimplemented(
    message = "the result `{Self}` of this `cache_ttl` operation cannot be cached",
    label = "this operation caches its results",
    note = "the result must be `Clone + Send + 'static` (see the error on the return type)"
)]
pub trait CachedResult: Clone + Send + 'static {}
#[diagnostic::do_not_recommend]
impl<T: Clone + Send + 'static> CachedResult for T {}

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

/// One stored result.
struct Entry<V> {
    value: V,
    /// Clock time (ms) from which the entry is expired (live while `now < expires_ms`).
    expires_ms: u64,
    /// Position in the global index (unique, increasing with each insert).
    seq: u64,
}

/// The result cache of one operation: a static emitted by `#[lmms::operation]` when it
/// has `cache_ttl`. `K` is the argument tuple, `V` the cached result.
pub struct OpCache<K, V> {
    /// `None` until the first insert (`HashMap::with_hasher` is not `const` on the MSRV).
    map: Mutex<Option<FxHashMap<Arc<K>, Entry<V>>>>,
}

impl<K, V> OpCache<K, V> {
    /// An empty cache (a `static` initializer).
    pub const fn new() -> Self {
        Self {
            map: Mutex::new(None),
        }
    }
}

impl<K: CacheKeyTuple, V: CachedResult> OpCache<K, V> {
    /// The cached result for `key`, counting a hit or a miss on `op`. Errs only when the
    /// gateway has a fault (the same error entering the call would give).
    #[inline]
    pub fn get(&self, op: &OpCommon, key: &K) -> Result<Option<V>, Error> {
        let gw = ready()?;
        let found = self.lookup_at(key, gw.now_ms());
        let counter = match found {
            Some(_) => &op.cache_hits,
            None => &op.cache_misses,
        };
        counter.fetch_add(1, Relaxed);
        Ok(found)
    }

    /// The bare map lookup: a clone of the value stored for `key` if it is live at
    /// `now_ms`. Counts nothing and needs no gateway (benchmarks use it as the baseline).
    #[inline]
    pub fn lookup_at(&self, key: &K, now_ms: u64) -> Option<V> {
        let map = lock_std(&self.map);
        let entry = map.as_ref()?.get(key)?;
        (entry.expires_ms > now_ms).then(|| entry.value.clone())
    }

    /// Stores `value` for `key`, expiring `cache_ttl` from now; `op` is the operation this
    /// cache belongs to (its entry count and its module's dependency count follow the
    /// entry). Replaces an entry with the same key; when the cache is full, evicts first
    /// the entry that expires soonest (see the module docs).
    pub fn insert(&'static self, op: &'static dyn OpHandle, key: K, value: V) {
        let gw = crate::gateway::gateway();
        let ttl = op.common().meta.cache_ttl_ms.unwrap_or(0);
        let max = gw.config.cache_max_entries;
        if ttl == 0 || max == 0 {
            return;
        }
        let key = Arc::new(key);
        let mut garbage = Garbage::default();
        let mut index = lock_std(&INDEX);
        let expires_ms = gw.now_ms().saturating_add(ttl);
        let seq = index.next_seq;
        index.next_seq += 1;
        let old = lock_std(&self.map)
            .get_or_insert_with(FxHashMap::default)
            .insert(
                Arc::clone(&key),
                Entry {
                    value,
                    expires_ms,
                    seq,
                },
            );
        if let Some(old) = old {
            if let Some(slot) = index.by_expiry.remove(&(old.expires_ms, old.seq)) {
                release(slot.op);
                garbage.slots.push(slot);
            }
            garbage.values.push(Box::new(old));
        }
        // Make room before listing the new entry, so that it is never its own victim.
        while index.by_expiry.len() >= max {
            let Some(((_, victim), slot)) = index.by_expiry.pop_first() else {
                break;
            };
            garbage.take(slot, victim);
        }
        let cache: &'static dyn CacheHandle = self;
        index.by_expiry.insert(
            (expires_ms, seq),
            Slot {
                op,
                cache,
                key: key as Arc<dyn Any + Send + Sync>,
            },
        );
        retain(op);
        drop(index);
        drop(garbage);
    }

    /// Live entries of this cache (including expired ones not yet purged).
    pub fn len(&self) -> usize {
        lock_std(&self.map).as_ref().map_or(0, |m| m.len())
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Type-erased removal, for evictions and purges driven by the global index.
trait CacheHandle: Sync + 'static {
    /// Removes the entry for `key` if it is the one inserted as `seq`; returns it (to be
    /// dropped after the locks are released).
    fn remove(&self, key: &(dyn Any + Send + Sync), seq: u64) -> Option<Box<dyn Send>>;
}

impl<K: CacheKeyTuple, V: CachedResult> CacheHandle for OpCache<K, V> {
    fn remove(&self, key: &(dyn Any + Send + Sync), seq: u64) -> Option<Box<dyn Send>> {
        let key = key.downcast_ref::<K>()?;
        let mut map = lock_std(&self.map);
        let map = map.as_mut()?;
        if map.get(key)?.seq != seq {
            return None;
        }
        map.remove(key).map(|e| Box::new(e) as Box<dyn Send>)
    }
}

/// One live entry in the global index.
struct Slot {
    op: &'static dyn OpHandle,
    cache: &'static dyn CacheHandle,
    key: Arc<dyn Any + Send + Sync>,
}

/// Every live entry of every operation, soonest expiry first.
struct Index {
    /// `(expires_ms, seq)` → entry. The first key is the next to expire (and to evict).
    by_expiry: BTreeMap<(u64, u64), Slot>,
    next_seq: u64,
}

static INDEX: Mutex<Index> = Mutex::new(Index {
    by_expiry: BTreeMap::new(),
    next_seq: 0,
});

/// Removed entries, dropped once the locks are released (a value's `Drop` may be user
/// code: it must not run under the cache's locks).
#[derive(Default)]
struct Garbage {
    slots: Vec<Slot>,
    values: Vec<Box<dyn Send>>,
}

impl Garbage {
    /// Removes `slot`'s entry from its map and releases its dependency.
    fn take(&mut self, slot: Slot, seq: u64) {
        if let Some(value) = slot.cache.remove(&*slot.key, seq) {
            self.values.push(value);
        }
        release(slot.op);
        self.slots.push(slot);
    }
}

/// An entry of `op` went live: count it on the operation and on its module.
fn retain(op: &dyn OpHandle) {
    op.common().cache_entries.fetch_add(1, SeqCst);
    if let Some(m) = op.module() {
        m.cache_deps_counter().fetch_add(1, SeqCst);
    }
}

/// An entry of `op` is gone: the exact inverse of [`retain`].
fn release(op: &dyn OpHandle) {
    op.common().cache_entries.fetch_sub(1, SeqCst);
    if let Some(m) = op.module() {
        m.cache_deps_counter().fetch_sub(1, SeqCst);
    }
}

/// Drops every entry whose expiry is at or before `now_ms`, in all operations, releasing
/// their modules' dependencies; returns how many. Runs at the start of every sweep.
pub(crate) fn purge_expired(_gw: &Gateway, now_ms: u64) -> usize {
    let mut garbage = Garbage::default();
    let mut index = lock_std(&INDEX);
    while let Some(first) = index.by_expiry.first_entry() {
        if first.key().0 > now_ms {
            break;
        }
        let ((_, seq), slot) = first.remove_entry();
        garbage.take(slot, seq);
    }
    drop(index);
    garbage.slots.len()
}

/// Live entries of one operation (including expired ones not yet purged).
pub(crate) fn entries_of(op: &dyn OpHandle) -> usize {
    op.common().cache_entries.load(Relaxed)
}
