//! The memberlist (SWIM + Lifeguard) protocol core, plus the thin Serf layer.
//!
//! Sans-IO: a [`Node`] is fed `(now, input)` and reaches the world only through a
//! [`Runtime`] (send a packet, set a timer, notify an event, draw randomness). It
//! never reads a clock and owns no randomness. Node identities are dense indices
//! ([`NodeId`]); names appear only at the edges, through the shared [`Roster`].
//!
//! Where each rule of `shared/spec/memberlist.md` lives:
//! - §1 states, precedence, alive/suspect/dead, refute, leave: [`rules`]
//! - §2 probe loop, ping-req, nacks, TCP fallback, awareness deltas: [`probe`], [`awareness`]
//! - §3 suspicion timeout formulas and confirmations: [`timing`], [`suspicion`]
//! - §4 broadcast queue, piggyback, gossip, kRandomNodes: [`broadcast`], [`gossip`]
//! - §4.5 message sizes: [`wire`]
//! - §5 push/pull anti-entropy: [`pushpull`]
//! - §6 configuration and presets: [`config`]
//! - §8 log lines and metric names: [`event`]
//! - §9 Serf: [`serf`]

pub mod awareness;
pub mod broadcast;
pub mod config;
pub mod event;
pub mod gossip;
pub mod handoff;
pub mod idmap;
pub mod node;
pub mod probe;
pub mod pushpull;
pub mod rules;
pub mod serf;
pub mod superseded;
pub mod suspicion;
mod suspicions;
pub mod timing;
mod warm;
pub mod wire;

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
pub(crate) mod testkit;

pub use config::{Config, Generation, HandoffOrder, QueueOrder};
pub use event::Event;
pub use node::Node;

pub use crate::random::Stream;

/// Dense index of a node in the scenario's roster. The hot path never sees names.
pub type NodeId = u32;

/// Virtual time: nanoseconds since the start of the run.
pub type Nanos = u64;

pub const MS: Nanos = 1_000_000;
pub const SEC: Nanos = 1_000_000_000;

/// Memberlist member states, with their push/pull wire values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum State {
    Alive = 0,
    Suspect = 1,
    Dead = 2,
    /// Graceful leave (memberlist ≥ 2020). Earlier generations record `Dead`.
    Left = 3,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Alive => "alive",
            State::Suspect => "suspect",
            State::Dead => "dead",
            State::Left => "left",
        }
    }
}

/// The three state-changing messages (memberlist `alive`, `suspect`, `dead`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BroadcastKind {
    Alive,
    Suspect,
    Dead,
}

/// A state message about `node`, as queued for dissemination and carried on the
/// wire. `from` is the accuser for suspect/dead (`from == node` on a dead message
/// means a voluntary leave); it is `node` itself for alive messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Broadcast {
    pub kind: BroadcastKind,
    pub node: NodeId,
    pub incarnation: u32,
    pub from: NodeId,
}

/// How a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagram: may be lost or duplicated; gets piggybacked broadcasts.
    Udp,
    /// Stream: reliable and ordered; one extra round trip to connect; fails after
    /// `TCPTimeout` when the path is cut or the peer is gone.
    Tcp,
}

/// One entry of a push/pull state exchange (memberlist `pushNodeState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushPullEntry {
    pub node: NodeId,
    pub incarnation: u32,
    pub state: State,
}

/// The primary message of a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A gossip packet: only `parts` (broadcasts), no primary message.
    Gossip,
    /// `ping{seq, Node=target}`. Over TCP it is the fallback ping.
    Ping { seq: u32, target: NodeId },
    /// `indirectPingReq{seq, target, Nack}` asking the receiver to ping `target`.
    IndirectPing {
        seq: u32,
        target: NodeId,
        want_nack: bool,
    },
    /// `ack{seq}`.
    Ack { seq: u32 },
    /// `nack{seq}` (protocol ≥ 4): a relay did not hear from the target in time.
    Nack { seq: u32 },
    /// A push/pull exchange (TCP). `reply` is the responder's answer; `join` marks
    /// a Join (also used by Serf's reconnect).
    PushPull {
        join: bool,
        reply: bool,
        state: Vec<PushPullEntry>,
    },
}

/// Whether `parts` are piggybacked broadcasts or the compound's own content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartsKind {
    /// Broadcasts pulled from the transmit-limited queue (piggyback or gossip).
    Broadcasts,
    /// The buddy-system suspect attached to a ping to a suspect node (not from the queue).
    Buddy,
}

