//! The event queue: ordered by `(time, insertion sequence)` so events due at the
//! same instant pop in FIFO order (model.md §1) — never by hashing or addresses.
//!
//! Why this shape: each key carries its payload inline, `(time, item)`, so a
//! pop reads one contiguous key and no side table: a sick cluster keeps millions
//! of timers queued, and a separate payload slab cost one cache miss per event
//! and ~30 % more memory per queued event. Payloads are therefore kept small by
//! the engine (24 bytes: packets are boxed). Bucket vectors keep their capacity,
//! so a steady-state run does not allocate. Cancellation is lazy: payloads carry
//! whatever token their consumer checks (process generation, hold id, …) and
//! stale ones are dropped when popped.
//!
//! The keys sit in a *radix heap* (Ahuja, Mehlhorn, Orlin & Tarjan 1990) rather
//! than a binary heap. A discrete-event run pops times that never decrease, and a
//! sick cluster keeps hundreds of thousands of far-future timers queued (every
//! node's suspicion timers, most of them stale); a binary heap pays ~20
//! cache-missing levels per pop for those, a radix heap moves each key down a
//! few buckets of contiguous vectors over its whole life. Keys are bucketed by
//! where their time first differs from `last` (the time of the latest
//! redistribution): the *digit* (of [`DIGIT_BITS`] bits) holding the highest
//! differing bit, and the key's value of that digit. A key therefore moves at
//! most once per digit, not once per bit: with one-bit digits (the textbook
//! heap) a packet or timer a second away moved ~16 times in a busy run, each
//! move a 32-byte copy, and the moves were ~9 % of a sick run's instructions.
//! Keys due exactly at `last` are kept in insertion order apart (`due`), so
//! ties still pop first-in first-out. The order popped is exactly the
//! `(time, seq)` order, as before: only the cost changed. A key scheduled
//! before `last` (which a discrete-event engine never does) goes to a small
//! binary heap that always pops first, so even that stays correct.
//!
//! Why no sequence number in a key: every bucket holds its keys in insertion
//! order. A push appends the newest key; a redistribution moves the lowest
//! non-empty bucket, in order, into buckets that are all empty (they are lower),
//! and later pushes append behind. So FIFO among equal times needs no stored
//! `seq`, and a key is 8 bytes smaller (32 instead of 40 with a 24-byte item):
//! a fifth of the queue's memory in a sick cluster.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::protocol::Nanos;

/// A queued item in a bucket: its place among equal times is its place in
/// the bucket (see the module docs).
#[derive(Debug)]
struct Key<T> {
    time: Nanos,
    item: T,
}

/// A key due before `last` (never in a discrete-event run), in a binary heap,
/// which needs the insertion sequence to keep ties first-in first-out.
#[derive(Debug)]
struct EarlyKey<T> {
    time: Nanos,
    seq: u64,
    item: T,
}

impl<T> PartialEq for EarlyKey<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<T> Eq for EarlyKey<T> {}

