//! Approximate encoded sizes of memberlist messages (msgpack, memberlist.md §4.5).
//!
//! memberlist encodes every message as one type byte followed by the msgpack of
//! a Go struct, written as a map keyed by the field names (hashicorp/go-msgpack,
//! ml@HEAD net.go `encode`). The sizes here are derived from those msgpack rules
//! rather than measured, so treat them as ±a few bytes:
//!
//! - a map of ≤ 15 fields: 1 byte header; each key a fixstr: `1 + len(name)`;
//! - unsigned ints ([`uint_len`]): 1 byte below 128, 2 below 256, 3 below 65 536,
//!   else 5; IPv4 ports (7946, 8301) are therefore 3 bytes;
//! - strings and `[]byte` ([`raw_len`]): go-msgpack's old raw format: a 1-byte
//!   header up to 31 bytes, 3 bytes up to 65 535 (no 2-byte str8), so names and
//!   metadata longer than 31 bytes cost 2 extra bytes — this is the "+2 if
//!   Meta > 31" of memberlist.md §4.5;
//! - `Vsn []uint8` is a Go byte slice: 1 + 6 bytes; `bool` 1 byte; IPv4 `Addr` 1 + 4.
//!
//! With incarnations and sequence numbers below 128 and names of ≤ 31 bytes these
//! reduce to the figures of memberlist.md §4.5 exactly (checked by the tests).
//!
//! Sizes are *before* compression (LZW, on by default), CRC (+5 bytes towards
//! receivers with PMax ≥ 5) and any label or encryption: memberlist budgets
//! piggybacking on these uncompressed lengths (ml@HEAD net.go `sendMsg`), so they
//! decide what fits, which is what the simulator needs.

use super::{Body, Broadcast, BroadcastKind, NodeId, Roster};

/// Bytes of the compound header: 1 type byte (`compoundMsg`) + 1 part count
/// (memberlist `compoundHeaderOverhead`, ml@HEAD net.go; util.go `makeCompoundMessage`).
pub const COMPOUND_HEADER_OVERHEAD: u32 = 2;
/// Bytes per part in a compound: its big-endian u16 length (memberlist
/// `compoundOverhead`). This is the `overhead` passed to `GetBroadcasts`.
pub const COMPOUND_PART_OVERHEAD: u32 = 2;
/// A compound holds at most 255 parts (u8 count); memberlist splits longer lists
/// into several compounds, each its own UDP packet (`makeCompoundMessages`).
pub const COMPOUND_MAX_PARTS: u32 = 255;
/// The `hasCrc` wrapper added after budgeting towards receivers with PMax ≥ 5:
/// 1 type byte + CRC32 (ml@9486bd4). Not included in [`packet_len`].
pub const CRC_OVERHEAD: u32 = 5;

/// Length of an IPv4 address field (`[]byte` of 4).
const ADDR_LEN: u32 = 1 + 4;
/// A uint16 port ≥ 256 (the usual 7946/8301).
const PORT_LEN: u32 = 3;
/// `Vsn []uint8` of 6 protocol/delegate versions.
const VSN_LEN: u32 = 1 + 6;

/// msgpack size of an unsigned integer (go-msgpack picks the smallest form).
pub fn uint_len(v: u64) -> u32 {
    match v {
        0..=127 => 1,
        128..=255 => 2,
        256..=65_535 => 3,
        65_536..=0xFFFF_FFFF => 5,
        _ => 9,
    }
}

/// msgpack size of a string or byte slice of `len` bytes (old raw format:
/// fixraw ≤ 31, raw16, raw32).
pub fn raw_len(len: u32) -> u32 {
    let header = match len {
        0..=31 => 1,
        32..=65_535 => 3,
        _ => 5,
    };
    header + len
}

/// A map key: fixstr of the field name.
const fn key(name: &str) -> u32 {
    1 + name.len() as u32
}

/// Type byte + map header.
const HEAD: u32 = 2;

/// Bytes of one state message (alive/suspect/dead) as encoded on its own.
///
/// - `suspect{Incarnation, Node, From}` / `dead{…}` ≈ 27 + len(Node) + len(From);
/// - `alive{Incarnation, Node, Addr, Port, Meta, Vsn}` ≈ 56 + len(Node) + len(Meta)
///   (IPv4; +2 when Meta > 31 bytes).
pub fn broadcast_len(b: &Broadcast, roster: &Roster) -> u32 {
    let inc = key("Incarnation") + uint_len(u64::from(b.incarnation));
    let node = key("Node") + raw_len(roster.name_len(b.node));
    match b.kind {
        BroadcastKind::Suspect | BroadcastKind::Dead => {
            HEAD + inc + node + key("From") + raw_len(roster.name_len(b.from))
        }
        BroadcastKind::Alive => {
            HEAD + inc
                + node
                + key("Addr")
                + ADDR_LEN
                + key("Port")
                + PORT_LEN
                + key("Meta")
                + raw_len(roster.meta_len(b.node))
                + key("Vsn")
                + VSN_LEN
        }
    }
}

