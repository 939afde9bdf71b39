//! Memory-level parallelism for a received compound packet.
//!
//! A sick cluster's packets carry ~14 state messages each, and applying one
//! reads this node's view of its subject, its suspicion timer and its queued
//! broadcast: three cache misses, as a thousand nodes' state does not fit in
//! cache. Applied one after the other the misses queue up behind each other;
//! touched first, all together, they overlap. This changes no rule and no
//! result: it only reads.

use super::node::Node;
use super::{Broadcast, BroadcastKind};

impl Node {
    /// Read what applying `parts` will read: every subject's view first (its
    /// misses overlap), then, for the messages that view does not already
    /// make stale, the suspicion timer and the queued broadcast. A sick
    /// cluster's packets mostly repeat what the receiver knows, and a stale
    /// message is dropped after reading the view alone (memberlist.md §1:
    /// an older incarnation, or an alive no newer than the view's), so
    /// touching its other two lines only took cache from the rest.
    pub(super) fn warm_parts(&self, parts: &[Broadcast]) {
        let mut acc = 0u64;
        for p in parts {
            if let Some(m) = self.members.get(p.node as usize) {
                acc = acc.wrapping_add(u64::from(m.incarnation));
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
            if let Some(s) = self.suspicions.get(p.node, m.suspicion_slot) {
                acc = acc.wrapping_add(u64::from(s.token));
                if p.kind == BroadcastKind::Suspect {
                    // A confirmation: it touches the queue only when it comes
                    // from an accuser not yet seen, which a sick cluster's
                    // repeated copies of one suspicion almost never are.
                    continue;
                }
            }
            acc = acc.wrapping_add(self.queue.warm(p.node, m.queue_slot));
        }
        std::hint::black_box(acc);
    }
}
