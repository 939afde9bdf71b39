//! What the network needs to know of a message it routes: its ends, its
//! transport, its size, and its place in a TCP exchange. The network never
//! looks inside the payload; the protocol's [`Packet`] is one implementation.

use crate::protocol::{Body, NodeId, Packet, Transport};

/// A message's part in a TCP exchange (see [`super::exchange`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpRole {
    /// Opens a connection and waits for the reply carrying the same key.
    Request(u64),
    /// Answers the request with the same key, on the connection it opened.
    Reply(u64),
    /// Neither (UDP).
    Datagram,
}

/// A routable message.
pub trait Envelope: Sized + Clone {
    fn from(&self) -> NodeId;
    fn to(&self) -> NodeId;
    fn transport(&self) -> Transport;
    fn bytes(&self) -> u32;
    fn tcp_role(&self) -> TcpRole;
    /// What the initiator still knows of a request once it left: enough to be
    /// told the exchange failed (the payload itself is gone).
    fn header(&self) -> Self;
}

/// Key of a push/pull request and its reply (join and periodic exchanges differ).
const PUSH_PULL: u64 = 1 << 40;
/// Key of a TCP fallback ping and its ack (by sequence number).
const PING: u64 = 2 << 40;

impl Envelope for Packet {
    fn from(&self) -> NodeId {
        self.from
    }

    fn to(&self) -> NodeId {
        self.to
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn bytes(&self) -> u32 {
        self.bytes
    }

    /// memberlist opens a stream for a push/pull (periodic or join) and for the
    /// TCP fallback ping, and writes the answer (push/pull reply, ack) on it.
    fn tcp_role(&self) -> TcpRole {
        if self.transport == Transport::Udp {
            return TcpRole::Datagram;
        }
        match self.body {
            Body::PushPull { join, reply, .. } => {
                let key = PUSH_PULL | u64::from(join);
                if reply {
                    TcpRole::Reply(key)
                } else {
                    TcpRole::Request(key)
                }
            }
            Body::Ack { seq } => TcpRole::Reply(PING | u64::from(seq)),
            Body::Ping { seq, .. } => TcpRole::Request(PING | u64::from(seq)),
            // Not sent over TCP by the protocol; treated as a request nobody answers.
            Body::Gossip | Body::IndirectPing { .. } | Body::Nack { .. } => {
                TcpRole::Request(u64::MAX)
            }
        }
    }

    fn header(&self) -> Packet {
        let body = match &self.body {
            Body::PushPull { join, reply, .. } => Body::PushPull {
                join: *join,
                reply: *reply,
                state: Vec::new(),
            },
            b => b.clone(),
        };
        Packet {
            from: self.from,
            to: self.to,
            transport: self.transport,
            body,
            parts: Vec::new(),
            parts_kind: self.parts_kind,
            bytes: self.bytes,
        }
    }
}
