//! The event table's own rules: names and tags are unique, every field a kind
//! declares exists, every log template renders and parses back.

use super::*;
use crate::protocol::event::log_line::{
    parse_log_message, parse_trying_every_template, placeholder_text, render, wordings_tried,
    Roster, GENERATIONS, MAX_FIELDS,
};
use crate::protocol::event::RefuteKind;
use crate::protocol::{Generation, State};

struct Names;

impl Roster for Names {
    fn name(&self, id: NodeId) -> &str {
        ["web-00", "web-01", "db-02", "cache-03.eu-west", "api-04"][id as usize]
    }
    fn ip(&self, id: NodeId) -> &str {
        [
            "10.0.0.10",
            "10.0.0.11",
            "10.0.1.12",
            "172.16.4.13",
            "fd00::14",
        ][id as usize]
    }
}

/// Observer of every sample (node 4, distinct from every subject/from).
const OBSERVER: NodeId = 4;

/// At least one event of every kind, with every variant a template depends on.
fn samples() -> Vec<Event> {
    vec![
        Event::FailedUdpPing { subject: 1 },
        Event::TcpFallbackRescued { subject: 2 },
        Event::FailedTcpPing { subject: 3 },
        Event::SuspectNoAcks {
            subject: 1,
            incarnation: 7,
            probe_started: 123,
        },
        Event::Suspected {
            subject: 1,
            incarnation: 2,
            from: 3,
        },
        Event::Confirmed {
            subject: 1,
            from: 2,
            confirmations: 3,
        },
        Event::SuspicionExpired {
            subject: 2,
            confirmations: None,
            degraded: false,
        },
        Event::SuspicionExpired {
            subject: 3,
            confirmations: Some(2),
            degraded: true,
        },
        Event::MemberDown {
            subject: 1,
            incarnation: 4,
            from: 2,
            state: State::Dead,
        },
        Event::MemberUp {
            subject: 1,
            incarnation: 5,
            rejoin: true,
        },
        Event::SuspicionCleared {
            subject: 3,
            incarnation: 9,
            suspected_at: 5,
        },
        Event::Refuted {
            kind: RefuteKind::Suspect,
            from: 1,
            accused_incarnation: 3,
            incarnation: 4,
        },
        Event::Refuted {
            kind: RefuteKind::Dead,
            from: 2,
            accused_incarnation: 3,
            incarnation: 4,
        },
        Event::Refuted {
            kind: RefuteKind::Alive,
            from: 3,
            accused_incarnation: 3,
            incarnation: 4,
        },
        Event::HealthScore { score: 3 },
        Event::DegradedProbe,
        Event::Reaped { subject: 2 },
        Event::PushPullStarted {
            peer: 3,
            join: false,
        },
        Event::PushPullFailed { peer: 0 },
        Event::HandoffQueueFull,
        Event::SerfMemberJoin { subject: 1 },
        Event::SerfMemberFailed { subject: 2 },
        Event::SerfMemberLeave { subject: 3 },
        Event::SerfFlap { subject: 1 },
        Event::SerfReconnect { subject: 3 },
        Event::SerfReap { subject: 0 },
        Event::SerfMemberUpdate { subject: 2 },
        Event::StreamConnection,
        Event::FailedToSend,
        Event::ConsulMemberFailed { subject: 1 },
        Event::ConsulMemberJoined { subject: 2 },
        Event::ConsulMemberDeregistered { subject: 3 },
    ]
}

