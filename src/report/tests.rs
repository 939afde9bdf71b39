//! Report rules: stable summary fields, exact log texts per preset, the events and
//! CSV shapes, civil dates, and atomic writes.

use std::io::{self, Write};
use std::path::PathBuf;

use super::log::{civil_from_days, days_from_civil, wall};
use super::*;
use crate::engine::{HostSample, Observer, PacketKind, Truth};
use crate::metrics::testutil::scenario;
use crate::metrics::Collector;
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, State, SEC};

const T: u64 = 100 * SEC;

/// Names as in the incident: a-01 is the sick accuser, web-07 its victim.
fn incident(preset: &str) -> (Scenario, Metrics) {
    let sc = scenario(&["a-01", "web-07", "db-02"], preset);
    let lifeguard = sc.protocol.is_lifeguard();
    let mut c = Collector::new(&sc);
    c.truth(T - SEC, 0, Truth::Degraded(true));
    c.sent(T, 0, 1, PacketKind::Ping, 60);
    c.host_sample(
        T,
        0,
        HostSample {
            credits: Some(0.0),
            parked_fraction: 0.9,
            health_score: 0,
        },
    );
    c.protocol(T + 2 * SEC + 5, 0, &Event::FailedUdpPing { subject: 1 });
    c.protocol(
        T + 2 * SEC + 10,
        0,
        &Event::SuspectNoAcks {
            subject: 1,
            incarnation: 1,
            probe_started: 0,
        },
    );
    c.protocol(
        T + 3 * SEC,
        1,
        &Event::Refuted {
            kind: RefuteKind::Suspect,
            from: 0,
            accused_incarnation: 1,
            incarnation: 2,
        },
    );
    c.protocol(
        T + 12 * SEC,
        2,
        &Event::SuspicionExpired {
            subject: 1,
            confirmations: lifeguard.then_some(0),
            degraded: lifeguard,
        },
    );
    c.protocol(
        T + 12 * SEC,
        2,
        &Event::MemberDown {
            subject: 1,
            incarnation: 1,
            from: 0,
            state: State::Dead,
        },
    );
    c.protocol(T + 12 * SEC, 2, &Event::SerfMemberFailed { subject: 1 });
    c.protocol(
        T + 14 * SEC,
        2,
        &Event::MemberUp {
            subject: 1,
            incarnation: 2,
            rejoin: true,
        },
    );
    c.protocol(T + 14 * SEC, 2, &Event::SerfMemberJoin { subject: 1 });
    let m = c.finish(3600 * SEC, 0x00ab_cdef_0123_4567);
    (sc, m)
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).expect("utf-8")
}

#[test]
fn summary_json_has_every_stable_field() {
    // Rule: summary.json always carries the stable top-level names scripts rely on,
    // with the digest as 16 hex digits and detection null without crashes.
    let (sc, m) = incident("memberlist-2015");
    let v: serde_json::Value = serde_json::from_slice(&summary_json(&sc, &m)).unwrap();
    for f in STABLE_FIELDS {
        assert!(v.get(*f).is_some(), "missing stable field `{f}`");
    }
    assert_eq!(v["digest"], "00abcdef01234567");
    assert_eq!(v["seed"], 42);
    assert_eq!(v["flaps"], 1);
    assert_eq!(v["flap_episodes"], 1);
    assert_eq!(v["fp_total"], 1);
    assert_eq!(v["fp_healthy"], 1);
    assert_eq!(v["blame"][0]["node"], "a-01");
    assert_eq!(v["blame"][0]["suspicions_raised"], 1);
    assert_eq!(v["blame"][0]["refutations_naming"], 1);
    assert_eq!(v["blame"][0]["suspicion_share"], 1.0);
    for k in ["first_suspect_s", "first_dead_s", "full_dissemination_s"] {
        assert!(
            v["detection"][k].is_null(),
            "{k} must be null without crashes"
        );
    }
    assert!(v["load"]["msgs_per_node_s"].is_number());
    assert!(v["load"]["bytes_per_node_s"].is_number());
    assert_eq!(v["rejoin_s"]["median"], 2.0);
    assert_eq!(v["protocol"]["probe_timeout_ms"], 500.0);
    assert_eq!(v["protocol"]["serf_flap_timeout_s"], 60.0);
    assert_eq!(v["overrides"][0]["field"], "probe_timeout");
}

#[test]
fn summary_json_is_deterministic() {
    // Rule: the same run renders byte-identical outputs.
    let (sc, m) = incident("memberlist");
    for f in Format::ALL {
        assert_eq!(f.render(&sc, &m), f.render(&sc, &m), "{}", f.file_name());
    }
}