impl<T> Ord for EarlyKey<T> {
    /// Reversed so `BinaryHeap` (a max-heap) pops the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl<T> PartialOrd for EarlyKey<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Largest emptied bucket (in keys) whose allocation is kept for reuse.
const KEEP_CAPACITY: usize = 4096;

/// The most keys [`EventQueue::peek_next`] looks through in the lowest
/// bucket: most pops find it holding one or a few.
const PEEK_SCAN: usize = 8;

/// Bits per radix digit. Each key moves at most once per digit; wider digits
/// mean fewer moves but more buckets, whose headers and partly filled tails a
/// redistribution touches.
const DIGIT_BITS: u32 = 4;

/// Values of one digit.
const RADIX: usize = 1 << DIGIT_BITS;

/// Buckets of the radix heap: one per (digit, value of that digit), at
/// `digit · RADIX + value`. A key's digit value where it first differs from
/// `last` is above `last`'s, so never 0: bucket 0 is never used (`due` plays
/// its part).
const BUCKETS: usize = (u64::BITS as usize).div_ceil(DIGIT_BITS as usize) * RADIX;

/// Words of the bitmap of non-empty buckets.
const OCCUPIED_WORDS: usize = BUCKETS.div_ceil(64);

/// A min-queue of `T` keyed by `(time, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<T> {
    /// Keys due exactly at `last`, in insertion order (bucket 0).
    due: VecDeque<Key<T>>,
    /// Bucket `digit · RADIX + value`: keys whose time first differs from
    /// `last` in that digit, where it has that value ([`bucket_of`]).
    buckets: Vec<Vec<Key<T>>>,
    /// Bit `b` set: bucket `b` is not empty (so the lowest is one scan away).
    occupied: [u64; OCCUPIED_WORDS],
    /// Earliest time in each bucket (meaningful when the bucket is non-empty).
    bucket_min: [Nanos; BUCKETS],
    /// Keys due before `last` (never in a discrete-event run; kept correct anyway).
    early: BinaryHeap<EarlyKey<T>>,
    /// The time every bucket index is relative to.
    last: Nanos,
    /// Earliest queued time (meaningful when `len > 0`), so `peek_time` needs no `&mut`.
    min: Nanos,
    len: usize,
    next_seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> EventQueue<T> {
    pub fn new() -> Self {
        EventQueue {
            due: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            bucket_min: [0; BUCKETS],
            occupied: [0; OCCUPIED_WORDS],
            early: BinaryHeap::new(),
            last: 0,
            min: 0,
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedule `item` at `time`. Among equal times, earlier pushes pop first.
    pub fn push(&mut self, time: Nanos, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.len == 0 || time < self.min {
            self.min = time;
        }
        self.len += 1;
        if time < self.last {
            self.early.push(EarlyKey { time, seq, item });
        } else {
            let key = Key { time, item };
            match bucket_of(time, self.last) {
                // The newest key of all: appending keeps bucket 0 in order.
                0 => self.due.push_back(key),
                b => self.push_bucket(b, key),
            }
        }
    }

    // Inlined: every push and every key a redistribution moves comes here,
    // and once the compiler split it out of line (a change elsewhere in the
    // crate moved it), the starved 30 s bench ran 1.5 % more instructions.
    #[inline(always)]
    fn push_bucket(&mut self, b: usize, key: Key<T>) {
        let bucket = &mut self.buckets[b];
        if bucket.is_empty() {
            self.bucket_min[b] = key.time;
            self.occupied[b / 64] |= occupied_bit(b);
        } else if key.time < self.bucket_min[b] {
            self.bucket_min[b] = key.time;
        }
        bucket.push(key);
    }

    /// The lowest non-empty bucket, if any.
    fn lowest_bucket(&self) -> Option<usize> {
        let (word, bits) = self
            .occupied
            .iter()
            .enumerate()
            .find(|(_, &bits)| bits != 0)?;
        Some(word * 64 + bits.trailing_zeros() as usize)
    }

    /// Bucket `b` was emptied: clear its bit.
    fn emptied(&mut self, b: usize) {
        self.occupied[b / 64] &= !occupied_bit(b);
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<Nanos> {
        (self.len > 0).then_some(self.min)
    }

    /// The item [`Self::pop`] would return next, when that is cheap to tell
    /// (`None` otherwise): the head of `due`, or the earliest key of a lowest
    /// bucket of at most [`PEEK_SCAN`] keys (the first of its earliest time,
    /// which a redistribution would put first in `due`). That is nearly every
    /// pop: on the starved 1,000-node bench, 96 % of them (69 % when only a
    /// lone key in the lowest bucket was named).
    ///
    /// Why: the engine asks for the next event's lines while it handles this
    /// one ([`crate::prefetch`]). It is a hint only: the event handled now may
    /// queue an earlier one, and nothing read here reaches a result.
    #[inline(always)]
    pub fn peek_next(&self) -> Option<&T> {
        if !self.early.is_empty() {
            return None;
        }
        if let Some(key) = self.due.front() {
            return Some(&key.item);
        }
        let b = self.lowest_bucket()?;
        let bucket = &self.buckets[b];
        if bucket.len() > PEEK_SCAN {
            return None;
        }
        let min = self.bucket_min[b];
        bucket.iter().find(|k| k.time == min).map(|k| &k.item)
    }

    /// Remove and return the earliest event.
    pub fn pop(&mut self) -> Option<(Nanos, T)> {
        if self.len == 0 {
            return None;
        }
        // `early` is empty in a discrete-event run: ask that first, as a call
        // into the heap's `pop` (which the compiler may leave out of line)
        // costs every event.
        let key = if self.early.is_empty() {
            match self.due.pop_front() {
                Some(key) => key,
                None => {
                    let b = self.lowest_bucket().expect("BUG! radix heap lost a key");
                    if self.buckets[b].len() == 1 {
                        self.pop_lone(b)
                    } else {
                        self.redistribute(b);
                        self.due.pop_front().expect("BUG! radix heap lost a key")
                    }
                }
            }
        } else {
            let k = self.early.pop().expect("not empty");
            Key {
                time: k.time,
                item: k.item,
            }
        };
        self.len -= 1;
        self.min = self.current_min();
        Some((key.time, key.item))
    }

    /// The earliest key, alone in the lowest non-empty bucket `b` (and `due`
    /// is empty): taken straight out, with `last` moved to its time.
    ///
    /// Why: a run's event times are nanoseconds apart, so most pops find
    /// `due` empty and the lowest bucket holding just the next event. A
    /// redistribution would move it through `due` at a cost of over a hundred
    /// instructions. Every other key stays where it is, as a redistribution
    /// would leave it: the new `last` agrees with the old one above the
    /// bucket's digit, and keys in higher buckets differ from both first in
    /// the same digit, with the same value. The order popped is unchanged.
    fn pop_lone(&mut self, b: usize) -> Key<T> {
        let key = self.buckets[b]
            .pop()
            .expect("BUG! an empty bucket marked occupied");
        self.emptied(b);
        self.last = key.time;
        key
    }

    /// Move the lowest non-empty bucket `b` down, relative to its earliest
    /// time (`self.min`, as `due` and `early` are empty): every key lands in a
    /// lower bucket, those due at that time in bucket 0, all in their order.
    fn redistribute(&mut self, b: usize) {
        self.last = self.min;
        self.emptied(b);
        let mut keys = std::mem::take(&mut self.buckets[b]);
        if keys.len() <= KEEP_CAPACITY {
            // Few keys (nearly every redistribution): moved in order, front to
            // back, without reversing the bucket first.
            for key in keys.drain(..) {
                self.place(key);
            }
        } else {
            // A chunk at a time from the tail of the reversed bucket (so in
            // insertion order), giving the emptied tail back: a big bucket is
            // not held twice (whole, and again in the lower buckets).
            keys.reverse();
            while !keys.is_empty() {
                let start = keys.len().saturating_sub(KEEP_CAPACITY);
                // Popped one by one from the tail (a `drain(start..).rev()`
                // takes them in the same order, through a call per key where
                // the compiler does not inline it).
                while keys.len() > start {
                    let Some(key) = keys.pop() else { break };
                    self.place(key);
                }
                if keys.capacity() > 2 * KEEP_CAPACITY {
                    keys.shrink_to_fit();
                }
            }
        }
        // Give the emptied vector back, keeping its capacity when small: a big
        // one would hold memory that the lower buckets now use.
        if keys.capacity() <= KEEP_CAPACITY {
            self.buckets[b] = keys;
        }
    }

    /// Put a key of the bucket being redistributed where it now belongs. The
    /// lower buckets are all empty, so each receives its keys in insertion
    /// order.
    #[inline(always)]
    fn place(&mut self, key: Key<T>) {
        match bucket_of(key.time, self.last) {
            0 => self.due.push_back(key),
            nb => self.push_bucket(nb, key),
        }
    }

    /// The earliest queued time (after a pop).
    fn current_min(&self) -> Nanos {
        if let Some(k) = self.early.peek() {
            return k.time;
        }
        if !self.due.is_empty() {
            return self.last;
        }
        self.lowest_bucket().map_or(0, |b| self.bucket_min[b])
    }

    /// Drop every queued item for which `keep(time, &item)` is false, in one
    /// pass over the storage; returns how many were dropped.
    ///
    /// Why: lazily cancelled items (a superseded timer) otherwise hold queue
    /// memory, and cost a pop, until their time comes, which for a suspicion
    /// timer is up to a minute of simulated time away. The survivors keep their
    /// order, so everything else pops exactly as before. Bucket
    /// vectors that became mostly empty give memory back.
    pub fn retain(&mut self, mut keep: impl FnMut(Nanos, &T) -> bool) -> usize {
        let before = self.len;
        // `retain` keeps the relative order, so every bucket stays in order.
        self.due.retain(|k| keep(k.time, &k.item));
        self.early.retain(|k| keep(k.time, &k.item));
        let mut len = self.due.len() + self.early.len();
        for b in 1..BUCKETS {
            let bucket = &mut self.buckets[b];
            if bucket.is_empty() {
                continue;
            }
            bucket.retain(|k| keep(k.time, &k.item));
            let min = bucket.iter().map(|k| k.time).min();
            if bucket.capacity() > KEEP_CAPACITY && bucket.capacity() > 4 * bucket.len() {
                bucket.shrink_to(2 * bucket.len());
            }
            len += bucket.len();
            match min {
                Some(min) => self.bucket_min[b] = min,
                None => self.emptied(b),
            }
        }
        self.len = len;
        if len > 0 {
            self.min = self.current_min();
        }
        before - len
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Total events ever pushed (a cheap progress counter).
    pub fn pushed(&self) -> u64 {
        self.next_seq
    }
}

/// Bucket `b`'s bit in its word of [`EventQueue::occupied`].
fn occupied_bit(b: usize) -> u64 {
    1 << (b % 64)
}

/// Radix-heap bucket of `time` relative to `last` (`time >= last`): the digit
/// holding the highest bit where they differ, and `time`'s value of that
/// digit; 0 when equal.
fn bucket_of(time: Nanos, last: Nanos) -> usize {
    let differ = time ^ last;
    if differ == 0 {
        return 0;
    }
    let digit = (u64::BITS - 1 - differ.leading_zeros()) / DIGIT_BITS;
    let value = (time >> (digit * DIGIT_BITS)) as usize & (RADIX - 1);
    digit as usize * RADIX + value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded xorshift64 stream for the randomized tests (no dependency).
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Rule: events due at the same instant pop in insertion (FIFO) order.
    #[test]
    fn queue_is_fifo_at_equal_time() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.push(5, i);
        }
        q.push(1, 1000);
        assert_eq!(q.pop(), Some((1, 1000)));
        for i in 0..100u32 {
            assert_eq!(q.pop(), Some((5, i)), "FIFO broken at {i}");
        }
        assert!(q.pop().is_none());
    }

    /// Rule: the queue pops in time order whatever the push order.
    #[test]
    fn queue_orders_by_time() {
        let mut q = EventQueue::new();
        let times = [9u64, 3, 7, 3, 1, 8, 2];
        for (i, t) in times.iter().enumerate() {
            q.push(*t, i);
        }
        let mut out = Vec::new();
        while let Some((t, i)) = q.pop() {
            out.push((t, i));
        }
        assert_eq!(
            out,
            vec![(1, 4), (2, 6), (3, 1), (3, 3), (7, 2), (8, 5), (9, 0)]
        );
    }

    /// Rule: steady state does not grow the queue's storage: a run that keeps
    /// a few events queued holds a few keys' worth of memory, however long.
    #[test]
    fn queue_storage_stays_bounded_in_steady_state() {
        let mut q = EventQueue::new();
        for round in 0..100_000u64 {
            q.push(round * 1000, round);
            q.push(round * 1000 + 7, round);
            q.pop();
            q.pop();
        }
        let held: usize = q.buckets.iter().map(Vec::capacity).sum::<usize>() + q.due.capacity();
        assert!(held <= 64 * BUCKETS, "{held} keys held");
    }

    /// Rule: what `peek_next` names is what `pop` returns next, on a seeded
    /// random mix of ties, near and far events (it may decline to say, never
    /// name another); and it names the rest of a tie and a lone next key.
    #[test]
    fn peek_next_names_the_next_pop() {
        let mut q = EventQueue::new();
        q.push(5, 1u64);
        q.push(5, 2);
        q.push(9, 3);
        // Two keys share the lowest bucket: it may decline to say.
        assert!(matches!(q.peek_next(), None | Some(&1)));
        assert_eq!(q.pop(), Some((5, 1)));
        assert_eq!(q.peek_next(), Some(&2));
        assert_eq!(q.pop(), Some((5, 2)));
        assert_eq!(q.peek_next(), Some(&3));
        assert_eq!(q.pop(), Some((9, 3)));
        assert_eq!(q.peek_next(), None);

        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let (mut named, mut pops) = (0, 0);
        for _ in 0..10 {
            let mut q = EventQueue::new();
            let (mut now, mut seq) = (0, 0u64);
            for _ in 0..20_000 {
                if next() % 100 < 55 {
                    let delay = match next() % 4 {
                        0 => 0,
                        1 => next() % 1_000,
                        2 => next() % 1_000_000,
                        _ => next() % 10_000_000_000,
                    };
                    q.push(now + delay, seq);
                    seq += 1;
                } else {
                    let peeked = q.peek_next().copied();
                    let Some((t, item)) = q.pop() else {
                        assert_eq!(peeked, None);
                        continue;
                    };
                    now = t;
                    pops += 1;
                    if let Some(p) = peeked {
                        assert_eq!(p, item, "peek named another key than the next pop");
                        named += 1;
                    }
                }
            }
        }
        assert!(named * 2 > pops, "named only {named} of {pops} pops");
    }

    /// Rule: the radix heap pops exactly the `(time, seq)` order of a plain
    /// sorted reference, on a seeded random mix of zero-delay, near, far and
    /// (never in a real run) past events, interleaved with pops.
    #[test]
    fn queue_matches_a_sorted_reference_on_random_workloads() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for round in 0..20 {
            let mut q = EventQueue::new();
            // Reference: (time, seq) pairs, popped by minimum.
            let mut reference: Vec<(Nanos, u64)> = Vec::new();
            let mut now: Nanos = 0;
            let mut seq = 0u64;
            for _ in 0..20_000 {
                let r = next() % 100;
                if r < 55 {
                    let delay = match next() % 6 {
                        0 => 0,
                        1 => next() % 1_000,
                        2 => next() % 1_000_000,
                        3 => next() % 100_000_000_000,
                        4 => 1 << (next() % 40),
                        // Before `now`: a discrete-event engine never does this.
                        _ if round % 2 == 1 => 0,
                        _ => {
                            let back = next() % 1_000_000;
                            q.push(now.saturating_sub(back), seq);
                            reference.push((now.saturating_sub(back), seq));
                            seq += 1;
                            continue;
                        }
                    };
                    q.push(now + delay, seq);
                    reference.push((now + delay, seq));
                    seq += 1;
                } else {
                    let want = reference
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, k)| **k)
                        .map(|(i, k)| (i, *k));
                    assert_eq!(q.peek_time(), want.map(|(_, k)| k.0));
                    let got = q.pop();
                    match want {
                        Some((i, (t, s))) => {
                            reference.swap_remove(i);
                            assert_eq!(got, Some((t, s)), "round {round}");
                            now = now.max(t);
                        }
                        None => assert_eq!(got, None),
                    }
                }
                assert_eq!(q.len(), reference.len());
            }
            reference.sort_unstable();
            for want in reference {
                assert_eq!(q.pop(), Some(want));
            }
            assert!(q.is_empty() && q.pop().is_none());
        }
    }

