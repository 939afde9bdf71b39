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
//! the one freed last comes first, as its line may still be cached.
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
/// `suspect_node` and `take_suspicion`): while a suspicion about the
/// member runs, its view holds the index [`SuspicionTable::insert`] returned;
/// otherwise [`NO_SUSPICION`]. A suspicion at an index a byte cannot hold has
/// [`NO_SUSPICION`] too and is found through the overflow map.
pub(super) type SuspicionSlot = u8;

/// No suspicion, or one past the byte's range (see [`SuspicionSlot`]).
pub(super) const NO_SUSPICION: SuspicionSlot = SuspicionSlot::MAX;

/// The running suspicions of one node.
///
/// 32 bytes, as the hash map it replaced: every node holds one, and a larger
/// node took a cache line more (the 10,000-node healthy run's nodes grew from
/// 896 to 960 bytes with an 80-byte table).
#[derive(Clone, Debug)]
pub(super) struct SuspicionTable {
    /// Every entry, running or free: it grows (doubling) only when no entry
    /// is free, so its length is also its capacity.
    entries: Box<[Entry]>,
    /// The free entry below [`NO_SUSPICION`] freed last, heading a list
    /// through the free entries themselves ([`NO_ENTRY`]: none). In the
    /// entries, not in a list of their own: a free list's top was a cold line
    /// of its own, read for every suspicion started or dropped.
    free_low: u32,
    /// The same for the free entries from [`NO_SUSPICION`] on.
    free_high: u32,
    /// The entry of each suspicion at an index from [`NO_SUSPICION`] on;
    /// allocated only once one runs there.
    overflow: Option<Box<FlatIdMap<u32>>>,
    /// Running suspicions (test builds).
    #[cfg(test)]
    len: usize,
}

#[cfg(not(test))]
const _: () = assert!(std::mem::size_of::<SuspicionTable>() == 32);

/// One entry of a [`SuspicionTable`].
#[derive(Clone, Debug)]
enum Entry {
    Running(SuspicionTimer),
    /// Free, with the next free entry of its list.
    Free {
        next: u32,
    },
}

// A free entry costs no byte more than a running one.
const _: () = assert!(std::mem::size_of::<Entry>() == std::mem::size_of::<SuspicionTimer>());

impl Entry {
    #[inline(always)]
    fn running(&self) -> Option<&SuspicionTimer> {
        match self {
            Entry::Running(s) => Some(s),
            Entry::Free { .. } => None,
        }
    }

    #[inline(always)]
    fn running_mut(&mut self) -> Option<&mut SuspicionTimer> {
        match self {
            Entry::Running(s) => Some(s),
            Entry::Free { .. } => None,
        }
    }
}

/// The end of a free list.
const NO_ENTRY: u32 = u32::MAX;

/// Entries of a table's first allocation.
const FIRST_ENTRIES: usize = 8;

