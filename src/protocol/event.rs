//! What a node reports: member events, memberlist/Serf log lines and metrics
//! (memberlist.md §8, §9). The engine stamps each with time and observer; metrics
//! and the report writers read them.
//!
//! Why one table: each event kind is described ONCE, in the `events!` list
//! below: its fields (the enum variant), its stable name (`events.jsonl`'s
//! `kind`), its digest tag, its level, its `events.jsonl` fields and its
//! memberlist/Serf log line in each generation. The digest
//! (`engine::digest`), `events.jsonl` (`report::events`) and `memberlist.log`
//! (`report::log`) are derived from [`EventKind::info`], and the log-line
//! templates are also parsed back ([`log_line::parse_log_message`]), so adding an
//! event kind means adding one entry here (plus the rule that emits it).
//!
//! Digest compatibility: an event's digest is its tag followed by its fields in
//! declaration order (see [`Value`] for each type's encoding); `Nanos` fields are
//! derived from event times already hashed and are left out. Never reorder the
//! fields of a variant or reuse a tag: digests of recorded runs would move.

pub mod log_line;
#[cfg(test)]
mod tests;

use super::{Nanos, NodeId, State};
use log_line::{LogTemplate, Severity::*};

/// Which message a refutation answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefuteKind {
    Suspect,
    Dead,
    Alive,
}

impl RefuteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefuteKind::Suspect => "suspect",
            RefuteKind::Dead => "dead",
            RefuteKind::Alive => "alive",
        }
    }

    /// Digest code.
    pub fn code(self) -> u8 {
        match self {
            RefuteKind::Suspect => 0,
            RefuteKind::Dead => 1,
            RefuteKind::Alive => 2,
        }
    }
}

/// Minimum level written to `events.jsonl` and `memberlist.log`, and each event
/// kind's level: like memberlist's own log, the per-probe and per-sync chatter is
/// Debug, what a reader looks for is Info.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
}

/// One field value of an event, as the derived writers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A node id or a count (digest: u32 LE).
    U32(u32),
    /// Digest: a presence byte, then the u32 (0 when absent).
    OptU32(Option<u32>),
    /// Digest: one byte.
    Bool(bool),
    /// Digest: the state's wire value.
    State(State),
    /// Digest: [`RefuteKind::code`].
    Refute(RefuteKind),
    /// A virtual time derived from event times already hashed: not in the digest
    /// and not in `events.jsonl`.
    Instant(Nanos),
}

/// Conversion of an event field into a [`Value`] (used by the generated
/// [`Event::values`]).
pub trait IntoValue {
    fn into_value(self) -> Value;
}

impl IntoValue for u32 {
    fn into_value(self) -> Value {
        Value::U32(self)
    }
}
impl IntoValue for Option<u32> {
    fn into_value(self) -> Value {
        Value::OptU32(self)
    }
}
impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}
impl IntoValue for State {
    fn into_value(self) -> Value {
        Value::State(self)
    }
}
impl IntoValue for RefuteKind {
    fn into_value(self) -> Value {
        Value::Refute(self)
    }
}
impl IntoValue for Nanos {
    fn into_value(self) -> Value {
        Value::Instant(self)
    }
}

/// The most fields an event kind has ([`Values`] holds them inline).
pub const MAX_VALUES: usize = 4;

