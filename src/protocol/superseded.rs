//! The suspicion timers a Lifeguard confirmation Reset, by token.
//!
//! memberlist keeps one Go timer per suspicion and moves it on a confirmation
//! (suspicion.go `Confirm`: `timer.Stop()` + `timer.Reset`), so the old deadline
//! never fires. The engine's queue cannot move an entry, so the node arms a new
//! timer and remembers the old token here until the engine asks about it.
//!
//! Why bits from a base rather than a hash set: a sick cluster supersedes a
//! timer for most confirmations and asks once per firing, and the superseded
//! timers stay queued up to the suspicion's maximum timeout. Tokens are handed
//! out in sequence, so the pending ones fit a window of bits a few hundred
//! bytes long per node, which stays in cache, where a set of thousands of
//! entries per node does not. The window spans from the oldest pending token
//! to the newest, both ends trimmed as bits clear; every armed timer is asked
//! about once (the engine, or the node when handed a stale timer), so it
//! cannot grow without bound. Deterministic: no hashing, no iteration order.

use std::collections::VecDeque;

use super::node::Node;

/// A set of pending tokens (wrapping `u32`), stored as bits from `base`.
#[derive(Clone, Debug, Default)]
pub struct SupersededTokens {
    /// Token of bit 0 of `words[0]`: a multiple of 64.
    base: u32,
    words: VecDeque<u64>,
}

const BITS: u32 = u64::BITS;

impl SupersededTokens {
    /// Word index and bit of `token`, or None outside the window (wrapping
    /// distances below 2^31 count as ahead of `base`).
    fn locate(&self, token: u32) -> Option<(usize, u64)> {
        let offset = token.wrapping_sub(self.base);
        if offset > i32::MAX as u32 {
            return None;
        }
        let word = (offset / BITS) as usize;
        (word < self.words.len()).then(|| (word, 1u64 << (offset % BITS)))
    }

    /// Remember `token` as superseded.
    pub fn insert(&mut self, token: u32) {
        let aligned = token & !(BITS - 1);
        if self.words.is_empty() {
            self.base = aligned;
        }
        // Extend the window to the front (an old suspicion confirmed late) or back.
        while (token.wrapping_sub(self.base)) > i32::MAX as u32 {
            self.base = self.base.wrapping_sub(BITS);
            self.words.push_front(0);
        }
        while self.locate(token).is_none() {
            self.words.push_back(0);
        }
        let (word, bit) = self.locate(token).expect("window extended above");
        self.words[word] |= bit;
    }

    /// Number of tokens inserted and not yet taken, so the engine can tell,
    /// without scanning its queue, how many queued timers are dead weight.
    /// Counted over the window (a few words) rather than kept in a field: it is
    /// asked rarely, and every node carries this set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// True, and forget it, if `token` is pending.
    pub fn take(&mut self, token: u32) -> bool {
        let Some((word, bit)) = self.locate(token) else {
            return false;
        };
        if self.words[word] & bit == 0 {
            return false;
        }
        self.words[word] &= !bit;
        while self.words.front() == Some(&0) {
            self.words.pop_front();
            self.base = self.base.wrapping_add(BITS);
        }
        while self.words.back() == Some(&0) {
            self.words.pop_back();
        }
        true
    }
}

impl Node {
    /// How many of this node's timers were superseded and not yet asked about
    /// ([`Node::take_superseded_timer`]): timers still queued in the engine that
    /// will never run, which the engine sweeps out of its queue when they pile up.
    pub fn superseded_pending(&self) -> usize {
        self.superseded_timers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The set behaves as a set of tokens: each inserted token is taken once,
    // nothing else is, in any order, across the u32 wrap and far-apart tokens.
    #[test]
    fn each_superseded_token_is_taken_once_and_no_other() {
        let mut s = SupersededTokens::default();
        let tokens = [
            u32::MAX - 70,
            u32::MAX - 2,
            3,
            200,
            1000,
            130,
            u32::MAX - 100,
        ];
        for &t in &tokens {
            s.insert(t);
        }
        for t in [u32::MAX - 71, u32::MAX - 1, 0, 4, 199, 999, 5000, 1 << 31] {
            assert!(!s.take(t), "{t} was never superseded");
        }
        assert_eq!(s.len(), tokens.len());
        for (i, &t) in tokens.iter().rev().enumerate() {
            assert!(s.take(t), "{t}");
            assert!(!s.take(t), "{t} taken twice");
            assert_eq!(s.len(), tokens.len() - i - 1, "pending after taking {t}");
        }
        assert!(s.is_empty());
        assert!(s.words.is_empty(), "the window empties: {s:?}");
    }

    // The window covers only the pending tokens: it shrinks as they are taken.
    #[test]
    fn the_window_spans_only_pending_tokens() {
        let mut s = SupersededTokens::default();
        for t in 0..10_000u32 {
            s.insert(t);
            if t >= 100 {
                assert!(s.take(t - 100));
            }
            assert!(s.words.len() <= 3, "{t}: {} words", s.words.len());
        }
    }
}