impl SuspicionTable {
    pub(super) fn new() -> SuspicionTable {
        SuspicionTable {
            entries: Box::default(),
            free_low: NO_ENTRY,
            free_high: NO_ENTRY,
            overflow: None,
            #[cfg(test)]
            len: 0,
        }
    }

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
        } else {
            *self.overflow.as_ref()?.get(&node)? as usize
        };
        // Test builds check the contract on every lookup.
        #[cfg(test)]
        assert!(
            self.entries[at].running().is_some_and(|s| s.node == node),
            "BUG! the view's suspicion slot {slot} of node {node} is stale"
        );
        Some(at)
    }

    /// Ask for the line of the suspicion at `slot` (a member view's), without
    /// reading it ([`crate::prefetch::prefetch`]); nothing when the view keeps
    /// no slot (no suspicion, or one in the overflow map).
    pub(super) fn prefetch(&self, slot: SuspicionSlot) {
        if slot == NO_SUSPICION {
            return;
        }
        if let Some(entry) = self.entries.get(usize::from(slot)) {
            crate::prefetch::prefetch(entry);
        }
    }

    /// `node`'s running suspicion (`slot`: its view's [`SuspicionSlot`]).
    #[inline(always)]
    pub(super) fn get(&self, node: NodeId, slot: SuspicionSlot) -> Option<&SuspicionTimer> {
        self.entries[self.find(node, slot)?].running()
    }

    /// The suspicion running at `slot`, whoever it is about (none for
    /// [`NO_SUSPICION`]): for a timer, which carries the slot its suspicion
    /// had when it was armed and may have outlived it, so the caller checks
    /// the member and the token.
    #[inline(always)]
    pub(super) fn at_slot(&self, slot: SuspicionSlot) -> Option<&SuspicionTimer> {
        if slot == NO_SUSPICION {
            return None;
        }
        self.entries.get(usize::from(slot))?.running()
    }

    /// `node`'s running suspicion, to change it.
    #[inline(always)]
    pub(super) fn get_mut(
        &mut self,
        node: NodeId,
        slot: SuspicionSlot,
    ) -> Option<&mut SuspicionTimer> {
        let at = self.find(node, slot)?;
        self.entries[at].running_mut()
    }

    /// Start keeping `timer` (about `timer.node`, which has none running);
    /// returns the slot its view must hold.
    pub(super) fn insert(&mut self, timer: SuspicionTimer) -> SuspicionSlot {
        let node = timer.node;
        if self.free_low == NO_ENTRY && self.free_high == NO_ENTRY {
            self.grow();
        }
        let head = if self.free_low != NO_ENTRY {
            &mut self.free_low
        } else {
            &mut self.free_high
        };
        let at = *head;
        let Entry::Free { next } = self.entries[at as usize] else {
            unreachable!("BUG! a running suspicion on a free list");
        };
        *head = next;
        self.entries[at as usize] = Entry::Running(timer);
        #[cfg(test)]
        {
            self.len += 1;
        }
        match SuspicionSlot::try_from(at) {
            Ok(slot) if slot != NO_SUSPICION => slot,
            _ => {
                self.overflow.get_or_insert_default().insert(node, at);
                NO_SUSPICION
            }
        }
    }

    /// Twice the entries (at least [`FIRST_ENTRIES`]), the new ones free,
    /// each list lowest first. Called only when no entry is free.
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.entries).into_vec();
        let (from, to) = (old.len(), (2 * old.len()).max(FIRST_ENTRIES));
        let mut entries = Vec::with_capacity(to);
        entries.extend(old);
        let low_end = to.min(usize::from(NO_SUSPICION));
        for at in from..to {
            let next = at + 1;
            let last_of_list = next == low_end || next == to;
            entries.push(Entry::Free {
                next: if last_of_list { NO_ENTRY } else { next as u32 },
            });
        }
        if from < low_end {
            self.free_low = from as u32;
        }
        if to > low_end {
            self.free_high = from.max(low_end) as u32;
        }
        self.entries = entries.into_boxed_slice();
    }

    /// Stop keeping `node`'s suspicion, if one runs (`slot`: its view's,
    /// which must then become [`NO_SUSPICION`]).
    pub(super) fn remove(&mut self, node: NodeId, slot: SuspicionSlot) -> Option<SuspicionTimer> {
        let at = self.find(node, slot)?;
        let head = if at >= usize::from(NO_SUSPICION) {
            if let Some(overflow) = self.overflow.as_mut() {
                overflow.remove(&node);
            }
            &mut self.free_high
        } else {
            &mut self.free_low
        };
        let freed = Entry::Free { next: *head };
        *head = at as u32;
        #[cfg(test)]
        {
            self.len -= 1;
        }
        match std::mem::replace(&mut self.entries[at], freed) {
            Entry::Running(s) => Some(s),
            Entry::Free { .. } => unreachable!("BUG! slot {slot} of node {node} is free"),
        }
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
        let mut table = SuspicionTable::new();
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
