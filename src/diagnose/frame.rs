//! Line framing: where the timestamp, level, observer and message are in one log
//! line, whichever of the supported formats it is in.
//!
//! | framing | example |
//! |---|---|
//! | Go `log` (Consul 0.5–0.9, Serf agent, Nomad < 0.9, flapsim) | `    2015/09/29 00:00:37 [WARN] memberlist: Refuting a suspect message (from: a-01)` |
//! | hclog text (Consul 1.x, Nomad ≥ 0.9) | `2024-03-01T10:00:00.123Z [WARN]  agent.server.memberlist.lan: memberlist: Refuting …` |
//! | hclog JSON (`-log-json`) | `{"@level":"warn","@message":"memberlist: Refuting …","@module":"agent.server.memberlist.lan","@timestamp":"2024-03-01T10:00:00.123456Z"}` |
//!
//! Any of them may follow an observer prefix: `a-01: ` (flapsim's multi-node
//! `memberlist.log`, or `grep -H`-style concatenations), `[pod/consul-0/consul] `
//! (`kubectl logs --prefix`), or a syslog / journald header whose host is the
//! observer: `Sep 29 00:00:37 a-01 consul[812]: ` (`journalctl -u consul`,
//! rsyslog) or `2024-03-01T10:00:00+0000 a-01 consul[812]: ` (`-o short-iso`,
//! RFC 3339 rsyslog; `-o short-precise` adds a fraction). The time is the
//! inner line's (the header has no year); a line with none (Consul's
//! `enable_syslog`: `Mar  1 10:00:05 s-01 consul[812]: memberlist: …`) takes
//! the header's, its year the latest that puts it no later than a reference
//! instant (its file's last modification) allows.
//! A collector's own RFC 3339 stamp before a line (`docker logs -t`, `kubectl
//! logs --timestamps`) is skipped the same way.
//! A line that fits none (Consul's start-up banner, stack traces, a line cut in
//! half) is *unframed*: counted, never fatal.

use std::borrow::Cow;

use serde::Deserialize;

use super::time::{go_log, rfc3339, syslog, BadStamp, Stamp, UnixNs, MONTHS};

/// Which framing a line was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Framing {
    GoLog,
    Hclog,
    HclogJson,
    /// A syslog / journald header with no stamp of the program's own after
    /// it (Consul's `enable_syslog`): the header's time.
    SyslogOnly,
}

impl Framing {
    pub fn name(self) -> &'static str {
        match self {
            Framing::GoLog => "go-log (Consul 0.5-0.9 / Serf / flapsim)",
            Framing::Hclog => "hclog text (Consul 1.x / Nomad)",
            Framing::HclogJson => "hclog JSON (Consul 1.x -log-json)",
            Framing::SyslogOnly => "syslog header only (Consul enable_syslog)",
        }
    }
}

/// One framed line.
#[derive(Clone, Debug, PartialEq)]
pub struct Framed<'a> {
    pub framing: Framing,
    pub stamp: Stamp,
    /// `INFO`, `WARN`, `ERR`, … as written (upper-cased for JSON).
    pub level: Cow<'a, str>,
    /// The observer named by a line prefix, if any.
    pub observer: Option<&'a str>,
    /// The program a line prefix names, if any: a syslog header's tag
    /// without its `[PID]` (`consul[812]:` → `consul`), or `kubectl logs
    /// --prefix`'s container (`[pod/s-01/nomad]` → `nomad`). One file can
    /// hold several programs' lines (Consul's and Nomad's, both to syslog).
    pub program: Option<&'a str>,
    /// hclog's module (`agent.server.memberlist.lan`), if the framing has one.
    pub module: Option<Cow<'a, str>>,
    /// The text after the level: `memberlist: Suspect a-07 has failed, no acks received`
    /// (for hclog text, after the module).
    pub message: Cow<'a, str>,
}

/// What a line is.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame<'a> {
    Line(Framed<'a>),
    /// No known framing (banner, continuation, truncated line).
    Unframed,
    /// Timestamp-shaped but not a valid instant (`2015/13/40 …`).
    BadTimestamp(String),
}

#[derive(Deserialize)]
struct JsonLine<'a> {
    #[serde(rename = "@timestamp", borrow)]
    timestamp: Cow<'a, str>,
    #[serde(rename = "@level", borrow, default)]
    level: Option<Cow<'a, str>>,
    #[serde(rename = "@message", borrow)]
    message: Cow<'a, str>,
    #[serde(rename = "@module", borrow, default)]
    module: Option<Cow<'a, str>>,
    /// hclog's key/value pairs (`"member": "a-01"`), which its text format
    /// appends to the message as `: member=a-01`; sorted by key, as Go's JSON
    /// encoder writes them.
    #[serde(flatten)]
    pairs: std::collections::BTreeMap<String, serde_json::Value>,
}

