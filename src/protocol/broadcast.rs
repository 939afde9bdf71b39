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
//! Both modes take a message at most once per call: taken messages are
//! re-inserted (one transmit older, same id) after the scan, as memberlist does.
//!
//! # Data structures (why not a B-tree)
//!
//! A sick cluster sends every queued message `limit` times, and each send is
//! one pick: picks are the protocol's hottest path, and a thousand nodes'
//! queues do not fit in cache, so the cost of a pull is the cache lines it
//! touches. The rules only ever compare transmits, lengths and ids, and a queue
//! holds few distinct lengths (they vary only with name, meta and
//! incarnation sizes), so the queue is a grid of *buckets*, one per (transmit
//! tier, length class), each a vector of records sorted by id, newest last.
//!
//! - A record holds everything a pick emits (20 bytes), so a pull reads the
//!   ends of a few buckets, consecutive lines, and cuts off what it takes; it
//!   probes no map. Within a bucket every message has the same length, so a
//!   class that does not fit is skipped whole, never walked, and how many of
//!   a class fit is known before any is taken: the btree order takes them
//!   from the bucket's end in one walk.
//! - A fresh message is the newest of all: it is pushed on its tier-0 bucket.
//! - Taken messages go back one tier up after the pull (memberlist re-inserts
//!   them after its scan too). What a pull takes from a bucket is its end, so
//!   it goes back as one run, in the bucket's order: on the end of its new
//!   bucket when it is all newer than that bucket's newest (the common case),
//!   and otherwise merged into it from its end, moving the newer records up
//!   as blocks.
//!
//! Invalidation is lazy: queueing a message about X stamps X's *slot* (a
//! small dense table, one entry per node with a queued message, found through
//! the slot index X's owner keeps in its view of X, [`SlotHint`]: together
//! they are memberlist's `tm`) with the new id, which makes the old
//! record stale in place. A pull drops the stale records it meets at a
//! bucket's end, and a compaction bounds the rest to about half the live ones.
//! Ids are per queue and 30-bit (a record's stamp keeps the message kind in its
//! low two bits): before one would overflow, the live messages are renumbered
//! 1..=n in their order ([`BroadcastQueue::renumber`], once per billion
//! messages queued), which keeps every comparison the same. The order picked is
//! exactly the rules above — the tests check it against a literal
//! sort-and-scan model on random workloads, renumbering included.

use super::idmap::FlatIdMap;
use super::{Broadcast, BroadcastKind, NodeId, QueueOrder};

/// One queued message as its bucket holds it: 20 bytes, all a pick emits.
#[derive(Clone, Copy, Debug, Default)]
struct Rec {
    /// `id << 2 | kind`: a larger id is newer. Ids are unique, so the kind bits
    /// never decide an order.
    stamp: u32,
    /// The slot of the node the message is about: the record is live while
    /// the slot holds its id.
    slot: u32,
    node: NodeId,
    incarnation: u32,
    from: NodeId,
}

impl Rec {
    fn id(&self) -> u32 {
        self.stamp >> 2
    }

