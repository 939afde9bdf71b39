//! Wire-level measures of suspicion episodes, for the memberlist oracle's
//! `trace_suspect_reach.py` (2015): the oracle traces every membership message
//! on the wire (UDP only) and asks, for each episode `suspect(X, inc)`, when it
//! was first sent, how many times it was sent (and how many of those went to X
//! itself), and whether and when X received it.
//!
//! Why on the wire and not from protocol events: a suspect message that reaches
//! X after X has refuted (a straggler, or one that arrives after X refuted a
//! *dead* message) changes nothing in X and raises no event, but the oracle
//! counts it; and "first sent" is when a packet carries it, not when a node
//! decided. Off unless asked ([`Collector::record_wire_suspicions`]): it
//! scans every packet's parts.
//!
//! [`Collector::record_wire_suspicions`]: super::Collector::record_wire_suspicions

use std::collections::BTreeMap;

use crate::protocol::{BroadcastKind, Nanos, NodeId, Packet, Transport};

/// One episode `suspect(X, inc)` as seen on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct WireEpisode {
    pub first_send: Nanos,
    /// Sends of a packet carrying it (lost ones included, as the trace does).
    pub sends: u64,
    /// Of them, sends to X itself.
    pub sends_to_subject: u64,
    /// When X first received it (was handed a packet carrying it).
    pub reached: Option<Nanos>,
}

/// Every episode sent at or after `from` (the measured window's start).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WireSuspicions {
    from: Nanos,
    /// Key (X, inc).
    pub episodes: BTreeMap<(NodeId, u32), WireEpisode>,
}

impl WireSuspicions {
    pub fn new(from: Nanos) -> WireSuspicions {
        WireSuspicions {
            from,
            episodes: BTreeMap::new(),
        }
    }

    /// The suspect messages of a UDP packet (the trace sees no TCP).
    fn suspects(packet: &Packet) -> impl Iterator<Item = (NodeId, u32)> + '_ {
        let udp = packet.transport == Transport::Udp;
        packet
            .parts
            .iter()
            .filter(move |b| udp && b.kind == BroadcastKind::Suspect)
            .map(|b| (b.node, b.incarnation))
    }

    pub fn sent(&mut self, at: Nanos, packet: &Packet) {
        if at < self.from {
            return;
        }
        for key in Self::suspects(packet) {
            let e = self.episodes.entry(key).or_insert(WireEpisode {
                first_send: at,
                sends: 0,
                sends_to_subject: 0,
                reached: None,
            });
            e.sends += 1;
            e.sends_to_subject += u64::from(packet.to == key.0);
        }
    }

    pub fn received(&mut self, at: Nanos, packet: &Packet) {
        for key in Self::suspects(packet).filter(|k| k.0 == packet.to) {
            if let Some(e) = self.episodes.get_mut(&key) {
                e.reached = Some(e.reached.map_or(at, |r| r.min(at)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Body, Broadcast, PartsKind, SEC};

    fn packet(to: NodeId, transport: Transport, parts: &[(NodeId, u32)]) -> Packet {
        Packet {
            from: 9,
            to,
            transport,
            body: Body::Gossip,
            parts: parts
                .iter()
                .map(|&(node, incarnation)| Broadcast {
                    kind: BroadcastKind::Suspect,
                    node,
                    incarnation,
                    from: 9,
                })
                .collect(),
            parts_kind: PartsKind::Broadcasts,
            bytes: 100,
        }
    }

    /// Rule (`trace_suspect_reach.py`): an episode starts at its first send in
    /// the measured window; every UDP send counts (to X apart); X's first
    /// receipt is the reach, a later one changes nothing; TCP is not traced.
    #[test]
    fn episodes_count_udp_sends_and_the_subjects_first_receipt() {
        let mut w = WireSuspicions::new(10 * SEC);
        w.sent(5 * SEC, &packet(3, Transport::Udp, &[(2, 1)])); // before the window
        w.sent(11 * SEC, &packet(3, Transport::Udp, &[(2, 1), (4, 1)]));
        w.sent(12 * SEC, &packet(2, Transport::Udp, &[(2, 1)]));
        w.sent(12 * SEC, &packet(2, Transport::Tcp, &[(2, 1)]));
        w.received(13 * SEC, &packet(2, Transport::Udp, &[(2, 1)]));
        w.received(14 * SEC, &packet(2, Transport::Udp, &[(2, 1)]));
        w.received(14 * SEC, &packet(3, Transport::Udp, &[(4, 1)])); // not X
        let e = &w.episodes[&(2, 1)];
        assert_eq!(
            (e.first_send, e.sends, e.sends_to_subject),
            (11 * SEC, 2, 1)
        );
        assert_eq!(e.reached, Some(13 * SEC));
        assert_eq!(w.episodes[&(4, 1)].reached, None);
        assert_eq!(w.episodes.len(), 2);
    }
}
