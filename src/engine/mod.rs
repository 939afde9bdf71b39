//! The deterministic engine: virtual time, the (time, seq) event queue, RNG
//! streams, and the run loop that drives protocol nodes on simulated hosts over
//! the simulated network.

use crate::protocol::{Event, Nanos, NodeId, Packet};

/// Ground truth about a node, for classifying declarations (model.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// Process running (possibly degraded).
    Up,
    Crashed,
    /// Left gracefully.
    Left,
    /// A host or network fault starts (true) or stops (false) touching the node.
    Degraded(bool),
}

/// Kind of a packet for load accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PacketKind {
    Ping,
    IndirectPing,
    Ack,
    Nack,
    Gossip,
    PushPull,
}

/// What the engine reports while it runs. Metrics implement it; so do tests.
pub trait Observer {
    /// A protocol event at `observer`.
    fn protocol(&mut self, at: Nanos, observer: NodeId, event: &Event);
    /// Ground truth changed.
    fn truth(&mut self, at: Nanos, node: NodeId, truth: Truth);
    /// A packet left `from` for `to` (counted once per send, even if lost).
    fn sent(&mut self, at: Nanos, from: NodeId, to: NodeId, kind: PacketKind, bytes: u32);
    /// A packet was handed to `to`'s protocol.
    fn received(&mut self, at: Nanos, to: NodeId, kind: PacketKind, bytes: u32);
    /// What a packet carries, as it leaves (`sent`) or as it is handed to its
    /// receiver's protocol: for wire-level measures (the memberlist oracle's
    /// trace). Ignored unless an observer asks; called right after `sent` /
    /// `received`.
    fn wire(&mut self, _at: Nanos, _packet: &Packet, _sent: bool) {}
    /// A packet was dropped (loss, partition, full buffer, crashed peer).
    fn dropped(&mut self, at: Nanos, from: NodeId, to: NodeId, reason: DropReason);
    /// Periodic host sample (once per timeseries bin) for nodes with a CPU model.
    fn host_sample(&mut self, at: Nanos, node: NodeId, sample: HostSample);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    Loss,
    Partition,
    ReceiveBufferFull,
    PeerDown,
    /// A TCP reply after its exchange ended: the initiator closed the connection.
    ConnectionClosed,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HostSample {
    /// CPU credit balance (None without a credits fault).
    pub credits: Option<f64>,
    /// Fraction of the bin the host was parked.
    pub parked_fraction: f64,
    /// Health score of the node's protocol.
    pub health_score: u32,
}
pub mod digest;
pub mod invariants;
pub mod queue;
pub mod sim;

pub use sim::{EventBudgetExceeded, EventKind, EventMix, RunStats, Simulation, Stopped};

#[cfg(test)]
mod tests;
