//! The simulated network (model.md §3): links, latency, loss, duplication,
//! partitions, holds, TCP.
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
//! - TCP: every message pays a connect round trip plus the one-way trip, i.e.
//!   three times one latency draw (plus a spike, drawn once). memberlist opens a
//!   fresh connection per exchange, so this is faithful, not pessimistic. A
//!   message never arrives before an earlier one on the same directed pair.
//!   When the path is cut or the peer is down at send time, the sender learns it
//!   after `tcp_timeout`, or after one round trip when the link has `tcp_refused`.
//! - Holds apply at send time: a held packet waits in its hold and, on release, is
//!   delivered after its (already drawn) one-way latency, never before a packet
//!   held earlier in the same hold. TCP messages are held too (not failed).
//! - Bandwidth (optional): per-sender serialization, `bytes / rate` after the
//!   sender's previous packet left the NIC.

use std::collections::BTreeMap;

use crate::protocol::{Nanos, NodeId, Packet, Transport};
use crate::random::{Dist, Stream, StreamId};
use crate::scenario::{LinkSpec, NetworkSpec, Spike, Transports};

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

/// An active cut.
#[derive(Debug)]
pub struct Partition {
    pub name: String,
    pub from: NodeSet,
    pub to: NodeSet,
    pub one_way: bool,
    pub transports: Transports,
}

/// An active hold (clog).
#[derive(Debug)]
pub struct Hold {
    /// Unique id (stale periodic-flush events carry an old one).
    pub id: u64,
    pub name: String,
    pub nodes: NodeSet,
    pub peers: Option<NodeSet>,
    pub start: Nanos,
    /// Periodic: held for `hold_for` out of every `every`.
    pub every: Option<Nanos>,
    pub hold_for: Nanos,
    buffer: Vec<(Packet, Nanos)>,
}

impl Hold {
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
}

/// What happens to a packet handed to the network.
#[derive(Debug, PartialEq, Eq)]
pub enum Fate {
    /// Arrives at `at` (and a duplicate at `dup`).
    Deliver { at: Nanos, dup: Option<Nanos> },
    /// UDP lost on the wire.
    Lost,
    /// UDP cut by a partition.
    Cut,
    /// Taken by hold number `hold` (index into the active holds); call
    /// [`Network::hold_packet`] with the drawn one-way `latency`.
    Held { hold: usize, latency: Nanos },
    /// TCP could not be delivered: the sender learns it at `at`.
    TcpFailed { at: Nanos },
}

pub struct Network {
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
    pub holds: Vec<Hold>,
    next_hold_id: u64,
    /// Last TCP arrival per directed pair `(from << 32) | to` (order preservation).
    /// A BTreeMap so that even its pruning walks in a fixed order.
    tcp_last: BTreeMap<u64, Nanos>,
}