/// hclog JSON → the message its text format would print: `@message`, then the
/// pairs as ` key=value` (quoted when they hold a space), so one template reads
/// both (Consul 1.x's `member failed, marking health critical: member=a-01`).
fn with_pairs<'a>(
    message: Cow<'a, str>,
    pairs: &std::collections::BTreeMap<String, serde_json::Value>,
) -> Cow<'a, str> {
    let mut extra = pairs.iter().filter(|(k, _)| !k.starts_with('@')).peekable();
    if extra.peek().is_none() {
        return message;
    }
    let mut m = message.into_owned();
    m.push(':');
    for (k, v) in extra {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if v.contains(' ') || v.is_empty() {
            m.push_str(&format!(" {k}={v:?}"));
        } else {
            m.push_str(&format!(" {k}={v}"));
        }
    }
    Cow::Owned(m)
}

/// Frame one line; `zone` (seconds east of UTC) is used for zone-less timestamps.
/// A syslog header's line with no stamp of its own is unframed (see [`frame_at`]).
pub fn frame(line: &str, zone: i64) -> Frame<'_> {
    frame_at(line, zone, None)
}

/// [`frame`], with `reference`, the instant a syslog header's line with no
/// stamp of its own was written by at the latest (its file's last
/// modification), from which its year is taken.
pub fn frame_at(line: &str, zone: i64, reference: Option<UnixNs>) -> Frame<'_> {
    let line = line.trim_end_matches(['\r', '\n']);
    let body = line.trim_start();
    // A syslog header first: its ISO form would otherwise pass for an hclog
    // stamp followed by an unreadable message.
    if let Some((host, tag, rest, header)) = split_syslog(body) {
        let rest = rest.trim_start();
        if let Some(f) = stamped_frame(rest, zone, Some(host)) {
            return by_program(f, tag);
        }
        // No stamp of its own: the header's time.
        let stamp = match reference {
            Some(r) if header.as_bytes()[0].is_ascii_alphabetic() => {
                syslog(header.as_bytes(), zone, r)
            }
            Some(_) => rfc3339(header.as_bytes(), zone),
            None => None,
        };
        match stamp {
            Some(Ok(stamp)) => return by_program(header_frame(stamp, host, rest), tag),
            Some(Err(BadStamp(e))) => return Frame::BadTimestamp(e),
            None => {}
        }
    }
    if let Some(f) = stamped_frame(body, zone, None) {
        return f;
    }
    // An observer prefix, then the body.
    if let Some((observer, container, rest)) = split_prefix(body) {
        if let Some(f) = stamped_frame(rest.trim_start(), zone, Some(observer)) {
            return match container {
                Some(c) => by_program(f, c),
                None => f,
            };
        }
    }
    Frame::Unframed
}

/// A framed line, with the program its prefix names.
fn by_program<'a>(f: Frame<'a>, program: &'a str) -> Frame<'a> {
    match f {
        Frame::Line(mut l) => {
            l.program = Some(program);
            Frame::Line(l)
        }
        other => other,
    }
}

/// A line, possibly behind its collector's own RFC 3339 stamp (`docker logs -t`,
/// `kubectl logs --timestamps`): the inner line when it frames whole, as its
/// stamp is the program's own; else the line as it is (hclog's stamp is
/// followed by a level, which does not frame alone).
fn stamped_frame<'a>(body: &'a str, zone: i64, observer: Option<&'a str>) -> Option<Frame<'a>> {
    // The stamp's shape is checked on the line's bytes before the line is
    // split at its first space (most lines carry no such stamp).
    let shaped = |b: &[u8]| {
        b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
    };
    if !shaped(body.as_bytes()) {
        return body_frame(body, zone, observer);
    }
    if let Some((outer, rest)) = body.split_once(' ') {
        if shaped(outer.as_bytes()) {
            if let Some(f @ Frame::Line(_)) = body_frame(rest.trim_start(), zone, observer) {
                return Some(f);
            }
        }
    }
    body_frame(body, zone, observer)
}