    /// Rule: `retain` removes exactly the rejected keys and nothing else: on a
    /// seeded random mix of pushes (zero-delay, near, far, past), pops and
    /// sweeps that reject a random residue class, the queue pops exactly the
    /// `(time, seq)` order of a `BTreeSet` reference, `peek_time` and `len`
    /// agree after every operation, and each sweep reports what it removed.
    #[test]
    fn retain_matches_a_reference_set_on_random_workloads() {
        use std::collections::BTreeSet;
        let mut next = xorshift(0xD1B5_4A32_D192_ED03);
        for round in 0..20 {
            let mut q = EventQueue::new();
            let mut reference: BTreeSet<(Nanos, u64)> = BTreeSet::new();
            let mut now: Nanos = 0;
            let mut seq = 0u64;
            let mut removed_total = 0;
            for _ in 0..20_000 {
                let r = next() % 1000;
                if r < 540 {
                    let time = match next() % 6 {
                        0 => now,
                        1 => now + next() % 1_000,
                        2 => now + next() % 1_000_000,
                        3 => now + next() % 100_000_000_000,
                        4 => now + (1 << (next() % 40)),
                        _ if round % 2 == 1 => now,
                        _ => now.saturating_sub(next() % 1_000_000),
                    };
                    q.push(time, seq);
                    reference.insert((time, seq));
                    seq += 1;
                } else if r < 995 {
                    let want = reference.pop_first();
                    assert_eq!(q.pop(), want, "round {round}");
                    if let Some((t, _)) = want {
                        now = now.max(t);
                    }
                } else {
                    // Reject the items in one residue class (and, in odd
                    // rounds, everything due within a millisecond).
                    let m = 2 + next() % 5;
                    let c = next() % m;
                    let soon = now + 1_000_000;
                    let reject = |t: Nanos, s: u64| s % m == c || (round % 2 == 1 && t < soon);
                    let before = reference.len();
                    reference.retain(|&(t, s)| !reject(t, s));
                    let removed = q.retain(|t, &s| !reject(t, s));
                    assert_eq!(removed, before - reference.len(), "round {round}");
                    removed_total += removed;
                }
                assert_eq!(q.len(), reference.len());
                assert_eq!(q.peek_time(), reference.first().map(|k| k.0));
            }
            assert!(removed_total > 0);
            while let Some(want) = reference.pop_first() {
                assert_eq!(q.pop(), Some(want));
            }
            assert!(q.is_empty() && q.pop().is_none());
        }
    }