impl Network {
    /// `zones[i]` is node i's zone name.
    pub fn new(spec: &NetworkSpec, zones: &[&str], seed: u64) -> Network {
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
        }
    }

    /// The effective link `from → to`.
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

    /// Is `from → to` cut for `transport` by an active partition?
    pub fn is_cut(&self, from: NodeId, to: NodeId, transport: Transport) -> bool {
        self.checks
            .set(self.checks.get() + (self.partitions.len() + self.holds.len()) as u64);
        self.partitions.iter().any(|p| {
            let covers = match transport {
                Transport::Udp => p.transports.udp,
                Transport::Tcp => p.transports.tcp,
            };
            covers
                && ((p.from.contains(from) && p.to.contains(to))
                    || (!p.one_way && p.from.contains(to) && p.to.contains(from)))
        })
    }

    fn held_by(&self, from: NodeId, to: NodeId, t: Nanos) -> Option<usize> {
        self.holds
            .iter()
            .position(|h| h.touches(from, to) && h.holding_at(t))
    }

    /// Decide the fate of `packet` leaving its sender at `depart`. `peer_up` is
    /// whether the destination process is running (TCP fails fast otherwise).
    pub fn route(
        &mut self,
        depart: Nanos,
        packet: &Packet,
        peer_up: bool,
        tcp_timeout: Nanos,
    ) -> Fate {
        let (from, to) = (packet.from, packet.to);
        let depart = match self.bandwidth {
            Some(rate) => {
                let free = &mut self.nic_free[from as usize];
                let ser = (u128::from(packet.bytes) * 1_000_000_000 / u128::from(rate)) as Nanos;
                *free = (*free).max(depart) + ser;
                *free
            }
            None => depart,
        };
        let cut = self.is_cut(from, to, packet.transport);
        let held = self.held_by(from, to, depart);
        // Resolve the link with an immutable borrow, then draw from the stream.
        let link = self.link(from, to);
        let (latency_dist, spike, loss, duplicate, refused) = (
            link.latency.clone(),
            link.spike.cloned(),
            link.loss,
            link.duplicate,
            link.tcp_refused,
        );
        let stream = &mut self.streams[from as usize];
        let one_way = |s: &mut Stream| {
            let mut l = latency_dist.sample(s);
            if let Some(sp) = &spike {
                if s.chance(sp.probability) {
                    l = l.saturating_add(sp.extra.sample(s));
                }
            }
            l
        };
        match packet.transport {
            Transport::Udp => {
                if cut {
                    return Fate::Cut;
                }
                if stream.chance(loss) {
                    return Fate::Lost;
                }
                let latency = one_way(stream);
                if let Some(hold) = held {
                    return Fate::Held { hold, latency };
                }
                let dup = stream.chance(duplicate).then(|| depart + one_way(stream));
                Fate::Deliver {
                    at: depart + latency,
                    dup,
                }
            }
            Transport::Tcp => {
                if cut || !peer_up {
                    let at = if refused {
                        depart + 2 * latency_dist.sample(stream)
                    } else {
                        depart + tcp_timeout
                    };
                    return Fate::TcpFailed { at };
                }
                let base = latency_dist.sample(stream);
                let mut latency = base.saturating_mul(3);
                if let Some(sp) = &spike {
                    if stream.chance(sp.probability) {
                        latency = latency.saturating_add(sp.extra.sample(stream));
                    }
                }
                if let Some(hold) = held {
                    return Fate::Held { hold, latency };
                }
                let key = (u64::from(from) << 32) | u64::from(to);
                let last = self.tcp_last.get(&key).copied().unwrap_or(0);
                let at = (depart + latency).max(last);
                if self.tcp_last.len() > 8192 {
                    self.tcp_last.retain(|_, v| *v > depart);
                }
                self.tcp_last.insert(key, at);
                Fate::Deliver { at, dup: None }
            }
        }
    }

    pub fn hold_packet(&mut self, hold: usize, packet: Packet, latency: Nanos) {
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

    /// Deliveries of a hold's buffer released at `now`, in order.
    fn drain(h: &mut Hold, now: Nanos, out: &mut Vec<(Nanos, Packet)>) {
        let mut last = now;
        for (p, latency) in h.buffer.drain(..) {
            let at = (now + latency).max(last);
            last = at;
            out.push((at, p));
        }
    }

    /// End holds named `name` (all when `None`); returns them and the released
    /// packets with their arrival instants.
    pub fn release(&mut self, name: Option<&str>, now: Nanos) -> (Vec<Hold>, Vec<(Nanos, Packet)>) {
        let (mut gone, kept): (Vec<Hold>, Vec<Hold>) = std::mem::take(&mut self.holds)
            .into_iter()
            .partition(|h| name.is_none_or(|n| h.name == n));
        self.holds = kept;
        let mut out = Vec::new();
        for h in gone.iter_mut() {
            Self::drain(h, now, &mut out);
        }
        (gone, out)
    }

    /// A periodic hold's holding phase ended at `now`: flush its buffer. Returns
    /// None when the hold no longer exists (a stale flush).
    pub fn flush(&mut self, id: u64, now: Nanos) -> Option<Vec<(Nanos, Packet)>> {
        let h = self.holds.iter_mut().find(|h| h.id == id)?;
        let mut out = Vec::new();
        Self::drain(h, now, &mut out);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Body, PartsKind, MS};
    use crate::scenario::LinkRule;

    fn spec(latency: Dist, loss: f64) -> NetworkSpec {
        NetworkSpec {
            default: LinkSpec {
                latency,
                spike: None,
                loss,
                duplicate: 0.0,
                tcp_refused: false,
            },
            intra_zone: None,
            cross_zone: None,
            rules: Vec::new(),
            bandwidth_bytes_per_s: None,
        }
    }

    fn pkt(from: NodeId, to: NodeId, transport: Transport, seq: u32) -> Packet {
        Packet {
            from,
            to,
            transport,
            body: Body::Ping { seq, target: to },
            parts: Vec::new(),
            parts_kind: PartsKind::Broadcasts,
            bytes: 100,
        }
    }

    fn both() -> Transports {
        Transports {
            udp: true,
            tcp: true,
        }
    }

    /// Rule: one-way latency follows the link's distribution.
    #[test]
    fn latency_distribution_is_applied() {
        let mut net = Network::new(
            &spec(Dist::Uniform { lo: MS, hi: 3 * MS }, 0.0),
            &["a", "a"],
            1,
        );
        let mut sum = 0u128;
        let n = 20_000;
        for i in 0..n {
            match net.route(0, &pkt(0, 1, Transport::Udp, i), true, 0) {
                Fate::Deliver { at, dup: None } => {
                    assert!((MS..=3 * MS).contains(&at));
                    sum += u128::from(at);
                }
                f => panic!("unexpected {f:?}"),
            }
        }
        let mean = sum as f64 / n as f64;
        assert!((mean - 2e6).abs() < 2e4, "mean {mean}");
    }

    /// Rule: UDP loss happens with the configured probability.
    #[test]
    fn loss_probability_is_respected() {
        let mut net = Network::new(&spec(Dist::Fixed(MS), 0.2), &["a", "a"], 2);
        let n = 50_000;
        let lost = (0..n)
            .filter(|&i| net.route(0, &pkt(0, 1, Transport::Udp, i), true, 0) == Fate::Lost)
            .count();
        let rate = lost as f64 / n as f64;
        assert!((rate - 0.2).abs() < 0.01, "loss rate {rate}");
        // TCP is reliable whatever the loss.
        assert!(matches!(
            net.route(0, &pkt(0, 1, Transport::Tcp, 0), true, 0),
            Fate::Deliver { .. }
        ));
    }

    /// Rule: a one-way partition cuts only its direction.
    #[test]
    fn one_way_partition_cuts_one_direction() {
        let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 3], 3);
        net.partition(Partition {
            name: "p".into(),
            from: NodeSet::from_ids(&[0], 3),
            to: NodeSet::from_ids(&[1, 2], 3),
            one_way: true,
            transports: both(),
        });
        assert_eq!(
            net.route(0, &pkt(0, 1, Transport::Udp, 0), true, 0),
            Fate::Cut
        );
        assert!(matches!(
            net.route(0, &pkt(1, 0, Transport::Udp, 0), true, 0),
            Fate::Deliver { .. }
        ));
        assert_eq!(net.heal(Some("p")).len(), 1);
        assert!(matches!(
            net.route(0, &pkt(0, 1, Transport::Udp, 0), true, 0),
            Fate::Deliver { .. }
        ));
    }

    /// Rule: a UDP-only partition leaves TCP working.
    #[test]
    fn udp_only_partition_leaves_tcp() {
        let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 4);
        net.partition(Partition {
            name: "udp".into(),
            from: NodeSet::from_ids(&[0], 2),
            to: NodeSet::from_ids(&[1], 2),
            one_way: false,
            transports: Transports {
                udp: true,
                tcp: false,
            },
        });
        assert_eq!(
            net.route(0, &pkt(1, 0, Transport::Udp, 0), true, 0),
            Fate::Cut
        );
        assert_eq!(
            net.route(0, &pkt(1, 0, Transport::Tcp, 0), true, 0),
            Fate::Deliver {
                at: 3 * MS,
                dup: None
            },
            "TCP pays connect RTT + one way"
        );
    }

    /// Rule: a hold keeps packets and delivers them in order on release.
    #[test]
    fn hold_delivers_in_order_on_release() {
        let mut net = Network::new(
            &spec(
                Dist::Uniform {
                    lo: MS,
                    hi: 50 * MS,
                },
                0.0,
            ),
            &["a"; 2],
            5,
        );
        net.hold("h", NodeSet::from_ids(&[1], 2), None, 0, None, 0);
        for i in 0..50 {
            let p = pkt(0, 1, Transport::Udp, i);
            match net.route(i as Nanos * MS, &p, true, 0) {
                Fate::Held { hold, latency } => net.hold_packet(hold, p, latency),
                f => panic!("not held: {f:?}"),
            }
        }
        let (gone, out) = net.release(Some("h"), 1000 * MS);
        assert_eq!(gone.len(), 1);
        let seqs: Vec<u32> = out
            .iter()
            .map(|(_, p)| match p.body {
                Body::Ping { seq, .. } => seq,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(seqs, (0..50).collect::<Vec<_>>());
        assert!(
            out.windows(2).all(|w| w[0].0 <= w[1].0),
            "arrivals in order"
        );
        assert!(out[0].0 >= 1000 * MS);
    }

    /// Rule: TCP to a crashed peer fails after tcp_timeout (at once if refused).
    #[test]
    fn tcp_to_crashed_peer_fails_after_timeout() {
        let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 6);
        assert_eq!(
            net.route(5 * MS, &pkt(0, 1, Transport::Tcp, 0), false, 10_000 * MS),
            Fate::TcpFailed { at: 10_005 * MS }
        );
        let mut s = spec(Dist::Fixed(MS), 0.0);
        s.default.tcp_refused = true;
        let mut net = Network::new(&s, &["a"; 2], 6);
        assert_eq!(
            net.route(5 * MS, &pkt(0, 1, Transport::Tcp, 0), false, 10_000 * MS),
            Fate::TcpFailed { at: 7 * MS }
        );
    }

    /// Rule: TCP messages on one pair never overtake each other.
    #[test]
    fn tcp_is_ordered_per_pair() {
        let mut net = Network::new(
            &spec(
                Dist::Uniform {
                    lo: MS,
                    hi: 100 * MS,
                },
                0.0,
            ),
            &["a"; 2],
            7,
        );
        let mut last = 0;
        for i in 0..200 {
            match net.route(i as Nanos * 1000, &pkt(0, 1, Transport::Tcp, i), true, 0) {
                Fate::Deliver { at, .. } => {
                    assert!(at >= last);
                    last = at;
                }
                f => panic!("{f:?}"),
            }
        }
    }

    /// Rule: zones then explicit rules override the default (later wins).
    #[test]
    fn link_overrides_apply_in_order() {
        let mut s = spec(Dist::Fixed(MS), 0.0);
        s.cross_zone = Some(LinkSpec {
            latency: Dist::Fixed(5 * MS),
            ..s.default.clone()
        });
        s.rules.push(LinkRule {
            from: vec![2],
            to: vec![0, 1],
            both_ways: true,
            latency: None,
            spike: None,
            loss: Some(0.5),
            duplicate: None,
        });
        let net = Network::new(&s, &["a", "a", "b"], 8);
        assert_eq!(*net.link(0, 1).latency, Dist::Fixed(MS));
        assert_eq!(*net.link(0, 2).latency, Dist::Fixed(5 * MS));
        assert_eq!(net.link(0, 2).loss, 0.5);
        assert_eq!(net.link(0, 1).loss, 0.0);
    }
}
