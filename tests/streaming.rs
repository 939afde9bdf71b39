//! events.jsonl and memberlist.log are written while the run goes (issue 12):
//! the streamed files must be byte-identical to the in-memory writers' output,
//! and a streaming run keeps only the records the charts read (none without
//! charts), so its memory does not grow with the size of those files.

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use flapsim::batch::simulate::{simulate, simulate_streaming, Keep};
use flapsim::metrics::{timeline, Metrics};
use flapsim::report::stream::Streams;
use flapsim::report::{Format, Level, Publisher};
use flapsim::scenario::{self, CliOverrides, Scenario};

fn load(file: &str, log_all: bool) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let mut s = scenario::load_with(&path, &CliOverrides::default()).expect("loads");
    if log_all {
        s.log_observers.clear();
    }
    s
}

/// Stream `formats` of a run of `s` into `dir`; the kept records' count.
fn stream_run(
    s: &Scenario,
    dir: &Path,
    formats: &[Format],
    keep: Keep,
) -> flapsim::metrics::Metrics {
    let never = AtomicBool::new(false);
    let mut publisher = Publisher::begin(dir, Arc::new(AtomicBool::new(false))).unwrap();
    let mut streams = Streams::open(&mut publisher, s, formats, false).unwrap();
    let m = simulate_streaming(s, u64::MAX, &never, &mut |_| {}, &mut streams, keep)
        .unwrap_or_else(|_| panic!("run stops"))
        .metrics;
    streams.finish(&mut publisher).unwrap();
    publisher.commit().unwrap();
    m
}

/// Rule: streamed events.jsonl (info and debug) and memberlist.log (one, some
/// or every observer) equal the in-memory writers' bytes.
#[test]
fn streamed_files_equal_the_in_memory_writers() {
    for (file, log_all) in [
        ("qiita-2015-sick-t2.yaml", false),
        ("lossy-nic.yaml", true),
        ("crash-detection.yaml", false),
    ] {
        let s = load(file, log_all);
        let all = simulate(&s, u64::MAX, &AtomicBool::new(false), &mut |_| {})
            .unwrap_or_else(|_| panic!("run stops"))
            .metrics;
        for level in [Level::Info, Level::Debug] {
            let formats = [Format::Events(level), Format::MemberlistLog(level)];
            let dir = common::scratch_dir("streaming", &format!("{file}-{level:?}")).join("out");
            let kept = stream_run(&s, &dir, &formats, Keep::Nothing);
            assert!(kept.events.is_empty(), "{file}: Keep::Nothing kept records");
            for f in formats {
                let streamed = std::fs::read(dir.join(f.file_name())).unwrap();
                let in_memory = f.render(&s, &all);
                assert!(!in_memory.is_empty() || f.file_name() == "memberlist.log");
                assert!(
                    streamed == in_memory,
                    "{file} {level:?}: streamed {} differs from the in-memory writer",
                    f.file_name()
                );
            }
            // Everything else a run measures is the same.
            assert_eq!(kept.digest, all.digest);
            assert_eq!(
                Format::Summary.render(&s, &kept),
                Format::Summary.render(&s, &all)
            );
        }
    }
}

/// Rule: a run whose outputs read no records (summary and time series only:
/// `--outputs summary,timeseries`, every batch run by default) measures
/// without making them, and its summary, time series and digest are those of
/// the run that keeps every record.
#[test]
fn a_run_that_reads_no_records_measures_the_same() {
    for file in [
        "qiita-2015-sick-t2.yaml",
        "lossy-nic.yaml",
        "crash-detection.yaml",
    ] {
        let s = load(file, false);
        let all = simulate(&s, u64::MAX, &AtomicBool::new(false), &mut |_| {})
            .unwrap_or_else(|_| panic!("run stops"))
            .metrics;
        assert!(
            !all.events.is_empty(),
            "{file}: the reference keeps its records"
        );
        let dir = common::scratch_dir("streaming", &format!("{file}-no-records")).join("out");
        let lean = stream_run(
            &s,
            &dir,
            &[Format::Summary, Format::Timeseries],
            Keep::Nothing,
        );
        assert!(lean.events.is_empty(), "{file}");
        assert_eq!(lean.digest, all.digest, "{file}");
        for f in [Format::Summary, Format::Timeseries] {
            assert!(
                f.render(&s, &lean) == f.render(&s, &all),
                "{file}: {} differs without records",
                f.file_name()
            );
        }
    }
}

/// Rule: with charts, a streaming run keeps exactly the records the charts'
/// post-passes read, and the chart data is the same as from every record.
#[test]
fn chart_inputs_are_all_the_charts_need() {
    let s = load("qiita-2015-sick-t2.yaml", false);
    let all = simulate(&s, u64::MAX, &AtomicBool::new(false), &mut |_| {})
        .unwrap_or_else(|_| panic!("run stops"))
        .metrics;
    let dir = common::scratch_dir("streaming", "chart-inputs").join("out");
    let kept = stream_run(&s, &dir, &[Format::Events(Level::Info)], Keep::ChartInputs);
    let want: Vec<_> = all.events.iter().filter(|r| timeline::reads(r)).collect();
    assert!(!want.is_empty() && want.len() < all.events.len());
    assert_eq!(kept.events.iter().collect::<Vec<_>>(), want);
    assert_eq!(
        Format::ChartData.render(&s, &kept),
        Format::ChartData.render(&s, &all)
    );
}