/// An event's fields in declaration order, with their names (at most
/// [`MAX_VALUES`]).
#[derive(Clone, Copy, Debug)]
pub struct Values {
    items: [(&'static str, Value); MAX_VALUES],
    len: usize,
}

impl Values {
    fn new(fields: &[(&'static str, Value)]) -> Values {
        let mut items = [("", Value::U32(0)); MAX_VALUES];
        items[..fields.len()].copy_from_slice(fields);
        Values {
            items,
            len: fields.len(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Value)> + '_ {
        self.items[..self.len].iter().copied()
    }

    /// The value of the field named `name`.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// How an `events.jsonl` field (and a log-line placeholder of the same key) is
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A node id, written as the node's name.
    Node,
    /// A number.
    Count,
    /// A number or `null`.
    MaybeCount,
    /// `true`/`false`.
    Flag,
    /// A word (state, refuted message).
    Text,
}

/// Where a field's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The event's own field of this name.
    Event(&'static str),
    /// The node that reported the event.
    Observer,
}

/// One `events.jsonl` field of an event kind (after `t`, `warmup`, `observer`,
/// `kind`), in file order. Log-line placeholders name these keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub source: Source,
    pub ty: FieldType,
}

const fn field(key: &'static str, ty: FieldType) -> Field {
    Field {
        key,
        source: Source::Event(key),
        ty,
    }
}
const fn node(key: &'static str) -> Field {
    field(key, FieldType::Node)
}
const fn count(key: &'static str) -> Field {
    field(key, FieldType::Count)
}
const fn flag(key: &'static str) -> Field {
    field(key, FieldType::Flag)
}
/// A field written under another key than the event's field name.
const fn renamed(key: &'static str, from: &'static str, ty: FieldType) -> Field {
    Field {
        key,
        source: Source::Event(from),
        ty,
    }
}

/// Everything the outputs need to know about one event kind.
#[derive(Clone, Copy, Debug)]
pub struct EventKindInfo {
    /// Stable snake_case name: `events.jsonl`'s `kind`.
    pub name: &'static str,
    /// Digest tag (never reused, never renumbered).
    pub tag: u8,
    pub level: Level,
    /// `events.jsonl` fields in file order.
    pub fields: &'static [Field],
    /// The memberlist/Serf log line in each generation (indexed by
    /// [`log_line::generation_index`]): the first template whose condition holds
    /// is written; an empty list means no line in that generation.
    pub log: [&'static [LogTemplate]; 3],
}

impl EventKindInfo {
    /// The field of this key.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// The same templates in every generation.
const fn all3(t: &'static [LogTemplate]) -> [&'static [LogTemplate]; 3] {
    [t, t, t]
}
const NO_LINE: [&[LogTemplate]; 3] = [&[], &[], &[]];

/// Declares [`Event`], [`EventKind`] (one fieldless variant per event),
/// [`Event::kind`], [`Event::values`] and the [`KINDS`] table, from one list.
macro_rules! events {
    ($(
        $(#[$doc:meta])*
        $Variant:ident $({ $($field:ident : $ty:ty),* $(,)? })? => $info:expr
    ),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Event {
            $( $(#[$doc])* $Variant $({ $($field: $ty),* })? ),*
        }

        /// The kind of an [`Event`], without its fields.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum EventKind {
            $($Variant),*
        }

        /// One entry per [`EventKind`], in declaration order.
        pub const KINDS: &[EventKindInfo] = &[$($info),*];

        impl EventKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$Variant),*];

            /// The names of the kind's fields in declaration order: the order of
            /// [`Event::values`] and [`Event::for_each_value`].
            pub fn value_names(self) -> &'static [&'static str] {
                match self {
                    $(EventKind::$Variant => &[$($(stringify!($field)),*)?]),*
                }
            }
        }

        impl Event {
            pub fn kind(&self) -> EventKind {
                match self {
                    $(Event::$Variant { .. } => EventKind::$Variant),*
                }
            }

            /// The event's fields in declaration order.
            pub fn values(&self) -> Values {
                match *self {
                    $(Event::$Variant $({ $($field),* })? => Values::new(&[
                        $($( (stringify!($field), IntoValue::into_value($field)) ),*)?
                    ])),*
                }
            }

            /// Call `f` with each field's value in declaration order: what
            /// [`Event::values`] lists, without building the list (the run
            /// digest hashes every event this way).
            #[inline]
            pub fn for_each_value(&self, mut f: impl FnMut(Value)) {
                match *self {
                    $(Event::$Variant $({ $($field),* })? => {
                        $($( f(IntoValue::into_value($field)); )*)?
                    }),*
                }
            }

            /// Append the event's bytes (kind index, then every field), for
            /// records spilled to disk during a run ([`Event::decode`] reads them).
            pub fn encode(&self, out: &mut Vec<u8>) {
                match *self {
                    $(Event::$Variant $({ $($field),* })? => {
                        out.push(EventKind::$Variant as u8);
                        $($( FieldBytes::put($field, out); )*)?
                    }),*
                }
            }

            /// Read an event written by [`Event::encode`] from the front of
            /// `bytes`; None if they do not hold one.
            pub fn decode(bytes: &mut &[u8]) -> Option<Event> {
                let kind = *EventKind::ALL.get(usize::from(take::<1>(bytes)?[0]))?;
                Some(match kind {
                    $(EventKind::$Variant => Event::$Variant $({ $($field: FieldBytes::take(bytes)?),* })?),*
                })
            }
        }
    };
}

/// The first `N` bytes of `bytes`, consumed.
pub fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = bytes.split_first_chunk::<N>()?;
    *bytes = rest;
    Some(*head)
}

/// Fixed little-endian bytes of an event field ([`Event::encode`]).
pub trait FieldBytes: Sized {
    fn put(self, out: &mut Vec<u8>);
    fn take(bytes: &mut &[u8]) -> Option<Self>;
}

impl FieldBytes for u32 {
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(bytes: &mut &[u8]) -> Option<u32> {
        take::<4>(bytes).map(u32::from_le_bytes)
    }
}
impl FieldBytes for u64 {
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(bytes: &mut &[u8]) -> Option<u64> {
        take::<8>(bytes).map(u64::from_le_bytes)
    }
}
impl FieldBytes for bool {
    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn take(bytes: &mut &[u8]) -> Option<bool> {
        match take::<1>(bytes)?[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}
impl FieldBytes for Option<u32> {
    fn put(self, out: &mut Vec<u8>) {
        self.is_some().put(out);
        self.unwrap_or(0).put(out);
    }
    fn take(bytes: &mut &[u8]) -> Option<Option<u32>> {
        let some = bool::take(bytes)?;
        let v = u32::take(bytes)?;
        Some(some.then_some(v))
    }
}
impl FieldBytes for State {
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn take(bytes: &mut &[u8]) -> Option<State> {
        [State::Alive, State::Suspect, State::Dead, State::Left]
            .get(usize::from(take::<1>(bytes)?[0]))
            .copied()
    }
}
impl FieldBytes for RefuteKind {
    fn put(self, out: &mut Vec<u8>) {
        out.push(self.code());
    }
    fn take(bytes: &mut &[u8]) -> Option<RefuteKind> {
        [RefuteKind::Suspect, RefuteKind::Dead, RefuteKind::Alive]
            .get(usize::from(take::<1>(bytes)?[0]))
            .copied()
    }
}

impl EventKind {
    pub fn info(self) -> &'static EventKindInfo {
        &KINDS[self as usize]
    }

    /// The kind of this stable name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.info().name == name)
    }
}

impl Event {
    pub fn info(&self) -> &'static EventKindInfo {
        self.kind().info()
    }
}

const fn t(severity: log_line::Severity, text: &'static str) -> LogTemplate {
    LogTemplate {
        severity,
        text,
        when: None,
    }
}
/// A template written only when field `key` has the text `value`.
const fn when(
    key: &'static str,
    value: &'static str,
    severity: log_line::Severity,
    text: &'static str,
) -> LogTemplate {
    LogTemplate {
        severity,
        text,
        when: Some((key, value)),
    }
}

const SUBJECT: &[Field] = &[node("subject")];

const REFUTED_SUSPECT: LogTemplate = when(
    "message",
    "suspect",
    Warn,
    "memberlist: Refuting a suspect message (from: {from})",
);
const REFUTED_DEAD: LogTemplate = when(
    "message",
    "dead",
    Warn,
    "memberlist: Refuting a dead message (from: {from})",
);
/// 2015 and 2016 print the alive refutation without details.
const REFUTED_BEFORE_2020: &[LogTemplate] = &[
    REFUTED_SUSPECT,
    REFUTED_DEAD,
    when(
        "message",
        "alive",
        Warn,
        "memberlist: Refuting an alive message",
    ),
];
/// Since ml@b38abf6 (2019) the alive refutation names the node and compares
/// the claimed meta and versions with its own (`meta:(%v VS %v), vsn:(%v VS
/// %v)`): flapsim writes a bare memberlist's (no meta, no delegate: protocol
/// versions 1–5, speaking 2) and reads any.
const REFUTED_TODAY: &[LogTemplate] = &[
    REFUTED_SUSPECT,
    REFUTED_DEAD,
    when(
        "message",
        "alive",
        Warn,
        "memberlist: Refuting an alive message for '{subject}' ({subject.ip}:{port}) meta:([] VS []), vsn:([1 5 2 0 0 0] VS [1 5 2 0 0 0])",
    ),
    when(
        "message",
        "alive",
        Warn,
        "memberlist: Refuting an alive message for '{subject}' ({subject.ip}:{port}) {*versions}",
    ),
];
const SUBJECT_INCARNATION: &[Field] = &[node("subject"), count("incarnation")];

events! {
    // ---- memberlist ----
    /// The direct ping's wait expired (memberlist logs it from 2016 on).
    FailedUdpPing { subject: NodeId } => EventKindInfo {
        name: "failed_udp_ping",
        tag: 1,
        level: Level::Debug,
        fields: SUBJECT,
        // 2015's probeNode waits silently (the line is only in its `Ping` API).
        // From ml@43c14aa (2017) to ml@696ff46 (2022), Consul 1.0–1.11, it
        // said `Failed ping`: read back.
        log: [
            &[],
            &[t(Debug, "memberlist: Failed UDP ping: {subject} (timeout reached)")],
            &[
                t(Debug, "memberlist: Failed UDP ping: {subject} (timeout reached)"),
                t(Debug, "memberlist: Failed ping: {subject} (timeout reached)"),
            ],
        ],
    },
    /// The TCP fallback ping got an answer where UDP did not.
    TcpFallbackRescued { subject: NodeId } => EventKindInfo {
        name: "tcp_fallback_rescued",
        tag: 2,
        level: Level::Info,
        fields: SUBJECT,
        log: [
            &[t(Warn, "memberlist: Was able to reach {subject} via TCP but not UDP, network may be misconfigured and not allowing bidirectional UDP")],
            &[t(Warn, "memberlist: Was able to reach {subject} via TCP but not UDP, network may be misconfigured and not allowing bidirectional UDP")],
            // The second wording is memberlist's since its transport rework (Consul
            // 0.8+ logs it); only read back, the first is written.
            &[
                t(Warn, "memberlist: Was able to connect to {subject} over TCP but UDP probes failed, network may be misconfigured"),
                t(Warn, "memberlist: Was able to connect to {subject} but other probes failed, network may be misconfigured"),
            ],
        ],
    },
    /// No TCP fallback answer by the deadline.
    FailedTcpPing { subject: NodeId } => EventKindInfo {
        name: "failed_tcp_ping",
        tag: 3,
        level: Level::Info,
        fields: SUBJECT,
        // Real logs end with any error (`EOF`, `connection refused`, ...): the
        // free-text wordings are only read back; the first is written.
        log: [
            &[
                t(Err, "memberlist: Failed TCP fallback ping: dial tcp {subject.ip}:{port}: i/o timeout"),
                t(Err, "memberlist: Failed TCP fallback ping: {*error}"),
            ],
            &[
                t(Err, "memberlist: Failed TCP fallback ping: dial tcp {subject.ip}:{port}: i/o timeout"),
                t(Err, "memberlist: Failed TCP fallback ping: {*error}"),
            ],
            &[
                t(Err, "memberlist: Failed fallback TCP ping: dial tcp {subject.ip}:{port}: i/o timeout"),
                t(Err, "memberlist: Failed fallback TCP ping: {*error}"),
                t(Err, "memberlist: Failed fallback ping: {*error}"),
            ],
        ],
    },
    /// This node originates an accusation (the blame table counts these).
    /// `probe_started` is when the failed probe began (its direct ping), so that
    /// detection latency counts only accusations a crash could have caused.
    SuspectNoAcks {
        subject: NodeId,
        incarnation: u32,
        probe_started: Nanos,
    } => EventKindInfo {
        name: "suspect_no_acks",
        tag: 4,
        level: Level::Info,
        fields: SUBJECT_INCARNATION,
        log: all3(&[t(Info, "memberlist: Suspect {subject} has failed, no acks received")]),
    },
    /// This node now holds `subject` as SUSPECT (metric `memberlist.msg.suspect`).
    /// `from` is the accuser named in the message.
    Suspected {
        subject: NodeId,
        incarnation: u32,
        from: NodeId,
    } => EventKindInfo {
        name: "suspected",
        tag: 5,
        level: Level::Info,
        fields: &[node("subject"), count("incarnation"), node("from")],
        log: NO_LINE,
    },
    /// A suspect message about an already-suspect node added a new independent
    /// confirmation (Lifeguard), which is re-gossiped.
    Confirmed {
        subject: NodeId,
        from: NodeId,
        confirmations: u32,
    } => EventKindInfo {
        name: "confirmed",
        tag: 6,
        level: Level::Info,
        fields: &[node("subject"), node("from"), count("confirmations")],
        log: NO_LINE,
    },
    /// The suspicion timer fired: this node marks `subject` failed. The count is
    /// omitted in 2015 logs (`confirmations` is None). `degraded` is the
    /// `memberlist.degraded.timeout` metric (k > 0 and fewer than k confirmations).
    SuspicionExpired {
        subject: NodeId,
        confirmations: Option<u32>,
        degraded: bool,
    } => EventKindInfo {
        name: "suspicion_expired",
        tag: 7,
        level: Level::Info,
        fields: &[
            node("subject"),
            field("confirmations", FieldType::MaybeCount),
            flag("degraded"),
        ],
        log: [
            &[t(Info, "memberlist: Marking {subject} as failed, suspect timeout reached")],
            &[t(Info, "memberlist: Marking {subject} as failed, suspect timeout reached ({confirmations} peer confirmations)")],
            &[t(Info, "memberlist: Marking {subject} as failed, suspect timeout reached ({confirmations} peer confirmations)")],
        ],
    },
    /// memberlist NotifyLeave: this node now holds `subject` DEAD (or LEFT). A failure
    /// declaration (metric `memberlist.msg.dead`). `from` is the accuser.
    MemberDown {
        subject: NodeId,
        incarnation: u32,
        from: NodeId,
        state: State,
    } => EventKindInfo {
        name: "member_down",
        tag: 8,
        level: Level::Info,
        fields: &[
            node("subject"),
            count("incarnation"),
            node("from"),
            field("state", FieldType::Text),
        ],
        log: NO_LINE,
    },
    /// memberlist NotifyJoin: `subject` is ALIVE after being unknown, DEAD or LEFT
    /// (`rejoin` is false for a node never seen before).
    MemberUp {
        subject: NodeId,
        incarnation: u32,
        rejoin: bool,
    } => EventKindInfo {
        name: "member_up",
        tag: 9,
        level: Level::Info,
        fields: &[node("subject"), count("incarnation"), flag("rejoin")],
        log: NO_LINE,
    },
    /// `subject` went from SUSPECT back to ALIVE (no application event in memberlist).
    /// `suspected_at` is when this node marked it SUSPECT, so that the time a
    /// suspicion was held is read off the event (it is not an output field).
    SuspicionCleared {
        subject: NodeId,
        incarnation: u32,
        suspected_at: Nanos,
    } => EventKindInfo {
        name: "suspicion_cleared",
        tag: 10,
        level: Level::Info,
        fields: SUBJECT_INCARNATION,
        log: NO_LINE,
    },
    /// This node refuted a message about itself; `incarnation` is the new local
    /// incarnation. In `events.jsonl` the subject is the refuting node.
    Refuted {
        kind: RefuteKind,
        from: NodeId,
        accused_incarnation: u32,
        incarnation: u32,
    } => EventKindInfo {
        name: "refuted",
        tag: 11,
        level: Level::Info,
        fields: &[
            Field {
                key: "subject",
                source: Source::Observer,
                ty: FieldType::Node,
            },
            count("incarnation"),
            node("from"),
            renamed("message", "kind", FieldType::Text),
            count("accused_incarnation"),
        ],
        log: [REFUTED_BEFORE_2020, REFUTED_BEFORE_2020, REFUTED_TODAY],
    },
    /// Gauge `memberlist.health.score` changed.
    HealthScore { score: u32 } => EventKindInfo {
        name: "health_score",
        tag: 12,
        level: Level::Info,
        fields: &[count("score")],
        log: NO_LINE,
    },
    /// Counter `memberlist.degraded.probe` (a probe ran with score > 0).
    DegradedProbe => EventKindInfo {
        name: "degraded_probe",
        tag: 13,
        level: Level::Debug,
        fields: &[],
        log: NO_LINE,
    },
    /// A dead or left node was forgotten (reaped from the member list).
    Reaped { subject: NodeId } => EventKindInfo {
        name: "reaped",
        tag: 14,
        level: Level::Info,
        fields: SUBJECT,
        log: NO_LINE,
    },
    /// A push/pull sync with `peer` began.
    PushPullStarted { peer: NodeId, join: bool } => EventKindInfo {
        name: "push_pull_started",
        tag: 15,
        level: Level::Debug,
        fields: &[renamed("subject", "peer", FieldType::Node), flag("join")],
        log: [
            &[t(Debug, "memberlist: Initiating push/pull sync with: {subject}")],
            &[t(Debug, "memberlist: Initiating push/pull sync with: {subject}")],
            &[t(Debug, "memberlist: Initiating push/pull sync with: {subject} {subject.ip}:{port}")],
        ],
    },
    /// A push/pull sync with `peer` failed.
    PushPullFailed { peer: NodeId } => EventKindInfo {
        name: "push_pull_failed",
        tag: 16,
        level: Level::Info,
        fields: &[renamed("subject", "peer", FieldType::Node)],
        // Real logs end with any error (`EOF`, `connection refused`, ...): the
        // free-text wording is only read back; the first is written.
        log: all3(&[
            t(Err, "memberlist: Push/Pull with {subject} failed: dial tcp {subject.ip}:{port}: i/o timeout"),
            t(Err, "memberlist: Push/Pull with {subject} failed: {*error}"),
        ]),
    },
    /// memberlist's bounded hand-off queue dropped a packet.
    HandoffQueueFull => EventKindInfo {
        name: "handoff_queue_full",
        tag: 17,
        level: Level::Info,
        fields: &[],
        // Real lines end with the message type, and from ml@91ee1ab (2017)
        // the sender (`(3) from=10.0.0.5:8301`), which the event does not
        // carry: written without, read with. `UDP handler` until ml@HEAD's
        // rename.
        log: [
            &[
                t(Warn, "memberlist: UDP handler queue full, dropping message"),
                t(Warn, "memberlist: UDP handler queue full, dropping message ({*detail}"),
            ],
            &[
                t(Warn, "memberlist: UDP handler queue full, dropping message"),
                t(Warn, "memberlist: UDP handler queue full, dropping message ({*detail}"),
            ],
            &[
                t(Warn, "memberlist: handler queue full, dropping message"),
                t(Warn, "memberlist: handler queue full, dropping message ({*detail}"),
            ],
        ],
    },

    // ---- Serf ----
    /// Serf member join (also a rejoin).
    SerfMemberJoin { subject: NodeId } => EventKindInfo {
        name: "serf_member_join",
        tag: 18,
        level: Level::Info,
        fields: SUBJECT,
        log: all3(&[t(Info, "serf: EventMemberJoin: {subject} {subject.ip}")]),
    },
    /// Serf member failed.
    SerfMemberFailed { subject: NodeId } => EventKindInfo {
        name: "serf_member_failed",
        tag: 19,
        level: Level::Info,
        fields: SUBJECT,
        log: all3(&[t(Info, "serf: EventMemberFailed: {subject} {subject.ip}")]),
    },
    /// Serf member left.
    SerfMemberLeave { subject: NodeId } => EventKindInfo {
        name: "serf_member_leave",
        tag: 20,
        level: Level::Info,
        fields: SUBJECT,
        // `(forced)`: a force-leave (serf@8d36400, 2015) or a prune.
        log: all3(&[
            t(Info, "serf: EventMemberLeave: {subject} {subject.ip}"),
            t(Info, "serf: EventMemberLeave (forced): {subject} {subject.ip}"),
        ]),
    },
    /// Counter `serf.member.flap`: a failed member rejoined within FlapTimeout.
    SerfFlap { subject: NodeId } => EventKindInfo {
        name: "serf_flap",
        tag: 21,
        level: Level::Info,
        fields: SUBJECT,
        log: NO_LINE,
    },
    /// Serf tries to reconnect to a failed member.
    SerfReconnect { subject: NodeId } => EventKindInfo {
        name: "serf_reconnect",
        tag: 22,
        level: Level::Info,
        fields: SUBJECT,
        log: all3(&[t(Info, "serf: attempting reconnect to {subject} {subject.ip}:{port}")]),
    },
    /// Serf reaped a failed or left member.
    SerfReap { subject: NodeId } => EventKindInfo {
        name: "serf_reap",
        tag: 23,
        level: Level::Info,
        fields: SUBJECT,
        // `(forced)`: a force-leave's prune (serf@397d9fd, 2019).
        log: all3(&[
            t(Info, "serf: EventMemberReap: {subject}"),
            t(Info, "serf: EventMemberReap (forced): {subject} {subject.ip}"),
        ]),
    },
    /// Serf saw a member's tags or address change. flapsim does not model tag
    /// updates and never emits it: the entry is here so that real logs' lines
    /// are read (`flapsim diagnose`) rather than counted as unknown.
    SerfMemberUpdate { subject: NodeId } => EventKindInfo {
        name: "serf_member_update",
        tag: 24,
        level: Level::Info,
        fields: SUBJECT,
        // Serf prints the name alone (serf@3403e62 on); a name and address
        // is read too.
        log: all3(&[
            t(Info, "serf: EventMemberUpdate: {subject}"),
            t(Info, "serf: EventMemberUpdate: {subject} {subject.ip}"),
        ]),
    },

    // ---- read back only ----
    // Real logs' lines flapsim does not model: the engine never emits these
    // kinds (their templates hold free text, or the lines are another
    // program's), they are here so that `flapsim diagnose` counts them as
    // understood, by kind, rather than as unknown.
    /// memberlist accepted a stream (TCP) connection (`from=ADDR:PORT`).
    StreamConnection => EventKindInfo {
        name: "stream_connection",
        tag: 25,
        level: Level::Debug,
        fields: &[],
        log: [
            // ml@6025015 printed the address after `from: `; ml@91ee1ab on,
            // `from=` (`LogConn`).
            &[t(Debug, "memberlist: TCP connection from: {*address}")],
            &[t(Debug, "memberlist: TCP connection from={*address}")],
            &[t(Debug, "memberlist: Stream connection from={*address}")],
        ],
    },
    /// memberlist could not send a message (`Failed to send ping: write udp
    /// ...`, `Failed to send gossip to ADDR: ...`, `Failed to send ack: ...`).
    FailedToSend => EventKindInfo {
        name: "failed_to_send",
        tag: 26,
        level: Level::Info,
        fields: &[],
        log: all3(&[t(Err, "memberlist: Failed to send {*what}")]),
    },
    /// Consul's leader marked a member's serfHealth check critical (Consul 1.x's
    /// hclog wording, with `member=` and maybe `partition=` pairs, read back in
    /// today's generation).
    ConsulMemberFailed { subject: NodeId } => EventKindInfo {
        name: "consul_member_failed",
        tag: 27,
        level: Level::Info,
        fields: SUBJECT,
        log: [
            &[t(Info, "consul: member '{subject}' failed, marking health critical")],
            &[t(Info, "consul: member '{subject}' failed, marking health critical")],
            &[
                t(Info, "consul: member '{subject}' failed, marking health critical"),
                t(Info, "member failed, marking health critical: member={subject}"),
                t(Info, "member failed, marking health critical: member={subject} {*pairs}"),
            ],
        ],
    },
    /// Consul's leader marked a (re)joined member's serfHealth check alive.
    ConsulMemberJoined { subject: NodeId } => EventKindInfo {
        name: "consul_member_joined",
        tag: 28,
        level: Level::Info,
        fields: SUBJECT,
        log: [
            &[t(Info, "consul: member '{subject}' joined, marking health alive")],
            &[t(Info, "consul: member '{subject}' joined, marking health alive")],
            &[
                t(Info, "consul: member '{subject}' joined, marking health alive"),
                t(Info, "member joined, marking health alive: member={subject}"),
                t(Info, "member joined, marking health alive: member={subject} {*pairs}"),
            ],
        ],
    },
    /// Consul's leader deregistered a member that left or was reaped.
    ConsulMemberDeregistered { subject: NodeId } => EventKindInfo {
        name: "consul_member_deregistered",
        tag: 29,
        level: Level::Info,
        fields: SUBJECT,
        log: [
            &[t(Info, "consul: member '{subject}' {*reason}, deregistering")],
            &[t(Info, "consul: member '{subject}' {*reason}, deregistering")],
            &[
                t(Info, "consul: member '{subject}' {*reason}, deregistering"),
                t(Info, "deregistering member: member={subject} {*pairs}"),
            ],
        ],
    },
}