/// A line whose only time is its syslog header's: `[LEVEL]` and an hclog
/// module (dotted: `agent.server.memberlist.lan`) when it has them.
fn header_frame<'a>(stamp: Stamp, host: &'a str, rest: &'a str) -> Frame<'a> {
    let (level, rest) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((lv, r)) if lv.len() <= 7 && lv.bytes().all(|c| c.is_ascii_alphabetic()) => {
            (lv, r.trim_start())
        }
        _ => ("", rest),
    };
    let (module, message) = match split_module(rest) {
        (Some(m), msg) if m.contains('.') => (Some(m), msg),
        _ => (None, rest),
    };
    Frame::Line(Framed {
        framing: Framing::SyslogOnly,
        stamp,
        level: Cow::Borrowed(level),
        observer: Some(host),
        program: None,
        module: module.map(Cow::Borrowed),
        message: Cow::Borrowed(message),
    })
}

/// A syslog or journald header, `Sep 29 00:00:37 HOST TAG[PID]: …` (`-o
/// short-precise`: `Sep 29 00:00:37.123456 …`) or `2024-03-01T10:00:00+0000
/// HOST TAG[PID]: …`: the host, the tag without its `[PID]`, the rest, and
/// the header's stamp.
fn split_syslog(s: &str) -> Option<(&str, &str, &str, &str)> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Byte checks first, the months last: most lines have no such header.
    let after_stamp = if b.len() > 15
        && b[3] == b' '
        && (b[4] == b' ' || digit(4))
        && digit(5)
        && b[6] == b' '
        && digit(7)
        && digit(8)
        && b[9] == b':'
        && digit(10)
        && digit(11)
        && b[12] == b':'
        && digit(13)
        && digit(14)
        && MONTHS.iter().any(|m| s.starts_with(m))
    {
        // short-precise: a fraction of a second.
        let frac = match b.get(15) {
            Some(b'.') => 1 + b[16..].iter().take_while(|c| c.is_ascii_digit()).count(),
            _ => 0,
        };
        (&s[..15 + frac], &s[15 + frac..])
    } else {
        // An RFC 3339 stamp: 2024-03-01T10:00:00[.frac](Z|±hh[:]mm), one
        // token (its shape checked before the line is split).
        let iso =
            b.len() >= 19 && (0..4).all(digit) && b[4] == b'-' && b[10] == b'T' && b[13] == b':';
        if !iso {
            return None;
        }
        let (stamp, rest) = s.split_once(' ')?;
        if stamp.len() < 19 {
            return None;
        }
        (stamp, rest)
    };
    let (header, after_stamp) = after_stamp;
    let (host, rest) = after_stamp.trim_start().split_once(' ')?;
    let (tag, rest) = rest.split_once(": ")?;
    let tag_ok = !tag.is_empty()
        && !tag.contains(char::is_whitespace)
        && tag.bytes().next().is_some_and(|c| c.is_ascii_alphabetic());
    let host_ok = !host.is_empty() && host.len() <= 253 && !host.starts_with('[');
    let program = tag.split_once('[').map_or(tag, |(p, _)| p);
    (tag_ok && host_ok).then_some((host, program, rest, header))
}

/// `a-01: …` or `[pod/consul-0/consul] …`: the observer, the container
/// (kubectl's), and the rest.
fn split_prefix(s: &str) -> Option<(&str, Option<&str>, &str)> {
    if let Some(inner) = s.strip_prefix('[') {
        let (tag, rest) = inner.split_once("] ")?;
        // kubectl: pod/NAME/container; take NAME.
        let name = tag.split('/').nth(1).unwrap_or(tag);
        let container = tag.split('/').nth(2).filter(|c| !c.is_empty());
        return (!name.is_empty() && !name.contains(' ')).then_some((name, container, rest));
    }
    let (name, rest) = s.split_once(": ")?;
    let ok = !name.is_empty() && name.len() <= 253 && !name.contains(char::is_whitespace);
    ok.then_some((name, None, rest))
}

fn body_frame<'a>(body: &'a str, zone: i64, observer: Option<&'a str>) -> Option<Frame<'a>> {
    let b = body.as_bytes();
    if b.first() == Some(&b'{') {
        return json_frame(body, zone, observer);
    }
    let (framing, stamp) = match go_log(b, zone) {
        Some(r) => (Framing::GoLog, r),
        None => (Framing::Hclog, rfc3339(b, zone)?),
    };
    let stamp = match stamp {
        Ok(s) => s,
        Err(BadStamp(e)) => return Some(Frame::BadTimestamp(e)),
    };
    let rest = body[stamp.len..].trim_start();
    let (level, rest) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((lv, r)) if lv.len() <= 7 && lv.bytes().all(|c| c.is_ascii_alphabetic()) => {
            (lv, r.trim_start())
        }
        _ => ("", rest),
    };
    let (module, message) = if framing == Framing::Hclog {
        split_module(rest)
    } else {
        (None, rest)
    };
    Some(Frame::Line(Framed {
        framing,
        stamp,
        level: Cow::Borrowed(level),
        observer,
        program: None,
        module: module.map(Cow::Borrowed),
        message: Cow::Borrowed(message),
    }))
}

