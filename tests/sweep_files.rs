//! A sweep's files read back by `flapsim merge` and `sweep --resume`: one line
//! at a time, each line capped, and manifests of every format flapsim wrote.
//!
//! Rules under test:
//! - a result line longer than any row of the sweep can be is refused (exit 2)
//!   naming the file and the line, and nothing is written;
//! - a directory whose manifest lists every point (as flapsim wrote before it
//!   recorded each axis's values once) still resumes and merges, to the same
//!   files as a sweep written now;
//! - a sweep stopped after any row resumes to the files of a sweep never
//!   stopped: every run counted once, none dropped;
//! - a sweep directory has one writer at a time: while another process writes
//!   it, `sweep` is refused (exit 2) and changes nothing there.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn flapsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flapsim"))
        .args(args)
        .output()
        .expect("run flapsim")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sweep-files-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A sweep of 3 × 2 points and 2 seeds on a 5-node cluster with a crash.
fn sweep_file(dir: &Path) -> PathBuf {
    let p = dir.join("small.yaml");
    std::fs::write(
        &p,
        "name: small
scenario:
  duration: 40s
  cluster:
    groups:
      g: {count: 5, name: \"n-{}\"}
  timeline:
    - {at: 20s, crash: n-2}
axes:
  - path: suspicion_mult
    values: [2, 3, 4]
  - path: preset
    values: [memberlist-2015, memberlist]
seeds: 2
",
    )
    .unwrap();
    p
}

/// Run the sweep whole into `dir/whole` and as `n` shards into `dir/shard-{i}`.
fn whole_and_shards(dir: &Path, n: usize) -> (PathBuf, Vec<PathBuf>) {
    common::sweep_whole_and_shards(&sweep_file(dir), dir, n)
}

/// Rewrite `dir`'s manifest as flapsim wrote it before: every point listed
/// with its labels and values (expanded from the axes' values, a grid).
fn list_every_point(dir: &Path) {
    let path = dir.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(m["combine"], "grid");
    let values: Vec<Vec<Value>> = m["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_array().unwrap().clone())
        .collect();
    let mut points = vec![(Vec::new(), Vec::new())];
    for axis in &values {
        points = points
            .into_iter()
            .flat_map(|(l, v): (Vec<Value>, Vec<Value>)| {
                axis.iter().map(move |x| {
                    let (mut l, mut v) = (l.clone(), v.clone());
                    l.push(x["label"].clone());
                    v.push(x["value"].clone());
                    (l, v)
                })
            })
            .collect();
    }
    let o = m.as_object_mut().unwrap();
    o.remove("values");
    o.remove("combine");
    o.insert(
        "points".into(),
        points
            .into_iter()
            .map(|(l, v)| serde_json::json!({"labels": l, "values": v}))
            .collect(),
    );
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

const DRAWN: &[&str] = &[
    "results.csv",
    "results.jsonl",
    "points.csv",
    "summary.txt",
    "tradeoff.svg",
    "tradeoff.png",
    "metrics.svg",
    "heatmap.svg",
];

/// Rule: a result line longer than any row of the sweep can be is refused
/// as it is read, exit 2, naming the file and the line; the merge writes
/// nothing. (A row padded with 2 MB of blanks is valid JSON: it was merged.)
#[test]
fn a_result_line_past_the_cap_is_refused_with_exit_2_naming_file_and_line() {
    let d = scratch("cap");
    let (_, shards) = whole_and_shards(&d, 2);
    let rows = shards[1].join("results.jsonl");
    let text = std::fs::read_to_string(&rows).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = lines[1].replacen(',', &format!(",{}", " ".repeat(2 << 20)), 1);
    std::fs::write(&rows, lines.join("\n") + "\n").unwrap();
    let out = d.join("merged");
    let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:2: line longer than", rows.display())),
        "{err}"
    );
    assert!(!out.exists(), "a refused merge leaves no directory");
}

/// Rule: `merge` checks each shard's `results.csv` row against its
/// `results.jsonl` row, as `--resume` does. A shard whose CSV was copied from
/// another shard (or edited) was merged as it was, exit 0: the merged
/// `results.csv` held runs 1, 3, 5… twice and 0, 2, 4… never, while
/// `results.jsonl` and `points.csv` held every run once.
#[test]
fn a_shard_whose_csv_disagrees_with_its_json_is_refused_by_merge() {
    let d = scratch("csvswap");
    let (_, shards) = whole_and_shards(&d, 2);
    std::fs::copy(shards[1].join("results.csv"), shards[0].join("results.csv")).unwrap();
    let out = d.join("merged");
    let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shard 0/2: row 0 of results.csv is not row 0 of results.jsonl"),
        "{err}"
    );
    assert!(!out.exists(), "a refused merge leaves no directory");
}

/// Rule: a sweep directory whose manifest lists every point, as flapsim
/// wrote before, still merges (its manifest written back as it was) and
/// resumes (finishing without running anything), to the files a sweep
/// written now has.
#[test]
fn a_directory_whose_manifest_lists_every_point_still_merges_and_resumes() {
    let d = scratch("listed");
    let (whole, shards) = whole_and_shards(&d, 2);
    let listed_manifest = |dir: &Path| {
        let m: Value = serde_json::from_slice(&read(dir, "manifest.json")).unwrap();
        assert_eq!(m["points"].as_array().map(|p| p.len()), Some(6), "{m}");
    };
    for sh in &shards {
        list_every_point(sh);
    }
    let merged = d.join("merged");
    ok(&flapsim(&[
        "merge",
        s(&shards[1]),
        s(&shards[0]),
        "--out",
        s(&merged),
        "-q",
    ]));
    listed_manifest(&merged);
    for f in DRAWN {
        assert!(read(&whole, f) == read(&merged, f), "{f} differs");
    }

    let resumed = d.join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    for f in std::fs::read_dir(&whole).unwrap().flatten() {
        std::fs::copy(f.path(), resumed.join(f.file_name())).unwrap();
    }
    list_every_point(&resumed);
    let o = flapsim(&[
        "sweep",
        s(&d.join("small.yaml")),
        "--out",
        s(&resumed),
        "--resume",
    ]);
    ok(&o);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("0 runs to do (12 of 12 already finished)"),
        "{said}"
    );
    for f in DRAWN.iter().chain(&["manifest.json"]) {
        assert!(read(&whole, f) == read(&resumed, f), "{f} differs");
    }
}

