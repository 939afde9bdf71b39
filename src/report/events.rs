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
use crate::protocol::event::{EventKind, FieldType, Source, Value, MAX_VALUES};
use crate::protocol::{Nanos, SEC};
use crate::scenario::Scenario;

use super::Level;

/// Renders records as `events.jsonl` lines.
///
/// Why a prepared writer: a sick run writes ~10 M lines, and finding each
/// field's value by its name, re-checking static words for escapes and
/// validating every number as UTF-8 cost ~1,400 instructions a line, more
/// than the run's own work per event. Here everything that does not change
/// between lines is rendered once: the quoted node names, each kind's
/// `"kind"` pair and field keys, and where each field's value sits among the
/// event's values. A line is then a few copies and its numbers.
pub struct JsonLines {
    /// Node names as JSON strings, by node id.
    names: Vec<Box<[u8]>>,
    warmup: Nanos,
    /// By [`EventKind`] index.
    kinds: Vec<KindPlan>,
}

/// One event kind's line, prepared.
struct KindPlan {
    /// `,"kind":"<name>"`.
    head: Box<[u8]>,
    fields: Vec<FieldPlan>,
}

/// One field of a kind's line, prepared.
struct FieldPlan {
    /// `,"<key>":`.
    key: Box<[u8]>,
    ty: FieldType,
    value: ValueAt,
}

/// Where a field's value comes from.
#[derive(Clone, Copy)]
enum ValueAt {
    Observer,
    /// The event's value at this position ([`crate::protocol::Event::for_each_value`]
    /// order).
    Position(usize),
    /// No such value (the table's tests rule it out): written as `null`.
    Missing,
}

impl JsonLines {
    pub fn new(scenario: &Scenario) -> JsonLines {
        let kinds = EventKind::ALL
            .iter()
            .map(|&kind| {
                let info = kind.info();
                let mut head = Vec::new();
                push_key(&mut head, "kind");
                json_str(&mut head, info.name);
                let fields = info
                    .fields
                    .iter()
                    .map(|f| {
                        let mut key = Vec::new();
                        push_key(&mut key, f.key);
                        let value = match f.source {
                            Source::Observer => ValueAt::Observer,
                            Source::Event(name) => kind
                                .value_names()
                                .iter()
                                .position(|&n| n == name)
                                .filter(|&i| i < MAX_VALUES)
                                .map_or(ValueAt::Missing, ValueAt::Position),
                        };
                        FieldPlan {
                            key: key.into(),
                            ty: f.ty,
                            value,
                        }
                    })
                    .collect();
                KindPlan {
                    head: head.into(),
                    fields,
                }
            })
            .collect();
        let names = scenario
            .nodes
            .iter()
            .map(|n| {
                let mut q = Vec::new();
                json_str(&mut q, &n.name);
                q.into_boxed_slice()
            })
            .collect();
        JsonLines {
            names,
            warmup: scenario.warmup,
            kinds,
        }
    }

