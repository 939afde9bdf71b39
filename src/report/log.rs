//! `memberlist.log`: the protocol events of chosen observers as the memberlist and
//! Serf log lines an operator would have grepped (memberlist.md §8, incidents.md §4).
//!
//! Format. Each line is Consul 0.5-era Go `log` framing: four spaces, the date
//! `YYYY/MM/DD HH:MM:SS`, `[LEVEL]`, the text:
//! `    2015/09/29 01:55:43 [INFO] memberlist: Suspect web-07 has failed, no acks received`.
//! When the file holds more than one observer, each line starts with the observer's
//! name, a colon and a space before that framing, `a-01:     2015/09/29 …`, so
//! `grep '^a-01: '` gives one node's log and `sed 's/^[^ ]*: //'` gives back the exact
//! Consul lines. With a single observer the prefix is omitted and the file reads like
//! that node's own log.
//!
//! Clock. Virtual time 0 is 2015-09-29 00:00:00 for the 2015 preset (the incident's
//! date) and 2026-01-01 00:00:00 for the others; the date is computed here with civil
//! calendar arithmetic, never from the system clock, so output is reproducible.
//!
//! Level. Consul's default level is INFO, so DEBUG lines (failed UDP pings, push/pull
//! starts) are written only with [`Level::Debug`].
//!
//! Events without a log line (SUSPECT/DEAD state changes, health-score gauge,
//! confirmations, flap counter, reaping) are left out; they are in `events.jsonl`.

use std::fmt::Write as _;

use crate::metrics::{Metrics, What};
use crate::protocol::config::Generation;
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, Nanos, NodeId, SEC};
use crate::scenario::Scenario;

/// Minimum level written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
}

/// Serf LAN port, shown where memberlist prints an address.
const PORT: u16 = 8301;

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds at virtual time 0 for this scenario's preset.
pub fn epoch_for(scenario: &Scenario) -> i64 {
    let days = if scenario.protocol.generation == Generation::Y2015 {
        days_from_civil(2015, 9, 29)
    } else {
        days_from_civil(2026, 1, 1)
    };
    days * 86_400
}

