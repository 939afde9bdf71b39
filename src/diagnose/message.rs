//! A log message → the protocol [`Event`] it stands for, through the event table's
//! own parser ([`crate::protocol::event::log_line::parse_log_message`], derived from the same templates that write
//! `memberlist.log`), so what flapsim writes and what it reads cannot drift apart.
//! This file holds no message text: only the mapping of a parsed line's fields
//! (node names, or addresses learned from Serf's lines) to node ids.

use crate::protocol::event::log_line::ParsedRef;
use crate::protocol::event::{EventKind, RefuteKind};
use crate::protocol::{Event, NodeId};

use super::analyze::Interner;
use super::time::UnixNs;

/// What a recognised line means for the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Understood {
    /// The protocol event the line stands for (fed to the run's collector).
    Event(Event),
    /// A line of a kind the counts do not use (counted by kind only).
    Other,
}

/// The node named by field `key` of a parsed line: by its name, or by the address
/// in `key.ip` when only the address is printed (`dial tcp 10.0.0.4:8301`).
fn node(p: &ParsedRef, key: NodeKey, names: &mut Interner) -> Result<Option<NodeId>, String> {
    if let Some(name) = p.field(key.name) {
        let id = names.id(name)?;
        names.mentioned.insert(id);
        if let Some(ip) = p.field(key.ip) {
            names.learn_ip(id, ip);
        }
        return Ok(Some(id));
    }
    Ok(p.field(key.ip).and_then(|ip| names.by_ip(ip)))
}

/// A node field of a parsed line and its address field (`subject`,
/// `subject.ip`): both keys written out, not formatted for every line.
#[derive(Clone, Copy)]
struct NodeKey {
    name: &'static str,
    ip: &'static str,
}

const SUBJECT: NodeKey = NodeKey {
    name: "subject",
    ip: "subject.ip",
};
const FROM: NodeKey = NodeKey {
    name: "from",
    ip: "from.ip",
};

/// The event of a parsed line seen at `observer`. Fields the line does not carry
/// (incarnations, when the failed probe began) are 0 / the line's time: no count
/// the diagnosis reports reads them.
pub fn understand(
    p: &ParsedRef,
    observer: NodeId,
    _at: UnixNs,
    names: &mut Interner,
) -> Result<Understood, String> {
    let subject = |names: &mut Interner| node(p, SUBJECT, names);
    let ev = match p.kind {
        EventKind::SuspectNoAcks => subject(names)?.map(|subject| Event::SuspectNoAcks {
            subject,
            incarnation: 0,
            probe_started: 0,
        }),
        EventKind::SuspicionExpired => subject(names)?.map(|subject| Event::SuspicionExpired {
            subject,
            confirmations: p.field("confirmations").and_then(|c| c.parse().ok()),
            degraded: false,
        }),
        EventKind::Refuted => {
            let kind = match p.field("message") {
                Some("suspect") => Some(RefuteKind::Suspect),
                Some("dead") => Some(RefuteKind::Dead),
                Some("alive") => Some(RefuteKind::Alive),
                _ => None,
            };
            let from = node(p, FROM, names)?.unwrap_or(observer);
            kind.map(|kind| Event::Refuted {
                kind,
                from,
                accused_incarnation: 0,
                incarnation: 0,
            })
        }
        EventKind::SerfMemberJoin => {
            subject(names)?.map(|subject| Event::SerfMemberJoin { subject })
        }
        EventKind::SerfMemberFailed => {
            subject(names)?.map(|subject| Event::SerfMemberFailed { subject })
        }
        EventKind::SerfMemberLeave => {
            subject(names)?.map(|subject| Event::SerfMemberLeave { subject })
        }
        EventKind::SerfReconnect => subject(names)?.map(|subject| Event::SerfReconnect { subject }),
        EventKind::SerfReap => subject(names)?.map(|subject| Event::SerfReap { subject }),
        EventKind::FailedUdpPing => subject(names)?.map(|subject| Event::FailedUdpPing { subject }),
        EventKind::TcpFallbackRescued => {
            subject(names)?.map(|subject| Event::TcpFallbackRescued { subject })
        }
        EventKind::FailedTcpPing => subject(names)?.map(|subject| Event::FailedTcpPing { subject }),
        EventKind::PushPullFailed => subject(names)?.map(|peer| Event::PushPullFailed { peer }),
        EventKind::HandoffQueueFull => Some(Event::HandoffQueueFull),
        _ => None,
    };
    Ok(ev.map_or(Understood::Other, Understood::Event))
}
