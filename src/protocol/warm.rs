//! Memory-level parallelism for a received compound packet.
//!
//! A sick cluster's packets carry ~14 state messages each, and applying one
//! reads this node's view of its subject, its suspicion timer and its queued
//! broadcast: three cache misses, as a thousand nodes' state does not fit in
//! cache. Applied one after the other the misses queue up behind each other;
//! asked for first, all together, they overlap. This changes no rule and no
//! result: it reads the views, and only prefetches the rest
//! ([`crate::prefetch`]).

use super::node::Node;
use super::{Broadcast, BroadcastKind, Timer};
use crate::prefetch::prefetch;

impl Node {
    /// Ask for what applying `parts` will read: every subject's view first
    /// (its misses overlap), then, reading the views, for the messages they
    /// do not already make stale, the suspicion timer and the queued
    /// broadcast. A sick cluster's packets mostly repeat what the receiver
    /// knows, and a stale message is dropped after reading the view alone
    /// (memberlist.md §1: an older incarnation, or an alive no newer than the
    /// view's), so touching its other two lines only took cache from the rest.
    pub(super) fn warm_parts(&self, parts: &[Broadcast]) {
        self.warm_views(parts);
        for p in parts {
            let Some(&m) = self.members.get(p.node as usize) else {
                continue;
            };
            let stale = match p.kind {
                BroadcastKind::Alive => p.node != self.id && p.incarnation <= m.incarnation,
                BroadcastKind::Suspect | BroadcastKind::Dead => p.incarnation < m.incarnation,
            };
            if stale {
                continue;
            }
            // A suspect message about a member already suspected is a
            // confirmation, which queues the message again only when it
            // comes from an accuser not yet seen. That is not rare (the
            // starved 1,000-node bench logs 942,526 `confirmed` in its
            // first 30 s), and telling which ones needs the suspicion's line,
            // still in flight here, so the queued message is asked for
            // whatever the message. Skipping it for every suspected member
            // (as this did before) left `queue_hinted` waiting on that line:
            // asking for it always cost 0.976 of the CPU on that bench over
            // 120 s, cheaper in 8 of 10 rounds run in turn with the build
            // that skipped it. (Reading the suspicion in a third pass to
            // choose moved the miss into this function and ran no faster.)
            self.suspicions.prefetch(m.suspicion_slot);
            self.queue.prefetch(m.queue_slot);
        }
    }

    /// Ask for this node's views of the subjects of `parts`: the first lines
    /// applying them reads. [`Node::warm_parts`] starts with it, and the
    /// engine calls it one event ahead of handling the packet, so that the
    /// views are there when `warm_parts` reads them to ask for the rest.
    #[inline(always)]
    pub fn warm_views(&self, parts: &[Broadcast]) {
        for p in parts {
            if let Some(m) = self.members.get(p.node as usize) {
                prefetch(m);
            }
        }
    }

    /// One event ahead of `timer` firing: a suspicion timer reads its
    /// suspicion's entry first, to tell whether it still runs (most do not,
    /// in a sick cluster).
    #[inline(always)]
    pub fn warm_timer(&self, timer: &Timer) {
        if let Timer::Suspicion { slot, .. } = timer {
            self.suspicions.prefetch(*slot);
        }
    }
}