#[test]
fn memberlist_log_matches_2015_texts() {
    // Rule: the 2015 preset prints Consul 0.5.2 lines dated from 2015-09-29 with no
    // "(N peer confirmations)", a name prefix per observer when several share the file,
    // and no DEBUG lines at the default INFO level.
    let (sc, m) = incident("memberlist-2015");
    let log = text(Format::MemberlistLog(Level::Info).render(&sc, &m));
    let expected = "\
a-01:     2015/09/29 00:01:42 [INFO] memberlist: Suspect web-07 has failed, no acks received
web-07:     2015/09/29 00:01:43 [WARN] memberlist: Refuting a suspect message (from: a-01)
db-02:     2015/09/29 00:01:52 [INFO] memberlist: Marking web-07 as failed, suspect timeout reached
db-02:     2015/09/29 00:01:52 [INFO] serf: EventMemberFailed: web-07 10.0.1.11
db-02:     2015/09/29 00:01:54 [INFO] serf: EventMemberJoin: web-07 10.0.1.11
";
    assert_eq!(log, expected);
    // 2015's probeNode logs no "Failed UDP ping" (only its `Ping` API does), even
    // at DEBUG, although the fact is counted (see the metrics test).
    let debug = text(Format::MemberlistLog(Level::Debug).render(&sc, &m));
    assert!(!debug.contains("Failed UDP ping"), "{debug}");
    assert_eq!(m.totals.failed_udp_pings, 1);
    let (sc, m) = incident("memberlist");
    let debug = text(Format::MemberlistLog(Level::Debug).render(&sc, &m));
    assert!(debug.contains(
        "a-01:     2026/01/01 00:01:42 [DEBUG] memberlist: Failed UDP ping: web-07 (timeout reached)\n"
    ));
}

#[test]
fn memberlist_log_matches_lifeguard_texts_for_one_observer() {
    // Rule: Lifeguard presets date from 2026-01-01 and print the confirmation count;
    // a single observer's file has no name prefix (exact Consul framing) and
    // opens with the agent's start-up banner, which names the node.
    let (mut sc, m) = incident("memberlist");
    sc.log_observers = vec![2];
    let log = text(Format::MemberlistLog(Level::Info).render(&sc, &m));
    let expected = "==> Consul agent running!
         Node name: 'db-02'
      Cluster Addr: 10.0.1.12 (LAN: 8301, WAN: 8302)

==> Log data will now stream in as it occurs:

    2026/01/01 00:01:52 [INFO] memberlist: Marking web-07 as failed, suspect timeout reached (0 peer confirmations)
    2026/01/01 00:01:52 [INFO] serf: EventMemberFailed: web-07 10.0.1.11
    2026/01/01 00:01:54 [INFO] serf: EventMemberJoin: web-07 10.0.1.11
";
    assert_eq!(log, expected);
}

#[test]
fn civil_dates_round_trip() {
    // Rule: the log clock uses our own civil-date arithmetic (no system clock).
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2015, 9, 29), 16_707);
    assert_eq!(days_from_civil(2026, 1, 1), 20_454);
    for z in [-1000, 0, 16_707, 20_454, 20_513, 100_000] {
        let (y, m, d) = civil_from_days(z);
        assert_eq!(days_from_civil(y, m, d), z);
    }
    assert_eq!(civil_from_days(days_from_civil(2016, 2, 29)), (2016, 2, 29));
    let epoch = days_from_civil(2015, 9, 29) * 86_400;
    assert_eq!(
        wall(epoch, (86_400 + 2 * 3600 + 61) * SEC + 999),
        "2015/09/30 02:01:01"
    );
}

