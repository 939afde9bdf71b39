//! The simulated network (model.md §3): links, latency, loss, duplication,
//! partitions, holds, TCP exchanges.
//!
//! The network is a state machine: [`Network::handle`] takes one input (a
//! message to send, a clock tick) at `now` and returns what follows (arrivals,
//! drops, exchanges that ended); [`Network::next_deadline`] says when it must
//! be ticked again. It routes any [`Envelope`], never looking inside.
//!
//! Links are resolved per packet from compact per-node data (a zone index, and
//! per sender the rules that can apply to it), never from an n² table, so 10,000
//! nodes fit in memory: default → intra/cross zone → explicit rules in order
//! (later wins, field by field). A packet examines only the rules naming its
//! sender, each with a binary search, and the count of rules, cuts and holds
//! examined is charged to the run's event budget ([`Network::take_checks`]).
//!
//! Modelling choices (model.md is silent on these):
//! - All draws of a packet come from the *sender's* network stream
//!   (`StreamId::NetworkFrom`), in a fixed order: loss, latency, spike,
//!   duplication (and the duplicate's own latency). A probability of 0 draws nothing.
//! - TCP is an exchange ([`exchange`]): a request dials (SYN, SYN-ACK) then
//!   writes, three independent one-way draws (plus a spike, drawn once), as the
//!   oracle's stream transport (shared/oracle/memberlist-0.2.2/transport.go,
//!   `DialAddressTimeout` then one write); its reply (push/pull reply, fallback
//!   ack) rides the open connection and pays one draw, so an exchange costs
//!   four one-way latencies. memberlist opens a fresh connection per exchange.
//!   A message never arrives before an earlier one on the same directed pair.
//! - When the path is cut or the peer is down at send time, the exchange fails
//!   at once and its initiator learns it after `tcp_timeout`, or after one
//!   round trip when the link has `tcp_refused`. Otherwise it ends `Replied`
//!   when its reply reaches the initiator, or `Failed` at its deadline
//!   (`tcp_timeout` after the request left) — whatever was lost on the way.
//!   A reply that is cut, or whose initiator is down, is dropped: its exchange
//!   fails at the deadline; one whose exchange already ended is dropped too.
//! - Holds apply at send time: a held packet waits in its hold and, on release, is
//!   delivered after its (already drawn) one-way latency, never before a packet
//!   held earlier in the same hold. TCP messages are held too (not failed).
//! - Bandwidth (optional): per-sender serialization, `bytes / rate` after the
//!   sender's previous packet left the NIC.

use std::collections::BTreeMap;

use crate::protocol::{Nanos, NodeId, Packet};
use crate::random::{Dist, Stream, StreamId};
use crate::scenario::{LinkSpec, NetworkSpec, Spike};

mod draw;
mod envelope;
pub mod exchange;
mod holds;

use draw::LinkDraw;
pub use envelope::{Envelope, TcpRole};
pub use exchange::{Ended, Exchanges, Outcome};
pub use holds::{Hold, NodeSet, Partition};

/// The effective properties of one directed link, borrowed from the spec.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    pub latency: &'a Dist,
    pub spike: Option<&'a Spike>,
    pub loss: f64,
    pub duplicate: f64,
    pub tcp_refused: bool,
}

struct Rule {
    /// Sorted node ids.
    from: Vec<NodeId>,
    to: Vec<NodeId>,
    both_ways: bool,
    latency: Option<Dist>,
    spike: Option<Spike>,
    loss: Option<f64>,
    duplicate: Option<f64>,
}

/// What happens to a packet handed to the network ([`Network::route`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Fate {
    /// Arrives at `at` (and a duplicate at `dup`).
    Deliver { at: Nanos, dup: Option<Nanos> },
    /// UDP lost on the wire.
    Lost,
    /// Cut by a partition (UDP, or a TCP reply: its exchange fails at its deadline).
    Cut,
    /// A TCP reply to a peer that is down (its exchange fails at its deadline).
    PeerDown,
    /// A TCP reply whose exchange already ended: the connection is closed.
    Closed,
    /// Taken by hold number `hold` (index into the active holds); call
    /// [`Network::hold_packet`] with the drawn one-way `latency`.
    Held { hold: usize, latency: Nanos },
    /// A TCP request could not connect: the sender learns it at `at`.
    TcpFailed { at: Nanos },
}

