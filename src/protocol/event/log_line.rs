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

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

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

/// The most fields a parsed line has: a template's placeholders and its
/// condition (`every_template_fits_the_fields_a_parsed_line_holds` checks the
/// table against it).
pub const MAX_FIELDS: usize = 8;

/// A parsed line's fields, (key, text) in template order, held in place:
/// parsing a line allocates nothing.
#[derive(Clone, Copy, Debug)]
struct FieldList<'t> {
    items: [(&'static str, &'t str); MAX_FIELDS],
    len: usize,
}

impl<'t> FieldList<'t> {
    fn new() -> Self {
        FieldList {
            items: [("", ""); MAX_FIELDS],
            len: 0,
        }
    }

    /// False, and nothing kept, when it is full.
    fn push(&mut self, field: (&'static str, &'t str)) -> bool {
        let Some(slot) = self.items.get_mut(self.len) else {
            return false;
        };
        *slot = field;
        self.len += 1;
        true
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn as_slice(&self) -> &[(&'static str, &'t str)] {
        &self.items[..self.len]
    }
}

impl PartialEq for FieldList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for FieldList<'_> {}

/// A log message recognised as one event kind's line, its fields' texts
/// borrowed from the message: [`ParsedLine`] without a copy or an
/// allocation, for reading every line of a day of logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedRef<'t> {
    pub kind: EventKind,
    /// Bit `g` set: generation `GENERATIONS[g]`'s template matches.
    generations: u8,
    /// The Go log level the template is written at.
    pub severity: Severity,
    fields: FieldList<'t>,
}

impl<'t> ParsedRef<'t> {
    /// The text of field `key`.
    pub fn field(&self, key: &str) -> Option<&'t str> {
        (self.fields.as_slice().iter())
            .find(|(k, _)| *k == key)
            .map(|&(_, v)| v)
    }

    /// The fields, as [`ParsedLine::fields`].
    pub fn fields(&self) -> &[(&'static str, &'t str)] {
        self.fields.as_slice()
    }

    /// The generations whose template for this kind matches, oldest first.
    pub fn generations(&self) -> impl Iterator<Item = Generation> + '_ {
        (GENERATIONS.iter().enumerate())
            .filter(|(g, _)| self.generations & (1 << g) != 0)
            .map(|(_, &g)| g)
    }

    /// The same, with its texts copied out of the message.
    pub fn to_line(&self) -> ParsedLine {
        ParsedLine {
            kind: self.kind,
            generations: self.generations().collect(),
            severity: self.severity,
            fields: (self.fields().iter())
                .map(|&(k, v)| (k, v.to_string()))
                .collect(),
        }
    }
}

/// Parse a memberlist or Serf log message (`memberlist: Suspect web-07 has
/// failed, no acks received`) into its event kind, matching generations and
/// fields. The message may carry an hclog module prefix, as in Consul 1.x
/// (`agent.server.memberlist.lan: memberlist: ...`); the date and `[LEVEL]`
/// framing must already be removed. None when no template matches.
///
/// The result is that of trying every template in the table's order (kind,
/// generation, template): the first match gives the kind, severity and
/// fields, and every generation with a template of that kind matching with
/// the same fields is listed, oldest first. It is found without trying every
/// template ([`ParseTable`]).
pub fn parse_log_message(text: &str) -> Option<ParsedLine> {
    parse_message(text).map(|p| p.to_line())
}

