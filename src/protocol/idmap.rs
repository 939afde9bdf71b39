//! A hash map keyed by [`NodeId`] for per-node bookkeeping that must stay small
//! (proportional to what is in flight, not to the cluster) and O(1) to look up.
//!
//! Why not a dense `Vec` by NodeId: every node keeps its own copy, so n entries
//! per node are n² in all (400 MB of `u32`s at 10,000 nodes). Why not a
//! `BTreeMap`: these maps are hit once per received broadcast part, and a
//! B-tree search plus node splits cost far more than one multiply.
//!
//! Determinism: an `IdMap` is only ever looked up, inserted into and removed from
//! — never iterated — so its (fixed, unseeded) hash order cannot reach a result.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::NodeId;

/// `HashMap<NodeId, V>` with a fixed multiplicative hash (no per-process seed).
pub type IdMap<V> = HashMap<NodeId, V, BuildHasherDefault<IdHasher>>;

/// A folded 64×64→128 multiply of the id: cheap, and both halves of the hash
/// (the SwissTable uses the top bits as tags and the low bits as the bucket)
/// depend on every bit of the id.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by NodeId keys; a correct (slow) fallback for any other key.
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        let p = u128::from(self.0 ^ i) * u128::from(MULTIPLIER);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}

/// A [`NodeId`] → `V` map stored flat: one array of `(key, value)` entries,
/// linear probing, at most half full.
///
/// Why, beside [`IdMap`]: a SwissTable keeps its control bytes apart from its
/// entries, so a lookup in a cold table costs two cache misses; here the probe
/// lands on the entry itself (one miss). It pays where lookups dominate and
/// tables are cold — the broadcast queue's index of a sick cluster, touched for
/// every state message received and sent by a thousand nodes. Deletion shifts
/// the following entries back (no tombstones), so the table never degrades.
///
/// Determinism: like [`IdMap`] it is only looked up, inserted into and removed
/// from — never iterated.
#[derive(Clone, Debug)]
pub struct FlatIdMap<V> {
    /// `EMPTY` keys mark free entries; the length is 0 or a power of two.
    entries: Vec<(NodeId, V)>,
    len: usize,
    /// `64 − log2(capacity)`: the hash's top bits pick the home entry.
    shift: u32,
}

/// The key of a free entry (never a node: node ids are indices, far below it).
const EMPTY: NodeId = NodeId::MAX;

impl<V: Copy + Default> Default for FlatIdMap<V> {
    fn default() -> Self {
        FlatIdMap {
            entries: Vec::new(),
            len: 0,
            shift: 64,
        }
    }
}