/// Why the network dropped a message ([`NetOutput::Dropped`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    Loss,
    Cut,
    PeerDown,
    /// A TCP reply after its exchange ended.
    ConnectionClosed,
}

/// An input to the network state machine.
#[derive(Debug)]
pub enum NetInput<P> {
    /// `packet` leaves its sender at `depart`; `peer_up`: its destination process
    /// runs; `owner`: the engine's token for the sender's process, returned
    /// with the exchange's end.
    Send {
        depart: Nanos,
        packet: P,
        peer_up: bool,
        owner: u32,
    },
    /// Time passed: end the exchanges whose deadline came.
    Tick,
}

/// What the network did with an input.
#[derive(Debug)]
pub enum NetOutput<P> {
    /// `packet` (sent at `sent_at`) reaches its destination host at `at`.
    Arrive {
        at: Nanos,
        packet: P,
        sent_at: Nanos,
    },
    /// `packet` was dropped at `at`.
    Dropped {
        at: Nanos,
        packet: P,
        reason: Dropped,
    },
    /// A TCP exchange ended (failed: replies end theirs in [`Network::reply_arrived`]).
    Ended(Ended<P>),
}

pub struct Network<P: Envelope = Packet> {
    default: LinkSpec,
    intra: Option<LinkSpec>,
    cross: Option<LinkSpec>,
    zone_of: Vec<u32>,
    rules: Vec<Rule>,
    /// Per sender, ascending, the rules it may match: those whose `from` holds it,
    /// or whose `to` holds it when they apply both ways.
    rules_of: Vec<Vec<u32>>,
    /// Rules, cuts and holds examined since [`Network::take_checks`].
    checks: std::cell::Cell<u64>,
    bandwidth: Option<u64>,
    nic_free: Vec<Nanos>,
    streams: Vec<Stream>,
    pub partitions: Vec<Partition>,
    pub holds: Vec<Hold<P>>,
    next_hold_id: u64,
    /// Last TCP arrival per directed pair `(from << 32) | to` (order preservation).
    /// A BTreeMap so that even its pruning walks in a fixed order.
    tcp_last: BTreeMap<u64, Nanos>,
    exchanges: Exchanges<P>,
    /// memberlist `TCPTimeout`: an exchange's deadline after its request left.
    tcp_timeout: Nanos,
}

impl<P: Envelope> Network<P> {
    pub fn new(spec: &NetworkSpec, zones: &[&str], seed: u64) -> Network<P> {
        let n = zones.len();
        let mut names: Vec<&str> = Vec::new();
        let zone_of = zones
            .iter()
            .map(|z| match names.iter().position(|x| x == z) {
                Some(i) => i as u32,
                None => {
                    names.push(z);
                    (names.len() - 1) as u32
                }
            })
            .collect();
        let sorted = |ids: &[NodeId]| {
            let mut v = ids.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        let rules: Vec<Rule> = spec
            .rules
            .iter()
            .map(|r| Rule {
                from: sorted(&r.from),
                to: sorted(&r.to),
                both_ways: r.both_ways,
                latency: r.latency.clone(),
                spike: r.spike.clone(),
                loss: r.loss,
                duplicate: r.duplicate,
            })
            .collect();
        let mut rules_of: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, r) in rules.iter().enumerate() {
            let back = if r.both_ways { &r.to[..] } else { &[][..] };
            for &node in r.from.iter().chain(back) {
                if let Some(list) = rules_of.get_mut(node as usize) {
                    if list.last() != Some(&(i as u32)) {
                        list.push(i as u32);
                    }
                }
            }
        }
        Network {
            default: spec.default.clone(),
            intra: spec.intra_zone.clone(),
            cross: spec.cross_zone.clone(),
            zone_of,
            rules,
            rules_of,
            checks: std::cell::Cell::new(0),
            bandwidth: spec.bandwidth_bytes_per_s.filter(|&b| b > 0),
            nic_free: vec![
                0;
                if spec.bandwidth_bytes_per_s.is_some() {
                    n
                } else {
                    0
                }
            ],
            streams: (0..n as u32)
                .map(|i| Stream::new(seed, StreamId::NetworkFrom(i)))
                .collect(),
            partitions: Vec::new(),
            holds: Vec::new(),
            next_hold_id: 0,
            tcp_last: BTreeMap::new(),
            exchanges: Exchanges::default(),
            tcp_timeout: 0,
        }
    }

