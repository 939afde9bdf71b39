//! What a node reports: member events, memberlist/Serf log lines and metrics
//! (memberlist.md §8, §9). The engine stamps each with time and observer; metrics
//! and the `memberlist.log` writer read them. Each variant names the log line or
//! metric it stands for.

use super::{NodeId, State};

/// Which message a refutation answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefuteKind {
    Suspect,
    Dead,
    Alive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    // ---- memberlist ----
    /// DEBUG `memberlist: Failed UDP ping: X (timeout reached)` (the direct wait expired).
    FailedUdpPing { subject: NodeId },
    /// WARN `memberlist: Was able to connect to X over TCP but UDP probes failed, ...`
    TcpFallbackRescued { subject: NodeId },
    /// ERR `memberlist: Failed fallback TCP ping: ...` (no TCP answer by the deadline).
    FailedTcpPing { subject: NodeId },
    /// INFO `memberlist: Suspect X has failed, no acks received`: this node originates
    /// an accusation (the blame table counts these).
    /// `probe_started` is when the failed probe began (its direct ping), so that
    /// detection latency counts only accusations a crash could have caused.
    SuspectNoAcks {
        subject: NodeId,
        incarnation: u32,
        probe_started: super::Nanos,
    },
    /// This node now holds `subject` as SUSPECT (metric `memberlist.msg.suspect`).
    /// `from` is the accuser named in the message.
    Suspected {
        subject: NodeId,
        incarnation: u32,
        from: NodeId,
    },
    /// A suspect message about an already-suspect node added a new independent
    /// confirmation (Lifeguard), which is re-gossiped.
    Confirmed {
        subject: NodeId,
        from: NodeId,
        confirmations: u32,
    },
    /// INFO `memberlist: Marking X as failed, suspect timeout reached (N peer
    /// confirmations)` (the count is omitted in 2015 logs: `confirmations` is None).
    /// `degraded` is the `memberlist.degraded.timeout` metric (k > 0 and fewer than
    /// k confirmations).
    SuspicionExpired {
        subject: NodeId,
        confirmations: Option<u32>,
        degraded: bool,
    },
    /// memberlist NotifyLeave: this node now holds `subject` DEAD (or LEFT). A failure
    /// declaration (metric `memberlist.msg.dead`). `from` is the accuser.
    MemberDown {
        subject: NodeId,
        incarnation: u32,
        from: NodeId,
        state: State,
    },
    /// memberlist NotifyJoin: `subject` is ALIVE after being unknown, DEAD or LEFT
    /// (`rejoin` is false for a node never seen before).
    MemberUp {
        subject: NodeId,
        incarnation: u32,
        rejoin: bool,
    },
    /// `subject` went from SUSPECT back to ALIVE (no application event in memberlist).
    SuspicionCleared { subject: NodeId, incarnation: u32 },
    /// WARN `memberlist: Refuting a {suspect|dead} message (from: Y)` or
    /// `Refuting an alive message`; `incarnation` is the new local incarnation.
    Refuted {
        kind: RefuteKind,
        from: NodeId,
        accused_incarnation: u32,
        incarnation: u32,
    },
    /// Gauge `memberlist.health.score` changed.
    HealthScore { score: u32 },
    /// Counter `memberlist.degraded.probe` (a probe ran with score > 0).
    DegradedProbe,
    /// A dead or left node was forgotten (reaped from the member list).
    Reaped { subject: NodeId },
    /// DEBUG `memberlist: Initiating push/pull sync with: X`.
    PushPullStarted { peer: NodeId, join: bool },
    /// ERR `memberlist: Push/Pull with X failed: ...`.
    PushPullFailed { peer: NodeId },
    /// WARN `memberlist: handler queue full, dropping message`.
    HandoffQueueFull,

    // ---- Serf ----
    /// INFO `serf: EventMemberJoin: X ip`.
    SerfMemberJoin { subject: NodeId },
    /// INFO `serf: EventMemberFailed: X ip`.
    SerfMemberFailed { subject: NodeId },
    /// INFO `serf: EventMemberLeave: X ip`.
    SerfMemberLeave { subject: NodeId },
    /// Counter `serf.member.flap`: a failed member rejoined within FlapTimeout.
    SerfFlap { subject: NodeId },
    /// INFO `serf: attempting reconnect to X ip:port`.
    SerfReconnect { subject: NodeId },
    /// INFO `serf: EventMemberReap: X`.
    SerfReap { subject: NodeId },
}
