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

#[cfg(test)]
mod tests {
    use super::*;

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
