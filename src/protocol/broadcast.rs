//! The transmit-limited broadcast queue (memberlist queue.go, memberlist.md §4.1–4.2).
//!
//! Each node keeps its own copy of every state message it has accepted and sends
//! it at most `RetransmitMult · ceil(log10(n+1))` times, piggybacked on UDP
//! packets or in gossip. Messages are keyed by the node they are about
//! (memberlist `NamedBroadcast`), so the newest of alive/suspect/dead about X
//! replaces any older one still queued.
//!
//! Two pick orders are modelled ([`QueueOrder`]):
//! - `Btree` (ml@f416c6d, 2018, to ml@HEAD queue.go): tier by tier from the fewest
//!   transmits, take the *largest* message that still fits, newest first on ties.
//!   Indexed exactly like memberlist's btree: `(transmits, Reverse(len),
//!   Reverse(id))`, so each pick is one range query, O(log q).
//! - `Legacy` (ml@6025015 queue.go): a list sorted by transmits, scanned from the
//!   fewest-transmits/newest end, taking every message that still fits
//!   (first-fit). Go's unstable sort made the order within a tier arbitrary; we
//!   use newest first, as memberlist.md §4.2 recommends. Indexed by length bucket
//!   so a pick is O(D log q) with D the number of distinct message lengths (a few
//!   dozen at most: lengths only vary with name, meta and incarnation sizes),
//!   instead of the O(q) scan Go did.
//!
//! Both modes take a message at most once per call: taken messages leave the
//! index and are re-inserted (one transmit older) after the scan, as memberlist
//! does. Nothing allocates while the queue is empty.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::{Broadcast, NodeId, QueueOrder};

/// Btree-order key: fewest transmits, then largest, then newest; `NodeId` last
/// only to find the item (ids are unique, so it never decides the order).
type BtreeKey = (u32, Reverse<u32>, Reverse<u64>, NodeId);
/// Legacy-order key inside one length bucket: fewest transmits, then newest.
type LegacyKey = (u32, Reverse<u64>, NodeId);

#[derive(Clone, Copy, Debug)]
struct Item {
    b: Broadcast,
    len: u32,
    transmits: u32,
    /// Submission stamp (memberlist `idGen`), larger = newer.
    id: u64,
}

impl Item {
    fn btree_key(&self) -> BtreeKey {
        (
            self.transmits,
            Reverse(self.len),
            Reverse(self.id),
            self.b.node,
        )
    }
    fn legacy_key(&self) -> LegacyKey {
        (self.transmits, Reverse(self.id), self.b.node)
    }
}

#[derive(Clone, Debug)]
pub struct BroadcastQueue {
    order: QueueOrder,
    /// The queued message about each node (the invalidation map, memberlist `tm`).
    items: BTreeMap<NodeId, Item>,
    /// Pick index for [`QueueOrder::Btree`].
    tree: BTreeSet<BtreeKey>,
    /// Pick index for [`QueueOrder::Legacy`]: message length → items of that length.
    by_len: BTreeMap<u32, BTreeSet<LegacyKey>>,
    next_id: u64,
    /// Scratch list of items taken during one `get_broadcasts`, kept for its capacity.
    reinsert: Vec<NodeId>,
}

impl BroadcastQueue {
    pub fn new(order: QueueOrder) -> BroadcastQueue {
        BroadcastQueue {
            order,
            items: BTreeMap::new(),
            tree: BTreeSet::new(),
            by_len: BTreeMap::new(),
            next_id: 0,
            reinsert: Vec::new(),
        }
    }

    pub fn order(&self) -> QueueOrder {
        self.order
    }

    /// Queue `b` (encoded size `len` bytes), first removing any queued message about
    /// the same node (invalidation by node name).
    pub fn queue(&mut self, b: Broadcast, len: u32) {
        if let Some(old) = self.items.remove(&b.node) {
            self.unindex(&old);
        }
        self.next_id += 1;
        let item = Item {
            b,
            len,
            transmits: 0,
            id: self.next_id,
        };
        self.index(&item);
        self.items.insert(b.node, item);
    }