/// Rule: every kind has one table entry, indexed by its kind, with a unique
/// stable name and a unique digest tag.
#[test]
fn every_kind_has_a_unique_name_and_tag() {
    assert_eq!(KINDS.len(), EventKind::ALL.len());
    for (i, a) in KINDS.iter().enumerate() {
        assert!(!a.name.is_empty() && a.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        assert_ne!(a.name, "truth", "`truth` is the kind of ground-truth lines");
        for b in &KINDS[i + 1..] {
            assert_ne!(a.name, b.name);
            assert_ne!(a.tag, b.tag, "{} and {} share a digest tag", a.name, b.name);
        }
        assert_eq!(EventKind::from_name(a.name), Some(EventKind::ALL[i]));
    }
}

/// Rule: every `events.jsonl` field names a field of the event (or the
/// observer), and the samples cover every kind.
#[test]
fn every_declared_field_exists() {
    let samples = samples();
    for kind in EventKind::ALL {
        assert!(
            samples.iter().any(|e| e.kind() == *kind),
            "no sample of {kind:?}"
        );
    }
    for e in &samples {
        let values = e.values();
        for f in e.info().fields {
            if let Source::Event(name) = f.source {
                let v = values.get(name);
                assert!(v.is_some(), "{}: no field {name}", e.info().name);
                let typed = matches!(
                    (f.ty, v.unwrap()),
                    (FieldType::Node | FieldType::Count, Value::U32(_))
                        | (FieldType::MaybeCount, Value::OptU32(_))
                        | (FieldType::Flag, Value::Bool(_))
                        | (FieldType::Text, Value::State(_) | Value::Refute(_))
                );
                assert!(typed, "{}: field {name} has the wrong type", e.info().name);
            }
        }
    }
}

/// Rule: the log-line table is invertible: every template of every generation,
/// rendered from an event, parses back to that kind, a set of generations that
/// includes this one, and the same field texts; also behind Consul 1.x's hclog
/// module prefix.
#[test]
fn every_log_template_round_trips_through_the_parser() {
    let mut used = Vec::new();
    for e in samples() {
        for g in GENERATIONS {
            let mut text = String::new();
            let Some(tpl) = render(&e, OBSERVER, g, &Names, &mut text) else {
                continue;
            };
            used.push((e.kind(), g, tpl.text));
            for line in [text.clone(), format!("agent.server.memberlist.lan: {text}")] {
                let p = parse_log_message(&line).unwrap_or_else(|| panic!("unparsed: {line}"));
                assert_eq!(p.kind, e.kind(), "{line}");
                assert!(p.generations.contains(&g), "{line}: {:?}", p.generations);
                assert_eq!(p.severity, tpl.severity);
                for (key, got) in &p.fields {
                    let want = match tpl.when {
                        Some((k, v)) if k == *key => v.to_string(),
                        _ => placeholder_text(&e, OBSERVER, key, &Names).unwrap(),
                    };
                    assert_eq!(got, &want, "{line}: field {key}");
                }
                let holes = tpl.text.matches('{').count() + usize::from(tpl.when.is_some());
                assert_eq!(p.fields.len(), holes, "{line}: {:?}", p.fields);
            }
        }
    }
    // Every template in the table was exercised. A template after an
    // unconditional one, or one with free text (`{*error}`), is never written:
    // it is another wording read back from real logs, checked here by filling
    // its placeholders from a sample (free text with a real error, spaces and
    // colons included) and reading each field back.
    const FREE_TEXT: &str = "read tcp 10.0.0.10:8301->10.0.1.12:8301: i/o timeout";
    for (k, info) in KINDS.iter().enumerate() {
        for (gi, templates) in info.log.iter().enumerate() {
            for (ti, tpl) in templates.iter().enumerate() {
                if templates[..ti].iter().any(|t| t.when.is_none()) || tpl.text.contains("{*") {
                    let e = samples()
                        .into_iter()
                        .find(|e| e.kind() == EventKind::ALL[k])
                        .unwrap();
                    let mut line = tpl.text.to_string();
                    let mut want = Vec::new();
                    while let Some(open) = line.find('{') {
                        let close = open + line[open..].find('}').unwrap();
                        let key = line[open + 1..close].to_string();
                        let value = match key.strip_prefix('*') {
                            Some(_) => FREE_TEXT.to_string(),
                            None => placeholder_text(&e, OBSERVER, &key, &Names).unwrap(),
                        };
                        want.push((key.trim_start_matches('*').to_string(), value.clone()));
                        line.replace_range(open..=close, &value);
                    }
                    // A `when` template's field comes from the template itself.
                    if let Some((key, value)) = tpl.when {
                        want.push((key.to_string(), value.to_string()));
                    }
                    // Consul 1.x's hclog wordings have no layer prefix: their
                    // module is split off by the line framing, not the parser.
                    let mut lines = vec![line.clone()];
                    if ["memberlist: ", "serf: ", "consul: "]
                        .iter()
                        .any(|l| tpl.text.starts_with(l))
                    {
                        lines.push(format!("agent.server.memberlist.lan: {line}"));
                    }
                    for line in lines {
                        let p =
                            parse_log_message(&line).unwrap_or_else(|| panic!("unparsed: {line}"));
                        assert_eq!(p.kind, e.kind(), "{line}");
                        assert_eq!(p.severity, tpl.severity, "{line}");
                        assert!(p.generations.contains(&GENERATIONS[gi]), "{line}");
                        let got: Vec<_> = p
                            .fields
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.clone()))
                            .collect();
                        assert_eq!(got, want, "{line}");
                    }
                    continue;
                }
                assert!(
                    used.iter().any(|(kind, g, t)| *kind == EventKind::ALL[k]
                        && *g == GENERATIONS[gi]
                        && *t == tpl.text),
                    "{} {:?}: template not exercised: {}",
                    info.name,
                    GENERATIONS[gi],
                    tpl.text
                );
            }
        }
    }
}

