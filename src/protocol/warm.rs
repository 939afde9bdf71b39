//! Memory-level parallelism for a received compound packet.
//!
//! A sick cluster's packets carry ~14 state messages each, and applying one
//! reads this node's view of its subject, its suspicion timer and its queued
//! broadcast: three cache misses, as a thousand nodes' state does not fit in
//! cache. Applied one after the other the misses queue up behind each other;
//! asked for first, all together, they overlap. This changes no rule and no
//! result: it reads the views, and only prefetches the rest ([`prefetch`]).

use super::node::Node;
use super::{Broadcast, BroadcastKind};

impl Node {
    /// Ask for what applying `parts` will read: every subject's view first
    /// (its misses overlap), then, reading the views, for the messages they
    /// do not already make stale, the suspicion timer and the queued
    /// broadcast. A sick
    /// cluster's packets mostly repeat what the receiver knows, and a stale
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
                // from an accuser not yet seen, which a sick cluster's
                // repeated copies of one suspicion almost never are.
                continue;
            }
            self.queue.prefetch(m.queue_slot);
        }
    }
}

/// Ask for the cache line holding `r`, without waiting for it.
///
/// Why an instruction rather than a read: a read that misses holds back
/// every instruction after it from retiring until it arrives, so warming
/// a packet's dozen lines by reading them still stalled the handler behind
/// the slowest (perf put a quarter of the broadcast queue's samples on its
/// warming reads). A prefetch retires at once. Elsewhere than x86-64 (where
/// stable Rust has no prefetch), nothing is asked.
#[inline(always)]
pub(super) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor
        // has (it is in the target's baseline). A prefetch only hints the
        // cache: it reads nothing the program sees and cannot fault.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