/// `YYYY/MM/DD HH:MM:SS` of virtual time `at` (truncated to the second, as Go's log).
pub fn wall(epoch: i64, at: Nanos) -> String {
    let secs = epoch + (at / SEC) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// The level and text of the line `event` stands for at `observer`, if it has one.
pub fn line_for(
    scenario: &Scenario,
    observer: NodeId,
    event: &Event,
) -> Option<(Level, &'static str, String)> {
    let name = |id: NodeId| scenario.nodes[id as usize].name.as_str();
    let ip = |id: NodeId| scenario.nodes[id as usize].ip.as_str();
    let generation = scenario.protocol.generation;
    let (level, tag, text) = match *event {
        // 2015's probeNode waits silently (the line is only in its `Ping` API).
        Event::FailedUdpPing { .. } if !scenario.protocol.speaks_post_2015() => return None,
        Event::FailedUdpPing { subject } => (
            Level::Debug,
            "DEBUG",
            format!("memberlist: Failed UDP ping: {} (timeout reached)", name(subject)),
        ),
        Event::TcpFallbackRescued { subject } => (
            Level::Info,
            "WARN",
            if generation == Generation::Today {
                format!(
                    "memberlist: Was able to connect to {} over TCP but UDP probes failed, network may be misconfigured",
                    name(subject)
                )
            } else {
                format!(
                    "memberlist: Was able to reach {} via TCP but not UDP, network may be misconfigured and not allowing bidirectional UDP",
                    name(subject)
                )
            },
        ),
        Event::FailedTcpPing { subject } => (
            Level::Info,
            "ERR",
            format!(
                "memberlist: {}: dial tcp {}:{PORT}: i/o timeout",
                if generation == Generation::Today {
                    "Failed fallback TCP ping"
                } else {
                    "Failed TCP fallback ping"
                },
                ip(subject)
            ),
        ),
        Event::SuspectNoAcks { subject, .. } => (
            Level::Info,
            "INFO",
            format!("memberlist: Suspect {} has failed, no acks received", name(subject)),
        ),
        Event::SuspicionExpired {
            subject,
            confirmations,
            ..
        } => (
            Level::Info,
            "INFO",
            match confirmations {
                Some(k) => format!(
                    "memberlist: Marking {} as failed, suspect timeout reached ({k} peer confirmations)",
                    name(subject)
                ),
                None => format!(
                    "memberlist: Marking {} as failed, suspect timeout reached",
                    name(subject)
                ),
            },
        ),
        Event::Refuted { kind, from, .. } => (
            Level::Info,
            "WARN",
            match kind {
                RefuteKind::Suspect => {
                    format!("memberlist: Refuting a suspect message (from: {})", name(from))
                }
                RefuteKind::Dead => {
                    format!("memberlist: Refuting a dead message (from: {})", name(from))
                }
                RefuteKind::Alive if generation == Generation::Today => format!(
                    "memberlist: Refuting an alive message for '{}' ({}:{PORT}) meta:([]) vsn:([])",
                    name(observer),
                    ip(observer)
                ),
                RefuteKind::Alive => "memberlist: Refuting an alive message".to_string(),
            },
        ),
        Event::PushPullStarted { peer, .. } => (
            Level::Debug,
            "DEBUG",
            if generation == Generation::Today {
                format!(
                    "memberlist: Initiating push/pull sync with: {} {}:{PORT}",
                    name(peer),
                    ip(peer)
                )
            } else {
                format!("memberlist: Initiating push/pull sync with: {}", name(peer))
            },
        ),
        Event::PushPullFailed { peer } => (
            Level::Info,
            "ERR",
            format!(
                "memberlist: Push/Pull with {} failed: dial tcp {}:{PORT}: i/o timeout",
                name(peer),
                ip(peer)
            ),
        ),
        Event::HandoffQueueFull => (
            Level::Info,
            "WARN",
            if generation == Generation::Y2015 {
                "memberlist: UDP handler queue full, dropping message".to_string()
            } else {
                "memberlist: handler queue full, dropping message".to_string()
            },
        ),
        Event::SerfMemberJoin { subject } => (
            Level::Info,
            "INFO",
            format!("serf: EventMemberJoin: {} {}", name(subject), ip(subject)),
        ),
        Event::SerfMemberFailed { subject } => (
            Level::Info,
            "INFO",
            format!("serf: EventMemberFailed: {} {}", name(subject), ip(subject)),
        ),
        Event::SerfMemberLeave { subject } => (
            Level::Info,
            "INFO",
            format!("serf: EventMemberLeave: {} {}", name(subject), ip(subject)),
        ),
        Event::SerfReconnect { subject } => (
            Level::Info,
            "INFO",
            format!(
                "serf: attempting reconnect to {} {}:{PORT}",
                name(subject),
                ip(subject)
            ),
        ),
        Event::SerfReap { subject } => (
            Level::Info,
            "INFO",
            format!("serf: EventMemberReap: {}", name(subject)),
        ),
        Event::Suspected { .. }
        | Event::Confirmed { .. }
        | Event::MemberDown { .. }
        | Event::MemberUp { .. }
        | Event::SuspicionCleared { .. }
        | Event::HealthScore { .. }
        | Event::DegradedProbe
        | Event::Reaped { .. }
        | Event::SerfFlap { .. } => return None,
    };
    Some((level, tag, text))
}

/// `memberlist.log` for the scenario's `log_observers` (every node when empty).
pub fn memberlist_log(scenario: &Scenario, metrics: &Metrics, min: Level) -> Vec<u8> {
    let n = scenario.nodes.len();
    let mut chosen = vec![scenario.log_observers.is_empty(); n];
    for &o in &scenario.log_observers {
        chosen[o as usize] = true;
    }
    let prefix = chosen.iter().filter(|&&c| c).count() > 1;
    let epoch = epoch_for(scenario);
    let mut out = String::new();
    // Cache the date string: many lines share the same second.
    let mut last_sec = u64::MAX;
    let mut date = String::new();
    for r in &metrics.events {
        let What::Protocol(ev) = &r.what else {
            continue;
        };
        if !chosen[r.node as usize] {
            continue;
        }
        let Some((level, tag, text)) = line_for(scenario, r.node, ev) else {
            continue;
        };
        if level < min {
            continue;
        }
        if r.at / SEC != last_sec {
            last_sec = r.at / SEC;
            date = wall(epoch, r.at);
        }
        if prefix {
            out.push_str(&scenario.nodes[r.node as usize].name);
            out.push_str(": ");
        }
        let _ = writeln!(out, "    {date} [{tag}] {text}");
    }
    out.into_bytes()
}
