//! TCP as an exchange: connect, request, reply, deadline.
//!
//! memberlist talks TCP only in exchanges (push/pull, Join, the fallback ping):
//! it dials, writes its request, and waits for the answer on the same
//! connection until a deadline (`TCPTimeout` from the dial). Whatever goes
//! wrong — the connect cut or refused, the responder gone or too busy, the
//! request or the reply dropped, held or late — the initiator learns exactly
//! one thing: the answer came (`Replied`) or the exchange failed (`Failed`).
//!
//! The table keeps every open exchange until it ends, and ends each exactly
//! once: [`Exchanges::reply_arrived`] (Replied), [`Exchanges::fail_now`] (a
//! failure known at send time) or [`Exchanges::expire`] at its deadline
//! (Failed). An initiator waiting "forever" cannot be written: every open
//! exchange has a deadline and [`Exchanges::next_deadline`] tells the engine
//! when to come back.
//!
//! Modelling choices:
//! - The deadline is `TCPTimeout` after the request leaves its sender (the dial).
//! - A reply finds its exchange by (initiator, responder, key); with several
//!   open on the same key (a restarted process re-joining the same seed), the
//!   oldest answers first, as the connections were opened.
//! - A reply whose exchange already ended is dropped: the initiator closed the
//!   connection (`DropReason::ConnectionClosed`).

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::{Nanos, NodeId};

/// How an exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Replied,
    Failed,
}

/// An exchange that ended, for its initiator.
#[derive(Debug, PartialEq, Eq)]
pub struct Ended<P> {
    pub initiator: NodeId,
    /// The engine's token given at open (the initiator's process epoch).
    pub owner: u32,
    /// What the initiator knows of its request ([`super::Envelope::header`]).
    pub request: P,
    pub outcome: Outcome,
    /// When the initiator learns it.
    pub at: Nanos,
}

struct Open<P> {
    initiator: NodeId,
    responder: NodeId,
    key: u64,
    owner: u32,
    request: P,
    deadline: Nanos,
}

/// The open exchanges, by id, by deadline and by who answers them.
pub struct Exchanges<P> {
    open: BTreeMap<u64, Open<P>>,
    by_deadline: BTreeSet<(Nanos, u64)>,
    /// (initiator, responder, key, id).
    by_reply: BTreeSet<(NodeId, NodeId, u64, u64)>,
    next_id: u64,
}

impl<P> Default for Exchanges<P> {
    fn default() -> Self {
        Exchanges {
            open: BTreeMap::new(),
            by_deadline: BTreeSet::new(),
            by_reply: BTreeSet::new(),
            next_id: 0,
        }
    }
}

impl<P> Exchanges<P> {
    /// Open an exchange; returns its id.
    pub fn open(
        &mut self,
        initiator: NodeId,
        responder: NodeId,
        key: u64,
        owner: u32,
        request: P,
        deadline: Nanos,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.by_deadline.insert((deadline, id));
        self.by_reply.insert((initiator, responder, key, id));
        self.open.insert(
            id,
            Open {
                initiator,
                responder,
                key,
                owner,
                request,
                deadline,
            },
        );
        id
    }

    fn end(&mut self, id: u64, outcome: Outcome, at: Nanos) -> Option<Ended<P>> {
        let o = self.open.remove(&id)?;
        self.by_deadline.remove(&(o.deadline, id));
        self.by_reply.remove(&(o.initiator, o.responder, o.key, id));
        Some(Ended {
            initiator: o.initiator,
            owner: o.owner,
            request: o.request,
            outcome,
            at,
        })
    }

    /// The oldest open exchange that a reply `responder → initiator` with `key`
    /// answers.
    pub fn answering(&self, responder: NodeId, initiator: NodeId, key: u64) -> Option<u64> {
        self.by_reply
            .range((initiator, responder, key, 0)..=(initiator, responder, key, u64::MAX))
            .next()
            .map(|&(.., id)| id)
    }

    /// The reply reached its initiator at `now`: the exchange ends `Replied`
    /// (None when it had already ended: the reply is too late).
    pub fn reply_arrived(
        &mut self,
        responder: NodeId,
        initiator: NodeId,
        key: u64,
        now: Nanos,
    ) -> Option<Ended<P>> {
        let id = self.answering(responder, initiator, key)?;
        self.end(id, Outcome::Replied, now)
    }

    /// A failure known when the request is sent (connect cut or refused, peer
    /// down): the exchange ends now; its initiator learns it at `at`.
    pub fn fail_now(&mut self, id: u64, at: Nanos) -> Option<Ended<P>> {
        self.end(id, Outcome::Failed, at)
    }

    /// End every exchange whose deadline is at or before `now` (Failed).
    pub fn expire(&mut self, now: Nanos, out: &mut Vec<Ended<P>>) {
        while let Some(&(deadline, id)) = self.by_deadline.first() {
            if deadline > now {
                break;
            }
            if let Some(e) = self.end(id, Outcome::Failed, deadline) {
                out.push(e);
            }
        }
    }

    /// The earliest deadline of an open exchange.
    pub fn next_deadline(&self) -> Option<Nanos> {
        self.by_deadline.first().map(|&(d, _)| d)
    }

    /// Open exchanges.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: an exchange ends exactly once — a reply after the deadline finds
    /// nothing, and a deadline after the reply expires nothing.
    #[test]
    fn an_exchange_ends_exactly_once() {
        let mut x: Exchanges<&str> = Exchanges::default();
        let a = x.open(0, 1, 7, 0, "a", 100);
        let b = x.open(0, 2, 7, 0, "b", 200);
        assert_eq!(x.next_deadline(), Some(100));
        let mut out = Vec::new();
        x.expire(150, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].request, out[0].outcome, out[0].at),
            ("a", Outcome::Failed, 100)
        );
        assert!(
            x.reply_arrived(1, 0, 7, 160).is_none(),
            "late reply: closed"
        );
        let r = x.reply_arrived(2, 0, 7, 170).expect("b is open");
        assert_eq!((r.request, r.outcome), ("b", Outcome::Replied));
        out.clear();
        x.expire(10_000, &mut out);
        assert!(out.is_empty() && x.is_empty());
        assert!(x.fail_now(a, 1).is_none() && x.fail_now(b, 1).is_none());
    }

    /// Rule: a reply answers the oldest open exchange with its key on its pair,
    /// never one with another key or the reverse pair.
    #[test]
    fn a_reply_answers_the_oldest_matching_exchange() {
        let mut x: Exchanges<u32> = Exchanges::default();
        x.open(0, 1, 5, 0, 1, 100);
        x.open(0, 1, 5, 1, 2, 100);
        x.open(1, 0, 5, 0, 3, 100);
        assert!(x.reply_arrived(1, 0, 6, 10).is_none(), "other key");
        assert_eq!(x.reply_arrived(1, 0, 5, 10).map(|e| e.request), Some(1));
        assert_eq!(x.reply_arrived(1, 0, 5, 11).map(|e| e.request), Some(2));
        assert_eq!(x.reply_arrived(0, 1, 5, 12).map(|e| e.request), Some(3));
    }
}
