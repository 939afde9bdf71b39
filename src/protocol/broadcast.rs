//! The transmit-limited broadcast queue (memberlist queue.go, memberlist.md §4.1–4.2).

use super::{Broadcast, NodeId, QueueOrder};

#[derive(Clone, Debug)]
pub struct BroadcastQueue {
    _todo: (),
}

impl BroadcastQueue {
    pub fn new(order: QueueOrder) -> BroadcastQueue {
        let _ = order;
        todo!("H1")
    }
    /// Queue `b` (encoded size `len` bytes), first removing any queued message about
    /// the same node (invalidation by node name).
    pub fn queue(&mut self, b: Broadcast, len: u32) {
        let _ = (b, len);
        todo!("H1")
    }
    /// memberlist `GetBroadcasts(overhead, limit)`: append to `out` the messages to
    /// send within `limit_bytes` (each costs `overhead + len`), counting one
    /// transmit each and dropping those that reach `retransmit_limit`. Returns the
    /// bytes used, overheads included.
    pub fn get_broadcasts(
        &mut self,
        overhead: u32,
        limit_bytes: u32,
        retransmit_limit: u32,
        out: &mut Vec<Broadcast>,
    ) -> u32 {
        let _ = (overhead, limit_bytes, retransmit_limit, out);
        todo!("H1")
    }
    pub fn len(&self) -> usize {
        todo!("H1")
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Is a message about `node` still queued? (Leave waits for its own to finish.)
    pub fn contains(&self, node: NodeId) -> bool {
        let _ = node;
        todo!("H1")
    }
}
