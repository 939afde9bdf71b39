//! The memberlist/Serf log line of an event, both ways: rendered from the event
//! table's templates for `memberlist.log`, and parsed back from a log message
//! (for reading real Consul/Serf logs), from the same templates, so the two
//! cannot drift apart.
//!
//! Template syntax: literal text with `{key}` placeholders, where `key` is one of
//! the kind's `events.jsonl` field keys (a node field gives the node's name),
//! `key.ip` (that node's IP address) or `port` (the Serf LAN port, 8301).
//!
//! A free-text placeholder `{*name}` (e.g. `{*error}`) matches any non-empty
//! text, spaces included, and is returned under `name` in the parsed fields.
//! flapsim has no such text to write (real logs end `Push/Pull with X failed:`
//! with `EOF`, `connection refused`, `i/o timeout`, …), so a template holding
//! one is never rendered: it is a wording only read back from real logs, and
//! rendering keeps choosing the written template, so `memberlist.log` does not
//! change.

use std::fmt::Write as _;

use super::{Event, EventKind, FieldType, Source, Value, Values, KINDS};
use crate::protocol::{Generation, NodeId};

/// Serf LAN port, shown where memberlist prints an address.
pub const PORT: u16 = 8301;

/// Every generation, in the order of [`super::EventKindInfo::log`].
pub const GENERATIONS: [Generation; 3] = [Generation::Y2015, Generation::Y2016, Generation::Today];

/// Index of a generation in [`super::EventKindInfo::log`].
pub fn generation_index(g: Generation) -> usize {
    match g {
        Generation::Y2015 => 0,
        Generation::Y2016 => 1,
        Generation::Today => 2,
    }
}

/// The Go log level printed in brackets (`[WARN]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Err,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Err => "ERR",
        }
    }
}

/// One log line of an event kind in one generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogTemplate {
    pub severity: Severity,
    pub text: &'static str,
    /// Written only when this field has this text (e.g. `message` = `alive`).
    pub when: Option<(&'static str, &'static str)>,
}

/// Names and addresses of nodes, for rendering.
pub trait Roster {
    fn name(&self, id: NodeId) -> &str;
    fn ip(&self, id: NodeId) -> &str;
}

/// One piece of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    Hole(&'a str),
}

/// Split a template into literals and placeholders.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            out.push(Segment::Literal(&rest[..open]));
        }
        out.push(Segment::Hole(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Literal(rest));
    }
    out
}

/// An event's fields resolved through its kind's `events.jsonl` schema.
struct Resolved<'a> {
    event: &'a Event,
    values: Values,
    observer: NodeId,
}

impl Resolved<'_> {
    fn value(&self, key: &str) -> Option<(FieldType, Value)> {
        let f = self.event.info().field(key)?;
        let v = match f.source {
            Source::Observer => Value::U32(self.observer),
            Source::Event(name) => self.values.get(name)?,
        };
        Some((f.ty, v))
    }

    /// The text of placeholder `key`, or None when the event has no such value.
    fn write(&self, key: &str, roster: &dyn Roster, out: &mut String) -> Option<()> {
        if is_free_text(key) {
            return None;
        }
        if key == "port" {
            let _ = write!(out, "{PORT}");
            return Some(());
        }
        let (base, ip) = match key.strip_suffix(".ip") {
            Some(base) => (base, true),
            None => (key, false),
        };
        match self.value(base)? {
            (FieldType::Node, Value::U32(id)) if ip => out.push_str(roster.ip(id)),
            (FieldType::Node, Value::U32(id)) => out.push_str(roster.name(id)),
            _ if ip => return None,
            (_, v) => out.push_str(&value_text(v)?),
        }
        Some(())
    }
}

/// The text placeholder `key` of `event`'s line would show (`subject`,
/// `subject.ip`, `port`, ...), or None when the event has no such value.
pub fn placeholder_text(
    event: &Event,
    observer: NodeId,
    key: &str,
    roster: &dyn Roster,
) -> Option<String> {
    let r = Resolved {
        event,
        values: event.values(),
        observer,
    };
    let mut out = String::new();
    r.write(key, roster, &mut out)?;
    Some(out)
}

/// A non-node value as text (None for an absent optional count).
pub fn value_text(v: Value) -> Option<String> {
    Some(match v {
        Value::U32(n) => n.to_string(),
        Value::OptU32(n) => n?.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::State(s) => s.as_str().to_string(),
        Value::Refute(k) => k.as_str().to_string(),
        Value::Instant(t) => t.to_string(),
    })
}

/// The template for `event` in `generation`: the first whose condition holds and
/// whose placeholders all have values, rendered into `out` (appended). Returns
/// None, and leaves `out` as it was, when the event has no line there.
pub fn render(
    event: &Event,
    observer: NodeId,
    generation: Generation,
    roster: &dyn Roster,
    out: &mut String,
) -> Option<&'static LogTemplate> {
    let templates = event.info().log[generation_index(generation)];
    if templates.is_empty() {
        return None;
    }
    let r = Resolved {
        event,
        values: event.values(),
        observer,
    };
    let start = out.len();
    'templates: for tpl in templates {
        if let Some((key, want)) = tpl.when {
            let mut got = String::new();
            if r.write(key, roster, &mut got).is_none() || got != want {
                continue;
            }
        }
        for seg in segments(tpl.text) {
            let ok = match seg {
                Segment::Literal(s) => {
                    out.push_str(s);
                    true
                }
                Segment::Hole(key) => r.write(key, roster, out).is_some(),
            };
            if !ok {
                out.truncate(start);
                continue 'templates;
            }
        }
        return Some(tpl);
    }
    None
}

