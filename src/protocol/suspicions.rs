//! A node's running suspicion timers (memberlist `nodeTimers`), found through
//! the view of their member.
//!
//! Each suspect message received about a member whose suspicion is running
//! (and not yet full) reads that suspicion, and in a sick cluster the read is
//! cold: a thousand nodes each keep a hundred or more. A hash map costs a
//! hash, a probe of its control bytes (a cache line of its own) and then the
//! entry. Here the member's view, read first anyway, holds the index of the
//! entry in a dense table ([`SuspicionSlot`]): the lookup is that one entry.
//! Messages about members with no suspicion cost nothing beyond the view.
//!
//! The index is a byte, so a node's first [`NO_SUSPICION`] suspicions are
//! found through it; one running at a later index (a node suspecting more
//! than 255 members at once) is found through an overflow map instead, empty
//! otherwise. Freed entries within the byte's range are reused before any
//! beyond it, so the overflow is used only while that many run; among them
//! the one freed last comes first, as its line may still be cached (reusing
//! the lowest first instead cost 2 % more CPU on a starved 1,000-node run).
//!
//! Determinism: the table is only looked up, inserted into and removed from,
//! never iterated, so which entry holds which suspicion cannot reach a result.

use super::idmap::FlatIdMap;
use super::node::SuspicionTimer;
use super::NodeId;

/// Where a node's suspicion table keeps the suspicion about one member, kept
/// in the member's view.
///
/// The contract, kept by [`SuspicionTable`]'s only caller (the node's
/// `start_suspicion` and `take_suspicion`): while a suspicion about the
/// member runs, its view holds the index [`SuspicionTable::insert`] returned;
/// otherwise [`NO_SUSPICION`]. A suspicion at an index a byte cannot hold has
/// [`NO_SUSPICION`] too and is found through the overflow map.
pub(super) type SuspicionSlot = u8;

/// No suspicion, or one past the byte's range (see [`SuspicionSlot`]).
pub(super) const NO_SUSPICION: SuspicionSlot = SuspicionSlot::MAX;

/// The running suspicions of one node.
#[derive(Clone, Debug, Default)]
pub(super) struct SuspicionTable {
    /// Dense: `None` marks a free entry.
    entries: Vec<Option<SuspicionTimer>>,
    /// Free entries below [`NO_SUSPICION`], the one freed last on top.
    free_low: Vec<u32>,
    /// Free entries from [`NO_SUSPICION`] on.
    free_high: Vec<u32>,
    /// The entry of each suspicion at an index from [`NO_SUSPICION`] on.
    overflow: FlatIdMap<u32>,
    len: usize,
}

impl SuspicionTable {
    /// Running suspicions.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The entry of `node`'s suspicion, given the slot its view holds.
    #[inline(always)]
    fn find(&self, node: NodeId, slot: SuspicionSlot) -> Option<usize> {
        let at = if slot != NO_SUSPICION {
            usize::from(slot)
        } else if self.overflow.is_empty() {
            return None;
        } else {
            *self.overflow.get(&node)? as usize
        };
        // Test builds check the contract on every lookup.
        #[cfg(test)]
        assert!(
            self.entries[at].as_ref().is_some_and(|s| s.node == node),
            "BUG! the view's suspicion slot {slot} of node {node} is stale"
        );
        Some(at)
    }

    /// `node`'s running suspicion (`slot`: its view's [`SuspicionSlot`]).
    #[inline(always)]
    pub(super) fn get(&self, node: NodeId, slot: SuspicionSlot) -> Option<&SuspicionTimer> {
        self.find(node, slot)
            .and_then(|at| self.entries[at].as_ref())
    }

    /// `node`'s running suspicion, to change it.
    #[inline(always)]
    pub(super) fn get_mut(
        &mut self,
        node: NodeId,
        slot: SuspicionSlot,
    ) -> Option<&mut SuspicionTimer> {
        self.find(node, slot)
            .and_then(|at| self.entries[at].as_mut())
    }