/// One packet or stream message between two nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub from: NodeId,
    pub to: NodeId,
    pub transport: Transport,
    pub body: Body,
    /// Compound parts handled after `body`, in order.
    pub parts: Vec<Broadcast>,
    pub parts_kind: PartsKind,
    /// Encoded size in bytes (memberlist.md §4.5), for budgets, load and buffers.
    pub bytes: u32,
}

/// What a timer is for. Timers are plain data; the node drops stale ones itself
/// (by sequence number or token), so the engine never needs to cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The probe ticker (period ProbeInterval, fixed grid).
    ProbeTick,
    /// The gossip ticker (period GossipInterval, fixed grid).
    GossipTick,
    /// Time for the next push/pull exchange.
    PushPullTick,
    /// TCPTimeout after periodic push/pull `exchange` began: memberlist's
    /// connection deadline; stale unless that exchange is still in flight.
    PushPullTimeout { exchange: u32 },
    /// `ProbeTimeout` after the direct ping of probe `seq`: go indirect.
    ProbeDirectTimeout { seq: u32 },
    /// The probe's ack-handler expiry at `start + pi`.
    ProbeWindowEnd { seq: u32 },
    /// A relay's ack-handler expiry (`ProbeTimeout`): send a nack if asked.
    RelayTimeout { seq: u32 },
    /// A suspicion timer for `node`; stale unless `token` matches. `slot` is
    /// opaque to the driver: where the node's table kept the suspicion when
    /// the timer was armed, so that the node tells a stale timer (most of
    /// them, in a sick cluster) from that entry alone.
    Suspicion { node: NodeId, token: u32, slot: u8 },
    /// Serf's reconnect loop (every ReconnectInterval).
    SerfReconnect,
    /// TCPTimeout after reconnect join `attempt` began; stale unless still in flight.
    SerfReconnectDeadline { attempt: u32 },
    /// Serf's reap loop (every ReapInterval).
    SerfReap,
}

/// What the node is fed.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// A packet arrived (UDP datagram or complete TCP message): the listener
    /// handles it and the handler applies its state messages right after.
    Packet(&'a Packet),
    /// A packet arrived while the handler lags behind the listener: its state
    /// messages wait in the hand-off queue ([`handoff`]) for [`Input::Serve`].
    Listen(&'a Packet),
    /// The packet handler runs: it applies every queued state message.
    Serve,
    /// A timer the node asked for has expired.
    Timer(Timer),
    /// A TCP message the node sent could not be delivered (connect timeout, refused
    /// or reset). The packet is handed back so the node knows which exchange failed.
    SendFailed(&'a Packet),
}

/// The three exits from the protocol core to the world, plus randomness.
pub trait Runtime {
    /// Send `packet` (its `to`, `transport` and `bytes` are set).
    fn send(&mut self, packet: Packet);
    /// Deliver `Input::Timer(timer)` at virtual time `at` (never before `now`).
    fn set_timer(&mut self, at: Nanos, timer: Timer);
    /// Report a member event, log line or metric.
    fn notify(&mut self, event: Event);
    /// The node's own random stream (the caller owns it).
    fn rng(&mut self) -> &mut Stream;
    /// An empty vector for packet parts, recycled by the caller to avoid allocation.
    fn parts_buffer(&mut self) -> Vec<Broadcast> {
        Vec::new()
    }
}

/// Names and metadata sizes of every node of the scenario, shared read-only by all
/// nodes. Only used at the edges: message sizes, log lines.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    names: Vec<String>,
    /// Length of each node's `alive.Meta` (Serf tags) in bytes.
    meta_len: Vec<u16>,
    /// Length of each node's name in bytes, apart from the names: every
    /// state message queued is sized from these ([`wire::broadcast_len`]),
    /// and read through the names' `String` headers (24 bytes each) they
    /// were a cache miss per message in a 1,000-node sick cluster.
    name_len: Vec<u32>,
}

impl Roster {
    pub fn new(names: Vec<String>, meta_len: Vec<u16>) -> Roster {
        let name_len = names.iter().map(|n| n.len() as u32).collect();
        Roster {
            names,
            meta_len,
            name_len,
        }
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id as usize]
    }
    pub fn name_len(&self, id: NodeId) -> u32 {
        self.name_len[id as usize]
    }
    pub fn meta_len(&self, id: NodeId) -> u32 {
        u32::from(self.meta_len[id as usize])
    }
}
