//! The run's charts and report.html as a user gets them from `flapsim run`, and
//! `flapsim chart DIR` redrawing them from the files.
//!
//! Content is checked, not just existence: each PNG decodes at the chart's size and
//! is not one colour; each SVG holds its title, axis labels (with units) and legend
//! entries; the redraw is byte-identical; report.html holds every section and
//! references nothing outside itself.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use flapsim::chart::run::{RunChart, RunChartData, MAX_ROWS};
use flapsim::protocol::SEC;
use flapsim::report::charts::run_chart_data;
use flapsim::scenario::fault::timeline::crash::Crash;
use flapsim::scenario::model::{Action, TimelineEvent};
use flapsim::scenario::Scenario;

use common::flapsim;

fn scratch(name: &str) -> PathBuf {
    common::scratch_dir("charts", name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small sick cluster: a throttled, pausing agent on 2015 memberlist (flaps),
/// a t2.micro out of credits, and a real crash (detection CDFs).
const SICK: &str = "\
name: sick-small
description: Ten nodes, one sluggish agent, one on credits, one crash.
seed: 3
duration: 20m
warmup: 2m
protocol: {preset: memberlist-2015}
cluster:
  groups:
    servers: {count: 3, name: \"s-{:02}\"}
    agents: {count: 7, name: \"a-{:02}\"}
faults:
  - nodes: a-01
    throttle: {run: 10ms, park: 90ms}
  - nodes: a-01
    pause:
      every: {exponential: {mean: 60s}}
      duration: {lognormal: {median: 2s, p95: 8s}}
  - nodes: a-01
    slow: {cost: {uniform: [500us, 3ms]}}
  - nodes: a-01
    starve: {delay: {lognormal: {median: 80ms, p95: 450ms}}}
  - nodes: a-02
    credits: {instance: t2.micro, launch_credits: 0, background_load: 1.0}
timeline:
  - {at: 8m, crash: a-05}
  - {at: 15m, restart: a-01}
timeseries_bin: 10s
";

/// Run SICK into `<scratch>/out` with extra flags; returns the output dir.
fn run_sick(name: &str, extra: &[&str]) -> PathBuf {
    let d = scratch(name);
    std::fs::write(d.join("sick.yaml"), SICK).unwrap();
    let mut args = vec!["run", "sick.yaml", "--out", "out", "-q"];
    args.extend_from_slice(extra);
    let o = flapsim(&args, &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    d.join("out")
}

fn data(dir: &Path) -> RunChartData {
    RunChartData::from_json(&std::fs::read(dir.join("chart-data.json")).unwrap()).unwrap()
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().expect("png header");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Distinct RGB colours in the image (stops counting at 64).
fn colours(rgb: &[u8]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    for px in rgb.chunks(3) {
        seen.insert((px[0], px[1], px[2]));
        if seen.len() >= 64 {
            break;
        }
    }
    seen.len()
}

/// What every chart's SVG must say: its title, its axis descriptions with units,
/// its legend entries, and the subtitle naming scenario, preset and seed.
fn expected_text(chart: RunChart) -> &'static [&'static str] {
    match chart {
        RunChart::Timeline => &[
            "Cluster timeline",
            "time since start (min)",
            "node",
            "alive (held alive by all)",
            "suspect (share of observers)",
            "dead or left (share of observers)",
            "node down (ground truth)",
            "flap episode starts",
            "a-01 (faulty)",
            "crash a-05",
        ],
        RunChart::FlapRate => &[
            "Flap rate over time",
            "flaps per minute",
            "time since start (min)",
            "healthy subjects",
            "faulty or down subjects",
            "parked by CPU cap (%)",
            "CPU credits (credits)",
            "local-health score",
            "a-01",
            "a-02",
        ],
        RunChart::Accusations => &[
            "Who accused whom",
            "accuser (raised the suspicion)",
            "accused (the suspect)",
            "suspicions (count)",
        ],
        RunChart::Blame => &[
            "Blame",
            "count (measured window)",
            "node",
            "suspicions raised",
            "refutations naming it",
        ],
        RunChart::Detection => &[
            "Detection of real crashes",
            "latency after the crash (s)",
            "crashes detected (%)",
            "first suspicion anywhere",
            "first death declaration",
            "every up node holds it dead",
        ],
    }
}

#[test]
fn a_run_writes_every_chart_as_png_and_svg_with_its_content() {
    let out = run_sick("content", &[]);
    let d = data(&out);
    assert!(d.detection.is_some(), "the crash is measured");
    for chart in RunChart::ALL {
        let svg = std::fs::read_to_string(out.join(chart.file_name(true)))
            .unwrap_or_else(|e| panic!("{}: {e}", chart.file_name(true)));
        for want in expected_text(chart)
            .iter()
            .chain(&["sick-small · preset memberlist-2015 · seed 3"])
        {
            assert!(
                svg.contains(want),
                "{} lacks {want:?}",
                chart.file_name(true)
            );
        }
        let png = std::fs::read(out.join(chart.file_name(false))).unwrap();
        let (w, h, rgb) = decode_png(&png);
        assert_eq!((w, h), chart.size(&d), "{}", chart.file_name(false));
        assert!(
            colours(&rgb) > 16,
            "{} is (nearly) one colour",
            chart.file_name(false)
        );
    }
    // The data behind them: the sick agent raised the most suspicions and flapped.
    assert_eq!(d.blame.first().map(|b| b.node.as_str()), Some("a-01"));
    assert!(
        d.flap_rate.healthy_per_min.iter().sum::<f64>() > 0.0,
        "healthy nodes flapped"
    );
    let a01 = d.timeline.rows.iter().find(|r| r.label == "a-01").unwrap();
    assert!(a01.faulty && a01.episodes_total > 0);
    let host = |n: &str| d.flap_rate.hosts.iter().find(|h| h.node == n).unwrap();
    assert!(
        host("a-01").parked_pct.iter().flatten().any(|p| *p > 50.0),
        "a-01 is throttled"
    );
    assert!(
        host("a-02").credits.iter().flatten().count() > 0,
        "a-02 has a credit balance"
    );
}

#[test]
fn chart_dir_redraws_the_runs_svgs_and_report_byte_for_byte() {
    let out = run_sick("redraw", &[]);
    let d = data(&out);
    let mut names: Vec<&str> = RunChart::ALL
        .iter()
        .filter(|c| c.applies(&d))
        .flat_map(|c| [c.file_name(true), c.file_name(false)])
        .collect();
    names.push("report.html");
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(out.join(n)).unwrap())
        .collect();
    for n in &names {
        std::fs::remove_file(out.join(n)).unwrap();
    }
    let o = flapsim(&["chart", "out", "-q"], out.parent().unwrap());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (n, b) in names.iter().zip(&before) {
        let after = std::fs::read(out.join(n)).unwrap_or_else(|e| panic!("{n} not redrawn: {e}"));
        assert!(after == *b, "{n} differs after `flapsim chart`");
    }
}

#[test]
fn report_html_holds_every_section_and_references_nothing_outside() {
    let out = run_sick("report", &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "summary",
        "charts",
        "blame",
        "parameters",
        "scenario",
        "files",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "no section {id}"
        );
    }
    // Every applicable chart is inline, with its title.
    assert_eq!(html.matches("<svg").count(), 5);
    for want in [
        "Cluster timeline",
        "Flap rate over time",
        "Who accused whom",
        "Blame",
        "Detection of real crashes",
        "suspicion_mult",
        "probe_interval_ms",
        "Ten nodes, one sluggish agent",
        "a-01",
        "throttle: {run: 10ms, park: 90ms}",
    ] {
        assert!(html.contains(want), "report.html lacks {want:?}");
    }
    for banned in [
        "http://", "https://", "<script", "<link", "<img", "@import", "url(",
    ] {
        assert!(!html.contains(banned), "report.html holds {banned:?}");
    }
}

#[test]
fn no_charts_skips_them_and_chart_dir_then_says_what_is_missing() {
    let out = run_sick("nocharts", &["--no-charts"]);
    for n in [
        "chart-data.json",
        "report.html",
        "chart-timeline.svg",
        "chart-flap-rate.png",
    ] {
        assert!(!out.join(n).exists(), "{n} written despite --no-charts");
    }
    let o = flapsim(&["chart", "out"], out.parent().unwrap());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chart-data.json"), "{}", stderr(&o));
}

#[test]
fn chart_dir_refuses_a_damaged_or_foreign_data_file() {
    let d = scratch("foreign");
    std::fs::write(d.join("chart-data.json"), "{\"kind\": \"spreadsheet\"}").unwrap();
    let o = flapsim(&["chart", "."], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("spreadsheet"), "{}", stderr(&o));
    std::fs::write(
        d.join("chart-data.json"),
        "{\"kind\": \"run\", \"version\": 1",
    )
    .unwrap();
    let o = flapsim(&["chart", "."], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chart-data.json"), "{}", stderr(&o));
}

/// Rule: a redraw republishes the whole directory, so a run directory that
/// also holds a file of the user's own is bad input (exit 2), said once with
/// the file's name (not as a failure to write, with the directory twice),
/// and the directory is left as it was.
#[test]
fn chart_refuses_a_run_directory_holding_the_users_own_file() {
    let out = run_sick("own-file", &["--outputs", "summary,charts"]);
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    let mut before: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    before.sort();
    let o = flapsim(&["chart", "out"], out.parent().unwrap());
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("out: holds `notes.txt`, which flapsim does not write"),
        "{e}"
    );
    assert!(
        !e.contains("writing") && e.matches("out:").count() == 1,
        "{e}"
    );
    let mut after: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    after.sort();
    assert_eq!(after, before);
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine\n");
}

/// Large clusters: rows are grouped into bands, keeping real crashes, faulty and
/// most-flapped nodes as their own rows; every node is in exactly one row.
#[test]
fn a_large_cluster_timeline_keeps_crashed_nodes_as_rows_and_bands_the_rest() {
    let mut s = Scenario::healthy_cluster(150, 90 * SEC, "memberlist", 5).unwrap();
    s.timeline.push(TimelineEvent {
        at: 30 * SEC,
        action: Action::Crash(Crash(vec![77])),
    });
    let run = common::run_scenario(s);
    let d = run_chart_data(&run.scenario, &run.metrics);
    let rows = &d.timeline.rows;
    assert!(rows.len() <= MAX_ROWS);
    assert_eq!(rows.iter().map(|r| r.members).sum::<usize>(), 150);
    assert_eq!(d.timeline.banded_nodes, 149);
    let crashed = rows
        .iter()
        .find(|r| r.label == "node-00077")
        .expect("crashed node is a row");
    assert_eq!(crashed.members, 1);
    // Down from 30 s of 90 s, and held dead by (nearly) every observer by the end.
    let down = flapsim::chart::run::rle_decode(&crashed.down, d.timeline.columns);
    let dead = flapsim::chart::run::rle_decode(&crashed.dead, d.timeline.columns);
    assert_eq!(down[0], 0);
    assert_eq!(*down.last().unwrap(), 100);
    assert!(
        *dead.last().unwrap() >= 90,
        "dead share at the end: {}",
        dead.last().unwrap()
    );
    assert!(rows
        .iter()
        .any(|r| r.label.starts_with("node-00000…") && r.members > 1));
}

/// Same scenario and seed ⇒ the same chart and report bytes (no clock, no map
/// order, no thread timing on the drawing path).
#[test]
fn charts_and_report_are_deterministic() {
    let a = run_sick("det-a", &[]);
    let b = run_sick("det-b", &[]);
    let d = data(&a);
    let mut names: Vec<&str> = RunChart::ALL
        .iter()
        .filter(|c| c.applies(&d))
        .flat_map(|c| [c.file_name(true), c.file_name(false)])
        .collect();
    names.extend(["chart-data.json", "report.html"]);
    for n in names {
        let (x, y) = (
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
        );
        assert!(
            x == y,
            "{n} differs between two runs of the same scenario and seed"
        );
    }
}

/// Rule: the flap rate of a run shorter than `MIN_BUCKETS` minutes is drawn in
/// that many buckets under a minute (whole time-series bins), and the subtitle
/// says their width in seconds; a longer run keeps 1-minute buckets. (A
/// 2-minute run of a sick 1,000-node cluster drew two steps.)
#[test]
fn a_short_run_draws_its_flap_rate_in_buckets_under_a_minute() {
    let d = scratch("short");
    let short = SICK
        .replace("duration: 20m", "duration: 3m")
        .replace("warmup: 2m", "warmup: 30s")
        .replace("timeseries_bin: 10s", "timeseries_bin: 5s")
        .replace(
            "  - {at: 8m, crash: a-05}\n  - {at: 15m, restart: a-01}\n",
            "  - {at: 1m, crash: a-05}\n",
        );
    std::fs::write(d.join("short.yaml"), &short).unwrap();
    let o = flapsim(&["run", "short.yaml", "--out", "out", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = d.join("out");
    let f = data(&out).flap_rate;
    // 3 min / 12 = 15 s, three 5-s bins.
    assert_eq!(f.bucket_min, 0.25);
    assert_eq!(f.t_min.len(), 12);
    assert_eq!(f.t_min[1], 0.25);
    let svg = std::fs::read_to_string(out.join(RunChart::FlapRate.file_name(true))).unwrap();
    assert!(svg.contains("15-s buckets"), "the subtitle gives the width");

    let long = data(&run_sick("long-buckets", &[])).flap_rate;
    assert_eq!(long.bucket_min, 1.0);
    assert_eq!(long.t_min.len(), 20);
}

/// Rule: every chart-data.json a run writes passes the checks `flapsim chart`
/// applies to it (the checks restate how the data is built, so they must hold
/// at the edges too): a 150-node cluster in bands with a crash, a run of a
/// millisecond whose bucket width rounds to 0 min, and a time-series bin
/// longer than the run.
#[test]
fn chart_data_of_runs_at_the_edges_passes_its_own_checks() {
    let mut banded = Scenario::healthy_cluster(150, 90 * SEC, "memberlist", 5).unwrap();
    banded.timeline.push(TimelineEvent {
        at: 30 * SEC,
        action: Action::Crash(Crash(vec![77])),
    });
    let group = "cluster:\n  groups:\n    g: {count: 4, name: \"n-{}\"}\n";
    let scenarios = [
        banded,
        flapsim::scenario::parse(
            &format!("duration: 1ms\ntimeseries_bin: 1us\n{group}"),
            "ms.yaml",
        )
        .unwrap(),
        flapsim::scenario::parse(
            &format!("duration: 7s\nwarmup: 0s\ntimeseries_bin: 1h\n{group}"),
            "bin.yaml",
        )
        .unwrap(),
    ];
    for s in scenarios {
        let name = s.name.clone();
        let run = common::run_scenario(s);
        let json = run_chart_data(&run.scenario, &run.metrics).to_json();
        if let Err(e) = RunChartData::from_json(&json) {
            panic!("{name}: its own chart data refused: {e}");
        }
    }
}

/// Rule: the timeline's mark labels ("warm-up ends", the scenario's actions)
/// sit in a band above the rows and cover no row: drawn inside the plot,
/// their boxes hid the top rows' cells (the incident's "warm-up ends" covered
/// s-01 from 10 to 19 min, "restart a-01" covered s-02 from 90 to 99 min).
#[test]
fn timeline_mark_labels_sit_above_the_rows_and_hide_no_cell() {
    let out = run_sick("marks", &[]);
    let svg = std::fs::read_to_string(out.join("chart-timeline.svg")).unwrap();
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let rects: Vec<&str> = svg.split("<rect").skip(1).collect();
    // A row's background spans the plot: the alive colour, hundreds of pixels wide.
    let rows_top = rects
        .iter()
        .filter(|r| r.contains("fill=\"#ECF0F4\"") && attr(r, "width") > 300.0)
        .map(|r| attr(r, "y"))
        .fold(f64::INFINITY, f64::min);
    assert!(rows_top.is_finite(), "no row found in the timeline SVG");
    let boxes: Vec<(f64, f64)> = rects
        .iter()
        .filter(|r| r.contains("opacity=\"0.85\"") && r.contains("fill=\"#FFFFFF\""))
        .map(|r| (attr(r, "y"), attr(r, "height")))
        .collect();
    let marks = data(&out).marks.len();
    assert_eq!(
        boxes.len(),
        marks + 1,
        "one label per mark and the warm-up end"
    );
    assert!(marks >= 2, "the scenario crashes a node and restarts one");
    for (y, h) in boxes {
        assert!(
            y + h <= rows_top,
            "a mark label ({y}..{}) covers the rows (from {rows_top})",
            y + h
        );
    }
    for label in ["warm-up ends", "restart a-01"] {
        assert!(svg.contains(label), "{label} drawn");
    }
}
