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
//!   transmits, take the *largest* message that still fits, newest first on ties
//!   (memberlist's btree order `(transmits, Reverse(len), Reverse(id))`).
//! - `Legacy` (ml@6025015 queue.go): a list sorted by transmits, scanned from the
//!   fewest-transmits/newest end, taking every message that still fits
//!   (first-fit). Go's unstable sort made the order within a tier arbitrary; we
//!   use newest first, as memberlist.md §4.2 recommends.
//!
//! Both modes take a message at most once per call: taken messages leave the
//! index and are re-inserted (one transmit older) after the scan, as memberlist
//! does.
//!
//! # Data structures (why not a B-tree)
//!
//! A sick cluster sends every queued message `limit` times, and each send is one
//! pick: picks are the protocol's hottest path. The rules only ever compare
//! transmits, lengths and ids, and a queue holds few distinct lengths (they vary
//! only with name, meta and incarnation sizes), so the index is a grid of
//! *buckets*, one per (transmit tier, length class), each a binary max-heap of
//! 8-byte entries `id << 32 | node` — newest on top. A pick scans the length
//! classes of the lowest tier that has a fitting message (longest first for
//! `Btree`, newest top for `Legacy`) and pops one heap; re-inserting pushes one.
//! Nothing is searched by key on the hot path but the by-node map, and nothing
//! allocates in steady state.
//!
//! Why it is laid out so (a thousand nodes' queues do not fit in cache, so the
//! cost of a pick or a queue is the cache lines it touches): the message lives
//! in the by-node map's entry itself ([`FlatIdMap`], keyed by the node it is
//! about), so queueing, reading or validating a message is one probe, one
//! line; the buckets are one flat array indexed by (tier, class), so reaching a
//! bucket's data is one dependent load, not three; and an entry is 8 bytes (a
//! 32-bit id and the node) instead of 16. Ids are per queue and 32-bit: before
//! one would wrap, the live messages are renumbered 1..=n in their order
//! ([`BroadcastQueue::renumber`], once per 4 billion messages queued), which
//! keeps every comparison the same.
//!
//! Invalidation is lazy: the replaced message's heap entry stays until it
//! reaches the top of its heap, where it is recognised (the node's queued
//! message now has another id, or is gone) and discarded; a compaction bounds
//! such entries to about half the number of live ones. The order picked is
//! exactly the rules above — the tests check it against a literal sort-and-scan
//! model on random workloads, renumbering included.

use super::idmap::FlatIdMap;
use super::{Broadcast, BroadcastKind, NodeId, QueueOrder};

/// A queued message about the node that keys it in the by-node map (the node is
/// the key, so it is not stored twice): 20 bytes, a 24-byte map entry.
#[derive(Clone, Copy, Debug, Default)]
struct Item {
    incarnation: u32,
    from: NodeId,
    /// Submission stamp (memberlist `idGen`), larger = newer.
    id: u32,
    transmits: u32,
    /// Index of the message length in `class_len`, shifted left by 2, with the
    /// message kind in the low 2 bits (a class count near 2^30 would need
    /// gigabytes of distinct lengths first).
    class_kind: u32,
}

impl Item {
    fn class(&self) -> u32 {
        self.class_kind >> 2
    }

    fn broadcast(&self, node: NodeId) -> Broadcast {
        let kind = match self.class_kind & 3 {
            0 => BroadcastKind::Alive,
            1 => BroadcastKind::Suspect,
            _ => BroadcastKind::Dead,
        };
        Broadcast {
            kind,
            node,
            incarnation: self.incarnation,
            from: self.from,
        }
    }
}

fn kind_bits(kind: BroadcastKind) -> u32 {
    match kind {
        BroadcastKind::Alive => 0,
        BroadcastKind::Suspect => 1,
        BroadcastKind::Dead => 2,
    }
}

/// A bucket entry: `id << 32 | node`, so the integer order is the id order
/// (newest on top) and the node finds the item.
type Entry = u64;

fn entry(id: u32, node: NodeId) -> Entry {
    (u64::from(id) << 32) | u64::from(node)
}

