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

/// Word index and bit of `token` in a window of `words` words from `base`,
/// or None outside it (wrapping distances below 2^31 count as ahead of
/// `base`).
fn locate(base: u32, words: usize, token: u32) -> Option<(usize, u64)> {
    let offset = token.wrapping_sub(base);
    if offset > i32::MAX as u32 {
        return None;
    }
    let word = (offset / BITS) as usize;
    (word < words).then(|| (word, 1u64 << (offset % BITS)))
}

impl SupersededTokens {
    fn locate(&self, token: u32) -> Option<(usize, u64)> {
        locate(self.base, self.words.len(), token)
    }

    /// Hold exactly the tokens of `words` (a window from `base`, a multiple
    /// of 64), trimmed of empty words at both ends as [`Self::take`] leaves it.
    fn set_window(&mut self, mut base: u32, mut words: &[u64]) {
        while let [0, rest @ ..] = words {
            words = rest;
            base = base.wrapping_add(BITS);
        }
        while let [rest @ .., 0] = words {
            words = rest;
        }
        self.base = base;
        self.words.clear();
        self.words.extend(words);
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

/// Every node's pending tokens, copied side by side for one sweep of the
/// engine's queue.
///
/// Why: a sweep asks about every queued suspicion timer, hundreds of
/// thousands in a sick cluster, and each question read the timer's node:
/// the set's header in the node, then its words, two cache misses one after
/// the other per timer. Copied out once per sweep (a few words per node),
/// all the sets fit in cache. What the sweep takes is written back at its
/// end, which leaves each node's set holding the tokens that taking them one
/// by one would have left: a set is its tokens, whatever window holds them.
#[derive(Debug, Default)]
pub struct SupersededCopy {
    /// By node index: where its window lies in `words`.
    windows: Vec<CopiedWindow>,
    words: Vec<u64>,
}

#[derive(Clone, Copy, Debug)]
struct CopiedWindow {
    base: u32,
    start: u32,
    len: u32,
    /// A token was taken: the node's set must be written back.
    taken: bool,
}

impl SupersededCopy {
    /// Copy the sets of `nodes`, by node index (`None`: no process, so
    /// nothing pending).
    pub fn of<'a>(nodes: impl IntoIterator<Item = Option<&'a Node>>) -> SupersededCopy {
        Self::of_sets(nodes.into_iter().map(|n| n.map(|n| &n.superseded_timers)))
    }

    fn of_sets<'a>(sets: impl IntoIterator<Item = Option<&'a SupersededTokens>>) -> SupersededCopy {
        let sets: Vec<Option<&SupersededTokens>> = sets.into_iter().collect();
        let words = sets.iter().flatten().map(|s| s.words.len()).sum();
        let mut copy = SupersededCopy {
            windows: Vec::with_capacity(sets.len()),
            words: Vec::with_capacity(words),
        };
        for set in sets {
            let start = copy.words.len() as u32;
            let base = set.map_or(0, |set| {
                copy.words.extend(&set.words);
                set.base
            });
            copy.windows.push(CopiedWindow {
                base,
                start,
                len: copy.words.len() as u32 - start,
                taken: false,
            });
        }
        copy
    }

    /// [`SupersededTokens::take`] on the copy of node `node`'s set.
    pub fn take(&mut self, node: usize, token: u32) -> bool {
        let window = &mut self.windows[node];
        let Some((word, bit)) = locate(window.base, window.len as usize, token) else {
            return false;
        };
        let word = &mut self.words[window.start as usize + word];
        if *word & bit == 0 {
            return false;
        }
        *word &= !bit;
        window.taken = true;
        true
    }

    /// Give each node whose copy lost a token its set back, by node index as
    /// copied.
    pub fn write_back<'a>(&self, nodes: impl IntoIterator<Item = Option<&'a mut Node>>) {
        self.write_back_sets(
            nodes
                .into_iter()
                .map(|n| n.map(|n| &mut n.superseded_timers)),
        );
    }

    fn write_back_sets<'a>(
        &self,
        sets: impl IntoIterator<Item = Option<&'a mut SupersededTokens>>,
    ) {
        for (window, set) in self.windows.iter().zip(sets) {
            if let (true, Some(set)) = (window.taken, set) {
                let start = window.start as usize;
                set.set_window(window.base, &self.words[start..start + window.len as usize]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{Stream, StreamId};

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

    // Taking tokens from a sweep's copy of many sets and writing it back
    // leaves every set as taking the same tokens from the set itself does:
    // the same tokens pending, in the same trimmed window, on random sets
    // (late confirmations, far-apart and wrapping tokens, nodes without a
    // process).
    #[test]
    fn taking_from_a_sweeps_copy_is_taking_from_the_sets() {
        let mut stream = Stream::new(7, StreamId::Misc(0));
        let mut next = || stream.next_u64();
        for round in 0..50 {
            let mut sets: Vec<Option<SupersededTokens>> = (0..8)
                .map(|i| (i % 5 != 4).then(SupersededTokens::default))
                .collect();
            let mut issued: Vec<Vec<u32>> = vec![Vec::new(); sets.len()];
            for (set, issued) in sets.iter_mut().zip(&mut issued) {
                let Some(set) = set else { continue };
                let mut token = (next() as u32).wrapping_sub(if round % 2 == 0 { 300 } else { 0 });
                for _ in 0..(next() % 400) {
                    token = token.wrapping_add(1 + (next() % 90) as u32);
                    if !next().is_multiple_of(3) {
                        set.insert(token);
                    }
                    issued.push(token);
                }
            }
            let mut direct = sets.clone();
            let mut copy = SupersededCopy::of_sets(sets.iter().map(Option::as_ref));
            for _ in 0..600 {
                let node = (next() % sets.len() as u64) as usize;
                let token = match issued[node].as_slice() {
                    [] => next() as u32,
                    all => {
                        all[(next() % all.len() as u64) as usize].wrapping_add((next() % 3) as u32)
                    }
                };
                let expected = direct[node].as_mut().is_some_and(|set| set.take(token));
                assert_eq!(
                    copy.take(node, token),
                    expected,
                    "round {round}, node {node}, token {token}"
                );
            }
            copy.write_back_sets(sets.iter_mut().map(Option::as_mut));
            for (node, (after, expected)) in sets.iter().zip(&direct).enumerate() {
                let (Some(after), Some(expected)) = (after, expected) else {
                    assert!(after.is_none() && expected.is_none());
                    continue;
                };
                // An empty window's base means nothing: the next insert sets it.
                if !expected.words.is_empty() {
                    assert_eq!(after.base, expected.base, "round {round}, node {node}");
                }
                assert_eq!(after.words, expected.words, "round {round}, node {node}");
            }
        }
    }
}