/// The parser tells generations apart where the texts differ, and gives the
/// fields an operator greps for.
#[test]
fn parser_names_generation_and_fields() {
    let p = parse_log_message(
        "memberlist: Marking web-07 as failed, suspect timeout reached (2 peer confirmations)",
    )
    .unwrap();
    assert_eq!(p.kind, EventKind::SuspicionExpired);
    assert_eq!(p.generations, vec![Generation::Y2016, Generation::Today]);
    assert_eq!(p.field("subject"), Some("web-07"));
    assert_eq!(p.field("confirmations"), Some("2"));
    let p =
        parse_log_message("memberlist: Marking web-07 as failed, suspect timeout reached").unwrap();
    assert_eq!(p.generations, vec![Generation::Y2015]);
    let p = parse_log_message("memberlist: Refuting a dead message (from: db-1)").unwrap();
    assert_eq!(p.kind, EventKind::Refuted);
    assert_eq!(p.field("message"), Some("dead"));
    assert_eq!(p.field("from"), Some("db-1"));
    let p = parse_log_message("serf: EventMemberFailed: web-07 10.0.0.7").unwrap();
    assert_eq!(p.kind, EventKind::SerfMemberFailed);
    assert_eq!(p.field("subject.ip"), Some("10.0.0.7"));
    assert_eq!(
        parse_log_message("memberlist: something else entirely"),
        None
    );
    assert_eq!(parse_log_message("serf: EventMemberFailed: web-07"), None);
}

