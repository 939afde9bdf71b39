//! `flapsim run --outputs …` and `--events …` as a user meets them.
//!
//! Rules under test: the chosen files and only they are published; summary.json
//! cannot be left out (it marks the set complete); unknown names exit 2 listing
//! the valid ones; events.jsonl holds no debug-level kind unless `--events debug`,
//! and the digest does not depend on that choice.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::flapsim;

/// A fresh scratch directory holding the scenario (tests run in parallel).
fn scratch(name: &str) -> PathBuf {
    let d = common::scratch_dir("outputs", name);
    std::fs::write(d.join("s.yaml"), SCENARIO).unwrap();
    d
}

/// A crash, so suspicions, push/pulls and failed pings all happen.
const SCENARIO: &str = "\
duration: 2m
cluster:
  groups:
    servers: {count: 4, name: \"s-{:02}\"}
timeline:
  - {at: 1m, crash: s-02}
";

const DEBUG_KINDS: [&str; 3] = ["failed_udp_ping", "push_pull_started", "degraded_probe"];

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn kinds(events_jsonl: &Path) -> Vec<String> {
    std::fs::read_to_string(events_jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["kind"].as_str().unwrap().to_string()
        })
        .collect()
}

fn digest(summary_json: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary_json).unwrap()).unwrap();
    v["digest"].as_str().unwrap().to_string()
}

