//! Test harness for the protocol core: a recording [`Runtime`] for single-node rule
//! tests, and a tiny deterministic cluster loop (fixed latency, instant CPU) for
//! multi-node tests. The real engine is `crate::engine`; this stays minimal so a
//! protocol failure cannot hide behind engine behaviour.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use super::{
    Body, Broadcast, BroadcastKind, Config, Event, Input, Nanos, Node, NodeId, Packet, PartsKind,
    Roster, Runtime, State, Stream, Timer, Transport, MS,
};
use crate::random::StreamId;

/// Records everything a node asks of the world.
pub struct Recorder {
    pub sent: Vec<Packet>,
    pub timers: Vec<(Nanos, Timer)>,
    pub events: Vec<Event>,
    pub rng: Stream,
}

impl Recorder {
    pub fn new(seed: u64) -> Recorder {
        Recorder {
            sent: Vec::new(),
            timers: Vec::new(),
            events: Vec::new(),
            rng: Stream::new(seed, StreamId::Misc(99)),
        }
    }
    pub fn clear(&mut self) {
        self.sent.clear();
        self.timers.clear();
        self.events.clear();
    }
    /// The last timer of this shape set (e.g. to fire it by hand).
    pub fn timer_at(&self, want: impl Fn(&Timer) -> bool) -> Option<(Nanos, Timer)> {
        self.timers.iter().rev().find(|(_, t)| want(t)).copied()
    }
}

impl Runtime for Recorder {
    fn send(&mut self, packet: Packet) {
        self.sent.push(packet);
    }
    fn set_timer(&mut self, at: Nanos, timer: Timer) {
        self.timers.push((at, timer));
    }
    fn notify(&mut self, event: Event) {
        self.events.push(event);
    }
    fn rng(&mut self) -> &mut Stream {
        &mut self.rng
    }
}

pub fn roster(n: usize) -> Arc<Roster> {
    Arc::new(Roster::new(
        (0..n).map(|i| format!("node-{i:02}")).collect(),
        vec![100; n],
    ))
}

/// A node of an `n`-node converged cluster, started at t = 0.
pub fn converged_node(id: NodeId, n: usize, cfg: Config, rec: &mut Recorder) -> Node {
    let mut node = Node::new(id, Arc::new(cfg), roster(n));
    let all: Vec<NodeId> = (0..n as NodeId).collect();
    node.start_converged(0, &all, rec);
    node
}

/// A packet carrying one state message, as gossip from `from`.
pub fn gossip(
    from: NodeId,
    to: NodeId,
    kind: BroadcastKind,
    node: NodeId,
    inc: u32,
    accuser: NodeId,
) -> Packet {
    Packet {
        from,
        to,
        transport: Transport::Udp,
        body: Body::Gossip,
        parts: vec![Broadcast {
            kind,
            node,
            incarnation: inc,
            from: accuser,
        }],
        parts_kind: PartsKind::Broadcasts,
        bytes: 60,
    }
}

pub fn packet(from: NodeId, to: NodeId, transport: Transport, body: Body) -> Packet {
    Packet {
        from,
        to,
        transport,
        body,
        parts: Vec::new(),
        parts_kind: PartsKind::Broadcasts,
        bytes: 40,
    }
}

enum Item {
    Deliver(Packet),
    Failed(NodeId, Packet),
    Timer(NodeId, u32, Timer),
}

/// A whole cluster on one fixed-latency network with instant CPUs.
pub struct Cluster {
    pub nodes: Vec<Node>,
    rngs: Vec<Stream>,
    /// Process generation per node: timers of a crashed process are dropped.
    generation: Vec<u32>,
    pub up: Vec<bool>,
    /// Isolated nodes: every packet to or from them is lost, TCP times out.
    pub isolated: Vec<bool>,
    /// Extra delay added to every packet delivered to a node ("starve").
    pub slow_delivery: Vec<Nanos>,
    pub events: Vec<(Nanos, NodeId, Event)>,
    pub latency: Nanos,
    pub now: Nanos,
    heap: BinaryHeap<Reverse<(Nanos, u64, usize)>>,
    items: Vec<Option<Item>>,
    free: Vec<usize>,
    seq: u64,
    cfg: Arc<Config>,
}

struct LoopRt<'a> {
    me: NodeId,
    sent: &'a mut Vec<Packet>,
    timers: &'a mut Vec<(Nanos, Timer)>,
    events: &'a mut Vec<Event>,
    rng: &'a mut Stream,
}

impl Runtime for LoopRt<'_> {
    fn send(&mut self, packet: Packet) {
        debug_assert_eq!(packet.from, self.me);
        self.sent.push(packet);
    }
    fn set_timer(&mut self, at: Nanos, timer: Timer) {
        self.timers.push((at, timer));
    }
    fn notify(&mut self, event: Event) {
        self.events.push(event);
    }
    fn rng(&mut self) -> &mut Stream {
        self.rng
    }
}