/// Real lines end with any error and name what they could not send: the
/// free-text placeholder takes the rest of the text, spaces included, while the
/// written template still wins for the line flapsim writes.
#[test]
fn free_text_wordings_of_real_logs_are_read_back() {
    let p = parse_log_message("memberlist: Push/Pull with a-01 failed: EOF").unwrap();
    assert_eq!(p.kind, EventKind::PushPullFailed);
    assert_eq!(p.field("subject"), Some("a-01"));
    assert_eq!(p.field("error"), Some("EOF"));
    assert_eq!(p.generations, GENERATIONS.to_vec());
    let p = parse_log_message(
        "memberlist: Push/Pull with a-01 failed: dial tcp 10.0.0.5:8301: connect: connection refused",
    )
    .unwrap();
    assert_eq!(p.field("subject"), Some("a-01"));
    assert_eq!(
        p.field("error"),
        Some("dial tcp 10.0.0.5:8301: connect: connection refused")
    );
    // flapsim's own line still reads through the written template.
    let p = parse_log_message(
        "memberlist: Push/Pull with a-01 failed: dial tcp 10.0.0.5:8301: i/o timeout",
    )
    .unwrap();
    assert_eq!(p.field("subject.ip"), Some("10.0.0.5"));
    assert_eq!(p.field("error"), None);
    let p = parse_log_message("memberlist: Failed fallback ping: EOF").unwrap();
    assert_eq!(
        (p.kind, p.generations.clone()),
        (EventKind::FailedTcpPing, vec![Generation::Today])
    );
    let p = parse_log_message(
        "memberlist: Failed TCP fallback ping: read tcp 10.0.0.4:51234->10.0.0.5:8301: i/o timeout",
    )
    .unwrap();
    assert_eq!(p.kind, EventKind::FailedTcpPing);
    assert_eq!(p.generations, vec![Generation::Y2015, Generation::Y2016]);
    let p = parse_log_message("memberlist: Stream connection from=10.0.0.5:40428").unwrap();
    assert_eq!(
        (p.kind, p.generations.clone()),
        (EventKind::StreamConnection, vec![Generation::Today])
    );
    assert_eq!(p.field("address"), Some("10.0.0.5:40428"));
    // ml@6025015 net.go:194 `TCP connection from: %s`; ml@215aec8 net.go:217
    // `TCP connection %s` with `LogConn` (`from=ADDR`).
    let p = parse_log_message("memberlist: TCP connection from=10.0.0.5:40428").unwrap();
    assert_eq!(p.generations, vec![Generation::Y2016]);
    let p = parse_log_message("memberlist: TCP connection from: 10.0.0.5:40428").unwrap();
    assert_eq!(
        (p.kind, p.generations.clone()),
        (EventKind::StreamConnection, vec![Generation::Y2015])
    );
    assert_eq!(p.field("address"), Some("10.0.0.5:40428"));
    for line in [
        "memberlist: Failed to send ping: write udp 10.0.0.4:8301->10.0.0.5:8301: sendto: no route to host",
        "memberlist: Failed to send gossip to 10.0.0.7:8301: write udp 10.0.0.4:8301->10.0.0.7:8301: sendto: message too long",
        "memberlist: Failed to send indirect ping",
    ] {
        assert_eq!(parse_log_message(line).map(|p| p.kind), Some(EventKind::FailedToSend), "{line}");
    }
    let p = parse_log_message("consul: member 'a-01' left, deregistering").unwrap();
    assert_eq!(p.kind, EventKind::ConsulMemberDeregistered);
    assert_eq!(
        (p.field("subject"), p.field("reason")),
        (Some("a-01"), Some("left"))
    );
    let p =
        parse_log_message("member failed, marking health critical: member=a-01 partition=default")
            .unwrap();
    assert_eq!(
        (p.kind, p.field("subject"), p.generations.clone()),
        (
            EventKind::ConsulMemberFailed,
            Some("a-01"),
            vec![Generation::Today]
        )
    );
    // Not every text fits: an empty free text is no match.
    assert_eq!(
        parse_log_message("memberlist: Push/Pull with a-01 failed: "),
        None
    );
    assert_eq!(parse_log_message("memberlist: Failed to send "), None);
}

/// Rule: every event reads back from its bytes (records spilled to disk during a
/// run), and a cut or unknown byte string is refused, not misread.
#[test]
fn every_event_round_trips_through_its_bytes() {
    let mut all = Vec::new();
    for e in samples() {
        let mut b = Vec::new();
        e.encode(&mut b);
        let mut r = &b[..];
        assert_eq!(Event::decode(&mut r), Some(e));
        assert!(r.is_empty());
        for cut in 0..b.len() {
            assert_eq!(Event::decode(&mut &b[..cut]), None, "{e:?} cut at {cut}");
        }
        all.extend_from_slice(&b);
    }
    let mut r = &all[..];
    for e in samples() {
        assert_eq!(Event::decode(&mut r), Some(e));
    }
    assert_eq!(Event::decode(&mut &[KINDS.len() as u8][..]), None);
}