/// Every file in `dir` (name, bytes), sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The first `n` lines of `text`, each with its newline.
fn first_lines(text: &[u8], n: usize) -> &[u8] {
    let end = (text.iter().enumerate())
        .filter(|(_, &b)| b == b'\n')
        .nth(n.wrapping_sub(1))
        .map_or(0, |(i, _)| i + 1);
    &text[..if n == 0 { 0 } else { end }]
}

/// Rule: a sweep stopped after any row (none, a point's first seed, its
/// last, all of them; with a torn line after it or not) and resumed writes
/// the files of the sweep run without a stop, byte for byte: the finished
/// rows it recovers and the rows it runs are each aggregated once. A row
/// counted twice or dropped changes `points.csv`'s count of runs and its
/// medians, and the summary and charts with them.
#[test]
fn a_sweep_stopped_after_any_row_resumes_to_the_files_of_one_never_stopped() {
    let d = scratch("cut");
    let f = sweep_file(&d);
    let whole = d.join("whole");
    ok(&flapsim(&["sweep", s(&f), "--out", s(&whole), "-q"]));
    let want = files(&whole);
    let csv = read(&whole, "results.csv");
    let jsonl = read(&whole, "results.jsonl");
    let runs = jsonl.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(runs, 12);
    for k in 0..=runs {
        // What a sweep killed after k rows leaves (a torn line after every
        // other cut): its manifest and the rows it finished.
        let cut = d.join(format!("cut-{k}"));
        std::fs::create_dir_all(&cut).unwrap();
        std::fs::write(cut.join("manifest.json"), read(&whole, "manifest.json")).unwrap();
        std::fs::write(cut.join("results.csv"), first_lines(&csv, k + 1)).unwrap();
        let mut rows = first_lines(&jsonl, k).to_vec();
        if k % 2 == 1 && k < runs {
            rows.extend_from_slice(&first_lines(&jsonl, k + 1)[rows.len()..][..20]);
        }
        std::fs::write(cut.join("results.jsonl"), rows).unwrap();
        let o = flapsim(&["sweep", s(&f), "--out", s(&cut), "--resume"]);
        ok(&o);
        let said = String::from_utf8_lossy(&o.stdout);
        let todo = match runs - k {
            1 => "1 run to do".to_string(),
            n => format!("{n} runs to do"),
        };
        assert!(said.contains(&todo), "cut after {k} rows: {said}");
        let got = files(&cut);
        assert_eq!(
            got.iter().map(|x| &x.0).collect::<Vec<_>>(),
            want.iter().map(|x| &x.0).collect::<Vec<_>>(),
            "cut after {k} rows"
        );
        for ((name, a), (_, b)) in got.iter().zip(&want) {
            assert!(a == b, "cut after {k} rows: {name} differs");
        }
    }
}