/// [`parse_log_message`], its fields borrowed from `text`: no allocation.
pub fn parse_message(text: &str) -> Option<ParsedRef<'_>> {
    let text = strip_module(text.trim());
    let table = ParseTable::get();
    // The first wording to match, its fields, and the generations so far.
    let mut found: Option<(&Wording, FieldList, u8)> = None;
    for &w in table.candidates(text) {
        let w = &table.wordings[w];
        // Once a kind has matched, another kind's wording changes nothing.
        if found
            .as_ref()
            .is_some_and(|(first, ..)| first.kind != w.kind)
        {
            continue;
        }
        let Some(mut fields) = match_segments(&KINDS[w.kind], &w.segments, text) else {
            continue;
        };
        if let Some(when) = w.when {
            if !fields.push(when) {
                continue;
            }
        }
        match &mut found {
            Some((_, first, generations)) if *first == fields => *generations |= w.generations,
            Some(_) => {}
            None => found = Some((w, fields, w.generations)),
        }
    }
    let (w, fields, generations) = found?;
    Some(ParsedRef {
        kind: EventKind::ALL[w.kind],
        generations,
        severity: w.severity,
        fields,
    })
}

/// One wording of a kind's line: a template text with its condition and
/// severity, split into its pieces once, and the generations that write it
/// (most of the table's lines are the same in all three).
struct Wording {
    /// Its kind's index in [`KINDS`].
    kind: usize,
    severity: Severity,
    when: Option<(&'static str, &'static str)>,
    segments: Vec<Segment<'static>>,
    /// Bit `g` set: generation `GENERATIONS[g]` has this wording.
    generations: u8,
}

/// The table's wordings, in the order of their first template in the table
/// (kind, generation, template), and an index from a message's opening (its
/// text up to and including its second space, `memberlist: Suspect `) to
/// the wordings that can match it.
///
/// Why: `flapsim diagnose` parses every memberlist/Serf line of a day of
/// logs. Splitting each of the table's ~100 templates anew for every line
/// (a search and a `Vec` each) and matching it, the same text once per
/// generation, was most of the time diagnose took. A wording can only match
/// a message its opening literal is a prefix of, and when that literal holds
/// two spaces the message's opening is the literal's: only those wordings
/// are tried, each once. That gives what trying every template in table
/// order gives: the first template to match is the first wording to match
/// (a wording's templates match alike), and a wording of the matched kind
/// can only hold generations from the first match's on.
struct ParseTable {
    wordings: Vec<Wording>,
    /// Opening's length → (opening → the wordings to try, in table order:
    /// those whose opening literal starts with it, and every one in
    /// `anywhere`). By length first: most openings share `memberlist: `, and
    /// a length tells most of them apart without comparing their bytes.
    by_opening: BTreeMap<usize, BTreeMap<&'static str, Vec<usize>>>,
    /// Wordings whose opening literal holds fewer than two spaces (or that
    /// open with a placeholder): tried for every message.
    anywhere: Vec<usize>,
}

impl ParseTable {
    fn get() -> &'static ParseTable {
        static TABLE: OnceLock<ParseTable> = OnceLock::new();
        TABLE.get_or_init(ParseTable::build)
    }

    fn build() -> ParseTable {
        let mut wordings: Vec<Wording> = Vec::new();
        let mut texts: Vec<&'static str> = Vec::new();
        for (kind, info) in KINDS.iter().enumerate() {
            for (generation, list) in info.log.iter().enumerate() {
                for t in list.iter() {
                    let same = (wordings.iter().zip(&texts)).position(|(w, &text)| {
                        w.kind == kind
                            && text == t.text
                            && w.when == t.when
                            && w.severity == t.severity
                    });
                    match same {
                        Some(i) => wordings[i].generations |= 1 << generation,
                        None => {
                            wordings.push(Wording {
                                kind,
                                severity: t.severity,
                                when: t.when,
                                segments: segments(t.text),
                                generations: 1 << generation,
                            });
                            texts.push(t.text);
                        }
                    }
                }
            }
        }
        let opening_of = |w: &Wording| match w.segments.first() {
            Some(Segment::Literal(lit)) => opening(lit),
            _ => None,
        };
        let anywhere: Vec<usize> = (0..wordings.len())
            .filter(|&i| opening_of(&wordings[i]).is_none())
            .collect();
        let mut by_opening: BTreeMap<usize, BTreeMap<&'static str, Vec<usize>>> = BTreeMap::new();
        for (i, w) in wordings.iter().enumerate() {
            if let Some(key) = opening_of(w) {
                (by_opening.entry(key.len()).or_default())
                    .entry(key)
                    .or_default()
                    .push(i);
            }
        }
        for list in by_opening.values_mut().flat_map(|m| m.values_mut()) {
            list.extend(&anywhere);
            list.sort_unstable();
        }
        ParseTable {
            wordings,
            by_opening,
            anywhere,
        }
    }

    /// The wordings `text` (module already stripped) can match, in table order.
    fn candidates(&self, text: &str) -> &[usize] {
        opening(text)
            .and_then(|key| self.by_opening.get(&key.len())?.get(key))
            .unwrap_or(&self.anywhere)
    }
}

