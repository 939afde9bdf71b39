//! `wire.csv` (`--outputs …,wire`, never by default): every message on the wire,
//! as it leaves its sender and as its receiver's protocol handles it — the
//! counterpart of the memberlist oracle's `trace.csv` (`ml2015harness -trace`),
//! for differential work at the level of single packets: who carried a rumour to
//! whom, on what, and when (`scenarios/oracle/wire_reach.py` reads both).
//!
//! One row per message: a packet's primary message (`ping`, `indirect_ping`,
//! `ack`, `nack`, `push_pull`; a gossip packet has none) and then each state
//! message it carries (`alive`, `suspect`, `dead`, piggybacked or gossiped), in
//! order, all with the packet's `t`, `event`, `from` and `to`. Columns:
//! - `t`: seconds since the start (warm-up included), to the nanosecond;
//! - `event`: `sent` (left `from`; lost packets too) or `handled` (`to`'s
//!   protocol took it, after the network and the host's queue);
//! - `transport`: `udp` or `tcp`;
//! - `message`, `subject` (the ping's target, the state message's node),
//!   `incarnation` and `accuser` (who raised a suspect or dead message) — empty
//!   where they do not apply. A push/pull row does not list its state entries.
//!
//! A sick cluster puts millions of messages on the wire: the file is streamed
//! (memory stays flat) but can be large; it is only written when asked for.

use crate::protocol::{Body, BroadcastKind, Nanos, Packet, Transport};
use crate::scenario::Scenario;

use super::csv::csv_safe;
use super::events::{push_seconds, push_u64};

pub const HEADER: &str = "t,event,from,to,transport,message,subject,incarnation,accuser\n";

/// Node names made safe for a CSV field, by node id.
pub fn names(scenario: &Scenario) -> Vec<String> {
    scenario.nodes.iter().map(|n| csv_safe(&n.name)).collect()
}

/// The name of a message kind in `wire.csv`.
fn primary(body: &Body) -> Option<&'static str> {
    match body {
        Body::Gossip => None,
        Body::Ping { .. } => Some("ping"),
        Body::IndirectPing { .. } => Some("indirect_ping"),
        Body::Ack { .. } => Some("ack"),
        Body::Nack { .. } => Some("nack"),
        Body::PushPull { .. } => Some("push_pull"),
    }
}

/// Append the rows of `packet` at `at` (`sent`: leaving, else handled).
pub fn write_packet(out: &mut Vec<u8>, names: &[String], at: Nanos, packet: &Packet, sent: bool) {
    let name = |id: u32| names.get(id as usize).map_or("?", String::as_str);
    let event: &[u8] = if sent { b",sent," } else { b",handled," };
    let transport = match packet.transport {
        Transport::Udp => b",udp,",
        Transport::Tcp => b",tcp,",
    };
    // t, event, from, to, transport: the same on every row of the packet.
    let head = |out: &mut Vec<u8>| {
        push_seconds(out, at);
        out.extend_from_slice(event);
        out.extend_from_slice(name(packet.from).as_bytes());
        out.push(b',');
        out.extend_from_slice(name(packet.to).as_bytes());
        out.extend_from_slice(transport);
    };
    if let Some(message) = primary(&packet.body) {
        let subject = match packet.body {
            Body::Ping { target, .. } | Body::IndirectPing { target, .. } => name(target),
            _ => "",
        };
        head(out);
        out.extend_from_slice(message.as_bytes());
        out.push(b',');
        out.extend_from_slice(subject.as_bytes());
        out.extend_from_slice(b",,\n");
    }
    for b in &packet.parts {
        let (message, accuser) = match b.kind {
            BroadcastKind::Alive => ("alive", ""),
            BroadcastKind::Suspect => ("suspect", name(b.from)),
            BroadcastKind::Dead => ("dead", name(b.from)),
        };
        head(out);
        out.extend_from_slice(message.as_bytes());
        out.push(b',');
        out.extend_from_slice(name(b.node).as_bytes());
        out.push(b',');
        push_u64(out, u64::from(b.incarnation));
        out.push(b',');
        out.extend_from_slice(accuser.as_bytes());
        out.push(b'\n');
    }
}