/// Rule: the digest's walk over an event's fields ([`Event::for_each_value`])
/// yields exactly [`Event::values`], in order, for every kind: the run digest
/// and the event log read one field list.
#[test]
fn field_walk_matches_the_field_list() {
    for e in samples() {
        let mut walked = Vec::new();
        e.for_each_value(|v| walked.push(v));
        let listed: Vec<Value> = e.values().iter().map(|(_, v)| v).collect();
        assert_eq!(walked, listed, "{e:?}");
    }
    let kinds: std::collections::BTreeSet<_> = samples().iter().map(Event::kind).collect();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len(),
        "the samples cover every kind"
    );
}

/// Rule: every wording real memberlist and Serf print for a kind in the table
/// is read as that kind, with its subject; each line below is the source's
/// format string filled in (ml = hashicorp/memberlist, serf = hashicorp/serf):
/// the handler-queue drop with its message type and sender (ml@91ee1ab on),
/// 2017–2022's `Failed ping` (ml@43c14aa to ml@696ff46), today's alive
/// refutation comparing meta and versions (ml@b38abf6), Serf's update with
/// the name alone (serf@3403e62) and its forced leave and reap (serf@8d36400,
/// serf@397d9fd).
#[test]
fn real_wordings_from_the_sources_are_read_as_their_kind() {
    let cases: &[(&str, EventKind, Option<&str>)] = &[
        (
            "memberlist: UDP handler queue full, dropping message (3)",
            EventKind::HandoffQueueFull,
            None,
        ),
        (
            "memberlist: UDP handler queue full, dropping message (4) from=10.0.0.5:8301",
            EventKind::HandoffQueueFull,
            None,
        ),
        (
            "memberlist: handler queue full, dropping message (3) from=10.0.0.5:8301",
            EventKind::HandoffQueueFull,
            None,
        ),
        (
            "memberlist: Failed ping: a-05 (timeout reached)",
            EventKind::FailedUdpPing,
            Some("a-05"),
        ),
        (
            "memberlist: Refuting an alive message for 'a-01' (10.0.0.1:8301) meta:([1 2] VS [1 3]), vsn:([1 5 2 2 5 4] VS [1 5 2 2 5 4])",
            EventKind::Refuted,
            Some("a-01"),
        ),
        ("serf: EventMemberUpdate: a-05", EventKind::SerfMemberUpdate, Some("a-05")),
        (
            "serf: EventMemberUpdate: a-05 10.0.0.5",
            EventKind::SerfMemberUpdate,
            Some("a-05"),
        ),
        (
            "serf: EventMemberLeave (forced): a-05 10.0.0.5",
            EventKind::SerfMemberLeave,
            Some("a-05"),
        ),
        (
            "serf: EventMemberReap (forced): a-05 10.0.0.5",
            EventKind::SerfReap,
            Some("a-05"),
        ),
        (
            "memberlist: TCP connection from: 10.0.0.5:40428",
            EventKind::StreamConnection,
            None,
        ),
    ];
    for &(line, kind, subject) in cases {
        let p = parse_log_message(line).unwrap_or_else(|| panic!("unread: {line}"));
        assert_eq!(p.kind, kind, "{line}");
        assert_eq!(p.field("subject"), subject, "{line}");
    }
}