/// A log message recognised as one event kind's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedLine {
    pub kind: EventKind,
    /// The generations whose template for this kind matches the text.
    pub generations: Vec<Generation>,
    /// The Go log level the template is written at.
    pub severity: Severity,
    /// The placeholders' texts by key (`subject`, `subject.ip`, `from`,
    /// `confirmations`, `port`, free text such as `error`, ...) and the
    /// template's condition (`message`), in template order.
    pub fields: Vec<(&'static str, String)>,
}

impl ParsedLine {
    /// The text of field `key`.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a memberlist or Serf log message (`memberlist: Suspect web-07 has
/// failed, no acks received`) into its event kind, matching generations and
/// fields. The message may carry an hclog module prefix, as in Consul 1.x
/// (`agent.server.memberlist.lan: memberlist: ...`); the date and `[LEVEL]`
/// framing must already be removed. None when no template matches.
pub fn parse_log_message(text: &str) -> Option<ParsedLine> {
    let text = strip_module(text.trim());
    let mut found: Option<ParsedLine> = None;
    for (k, info) in KINDS.iter().enumerate() {
        for (g, templates) in info.log.iter().enumerate() {
            for tpl in templates.iter() {
                let Some(mut fields) = match_template(info, tpl.text, text) else {
                    continue;
                };
                if let Some((key, value)) = tpl.when {
                    fields.push((key, value.to_string()));
                }
                match &mut found {
                    Some(p) if p.kind == EventKind::ALL[k] && p.fields == fields => {
                        if !p.generations.contains(&GENERATIONS[g]) {
                            p.generations.push(GENERATIONS[g]);
                        }
                    }
                    Some(_) => {}
                    None => {
                        found = Some(ParsedLine {
                            kind: EventKind::ALL[k],
                            generations: vec![GENERATIONS[g]],
                            severity: tpl.severity,
                            fields,
                        })
                    }
                }
            }
        }
    }
    found
}

/// Drop an hclog module name (`agent.server.memberlist.lan: `) before the
/// `memberlist: `/`serf: `/`consul: ` message.
fn strip_module(text: &str) -> &str {
    const LAYERS: [&str; 3] = ["memberlist: ", "serf: ", "consul: "];
    let layered = |t: &str| LAYERS.iter().any(|l| t.starts_with(l));
    if layered(text) {
        return text;
    }
    match text.split_once(": ") {
        Some((module, rest)) if !module.contains(char::is_whitespace) && layered(rest) => rest,
        _ => text,
    }
}

/// Whether placeholder `key` is free text (`{*error}`): read back, never written.
pub fn is_free_text(key: &str) -> bool {
    key.starts_with('*')
}

/// Whether `s` can be the text of placeholder `key`.
fn fits(info: &super::EventKindInfo, key: &str, s: &str) -> bool {
    if is_free_text(key) {
        return !s.is_empty();
    }
    if s.is_empty() || s.contains(char::is_whitespace) {
        return false;
    }
    let digits = || s.bytes().all(|b| b.is_ascii_digit());
    if key == "port" {
        return digits();
    }
    if key.ends_with(".ip") {
        return true;
    }
    match info.field(key).map(|f| f.ty) {
        Some(FieldType::Count | FieldType::MaybeCount) => digits(),
        Some(FieldType::Flag) => s == "true" || s == "false",
        Some(FieldType::Text) => s.bytes().all(|b| b.is_ascii_alphabetic()),
        Some(FieldType::Node) | None => true,
    }
}

/// Match `text` against a template; the placeholders' texts on success.
fn match_template(
    info: &super::EventKindInfo,
    template: &'static str,
    text: &str,
) -> Option<Vec<(&'static str, String)>> {
    let segs = segments(template);
    let mut got = Vec::new();
    match_from(info, &segs, text, &mut got).then(|| {
        got.into_iter()
            .map(|(k, v)| (k.trim_start_matches('*'), v.to_string()))
            .collect()
    })
}

fn match_from<'t>(
    info: &super::EventKindInfo,
    segs: &[Segment<'static>],
    text: &'t str,
    got: &mut Vec<(&'static str, &'t str)>,
) -> bool {
    match segs.split_first() {
        None => text.is_empty(),
        Some((Segment::Literal(lit), rest)) => {
            text.starts_with(lit) && match_from(info, rest, &text[lit.len()..], got)
        }
        Some((Segment::Hole(key), rest)) => {
            let accept = |value: &'t str, tail: &'t str, got: &mut Vec<(&'static str, &'t str)>| {
                if !fits(info, key, value) {
                    return false;
                }
                // A key seen twice must have the same text both times.
                if got.iter().any(|(k, v)| k == key && *v != value) {
                    return false;
                }
                got.push((key, value));
                if match_from(info, rest, tail, got) {
                    return true;
                }
                got.pop();
                false
            };
            match rest.first() {
                None => accept(text, "", got),
                Some(Segment::Literal(next)) => {
                    let mut from = 1;
                    while from <= text.len() {
                        let Some(at) = text.get(from..).and_then(|t| t.find(next)) else {
                            return false;
                        };
                        let end = from + at;
                        if accept(&text[..end], &text[end..], got) {
                            return true;
                        }
                        from = end + 1;
                        while from <= text.len() && !text.is_char_boundary(from) {
                            from += 1;
                        }
                    }
                    false
                }
                // Two placeholders in a row are never written by the table.
                Some(Segment::Hole(_)) => false,
            }
        }
    }
}