fn entry_id(e: Entry) -> u32 {
    (e >> 32) as u32
}

fn entry_node(e: Entry) -> NodeId {
    e as NodeId
}

/// One (tier, length class) bucket: a max-queue of entries by id.
///
/// Why two parts: entries mostly arrive newest-first-ever (every fresh message
/// has the largest id so far, and tier 0 receives nothing else), which is a
/// binary heap's worst case (each push sifts to the root) but a stack's best. An
/// entry newer than the stack's top goes on the stack (kept ascending), any other
/// into the heap; the top is the larger of the two tops.
#[derive(Clone, Debug, Default)]
struct Bucket {
    stack: Vec<Entry>,
    heap: WideHeap,
}

impl Bucket {
    // Inlined (like `index`, its caller): called for every message a pull
    // re-inserts, millions of times in a sick cluster, and tiny (-2.2 %
    // instructions on the starved-1000 bench).
    #[inline]
    fn push(&mut self, e: Entry) {
        match self.stack.last() {
            Some(&top) if e < top => self.heap.push(e),
            _ => self.stack.push(e),
        }
    }

    fn peek(&self) -> Option<Entry> {
        match (self.stack.last(), self.heap.peek()) {
            (Some(&s), Some(h)) => Some(s.max(h)),
            (s, h) => s.copied().or(h),
        }
    }

    fn pop(&mut self) -> Option<Entry> {
        match (self.stack.last(), self.heap.peek()) {
            (Some(&s), Some(h)) if h > s => self.heap.pop(),
            (Some(_), _) => self.stack.pop(),
            (None, _) => self.heap.pop(),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.stack.len() + self.heap.len()
    }

    fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        self.stack.iter().copied().chain(self.heap.iter())
    }

    fn retain(&mut self, keep: impl Fn(&Entry) -> bool) {
        self.stack.retain(&keep);
        self.heap.retain(keep);
    }

    fn clear(&mut self) {
        self.stack.clear();
        self.heap.clear();
    }
}

/// Eight entries, one cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Line([Entry; 8]);

/// A max-heap of entries with eight children per node, laid out so that the
/// children of a node fill exactly one cache line.
///
/// Why not `BinaryHeap`: a cold bucket of a few hundred entries costs a binary
/// heap's pop one cache miss per level below the first line (six or seven);
/// here a level is one line, and there are three or four. The pop order is
/// the same (entries are unique, so any max-heap pops them in one order).
///
/// Entry `p` (0 is the root) lives at `p + 7` in the line array, so the
/// children of `p`, `8p + 1 ..= 8p + 8`, are all of line `p + 1`.
#[derive(Clone, Debug, Default)]
struct WideHeap {
    lines: Vec<Line>,
    len: usize,
}

const ROOT_AT: usize = 7;

impl WideHeap {
    fn get(&self, p: usize) -> Entry {
        let i = p + ROOT_AT;
        self.lines[i / 8].0[i % 8]
    }

