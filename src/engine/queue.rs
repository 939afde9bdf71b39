//! The event queue: ordered by `(time, insertion sequence)` so events due at the
//! same instant pop in FIFO order (model.md §1) — never by hashing or addresses.
//!
//! Why this shape: the heap holds only small `(time, seq, slot)` keys, so sifting
//! moves 24 bytes, not whole payloads; payloads (which may hold a packet) live in a
//! slab whose freed slots are reused, so a steady-state run does not allocate.
//! Cancellation is lazy: payloads carry whatever token their consumer checks
//! (process generation, hold id, …) and stale ones are dropped when popped.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::protocol::Nanos;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    time: Nanos,
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    /// Reversed so `BinaryHeap` (a max-heap) pops the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A min-queue of `T` keyed by `(time, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Key>,
    slab: Vec<Option<T>>,
    free: Vec<u32>,
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
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }

    /// Schedule `item` at `time`. Among equal times, earlier pushes pop first.
    pub fn push(&mut self, time: Nanos, item: T) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(item);
                s
            }
            None => {
                self.slab.push(Some(item));
                (self.slab.len() - 1) as u32
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Key { time, seq, slot });
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|k| k.time)
    }

    /// Remove and return the earliest event.
    pub fn pop(&mut self) -> Option<(Nanos, T)> {
        let key = self.heap.pop()?;
        let item = self.slab[key.slot as usize].take();
        self.free.push(key.slot);
        // A slot is filled exactly when its key is in the heap.
        item.map(|it| (key.time, it))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Total events ever pushed (a cheap progress counter).
    pub fn pushed(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Rule: freed slots are reused, so steady state does not grow the slab.
    #[test]
    fn queue_reuses_slots() {
        let mut q = EventQueue::new();
        for round in 0..1000u64 {
            q.push(round, round);
            q.push(round, round);
            q.pop();
            q.pop();
        }
        assert!(q.slab.len() <= 2);
    }
}