/// Bytes of a primary message sent by `from`. `modern_ping` selects today's ping
/// encoding (with source address and name) over 2015's.
///
/// - `ping{SeqNo, Node, SourceAddr, SourcePort, SourceNode}` ≈ 56 + seqLen +
///   len(target) + len(self) today; `ping{SeqNo, Node}` ≈ 14 + seqLen + len(target)
///   in 2015 (the `Source*` fields are `omitempty` and set by today's senders).
/// - `indirectPingReq{SeqNo, Target, Port, Node, Nack, SourceAddr, SourcePort,
///   SourceNode}` ≈ 82 + seqLen + len(target) + len(self) today: the ping's
///   fields plus the target's address (1+4) and port (3) and the `Nack` flag.
///   Without `modern_ping`: `{SeqNo, Target, Port, Node}` ≈ 34 + seqLen +
///   len(target), plus 6 bytes for `Nack` when a nack is requested (2016).
/// - `ack{SeqNo, Payload}` ≈ 17 + seqLen with an empty payload. Serf ≥ 0.7
///   puts Vivaldi coordinates in the payload; flapsim does not model them.
/// - `nack{SeqNo}` ≈ 8 + seqLen: `nackResp` has a single field. (The brief's
///   "≈ 17 + seqLen" assumed an ack-like payload field, which nacks lack.)
/// - push/pull (TCP, uncompressed): type + `pushPullHeader{Nodes, UserStateLen,
///   Join}` ≈ 29 bytes, then per entry `pushNodeState{Name, Addr, Port, Meta,
///   Incarnation, State, Vsn}` ≈ 62 + len(Name) + len(Meta). Serf's user state
///   (its Lamport clocks and per-member status times) is not counted.
/// - Gossip: 0 (the packet is only its parts).
pub fn body_len(body: &Body, from: NodeId, roster: &Roster, modern_ping: bool) -> u32 {
    let seq_no = |seq: u32| key("SeqNo") + uint_len(u64::from(seq));
    let source = key("SourceAddr")
        + ADDR_LEN
        + key("SourcePort")
        + PORT_LEN
        + key("SourceNode")
        + raw_len(roster.name_len(from));
    match body {
        Body::Gossip => 0,
        Body::Ping { seq, target } => {
            let base = HEAD + seq_no(*seq) + key("Node") + raw_len(roster.name_len(*target));
            if modern_ping {
                base + source
            } else {
                base
            }
        }
        Body::IndirectPing {
            seq,
            target,
            want_nack,
        } => {
            let base = HEAD
                + seq_no(*seq)
                + key("Target")
                + ADDR_LEN
                + key("Port")
                + PORT_LEN
                + key("Node")
                + raw_len(roster.name_len(*target));
            let nack = key("Nack") + 1;
            if modern_ping {
                base + nack + source
            } else if *want_nack {
                base + nack
            } else {
                base
            }
        }
        Body::Ack { seq } => HEAD + seq_no(*seq) + key("Payload") + raw_len(0),
        Body::Nack { seq } => HEAD + seq_no(*seq),
        Body::PushPull { state, .. } => {
            let header = HEAD
                + key("Nodes")
                + uint_len(state.len() as u64)
                + key("UserStateLen")
                + uint_len(0)
                + key("Join")
                + 1;
            let entries: u32 = state
                .iter()
                .map(|e| {
                    1 + key("Name")
                        + raw_len(roster.name_len(e.node))
                        + key("Addr")
                        + ADDR_LEN
                        + key("Port")
                        + PORT_LEN
                        + key("Meta")
                        + raw_len(roster.meta_len(e.node))
                        + key("Incarnation")
                        + uint_len(u64::from(e.incarnation))
                        + key("State")
                        + 1
                        + key("Vsn")
                        + VSN_LEN
                })
                .sum();
            header + entries
        }
    }
}

/// Bytes on the wire of a packet made of a primary message of `primary_len`
/// bytes (0 for a gossip packet, which has none) and parts of the given lengths.
///
/// memberlist framing (ml@HEAD util.go `makeCompoundMessage`, net.go `sendMsg`,
/// state.go `gossip`): a lone message is sent as is; two or more are wrapped in a
/// compound — 1 type byte, 1 count byte, a u16 length per part (the primary
/// included), then the parts. More than 255 parts become several compounds, each
/// with its own 2-byte header (never reached with a 1400-byte budget).
pub fn compound_len(primary_len: u32, parts_lens: impl IntoIterator<Item = u32>) -> u32 {
    let mut count = u32::from(primary_len > 0);
    let mut total = primary_len;
    for len in parts_lens {
        count += 1;
        total += len;
    }
    if count <= 1 {
        return total;
    }
    let compounds = count.div_ceil(COMPOUND_MAX_PARTS);
    total + count * COMPOUND_PART_OVERHEAD + compounds * COMPOUND_HEADER_OVERHEAD
}

