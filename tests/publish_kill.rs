//! A run's outputs are published as one set (issue 11, defects 3 and 4): a
//! `kill -9`, SIGINT or SIGTERM at ANY step of the publication — each file
//! creation, each completed file, the swap, each removal of the old set —
//! leaves the output directory holding exactly the complete old set or exactly
//! the complete new set, byte for byte, and nothing else.
//!
//! The binary's test hook `FLAPSIM_TEST_FAULT=N:SIGNAL` makes it send itself
//! the signal at step N (see `report::publish`); the test walks N over every
//! step until a run completes untouched. A tiny scenario keeps it fast.
//!
//! On main (files renamed one by one, summary.json last) a kill between the
//! renames left new events beside the old summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TINY: &str = "duration: 3s\ncluster:\n  groups:\n    g: {count: 3, name: \"n-{}\"}\ntimeline:\n  - {at: 1s, crash: n-2}\n";

type Set = BTreeMap<String, Vec<u8>>;

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kill-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn run(cwd: &Path, out: &str, seed: &str, fault: Option<String>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flapsim"));
    c.args(["run", "s.yaml", "-q", "--out", out, "--seed", seed])
        .current_dir(cwd);
    match fault {
        Some(f) => c.env("FLAPSIM_TEST_FAULT", f),
        None => c.env_remove("FLAPSIM_TEST_FAULT"),
    };
    c.output().expect("run flapsim")
}

/// Every entry of `dir` with its bytes (a subdirectory or link would fail).
fn contents(dir: &Path) -> Set {
    let mut set = Set::new();
    for e in std::fs::read_dir(dir).expect("output dir exists").flatten() {
        let t = e.file_type().unwrap();
        assert!(t.is_file(), "{:?} is not a regular file", e.path());
        set.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path()).unwrap(),
        );
    }
    set
}

fn names(set: &Set) -> Vec<&str> {
    set.keys().map(String::as_str).collect()
}