/// Lines to read back: every template of every generation rendered from the
/// samples, every template filled in by hand (free text included), and real
/// wordings; each also behind an hclog module, cut short, and with more text.
fn parser_corpus() -> Vec<String> {
    let mut lines = Vec::new();
    for e in samples() {
        for g in GENERATIONS {
            let mut text = String::new();
            if render(&e, OBSERVER, g, &Names, &mut text).is_some() {
                lines.push(text);
            }
        }
    }
    for (k, info) in KINDS.iter().enumerate() {
        let e = samples()
            .into_iter()
            .find(|e| e.kind() == EventKind::ALL[k])
            .unwrap();
        'templates: for tpl in info.log.iter().flat_map(|t| t.iter()) {
            let mut line = tpl.text.to_string();
            while let Some(open) = line.find('{') {
                let close = open + line[open..].find('}').unwrap();
                let key = line[open + 1..close].to_string();
                let value = match key.strip_prefix('*') {
                    Some(_) => "read tcp 10.0.0.10:8301->10.0.1.12:8301: i/o timeout".to_string(),
                    None => match placeholder_text(&e, OBSERVER, &key, &Names) {
                        Some(v) => v,
                        // The sample has no such value (the rendered lines cover it).
                        None => continue 'templates,
                    },
                };
                line.replace_range(open..=close, &value);
            }
            lines.push(line);
        }
    }
    lines.extend(
        [
            "memberlist: Failed ping: a-05 (timeout reached)",
            "memberlist: UDP handler queue full, dropping message (4) from=10.0.0.5:8301",
            "serf: EventMemberReap (forced): a-05 10.0.0.5",
            "consul: member 'a-01' left, deregistering",
            "member joined, marking health alive: member=a-01 partition=default",
            "agent: Synced check 'service:web'",
            "memberlist: something else entirely",
            "serf:  EventMemberJoin: a-01 10.0.0.1",
            "",
        ]
        .map(String::from),
    );
    let mut all = Vec::new();
    for line in lines {
        all.push(format!("agent.server.memberlist.lan: {line}"));
        all.push(format!("{line} and more"));
        all.push(format!("  {line}\t"));
        let cuts: Vec<usize> = (0..line.len())
            .filter(|&i| line.is_char_boundary(i))
            .collect();
        all.extend(cuts.into_iter().map(|i| line[..i].to_string()));
        all.push(line);
    }
    all
}

/// Rule: the parser reads every message exactly as trying every template of
/// the table in its order would (kind, generations in order, severity and
/// fields), though it tries only the wordings that open as the message does.
#[test]
fn the_indexed_parser_reads_every_line_as_trying_every_template_would() {
    let corpus = parser_corpus();
    assert!(corpus.len() > 5_000, "{}", corpus.len());
    for line in &corpus {
        assert_eq!(
            parse_log_message(line),
            parse_trying_every_template(line),
            "{line:?}"
        );
    }
}

/// Rule: a message is matched only against the wordings whose opening words
/// it starts with, each once (not against all ~100 templates of the table):
/// `flapsim diagnose` parses every memberlist/Serf line of a day of logs, and
/// trying the whole table on each was most of its time.
#[test]
fn a_message_is_matched_only_against_the_wordings_that_open_as_it_does() {
    for (line, most) in [
        ("memberlist: Suspect a-01 has failed, no acks received", 1),
        ("serf: EventMemberJoin: a-01 10.0.0.1", 1),
        (
            "agent.server.serf.lan: serf: EventMemberFailed: a-01 10.0.0.1",
            1,
        ),
        ("memberlist: Refuting a suspect message (from: a-01)", 5),
        ("agent: Synced check 'service:web'", 0),
    ] {
        let tried = wordings_tried(line);
        assert!(tried <= most, "{line}: matched against {tried} wordings");
    }
}

/// Rule: a parsed line holds its fields in place, [`MAX_FIELDS`] at most
/// (parsing a line allocates nothing): every template's placeholders and
/// condition fit, so no line of the table is ever refused for want of room.
#[test]
fn every_template_fits_the_fields_a_parsed_line_holds() {
    for info in KINDS {
        for tpl in info.log.iter().flat_map(|t| t.iter()) {
            let fields = tpl.text.matches('{').count() + usize::from(tpl.when.is_some());
            assert!(fields <= MAX_FIELDS, "{}: {fields} fields", tpl.text);
        }
    }
}
