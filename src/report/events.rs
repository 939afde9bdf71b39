//! `events.jsonl`: one JSON object per protocol event and ground-truth change, in
//! the order the engine reported them (which is the run's deterministic order).
//!
//! Each kind's name, fields and level come from the event table
//! (`protocol::event`); this module only frames them.
//!
//! Columns, always in this order when present:
//! `t` (seconds, exact to the nanosecond), `warmup` (true inside the warm-up window),
//! `observer` (the node reporting; absent for truth changes), `kind`, `subject`,
//! `incarnation`, `from`, then kind-specific fields. Truth changes have
//! `kind: "truth"`, `subject` the node and `truth` one of `up`, `crashed`, `left`,
//! `degraded`, `recovered`. DEAD declarations (`member_down` with `state: "dead"`)
//! carry their classification: `fp`, `subject_degraded`, `observer_degraded`.
//!
//! Levels: like memberlist's own log, each kind has a level (the event table's
//! [`EventKindInfo::level`](crate::protocol::event::EventKindInfo)). The
//! default file holds the [`Level::Info`] kinds; the per-probe and per-sync chatter
//! (`failed_udp_ping`, `push_pull_started`, `degraded_probe`, 99.9 % of a long run's
//! lines) is written only at [`Level::Debug`] (`flapsim run --events debug`). Only
//! the file changes: metrics and the digest are computed over every event.
//!
//! Lines are written by hand rather than through a serde struct because `t` must be
//! an exact decimal of integer nanoseconds, which an f64 cannot always hold.

use crate::engine::Truth;
use crate::metrics::{Metrics, Record, What};
use crate::protocol::event::{FieldType, Source, Value};
use crate::protocol::{Nanos, NodeId, SEC};
use crate::scenario::Scenario;

use super::Level;

struct Line<'a> {
    out: &'a mut String,
    /// Node names as JSON strings (quoted once per run, not per line).
    names: &'a [String],
}

impl Line<'_> {
    fn name(&mut self, key: &str, id: NodeId) {
        self.key(key);
        self.out.push_str(&self.names[id as usize]);
    }
    fn text(&mut self, key: &str, v: &str) {
        self.key(key);
        json_str(self.out, v);
    }
    fn bool(&mut self, key: &str, v: bool) {
        self.raw(key, if v { "true" } else { "false" });
    }
    fn raw(&mut self, key: &str, v: &str) {
        self.key(key);
        self.out.push_str(v);
    }
    fn num(&mut self, key: &str, v: u64) {
        self.key(key);
        push_u64(self.out, v);
    }
    fn key(&mut self, key: &str) {
        self.out.push_str(",\"");
        self.out.push_str(key);
        self.out.push_str("\":");
    }
}

/// Append `v` in decimal. A sick run writes millions of lines of a few numbers
/// each: `write!` through `core::fmt` cost a third of the file's time.
pub(super) fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Append the instant `at` as exact decimal seconds (`12.000345678`): `t` of
/// `events.jsonl` and `wire.csv`.
pub(super) fn push_seconds(out: &mut String, at: Nanos) {
    push_u64(out, at / SEC);
    out.push('.');
    push_nanos(out, at % SEC);
}

/// Append `v` zero-padded to nine digits (the nanoseconds of `t`).
fn push_nanos(out: &mut String, v: u64) {
    let mut buf = [b'0'; 9];
    let mut v = v.min(999_999_999);
    for d in buf.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// Append `s` as a JSON string. The kinds, states and names the table writes
/// need no escaping, so they are copied as they are; anything else goes
/// through serde_json (a per-call allocation, once per line, was measurable).
fn json_str(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

/// The scenario's node names as JSON strings, for [`write_record`].
pub fn quoted_names(scenario: &Scenario) -> Vec<String> {
    scenario
        .nodes
        .iter()
        .map(|n| {
            let mut q = String::new();
            json_str(&mut q, &n.name);
            q
        })
        .collect()
}

/// Append one record's line (with its newline) to `out`; `names` from
/// [`quoted_names`].
pub fn write_record(out: &mut String, names: &[String], warmup: u64, r: &Record) {
    out.push_str("{\"t\":");
    push_seconds(out, r.at);
    out.push_str(if r.at < warmup {
        ",\"warmup\":true"
    } else {
        ",\"warmup\":false"
    });
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
            let info = ev.info();
            l.name("observer", r.node);
            l.text("kind", info.name);
            let values = ev.values();
            for f in info.fields {
                let v = match f.source {
                    Source::Observer => Value::U32(r.node),
                    // The table's tests check every source names a field.
                    Source::Event(name) => values.get(name).unwrap_or(Value::OptU32(None)),
                };
                match (f.ty, v) {
                    (FieldType::Node, Value::U32(id)) => l.name(f.key, id),
                    (_, Value::U32(n)) => l.num(f.key, u64::from(n)),
                    (_, Value::OptU32(Some(n))) => l.num(f.key, u64::from(n)),
                    (_, Value::OptU32(None)) => l.raw(f.key, "null"),
                    (_, Value::Bool(b)) => l.bool(f.key, b),
                    (_, Value::State(s)) => l.text(f.key, s.as_str()),
                    (_, Value::Refute(k)) => l.text(f.key, k.as_str()),
                    (_, Value::Instant(t)) => l.num(f.key, t),
                }
            }
            if let Some(c) = r.class {
                l.bool("fp", c.fp());
                l.bool("subject_degraded", c.subject_degraded);
                l.bool("observer_degraded", c.observer_degraded);
            }
        }
    }
    out.push_str("}\n");
}

/// Whether `r` goes into an `events.jsonl` written at level `min`.
pub fn wanted(r: &Record, min: Level) -> bool {
    !matches!(&r.what, What::Protocol(ev) if ev.info().level < min)
}

/// The whole `events.jsonl`: truth changes and the events at `min` and above.
pub fn events_jsonl(scenario: &Scenario, metrics: &Metrics, min: Level) -> Vec<u8> {
    let names = quoted_names(scenario);
    let mut out = String::with_capacity(metrics.events.len() * 120);
    for r in metrics.events.iter().filter(|r| wanted(r, min)) {
        write_record(&mut out, &names, metrics.warmup, r);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::{json_str, push_nanos, push_u64};

    /// Rule: the hand-written formatting of `events.jsonl` writes exactly what
    /// `format!` and serde_json would (the file must not change with speed).
    #[test]
    fn hand_formatting_matches_format_and_serde_json() {
        for v in [0u64, 7, 10, 999, 1_000_000_007, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, v);
            assert_eq!(s, format!("{v}"));
        }
        for v in [0u64, 5, 123_456_789, 999_999_999] {
            let mut s = String::new();
            push_nanos(&mut s, v);
            assert_eq!(s, format!("{v:09}"));
        }
        for text in [
            "",
            "member_down",
            "a-01",
            "quote\"d",
            "back\\slash",
            "tab\there",
            "del\u{7f}",
            "naïve",
            "line\nbreak",
        ] {
            let mut s = String::new();
            json_str(&mut s, text);
            assert_eq!(s, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }
}