impl<V: Copy + Default> FlatIdMap<V> {
    /// Fibonacci hashing: consecutive ids spread over the whole table.
    fn home(&self, key: NodeId) -> usize {
        (u64::from(key).wrapping_mul(MULTIPLIER) >> self.shift) as usize
    }

    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    /// Index of `key`'s entry, if present.
    fn find(&self, key: NodeId) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            match self.entries[i].0 {
                k if k == key => return Some(i),
                EMPTY => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries allocated (a power of two, at least twice the length).
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    pub fn contains_key(&self, key: &NodeId) -> bool {
        self.find(*key).is_some()
    }

    pub fn get(&self, key: &NodeId) -> Option<&V> {
        self.find(*key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &NodeId) -> Option<&mut V> {
        self.find(*key).map(|i| &mut self.entries[i].1)
    }

    /// Insert or replace; returns the value replaced.
    pub fn insert(&mut self, key: NodeId, value: V) -> Option<V> {
        assert!(key != EMPTY, "BUG! node id {key} is the free-entry marker");
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            match self.entries[i].0 {
                k if k == key => return Some(std::mem::replace(&mut self.entries[i].1, value)),
                EMPTY => {
                    self.entries[i] = (key, value);
                    self.len += 1;
                    return None;
                }
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Where `key`'s entry is, to reach it again without a second probe
    /// ([`FlatIdMap::at_mut`], [`FlatIdMap::remove_at`]) while the map is not
    /// changed in between.
    pub fn slot(&self, key: &NodeId) -> Option<usize> {
        self.find(*key)
    }

    /// The value in `slot` (from [`FlatIdMap::slot`], the map unchanged since).
    pub fn at(&self, slot: usize) -> &V {
        debug_assert!(self.entries[slot].0 != EMPTY, "BUG! a stale slot");
        &self.entries[slot].1
    }

    /// The value in `slot`, to change it (as [`FlatIdMap::at`]).
    pub fn at_mut(&mut self, slot: usize) -> &mut V {
        debug_assert!(self.entries[slot].0 != EMPTY, "BUG! a stale slot");
        &mut self.entries[slot].1
    }

    /// Remove `key`, shifting back the entries of its probe run (Knuth's
    /// algorithm R), so lookups never meet a tombstone.
    pub fn remove(&mut self, key: &NodeId) -> Option<V> {
        let hole = self.find(*key)?;
        Some(self.remove_at(hole))
    }

    /// Remove the entry in `slot` (from [`FlatIdMap::slot`], the map unchanged
    /// since), as [`FlatIdMap::remove`] does.
    pub fn remove_at(&mut self, slot: usize) -> V {
        debug_assert!(self.entries[slot].0 != EMPTY, "BUG! a stale slot");
        let mut hole = slot;
        let value = self.entries[hole].1;
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let k = self.entries[j].0;
            if k == EMPTY {
                break;
            }
            let home = self.home(k);
            // Move `k` back into the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = self.entries[j];
                hole = j;
            }
        }
        self.entries[hole] = (EMPTY, V::default());
        self.len -= 1;
        value
    }

    pub fn clear(&mut self) {
        self.entries.fill((EMPTY, V::default()));
        self.len = 0;
    }

    /// Double the table (16 entries at first) and re-place every entry.
    fn grow(&mut self) {
        let cap = (self.entries.len() * 2).max(16);
        let old = std::mem::replace(&mut self.entries, vec![(EMPTY, V::default()); cap]);
        self.shift = 64 - cap.trailing_zeros();
        self.len = 0;
        for (k, v) in old {
            if k != EMPTY {
                self.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: the flat map sees exactly what a B-tree map sees, through growth
    /// and back-shifting deletes, on a seeded random mix of operations (by key
    /// and through a slot).
    #[test]
    fn flat_id_map_matches_a_btree_map() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for keys in [8u64, 100, 5000] {
            let mut m: FlatIdMap<u32> = FlatIdMap::default();
            let mut r: std::collections::BTreeMap<NodeId, u32> = Default::default();
            for step in 0..60_000u32 {
                let k = (next() % keys) as NodeId;
                match next() % 7 {
                    0 | 1 => assert_eq!(m.insert(k, step), r.insert(k, step)),
                    2 | 3 => assert_eq!(m.remove(&k), r.remove(&k)),
                    // The same through a slot: one probe, then reach or remove it.
                    4 => match m.slot(&k) {
                        Some(i) => {
                            assert_eq!(Some(m.at(i)), r.get(&k));
                            assert_eq!(Some(m.remove_at(i)), r.remove(&k));
                        }
                        None => assert_eq!(r.get(&k), None),
                    },
                    5 => {
                        if let Some(i) = m.slot(&k) {
                            *m.at_mut(i) += 2;
                            *r.get_mut(&k).unwrap() += 2;
                        }
                        assert_eq!(m.get(&k), r.get(&k));
                    }
                    _ => {
                        assert_eq!(m.get(&k), r.get(&k));
                        if let Some(v) = m.get_mut(&k) {
                            *v += 1;
                            *r.get_mut(&k).unwrap() += 1;
                        }
                    }
                }
                assert_eq!(m.len(), r.len());
                if step % 20_000 == 19_999 {
                    for k in 0..keys as NodeId {
                        assert_eq!(m.get(&k), r.get(&k), "key {k}");
                    }
                    m.clear();
                    r.clear();
                }
            }
        }
    }

    /// Rule: lookups see exactly what was inserted and not removed.
    #[test]
    fn id_map_behaves_as_a_map() {
        let mut m: IdMap<u32> = IdMap::default();
        for id in 0..10_000u32 {
            m.insert(id * 7, id);
        }
        for id in (0..10_000u32).step_by(2) {
            assert_eq!(m.remove(&(id * 7)), Some(id));
        }
        for id in 0..10_000u32 {
            let want = (id % 2 == 1).then_some(id);
            assert_eq!(m.get(&(id * 7)).copied(), want);
        }
    }
}
