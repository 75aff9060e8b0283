//! What a hit reads: one shard's entries, an immutable table replaced whole
//! (copy-on-write) by writers under the index lock. Entries are behind `Arc`s, so copying
//! a table clones pointers only: no user `Clone`, `Hash` or `Eq` runs while a writer
//! holds the lock (entries are found by their stored hash and insertion sequence).

use std::collections::hash_map::{Entry as MapEntry, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// One stored result; immutable once published.
pub(super) struct Entry<K, V> {
    /// The key's hash (computed once, before any lock).
    pub hash: u64,
    pub key: K,
    pub value: V,
    /// Clock time (ms) from which the entry is expired (live while `now < expires_ms`).
    pub expires_ms: u64,
    /// Position in the global index (unique, increasing with each insert).
    pub seq: u64,
}

/// Hashes a `u64` that already is a hash: itself. Only `u64`s (the stored key hashes) are
/// ever hashed with it; other writes fold their bytes in so that it is still a hasher.
#[derive(Default)]
pub(super) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The entries of one shard of one operation's cache.
pub(super) struct Table<K, V> {
    /// By key hash; the hash map never hashes or compares a key.
    by_hash: HashMap<u64, Arc<Entry<K, V>>, BuildHasherDefault<PreHashed>>,
    /// Entries whose 64-bit hash equals that of another live entry with a different key
    /// (a full hash collision: rare, so a list).
    collided: Vec<Arc<Entry<K, V>>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            by_hash: HashMap::default(),
            collided: Vec::new(),
        }
    }
}

/// A copy that shares every entry (pointer clones only, no `K: Clone`/`V: Clone`).
impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table {
            by_hash: self.by_hash.clone(),
            collided: self.collided.clone(),
        }
    }
}

impl<K: Eq, V> Table<K, V> {
    /// The entry for `key`, whose hash is `hash`. Runs the key's `Eq` (user code): callers
    /// hold no lock.
    #[inline]
    pub fn find(&self, hash: u64, key: &K) -> Option<&Entry<K, V>> {
        if let Some(e) = self.by_hash.get(&hash) {
            if e.key == *key {
                return Some(e);
            }
        }
        if self.collided.is_empty() {
            return None;
        }
        self.collided
            .iter()
            .find(|e| e.hash == hash && e.key == *key)
            .map(|e| &**e)
    }
}

impl<K, V> Table<K, V> {
    /// Removes the entry inserted as `seq` (found by identity: no key comparison).
    pub fn remove(&mut self, hash: u64, seq: u64) -> Option<Arc<Entry<K, V>>> {
        if self.by_hash.get(&hash).is_some_and(|e| e.seq == seq) {
            let removed = self.by_hash.remove(&hash);
            // A collided entry with the same hash takes the freed place.
            if let Some(i) = self.collided.iter().position(|e| e.hash == hash) {
                let moved = self.collided.swap_remove(i);
                self.by_hash.insert(hash, moved);
            }
            return removed;
        }
        let i = self.collided.iter().position(|e| e.seq == seq)?;
        Some(self.collided.swap_remove(i))
    }

    /// Adds an entry whose key no entry of this table has (the caller checked, outside the
    /// lock, and removed the one it replaces).
    pub fn add(&mut self, entry: Arc<Entry<K, V>>) {
        match self.by_hash.entry(entry.hash) {
            MapEntry::Vacant(v) => {
                v.insert(entry);
            }
            MapEntry::Occupied(_) => self.collided.push(entry),
        }
    }

    /// Entries in the table (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(hash: u64, key: &'static str, seq: u64) -> Arc<Entry<&'static str, u32>> {
        Arc::new(Entry {
            hash,
            key,
            value: seq as u32,
            expires_ms: u64::MAX,
            seq,
        })
    }

    #[test]
    fn colliding_hashes_keep_both_entries_and_removal_goes_by_sequence() {
        let mut t = Table::default();
        t.add(entry(7, "a", 1));
        t.add(entry(7, "b", 2)); // same hash, different key
        t.add(entry(9, "c", 3));
        assert_eq!(t.len(), 3);
        assert_eq!(t.find(7, &"a").map(|e| e.seq), Some(1));
        assert_eq!(t.find(7, &"b").map(|e| e.seq), Some(2));
        assert!(t.find(7, &"c").is_none());
        let copy = t.clone();
        // Removing the mapped entry promotes the collided one.
        assert_eq!(t.remove(7, 1).map(|e| e.seq), Some(1));
        assert_eq!(t.find(7, &"b").map(|e| e.seq), Some(2));
        assert!(t.find(7, &"a").is_none());
        assert!(t.remove(7, 1).is_none(), "removed twice");
        assert_eq!(t.remove(7, 2).map(|e| e.seq), Some(2));
        assert_eq!(t.len(), 1);
        // The copy still has all three: copies share entries, not tables.
        assert_eq!(copy.len(), 3);
        assert_eq!(copy.find(7, &"a").map(|e| e.value), Some(1));
    }
}