    /// Append one record's line (with its newline) to `out`.
    pub fn write(&self, out: &mut Vec<u8>, r: &Record) {
        out.extend_from_slice(b"{\"t\":");
        push_seconds(out, r.at);
        out.extend_from_slice(if r.at < self.warmup {
            b",\"warmup\":true"
        } else {
            b",\"warmup\":false"
        });
        match &r.what {
            What::Truth(t) => {
                out.extend_from_slice(b",\"kind\":\"truth\",\"subject\":");
                out.extend_from_slice(&self.names[r.node as usize]);
                push_key(out, "truth");
                json_str(
                    out,
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
                let plan = &self.kinds[ev.kind() as usize];
                out.extend_from_slice(b",\"observer\":");
                out.extend_from_slice(&self.names[r.node as usize]);
                out.extend_from_slice(&plan.head);
                let mut values = [Value::OptU32(None); MAX_VALUES];
                let mut n = 0;
                ev.for_each_value(|v| {
                    if let Some(slot) = values.get_mut(n) {
                        *slot = v;
                    }
                    n += 1;
                });
                for f in &plan.fields {
                    let v = match f.value {
                        ValueAt::Observer => Value::U32(r.node),
                        ValueAt::Position(i) => values[i],
                        ValueAt::Missing => Value::OptU32(None),
                    };
                    out.extend_from_slice(&f.key);
                    match (f.ty, v) {
                        (FieldType::Node, Value::U32(id)) => {
                            out.extend_from_slice(&self.names[id as usize])
                        }
                        (_, Value::U32(n)) => push_u64(out, u64::from(n)),
                        (_, Value::OptU32(Some(n))) => push_u64(out, u64::from(n)),
                        (_, Value::OptU32(None)) => out.extend_from_slice(b"null"),
                        (_, Value::Bool(b)) => push_bool(out, b),
                        (_, Value::State(s)) => json_str(out, s.as_str()),
                        (_, Value::Refute(k)) => json_str(out, k.as_str()),
                        (_, Value::Instant(t)) => push_u64(out, t),
                    }
                }
                if let Some(c) = r.class {
                    push_key(out, "fp");
                    push_bool(out, c.fp());
                    push_key(out, "subject_degraded");
                    push_bool(out, c.subject_degraded);
                    push_key(out, "observer_degraded");
                    push_bool(out, c.observer_degraded);
                }
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Append `,"<key>":`.
fn push_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn push_bool(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// Append `v` in decimal. A sick run writes millions of lines of a few numbers
/// each: `write!` through `core::fmt` cost a third of the file's time.
pub(super) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
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
    out.extend_from_slice(&buf[i..]);
}

/// Append the instant `at` as exact decimal seconds (`12.000345678`): `t` of
/// `events.jsonl` and `wire.csv`. Rendered whole in a buffer, two digits at a
/// time, and copied once: every line starts with one.
pub(super) fn push_seconds(out: &mut Vec<u8>, at: Nanos) {
    // u64::MAX ns is 18446744073 s: 11 digits, a point and 9 decimals.
    let mut buf = [b'0'; 21];
    let nanos = at % SEC;
    buf[12] = b'0' + (nanos / 100_000_000) as u8;
    let mut rest = nanos % 100_000_000;
    for pair in (13..21).step_by(2).rev() {
        put_pair(&mut buf, pair, rest % 100);
        rest /= 100;
    }
    buf[11] = b'.';
    let mut secs = at / SEC;
    let mut i = 11;
    while secs >= 100 {
        i -= 2;
        put_pair(&mut buf, i, secs % 100);
        secs /= 100;
    }
    if secs >= 10 {
        i -= 2;
        put_pair(&mut buf, i, secs);
    } else {
        i -= 1;
        buf[i] = b'0' + secs as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

/// "00" to "99", for [`put_pair`].
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Write `v` (below 100) as two digits at `buf[at..at + 2]`.
fn put_pair(buf: &mut [u8], at: usize, v: u64) {
    let v = (v % 100) as usize * 2;
    buf[at..at + 2].copy_from_slice(&PAIRS[v..v + 2]);
}

/// Append `s` as a JSON string. The kinds, states and names the table writes
/// need no escaping, so they are copied as they are; anything else goes
/// through serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    match serde_json::to_string(s) {
        Ok(q) => out.extend_from_slice(q.as_bytes()),
        Err(_) => out.extend_from_slice(b"\"\""),
    }
}

/// Whether `r` goes into an `events.jsonl` written at level `min`.
pub fn wanted(r: &Record, min: Level) -> bool {
    !matches!(&r.what, What::Protocol(ev) if ev.info().level < min)
}

/// The whole `events.jsonl`: truth changes and the events at `min` and above.
pub fn events_jsonl(scenario: &Scenario, metrics: &Metrics, min: Level) -> Vec<u8> {
    let lines = JsonLines::new(scenario);
    let mut out = Vec::with_capacity(metrics.events.len() * 120);
    for r in metrics.events.iter().filter(|r| wanted(r, min)) {
        lines.write(&mut out, r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{json_str, push_seconds, push_u64};
    use crate::protocol::event::{EventKind, Source, MAX_VALUES};
    use crate::protocol::SEC;

    /// Rule: the writer finds each field's value by its position among the
    /// event's values, so every field an event kind writes must be one of its
    /// values, within the positions the writer keeps.
    #[test]
    fn every_written_field_is_one_of_the_kinds_values() {
        for &kind in EventKind::ALL {
            let names = kind.value_names();
            assert!(
                names.len() <= MAX_VALUES,
                "{kind:?} has {} values",
                names.len()
            );
            for f in kind.info().fields {
                if let Source::Event(name) = f.source {
                    assert!(names.contains(&name), "{kind:?}: no value {name}");
                }
            }
        }
    }

    /// Rule: the hand-written formatting of `events.jsonl` writes exactly what
    /// `format!` and serde_json would (the file must not change with speed).
    #[test]
    fn hand_formatting_matches_format_and_serde_json() {
        let text = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            f(&mut out);
            String::from_utf8(out).unwrap()
        };
        for v in [0u64, 7, 10, 999, 1_000_000_007, u64::MAX] {
            assert_eq!(text(&|o| push_u64(o, v)), format!("{v}"));
        }
        for at in [0u64, 5, 123_456_789, 999_999_999, 12 * SEC + 345, u64::MAX] {
            let expected = format!("{}.{:09}", at / SEC, at % SEC);
            assert_eq!(text(&|o| push_seconds(o, at)), expected);
        }
        for s in [
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
            let expected = serde_json::to_string(s).unwrap();
            assert_eq!(text(&|o| json_str(o, s)), expected, "{s:?}");
        }
    }
}
