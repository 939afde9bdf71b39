//! Approximate encoded sizes of memberlist messages (msgpack, memberlist.md §4.5).

use super::{Body, Broadcast, NodeId, Roster};

/// Bytes of one state message (alive/suspect/dead) as encoded on its own.
pub fn broadcast_len(b: &Broadcast, roster: &Roster) -> u32 {
    let _ = (b, roster);
    todo!("H1")
}

/// Bytes of a primary message sent by `from`. `modern_ping` selects today's ping
/// encoding (with source address and name) over 2015's.
pub fn body_len(body: &Body, from: NodeId, roster: &Roster, modern_ping: bool) -> u32 {
    let _ = (body, from, roster, modern_ping);
    todo!("H1")
}