    /// memberlist `GetBroadcasts(overhead, limit)`: append to `out` the messages to
    /// send within `limit_bytes` (each costs `overhead + len`), counting one
    /// transmit each and dropping those that reach `retransmit_limit`. Returns the
    /// bytes used, overheads included.
    ///
    /// A message is dropped when `transmits + 1 >= retransmit_limit` after being
    /// taken, so it goes out exactly `retransmit_limit` times (at least once).
    pub fn get_broadcasts(
        &mut self,
        overhead: u32,
        limit_bytes: u32,
        retransmit_limit: u32,
        out: &mut Vec<Broadcast>,
    ) -> u32 {
        if self.items.is_empty() {
            return 0;
        }
        let mut used: i64 = 0;
        let cost = |len: u32| i64::from(overhead) + i64::from(len);
        let free_after = |used: i64| i64::from(limit_bytes) - used - i64::from(overhead);
        self.reinsert.clear();
        match self.order {
            QueueOrder::Btree => {
                let (mut tier, max_tier) = match (self.tree.first(), self.tree.last()) {
                    (Some(lo), Some(hi)) => (lo.0, hi.0),
                    _ => return 0,
                };
                loop {
                    let free = free_after(used);
                    if free <= 0 {
                        break;
                    }
                    let fit = u32::try_from(free).unwrap_or(u32::MAX);
                    // Smallest key of `tier` whose length is <= fit …
                    let lo: BtreeKey = (tier, Reverse(fit), Reverse(u64::MAX), 0);
                    // … up to the first possible key of the next tier.
                    let hi = match tier.checked_add(1) {
                        Some(t) => Bound::Excluded((t, Reverse(u32::MAX), Reverse(u64::MAX), 0)),
                        None => Bound::Unbounded,
                    };
                    let pick = self.tree.range((Bound::Included(lo), hi)).next().copied();
                    let Some(key) = pick else {
                        if tier >= max_tier {
                            break;
                        }
                        tier += 1;
                        continue;
                    };
                    self.tree.remove(&key);
                    used += cost(key.1 .0);
                    self.take(key.3, retransmit_limit, out);
                }
            }
            QueueOrder::Legacy => loop {
                let free = free_after(used);
                if free < 0 {
                    break;
                }
                let fit = u32::try_from(free).unwrap_or(u32::MAX);
                // First message in (fewest transmits, newest) order among those that fit.
                let pick = self
                    .by_len
                    .range(..=fit)
                    .filter_map(|(len, set)| set.first().map(|k| (*k, *len)))
                    .min();
                let Some((key, len)) = pick else { break };
                self.remove_legacy(len, &key);
                used += cost(len);
                self.take(key.2, retransmit_limit, out);
            },
        }
        for i in 0..self.reinsert.len() {
            let node = self.reinsert[i];
            let item = self.items[&node];
            self.index(&item);
        }
        self.reinsert.clear();
        used as u32
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Is a message about `node` still queued? (Leave waits for its own to finish.)
    pub fn contains(&self, node: NodeId) -> bool {
        self.items.contains_key(&node)
    }

    /// The queued message about `node` and how many times it has been sent.
    pub fn get(&self, node: NodeId) -> Option<(Broadcast, u32)> {
        self.items.get(&node).map(|i| (i.b, i.transmits))
    }

    /// Drop everything (memberlist `Reset`).
    pub fn clear(&mut self) {
        self.items.clear();
        self.tree.clear();
        self.by_len.clear();
    }

    /// Emit the (already unindexed) item about `node`, then bump or drop it.
    fn take(&mut self, node: NodeId, retransmit_limit: u32, out: &mut Vec<Broadcast>) {
        let item = self
            .items
            .get_mut(&node)
            .expect("BUG! indexed item missing from map");
        out.push(item.b);
        if item.transmits.saturating_add(1) >= retransmit_limit {
            self.items.remove(&node);
        } else {
            item.transmits += 1;
            self.reinsert.push(node);
        }
    }

    fn index(&mut self, item: &Item) {
        match self.order {
            QueueOrder::Btree => {
                self.tree.insert(item.btree_key());
            }
            QueueOrder::Legacy => {
                self.by_len
                    .entry(item.len)
                    .or_default()
                    .insert(item.legacy_key());
            }
        }
    }

    fn unindex(&mut self, item: &Item) {
        match self.order {
            QueueOrder::Btree => {
                self.tree.remove(&item.btree_key());
            }
            QueueOrder::Legacy => self.remove_legacy(item.len, &item.legacy_key()),
        }
    }

    fn remove_legacy(&mut self, len: u32, key: &LegacyKey) {
        if let Some(set) = self.by_len.get_mut(&len) {
            set.remove(key);
            if set.is_empty() {
                self.by_len.remove(&len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::BroadcastKind;

    fn suspect(node: NodeId) -> Broadcast {
        Broadcast {
            kind: BroadcastKind::Suspect,
            node,
            incarnation: 1,
            from: 999,
        }
    }

    fn alive(node: NodeId, incarnation: u32) -> Broadcast {
        Broadcast {
            kind: BroadcastKind::Alive,
            node,
            incarnation,
            from: node,
        }
    }

    fn pull(q: &mut BroadcastQueue, limit_bytes: u32, retransmit: u32) -> Vec<NodeId> {
        let mut out = Vec::new();
        q.get_broadcasts(2, limit_bytes, retransmit, &mut out);
        out.iter().map(|b| b.node).collect()
    }

    // Rule §4.2: queuing a message about X removes any queued message about X.
    #[test]
    fn alive_after_suspect_invalidates_it() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(7), 40);
            q.queue(suspect(8), 40);
            q.queue(alive(7, 2), 120);
            assert_eq!(q.len(), 2);
            let mut out = Vec::new();
            q.get_broadcasts(2, 1400, 4, &mut out);
            assert_eq!(out.len(), 2, "{order:?}");
            assert!(out.contains(&alive(7, 2)), "{order:?}");
            assert!(!out.contains(&suspect(7)), "{order:?}");
        }
    }

    // Rule §4.2: invalidation resets the transmit count (the new message is fresh).
    #[test]
    fn invalidation_restarts_transmits() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        q.queue(suspect(1), 40);
        pull(&mut q, 1400, 4);
        assert_eq!(q.get(1).unwrap().1, 1);
        q.queue(alive(1, 2), 40);
        assert_eq!(q.get(1), Some((alive(1, 2), 0)));
    }

    // Rule §4.2: fewest transmits first, whatever the size.
    #[test]
    fn fewest_transmits_first() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(1), 100);
            assert_eq!(pull(&mut q, 1400, 10), vec![1]);
            q.queue(suspect(2), 40);
            // Budget for one message only: the fresh one (0 transmits) wins.
            assert_eq!(pull(&mut q, 110, 10), vec![2], "{order:?}");
            // Now both have 1 transmit: btree takes the larger, legacy the newer.
            let tie = if order == QueueOrder::Btree {
                vec![1, 2]
            } else {
                vec![2, 1]
            };
            assert_eq!(pull(&mut q, 1400, 10), tie, "{order:?}");
        }
    }

    // Rule §4.2 (btree): within a tier, the largest message that fits the free space.
    #[test]
    fn btree_takes_largest_that_fits() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        q.queue(suspect(1), 40);
        q.queue(suspect(2), 100);
        q.queue(suspect(3), 60);
        q.queue(suspect(4), 300);
        // free = 200 − 2: 300 does not fit, 100 does; then free = 200−102−2 = 96 → 60; then 34 → none.
        assert_eq!(pull(&mut q, 200, 4), vec![2, 3]);
        assert_eq!(pull(&mut q, 1400, 4), vec![4, 1, 2, 3]);
    }

    // Rule §4.2: equal tier and size → most recently queued first.
    #[test]
    fn newest_first_on_ties() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            for n in 1..=4 {
                q.queue(suspect(n), 40);
            }
            assert_eq!(pull(&mut q, 1400, 4), vec![4, 3, 2, 1], "{order:?}");
        }
    }

    // Rule §4.3: in a 1400-byte budget with 2-byte overheads, 33 suspects of 40 bytes fit.
    #[test]
    fn budget_of_1400_fits_33_forty_byte_suspects() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            for n in 0..50 {
                q.queue(suspect(n), 40);
            }
            let mut out = Vec::new();
            // Gossip budget: UDPBufferSize − compound header (2).
            let used = q.get_broadcasts(2, 1400 - 2, 4, &mut out);
            // A part is taken while 1398 − used − 2 ≥ 40: 33 parts, 1386 bytes.
            assert_eq!(out.len(), 33, "{order:?}");
            assert_eq!(used, 33 * 42, "{order:?}");
        }
    }

    // Rule §4.1: a message is sent exactly `limit` times, then dropped.
    #[test]
    fn dropped_exactly_after_limit_transmits() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(9), 40);
            for i in 0..4 {
                assert!(q.contains(9), "{order:?} before send {i}");
                assert_eq!(pull(&mut q, 1400, 4), vec![9]);
            }
            assert!(!q.contains(9));
            assert!(q.is_empty());
            assert!(pull(&mut q, 1400, 4).is_empty());
        }
    }

    // Rule §4.1: the limit is read at pull time; a limit of 0 or 1 still sends once.
    #[test]
    fn limit_read_at_pull_time() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        q.queue(suspect(1), 40);
        assert_eq!(pull(&mut q, 1400, 8), vec![1]);
        assert_eq!(pull(&mut q, 1400, 2), vec![1]);
        assert!(q.is_empty(), "transmits 1 + 1 >= 2");
        q.queue(suspect(2), 40);
        assert_eq!(pull(&mut q, 1400, 0), vec![2]);
        assert!(q.is_empty());
    }

    // Rule §4.2: a message is taken at most once per pull, even after its tier is bumped.
    #[test]
    fn at_most_once_per_pull() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        q.queue(suspect(1), 40);
        q.queue(suspect(2), 40);
        assert_eq!(pull(&mut q, 1400, 10), vec![2, 1]);
        assert_eq!(q.get(1).unwrap().1, 1);
        assert_eq!(q.get(2).unwrap().1, 1);
    }

    // Rule §4.2: btree takes the largest fitting message; 2015 takes the newest first-fit.
    #[test]
    fn legacy_and_btree_orders_differ() {
        let setup = |order| {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(1), 100); // older, larger
            q.queue(suspect(2), 40); // newer, smaller
            q.queue(suspect(3), 30); // newest, smallest
            q
        };
        // Budget 150: free 148 first.
        // Btree: 100 (free → 46) then 40 (free → 4), 30 no longer fits.
        assert_eq!(pull(&mut setup(QueueOrder::Btree), 150, 4), vec![1, 2]);
        // Legacy: newest first-fit: 30 (free → 116), 40 (free → 74), 100 skipped.
        assert_eq!(pull(&mut setup(QueueOrder::Legacy), 150, 4), vec![3, 2]);
    }

    // Rule §4.2 (2015): first-fit skips a message that does not fit but keeps scanning.
    #[test]
    fn legacy_first_fit_keeps_scanning_past_big_messages() {
        let mut q = BroadcastQueue::new(QueueOrder::Legacy);
        q.queue(suspect(1), 40);
        q.queue(suspect(2), 500);
        q.queue(suspect(3), 40);
        // free 298: 3 (40) → 256, 2 (500) skipped, 1 (40) → 214.
        assert_eq!(pull(&mut q, 300, 4), vec![3, 1]);
    }

    /// A literal, slow model of memberlist's GetBroadcasts (sort, then scan), used
    /// to check the indexed implementation on pseudo-random workloads.
    fn reference(
        items: &mut Vec<(NodeId, u32, u32, u64)>, // (node, len, transmits, id)
        order: QueueOrder,
        overhead: u32,
        limit: u32,
        rt: u32,
    ) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut used: i64 = 0;
        let mut taken: Vec<u64> = Vec::new();
        let free = |used: i64| i64::from(limit) - used - i64::from(overhead);
        loop {
            let f = free(used);
            if (order == QueueOrder::Btree && f <= 0) || f < 0 {
                break;
            }
            let mut cands: Vec<_> = items
                .iter()
                .filter(|it| !taken.contains(&it.3) && i64::from(it.1) <= f)
                .copied()
                .collect();
            match order {
                QueueOrder::Btree => {
                    cands.sort_by_key(|it| (it.2, Reverse(it.1), Reverse(it.3)));
                    // Tier by tier: a tier without a fitting message moves on, so the
                    // global minimum of the fitting ones is the same pick.
                }
                QueueOrder::Legacy => cands.sort_by_key(|it| (it.2, Reverse(it.3))),
            }
            let Some(p) = cands.first().copied() else {
                break;
            };
            taken.push(p.3);
            used += i64::from(overhead) + i64::from(p.1);
            out.push(p.0);
        }
        items.retain_mut(|it| {
            if taken.contains(&it.3) {
                it.2 += 1;
                it.2 < rt
            } else {
                true
            }
        });
        out
    }

    // Rule §4.2: the indexed queue picks exactly what a literal sort-and-scan would.
    #[test]
    fn indexed_queue_matches_literal_model() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            let mut model: Vec<(NodeId, u32, u32, u64)> = Vec::new();
            let mut id = 0u64;
            let mut x: u64 = 0x2545_F491_4F6C_DD1D;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            for _ in 0..3000 {
                let r = next();
                if r % 3 != 0 {
                    let node = (next() % 60) as NodeId;
                    let len = 30 + (next() % 8) as u32 * 17;
                    id += 1;
                    model.retain(|it| it.0 != node);
                    model.push((node, len, 0, id));
                    q.queue(suspect(node), len);
                } else {
                    let limit = 100 + (next() % 1400) as u32;
                    let rt = 1 + (next() % 6) as u32;
                    let want = reference(&mut model, order, 2, limit, rt);
                    let got = pull(&mut q, limit, rt);
                    assert_eq!(got, want, "{order:?}");
                    assert_eq!(q.len(), model.len(), "{order:?}");
                }
            }
        }
    }

    // Rule: storms must stay cheap — thousands of queued entries drain in O(q log q).
    #[test]
    fn thousands_of_entries_drain_quickly() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            for n in 0..20_000 {
                q.queue(suspect(n), 30 + (n % 50));
            }
            let mut out = Vec::new();
            let mut rounds = 0;
            while !q.is_empty() {
                out.clear();
                q.get_broadcasts(2, 1398, 3, &mut out);
                assert!(!out.is_empty());
                rounds += 1;
            }
            assert!(rounds > 1000, "{order:?}");
        }
    }
}