    /// The exchange deadline ([`NetInput::Send`]): memberlist's `TCPTimeout`.
    pub fn with_tcp_timeout(mut self, tcp_timeout: Nanos) -> Network<P> {
        self.tcp_timeout = tcp_timeout;
        self
    }

    pub fn link(&self, from: NodeId, to: NodeId) -> Link<'_> {
        let same = self.zone_of.get(from as usize) == self.zone_of.get(to as usize);
        let base = if same {
            self.intra.as_ref()
        } else {
            self.cross.as_ref()
        }
        .unwrap_or(&self.default);
        let mut link = Link {
            latency: &base.latency,
            spike: base.spike.as_ref(),
            loss: base.loss,
            duplicate: base.duplicate,
            tcp_refused: base.tcp_refused,
        };
        let has = |v: &[NodeId], id: NodeId| v.binary_search(&id).is_ok();
        let candidates = self.rules_of.get(from as usize).map_or(&[][..], |v| v);
        self.checks.set(self.checks.get() + candidates.len() as u64);
        for &i in candidates {
            let r = &self.rules[i as usize];
            let hit = (has(&r.from, from) && has(&r.to, to))
                || (r.both_ways && has(&r.from, to) && has(&r.to, from));
            if hit {
                if let Some(l) = &r.latency {
                    link.latency = l;
                }
                if let Some(s) = &r.spike {
                    link.spike = Some(s);
                }
                if let Some(l) = r.loss {
                    link.loss = l;
                }
                if let Some(d) = r.duplicate {
                    link.duplicate = d;
                }
            }
        }
        link
    }

    /// Rules, cuts and holds examined since the last call (and reset the count).
    pub fn take_checks(&mut self) -> u64 {
        self.checks.take()
    }

    /// One input; what follows goes to `out` (a `Vec`, or the engine's sink that
    /// turns each output into a queue event without staging it).
    pub fn handle(&mut self, now: Nanos, input: NetInput<P>, out: &mut impl Extend<NetOutput<P>>) {
        match input {
            NetInput::Send {
                depart,
                packet,
                peer_up,
                owner,
            } => self.send(depart, packet, peer_up, owner, out),
            NetInput::Tick => {
                let mut ended = Vec::new();
                self.exchanges.expire(now, &mut ended);
                out.extend(ended.into_iter().map(NetOutput::Ended));
            }
        }
    }

    /// When [`NetInput::Tick`] has something to do: the earliest deadline of an
    /// open exchange.
    pub fn next_deadline(&self) -> Option<Nanos> {
        self.exchanges.next_deadline()
    }

    /// Open TCP exchanges.
    pub fn open_exchanges(&self) -> usize {
        self.exchanges.len()
    }

    /// A TCP reply reached its initiator at `now`: true when its exchange was
    /// still open (it ends `Replied`), false when it already ended (drop the reply).
    /// Anything else is not part of an exchange and is always accepted.
    pub fn reply_arrived(&mut self, now: Nanos, packet: &P) -> bool {
        match packet.tcp_role() {
            TcpRole::Reply(key) => self
                .exchanges
                .reply_arrived(packet.from(), packet.to(), key, now)
                .is_some(),
            _ => true,
        }
    }

    fn send(
        &mut self,
        depart: Nanos,
        packet: P,
        peer_up: bool,
        owner: u32,
        out: &mut impl Extend<NetOutput<P>>,
    ) {
        let mut push = |o: NetOutput<P>| out.extend(std::iter::once(o));
        let tcp_timeout = self.tcp_timeout;
        let dropped = |packet, reason| NetOutput::Dropped {
            at: depart,
            packet,
            reason,
        };
        match self.route(depart, &packet, peer_up, tcp_timeout, owner) {
            Fate::Deliver { at, dup } => {
                if let Some(d) = dup {
                    push(NetOutput::Arrive {
                        at: d,
                        packet: packet.clone(),
                        sent_at: depart,
                    });
                }
                push(NetOutput::Arrive {
                    at,
                    packet,
                    sent_at: depart,
                });
            }
            Fate::Lost => push(dropped(packet, Dropped::Loss)),
            Fate::Cut => push(dropped(packet, Dropped::Cut)),
            Fate::PeerDown => push(dropped(packet, Dropped::PeerDown)),
            Fate::Closed => push(dropped(packet, Dropped::ConnectionClosed)),
            Fate::Held { hold, latency } => self.hold_packet(hold, packet, latency),
            Fate::TcpFailed { at } => {
                let reason = if peer_up {
                    Dropped::Cut
                } else {
                    Dropped::PeerDown
                };
                let initiator = packet.from();
                push(dropped(packet.header(), reason));
                push(NetOutput::Ended(Ended {
                    initiator,
                    owner,
                    request: packet,
                    outcome: Outcome::Failed,
                    at,
                }));
            }
        }
    }

    /// Decide the fate of `packet` leaving its sender at `depart`. `peer_up` is
    /// whether the destination process is running (TCP fails fast otherwise).
    /// A TCP request that connects opens an exchange for `owner` with its
    /// deadline `tcp_timeout` after `depart`.
    pub fn route(
        &mut self,
        depart: Nanos,
        packet: &P,
        peer_up: bool,
        tcp_timeout: Nanos,
        owner: u32,
    ) -> Fate {
        let (from, to) = (packet.from(), packet.to());
        let role = packet.tcp_role();
        if let TcpRole::Reply(key) = role {
            if self.exchanges.answering(from, to, key).is_none() {
                return Fate::Closed;
            }
        }
        let depart = self.serialize(from, depart, packet.bytes());
        let cut = self.is_cut(from, to, packet.transport());
        let held = self.held_by(from, to, depart);
        // Resolve the link with an immutable borrow, then draw from the stream.
        let link = LinkDraw::of(&self.link(from, to));
        let stream = &mut self.streams[from as usize];
        let trips = match role {
            TcpRole::Datagram => return link.datagram(stream, depart, cut, held),
            TcpRole::Reply(_) if cut => return Fate::Cut,
            TcpRole::Reply(_) if !peer_up => return Fate::PeerDown,
            TcpRole::Reply(_) => 1,
            TcpRole::Request(_) if cut || !peer_up => {
                return Fate::TcpFailed {
                    at: link.connect_failed(stream, depart, tcp_timeout),
                }
            }
            // Dial (SYN, SYN-ACK) then the write.
            TcpRole::Request(_) => 3,
        };
        let latency = link.tcp_latency(stream, trips);
        if let TcpRole::Request(key) = role {
            let deadline = depart.saturating_add(tcp_timeout);
            self.exchanges
                .open(from, to, key, owner, packet.header(), deadline);
        }
        if let Some(hold) = held {
            return Fate::Held { hold, latency };
        }
        Fate::Deliver {
            at: self.in_stream_order(from, to, depart, latency),
            dup: None,
        }
    }

    /// When a packet of `bytes` leaving at `depart` is on the wire, after the
    /// sender's NIC has sent what was queued before it (`bandwidth` set).
    fn serialize(&mut self, from: NodeId, depart: Nanos, bytes: u32) -> Nanos {
        match self.bandwidth {
            Some(rate) => {
                let free = &mut self.nic_free[from as usize];
                let ser = (u128::from(bytes) * 1_000_000_000 / u128::from(rate)) as Nanos;
                *free = (*free).max(depart) + ser;
                *free
            }
            None => depart,
        }
    }

    /// TCP is one ordered stream per pair: a message never overtakes the one
    /// sent before it on `from → to`.
    fn in_stream_order(
        &mut self,
        from: NodeId,
        to: NodeId,
        depart: Nanos,
        latency: Nanos,
    ) -> Nanos {
        let pair = (u64::from(from) << 32) | u64::from(to);
        let last = self.tcp_last.get(&pair).copied().unwrap_or(0);
        let at = (depart + latency).max(last);
        if self.tcp_last.len() > 8192 {
            self.tcp_last.retain(|_, v| *v > depart);
        }
        self.tcp_last.insert(pair, at);
        at
    }
}

#[cfg(test)]
mod tests;
