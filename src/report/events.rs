//! `events.jsonl`: one JSON object per protocol event and ground-truth change, in
//! the order the engine reported them (which is the run's deterministic order).
//!
//! Columns, always in this order when present:
//! `t` (seconds, exact to the nanosecond), `warmup` (true inside the warm-up window),
//! `observer` (the node reporting; absent for truth changes), `kind`, `subject`,
//! `incarnation`, `from`, then kind-specific fields. Truth changes have
//! `kind: "truth"`, `subject` the node and `truth` one of `up`, `crashed`, `left`,
//! `degraded`, `recovered`. DEAD declarations (`member_down` with `state: "dead"`)
//! carry their classification: `fp`, `subject_degraded`, `observer_degraded`.
//!
//! Levels: like memberlist's own log, each kind has a level ([`level_of`]). The
//! default file holds the [`Level::Info`] kinds; the per-probe and per-sync chatter
//! (`failed_udp_ping`, `push_pull_started`, `degraded_probe`, 99.9 % of a long run's
//! lines) is written only at [`Level::Debug`] (`flapsim run --events debug`). Only
//! the file changes: metrics and the digest are computed over every event.
//!
//! Lines are written by hand rather than through a serde struct because `t` must be
//! an exact decimal of integer nanoseconds, which an f64 cannot always hold.

use std::fmt::Write as _;

use crate::engine::Truth;
use crate::metrics::{Metrics, Record, What};
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, NodeId, SEC};
use crate::scenario::Scenario;

use super::Level;

/// snake_case kind of an event, as in `events.jsonl`.
pub fn kind_of(event: &Event) -> &'static str {
    match event {
        Event::FailedUdpPing { .. } => "failed_udp_ping",
        Event::TcpFallbackRescued { .. } => "tcp_fallback_rescued",
        Event::FailedTcpPing { .. } => "failed_tcp_ping",
        Event::SuspectNoAcks { .. } => "suspect_no_acks",
        Event::Suspected { .. } => "suspected",
        Event::Confirmed { .. } => "confirmed",
        Event::SuspicionExpired { .. } => "suspicion_expired",
        Event::MemberDown { .. } => "member_down",
        Event::MemberUp { .. } => "member_up",
        Event::SuspicionCleared { .. } => "suspicion_cleared",
        Event::Refuted { .. } => "refuted",
        Event::HealthScore { .. } => "health_score",
        Event::DegradedProbe => "degraded_probe",
        Event::Reaped { .. } => "reaped",
        Event::PushPullStarted { .. } => "push_pull_started",
        Event::PushPullFailed { .. } => "push_pull_failed",
        Event::HandoffQueueFull => "handoff_queue_full",
        Event::SerfMemberJoin { .. } => "serf_member_join",
        Event::SerfMemberFailed { .. } => "serf_member_failed",
        Event::SerfMemberLeave { .. } => "serf_member_leave",
        Event::SerfFlap { .. } => "serf_flap",
        Event::SerfReconnect { .. } => "serf_reconnect",
        Event::SerfReap { .. } => "serf_reap",
    }
}

/// The level of an event kind in `events.jsonl`: Debug for what memberlist logs at
/// DEBUG (a direct ping's timeout, each push/pull start) and for the counter bumped
/// by every probe while the health score is above zero; these fire on every probe
/// or sync, so they would drown the events a reader looks for.
pub fn level_of(event: &Event) -> Level {
    match event {
        Event::FailedUdpPing { .. } | Event::PushPullStarted { .. } | Event::DegradedProbe => {
            Level::Debug
        }
        _ => Level::Info,
    }
}

struct Line<'a> {
    out: &'a mut String,
    names: &'a [String],
}