    fn broadcast(&self) -> Broadcast {
        // A table, not a match: one load instead of branches, for every pick.
        const KINDS: [BroadcastKind; 4] = [
            BroadcastKind::Alive,
            BroadcastKind::Suspect,
            BroadcastKind::Dead,
            BroadcastKind::Dead,
        ];
        Broadcast {
            kind: KINDS[(self.stamp & 3) as usize],
            node: self.node,
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

/// The message queued about one node: its id (0: the slot is free), its
/// length class and the node.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    id: u32,
    class: u32,
    node: NodeId,
}

/// Where the message queued about a node lives: a slot index the node's
/// owner keeps next to what it reads anyway (the member view), so that finding
/// the message costs no map probe.
///
/// The contract: for each node, the caller passes back the hint that the
/// queue's last [`BroadcastQueue::queue_hinted`] about that node left (or
/// [`NO_SLOT`] if there was none). The hint may have gone stale since (the
/// message was sent its last time and its slot reused): a slot is believed
/// only if it holds a message about that node. A stale hint then means that
/// nothing is queued about the node, since queueing one again would have
/// updated it. So the queue needs no map from node to slot, except for
/// slots a hint cannot hold ([`NO_SLOT`] and above, in queues about more than
/// 65,535 nodes). Test builds check the contract against such a map.
pub type SlotHint = u16;

/// A hint that points nowhere; also the hint of every slot from this index
/// on, which the overflow map keeps instead.
pub const NO_SLOT: SlotHint = SlotHint::MAX;

/// Whether `slot` is one a hint cannot hold, kept in the overflow map.
fn overflows(slot: u32) -> bool {
    slot >= u32::from(NO_SLOT)
}

thread_local! {
    /// The records a pull takes and re-inserts, shared by every queue of the
    /// thread (cleared at each pull: nothing in it outlives one).
    static SCRATCH: std::cell::RefCell<Taken> = const { std::cell::RefCell::new(Taken::new()) };
}

/// The records one pull takes, to re-insert one tier up once it is over.
///
/// Kept as runs, each bound for one bucket and in that bucket's order
/// (oldest first), so that a run copied from a bucket's end goes back as one
/// block: in the common case it is all newer than what its new bucket holds
/// and is appended with one copy.
#[derive(Clone, Debug, Default)]
struct Taken {
    recs: Vec<Rec>,
    runs: Vec<Run>,
    /// The `Legacy` pull's cursor into each class's bucket of a tier, with
    /// the replaced records it passed.
    tops: Vec<(usize, usize)>,
}

/// `recs[start..end]` of a [`Taken`], bound for bucket (`tier`, `class`).
#[derive(Clone, Copy, Debug)]
struct Run {
    tier: u32,
    class: u32,
    start: u32,
    end: u32,
}

impl Taken {
    const fn new() -> Taken {
        Taken {
            recs: Vec::new(),
            runs: Vec::new(),
            tops: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.recs.clear();
        self.runs.clear();
    }

    /// Close the records pushed since `start` as a run bound for (`tier`, `class`).
    fn close_run(&mut self, tier: u32, class: u32, start: usize) {
        if self.recs.len() > start {
            self.runs.push(Run {
                tier,
                class,
                start: start as u32,
                end: self.recs.len() as u32,
            });
        }
    }
}

/// Records of replaced messages tolerated beyond half the live ones before a
/// compaction sweeps them out (each sweep is O(records), paid for by at least
/// that many replacements).
const STALE_SLACK: usize = 64;

/// Bucket capacity (in records) up to which a compaction never shrinks a
/// bucket that still holds records: small ones are not worth a
/// reallocation. An empty one is released whatever its size
/// ([`BroadcastQueue::compact`]).
const SHRINK_ABOVE: usize = 256;

/// The largest id: a stamp keeps the kind in its low two bits.
const MAX_ID: u32 = (1 << 30) - 1;

#[derive(Clone, Debug)]
pub struct BroadcastQueue {
    order: QueueOrder,
    /// The slot of each node whose queued message sits in a slot no hint can
    /// hold ([`NO_SLOT`] and above): empty in clusters of up to 65,535 nodes.
    /// With the callers' hints it is memberlist's `tm` (node to message).
    overflow: FlatIdMap<u32>,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    /// Distinct message lengths seen, by class index (classes are never removed).
    class_len: Vec<u32>,
    /// Class indices, longest first.
    classes_longest_first: Vec<u32>,
    /// Live messages by class.
    class_live: Vec<u32>,
    /// The shortest length among them (`u32::MAX`: none), `None` when it must
    /// be worked out again.
    shortest: Option<u32>,
    /// Records, live or stale, by (transmit tier, length class) at
    /// `tier · class_len.len() + class`, each sorted by id: the newest last.
    buckets: Vec<Vec<Rec>>,
    /// Bit `t` clear: tier `t` (below 64) is known empty, so a pull skips it
    /// without looking at its buckets. Set when a record enters the tier,
    /// cleared when a pull finds the tier empty (a bit may be set for an empty
    /// tier, never clear for a non-empty one).
    tier_mask: u64,
    /// Records of replaced messages still in a bucket.
    stale: usize,
    /// The ids of those records, as a filter: a record whose id it cannot
    /// hold is live without a look at its slot.
    stale_ids: StaleFilter,
    /// The id of the latest message queued.
    next_id: u32,
    /// The id after which live messages are renumbered ([`MAX_ID`]; tests lower it).
    id_limit: u32,
    /// Test builds: the slot of every node with a queued message, as a map
    /// would keep it, to check that every hint a caller passes keeps the
    /// [`SlotHint`] contract.
    #[cfg(test)]
    shadow: std::collections::BTreeMap<NodeId, u32>,
    /// Test builds: the hints of [`Self::queue`]'s callers, kept per node
    /// as a node keeps them in its views (never cleared, so they go stale).
    #[cfg(test)]
    test_hints: std::collections::BTreeMap<NodeId, SlotHint>,
}

impl BroadcastQueue {
    pub fn new(order: QueueOrder) -> BroadcastQueue {
        BroadcastQueue {
            order,
            overflow: FlatIdMap::default(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            class_len: Vec::new(),
            classes_longest_first: Vec::new(),
            class_live: Vec::new(),
            shortest: None,
            buckets: Vec::new(),
            tier_mask: 0,
            stale: 0,
            stale_ids: StaleFilter::default(),
            next_id: 0,
            id_limit: MAX_ID,
            #[cfg(test)]
            shadow: Default::default(),
            #[cfg(test)]
            test_hints: Default::default(),
        }
    }

    pub fn order(&self) -> QueueOrder {
        self.order
    }

    fn tiers(&self) -> usize {
        self.buckets
            .len()
            .checked_div(self.class_len.len())
            .unwrap_or(0)
    }

    fn bucket_index(&self, tier: usize, class: u32) -> usize {
        tier * self.class_len.len() + class as usize
    }

    /// Queue `b` (encoded size `len` bytes), first removing any queued message about
    /// the same node (invalidation by node name). The tests' entry point: it
    /// keeps each node's hint as a node does (nodes call [`Self::queue_hinted`]).
    #[cfg(test)]
    pub fn queue(&mut self, b: Broadcast, len: u32) {
        let mut hint = self.test_hints.get(&b.node).copied().unwrap_or(NO_SLOT);
        self.queue_hinted(b, len, &mut hint);
        self.test_hints.insert(b.node, hint);
    }

    /// The hint [`Self::queue`] keeps for `node` (tests).
    #[cfg(test)]
    pub fn hint_of(&self, node: NodeId) -> SlotHint {
        self.test_hints.get(&node).copied().unwrap_or(NO_SLOT)
    }

    /// [`Self::queue`], with the caller's note of where the node's queued
    /// message lives (see [`SlotHint`]), which it updates.
    pub fn queue_hinted(&mut self, b: Broadcast, len: u32, hint: &mut SlotHint) {
        if self.next_id >= self.id_limit {
            self.renumber();
        }
        self.next_id += 1;
        let id = self.next_id;
        let class = self.class_of(len);
        let slot = match self.find_slot(b.node, *hint) {
            Some(slot) => {
                // The old message's record goes stale: the slot gets a newer id.
                let old = self.slots[slot as usize];
                self.count_live(old.class, false);
                self.stale += 1;
                self.stale_ids.insert(old.id);
                slot
            }
            None => {
                let slot = self.free_slots.pop().unwrap_or_else(|| {
                    self.slots.push(Slot::default());
                    (self.slots.len() - 1) as u32
                });
                if overflows(slot) {
                    self.overflow.insert(b.node, slot);
                }
                #[cfg(test)]
                self.shadow.insert(b.node, slot);
                slot
            }
        };
        self.slots[slot as usize] = Slot {
            id,
            class,
            node: b.node,
        };
        *hint = if overflows(slot) {
            NO_SLOT
        } else {
            slot as SlotHint
        };
        self.count_live(class, true);
        if self.tiers() == 0 {
            self.buckets.resize_with(self.class_len.len(), Vec::new);
        }
        self.tier_mask |= 1;
        // The newest message: the end of its bucket.
        self.buckets[class as usize].push(Rec {
            stamp: (id << 2) | kind_bits(b.kind),
            slot,
            node: b.node,
            incarnation: b.incarnation,
            from: b.from,
        });
        if self.stale > self.len() / 2 + STALE_SLACK {
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
        let Some(shortest) = self.shortest() else {
            return 0;
        };
        // Borrow the thread's scratch list: one list, warm in cache, for every
        // queue (each node's own would be a cold line per pull).
        SCRATCH.with(|scratch| {
            let taken = &mut scratch.borrow_mut();
            taken.clear();
            let mut pull = Pull {
                overhead: i64::from(overhead),
                limit: i64::from(limit_bytes),
                shortest: i64::from(shortest),
                retransmit_limit,
                btree: self.order == QueueOrder::Btree,
                used: 0,
                taken,
            };
            self.pull(&mut pull, out);
            pull.used as u32
        })
    }

    /// The tiers of one pull, fewest transmits first, then the re-insertion
    /// of what it took.
    fn pull(&mut self, pull: &mut Pull, out: &mut Vec<Broadcast>) {
        self.warm_pull();
        let tiers = self.tiers();
        let mut tier = 0;
        while tier < tiers {
            // Jump to the next tier the mask does not know empty (every tier
            // from 64 on is visited).
            if tier < 64 {
                let ahead = self.tier_mask >> tier;
                if ahead == 0 {
                    tier = 64;
                    continue;
                }
                tier += ahead.trailing_zeros() as usize;
                if tier >= tiers {
                    break;
                }
            }
            let more = match self.order {
                QueueOrder::Btree => self.pull_tier_longest_first(tier, pull, out),
                QueueOrder::Legacy => self.pull_tier_newest_first(tier, pull, out),
            };
            if !more {
                break;
            }
            let classes = self.class_len.len();
            let row = &self.buckets[tier * classes..(tier + 1) * classes];
            if tier < 64 && row.iter().all(Vec::is_empty) {
                self.tier_mask &= !(1 << tier);
            }
            tier += 1;
        }
        self.reinsert_taken(pull.taken);
    }

    /// Count one live message more or fewer in `class`; the shortest length
    /// queued changes only when a class gains its first or loses its last.
    fn count_live(&mut self, class: u32, add: bool) {
        let live = &mut self.class_live[class as usize];
        if add {
            *live += 1;
        } else {
            *live -= 1;
        }
        if *live == u32::from(add) {
            self.shortest = None;
        }
    }

    /// The shortest length queued (`None`: nothing is), remembered between
    /// pulls: a pull stops once the free space is below it.
    fn shortest(&mut self) -> Option<u32> {
        if self.shortest.is_none() {
            let live_lens = (self.class_len.iter().zip(&self.class_live))
                .filter(|&(_, &live)| live > 0)
                .map(|(&len, _)| len);
            self.shortest = Some(live_lens.min().unwrap_or(u32::MAX));
        }
        self.shortest.filter(|&len| len != u32::MAX)
    }

    /// Ask for the lines a pull is about to read, so that their cache misses
    /// overlap instead of queueing one behind the other (a thousand nodes'
    /// queues do not fit in cache): the newest records of the first non-empty
    /// buckets, and the ends of the buckets one tier up, where taken records
    /// will be merged. Prefetches only ([`crate::prefetch::prefetch`]): nothing
    /// here changes a pick.
    fn warm_pull(&self) {
        const BUCKETS: usize = 4;
        let classes = self.class_len.len();
        let mut warmed = 0;
        // Only the mask's tiers (below 64) are warmed: a pull reaches a later
        // tier only after 64 others, long after its first few buckets.
        let mut tiers = self.tier_mask;
        while tiers != 0 && warmed < BUCKETS {
            let tier = tiers.trailing_zeros() as usize;
            tiers &= tiers - 1;
            for at in tier * classes..((tier + 1) * classes).min(self.buckets.len()) {
                let Some(newest) = self.buckets[at].last() else {
                    continue;
                };
                crate::prefetch::prefetch(newest);
                if let Some(up) = self.buckets.get(at + classes).and_then(|b| b.last()) {
                    crate::prefetch::prefetch(up);
                }
                warmed += 1;
                if warmed == BUCKETS {
                    break;
                }
            }
        }
    }

    /// `Btree` within one tier: classes longest first, each newest first, while
    /// they fit. Returns false once nothing more can fit.
    ///
    /// Every message of a class has the same length, so how many of a class
    /// fit is known before any is taken, and the class's bucket gives them up
    /// from its end at once ([`Self::take_newest`]): the same messages, in the
    /// same order, as taking them one at a time and asking after each.
    fn pull_tier_longest_first(
        &mut self,
        tier: usize,
        pull: &mut Pull,
        out: &mut Vec<Broadcast>,
    ) -> bool {
        for i in 0..self.classes_longest_first.len() {
            let class = self.classes_longest_first[i];
            let Some(free) = pull.free() else {
                return false;
            };
            // A tier's row of buckets is mostly empty in a queue of many
            // classes: an empty bucket costs this look and nothing more.
            let held = self.buckets[self.bucket_index(tier, class)].len() as i64;
            if held == 0 {
                continue;
            }
            let len = i64::from(self.class_len[class as usize]);
            // The j-th message taken (from 0) fits while `free − j·cost` is
            // at least its length and above 0; then it is also at least the
            // shortest length queued, as a class with a live message is one
            // of those the shortest is taken over.
            let need = len.max(1);
            if need > free {
                continue;
            }
            let cost = pull.overhead + len;
            // No division when everything the bucket holds fits.
            let fit = if (held - 1) * cost <= free - need {
                held
            } else {
                (free - need) / cost + 1
            };
            if self.take_newest(tier, class, fit, pull, out) > 0 && pull.free().is_none() {
                return false;
            }
        }
        true
    }

    /// Take up to `fit` live records from the end of bucket (`tier`, `class`),
    /// newest first, dropping the replaced ones met on the way (as many pops
    /// would); returns how many were taken.
    fn take_newest(
        &mut self,
        tier: usize,
        class: u32,
        fit: i64,
        pull: &mut Pull,
        out: &mut Vec<Broadcast>,
    ) -> i64 {
        let at = self.bucket_index(tier, class);
        let bucket = &self.buckets[at];
        // Where the taken end of the bucket begins, and what it holds.
        let mut from = bucket.len();
        let (mut live, mut stale) = (0, 0);
        while from > 0 && live < fit {
            if is_live(&self.slots, &self.stale_ids, &bucket[from - 1]) {
                live += 1;
            } else {
                stale += 1;
            }
            from -= 1;
        }
        pull.used += live * (pull.overhead + i64::from(self.class_len[class as usize]));
        let next = (tier as u32).saturating_add(1);
        if next >= pull.retransmit_limit {
            // Sent their last time, newest first.
            for i in (from..self.buckets[at].len()).rev() {
                let rec = self.buckets[at][i];
                if is_live(&self.slots, &self.stale_ids, &rec) {
                    out.push(rec.broadcast());
                    self.release(rec, class);
                }
            }
            self.buckets[at].truncate(from);
        } else {
            let start = self.lift_end(pull.taken, at, from, stale, next, class);
            out.extend(pull.taken.recs[start..].iter().rev().map(Rec::broadcast));
        }
        self.drop_stale(stale);
        live
    }

    /// The end of bucket `at` from `from` on, holding `stale` replaced
    /// records, was taken: its live records go to the taken list in the
    /// bucket's order, bound for tier `next`, and the end is cut off. Returns
    /// where they start in the list.
    // Inlined: once per run of records a pull takes (out of line, the
    // starved 10 s bench ran 1.5 % more instructions).
    #[inline(always)]
    fn lift_end(
        &mut self,
        taken: &mut Taken,
        at: usize,
        from: usize,
        stale: usize,
        next: u32,
        class: u32,
    ) -> usize {
        let bucket = &mut self.buckets[at];
        let recs = &mut taken.recs;
        let start = recs.len();
        if stale == 0 {
            recs.extend_from_slice(&bucket[from..]);
        } else {
            let (slots, stale_ids) = (&self.slots, &self.stale_ids);
            recs.extend(
                bucket[from..]
                    .iter()
                    .filter(|r| is_live(slots, stale_ids, r)),
            );
        }
        bucket.truncate(from);
        taken.close_run(next, class, start);
        start
    }

    /// `count` replaced records left their buckets.
    fn drop_stale(&mut self, count: usize) {
        if count > 0 {
            self.stale -= count;
            if self.stale == 0 {
                self.stale_ids.clear();
            }
        }
    }

    /// `Legacy` within one tier: newest first across the classes that still
    /// fit. Returns false once nothing more can fit.
    ///
    /// Each class's bucket is read down from its end by a cursor (its *top*),
    /// which passes the records taken and the replaced ones met; once the
    /// tier is done, each bucket's end above its top is cut off at once, its
    /// taken records bound one tier up.
    fn pull_tier_newest_first(
        &mut self,
        tier: usize,
        pull: &mut Pull,
        out: &mut Vec<Broadcast>,
    ) -> bool {
        let classes = self.class_len.len();
        let first = self.bucket_index(tier, 0);
        let next = (tier as u32).saturating_add(1);
        // Each class's top, and the replaced records above it.
        let mut tops = std::mem::take(&mut pull.taken.tops);
        tops.clear();
        tops.extend(
            self.buckets[first..first + classes]
                .iter()
                .map(|b| (b.len(), 0)),
        );
        let more = loop {
            let Some(free) = pull.free() else {
                break false;
            };
            let mut newest: Option<(u32, usize)> = None;
            for (class, (top, stale)) in tops.iter_mut().enumerate() {
                if i64::from(self.class_len[class]) > free {
                    continue;
                }
                let bucket = &self.buckets[first + class];
                while *top > 0 {
                    let rec = &bucket[*top - 1];
                    if is_live(&self.slots, &self.stale_ids, rec) {
                        if newest.is_none_or(|(best, _)| rec.id() > best) {
                            newest = Some((rec.id(), class));
                        }
                        break;
                    }
                    *top -= 1;
                    *stale += 1;
                }
            }
            let Some((_, class)) = newest else {
                break true;
            };
            tops[class].0 -= 1;
            let rec = self.buckets[first + class][tops[class].0];
            pull.used += pull.overhead + i64::from(self.class_len[class]);
            out.push(rec.broadcast());
            if next >= pull.retransmit_limit {
                self.release(rec, class as u32);
            }
        };
        let mut stale_dropped = 0;
        for (class, &(top, stale)) in tops.iter().enumerate() {
            if top == self.buckets[first + class].len() {
                continue; // nothing taken or passed
            }
            if next >= pull.retransmit_limit {
                self.buckets[first + class].truncate(top);
            } else {
                self.lift_end(pull.taken, first + class, top, stale, next, class as u32);
            }
            stale_dropped += stale;
        }
        self.drop_stale(stale_dropped);
        pull.taken.tops = tops;
        more
    }

    /// `rec` was sent its last time: its node has nothing queued any more.
    fn release(&mut self, rec: Rec, class: u32) {
        self.slots[rec.slot as usize] = Slot::default();
        self.free_slots.push(rec.slot);
        if overflows(rec.slot) {
            self.overflow.remove(&rec.node);
        }
        #[cfg(test)]
        self.shadow.remove(&rec.node);
        self.count_live(class, false);
    }

    /// No non-empty tier is marked empty (tests call it after every step of
    /// their random workloads).
    #[cfg(test)]
    fn assert_tier_mask(&self) {
        let classes = self.class_len.len();
        for tier in 0..self.tiers().min(64) {
            let row = &self.buckets[tier * classes..(tier + 1) * classes];
            let empty = row.iter().all(Vec::is_empty);
            assert!(empty || self.tier_mask & (1 << tier) != 0, "tier {tier}");
        }
    }

    /// Put the taken records back one transmit older, each run into its
    /// bucket by id. A run is in id order, so it is merged from the bucket's
    /// end: for each of its records, newest first, step back over the newer
    /// ones and move them up as one block.
    fn reinsert_taken(&mut self, taken: &Taken) {
        for &run in &taken.runs {
            let Run {
                tier,
                class,
                start,
                end,
            } = run;
            // Grow a tier when the run is the first to reach it (a product,
            // not `tiers()`: no division per run).
            let classes = self.class_len.len();
            let row_end = (tier as usize + 1) * classes;
            if self.buckets.len() < row_end {
                self.buckets.resize_with(row_end, Vec::new);
            }
            self.tier_mask |= 1u64.checked_shl(tier).unwrap_or(0);
            let bucket = &mut self.buckets[row_end - classes + class as usize];
            let run = &taken.recs[start as usize..end as usize];
            // The common case in a busy queue: the run is all newer than the
            // bucket's newest, so it goes on the end as it is.
            if bucket.last().is_none_or(|r| r.stamp < run[0].stamp) {
                bucket.extend_from_slice(run);
                continue;
            }
            let n = bucket.len();
            bucket.resize(n + run.len(), Rec::default());
            let mut write = n + run.len();
            let mut unmoved = n;
            for &rec in run.iter().rev() {
                // Step back over the newer records.
                let from = bucket[..unmoved]
                    .iter()
                    .rposition(|r| r.stamp <= rec.stamp)
                    .map_or(0, |older| older + 1);
                let block = unmoved - from;
                if block > 0 {
                    bucket.copy_within(from..unmoved, write - block);
                }
                write -= block + 1;
                bucket[write] = rec;
                unmoved = from;
            }
        }
    }

    /// Messages queued: one per slot in use.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free_slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Is a message about `node` still queued? (Leave waits for its own to
    /// finish.) `hint` as for [`Self::queue_hinted`].
    pub fn contains(&self, node: NodeId, hint: SlotHint) -> bool {
        self.find_slot(node, hint).is_some()
    }

    /// The queued message about `node` and how many times it has been sent
    /// (tests: found through the shadow map, whoever queued it).
    #[cfg(test)]
    pub fn get(&self, node: NodeId) -> Option<(Broadcast, u32)> {
        let &index = self.shadow.get(&node)?;
        let slot = self.slots[index as usize];
        (0..self.tiers()).find_map(|tier| {
            let bucket = &self.buckets[self.bucket_index(tier, slot.class)];
            let rec = bucket
                .iter()
                .find(|r| r.slot == index && r.id() == slot.id)?;
            Some((rec.broadcast(), tier as u32))
        })
    }

    /// Drop everything (memberlist `Reset`).
    pub fn clear(&mut self) {
        self.overflow.clear();
        #[cfg(test)]
        self.shadow.clear();
        self.slots.clear();
        self.free_slots.clear();
        self.class_live.iter_mut().for_each(|l| *l = 0);
        self.shortest = None;
        self.buckets.iter_mut().for_each(Vec::clear);
        self.tier_mask = 0;
        self.stale = 0;
        self.stale_ids.clear();
    }

    /// Ask for the line of the slot `hint` names, which queueing or reading
    /// a message about the hinted node will read, without reading it
    /// ([`crate::prefetch::prefetch`]): a received packet's messages ask
    /// together, so that their cache misses overlap (`Node::warm_parts`).
    pub(super) fn prefetch(&self, hint: SlotHint) {
        if let Some(slot) = self.slots.get(usize::from(hint)) {
            crate::prefetch::prefetch(slot);
        }
    }

    /// The slot of the message queued about `node`: the hinted one if it holds
    /// a message about `node` (a node has at most one); else, for [`NO_SLOT`],
    /// the overflow map's; else none (see [`SlotHint`]).
    fn find_slot(&self, node: NodeId, hint: SlotHint) -> Option<u32> {
        let found = match self.slots.get(usize::from(hint)) {
            Some(s) if s.node == node && s.id != 0 => Some(u32::from(hint)),
            // An empty map answers without probing (`FlatIdMap::get`).
            _ if hint == NO_SLOT => self.overflow.get(&node).copied(),
            _ => None,
        };
        #[cfg(test)]
        assert_eq!(
            found,
            self.shadow.get(&node).copied(),
            "BUG! hint {hint} for node {node} breaks the SlotHint contract"
        );
        found
    }

    /// The length class of `len`, created on first sight.
    fn class_of(&mut self, len: u32) -> u32 {
        // Few classes (message lengths vary only with name/meta/incarnation sizes).
        if let Some(c) = self.class_len.iter().position(|&l| l == len) {
            return c as u32;
        }
        // A new class widens every tier's row of buckets (rare: never in steady state).
        let (tiers, classes) = (self.tiers(), self.class_len.len());
        let old = std::mem::take(&mut self.buckets);
        let mut old = old.into_iter();
        self.buckets = Vec::with_capacity(tiers * (classes + 1));
        for _ in 0..tiers {
            self.buckets.extend(old.by_ref().take(classes));
            self.buckets.push(Vec::new());
        }
        let class = classes as u32;
        self.class_len.push(len);
        self.class_live.push(0);
        let at = self
            .classes_longest_first
            .partition_point(|&c| self.class_len[c as usize] > len);
        self.classes_longest_first.insert(at, class);
        class
    }

    /// Sweep every replaced message's record out (O(records)), once they
    /// outnumber the live ones: memory stays O(live).
    ///
    /// A bucket also gives back capacity it no longer uses. Buckets keep the
    /// capacity of the longest they have been, and a long sick run keeps
    /// setting new highs: a starved 1,000-node 2015 cluster's buckets held
    /// 8.5 M records of capacity for 1.3 M records after 120 s, 3.4 M after
    /// 30 s. One of more than [`SHRINK_ABOVE`] records' capacity that has
    /// fallen to an eighth of it shrinks to twice its length, so a queue's
    /// memory follows what it holds; the gap between the two thresholds
    /// keeps reallocations rare (after one, only the bucket's length
    /// doubling, or falling to a quarter, causes the next).
    ///
    /// An empty bucket gives back all it holds, however small. Why: a queue
    /// has a bucket per (tier, length class), and classes only ever get
    /// added (an incarnation that needs one more byte makes a longer
    /// message), so a long run gathers drained buckets (tiers its messages
    /// have left, classes no message has any more), each below
    /// [`SHRINK_ABOVE`] and kept at its longest: on the starved 1,000-node
    /// bench run for 48 minutes, the queues' buckets held 113 MB of capacity
    /// for 26 MB of records, growing with simulated time (55–59 MB from the
    /// 12th minute on with this; releasing only the buckets of classes left
    /// without a message, 79 MB). Only a bucket empty when a compaction runs
    /// is released: one that pulls drain and new messages refill in between
    /// keeps its capacity, so busy buckets rarely reallocate (the starved
    /// bench's 120 s ran 0.34 % more instructions).
    fn compact(&mut self) {
        let slots = &self.slots;
        for bucket in &mut self.buckets {
            bucket.retain(|r| slots[r.slot as usize].id == r.id());
            if bucket.is_empty() {
                *bucket = Vec::new();
            } else if bucket.capacity() > SHRINK_ABOVE && bucket.len() * 8 <= bucket.capacity() {
                bucket.shrink_to(bucket.len() * 2);
            }
        }
        self.stale = 0;
        self.stale_ids.clear();
    }

    /// Give the live messages the ids 1..=n in their current order, so ids never
    /// overflow: every comparison the rules make (newer or older) is the same
    /// before and after. Replaced messages' records are dropped on the way.
    /// Runs once per `id_limit` messages queued (a billion), so its allocation
    /// is not a steady-state one.
    fn renumber(&mut self) {
        self.compact();
        let mut by_id: Vec<(u32, usize, usize)> = Vec::with_capacity(self.len());
        for (b, bucket) in self.buckets.iter().enumerate() {
            by_id.extend(bucket.iter().enumerate().map(|(i, r)| (r.id(), b, i)));
        }
        by_id.sort_unstable();
        for (n, &(_, b, i)) in by_id.iter().enumerate() {
            let id = n as u32 + 1;
            let rec = &mut self.buckets[b][i];
            rec.stamp = (id << 2) | (rec.stamp & 3);
            self.slots[rec.slot as usize].id = id;
        }
        self.next_id = by_id.len() as u32;
    }
}

/// A set of ids that may answer "maybe" for ids it does not hold (one bit per
/// id modulo its size), emptied only when no stale record is left.
///
/// Why: a pull must tell a replaced message's record from a live one, and the
/// slot that tells is a cache miss in a cold queue, once per message sent.
/// Replaced records are few next to the filter's 1,024 bits (a compaction
/// keeps them under about half the live messages, plus 64), so most checks
/// end at this filter, which lives in the queue itself.
#[derive(Clone, Debug, Default)]
struct StaleFilter([u64; 16]);

impl StaleFilter {
    fn bit(id: u32) -> (usize, u64) {
        let bit = id as usize % (64 * 16);
        (bit / 64, 1 << (bit % 64))
    }

    fn insert(&mut self, id: u32) {
        let (word, mask) = Self::bit(id);
        self.0[word] |= mask;
    }

    fn may_hold(&self, id: u32) -> bool {
        let (word, mask) = Self::bit(id);
        self.0[word] & mask != 0
    }

    fn clear(&mut self) {
        self.0 = [0; 16];
    }
}

/// A record is live while its slot holds its id; the filter answers most
/// asks without reading the slot (see [`StaleFilter`]).
#[inline(always)]
fn is_live(slots: &[Slot], stale_ids: &StaleFilter, rec: &Rec) -> bool {
    let id = rec.id();
    !stale_ids.may_hold(id) || slots[rec.slot as usize].id == id
}

/// The budget of one `get_broadcasts` call, and what it has taken so far.
struct Pull<'a> {
    overhead: i64,
    limit: i64,
    shortest: i64,
    retransmit_limit: u32,
    btree: bool,
    used: i64,
    taken: &'a mut Taken,
}

impl Pull<'_> {
    /// The bytes a next message may take, or None once nothing queued can fit:
    /// btree stops when nothing is left; 2015 still scans for 0-byte parts.
    fn free(&self) -> Option<i64> {
        let free = self.limit - self.used - self.overhead;
        let left = if self.btree { free > 0 } else { free >= 0 };
        (left && free >= self.shortest).then_some(free)
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
                assert!(q.contains(9, q.hint_of(9)), "{order:?} before send {i}");
                assert_eq!(pull(&mut q, 1400, 4), vec![9]);
            }
            // The hint is stale now: its slot is free.
            assert!(!q.contains(9, q.hint_of(9)));
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
                    q.assert_tier_mask();
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

    /// Rule §4.2 with more than 64 transmit tiers (a `retransmit_mult`
    /// override): tiers past the queue's 64-bit mask of possibly non-empty
    /// tiers are always visited, and the picks still match the literal model.
    #[test]
    fn tiers_beyond_the_mask_match_the_literal_model() {
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            let mut model: Vec<(NodeId, u32, u32, u64)> = Vec::new();
            let mut id = 0u64;
            let mut deepest = 0;
            for step in 0..400u32 {
                if step < 5 || step % 50 == 0 {
                    let node = step % 7;
                    id += 1;
                    model.retain(|it| it.0 != node);
                    model.push((node, 30 + (step % 4) * 10, 0, id));
                    q.queue(suspect(node), 30 + (step % 4) * 10);
                }
                // Room for two or three messages: transmit counts spread out.
                let want = reference(&mut model, order, 2, 100, 150);
                assert_eq!(pull(&mut q, 100, 150), want, "{order:?} step {step}");
                q.assert_tier_mask();
                deepest = model.iter().map(|it| it.2).fold(deepest, u32::max);
            }
            assert!(deepest > 70, "{order:?}: deepest tier {deepest}");
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
        let entries: usize = q.buckets.iter().map(Vec::len).sum();
        assert_eq!(q.len(), 10);
        assert!(entries <= 10 + STALE_SLACK + 1, "{entries} index entries");
        // Ten messages: ten slots, and no map (the hints find them).
        assert_eq!(q.slots.len(), 10);
        assert_eq!(q.overflow.capacity(), 0);
    }

    /// Rule: invalidation by node name holds in a queue about more nodes
    /// than a hint can point to (65,535): those beyond are found through
    /// the overflow map, and a stale hint never hides a queued message (test
    /// builds check every lookup against a node-to-slot map).
    #[test]
    fn invalidation_holds_beyond_the_slots_a_hint_can_hold() {
        let nodes = u32::from(NO_SLOT) + 1_000;
        for order in [QueueOrder::Btree, QueueOrder::Legacy] {
            let mut q = BroadcastQueue::new(order);
            for node in 0..nodes {
                q.queue(suspect(node), 40);
            }
            assert_eq!(q.len(), nodes as usize);
            assert_eq!(q.overflow.len(), 1_000, "slots {NO_SLOT} and above");
            // A newer message about a node on either side of the boundary
            // replaces the old one in place.
            for node in [0, u32::from(NO_SLOT) - 1, u32::from(NO_SLOT), nodes - 1] {
                q.queue(alive(node, 2), 40);
                assert_eq!(q.get(node), Some((alive(node, 2), 0)), "{order:?}");
            }
            assert_eq!(q.len(), nodes as usize);
            // Send everything its last time: the slots and the map empty.
            let mut sent = 0;
            while !q.is_empty() {
                let mut out = Vec::new();
                q.get_broadcasts(2, 1400, 1, &mut out);
                assert!(!out.is_empty());
                sent += out.len();
            }
            assert_eq!(sent, nodes as usize, "{order:?}");
            assert!(q.overflow.is_empty());
            // The old hints are stale now; queueing again still finds
            // nothing to replace, and then the new message.
            for node in [1, u32::from(NO_SLOT) + 1] {
                q.queue(suspect(node), 40);
                q.queue(alive(node, 3), 40);
                assert_eq!(q.get(node), Some((alive(node, 3), 0)));
            }
            assert_eq!(q.len(), 2);
        }
    }

    /// A burst that filled a bucket does not keep its memory: once the queue
    /// holds a few messages again, compactions shrink the buckets to what
    /// they hold (a long sick run otherwise keeps every bucket at its
    /// longest).
    #[test]
    fn buckets_give_back_the_capacity_of_a_burst() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        for node in 0..20_000u32 {
            q.queue(suspect(node), 40);
        }
        let capacity = |q: &BroadcastQueue| q.buckets.iter().map(Vec::capacity).sum::<usize>();
        assert!(capacity(&q) >= 20_000);
        // Send the burst out (each message once, then it is dropped) ...
        let mut out = Vec::new();
        while !q.is_empty() {
            out.clear();
            q.get_broadcasts(2, 1400, 1, &mut out);
        }
        // ... then churn ten messages, which compacts now and then.
        for i in 0..10_000u32 {
            q.queue(suspect(i % 10), 40);
        }
        assert_eq!(q.len(), 10);
        assert!(
            capacity(&q) <= 8 * (10 + STALE_SLACK) + 2 * SHRINK_ABOVE,
            "{} records of capacity for 10 messages",
            capacity(&q)
        );
    }

    /// Drained buckets give their memory back, however small. Length classes
    /// are never removed, so a long run's queues gather buckets of tiers and
    /// classes that once held a few messages each (fewer than
    /// [`SHRINK_ABOVE`]): kept at their longest, they made a starved
    /// cluster's memory grow with simulated time.
    #[test]
    fn drained_small_buckets_give_their_memory_back() {
        let mut q = BroadcastQueue::new(QueueOrder::Btree);
        // Twelve length classes of 100 messages, each sent four times: 48
        // buckets that held up to 100 records each.
        for node in 0..1_200u32 {
            q.queue(suspect(node), 40 + node / 100);
        }
        let capacity = |q: &BroadcastQueue| q.buckets.iter().map(Vec::capacity).sum::<usize>();
        let mut out = Vec::new();
        let mut held = 0;
        while !q.is_empty() {
            out.clear();
            q.get_broadcasts(2, 1400, 4, &mut out);
            held = held.max(capacity(&q));
        }
        assert!(held >= 1_200, "{held} records of capacity at most");
        // Churn ten messages of another class, which compacts now and then:
        // its bucket holds the ten and at most `len / 2 + STALE_SLACK`
        // replaced ones (so its capacity is below twice that), every
        // drained bucket nothing.
        for i in 0..10_000u32 {
            q.queue(suspect(i % 10), 30);
        }
        assert_eq!(q.len(), 10);
        assert!(
            capacity(&q) <= 2 * (10 + 10 / 2 + STALE_SLACK + 1),
            "{} records of capacity for 10 messages",
            capacity(&q)
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
                        q.assert_tier_mask();
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
