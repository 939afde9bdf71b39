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
    names: Vec<Piece>,
    warmup: Nanos,
    /// By [`EventKind`] index.
    kinds: Vec<KindPlan>,
}

/// One event kind's line, prepared.
struct KindPlan {
    /// `,"kind":"<name>"`.
    head: Piece,
    fields: Vec<FieldPlan>,
}

/// One field of a kind's line, prepared.
struct FieldPlan {
    /// `,"<key>":`.
    key: Piece,
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
                            key: Piece::new(&key),
                            ty: f.ty,
                            value,
                        }
                    })
                    .collect();
                KindPlan {
                    head: Piece::new(&head),
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
                Piece::new(&q)
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
                self.names[r.node as usize].append(out);
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
                self.names[r.node as usize].append(out);
                plan.head.append(out);
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
                    f.key.append(out);
                    match (f.ty, v) {
                        (FieldType::Node, Value::U32(id)) => self.names[id as usize].append(out),
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

/// A short byte string a line appends (a quoted node name, a key, a kind's
/// head), kept in a fixed block so that appending it is a few inline moves
/// rather than a call to `memcpy` ([`append_block`]): a line appends about a
/// dozen. Longer ones (a long node name) are kept and copied as they are.
enum Piece {
    Block([u8; PIECE], u8),
    Long(Box<[u8]>),
}

/// The block of a [`Piece`]: holds every key and kind of the table and node
/// names of up to 30 characters.
const PIECE: usize = 32;

impl Piece {
    fn new(bytes: &[u8]) -> Piece {
        if bytes.len() <= PIECE {
            let mut block = [0u8; PIECE];
            block[..bytes.len()].copy_from_slice(bytes);
            Piece::Block(block, bytes.len() as u8)
        } else {
            Piece::Long(bytes.into())
        }
    }

    #[inline(always)]
    fn append(&self, out: &mut Vec<u8>) {
        match self {
            Piece::Block(block, len) => append_block(out, block, usize::from(*len)),
            Piece::Long(bytes) => out.extend_from_slice(bytes),
        }
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
/// each: `write!` through `core::fmt` cost a third of the file's time, and a
/// copy of a slice whose length is known only at run time is a call to
/// `memcpy`. So the digits are rendered left-aligned into a fixed block that is
/// appended whole, and the spare tail cut off again ([`append_block`]).
pub(super) fn push_u64(out: &mut Vec<u8>, v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let len = put_digits(&mut buf, 0, v);
    append_block(out, &buf, len);
}

/// Write the decimal digits of `v` at `buf[at..]`, two at a time; returns
/// where they end. `buf` must hold them (20 digits for any `u64`).
fn put_digits(buf: &mut [u8], at: usize, mut v: u64) -> usize {
    let end = at + digits(v);
    let mut i = end;
    while v >= 100 {
        i -= 2;
        put_pair(buf, i, v % 100);
        v /= 100;
    }
    if v >= 10 {
        put_pair(buf, i - 2, v);
    } else {
        buf[i - 1] = b'0' + v as u8;
    }
    end
}

/// How many decimal digits `v` has (1 for 0).
fn digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Append the first `len` bytes of the fixed block `block`: the block is
/// copied whole (fixed-size moves the compiler inlines) and the tail beyond
/// `len` dropped again, which costs a length store.
#[inline(always)]
fn append_block<const N: usize>(out: &mut Vec<u8>, block: &[u8; N], len: usize) {
    debug_assert!(len <= N);
    let at = out.len();
    out.extend_from_slice(block);
    out.truncate(at + len);
}

/// Append the instant `at` as exact decimal seconds (`12.000345678`): `t` of
/// `events.jsonl` and `wire.csv`. Rendered whole in a fixed block, two digits
/// at a time, and appended once: every line starts with one.
pub(super) fn push_seconds(out: &mut Vec<u8>, at: Nanos) {
    // The point and 9 decimals, at fixed places (unrolled, no bounds checks).
    let mut fraction = [b'.'; 10];
    let nanos = at % SEC;
    fraction[1] = b'0' + (nanos / 100_000_000) as u8;
    let mut rest = nanos % 100_000_000;
    for pair in (2..10).step_by(2).rev() {
        put_pair(&mut fraction, pair, rest % 100);
        rest /= 100;
    }
    // u64::MAX ns is 18446744073 s: at most 11 digits before them.
    let mut buf = [0u8; 24];
    let point = put_digits(&mut buf, 0, at / SEC);
    buf[point..point + 10].copy_from_slice(&fraction);
    append_block(out, &buf, point + 10);
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
    use super::{json_str, push_seconds, push_u64, Piece, PIECE};
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
        let mut values = vec![0u64, 7, 9, 10, 99, 100, 999, 1_000_000_007, u64::MAX];
        values.extend(
            (1..20)
                .map(|d| 10u64.pow(d) - 1)
                .chain((1..20).map(|d| 10u64.pow(d))),
        );
        for v in values {
            assert_eq!(text(&|o| push_u64(o, v)), format!("{v}"));
        }
        let mut instants = vec![0u64, 5, 123_456_789, 999_999_999, 12 * SEC + 345, u64::MAX];
        instants.extend([9, 10, 99, 100, 12_345].map(|s| s * SEC + 1));
        for at in instants {
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
        // A piece appends exactly its bytes, in a block or not, after
        // whatever the line holds already.
        for len in 0..=PIECE + 8 {
            let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let prefix = b"{\"t\":";
            let mut out = prefix.to_vec();
            Piece::new(&bytes).append(&mut out);
            assert_eq!(out[..prefix.len()], prefix[..]);
            assert_eq!(out[prefix.len()..], bytes[..], "length {len}");
        }
    }
}