impl Line<'_> {
    fn name(&mut self, key: &str, id: NodeId) {
        self.raw(key, &json_str(&self.names[id as usize]));
    }
    fn num(&mut self, key: &str, v: impl std::fmt::Display) {
        self.raw(key, &v.to_string());
    }
    fn text(&mut self, key: &str, v: &str) {
        self.raw(key, &json_str(v));
    }
    fn bool(&mut self, key: &str, v: bool) {
        self.raw(key, if v { "true" } else { "false" });
    }
    fn raw(&mut self, key: &str, v: &str) {
        let _ = write!(self.out, ",\"{key}\":{v}");
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn write_record(out: &mut String, names: &[String], warmup: u64, r: &Record) {
    let _ = write!(
        out,
        "{{\"t\":{}.{:09},\"warmup\":{}",
        r.at / SEC,
        r.at % SEC,
        r.at < warmup
    );
    let mut l = Line { out, names };
    match &r.what {
        What::Truth(t) => {
            l.text("kind", "truth");
            l.name("subject", r.node);
            l.text(
                "truth",
                match t {
                    Truth::Up => "up",
                    Truth::Crashed => "crashed",
                    Truth::Left => "left",
                    Truth::Degraded(true) => "degraded",
                    Truth::Degraded(false) => "recovered",
                },
            );
        }
        What::Protocol(ev) => {
            l.name("observer", r.node);
            l.text("kind", kind_of(ev));
            match *ev {
                Event::FailedUdpPing { subject }
                | Event::TcpFallbackRescued { subject }
                | Event::FailedTcpPing { subject }
                | Event::Reaped { subject }
                | Event::SerfMemberJoin { subject }
                | Event::SerfMemberFailed { subject }
                | Event::SerfMemberLeave { subject }
                | Event::SerfFlap { subject }
                | Event::SerfReconnect { subject }
                | Event::SerfReap { subject } => l.name("subject", subject),
                Event::SuspectNoAcks {
                    subject,
                    incarnation,
                    ..
                }
                | Event::SuspicionCleared {
                    subject,
                    incarnation,
                } => {
                    l.name("subject", subject);
                    l.num("incarnation", incarnation);
                }
                Event::Suspected {
                    subject,
                    incarnation,
                    from,
                } => {
                    l.name("subject", subject);
                    l.num("incarnation", incarnation);
                    l.name("from", from);
                }
                Event::Confirmed {
                    subject,
                    from,
                    confirmations,
                } => {
                    l.name("subject", subject);
                    l.name("from", from);
                    l.num("confirmations", confirmations);
                }
                Event::SuspicionExpired {
                    subject,
                    confirmations,
                    degraded,
                } => {
                    l.name("subject", subject);
                    match confirmations {
                        Some(k) => l.num("confirmations", k),
                        None => l.raw("confirmations", "null"),
                    }
                    l.bool("degraded", degraded);
                }
                Event::MemberDown {
                    subject,
                    incarnation,
                    from,
                    state,
                } => {
                    l.name("subject", subject);
                    l.num("incarnation", incarnation);
                    l.name("from", from);
                    l.text("state", state.as_str());
                    if let Some(c) = r.class {
                        l.bool("fp", c.fp());
                        l.bool("subject_degraded", c.subject_degraded);
                        l.bool("observer_degraded", c.observer_degraded);
                    }
                }
                Event::MemberUp {
                    subject,
                    incarnation,
                    rejoin,
                } => {
                    l.name("subject", subject);
                    l.num("incarnation", incarnation);
                    l.bool("rejoin", rejoin);
                }
                Event::Refuted {
                    kind,
                    from,
                    accused_incarnation,
                    incarnation,
                } => {
                    l.name("subject", r.node);
                    l.num("incarnation", incarnation);
                    l.name("from", from);
                    l.text(
                        "message",
                        match kind {
                            RefuteKind::Suspect => "suspect",
                            RefuteKind::Dead => "dead",
                            RefuteKind::Alive => "alive",
                        },
                    );
                    l.num("accused_incarnation", accused_incarnation);
                }
                Event::HealthScore { score } => l.num("score", score),
                Event::PushPullStarted { peer, join } => {
                    l.name("subject", peer);
                    l.bool("join", join);
                }
                Event::PushPullFailed { peer } => l.name("subject", peer),
                Event::DegradedProbe | Event::HandoffQueueFull => {}
            }
        }
    }
    out.push_str("}\n");
}

/// The whole `events.jsonl`: truth changes and the events at `min` and above.
pub fn events_jsonl(scenario: &Scenario, metrics: &Metrics, min: Level) -> Vec<u8> {
    let names: Vec<String> = scenario.nodes.iter().map(|n| n.name.clone()).collect();
    let mut out = String::with_capacity(metrics.events.len() * 120);
    for r in &metrics.events {
        if matches!(&r.what, What::Protocol(ev) if level_of(ev) < min) {
            continue;
        }
        write_record(&mut out, &names, metrics.warmup, r);
    }
    out.into_bytes()
}