/// Rule: a sweep directory has one writer at a time. While another process
/// holds it (here, this test, with the `flock` a running `flapsim sweep`
/// holds on its `--out` directory), `sweep --resume` and `sweep --fresh` on
/// it exit 2 naming the directory, and change nothing in it. Two writers
/// would each append rows the other never counts (a resumed sweep aggregates
/// its rows as it writes them): both exited 0 over 160 rows of a 90-run
/// sweep. Once the holder is gone, the same command finishes the sweep.
#[cfg(unix)]
#[test]
fn a_sweep_directory_written_by_another_process_is_refused_and_left_as_it_is() {
    use std::os::unix::io::AsRawFd;
    let d = scratch("busy");
    let f = sweep_file(&d);
    let out = d.join("out");
    // What a sweep stopped after 5 rows leaves.
    let whole = d.join("whole");
    ok(&flapsim(&["sweep", s(&f), "--out", s(&whole), "-q"]));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.json"), read(&whole, "manifest.json")).unwrap();
    std::fs::write(
        out.join("results.csv"),
        first_lines(&read(&whole, "results.csv"), 6),
    )
    .unwrap();
    std::fs::write(
        out.join("results.jsonl"),
        first_lines(&read(&whole, "results.jsonl"), 5),
    )
    .unwrap();
    let before = files(&out);
    let held = std::fs::File::open(&out).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    let rc = unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(rc, 0, "the test could not lock {}", out.display());
    for how in ["--resume", "--fresh"] {
        let o = flapsim(&["sweep", s(&f), "--out", s(&out), how, "-q"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{how}: {err}");
        assert!(
            err.contains(s(&out)) && err.contains("another flapsim is writing"),
            "{how}: {err}"
        );
        assert!(files(&out) == before, "{how} changed the directory");
    }
    drop(held);
    ok(&flapsim(&[
        "sweep",
        s(&f),
        "--out",
        s(&out),
        "--resume",
        "-q",
    ]));
    assert!(
        files(&out) == files(&whole),
        "the resumed sweep's files differ"
    );
}

/// Rule: the shards `merge` joins record one sweep's manifest, but for their
/// index. Main compared only their sweep, fingerprint, windows and shard
/// count, and wrote the first shard's manifest as the merged one: a value,
/// or the flapsim version edited in shard 0 (fingerprint
/// kept) was published as the sweep's, and any edit in another shard was
/// merged unseen, exit 0. Now refused (exit 2) at the field and line of the
/// manifest that differs, naming the other; nothing is written.
#[test]
fn shards_whose_manifests_differ_beyond_their_index_are_refused_by_merge() {
    let d = scratch("manifestedit");
    let (_, shards) = whole_and_shards(&d, 2);
    let path = shards[0].join("manifest.json");
    let written = std::fs::read_to_string(&path).unwrap();
    let original: Value = serde_json::from_str(&written).unwrap();
    let edits: [(&str, Value, &str); 4] = [
        ("/values/0/0/value", Value::Null, "values"),
        ("/values/0/0/value", serde_json::json!(1e308), "values"),
        ("/flapsim", "".into(), "flapsim"),
        ("/axes/0", "renamed".into(), "axes"),
    ];
    for (pointer, value, field) in edits {
        let mut m = original.clone();
        *m.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value;
        std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
        let out = d.join("merged");
        let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{pointer}: {err}");
        let at = format!("{}:", shards[1].join("manifest.json").display());
        assert!(
            err.contains(&at) && err.contains(&format!(": {field}: differs from")),
            "{pointer}: {err}"
        );
        assert!(
            err.contains(s(&path)),
            "{pointer}: names the other manifest: {err}"
        );
        assert!(!out.exists(), "a refused merge leaves no directory");
    }
    std::fs::write(&path, written).unwrap();
    // An edit in another shard than the first, which main never read.
    let other = shards[1].join("manifest.json");
    let kept = std::fs::read_to_string(&other).unwrap();
    let mut m: Value = serde_json::from_str(&kept).unwrap();
    m["values"][0][1]["value"] = Value::Null;
    std::fs::write(&other, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let merged = d.join("merged");
    let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&merged)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(": values: differs from"), "{err}");
    std::fs::write(&other, kept).unwrap();
    ok(&flapsim(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        "--out",
        s(&d.join("merged")),
    ]));
}

/// Rule: a shard whose `results.csv` header is not the one of its
/// manifest's axes is refused as that, at the file's line 1. Main said
/// "shard 0/2 is not finished (2 of 2 runs); run it again with --resume",
/// naming neither the file nor the line, and advising a resume.
#[test]
fn a_results_header_not_of_the_manifests_axes_is_refused_at_its_line_by_merge() {
    let d = scratch("csvheader");
    let (_, shards) = whole_and_shards(&d, 2);
    let csv = shards[0].join("results.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(
        &csv,
        text.replacen("run,point,seed,", "run,point,seed,x", 1),
    )
    .unwrap();
    let out = d.join("merged");
    let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}:1: not the header of this sweep's results.csv",
            csv.display()
        )),
        "{err}"
    );
    assert!(!err.contains("not finished"), "{err}");
    assert!(!out.exists(), "a refused merge leaves no directory");
}

/// Rule: a shard stopped while it wrote its `results.csv` header (the file
/// holds only the start of it, no newline) is unfinished, not edited: merge
/// refuses it with the advice to resume it. (A guard for the header check
/// above, which must not take a cut-short header for an edited one: a line
/// cut short is not counted, so it does not.)
#[test]
fn a_shard_cut_short_in_its_results_header_is_unfinished_for_merge() {
    let d = scratch("csvheadertorn");
    let (_, shards) = whole_and_shards(&d, 2);
    let csv = shards[0].join("results.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    std::fs::write(&csv, &header[..header.len() / 2]).unwrap();
    let out = d.join("merged");
    let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("is not finished"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert!(!err.contains("not the header"), "{err}");
    assert!(!out.exists(), "a refused merge leaves no directory");
}