    /// Rule: a sweep gives back the memory of what it removed: a queue filled
    /// with far-future keys and then emptied by `retain` holds little storage.
    #[test]
    fn retain_gives_back_the_storage_it_emptied() {
        let mut q = EventQueue::new();
        for i in 0..200_000u64 {
            q.push(1_000_000_000 + i * 1_000, i);
        }
        assert_eq!(q.retain(|_, &i| i % 100 == 0), 198_000);
        let held: usize = q.buckets.iter().map(Vec::capacity).sum::<usize>() + q.due.capacity();
        assert!(
            held <= 4 * 2_000 + KEEP_CAPACITY * BUCKETS,
            "{held} keys held"
        );
        for i in (0..200_000u64).step_by(100) {
            assert_eq!(q.pop(), Some((1_000_000_000 + i * 1_000, i)));
        }
    }

    /// Rule: bucket order is time order. For any `last`, a key in a lower
    /// bucket is due before every key in a higher one (so the lowest non-empty
    /// bucket holds the earliest key), and equal times share a bucket.
    #[test]
    fn lower_buckets_hold_earlier_times() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let last = next() >> (next() % 64);
            let spread = |r: u64| r >> (r % 64);
            let a = last.saturating_add(spread(next()));
            let b = last.saturating_add(spread(next()));
            let (ba, bb) = (bucket_of(a, last), bucket_of(b, last));
            assert!(ba < BUCKETS && bb < BUCKETS);
            assert_eq!(ba == 0, a == last);
            if ba < bb {
                assert!(a < b, "last {last:#x}: {a:#x} in {ba}, {b:#x} in {bb}");
            }
            if a == b {
                assert_eq!(ba, bb);
            }
        }
    }

    /// Rule: a key due exactly when the previous one popped (zero delay) still
    /// pops after every key already due at that time.
    #[test]
    fn zero_delay_events_queue_behind_those_already_due() {
        let mut q = EventQueue::new();
        q.push(10, 'a');
        q.push(10, 'b');
        q.push(1_000_000, 'z');
        assert_eq!(q.pop(), Some((10, 'a')));
        q.push(10, 'c');
        assert_eq!(q.pop(), Some((10, 'b')));
        assert_eq!(q.pop(), Some((10, 'c')));
        assert_eq!(q.peek_time(), Some(1_000_000));
        assert_eq!(q.pop(), Some((1_000_000, 'z')));
    }
}