#[test]
fn events_jsonl_has_one_object_per_event_with_exact_time() {
    // Rule: events.jsonl has one JSON object per protocol event and truth change, with
    // t exact to the ns, the warm-up mark, names for nodes and the FP classification.
    let (sc, m) = incident("memberlist-2015");
    let out = text(Format::Events(Level::Debug).render(&sc, &m));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), m.events.len());
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["kind"], "truth");
    assert_eq!(first["truth"], "degraded");
    assert_eq!(first["subject"], "a-01");
    assert!(lines[2].starts_with(r#"{"t":102.000000010,"warmup":false,"observer":"a-01","kind":"suspect_no_acks","subject":"web-07","incarnation":1"#), "{}", lines[2]);
    let down = lines.iter().find(|l| l.contains("member_down")).unwrap();
    let v: serde_json::Value = serde_json::from_str(down).unwrap();
    assert_eq!(v["state"], "dead");
    assert_eq!(v["fp"], true);
    assert_eq!(v["from"], "a-01");
    for l in &lines {
        serde_json::from_str::<serde_json::Value>(l).expect("valid JSON line");
    }
}

#[test]
fn events_jsonl_leaves_debug_kinds_out_unless_asked() {
    // Rule: the default events.jsonl (Info) holds every truth change and every
    // non-debug event, in order; failed_udp_ping, push_pull_started and
    // degraded_probe are written only at Debug.
    let (sc, m) = incident("memberlist");
    let debug_kinds = ["failed_udp_ping", "push_pull_started", "degraded_probe"];
    let kinds = |level| -> Vec<String> {
        text(Format::Events(level).render(&sc, &m))
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
            .map(|k| k.trim_matches('"').to_string())
            .collect()
    };
    let (info, debug) = (kinds(Level::Info), kinds(Level::Debug));
    assert!(debug.iter().any(|k| k == "failed_udp_ping"), "{debug:?}");
    let expected: Vec<String> = debug
        .iter()
        .filter(|k| !debug_kinds.contains(&k.as_str()))
        .cloned()
        .collect();
    assert_eq!(info, expected);
    assert!(info.iter().any(|k| k == "truth") && info.iter().any(|k| k == "member_down"));
    for ev in [
        Event::FailedUdpPing { subject: 1 },
        Event::PushPullStarted {
            peer: 1,
            join: false,
        },
        Event::DegradedProbe,
    ] {
        assert_eq!(ev.info().level, Level::Debug);
    }
}

#[test]
fn timeseries_csv_has_header_and_one_row_per_bin() {
    // Rule: timeseries.csv has a header and one row per bin, with per-node host columns
    // for nodes that report host samples.
    let (sc, m) = incident("memberlist-2015");
    let out = text(Format::Timeseries.render(&sc, &m));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 3600);
    assert!(lines[0].starts_with("t_s,warmup,suspicions,declarations,fp,fp_healthy,flaps,"));
    assert!(lines[0].ends_with(",credits_a-01,parked_a-01,health_a-01"));
    let cols = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == cols));
    assert!(lines[1].starts_with("0,1,"), "warm-up marked: {}", lines[1]);
    assert!(
        lines[101].starts_with("100,0,0,0,0,0,0,0,1,60,"),
        "{}",
        lines[101]
    );
    assert!(
        lines[100].ends_with(",0,0.9,0"),
        "sample at 100 s describes bin 99: {}",
        lines[100]
    );
}

#[test]
fn human_summary_names_the_culprit() {
    // Rule: the stdout summary carries the run identity and a blame table with a hint.
    let (sc, m) = incident("memberlist-2015");
    let h = human_summary(&sc, &m);
    assert!(h.contains("digest     00abcdef01234567"));
    assert!(h.contains("the top accuser is the node whose probes fail"));
    let row = h
        .lines()
        .find(|l| l.trim_start().starts_with("a-01"))
        .unwrap();
    assert!(row.contains("100.0%"), "{row}");
    assert!(h.contains("detection  no crashes"));
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flapsim-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn atomic_write_leaves_no_tmp_and_never_a_partial_file() {
    // Rule: an atomic write leaves no `.tmp` behind; a write that fails midway leaves
    // the previous file untouched and removes its temporary.
    let dir = scratch("atomic");
    let path = dir.join("summary.json");
    write_atomic(&path, b"old complete\n").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"old complete\n");
    assert!(!atomic::tmp_path(&path).exists());
    let err = write_atomic_with(&path, |w: &mut dyn Write| {
        w.write_all(b"half of the new")?;
        Err(io::Error::other("interrupted"))
    });
    assert!(err.is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"old complete\n",
        "old file intact"
    );
    assert!(!atomic::tmp_path(&path).exists(), "temporary removed");
    // A stale .tmp from a killed run is simply overwritten.
    std::fs::write(atomic::tmp_path(&path), b"stale").unwrap();
    write_atomic(&path, b"new\n").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
    assert!(!atomic::tmp_path(&path).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_all_writes_every_format_and_summary_last() {
    // Rule: write_all writes each requested file atomically, summary.json last.
    let (sc, m) = incident("memberlist-2015");
    let dir = scratch("all");
    let paths = write_all(&dir.join("out"), &Format::ALL, &sc, &m).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "events.jsonl",
            "memberlist.log",
            "timeseries.csv",
            "summary.json"
        ]
    );
    let leftovers = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A long run's flap-episode marks are thinned evenly over the whole run, not
/// cut after the first 200 (on main the timeline's marks stopped part-way).
#[test]
fn episode_marks_are_thinned_over_the_whole_run() {
    use crate::chart::run::MAX_EPISODE_MARKS;
    let marks: Vec<f64> = (0..1000).rev().map(|i| i as f64).collect();
    let thin = super::charts::thin_marks(marks);
    assert_eq!(thin.len(), MAX_EPISODE_MARKS);
    assert_eq!(thin[0], 0.0);
    assert!(*thin.last().unwrap() >= 995.0, "{:?}", thin.last());
    assert!(thin.windows(2).all(|w| w[0] < w[1]));
    let few = super::charts::thin_marks(vec![3.0, 1.0, 2.0]);
    assert_eq!(few, [1.0, 2.0, 3.0]);
}