/// A text's opening: up to and including its second space, if it has two.
fn opening(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let first = memchr::memchr(b' ', b)?;
    let second = first + 1 + memchr::memchr(b' ', &b[first + 1..])?;
    Some(&text[..=second])
}

/// How many wordings of the table a message is matched against: for tests
/// that check that a message is not matched against the whole table.
#[cfg(test)]
pub(crate) fn wordings_tried(text: &str) -> usize {
    ParseTable::get()
        .candidates(strip_module(text.trim()))
        .len()
}

/// The parse as it was done before [`ParseTable`]: every template of the
/// table split and tried, in table order. The reference the indexed parser
/// is checked against.
#[cfg(test)]
pub(crate) fn parse_trying_every_template(text: &str) -> Option<ParsedLine> {
    let text = strip_module(text.trim());
    let mut found: Option<ParsedLine> = None;
    for (k, info) in KINDS.iter().enumerate() {
        for (g, templates) in info.log.iter().enumerate() {
            for tpl in templates.iter() {
                let segs = segments(tpl.text);
                let Some(matched) = match_segments(info, &segs, text) else {
                    continue;
                };
                let mut fields: Vec<(&'static str, String)> = (matched.as_slice().iter())
                    .map(|&(k, v)| (k, v.to_string()))
                    .collect();
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

/// Match `text` against a template's pieces; the placeholders' texts on success.
fn match_segments<'t>(
    info: &super::EventKindInfo,
    segs: &[Segment<'static>],
    text: &'t str,
) -> Option<FieldList<'t>> {
    let mut got = FieldList::new();
    if !match_from(info, segs, text, &mut got) {
        return None;
    }
    // Free text is returned under its name without the `*`.
    for (k, _) in &mut got.items[..got.len] {
        *k = k.trim_start_matches('*');
    }
    Some(got)
}

/// Where `literal` first occurs in `text`: as `str::find` gives it, without
/// building a searcher for every try (one byte, `" "`, is most literals that
/// follow a placeholder). A whole UTF-8 literal found in UTF-8 text starts
/// on a character boundary, so the byte search is the text search.
fn find_literal(text: &str, literal: &str) -> Option<usize> {
    match literal.as_bytes() {
        [byte] => memchr::memchr(*byte, text.as_bytes()),
        bytes => memchr::memmem::find(text.as_bytes(), bytes),
    }
}

fn match_from<'t>(
    info: &super::EventKindInfo,
    segs: &[Segment<'static>],
    text: &'t str,
    got: &mut FieldList<'t>,
) -> bool {
    match segs.split_first() {
        None => text.is_empty(),
        Some((Segment::Literal(lit), rest)) => {
            text.starts_with(lit) && match_from(info, rest, &text[lit.len()..], got)
        }
        Some((Segment::Hole(key), rest)) => {
            let accept = |value: &'t str, tail: &'t str, got: &mut FieldList<'t>| {
                if !fits(info, key, value) {
                    return false;
                }
                // A key seen twice must have the same text both times.
                if (got.as_slice().iter()).any(|(k, v)| k == key && *v != value) {
                    return false;
                }
                if !got.push((key, value)) {
                    return false;
                }
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
                        let Some(at) = text.get(from..).and_then(|t| find_literal(t, next)) else {
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