/// Entries beside the output directory other than the inputs (and the lock
/// file a killed writer leaves, unlocked).
fn leftovers(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "s.yaml" && n != "out" && !n.ends_with(".flapsim-lock"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_kill_or_signal_at_every_publication_step_leaves_the_old_or_the_new_set() {
    let d = scratch("every-step");
    std::fs::write(d.join("s.yaml"), TINY).unwrap();
    assert!(run(&d, "new", "2", None).status.success());
    let new = contents(&d.join("new"));
    assert!(run(&d, "out", "1", None).status.success());
    let old = contents(&d.join("out"));
    assert_eq!(names(&old), names(&new));
    assert_ne!(
        old, new,
        "seeds 1 and 2 must differ for this test to mean anything"
    );
    // The whole default set: summary, events, log, time series, chart data,
    // five charts as SVG and PNG (TINY has a crash: the detection chart too)
    // and report.html. Every one of them is checked at every step below.
    assert_eq!(names(&old).len(), 16, "{:?}", names(&old));

    for (signal, code) in [("kill", None), ("int", Some(130)), ("term", Some(143))] {
        let (mut saw_old, mut saw_new) = (0, 0);
        let mut step = 1;
        loop {
            assert!(step < 100, "publication never completed");
            // Start from the complete old set (deterministic: same bytes).
            let _ = std::fs::remove_dir_all(d.join("out"));
            assert!(run(&d, "out", "1", None).status.success());
            assert_eq!(contents(&d.join("out")), old);

            let o = run(&d, "out", "2", Some(format!("{step}:{signal}")));
            let now = contents(&d.join("out"));
            let which = if now == old {
                saw_old += 1;
                "old"
            } else if now == new {
                saw_new += 1;
                "new"
            } else {
                panic!(
                    "{signal} at step {step}: a mix: {:?} (stderr: {})",
                    names(&now),
                    String::from_utf8_lossy(&o.stderr)
                );
            };
            if o.status.success() {
                // The fault step is past the last one: done.
                assert_eq!(which, "new");
                break;
            }
            match code {
                None => assert_eq!(o.status.code(), None, "killed at step {step}"),
                Some(c) => {
                    assert_eq!(o.status.code(), Some(c), "{signal} at step {step}");
                    let e = String::from_utf8_lossy(&o.stderr);
                    assert!(e.contains("interrupted"), "{e}");
                    assert!(!e.contains("panicked"), "{e}");
                    // A clean stop leaves nothing beside the output either.
                    assert_eq!(leftovers(&d), ["new"], "{signal} at step {step}");
                    assert!(!d.join(".out.flapsim-lock").exists());
                }
            }
            // Whatever a kill left behind is cleaned by the next run.
            let o = run(&d, "out", "2", None);
            assert!(o.status.success());
            assert_eq!(contents(&d.join("out")), new);
            assert_eq!(leftovers(&d), ["new"], "after {signal} at step {step}");
            assert!(!d.join(".out.flapsim-lock").exists());
            step += 1;
        }
        // Steps on both sides of the swap were hit.
        assert!(
            saw_old >= 8 && saw_new >= 2,
            "{signal}: old {saw_old}, new {saw_new}"
        );
    }
}

/// A first publication (no previous set) is all or nothing too.
#[test]
fn a_kill_during_a_first_publication_leaves_no_output_directory() {
    let d = scratch("first");
    std::fs::write(d.join("s.yaml"), TINY).unwrap();
    for step in 1..=9 {
        let _ = std::fs::remove_dir_all(d.join("out"));
        let o = run(&d, "out", "1", Some(format!("{step}:kill")));
        if o.status.success() {
            break;
        }
        let out = d.join("out");
        if out.exists() {
            assert_eq!(contents(&out).len(), 4, "step {step}: partial set");
        }
    }
}

/// A real SIGINT/SIGTERM during the simulation stops the run at once: exit
/// 130/143, the previous set untouched, nothing left beside it.
#[test]
fn a_signal_during_the_simulation_stops_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let d = scratch("mid-run");
    std::fs::write(d.join("s.yaml"), TINY).unwrap();
    // Long enough that it cannot finish before the signal: ~1 minute of work.
    std::fs::write(
        d.join("long.yaml"),
        "duration: 30d\ncluster:\n  groups:\n    g: {count: 5, name: \"n-{}\"}\nfaults:\n  - nodes: n-1\n    pause: {every: 10us, duration: 10us}\n",
    )
    .unwrap();
    assert!(run(&d, "out", "1", None).status.success());
    let old = contents(&d.join("out"));
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flapsim"))
            .args(["run", "long.yaml", "--out", "out"])
            .current_dir(&d)
            .env_remove("FLAPSIM_TEST_FAULT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The header is printed once --out is claimed and the run starts.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("flapsim: long"), "{line}");
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let o = child.wait_with_output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{e}");
        assert!(e.contains("interrupted"), "{e}");
        assert_eq!(contents(&d.join("out")), old);
        assert_eq!(leftovers(&d), ["long.yaml"]);
        assert!(!d.join(".out.flapsim-lock").exists());
    }
}

/// Where the filesystem cannot exchange directories, publication falls back to
/// two renames; a kill between them leaves the old set aside under a hidden
/// name and no target. The next writer puts that complete set back first.
#[test]
fn a_set_left_aside_by_the_rename_fallback_is_restored() {
    let d = scratch("aside");
    let aside = d.join(".out.flapsim-old-123-0-000000001");
    std::fs::create_dir_all(&aside).unwrap();
    std::fs::write(aside.join("summary.json"), b"{}\n").unwrap();
    let p = flapsim::report::Publisher::begin(&d.join("out"), Default::default()).unwrap();
    assert_eq!(
        std::fs::read(d.join("out").join("summary.json")).unwrap(),
        b"{}\n"
    );
    assert!(!aside.exists());
    drop(p);
    assert!(d.join("out").join("summary.json").exists(), "untouched");
}

/// `flapsim chart DIR` republishes the directory as one set too: a kill at any
/// step of a redraw leaves either the set as it was (charts missing here) or
/// the whole redrawn set, never some charts without the others. On main the
/// charts were written one file at a time.
#[test]
fn a_kill_at_every_step_of_a_chart_redraw_leaves_the_old_or_the_redrawn_set() {
    let d = scratch("redraw");
    std::fs::write(d.join("s.yaml"), TINY).unwrap();
    assert!(run(&d, "out", "1", None).status.success());
    let full = contents(&d.join("out"));
    let drawn = |n: &str| n.starts_with("chart-") && !n.ends_with(".json") || n == "report.html";
    let bare: Set = full
        .iter()
        .filter(|(n, _)| !drawn(n))
        .map(|(n, b)| (n.clone(), b.clone()))
        .collect();
    assert!(full.len() - bare.len() >= 9, "{:?}", names(&full));
    let chart = |fault: Option<String>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_flapsim"));
        c.args(["chart", "out", "-q"]).current_dir(&d);
        match fault {
            Some(f) => c.env("FLAPSIM_TEST_FAULT", f),
            None => c.env_remove("FLAPSIM_TEST_FAULT"),
        };
        c.output().expect("run flapsim chart")
    };
    let (mut saw_old, mut saw_new) = (0, 0);
    for step in 1.. {
        assert!(step < 100, "the redraw never completed");
        for n in full.keys().filter(|n| drawn(n)) {
            let _ = std::fs::remove_file(d.join("out").join(n));
        }
        assert_eq!(contents(&d.join("out")), bare);
        let o = chart(Some(format!("{step}:kill")));
        let now = contents(&d.join("out"));
        if now == bare {
            saw_old += 1;
        } else if now == full {
            saw_new += 1;
        } else {
            panic!("kill at step {step}: a mix: {:?}", names(&now));
        }
        if o.status.success() {
            assert_eq!(
                now, full,
                "a completed redraw is byte-identical to the run's"
            );
            break;
        }
        assert_eq!(o.status.code(), None, "killed at step {step}");
    }
    assert!(saw_old >= 8 && saw_new >= 1, "old {saw_old}, new {saw_new}");
    // And `chart .` from inside the directory works (its name is resolved).
    let o = Command::new(env!("CARGO_BIN_EXE_flapsim"))
        .args(["chart", ".", "-q"])
        .current_dir(d.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(contents(&d.join("out")), full);
}