impl Cluster {
    /// `n` nodes, converged at t = 0, 1 ms one-way latency.
    pub fn converged(n: usize, cfg: Config, seed: u64) -> Cluster {
        let cfg = Arc::new(cfg);
        let roster = roster(n);
        let mut c = Cluster {
            nodes: (0..n as NodeId)
                .map(|i| Node::new(i, cfg.clone(), roster.clone()))
                .collect(),
            rngs: (0..n as u32)
                .map(|i| {
                    Stream::new(
                        seed,
                        StreamId::Protocol {
                            node: i,
                            generation: 0,
                        },
                    )
                })
                .collect(),
            generation: vec![0; n],
            up: vec![true; n],
            isolated: vec![false; n],
            slow_delivery: vec![0; n],
            events: Vec::new(),
            latency: MS,
            now: 0,
            heap: BinaryHeap::new(),
            items: Vec::new(),
            free: Vec::new(),
            seq: 0,
            cfg,
        };
        let all: Vec<NodeId> = (0..n as NodeId).collect();
        for i in 0..n {
            c.drive(i as NodeId, |node, rt| node.start_converged(0, &all, rt));
        }
        c
    }

    fn push(&mut self, at: Nanos, item: Item) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.items[s] = Some(item);
                s
            }
            None => {
                self.items.push(Some(item));
                self.items.len() - 1
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }

    fn drive(&mut self, id: NodeId, f: impl FnOnce(&mut Node, &mut LoopRt<'_>)) {
        let mut sent = Vec::new();
        let mut timers = Vec::new();
        let mut events = Vec::new();
        {
            let mut rt = LoopRt {
                me: id,
                sent: &mut sent,
                timers: &mut timers,
                events: &mut events,
                rng: &mut self.rngs[id as usize],
            };
            f(&mut self.nodes[id as usize], &mut rt);
        }
        let now = self.now;
        for e in events {
            self.events.push((now, id, e));
        }
        let generation = self.generation[id as usize];
        for (at, t) in timers {
            self.push(at.max(now), Item::Timer(id, generation, t));
        }
        for p in sent {
            self.route(p);
        }
    }

    fn route(&mut self, p: Packet) {
        let blocked = self.isolated[p.from as usize] || self.isolated[p.to as usize];
        let peer_up = self.up[p.to as usize];
        match p.transport {
            Transport::Udp => {
                if !blocked && peer_up {
                    let at = self.now + self.latency + self.slow_delivery[p.to as usize];
                    self.push(at, Item::Deliver(p));
                }
            }
            Transport::Tcp => {
                if blocked || !peer_up {
                    let at = self.now + self.cfg.tcp_timeout;
                    self.push(at, Item::Failed(p.from, p));
                } else {
                    let at = self.now + 3 * self.latency + self.slow_delivery[p.to as usize];
                    self.push(at, Item::Deliver(p));
                }
            }
        }
    }

    /// Run until virtual time `until`.
    pub fn run_until(&mut self, until: Nanos) {
        while let Some(&Reverse((at, _, slot))) = self.heap.peek() {
            if at > until {
                break;
            }
            self.heap.pop();
            self.now = at;
            let item = self.items[slot].take().expect("live slot");
            self.free.push(slot);
            match item {
                Item::Timer(id, generation, t) => {
                    if self.up[id as usize] && self.generation[id as usize] == generation {
                        self.drive(id, |n, rt| n.handle(at, Input::Timer(t), rt));
                    }
                }
                Item::Deliver(p) => {
                    let to = p.to;
                    if self.up[to as usize] && !self.isolated[to as usize] {
                        self.drive(to, |n, rt| n.handle(at, Input::Packet(&p), rt));
                    }
                }
                Item::Failed(id, p) => {
                    if self.up[id as usize] {
                        self.drive(id, |n, rt| n.handle(at, Input::SendFailed(&p), rt));
                    }
                }
            }
        }
        self.now = until;
    }

    /// Stop a process: no more packets, no more timers.
    pub fn crash(&mut self, id: NodeId) {
        self.up[id as usize] = false;
        self.generation[id as usize] += 1;
    }

    /// Inject a packet as if it arrived now.
    pub fn inject(&mut self, p: Packet) {
        let to = p.to;
        let now = self.now;
        self.drive(to, |n, rt| n.handle(now, Input::Packet(&p), rt));
    }

    /// Everyone up holds `subject` in `state`.
    pub fn all_see(&self, subject: NodeId, state: State) -> bool {
        (0..self.nodes.len())
            .filter(|&o| self.up[o] && o != subject as usize)
            .all(|o| self.nodes[o].view_of(subject).map(|v| v.0) == Some(state))
    }

    pub fn events_about(&self, f: impl Fn(&Event) -> bool) -> Vec<(Nanos, NodeId, Event)> {
        self.events
            .iter()
            .filter(|(_, _, e)| f(e))
            .copied()
            .collect()
    }
}
