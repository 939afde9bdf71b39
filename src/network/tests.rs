//! Rules of the network model.

use super::*;
use crate::protocol::{Body, PartsKind, Transport, MS, SEC};
use crate::scenario::LinkRule;
use crate::scenario::Transports;

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

/// Bug (issue 10, "TCP replies pay for a new connection"): a reply on the
/// connection the request opened (push/pull reply, TCP fallback ack) costs one
/// one-way latency, so the exchange costs four (connect round trip + request
/// + reply), not six.
#[test]
fn tcp_reply_on_open_connection_costs_one_latency() {
    let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 6);
    let push_pull = |from, to, reply| Packet {
        body: Body::PushPull {
            join: false,
            reply,
            state: Vec::new(),
        },
        ..pkt(from, to, Transport::Tcp, 0)
    };
    let request = net.route(0, &push_pull(0, 1, false), true, 0, 0);
    assert_eq!(
        request,
        Fate::Deliver {
            at: 3 * MS,
            dup: None
        }
    );
    let reply = net.route(3 * MS, &push_pull(1, 0, true), true, 0, 0);
    assert_eq!(
        reply,
        Fate::Deliver {
            at: 4 * MS,
            dup: None
        }
    );
    // The fallback ping opens its own exchange; its ack answers on it.
    assert!(matches!(
        net.route(7 * MS, &pkt(0, 1, Transport::Tcp, 1), true, 0, 0),
        Fate::Deliver { .. }
    ));
    let ack = Packet {
        body: Body::Ack { seq: 1 },
        ..pkt(1, 0, Transport::Tcp, 0)
    };
    let ack = net.route(10 * MS, &ack, true, 0, 0);
    assert_eq!(
        ack,
        Fate::Deliver {
            at: 11 * MS,
            dup: None
        }
    );
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
        match net.route(0, &pkt(0, 1, Transport::Udp, i), true, 0, 0) {
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
        .filter(|&i| net.route(0, &pkt(0, 1, Transport::Udp, i), true, 0, 0) == Fate::Lost)
        .count();
    let rate = lost as f64 / n as f64;
    assert!((rate - 0.2).abs() < 0.01, "loss rate {rate}");
    // TCP is reliable whatever the loss.
    assert!(matches!(
        net.route(0, &pkt(0, 1, Transport::Tcp, 0), true, 0, 0),
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
        net.route(0, &pkt(0, 1, Transport::Udp, 0), true, 0, 0),
        Fate::Cut
    );
    assert!(matches!(
        net.route(0, &pkt(1, 0, Transport::Udp, 0), true, 0, 0),
        Fate::Deliver { .. }
    ));
    assert_eq!(net.heal(Some("p")).len(), 1);
    assert!(matches!(
        net.route(0, &pkt(0, 1, Transport::Udp, 0), true, 0, 0),
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
        net.route(0, &pkt(1, 0, Transport::Udp, 0), true, 0, 0),
        Fate::Cut
    );
    assert_eq!(
        net.route(0, &pkt(1, 0, Transport::Tcp, 0), true, 0, 0),
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
        match net.route(i as Nanos * MS, &p, true, 0, 0) {
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
        net.route(5 * MS, &pkt(0, 1, Transport::Tcp, 0), false, 10_000 * MS, 0),
        Fate::TcpFailed { at: 10_005 * MS }
    );
    let mut s = spec(Dist::Fixed(MS), 0.0);
    s.default.tcp_refused = true;
    let mut net = Network::new(&s, &["a"; 2], 6);
    assert_eq!(
        net.route(5 * MS, &pkt(0, 1, Transport::Tcp, 0), false, 10_000 * MS, 0),
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
        match net.route(i as Nanos * 1000, &pkt(0, 1, Transport::Tcp, i), true, 0, 0) {
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
    let net: Network = Network::new(&s, &["a", "a", "b"], 8);
    assert_eq!(*net.link(0, 1).latency, Dist::Fixed(MS));
    assert_eq!(*net.link(0, 2).latency, Dist::Fixed(5 * MS));
    assert_eq!(net.link(0, 2).loss, 0.5);
    assert_eq!(net.link(0, 1).loss, 0.0);
}

fn push_pull(from: NodeId, to: NodeId, reply: bool) -> Packet {
    Packet {
        body: Body::PushPull {
            join: false,
            reply,
            state: Vec::new(),
        },
        ..pkt(from, to, Transport::Tcp, 0)
    }
}

fn send(net: &mut Network, now: Nanos, packet: Packet) -> Vec<NetOutput<Packet>> {
    let mut out = Vec::new();
    let input = NetInput::Send {
        depart: now,
        packet,
        peer_up: true,
        owner: 9,
    };
    net.handle(now, input, &mut out);
    out
}

fn tick(net: &mut Network, now: Nanos) -> Vec<NetOutput<Packet>> {
    let mut out = Vec::new();
    net.handle(now, NetInput::Tick, &mut out);
    out
}

/// Bug guard (issue 10, "a node's periodic push/pull can stop for good"): an
/// exchange whose reply is lost (here a one-way TCP cut of the reply's
/// direction) still ends, `Failed` at its deadline, exactly once; a reply after
/// that finds the connection closed.
#[test]
fn tcp_exchange_with_a_lost_reply_fails_at_its_deadline() {
    let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 6).with_tcp_timeout(SEC);
    let out = send(&mut net, 0, push_pull(0, 1, false));
    assert!(matches!(out[..], [NetOutput::Arrive { at, .. }] if at == 3 * MS));
    assert_eq!(net.next_deadline(), Some(SEC));
    net.partition(Partition {
        name: "reply-way".into(),
        from: NodeSet::from_ids(&[1], 2),
        to: NodeSet::from_ids(&[0], 2),
        one_way: true,
        transports: both(),
    });
    let out = send(&mut net, 3 * MS, push_pull(1, 0, true));
    assert!(matches!(
        out[..],
        [NetOutput::Dropped {
            reason: Dropped::Cut,
            ..
        }]
    ));
    assert!(
        tick(&mut net, SEC - 1).is_empty(),
        "not before the deadline"
    );
    let out = tick(&mut net, SEC);
    match &out[..] {
        [NetOutput::Ended(e)] => {
            assert_eq!(
                (e.initiator, e.owner, e.outcome, e.at),
                (0, 9, Outcome::Failed, SEC)
            );
            assert!(matches!(
                e.request.body,
                Body::PushPull { reply: false, .. }
            ));
        }
        o => panic!("expected one failed exchange, got {o:?}"),
    }
    assert!(tick(&mut net, 100 * SEC).is_empty(), "ends once");
    assert_eq!(net.next_deadline(), None);
    net.heal(None);
    let out = send(&mut net, SEC + 1, push_pull(1, 0, true));
    assert!(matches!(
        out[..],
        [NetOutput::Dropped {
            reason: Dropped::ConnectionClosed,
            ..
        }]
    ));
}

/// Rule: an exchange whose reply reaches the initiator ends `Replied`; its
/// deadline then ends nothing, and a second copy of the reply is refused.
#[test]
fn tcp_exchange_replied_ends_before_its_deadline() {
    let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 6).with_tcp_timeout(SEC);
    send(&mut net, 0, push_pull(0, 1, false));
    let reply = push_pull(1, 0, true);
    let out = send(&mut net, 3 * MS, reply.clone());
    assert!(matches!(out[..], [NetOutput::Arrive { at, .. }] if at == 4 * MS));
    assert!(net.reply_arrived(4 * MS, &reply));
    assert_eq!(net.open_exchanges(), 0);
    assert!(tick(&mut net, SEC).is_empty());
    assert!(!net.reply_arrived(5 * MS, &reply));
}

/// Rule: a request that cannot connect ends its exchange at once; the
/// initiator learns it after `tcp_timeout` (nothing is left open).
#[test]
fn tcp_request_that_cannot_connect_fails_once() {
    let mut net = Network::new(&spec(Dist::Fixed(MS), 0.0), &["a"; 2], 6).with_tcp_timeout(SEC);
    let mut out = Vec::new();
    let input = NetInput::Send {
        depart: 0,
        packet: push_pull(0, 1, false),
        peer_up: false,
        owner: 3,
    };
    net.handle(0, input, &mut out);
    let ended: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            NetOutput::Ended(e) => Some((e.outcome, e.at, e.owner)),
            _ => None,
        })
        .collect();
    assert_eq!(ended, vec![(Outcome::Failed, SEC, 3)]);
    assert_eq!(net.open_exchanges(), 0);
}