/// An interrupted streaming run publishes nothing: the staging directory with
/// the half-written files goes away when the publisher is dropped.
#[test]
fn an_unfinished_streaming_run_publishes_nothing() {
    let s = load("crash-detection.yaml", false);
    let parent = common::scratch_dir("streaming", "unfinished");
    let dir = parent.join("out");
    {
        let mut publisher = Publisher::begin(&dir, Arc::new(AtomicBool::new(false))).unwrap();
        let mut streams =
            Streams::open(&mut publisher, &s, &[Format::Events(Level::Debug)], false).unwrap();
        let stop = AtomicBool::new(false);
        let mut calls = 0;
        let r = simulate_streaming(
            &s,
            u64::MAX,
            &stop,
            &mut |_| {
                calls += 1;
                if calls == 3 {
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            },
            &mut streams,
            Keep::Nothing,
        );
        assert!(r.is_err(), "the run was stopped");
    }
    assert!(!dir.exists());
    let left: Vec<_> = std::fs::read_dir(&parent).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "{:?}",
        left.iter().map(|e| e.file_name()).collect::<Vec<_>>()
    );
}

/// A streaming run of `s` into `dir` that spills the chart inputs, finished
/// but not committed: the records are still in their scratch file.
fn spilled_run(s: &Scenario, dir: &Path, streamed: &[Format]) -> (Publisher, Metrics) {
    let never = AtomicBool::new(false);
    let mut publisher = Publisher::begin(dir, Arc::new(AtomicBool::new(false))).unwrap();
    let mut streams = Streams::open(&mut publisher, s, streamed, true).unwrap();
    let mut m = simulate_streaming(
        s,
        u64::MAX,
        &never,
        &mut |_| {},
        &mut streams,
        Keep::Nothing,
    )
    .unwrap_or_else(|_| panic!("run stops"))
    .metrics;
    assert!(m.events.is_empty(), "a streaming run keeps no records");
    m.spilled = streams.finish(&mut publisher).unwrap();
    (publisher, m)
}

/// Rule: the chart inputs spilled to disk during the run read back as exactly
/// the records the charts read, and the scratch file is not published.
#[test]
fn spilled_chart_inputs_read_back_exactly_and_are_not_published() {
    let s = load("qiita-2015-sick-t2.yaml", false);
    let all = simulate(&s, u64::MAX, &AtomicBool::new(false), &mut |_| {})
        .unwrap_or_else(|_| panic!("run stops"))
        .metrics;
    let dir = common::scratch_dir("streaming", "spill").join("out");
    let (mut publisher, m) = spilled_run(&s, &dir, &[Format::Events(Level::Info)]);
    // The charts read the records from the scratch file, in passes, until the
    // set is committed.
    let want: Vec<_> = all.events.iter().copied().filter(timeline::reads).collect();
    let mut read = Vec::new();
    m.for_each_record(|r| read.push(*r));
    assert_eq!(read, want);
    assert_eq!(m.record_count(), want.len());
    assert!(m.events.is_empty(), "the records stay in the file");
    assert_eq!(
        Format::ChartData.render(&s, &m),
        Format::ChartData.render(&s, &all)
    );
    assert_eq!(m.spill_failure(), None);
    publisher
        .add(
            "summary.json",
            flapsim::report::Content::Bytes(Format::Summary.render(&s, &m)),
        )
        .unwrap();
    publisher.commit().unwrap();
    let mut published: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    published.sort();
    assert_eq!(published, ["events.jsonl", "summary.json"]);
}

/// Rule: charts drawn from spilled records whose file failed to read (here:
/// removed under the run) are never published: the set is refused, naming
/// the file, instead of charts that silently miss records.
#[test]
fn a_failed_pass_over_spilled_records_publishes_nothing() {
    let s = load("crash-detection.yaml", false);
    let dir = common::scratch_dir("streaming", "spill-failure").join("out");
    let (publisher, m) = spilled_run(&s, &dir, &[]);
    assert!(m.record_count() > 0);
    let scratch: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .flatten()
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".scratch"))
        .collect();
    assert_eq!(scratch.len(), 1, "{scratch:?}");
    std::fs::remove_file(&scratch[0]).unwrap();
    let err =
        flapsim::report::write_all_into(publisher, &[Format::ChartData, Format::Summary], &s, &m)
            .unwrap_err();
    assert!(err.to_string().contains(".scratch"), "{err}");
    assert!(!dir.exists(), "nothing published");
}
