//! The run digest: 64-bit FNV-1a over a canonical byte encoding of every protocol
//! event and truth change, in order. Two runs with equal digests produced the same
//! event log; the encoding is explicit little-endian fields with a tag per variant,
//! so it does not depend on Rust's memory layout, `Debug` output or the platform.

use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, Nanos, NodeId, State};

use super::Truth;

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(OFFSET)
    }
}

impl Digest {
    pub fn value(self) -> u64 {
        self.0
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }

    fn state(&mut self, s: State) {
        self.u8(s as u8);
    }

    /// A protocol event at `at` observed by `observer`.
    pub fn event(&mut self, at: Nanos, observer: NodeId, e: &Event) {
        self.u8(b'E');
        self.u64(at);
        self.u32(observer);
        match *e {
            Event::FailedUdpPing { subject } => {
                self.u8(1);
                self.u32(subject);
            }
            Event::TcpFallbackRescued { subject } => {
                self.u8(2);
                self.u32(subject);
            }
            Event::FailedTcpPing { subject } => {
                self.u8(3);
                self.u32(subject);
            }
            // probe_started is derived from the event times already hashed.
            Event::SuspectNoAcks {
                subject,
                incarnation,
                ..
            } => {
                self.u8(4);
                self.u32(subject);
                self.u32(incarnation);
            }
            Event::Suspected {
                subject,
                incarnation,
                from,
            } => {
                self.u8(5);
                self.u32(subject);
                self.u32(incarnation);
                self.u32(from);
            }
            Event::Confirmed {
                subject,
                from,
                confirmations,
            } => {
                self.u8(6);
                self.u32(subject);
                self.u32(from);
                self.u32(confirmations);
            }
            Event::SuspicionExpired {
                subject,
                confirmations,
                degraded,
            } => {
                self.u8(7);
                self.u32(subject);
                self.bool(confirmations.is_some());
                self.u32(confirmations.unwrap_or(0));
                self.bool(degraded);
            }
            Event::MemberDown {
                subject,
                incarnation,
                from,
                state,
            } => {
                self.u8(8);
                self.u32(subject);
                self.u32(incarnation);
                self.u32(from);
                self.state(state);
            }
            Event::MemberUp {
                subject,
                incarnation,
                rejoin,
            } => {
                self.u8(9);
                self.u32(subject);
                self.u32(incarnation);
                self.bool(rejoin);
            }
            Event::SuspicionCleared {
                subject,
                incarnation,
            } => {
                self.u8(10);
                self.u32(subject);
                self.u32(incarnation);
            }
            Event::Refuted {
                kind,
                from,
                accused_incarnation,
                incarnation,
            } => {
                self.u8(11);
                self.u8(match kind {
                    RefuteKind::Suspect => 0,
                    RefuteKind::Dead => 1,
                    RefuteKind::Alive => 2,
                });
                self.u32(from);
                self.u32(accused_incarnation);
                self.u32(incarnation);
            }
            Event::HealthScore { score } => {
                self.u8(12);
                self.u32(score);
            }
            Event::DegradedProbe => self.u8(13),
            Event::Reaped { subject } => {
                self.u8(14);
                self.u32(subject);
            }
            Event::PushPullStarted { peer, join } => {
                self.u8(15);
                self.u32(peer);
                self.bool(join);
            }
            Event::PushPullFailed { peer } => {
                self.u8(16);
                self.u32(peer);
            }
            Event::HandoffQueueFull => self.u8(17),
            Event::SerfMemberJoin { subject } => {
                self.u8(18);
                self.u32(subject);
            }
            Event::SerfMemberFailed { subject } => {
                self.u8(19);
                self.u32(subject);
            }
            Event::SerfMemberLeave { subject } => {
                self.u8(20);
                self.u32(subject);
            }
            Event::SerfFlap { subject } => {
                self.u8(21);
                self.u32(subject);
            }
            Event::SerfReconnect { subject } => {
                self.u8(22);
                self.u32(subject);
            }
            Event::SerfReap { subject } => {
                self.u8(23);
                self.u32(subject);
            }
        }
    }

    /// A ground-truth change.
    pub fn truth(&mut self, at: Nanos, node: NodeId, t: Truth) {
        self.u8(b'T');
        self.u64(at);
        self.u32(node);
        match t {
            Truth::Up => self.u8(0),
            Truth::Crashed => self.u8(1),
            Truth::Left => self.u8(2),
            Truth::Degraded(d) => {
                self.u8(3);
                self.bool(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: the digest is FNV-1a (known test vector) and order-sensitive.
    #[test]
    fn digest_is_fnv1a_and_order_sensitive() {
        let mut d = Digest::default();
        d.bytes(b"a");
        assert_eq!(d.value(), 0xaf63_dc4c_8601_ec8c);
        let mut a = Digest::default();
        a.truth(1, 2, Truth::Up);
        a.truth(1, 3, Truth::Up);
        let mut b = Digest::default();
        b.truth(1, 3, Truth::Up);
        b.truth(1, 2, Truth::Up);
        assert_ne!(a, b);
    }
}