/// hclog text: `agent.server.memberlist.lan: memberlist: …` → module, message. The
/// module is one token of dotted words; a message without one is returned whole.
fn split_module(rest: &str) -> (Option<&str>, &str) {
    match rest.split_once(": ") {
        Some((m, msg))
            if !m.is_empty()
                && m.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')) =>
        {
            (Some(m), msg)
        }
        _ => (None, rest),
    }
}

fn json_frame<'a>(body: &'a str, zone: i64, observer: Option<&'a str>) -> Option<Frame<'a>> {
    // A cut JSON line does not parse: it is unframed (counted), not an error.
    let j: JsonLine<'a> = serde_json::from_str(body).ok()?;
    let stamp = match rfc3339(j.timestamp.as_bytes(), zone)? {
        Ok(s) => s,
        Err(BadStamp(e)) => return Some(Frame::BadTimestamp(e)),
    };
    Some(Frame::Line(Framed {
        framing: Framing::HclogJson,
        stamp,
        level: Cow::Owned(j.level.map(|l| l.to_ascii_uppercase()).unwrap_or_default()),
        observer,
        program: None,
        module: j.module,
        message: with_pairs(j.message, &j.pairs),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Framed<'_> {
        match frame(s, 0) {
            Frame::Line(f) => f,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn consul_05_text() {
        let f = line(
            "    2015/09/29 00:00:37 [WARN] memberlist: Refuting a suspect message (from: a-01)",
        );
        assert_eq!(f.framing, Framing::GoLog);
        assert_eq!(f.level, "WARN");
        assert_eq!(f.observer, None);
        assert_eq!(
            f.message,
            "memberlist: Refuting a suspect message (from: a-01)"
        );
    }

    #[test]
    fn flapsim_prefix_names_the_observer() {
        let f =
            line("a-01:     2015/09/29 01:55:43 [INFO] serf: EventMemberFailed: a-24 10.0.0.27");
        assert_eq!(f.observer, Some("a-01"));
        assert_eq!(f.message, "serf: EventMemberFailed: a-24 10.0.0.27");
    }

    #[test]
    fn hclog_text_splits_the_module() {
        let f = line("2024-03-01T10:00:00.123Z [WARN]  agent.server.memberlist.lan: memberlist: Refuting a suspect message (from: a-01)");
        assert_eq!(f.framing, Framing::Hclog);
        assert_eq!(f.module.as_deref(), Some("agent.server.memberlist.lan"));
        assert_eq!(
            f.message,
            "memberlist: Refuting a suspect message (from: a-01)"
        );
        assert_eq!(f.stamp.precision, 1_000_000);
        let k = line("[pod/consul-server-1/consul] 2024-03-01T10:00:00.123+0100 [INFO]  agent.server.serf.lan: serf: EventMemberJoin: c-2 10.1.0.2");
        assert_eq!(k.observer, Some("consul-server-1"));
        assert_eq!(k.program, Some("consul"), "kubectl's container");
        assert_eq!(k.stamp.at + 3_600_000_000_000, f.stamp.at);
    }

    /// Consul 1.x with `-log-json` puts the member in a field of its own; the
    /// message is read as hclog's text format prints it.
    #[test]
    fn hclog_json_pairs_are_appended_as_the_text_format_prints_them() {
        let f = line(
            r#"{"@level":"info","@message":"member failed, marking health critical","@module":"agent.leader","@timestamp":"2024-03-01T10:00:47.001Z","member":"a-01","partition":"default"}"#,
        );
        assert_eq!(
            f.message,
            "member failed, marking health critical: member=a-01 partition=default"
        );
        let f = line(
            r#"{"@level":"info","@message":"x","@timestamp":"2024-03-01T10:00:47.001Z","error":"read tcp: i/o timeout","n":3}"#,
        );
        assert_eq!(f.message, "x: error=\"read tcp: i/o timeout\" n=3");
    }

    #[test]
    fn hclog_json() {
        let f = line(
            r#"{"@level":"warn","@message":"memberlist: Refuting a suspect message (from: a-01)","@module":"agent.server.memberlist.lan","@timestamp":"2024-03-01T10:00:00.123456+09:00"}"#,
        );
        assert_eq!(f.framing, Framing::HclogJson);
        assert_eq!(f.level, "WARN");
        assert_eq!(f.module.as_deref(), Some("agent.server.memberlist.lan"));
        assert_eq!(f.stamp.precision, 1000);
    }

    /// `journalctl -u consul` and rsyslog files: the header's host is the
    /// observer, the inner line gives the time and the message.
    #[test]
    fn syslog_and_journald_headers_name_the_observer() {
        let f = line("Sep 29 00:00:37 a-01 consul[812]:     2015/09/29 00:00:37 [INFO] memberlist: Suspect s-02 has failed, no acks received");
        assert_eq!(f.framing, Framing::GoLog);
        assert_eq!(f.observer, Some("a-01"));
        assert_eq!(
            f.message,
            "memberlist: Suspect s-02 has failed, no acks received"
        );
        assert_eq!(f.program, Some("consul"), "the tag, without its PID");
        let g = line("Sep  9 00:00:37 a-01 consul:     2015/09/09 00:00:37 [INFO] serf: EventMemberJoin: s-02 10.0.0.2");
        assert_eq!(g.observer, Some("a-01"));
        assert_eq!(g.program, Some("consul"));
        let iso = line("2024-11-30T10:00:37+0000 ip-10-0-0-4 consul[812]: 2024-11-30T10:00:37.123Z [INFO]  agent.server.memberlist.lan: memberlist: Suspect s-02 has failed, no acks received");
        assert_eq!(iso.framing, Framing::Hclog);
        assert_eq!(iso.observer, Some("ip-10-0-0-4"));
        assert_eq!(iso.module.as_deref(), Some("agent.server.memberlist.lan"));
        assert_eq!(iso.stamp.precision, 1_000_000, "the inner stamp's");
        let rfc = line(
            r#"2024-11-30T10:00:37.123456+00:00 c-1 consul[1]: {"@level":"info","@message":"serf: EventMemberJoin: c-2 10.1.0.2","@timestamp":"2024-11-30T10:00:37.123Z"}"#,
        );
        assert_eq!(rfc.framing, Framing::HclogJson);
        assert_eq!(rfc.observer, Some("c-1"));
        // An hclog line is still an hclog line, not a header.
        let h = line("2024-03-01T10:00:00.123Z [WARN]  agent.server.memberlist.lan: memberlist: Refuting a suspect message (from: a-01)");
        assert_eq!(h.observer, None);
        assert_eq!(h.level, "WARN");
    }

    /// `docker logs -t` and `kubectl logs --timestamps` put their own stamp
    /// before the program's line: the program's stamp and message are read.
    #[test]
    fn a_collectors_stamp_before_the_line_is_skipped() {
        let f = line("2024-11-30T10:00:37.123456789Z     2015/09/29 00:00:37 [INFO] memberlist: Suspect s-02 has failed, no acks received");
        assert_eq!(f.framing, Framing::GoLog);
        assert_eq!(
            f.message,
            "memberlist: Suspect s-02 has failed, no acks received"
        );
        assert_eq!(f.stamp.precision, 1_000_000_000, "Go's log's own second");
        let k = line("[pod/consul-server-1/consul] 2024-11-30T10:00:37.999999999Z 2024-11-30T10:00:37.123Z [INFO]  agent.server.serf.lan: serf: EventMemberJoin: c-2 10.1.0.2");
        assert_eq!(k.observer, Some("consul-server-1"));
        assert_eq!(k.level, "INFO");
        assert_eq!(k.stamp.precision, 1_000_000, "hclog's own millisecond");
    }

    #[test]
    fn banners_and_cut_lines_are_unframed_and_bad_dates_located() {
        assert_eq!(frame("==> Starting Consul agent...", 0), Frame::Unframed);
        assert_eq!(frame("         Node name: 'a-01'", 0), Frame::Unframed);
        assert_eq!(frame("    2015/09/2", 0), Frame::Unframed);
        assert_eq!(
            frame(r#"{"@level":"warn","@message":"memberl"#, 0),
            Frame::Unframed
        );
        assert!(matches!(
            frame("    2015/19/29 00:00:37 [WARN] memberlist: x", 0),
            Frame::BadTimestamp(_)
        ));
    }
}
