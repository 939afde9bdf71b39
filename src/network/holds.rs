//! Cuts (partitions) and holds (clogs): the network faults installed by the
//! timeline, and the node sets they name.

use crate::protocol::{Nanos, NodeId, Transport};
use crate::scenario::Transports;

use super::{Envelope, Network};

/// A set of node ids as a bitset (n/8 bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSet {
    bits: Vec<u64>,
    len: usize,
}

impl NodeSet {
    pub fn from_ids(ids: &[NodeId], n: usize) -> NodeSet {
        let mut bits = vec![0u64; n.div_ceil(64).max(1)];
        let mut len = 0;
        for &id in ids {
            let (w, b) = (id as usize / 64, id % 64);
            if let Some(word) = bits.get_mut(w) {
                if *word & (1 << b) == 0 {
                    len += 1;
                }
                *word |= 1 << b;
            }
        }
        NodeSet { bits, len }
    }

    #[inline]
    pub fn contains(&self, id: NodeId) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An active cut.
#[derive(Debug)]
pub struct Partition {
    pub name: String,
    pub from: NodeSet,
    pub to: NodeSet,
    pub one_way: bool,
    pub transports: Transports,
}

impl Partition {
    fn cuts(&self, from: NodeId, to: NodeId, transport: Transport) -> bool {
        let covers = match transport {
            Transport::Udp => self.transports.udp,
            Transport::Tcp => self.transports.tcp,
        };
        covers
            && ((self.from.contains(from) && self.to.contains(to))
                || (!self.one_way && self.from.contains(to) && self.to.contains(from)))
    }
}

/// An active hold (clog).
#[derive(Debug)]
pub struct Hold<P> {
    /// Unique id (stale periodic-flush events carry an old one).
    pub id: u64,
    pub name: String,
    pub nodes: NodeSet,
    pub peers: Option<NodeSet>,
    pub start: Nanos,
    /// Periodic: held for `hold_for` out of every `every`.
    pub every: Option<Nanos>,
    pub hold_for: Nanos,
    buffer: Vec<(P, Nanos)>,
}

impl<P> Hold<P> {
    fn touches(&self, from: NodeId, to: NodeId) -> bool {
        match &self.peers {
            None => self.nodes.contains(from) || self.nodes.contains(to),
            Some(p) => {
                (self.nodes.contains(from) && p.contains(to))
                    || (self.nodes.contains(to) && p.contains(from))
            }
        }
    }

    fn holding_at(&self, t: Nanos) -> bool {
        match self.every {
            Some(every) if every > 0 => (t.saturating_sub(self.start)) % every < self.hold_for,
            _ => true,
        }
    }

    /// Deliveries of the buffer released at `now`, in order.
    fn drain(&mut self, now: Nanos, out: &mut Vec<(Nanos, P)>) {
        let mut last = now;
        for (p, latency) in self.buffer.drain(..) {
            let at = (now + latency).max(last);
            last = at;
            out.push((at, p));
        }
    }
}

impl<P: Envelope> Network<P> {
    /// Is `from → to` cut for `transport` by an active partition?
    pub fn is_cut(&self, from: NodeId, to: NodeId, transport: Transport) -> bool {
        self.checks
            .set(self.checks.get() + (self.partitions.len() + self.holds.len()) as u64);
        self.partitions.iter().any(|p| p.cuts(from, to, transport))
    }

    pub(super) fn held_by(&self, from: NodeId, to: NodeId, t: Nanos) -> Option<usize> {
        self.holds
            .iter()
            .position(|h| h.touches(from, to) && h.holding_at(t))
    }

    pub fn hold_packet(&mut self, hold: usize, packet: P, latency: Nanos) {
        if let Some(h) = self.holds.get_mut(hold) {
            h.buffer.push((packet, latency));
        }
    }

    pub fn partition(&mut self, p: Partition) {
        self.partitions.push(p);
    }

    /// Heal a named partition (all when `None`); returns the healed ones.
    pub fn heal(&mut self, name: Option<&str>) -> Vec<Partition> {
        let (healed, kept) = std::mem::take(&mut self.partitions)
            .into_iter()
            .partition(|p| name.is_none_or(|n| p.name == n));
        self.partitions = kept;
        healed
    }

    /// Start a hold; returns its id.
    pub fn hold(
        &mut self,
        name: &str,
        nodes: NodeSet,
        peers: Option<NodeSet>,
        start: Nanos,
        every: Option<Nanos>,
        hold_for: Nanos,
    ) -> u64 {
        let id = self.next_hold_id;
        self.next_hold_id += 1;
        self.holds.push(Hold {
            id,
            name: name.to_string(),
            nodes,
            peers,
            start,
            every,
            hold_for,
            buffer: Vec::new(),
        });
        id
    }

    /// End holds named `name` (all when `None`); returns them and the released
    /// packets with their arrival instants.
    #[allow(clippy::type_complexity)]
    pub fn release(&mut self, name: Option<&str>, now: Nanos) -> (Vec<Hold<P>>, Vec<(Nanos, P)>) {
        let (mut gone, kept): (Vec<Hold<P>>, Vec<Hold<P>>) = std::mem::take(&mut self.holds)
            .into_iter()
            .partition(|h| name.is_none_or(|n| h.name == n));
        self.holds = kept;
        let mut out = Vec::new();
        for h in gone.iter_mut() {
            h.drain(now, &mut out);
        }
        (gone, out)
    }

    /// A periodic hold's holding phase ended at `now`: flush its buffer. Returns
    /// None when the hold no longer exists (a stale flush).
    pub fn flush(&mut self, id: u64, now: Nanos) -> Option<Vec<(Nanos, P)>> {
        let h = self.holds.iter_mut().find(|h| h.id == id)?;
        let mut out = Vec::new();
        h.drain(now, &mut out);
        Some(out)
    }
}