/// Bytes left for piggybacked broadcasts on a UDP message of `primary_len` bytes:
/// `UDPBufferSize − len(primary) − 2` (memberlist `sendMsg`, no label, no
/// encryption). Each broadcast then costs `COMPOUND_PART_OVERHEAD + len`. The
/// primary's own 2-byte length prefix is not budgeted, as in memberlist, so a
/// full compound can reach UDPBufferSize + 2 bytes.
pub fn piggyback_budget(udp_buffer_size: u32, primary_len: u32) -> u32 {
    udp_buffer_size
        .saturating_sub(primary_len)
        .saturating_sub(COMPOUND_HEADER_OVERHEAD)
}

/// Bytes available to one gossip packet: `UDPBufferSize − 2` (memberlist `gossip`).
pub fn gossip_budget(udp_buffer_size: u32) -> u32 {
    udp_buffer_size.saturating_sub(COMPOUND_HEADER_OVERHEAD)
}

/// Total encoded size of a packet: its body plus its parts, framed as memberlist
/// frames them (see [`compound_len`]). CRC and compression are not included.
pub fn packet_len(
    body: &Body,
    parts: &[Broadcast],
    from: NodeId,
    roster: &Roster,
    modern_ping: bool,
) -> u32 {
    compound_len(
        body_len(body, from, roster, modern_ping),
        parts.iter().map(|b| broadcast_len(b, roster)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{PushPullEntry, State};

    /// Node 0 "a" (1 byte), node 1 "web-07" (6), node 2 with a 40-byte name, node 3
    /// "db-1" (4); metas of 0, 20, 100 and 31 bytes.
    fn roster() -> Roster {
        Roster::new(
            vec!["a".into(), "web-07".into(), "x".repeat(40), "db-1".into()],
            vec![0, 20, 100, 31],
        )
    }

    fn b(kind: BroadcastKind, node: NodeId, incarnation: u32, from: NodeId) -> Broadcast {
        Broadcast {
            kind,
            node,
            incarnation,
            from,
        }
    }

    // Rule §4.5: suspect/dead ≈ 27 + len(Node) + len(From).
    #[test]
    fn suspect_and_dead_are_27_plus_names() {
        let r = roster();
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Suspect, 1, 1, 3), &r),
            27 + 6 + 4
        );
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Dead, 1, 5, 1), &r),
            27 + 6 + 6
        );
        // Incarnation ≥ 128 takes a uint8 (2 bytes); a 40-byte name a raw16 header (+2).
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Suspect, 1, 200, 3), &r),
            28 + 6 + 4
        );
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Suspect, 2, 1, 3), &r),
            27 + 2 + 40 + 4
        );
    }

    // Rule §4.5: alive ≈ 56 + len(Node) + len(Meta), +2 when Meta > 31 bytes.
    #[test]
    fn alive_is_56_plus_name_and_meta() {
        let r = roster();
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Alive, 1, 1, 1), &r),
            56 + 6 + 20
        );
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Alive, 3, 1, 3), &r),
            56 + 4 + 31
        );
        assert_eq!(
            broadcast_len(&b(BroadcastKind::Alive, 2, 1, 2), &r),
            56 + 42 + 100 + 2
        );
    }

    // Rule §4.5: seqLen is the msgpack uint size of the sequence number.
    #[test]
    fn seq_len_follows_msgpack_uint_sizes() {
        assert_eq!(uint_len(0), 1);
        assert_eq!(uint_len(127), 1);
        assert_eq!(uint_len(128), 2);
        assert_eq!(uint_len(255), 2);
        assert_eq!(uint_len(256), 3);
        assert_eq!(uint_len(65_535), 3);
        assert_eq!(uint_len(65_536), 5);
        assert_eq!(uint_len(u64::from(u32::MAX)), 5);
    }

    // Rule §4.5: ping ≈ 56 + seqLen + len(target) + len(self) today, 14 + seqLen + len(target) in 2015.
    #[test]
    fn ping_sizes_today_and_2015() {
        let r = roster();
        let ping = Body::Ping {
            seq: 300,
            target: 1,
        };
        assert_eq!(body_len(&ping, 3, &r, true), 56 + 3 + 6 + 4);
        assert_eq!(body_len(&ping, 3, &r, false), 14 + 3 + 6);
    }

    // Rule §4.5: ack ≈ 17 + seqLen (empty payload); nack ≈ 8 + seqLen (SeqNo only).
    #[test]
    fn ack_and_nack_sizes() {
        let r = roster();
        assert_eq!(body_len(&Body::Ack { seq: 5 }, 0, &r, true), 17 + 1);
        assert_eq!(body_len(&Body::Ack { seq: 70_000 }, 0, &r, false), 17 + 5);
        assert_eq!(body_len(&Body::Nack { seq: 5 }, 0, &r, true), 8 + 1);
    }

    // Rule (estimate): indirectPing ≈ 82 + seqLen + len(target) + len(self) today; 34 + seqLen + len(target) in 2015.
    #[test]
    fn indirect_ping_sizes() {
        let r = roster();
        let req = |want_nack| Body::IndirectPing {
            seq: 1,
            target: 1,
            want_nack,
        };
        assert_eq!(body_len(&req(true), 3, &r, true), 82 + 1 + 6 + 4);
        assert_eq!(body_len(&req(false), 3, &r, true), 82 + 1 + 6 + 4);
        assert_eq!(body_len(&req(false), 3, &r, false), 34 + 1 + 6);
        assert_eq!(body_len(&req(true), 3, &r, false), 40 + 1 + 6);
    }

    // Rule (estimate): push/pull ≈ 29 header + Σ(62 + len(Name) + len(Meta)); gossip body is empty.
    #[test]
    fn push_pull_and_gossip_sizes() {
        let r = roster();
        let entry = |node| PushPullEntry {
            node,
            incarnation: 1,
            state: State::Alive,
        };
        let pp = Body::PushPull {
            join: false,
            reply: false,
            state: vec![entry(0), entry(1)],
        };
        assert_eq!(body_len(&pp, 0, &r, true), 29 + (62 + 1) + (62 + 6 + 20));
        assert_eq!(body_len(&Body::Gossip, 0, &r, true), 0);
    }

    // Rule §4.3: a lone message goes as is; a compound costs 2 + Σ(2 + len) over all its parts.
    #[test]
    fn compound_framing() {
        assert_eq!(compound_len(60, []), 60);
        assert_eq!(compound_len(0, [40]), 40);
        assert_eq!(compound_len(0, []), 0);
        assert_eq!(compound_len(60, [40, 40]), 2 + 62 + 42 + 42);
        assert_eq!(compound_len(0, [40, 40]), 2 + 42 + 42);
        // 300 gossip parts would need two compounds (two headers).
        assert_eq!(compound_len(0, std::iter::repeat_n(10, 300)), 4 + 300 * 12);
    }

    // Rule §4.3: the piggyback budget is UDPBufferSize − len(primary) − 2, and a full
    // compound never exceeds UDPBufferSize + 2 (the primary's own length prefix).
    #[test]
    fn piggyback_budget_and_packet_bound() {
        assert_eq!(piggyback_budget(1400, 70), 1328);
        assert_eq!(gossip_budget(1400), 1398);
        assert_eq!(piggyback_budget(50, 70), 0);
        // Fill a ping's budget with 42-byte suspects exactly as GetBroadcasts would.
        let budget = piggyback_budget(1400, 70);
        let mut used = 0;
        let mut parts = 0;
        while budget as i64 - used as i64 - 2 >= 42 {
            used += 44;
            parts += 1;
        }
        let total = compound_len(70, std::iter::repeat_n(42, parts));
        assert!(total <= 1402, "{total}");
    }

    // Rule §4.5: ~30 suspect/dead messages (short names) fit in one 1400-byte packet.
    #[test]
    fn about_30_suspects_fit_a_packet() {
        let r = roster();
        let len = broadcast_len(&b(BroadcastKind::Suspect, 1, 1, 3), &r); // 37 bytes
        let fit = (gossip_budget(1400) - COMPOUND_PART_OVERHEAD) / (len + COMPOUND_PART_OVERHEAD);
        assert!((30..=40).contains(&fit), "{fit}");
    }

    // Rule §4.3: packet_len frames the buddy compound [ping, suspect].
    #[test]
    fn packet_len_frames_body_and_parts() {
        let r = roster();
        let ping = Body::Ping { seq: 1, target: 1 };
        let s = b(BroadcastKind::Suspect, 1, 1, 3);
        let p = body_len(&ping, 3, &r, true);
        let sl = broadcast_len(&s, &r);
        assert_eq!(packet_len(&ping, &[s], 3, &r, true), 2 + 2 + p + 2 + sl);
        assert_eq!(packet_len(&ping, &[], 3, &r, true), p);
    }
}