#[test]
fn outputs_writes_exactly_the_chosen_files() {
    let d = scratch("select");
    let o = flapsim(
        &[
            "run",
            "s.yaml",
            "--out",
            "out",
            "-q",
            "--outputs",
            "summary,timeseries",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&d.join("out")), ["summary.json", "timeseries.csv"]);

    let o = flapsim(
        &[
            "run",
            "s.yaml",
            "--out",
            "out",
            "-q",
            "--outputs",
            "log,summary,charts",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = names(&d.join("out"));
    for want in [
        "summary.json",
        "memberlist.log",
        "chart-data.json",
        "report.html",
    ] {
        assert!(got.iter().any(|n| n == want), "missing {want}: {got:?}");
    }
    for absent in ["events.jsonl", "timeseries.csv"] {
        assert!(
            !got.iter().any(|n| n == absent),
            "{absent} written: {got:?}"
        );
    }
    assert!(got
        .iter()
        .any(|n| n.starts_with("chart-") && n.ends_with(".svg")));
    // report.html lists the files of its own set: memberlist.log (streamed
    // during the run) but not the two left out. On main it listed all four.
    let html = std::fs::read_to_string(d.join("out/report.html")).unwrap();
    let files = &html[html.rfind("Files of this run").expect("files section")..];
    assert!(files.contains("memberlist.log"), "{files}");
    for absent in ["events.jsonl", "timeseries.csv"] {
        assert!(!files.contains(absent), "report.html lists {absent}");
    }
    // `flapsim chart out` redraws the same page.
    let before = std::fs::read(d.join("out/report.html")).unwrap();
    let o = flapsim(&["chart", "out", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("out/report.html")).unwrap(), before);
}

#[test]
fn outputs_without_summary_is_refused_and_writes_nothing() {
    let d = scratch("nosummary");
    let o = flapsim(
        &[
            "run",
            "s.yaml",
            "--out",
            "out",
            "--outputs",
            "events,timeseries",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("--outputs must include summary"), "{e}");
    assert!(
        !d.join("out").exists(),
        "wrote output for a refused selection"
    );
}

/// Rule: a run replaces its `--out` directory as a set, so it replaces only a
/// directory holding nothing but flapsim's own files, known by name. A
/// directory of the user's own logs, JSON and CSV files (the extensions runs
/// write, not their names) is refused with exit 2 and left as it was.
#[test]
fn a_directory_of_the_users_own_logs_json_and_csv_is_refused_not_replaced() {
    let d = scratch("users-files");
    let mine = d.join("mine");
    std::fs::create_dir(&mine).unwrap();
    let files = [
        ("app.log", "2026/12/01 my own log\n"),
        ("config.json", "{\"mine\": 1}\n"),
        ("data.csv", "a,b\n1,2\n"),
        ("plot.png", "not really a png"),
    ];
    for (name, text) in files {
        std::fs::write(mine.join(name), text).unwrap();
    }
    let o = flapsim(
        &[
            "run",
            "s.yaml",
            "--out",
            "mine",
            "--outputs",
            "summary",
            "-q",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("mine") && e.contains("which flapsim does not write"),
        "{e}"
    );
    let mut expected: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
    expected.sort();
    assert_eq!(names(&mine), expected);
    for (name, text) in files {
        assert_eq!(std::fs::read_to_string(mine.join(name)).unwrap(), text);
    }

    // A directory a run wrote is still replaced by the next run.
    let out = d.join("out");
    for outputs in ["summary,timeseries,events,log,charts", "summary"] {
        let o = flapsim(
            &["run", "s.yaml", "--out", "out", "--outputs", outputs, "-q"],
            &d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(names(&out), ["summary.json"]);
}

#[test]
fn unknown_output_name_exits_2_listing_the_valid_ones() {
    let d = scratch("unknown");
    let o = flapsim(
        &["run", "s.yaml", "--out", "out", "--outputs", "summary,csv"],
        &d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("csv"), "{e}");
    for valid in ["summary", "timeseries", "events", "log", "charts"] {
        assert!(e.contains(valid), "{valid} not listed: {e}");
    }
    assert!(!d.join("out").exists());
}

#[test]
fn debug_events_are_opt_in_and_leave_the_digest_alone() {
    let d = scratch("levels");
    let base = ["run", "s.yaml", "-q", "--outputs", "summary,events"];
    let o = flapsim(&[&base[..], &["--out", "info"]].concat(), &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = flapsim(
        &[&base[..], &["--out", "debug", "--events", "debug"]].concat(),
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let info = kinds(&d.join("info/events.jsonl"));
    let debug = kinds(&d.join("debug/events.jsonl"));
    assert!(
        !info.iter().any(|k| DEBUG_KINDS.contains(&k.as_str())),
        "{info:?}"
    );
    for k in ["failed_udp_ping", "push_pull_started"] {
        assert!(
            debug.iter().any(|d| d == k),
            "{k} missing with --events debug"
        );
    }
    assert!(info.iter().any(|k| k == "member_down"), "{info:?}");
    // The default file is the debug file minus the debug kinds, in the same order.
    let filtered: Vec<&String> = debug
        .iter()
        .filter(|k| !DEBUG_KINDS.contains(&k.as_str()))
        .collect();
    assert_eq!(info.iter().collect::<Vec<_>>(), filtered);
    assert_eq!(
        digest(&d.join("info/summary.json")),
        digest(&d.join("debug/summary.json"))
    );
    // Everything but the file's content is unchanged: summary.json is identical.
    assert_eq!(
        std::fs::read(d.join("info/summary.json")).unwrap(),
        std::fs::read(d.join("debug/summary.json")).unwrap()
    );
}

/// Rule: `wire.csv` is written only when `--outputs` lists it (a sick run puts
/// millions of messages on the wire), leaves the digest alone, and holds each
/// message as it leaves and as its receiver handles it: probes of the crashed
/// node still leave but are no longer handled, and the survivors' suspicions of
/// it travel as `suspect` rows naming the accuser.
#[test]
fn wire_csv_is_opt_in_and_shows_each_message_sent_and_handled() {
    let d = scratch("wire");
    let o = flapsim(&["run", "s.yaml", "--out", "all", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!names(&d.join("all")).iter().any(|n| n == "wire.csv"));
    let o = flapsim(
        &[
            "run",
            "s.yaml",
            "--out",
            "w",
            "-q",
            "--outputs",
            "summary,wire",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&d.join("w")), ["summary.json", "wire.csv"]);
    assert_eq!(
        digest(&d.join("w/summary.json")),
        digest(&d.join("all/summary.json"))
    );

    let text = std::fs::read_to_string(d.join("w/wire.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("t,event,from,to,transport,message,subject,incarnation,accuser")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 1000, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r.len() == 9), "a row without 9 fields");
    let t = |r: &Vec<&str>| r[0].parse::<f64>().expect("t in seconds");
    let crashed = |r: &&Vec<&str>| t(r) > 60.5 && r[3] == "s-02";
    let after: Vec<&Vec<&str>> = rows.iter().filter(crashed).collect();
    assert!(after.iter().any(|r| r[1] == "sent" && r[5] == "ping"));
    assert!(
        !after.iter().any(|r| r[1] == "handled"),
        "the crashed node handled a packet"
    );
    assert!(rows.iter().any(|r| t(r) > 60.0
        && r[5] == "suspect"
        && r[6] == "s-02"
        && r[8].starts_with("s-0")
        && r[8] != "s-02"));
    // Every handled UDP ping was sent first, with the same endpoints.
    let count = |event: &str| {
        rows.iter()
            .filter(|r| r[1] == event && r[4] == "udp" && r[5] == "ping")
            .count()
    };
    assert!(count("handled") <= count("sent") && count("handled") > 100);
}

/// Rule: `flapsim bench --outputs` measures the same work as `flapsim run`:
/// on the workload `--print-scenario` prints, it publishes the same files,
/// byte for byte apart from the run's wall-clock figures, and its line names
/// the run's digest. A selection without summary is refused as `run` refuses
/// it, before anything runs.
#[test]
fn bench_outputs_are_the_runs_outputs() {
    let d = common::scratch_dir("outputs", "bench");
    let workload = [
        "bench",
        "--nodes",
        "30",
        "--duration",
        "40s",
        "--starved",
        "10%",
    ];
    let o = flapsim(&[&workload[..], &["--print-scenario"]].concat(), &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(d.join("w.yaml"), &o.stdout).unwrap();
    let list = "summary,timeseries,events,log,charts";
    let o = flapsim(&["run", "w.yaml", "--outputs", list, "--out", "run"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = flapsim(
        &[
            &workload[..],
            &["--repeat", "2", "--outputs", list, "--out", "bench"],
        ]
        .concat(),
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let expected = format!("digest {}", digest(&d.join("run/summary.json")));
    assert_eq!(text.matches(&expected).count(), 2, "{text}");
    assert!(text.contains("with outputs"), "{text}");
    assert_eq!(names(&d.join("bench")), names(&d.join("run")));
    let read = |dir: &str, f: &str| std::fs::read(d.join(dir).join(f)).unwrap();
    for f in ["events.jsonl", "memberlist.log", "timeseries.csv"] {
        assert!(read("run", f) == read("bench", f), "{f} differs");
    }
    // The charts' data, but for the scenario's text: a file for `run`, built
    // in code for `bench`.
    let chart_data = |dir: &str| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&read(dir, "chart-data.json")).unwrap();
        v.as_object_mut().unwrap().remove("scenario_text");
        v
    };
    assert_eq!(chart_data("run"), chart_data("bench"));

    let o = flapsim(&[&workload[..], &["--outputs", "timeseries"]].concat(), &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--outputs must include summary"));
    assert!(o.stdout.is_empty(), "ran before refusing");
}
