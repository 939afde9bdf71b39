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
use super::{Broadcast, BroadcastKind};
use crate::prefetch::prefetch;

impl Node {
    /// Ask for what applying `parts` will read: every subject's view first
    /// (its misses overlap), then, reading the views, for the messages they
    /// do not already make stale, the suspicion timer and the queued
    /// broadcast. A sick cluster's packets mostly repeat what the receiver
    /// knows, and a stale
    /// message is dropped after reading the view alone (memberlist.md §1:
    /// an older incarnation, or an alive no newer than the view's), so
    /// touching its other two lines only took cache from the rest.
    pub(super) fn warm_parts(&self, parts: &[Broadcast]) {
        for p in parts {
            if let Some(m) = self.members.get(p.node as usize) {
                prefetch(m);
            }
        }
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
            if self.suspicions.prefetch(m.suspicion_slot) && p.kind == BroadcastKind::Suspect {
                // A confirmation: it touches the queue only when it comes
                // from an accuser not yet seen. That is not rare (the
                // starved 1,000-node bench logs 942,526 `confirmed` in its
                // first 30 s), but telling which ones needs the suspicion's
                // line, still in flight here: reading it in a third pass to
                // warm their slots moved the miss into this function and
                // ran no faster.
                continue;
            }
            self.queue.prefetch(m.queue_slot);
        }
    }
}