    fn set(&mut self, p: usize, e: Entry) {
        let i = p + ROOT_AT;
        self.lines[i / 8].0[i % 8] = e;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    fn peek(&self) -> Option<Entry> {
        (self.len > 0).then(|| self.get(0))
    }

    fn push(&mut self, e: Entry) {
        if (self.len + ROOT_AT) / 8 >= self.lines.len() {
            self.lines.push(Line::default());
        }
        let mut p = self.len;
        self.len += 1;
        while p > 0 {
            let parent = (p - 1) / 8;
            let above = self.get(parent);
            if above >= e {
                break;
            }
            self.set(p, above);
            p = parent;
        }
        self.set(p, e);
    }

    fn pop(&mut self) -> Option<Entry> {
        let top = self.peek()?;
        self.len -= 1;
        if self.len > 0 {
            let last = self.get(self.len);
            self.sift_down(0, last);
        }
        Some(top)
    }

    /// Place `e` at `p` or below, moving larger children up.
    fn sift_down(&mut self, mut p: usize, e: Entry) {
        loop {
            let first = 8 * p + 1;
            if first >= self.len {
                break;
            }
            let end = (first + 8).min(self.len);
            let (mut best, mut best_e) = (first, self.get(first));
            for c in first + 1..end {
                let ce = self.get(c);
                if ce > best_e {
                    (best, best_e) = (c, ce);
                }
            }
            if best_e <= e {
                break;
            }
            self.set(p, best_e);
            p = best;
        }
        self.set(p, e);
    }

    fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len).map(|p| self.get(p))
    }

    /// Keep the entries `keep` accepts, then restore the heap order bottom-up.
    fn retain(&mut self, keep: impl Fn(&Entry) -> bool) {
        let mut kept = 0;
        for p in 0..self.len {
            let e = self.get(p);
            if keep(&e) {
                self.set(kept, e);
                kept += 1;
            }
        }
        self.len = kept;
        if kept > 1 {
            for p in (0..=(kept - 2) / 8).rev() {
                let e = self.get(p);
                self.sift_down(p, e);
            }
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// Is `e` the entry of the message queued now (not one replaced or dropped)?
/// Ids are unique within a queue, so the id alone tells.
fn is_live(items: &FlatIdMap<Item>, e: Entry) -> bool {
    live_slot(items, e).is_some()
}

/// The map slot of `e`'s message if `e` is live (see [`is_live`]): a pick
/// validates its entry and then takes the message, one probe for both.
fn live_slot(items: &FlatIdMap<Item>, e: Entry) -> Option<usize> {
    let slot = items.slot(&entry_node(e))?;
    (items.at(slot).id == entry_id(e)).then_some(slot)
}

/// Heap entries of replaced messages tolerated beyond half the live ones before
/// a compaction sweeps them out (each sweep is O(entries), paid for by at least
/// that many replacements).
const STALE_SLACK: usize = 64;

#[derive(Clone, Debug)]
pub struct BroadcastQueue {
    order: QueueOrder,
    /// The queued message about each node (the invalidation map, memberlist `tm`).
    items: FlatIdMap<Item>,
    /// Distinct message lengths seen, by class index (classes are never removed).
    class_len: Vec<u32>,
    /// Class indices, longest first.
    classes_longest_first: Vec<u32>,
    /// Buckets by (transmit tier, class), at `tier · class_len.len() + class`.
    buckets: Vec<Bucket>,
    /// Live items by transmit tier (bucket entries may also be stale).
    tier_live: Vec<u32>,
    /// Heap entries of replaced messages not yet discarded.
    stale: usize,
    /// The id of the latest message queued.
    next_id: u32,
    /// The id after which live messages are renumbered (`u32::MAX`; tests lower it).
    id_limit: u32,
    /// Scratch list of entries taken during one `get_broadcasts` with their
    /// new tier and class, kept for its capacity.
    reinsert: Vec<(Entry, u32, u32)>,
}

impl BroadcastQueue {
    pub fn new(order: QueueOrder) -> BroadcastQueue {
        BroadcastQueue {
            order,
            items: FlatIdMap::default(),
            class_len: Vec::new(),
            classes_longest_first: Vec::new(),
            buckets: Vec::new(),
            tier_live: Vec::new(),
            stale: 0,
            next_id: 0,
            id_limit: u32::MAX,
            reinsert: Vec::new(),
        }
    }

    pub fn order(&self) -> QueueOrder {
        self.order
    }

    /// Queue `b` (encoded size `len` bytes), first removing any queued message about
    /// the same node (invalidation by node name).
    pub fn queue(&mut self, b: Broadcast, len: u32) {
        if self.next_id >= self.id_limit {
            self.renumber();
        }
        self.next_id += 1;
        let class = self.class_of(len);
        let item = Item {
            incarnation: b.incarnation,
            from: b.from,
            id: self.next_id,
            transmits: 0,
            class_kind: (class << 2) | kind_bits(b.kind),
        };
        if let Some(old) = self.items.insert(b.node, item) {
            // The old message's heap entry goes stale: the node's item has a newer id.
            self.tier_live[old.transmits as usize] -= 1;
            self.stale += 1;
        }
        self.index(entry(item.id, b.node), 0, class);
        if self.stale > self.items.len() / 2 + STALE_SLACK {
            self.compact();
        }
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
        self.warm_picks();
        let mut used: i64 = 0;
        let cost = |len: u32| i64::from(overhead) + i64::from(len);
        let free_after = |used: i64| i64::from(limit_bytes) - used - i64::from(overhead);
        self.reinsert.clear();
        // Tiers below `tier` hold nothing that fits: the free space only shrinks
        // and taken messages come back only after the scan.
        let mut tier = 0;
        loop {
            let free = free_after(used);
            // btree stops when nothing is left; 2015 still scans for 0-byte parts.
            let exhausted = match self.order {
                QueueOrder::Btree => free <= 0,
                QueueOrder::Legacy => free < 0,
            };
            if exhausted {
                break;
            }
            let fit = u32::try_from(free).unwrap_or(u32::MAX);
            let pick = loop {
                if tier >= self.tier_live.len() {
                    break None;
                }
                if self.tier_live[tier] > 0 {
                    if let Some(class) = self.pick_in_tier(tier, fit) {
                        break Some(class);
                    }
                }
                tier += 1;
            };
            let Some((class, slot)) = pick else { break };
            let at = self.bucket_index(tier, class);
            let e = self.buckets[at].pop().expect("BUG! picked an empty bucket");
            self.tier_live[tier] -= 1;
            // The bucket's class is the item's: no need to read the item for its length.
            used += cost(self.class_len[class as usize]);
            self.take(e, slot, retransmit_limit, out);
        }
        // Oldest first: taken entries come out newest first, and a bucket
        // takes an entry newer than all it holds on its stack (O(1) to push and
        // pop) instead of its heap. Buckets are max-queues of unique ids, so the
        // order they are filled in changes nothing they pop.
        for i in (0..self.reinsert.len()).rev() {
            let (e, tier, class) = self.reinsert[i];
            self.index(e, tier, class);
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
        self.items
            .get(&node)
            .map(|i| (i.broadcast(node), i.transmits))
    }

    /// Drop everything (memberlist `Reset`).
    pub fn clear(&mut self) {
        self.items.clear();
        self.tier_live.iter_mut().for_each(|l| *l = 0);
        self.buckets.iter_mut().for_each(Bucket::clear);
        self.stale = 0;
    }

    /// Touch the items the coming picks will read: those of the top entries of
    /// the fewest-transmits tier's buckets. Each pick validates its entry
    /// against its item, a cache miss in a cold queue (a thousand nodes' queues
    /// do not fit in cache); touched together, the misses overlap instead of
    /// queueing one behind the other. Reads only: the picks are unchanged.
    fn warm_picks(&self) {
        const AHEAD: usize = 16;
        let Some(tier) = self.tier_live.iter().position(|&l| l > 0) else {
            return;
        };
        let classes = self.class_len.len();
        let mut acc = 0u64;
        for b in &self.buckets[tier * classes..(tier + 1) * classes] {
            let newest = b.stack.iter().rev().take(AHEAD);
            for e in newest.copied().chain(b.heap.iter().take(AHEAD)) {
                acc = acc.wrapping_add(self.warm(entry_node(e)));
            }
        }
        std::hint::black_box(acc);
    }

    /// Touch what queueing or reading a message about `node` will read (its
    /// map entry, which holds the message), returning a value only to keep the
    /// read; see `warm_picks` for why.
    pub fn warm(&self, node: NodeId) -> u64 {
        self.items.get(&node).map_or(0, |i| u64::from(i.id))
    }

    /// The length class of `len`, created on first sight.
    fn class_of(&mut self, len: u32) -> u32 {
        // Few classes (message lengths vary only with name/meta/incarnation sizes).
        if let Some(c) = self.class_len.iter().position(|&l| l == len) {
            return c as u32;
        }
        // A new class widens every tier's row of buckets (rare: never in steady state).
        let classes = self.class_len.len();
        let old = std::mem::take(&mut self.buckets);
        let mut old = old.into_iter();
        self.buckets = Vec::with_capacity(self.tier_live.len() * (classes + 1));
        for _ in 0..self.tier_live.len() {
            self.buckets.extend(old.by_ref().take(classes));
            self.buckets.push(Bucket::default());
        }
        let class = classes as u32;
        self.class_len.push(len);
        let at = self
            .classes_longest_first
            .partition_point(|&c| self.class_len[c as usize] > len);
        self.classes_longest_first.insert(at, class);
        class
    }

    fn bucket_index(&self, tier: usize, class: u32) -> usize {
        tier * self.class_len.len() + class as usize
    }

    /// Put entry `e` (of a live item in `tier`, of `class`) into its bucket.
    #[inline]
    fn index(&mut self, e: Entry, tier: u32, class: u32) {
        let t = tier as usize;
        if self.tier_live.len() <= t {
            self.tier_live.resize(t + 1, 0);
            self.buckets
                .resize_with((t + 1) * self.class_len.len(), Bucket::default);
        }
        let at = self.bucket_index(t, class);
        self.buckets[at].push(e);
        self.tier_live[t] += 1;
    }

    /// The class whose top is the next pick in `tier` among messages of at most
    /// `fit` bytes: `Btree` the longest, `Legacy` the newest. Discards stale tops.
    /// Also returns the map slot of the picked message (see [`live_slot`]).
    fn pick_in_tier(&mut self, tier: usize, fit: u32) -> Option<(u32, usize)> {
        let mut best: Option<(u32, u32, usize)> = None;
        for i in 0..self.classes_longest_first.len() {
            let class = self.classes_longest_first[i];
            if self.class_len[class as usize] > fit {
                continue;
            }
            let Some((id, slot)) = self.live_top(tier, class) else {
                continue;
            };
            match self.order {
                QueueOrder::Btree => return Some((class, slot)),
                QueueOrder::Legacy => {
                    if best.is_none_or(|(b, _, _)| id > b) {
                        best = Some((id, class, slot));
                    }
                }
            }
        }
        best.map(|(_, class, slot)| (class, slot))
    }

    /// The id on top of a bucket after discarding replaced messages' entries,
    /// and its message's map slot.
    fn live_top(&mut self, tier: usize, class: u32) -> Option<(u32, usize)> {
        let at = self.bucket_index(tier, class);
        let bucket = &mut self.buckets[at];
        while let Some(e) = bucket.peek() {
            if let Some(slot) = live_slot(&self.items, e) {
                return Some((entry_id(e), slot));
            }
            bucket.pop();
            self.stale -= 1;
        }
        None
    }

    /// Emit the (already unindexed) item of entry `e`, whose map slot is
    /// `slot` (the map unchanged since the pick found it), then bump or drop it.
    fn take(&mut self, e: Entry, slot: usize, retransmit_limit: u32, out: &mut Vec<Broadcast>) {
        let node = entry_node(e);
        let item = self.items.at_mut(slot);
        debug_assert_eq!(item.id, entry_id(e), "BUG! picked a dead entry");
        out.push(item.broadcast(node));
        if item.transmits.saturating_add(1) >= retransmit_limit {
            self.items.remove_at(slot);
        } else {
            item.transmits += 1;
            let (tier, class) = (item.transmits, item.class());
            self.reinsert.push((e, tier, class));
        }
    }

    /// Sweep every replaced message's entry out of the heaps (O(entries)),
    /// once they outnumber the live ones: memory stays O(live).
    fn compact(&mut self) {
        let items = &self.items;
        for b in &mut self.buckets {
            b.retain(|&e| is_live(items, e));
        }
        self.stale = 0;
    }

    /// Give the live messages the ids 1..=n in their current order, so 32-bit
    /// ids never wrap: every comparison the rules make (newer or older) is the
    /// same before and after. Replaced messages' entries are dropped on the way.
    /// Runs once per `id_limit` messages queued (4 billion), so its allocation
    /// is not a steady-state one.
    fn renumber(&mut self) {
        let mut live: Vec<Entry> = Vec::with_capacity(self.items.len());
        for b in &self.buckets {
            live.extend(b.iter().filter(|&e| is_live(&self.items, e)));
        }
        debug_assert_eq!(live.len(), self.items.len());
        // Ids are unique, so the order is total and independent of the scan order.
        live.sort_unstable();
        self.buckets.iter_mut().for_each(Bucket::clear);
        for (i, &e) in live.iter().enumerate() {
            let node = entry_node(e);
            let id = i as u32 + 1;
            let item = self.items.get_mut(&node).expect("BUG! live entry lost");
            item.id = id;
            let (tier, class) = (item.transmits as usize, item.class());
            let at = self.bucket_index(tier, class);
            // Ascending ids: every entry goes on its bucket's stack.
            self.buckets[at].push(entry(id, node));
        }
        self.next_id = live.len() as u32;
        self.stale = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::BroadcastKind;
    use std::cmp::Reverse;

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

    /// The wide heap pops exactly what `std`'s binary heap pops, through
    /// pushes, pops and retains (the compaction's rebuild) on a random mix.
    #[test]
    fn wide_heap_pops_like_a_binary_heap() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut w = WideHeap::default();
        let mut b = std::collections::BinaryHeap::new();
        for step in 0..200_000u64 {
            match next() % 10 {
                0..=4 => {
                    // Unique entries, as in a queue.
                    let e = (next() % 1_000_000) << 20 | step;
                    w.push(e);
                    b.push(e);
                }
                5..=8 => assert_eq!(w.pop(), b.pop(), "step {step}"),
                _ if step % 50 == 0 => {
                    let m = next() % 3 + 2;
                    w.retain(|e| e % m != 0);
                    b.retain(|e| e % m != 0);
                }
                _ => {}
            }
            assert_eq!(w.len(), b.len());
            assert_eq!(w.peek(), b.peek().copied());
        }
        while let Some(e) = b.pop() {
            assert_eq!(w.pop(), Some(e));
        }
        assert_eq!(w.pop(), None);
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

    /// Rule §4.2, differentially, on workloads shaped like a sick cluster: many
    /// nodes re-queued (invalidations far outnumbering pulls, so replaced entries
    /// pile up and get swept), up to 40 message lengths, budgets from nothing to a
    /// full packet, retransmit limits read at pull time, and `clear()`. After
    /// every step the queue holds exactly the model's messages and transmit counts.
    #[test]
    fn bucketed_queue_matches_literal_model_under_churn() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for (nodes, lens, pull_one_in) in [(300u64, 40u64, 8u64), (1000, 3, 20), (20, 12, 2)] {
            for order in [QueueOrder::Btree, QueueOrder::Legacy] {
                let mut q = BroadcastQueue::new(order);
                let mut model: Vec<(NodeId, u32, u32, u64)> = Vec::new();
                let mut id = 0u64;
                let mut next = || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed
                };
                for step in 0..12_000 {
                    let r = next() % pull_one_in;
                    if step % 4_000 == 3_999 {
                        q.clear();
                        model.clear();
                    } else if r != 0 {
                        let node = (next() % nodes) as NodeId;
                        let len = 20 + (next() % lens) as u32 * 13;
                        id += 1;
                        model.retain(|it| it.0 != node);
                        model.push((node, len, 0, id));
                        q.queue(suspect(node), len);
                    } else {
                        let limit = (next() % 1500) as u32;
                        let rt = (next() % 18) as u32;
                        let want = reference(&mut model, order, 2, limit, rt);
                        let got = pull(&mut q, limit, rt);
                        assert_eq!(got, want, "{order:?} step {step}");
                    }
                    assert_eq!(q.len(), model.len(), "{order:?} step {step}");
                    if step % 97 == 0 {
                        for n in 0..nodes as NodeId {
                            let want = model.iter().find(|it| it.0 == n).map(|it| it.2);
                            assert_eq!(q.get(n).map(|g| g.1), want, "{order:?} node {n}");
                        }
                    }
                }
            }
        }
    }

    /// Rule §4.2 (named): fewest transmits first; among equals, the newest —
    /// whatever the order messages were queued and sent in.
    #[test]
    fn broadcast_queue_sends_fewest_transmits_first_newest_on_ties() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(1), 40);
            q.queue(suspect(2), 40);
            q.queue(suspect(3), 40);
            // One fits: the newest (3) goes first and moves to 1 transmit.
            assert_eq!(pull(&mut q, 44, 10), vec![3], "{order:?}");
            q.queue(suspect(4), 40);
            // 0 transmits: 4 (newest), 2, 1; then 3 (1 transmit).
            assert_eq!(pull(&mut q, 1400, 10), vec![4, 2, 1, 3], "{order:?}");
            // All at 1 except 3 at 2: newest-first among the 1s, then 3.
            assert_eq!(pull(&mut q, 1400, 10), vec![4, 2, 1, 3], "{order:?}");
        }
    }

    /// Rule §4.2 (invalidation, named): a newer message about a node replaces
    /// the queued one wherever it was in the order, and starts at 0 transmits.
    #[test]
    fn broadcast_queue_invalidates_older_message_about_the_same_node() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            q.queue(suspect(1), 40);
            q.queue(suspect(2), 40);
            pull(&mut q, 1400, 10);
            pull(&mut q, 1400, 10);
            q.queue(alive(1, 5), 40);
            assert_eq!(q.len(), 2);
            assert_eq!(q.get(1), Some((alive(1, 5), 0)));
            let mut out = Vec::new();
            q.get_broadcasts(2, 1400, 10, &mut out);
            assert_eq!(out, vec![alive(1, 5), suspect(2)], "{order:?}");
        }
    }

    /// Rule: replaced messages do not pile up — a node re-queued a million
    /// times with nothing sent keeps the index at the live size plus slack.
    #[test]
    fn replaced_messages_are_swept_so_memory_stays_bounded() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        for i in 0..1_000_000u32 {
            q.queue(suspect(i % 10), 40 + (i % 3));
        }
        let entries: usize = q.buckets.iter().map(Bucket::len).sum();
        assert_eq!(q.len(), 10);
        assert!(entries <= 10 + STALE_SLACK + 1, "{entries} index entries");
        // Ten messages, in a map at most half full: 32 entries.
        assert!(
            q.items.capacity() <= 32,
            "{} map entries",
            q.items.capacity()
        );
    }

    /// Rule §4.2 (newest first) across id renumbering: with the renumbering
    /// point lowered from 2^32 to a few hundred ids, a churning queue still
    /// picks exactly what the literal model picks, and keeps the model's
    /// messages and transmit counts.
    #[test]
    fn renumbered_ids_keep_the_literal_model_order() {
        let mut seed: u64 = 0xD1B5_4A32_D192_ED03;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (nodes, id_limit) in [(40u64, 64u32), (200, 300), (5, 6)] {
            for order in [QueueOrder::Btree, QueueOrder::Legacy] {
                let mut q = BroadcastQueue::new(order);
                q.id_limit = id_limit;
                let mut model: Vec<(NodeId, u32, u32, u64)> = Vec::new();
                let mut id = 0u64;
                for step in 0..6_000 {
                    if next() % 4 != 0 {
                        let node = (next() % nodes) as NodeId;
                        let len = 20 + (next() % 5) as u32 * 13;
                        id += 1;
                        model.retain(|it| it.0 != node);
                        model.push((node, len, 0, id));
                        q.queue(suspect(node), len);
                        assert!(q.next_id <= id_limit, "{order:?} step {step}");
                    } else {
                        let limit = (next() % 700) as u32;
                        let rt = (next() % 8) as u32;
                        let want = reference(&mut model, order, 2, limit, rt);
                        assert_eq!(pull(&mut q, limit, rt), want, "{order:?} step {step}");
                    }
                    for n in 0..nodes as NodeId {
                        let want = model.iter().find(|it| it.0 == n).map(|it| it.2);
                        assert_eq!(q.get(n).map(|g| g.1), want, "{order:?} node {n}");
                    }
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