    /// Start keeping `timer` (about `timer.node`, which has none running);
    /// returns the slot its view must hold.
    pub(super) fn insert(&mut self, timer: SuspicionTimer) -> SuspicionSlot {
        let node = timer.node;
        let at = match self.free_low.pop().or_else(|| self.free_high.pop()) {
            Some(at) => at,
            None => {
                self.entries.push(None);
                (self.entries.len() - 1) as u32
            }
        };
        debug_assert!(self.entries[at as usize].is_none());
        self.entries[at as usize] = Some(timer);
        self.len += 1;
        match SuspicionSlot::try_from(at) {
            Ok(slot) if slot != NO_SUSPICION => slot,
            _ => {
                self.overflow.insert(node, at);
                NO_SUSPICION
            }
        }
    }

    /// Stop keeping `node`'s suspicion, if one runs (`slot`: its view's,
    /// which must then become [`NO_SUSPICION`]).
    pub(super) fn remove(&mut self, node: NodeId, slot: SuspicionSlot) -> Option<SuspicionTimer> {
        let at = self.find(node, slot)?;
        let timer = self.entries[at].take();
        self.len -= 1;
        if at >= usize::from(NO_SUSPICION) {
            self.overflow.remove(&node);
            self.free_high.push(at as u32);
        } else {
            self.free_low.push(at as u32);
        }
        timer
    }
}

#[cfg(test)]
mod tests {
    use super::super::suspicion::Suspicion;
    use super::*;

    fn timer(node: NodeId) -> SuspicionTimer {
        SuspicionTimer {
            node,
            token: node + 7,
            timer: Suspicion::new(1, 2, 10, 60, 0),
        }
    }

    /// Rule: a suspicion is found exactly while it runs, through its view's
    /// slot, also beyond the 255 a slot can hold (the overflow map), and
    /// freed entries below that are reused (the last freed first) before any
    /// above it.
    #[test]
    fn suspicions_are_found_through_their_slots_beyond_a_byte_too() {
        let mut table = SuspicionTable::default();
        let mut views = vec![NO_SUSPICION; 600];
        for node in 0..600u32 {
            assert!(table.get(node, views[node as usize]).is_none());
            views[node as usize] = table.insert(timer(node));
        }
        assert_eq!(table.len(), 600);
        assert!(views[..255].iter().all(|&s| s != NO_SUSPICION));
        assert!(views[255..].iter().all(|&s| s == NO_SUSPICION));
        for node in 0..600u32 {
            let s = table.get(node, views[node as usize]).expect("running");
            assert_eq!((s.node, s.token), (node, node + 7));
        }
        // Free some on either side of the byte's range, in mixed order.
        for node in [599u32, 3, 300, 254, 0, 256, 100] {
            let s = table.remove(node, views[node as usize]).expect("running");
            assert_eq!(s.node, node);
            views[node as usize] = NO_SUSPICION;
            assert!(table.get(node, NO_SUSPICION).is_none());
            assert!(table.remove(node, NO_SUSPICION).is_none());
        }
        assert_eq!(table.len(), 593);
        // New suspicions take the freed low indices first, the last freed
        // first, then the high ones.
        let slots: Vec<_> = (1000..1005u32).map(|n| table.insert(timer(n))).collect();
        assert_eq!(slots, vec![100, 0, 254, 3, NO_SUSPICION]);
        for (n, slot) in (1000..1005u32).zip(slots) {
            assert_eq!(table.get(n, slot).map(|s| s.node), Some(n));
        }
        let removed = [599u32, 3, 300, 254, 0, 256, 100];
        for node in (0..600u32).filter(|n| !removed.contains(n)) {
            let slot = views[node as usize];
            assert_eq!(table.get(node, slot).map(|s| s.node), Some(node));
        }
        assert_eq!(table.len(), 598);
    }
}
