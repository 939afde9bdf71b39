//! The receive path's second stage (memberlist.md §4.4): the packet listener
//! handles ping, indirect ping, ack and nack itself and queues every state
//! message (alive, suspect, dead) for the packet handler, a goroutine of its
//! own that applies them.
//!
//! Why it matters: when many packets arrive together (a freeze's release
//! burst, a paused node resuming) and the listener reads them faster than
//! the handler runs, several state messages wait, and the serving order
//! decides which one the node applies first. Since 2018 that is the newest: a
//! node handed `suspect(me)` early in a freeze and `dead(me)` late in it
//! refutes the `dead` (and then ignores the older `suspect`); in 2015 it
//! refuted the `suspect`.
//!
//! Sources:
//! - 2015, memberlist 6025015 net.go `handleCommand`: `select { case m.handoff
//!   <- msgHandoff{...}: default: WARN "UDP handler queue full, dropping
//!   message" }` on `make(chan msgHandoff, 1024)` (memberlist.go), which
//!   `udpHandler` receives from: oldest first. 215aec8 (2016) is the same.
//! - Since bc4f353 (2018-08, "Prioritize alive messages"; 0.2.2 and HEAD net.go
//!   `handleCommand`): alive goes to `highPriorityMsgQueue`, suspect, dead and
//!   user messages to `lowPriorityMsgQueue`; `queue.Len() >=
//!   HandoffQueueDepth` drops with WARN "handler queue full, dropping
//!   message", else `PushBack`. `getNextMessage` takes
//!   `highPriorityMsgQueue.Back()`, then `lowPriorityMsgQueue.Back()`: newest
//!   first, and `packetHandler` loops until both are empty.
//!
//! This module is the queue and its serving rule (sans-IO). When the handler
//! runs, right after each packet or only once the listener has drained a
//! backlog, is the host's business (`crate::host::handler`); the engine calls
//! [`Input::Listen`](super::Input::Listen) and [`Input::Serve`](super::Input::Serve)
//! accordingly, or [`Input::Packet`](super::Input::Packet) for both at once.

use std::collections::VecDeque;

use super::{Broadcast, BroadcastKind, Event, HandoffOrder, Nanos, Node, Runtime};

/// The hand-off queue between the listener and the handler stage. Empty
/// (and unallocated) except while a backlog is being read.
#[derive(Clone, Debug)]
pub struct Handoff {
    order: HandoffOrder,
    depth: usize,
    /// Alive messages (since 2018); unused in FIFO order.
    high: VecDeque<Broadcast>,
    /// Everything else (in FIFO order, everything).
    low: VecDeque<Broadcast>,
}

impl Handoff {
    pub fn new(order: HandoffOrder, depth: u32) -> Handoff {
        Handoff {
            order,
            depth: depth as usize,
            high: VecDeque::new(),
            low: VecDeque::new(),
        }
    }

    /// Queue a received state message; false if its queue is full (dropped).
    /// FIFO has one queue (the 2015 channel); since 2018 each of the two queues
    /// has the depth on its own (`queue.Len() >= HandoffQueueDepth`).
    pub fn push(&mut self, b: Broadcast) -> bool {
        let queue = match (self.order, b.kind) {
            (HandoffOrder::AliveFirstLifo, BroadcastKind::Alive) => &mut self.high,
            _ => &mut self.low,
        };
        if queue.len() >= self.depth {
            return false;
        }
        queue.push_back(b);
        true
    }

    /// The next message the handler applies, in the generation's order.
    pub fn pop(&mut self) -> Option<Broadcast> {
        match self.order {
            HandoffOrder::Fifo => self.low.pop_front(),
            HandoffOrder::AliveFirstLifo => self.high.pop_back().or_else(|| self.low.pop_back()),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.high.len() + self.low.len()
    }
}

impl Node {
    /// Listener stage for the state messages of a received packet: queue each
    /// for the handler, or drop it with memberlist's WARN when its queue is full.
    pub(super) fn hand_off(&mut self, parts: &[Broadcast], rt: &mut impl Runtime) {
        for part in parts {
            if !self.handoff.push(*part) {
                rt.notify(Event::HandoffQueueFull);
            }
        }
    }

    /// Handler stage (memberlist `packetHandler`, `udpHandler`): apply every
    /// queued state message, in the generation's order, until none is left.
    pub(super) fn serve_handoff(&mut self, now: Nanos, rt: &mut impl Runtime) {
        while let Some(b) = self.handoff.pop() {
            self.warm_parts(std::slice::from_ref(&b));
            self.apply_broadcast(now, &b, rt);
        }
    }

    /// True when the generation serves queued state messages in another order
    /// than they arrived (since 2018), so whether the handler keeps up with the
    /// listener changes results. With the 2015 channel it does not: oldest
    /// first is the order the engine applies them in when it applies each
    /// packet's at once ([`super::Input::Packet`]).
    pub fn handoff_reorders(&self) -> bool {
        self.cfg.handoff_order == HandoffOrder::AliveFirstLifo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::NodeId;

    fn msg(kind: BroadcastKind, node: NodeId, incarnation: u32) -> Broadcast {
        Broadcast {
            kind,
            node,
            incarnation,
            from: 9,
        }
    }

    fn served(q: &mut Handoff) -> Vec<Broadcast> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    use BroadcastKind::{Alive, Dead, Suspect};

    /// Rule (0.2.2 net.go `getNextMessage`, bc4f353): alive messages first,
    /// then the rest, each newest first.
    #[test]
    fn since_2018_alive_first_then_newest_first() {
        let mut q = Handoff::new(HandoffOrder::AliveFirstLifo, 1024);
        let arrived = [
            msg(Suspect, 1, 0),
            msg(Alive, 2, 3),
            msg(Dead, 1, 0),
            msg(Alive, 4, 1),
            msg(Suspect, 5, 2),
        ];
        for m in arrived {
            assert!(q.push(m));
        }
        assert_eq!(
            served(&mut q),
            vec![arrived[3], arrived[1], arrived[4], arrived[2], arrived[0]]
        );
    }

    /// Rule (6025015 net.go `handleCommand` → `udpHandler`): one channel, oldest first.
    #[test]
    fn in_2015_one_channel_oldest_first() {
        let mut q = Handoff::new(HandoffOrder::Fifo, 1024);
        let arrived = [msg(Suspect, 1, 0), msg(Alive, 2, 3), msg(Dead, 1, 0)];
        for m in arrived {
            assert!(q.push(m));
        }
        assert_eq!(served(&mut q), arrived.to_vec());
    }

    /// Rule (0.2.2 `queue.Len() >= HandoffQueueDepth` drops; 6025015 a full
    /// channel drops): since 2018 each queue is bounded on its own.
    #[test]
    fn a_full_queue_drops_what_arrives() {
        let mut q = Handoff::new(HandoffOrder::AliveFirstLifo, 2);
        assert!(q.push(msg(Suspect, 1, 0)));
        assert!(q.push(msg(Dead, 2, 0)));
        assert!(!q.push(msg(Suspect, 3, 0)), "low queue full");
        assert!(
            q.push(msg(Alive, 3, 1)),
            "the alive queue has its own depth"
        );
        assert_eq!(q.len(), 3);
        let mut q = Handoff::new(HandoffOrder::Fifo, 2);
        assert!(q.push(msg(Suspect, 1, 0)));
        assert!(q.push(msg(Alive, 2, 1)));
        assert!(!q.push(msg(Alive, 3, 1)), "one channel for all");
    }
}
