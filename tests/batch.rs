//! Batch runs as a user meets them: `flapsim sweep`, `--resume` after kill -9,
//! `--shard` + `flapsim merge`, `flapsim compare`, and bad sweep files.
//!
//! Rules under test:
//! - results do not depend on `--jobs` (byte-identical files);
//! - a sweep killed with SIGKILL part-way (and a torn last line) resumes to the
//!   same files as an uninterrupted run;
//! - merging every shard gives the unsharded run's files byte for byte, and
//!   shards of another sweep are refused;
//! - a bad sweep file exits 2 naming file, line and field, and runs nothing.
//!
//! Scenarios are tiny (8 nodes, a few simulated minutes) so the suite stays fast.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flapsim"))
}

fn flapsim(args: &[&str]) -> Output {
    bin().args(args).output().expect("run flapsim")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every file under `dir` (relative path, bytes), sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&ta),
        names(&tb),
        "same files in {} and {}",
        a.display(),
        b.display()
    );
    for ((n, x), (_, y)) in ta.iter().zip(&tb) {
        assert!(
            x == y,
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A small sweep: 2 presets x 3 suspicion multipliers x `seeds` seeds on an
/// 8-node cluster with a starved node and a crash (so detection is measured).
fn sweep_file(dir: &Path, seeds: u32, duration: &str) -> PathBuf {
    let p = dir.join("tiny.yaml");
    std::fs::write(
        &p,
        format!(
            "# What a test sweep answers: nothing; it is small.
name: tiny
scenario:
  duration: {duration}
  warmup: 20s
  cluster:
    groups:
      nodes: {{count: 8, name: \"n-{{}}\"}}
  faults:
    - nodes: n-1
      starve: {{delay: {{lognormal: {{median: 80ms, p95: 450ms}}}}}}
  timeline:
    - {{at: 1m, crash: n-5}}
axes:
  - path: suspicion_mult
    values: {{from: 2, to: 4, step: 1}}
  - path: preset
    values: [memberlist-2015, memberlist]
seeds: {seeds}
"
        ),
    )
    .unwrap();
    p
}

const OUTPUTS: &[&str] = &[
    "manifest.json",
    "results.csv",
    "results.jsonl",
    "points.csv",
    "summary.txt",
    "tradeoff.svg",
    "tradeoff.png",
    "metrics.svg",
    "heatmap.svg",
];

#[test]
fn jobs_do_not_change_a_single_byte() {
    let d = scratch("jobs");
    let f = sweep_file(&d, 3, "3m");
    let (a, b) = (d.join("j1"), d.join("j4"));
    ok(&flapsim(&[
        "sweep",
        s(&f),
        "--jobs",
        "1",
        "--out",
        s(&a),
        "-q",
    ]));
    ok(&flapsim(&[
        "sweep",
        s(&f),
        "--jobs",
        "4",
        "--out",
        s(&b),
        "-q",
    ]));
    for f in OUTPUTS {
        assert!(a.join(f).exists(), "{f} written");
    }
    assert_same_tree(&a, &b);
    let csv = std::fs::read_to_string(a.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 3, "one row per point x seed");
    let points = std::fs::read_to_string(a.join("points.csv")).unwrap();
    assert_eq!(points.lines().count(), 1 + 6);
    let tradeoff = std::fs::read_to_string(a.join("tradeoff.svg")).unwrap();
    for w in [
        "Pareto front",
        "detection p50 (s) of crashed nodes",
        "flaps of healthy nodes/h",
        "preset=memberlist-2015",
    ] {
        assert!(tradeoff.contains(w), "trade-off chart shows {w}");
    }
    let metrics = std::fs::read_to_string(a.join("metrics.svg")).unwrap();
    assert!(metrics.contains("suspicion_mult") && metrics.contains("FP at healthy/h"));
    let png = std::fs::read(a.join("tradeoff.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let summary = std::fs::read_to_string(a.join("summary.txt")).unwrap();
    assert!(summary.contains("Pareto-optimal"), "{summary}");
    // The same directory again without --resume is refused, not overwritten.
    let again = flapsim(&["sweep", s(&f), "--out", s(&a), "-q"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    // `chart DIR` says how a sweep's charts are redrawn (it has no chart data)
    // and writes nothing; that way runs nothing and rewrites the same bytes.
    let chart = flapsim(&["chart", s(&a)]);
    assert_eq!(chart.status.code(), Some(2));
    let said = String::from_utf8_lossy(&chart.stderr);
    assert!(
        said.contains("a sweep's directory") && said.contains("--resume"),
        "{said}"
    );
    ok(&flapsim(&[
        "sweep",
        s(&f),
        "--out",
        s(&a),
        "--resume",
        "-q",
    ]));
    assert_same_tree(&a, &b);
    // With memory for two runs' views only (8 nodes: 832 bytes each), four
    // jobs become two, it says so, and the files are the same.
    let c = d.join("j4-low-memory");
    let o = bin()
        .args(["sweep", s(&f), "--jobs", "4", "--out", s(&c)])
        .env("FLAPSIM_AVAILABLE_MEMORY", "2000")
        .output()
        .unwrap();
    ok(&o);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("running 2 at a time") && said.contains("2 jobs"),
        "{said}"
    );
    assert_same_tree(&a, &c);
}

#[test]
fn a_sweep_killed_part_way_resumes_to_the_same_files() {
    let d = scratch("resume");
    // Longer runs, one job: the kill lands between rows.
    let f = sweep_file(&d, 5, "20m");
    let whole = d.join("whole");
    ok(&flapsim(&[
        "sweep",
        s(&f),
        "--jobs",
        "2",
        "--out",
        s(&whole),
        "-q",
    ]));

    let cut = d.join("cut");
    let mut child = bin()
        .args(["sweep", s(&f), "--jobs", "1", "--out", s(&cut), "-q"])
        .spawn()
        .expect("spawn");
    let jsonl = cut.join("results.jsonl");
    let started = Instant::now();
    loop {
        let rows = std::fs::read_to_string(&jsonl).map_or(0, |t| t.lines().count());
        if rows >= 3 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().ok(); // SIGKILL on Unix
    child.wait().unwrap();
    let rows_at_kill = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    // Whatever the kill left, also tear the last line by hand, as a crash in
    // the middle of a write would.
    let mut text = std::fs::read(&jsonl).unwrap();
    if rows_at_kill < 30 {
        text.extend_from_slice(b"{\"run\":99,\"point\":4,\"se");
        std::fs::write(&jsonl, &text).unwrap();
    }
    let resumed = flapsim(&["sweep", s(&f), "--jobs", "2", "--out", s(&cut), "--resume"]);
    ok(&resumed);
    let out = String::from_utf8_lossy(&resumed.stdout);
    if rows_at_kill < 30 {
        assert!(out.contains("already finished"), "{out}");
    }
    assert_same_tree(&whole, &cut);
}

#[test]
fn merged_shards_equal_the_unsharded_sweep() {
    let d = scratch("shards");
    let f = sweep_file(&d, 3, "3m");
    let whole = d.join("whole");
    ok(&flapsim(&["sweep", s(&f), "--out", s(&whole), "-q"]));
    let mut shards = Vec::new();
    for i in 0..3 {
        let out = d.join(format!("shard-{i}"));
        // Shard 2 names the sweep file by a relative path, as another machine
        // would: still the same sweep.
        let o = if i == 2 {
            bin()
                .args([
                    "sweep",
                    "tiny.yaml",
                    "--shard",
                    "2/3",
                    "--out",
                    s(&out),
                    "-q",
                ])
                .current_dir(&d)
                .output()
                .unwrap()
        } else {
            flapsim(&[
                "sweep",
                s(&f),
                "--shard",
                &format!("{i}/3"),
                "--out",
                s(&out),
                "-q",
            ])
        };
        ok(&o);
        shards.push(out);
    }
    // Slurm's environment picks the same slice as the flag.
    let auto = d.join("auto-1");
    ok(&bin()
        .args(["sweep", s(&f), "--shard", "auto", "--out", s(&auto), "-q"])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap());
    assert_same_tree(&shards[1], &auto);

    let merged = d.join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().rev().map(|p| s(p).to_string()));
    args.extend(["--out".into(), s(&merged).into(), "-q".into()]);
    ok(&bin().args(&args).output().unwrap());
    assert_same_tree(&whole, &merged);

    // A shard of another sweep (one more seed) is refused, and so is a missing shard.
    let other_dir = d.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = sweep_file(&other_dir, 4, "3m");
    let o2 = d.join("other-shard-2");
    ok(&flapsim(&[
        "sweep",
        s(&other),
        "--shard",
        "2/3",
        "--out",
        s(&o2),
        "-q",
    ]));
    let bad = flapsim(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        s(&o2),
        "--out",
        s(&d.join("bad")),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("different sweeps"));
    let missing = flapsim(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        "--out",
        s(&d.join("bad2")),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing"));
    assert!(!d.join("bad").exists() && !d.join("bad2").exists());
}

/// Rule: a bad sweep file exits 2 with `file:line:col: field: message` and runs nothing.
#[test]
fn bad_sweep_files_name_file_line_and_field_and_run_nothing() {
    let d = scratch("bad");
    let base = "scenario:
  duration: 2m
  warmup: 10s
  cluster:
    groups:
      nodes: {count: 4, name: \"n-{}\"}
  faults:
    - nodes: n-1
      starve: {delay: 20ms}
";
    let cases: &[(&str, &str, &str, &str)] = &[
        // (name, axes, field in the message, words in the message)
        (
            "unknown-path",
            "axes:\n  - path: cluster.groupz.nodes.count\n    values: [3, 4]\n",
            "axes[0].values[0]",
            "groupz",
        ),
        (
            "empty-axis",
            "axes:\n  - path: suspicion_mult\n    values: []\n",
            "axes[0].values",
            "empty axis",
        ),
        (
            "type-mismatch",
            "axes:\n  - path: faults[0].starve.delay\n    values: [10ms, 3]\n",
            "axes[0].values[1]",
            "no unit",
        ),
        (
            "range-mismatch",
            "axes:\n  - path: probe_timeout\n    values: {from: 100ms, to: 5, step: 100ms}\n",
            "axes[0].values",
            "type mismatch",
        ),
        (
            "invalid-point",
            "axes:\n  - path: warmup\n    values: [30s, 1m, 5m]\n",
            "axes[0].values[2]",
            "shorter than duration",
        ),
        (
            "unknown-field",
            "axes:\n  - path: suspicion_mult\n    valuez: [1]\n",
            "axes[0]",
            "unknown field",
        ),
    ];
    for (name, axes, field, words) in cases {
        let f = d.join(format!("{name}.yaml"));
        std::fs::write(&f, format!("{base}{axes}seeds: 2\n")).unwrap();
        let out = d.join(format!("{name}-out"));
        let o = flapsim(&["sweep", s(&f), "--out", s(&out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        let want_prefix = format!("error: {}:1", s(&f));
        assert!(
            err.starts_with(&want_prefix),
            "{name}: names file and line: {err}"
        );
        assert!(err.contains(field), "{name}: names {field}: {err}");
        assert!(err.contains(words), "{name}: says {words}: {err}");
        assert!(!out.exists(), "{name}: nothing written");
    }
}

#[test]
fn compare_writes_table_chart_report_and_redraws_them() {
    let d = scratch("compare");
    let sc = d.join("sc.yaml");
    std::fs::write(
        &sc,
        "name: cmp\nseed: 3\nduration: 3m\nwarmup: 20s\ncluster:\n  groups:\n    nodes: {count: 8, name: \"n-{}\"}\nfaults:\n  - nodes: n-1\n    starve: {delay: {lognormal: {median: 80ms, p95: 450ms}}}\ntimeline:\n  - {at: 1m, crash: n-5}\n",
    )
    .unwrap();
    let (a, b) = (d.join("a"), d.join("b"));
    let args = |out: &Path, jobs: &str| {
        vec![
            "compare".to_string(),
            s(&sc).into(),
            "--presets".into(),
            "memberlist-2015,memberlist".into(),
            "--variant".into(),
            "slow-probe:probe_interval=2s,suspicion_mult=6".into(),
            "--seeds".into(),
            "3".into(),
            "--jobs".into(),
            jobs.into(),
            "--out".into(),
            s(out).into(),
        ]
    };
    let o = bin().args(args(&a, "1")).output().unwrap();
    ok(&o);
    ok(&bin().args(args(&b, "3")).output().unwrap());
    assert_same_tree(&a, &b);
    let stdout = String::from_utf8_lossy(&o.stdout);
    for w in [
        "memberlist-2015",
        "slow-probe",
        "flaps/h",
        "FP at healthy",
        "detection p50",
        "bytes per node-s",
    ] {
        assert!(stdout.contains(w), "table shows {w}: {stdout}");
    }
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    for w in [
        "Side by side",
        "<svg",
        "Every run",
        "Effective parameters",
        "probe_interval_ms *",
        "Scenario",
    ] {
        assert!(html.contains(w), "report has {w}");
    }
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    let svg = std::fs::read_to_string(a.join("comparison.svg")).unwrap();
    assert!(svg.contains("flaps per hour") && svg.contains("slow-probe"));
    // `flapsim chart DIR` redraws from the files alone, byte for byte.
    let before = tree(&a);
    for f in [
        "comparison.svg",
        "comparison.png",
        "report.html",
        "comparison.csv",
        "comparison.txt",
    ] {
        std::fs::remove_file(a.join(f)).unwrap();
    }
    let redraw = flapsim(&["chart", s(&a), "-q"]);
    ok(&redraw);
    assert_eq!(tree(&a), before);
}

/// The bundled sweeps are valid in every point and seed, and each says what
/// question it answers in its leading comment.
#[test]
fn bundled_sweeps_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        n += 1;
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("# Question:"),
            "{} starts with its question",
            p.display()
        );
        let sweep = flapsim::batch::sweepfile::load(&p, &flapsim::scenario::Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(sweep.plan.runs() > 0);
    }
    assert_eq!(n, 3);
}

/// Rule: under a condition axis a configuration competes only under the same
/// conditions, so the trade-off chart draws one panel per condition value,
/// each with its own front and cost scale, and one legend; labels leave out
/// the condition its panel's caption names. The points table's headings wrap
/// onto two lines rather than widen their columns.
#[test]
fn condition_axes_get_a_trade_off_panel_each() {
    let d = scratch("conditions");
    let f = d.join("cond.yaml");
    let base = std::fs::read_to_string(sweep_file(&d, 1, "2m")).unwrap();
    let axes = "axes:
  - path: faults[0].starve.delay
    name: starve
    condition: true
    values: [10ms, 900ms]
  - path: preset
    values: [memberlist-2015, memberlist]
seeds: 1
";
    let text = format!("{}{axes}", &base[..base.find("axes:").unwrap()]);
    std::fs::write(&f, text).unwrap();
    let out = d.join("out");
    ok(&flapsim(&["sweep", s(&f), "--out", s(&out), "-q"]));
    let svg = std::fs::read_to_string(out.join("tradeoff.svg")).unwrap();
    for w in [
        "starve=10ms",
        "starve=900ms",
        "one panel per condition",
        "preset=memberlist-2015",
    ] {
        assert!(svg.contains(w), "trade-off chart shows {w}");
    }
    assert_eq!(
        svg.matches("Pareto front").count(),
        2,
        "legend once, and the subtitle"
    );
    assert!(
        !svg.contains("starve=10ms preset"),
        "front labels leave the condition out"
    );
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    let table: Vec<&str> = summary.lines().skip(3).take(2).collect();
    assert!(table[0].trim_start().starts_with("flaps of"), "{summary}");
    assert!(table[1].starts_with("starve  preset"), "{summary}");
}

/// Rule: a batch command never mixes its files with another output set's:
/// `compare` refuses a sweep's directory (or a run's), `merge` a shard's own
/// directory and another sweep's, each before writing anything; `--fresh`
/// clears the old sweep's charts and kept runs with its results, so a chart
/// the new sweep does not draw (a two-axis heatmap) does not stay.
#[test]
fn batch_outputs_never_mix_with_another_sets_files() {
    let d = scratch("foreign");
    let tiny = sweep_file(&d, 1, "90s");
    let one = d.join("one.yaml");
    let text = std::fs::read_to_string(&tiny).unwrap();
    let one_axis = text.replace("name: tiny", "name: one").replace(
        "  - path: preset\n    values: [memberlist-2015, memberlist]\n",
        "",
    );
    assert_ne!(one_axis, text);
    std::fs::write(&one, one_axis).unwrap();

    let two = d.join("two-axes");
    ok(&flapsim(&[
        "sweep",
        s(&tiny),
        "--out",
        s(&two),
        "--keep-runs",
        "-q",
    ]));
    assert!(two.join("heatmap.svg").exists() && two.join("runs").exists());
    let before = tree(&two);
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/healthy-baseline.yaml"
    );
    let o = flapsim(&[
        "compare",
        scenario,
        "--presets",
        "memberlist",
        "--seeds",
        "1",
        "--out",
        s(&two),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds a sweep's results"));
    assert!(tree(&two) == before, "compare left the sweep as it was");

    let shards: Vec<PathBuf> = (0..2).map(|i| d.join(format!("one-{i}"))).collect();
    for (i, out) in shards.iter().enumerate() {
        ok(&flapsim(&[
            "sweep",
            s(&one),
            "--shard",
            &format!("{i}/2"),
            "--out",
            s(out),
            "-q",
        ]));
    }
    for (out, says) in [
        (&shards[0], "is the shard directory"),
        (&two, "holds another sweep"),
    ] {
        let held = tree(out);
        let o = flapsim(&["merge", s(&shards[0]), s(&shards[1]), "--out", s(out), "-q"]);
        assert_eq!(o.status.code(), Some(2), "{}", out.display());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(tree(out) == held, "{} untouched", out.display());
    }

    ok(&flapsim(&[
        "sweep",
        s(&one),
        "--out",
        s(&two),
        "--fresh",
        "-q",
    ]));
    assert!(!two.join("heatmap.svg").exists() && !two.join("heatmap.png").exists());
    assert!(!two.join("runs").exists());
    assert!(two.join("tradeoff.svg").exists());
}

/// Row `line` (0-based, of results.jsonl) of the sweep in `dir` with `field`
/// set to `value` in both result files alike, as a hand edit would make it.
fn edit_row(dir: &Path, line: usize, field: &str, value: &str) {
    let jsonl = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    let mut rows: Vec<String> = jsonl.lines().map(String::from).collect();
    let row: serde_json::Value = serde_json::from_str(&rows[line]).unwrap();
    let was = format!("\"{field}\":{},", row[field]);
    assert!(rows[line].contains(&was), "{was} in {}", rows[line]);
    rows[line] = rows[line].replacen(&was, &format!("\"{field}\":{value},"), 1);
    std::fs::write(dir.join("results.jsonl"), rows.join("\n") + "\n").unwrap();
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    let column = lines[0].split(',').position(|c| c == field).unwrap();
    let mut cells: Vec<&str> = lines[line + 1].split(',').collect();
    cells[column] = value;
    lines[line + 1] = cells.join(",");
    std::fs::write(dir.join("results.csv"), lines.join("\n") + "\n").unwrap();
}

/// A row's edits that set a rate apart from its count (the field edited,
/// its new value, and the field the refusal names), for a row with `flaps`
/// flaps at `rate` an hour: the rate moved, the count moved, a count that is
/// not whole, and another rate.
fn rate_tampers(flaps: u64, rate: f64) -> [(&'static str, String, &'static str); 4] {
    [
        (
            "flaps_per_hour",
            format!("{}", rate + 12.5),
            "flaps_per_hour: ",
        ),
        ("flaps", format!("{}", flaps + 3), "flaps_per_hour: "),
        ("flaps", format!("{flaps}.5"), "flaps: "),
        (
            "fp_healthy_per_hour",
            "99.5".to_string(),
            "fp_healthy_per_hour: ",
        ),
    ]
}

/// Rule: a resumed sweep's finished rows are held to the rule `compare`
/// reads its rows with: each per-hour rate is what its count makes it over
/// the point's measured window. A rate or a count edited in both result
/// files is refused, exit 2, at its file, line, column and field, saying
/// what it says and what the counts make; nothing is republished. Main kept
/// the row and aggregated it into points.csv, summary.txt and the charts.
#[test]
fn a_resumed_sweeps_rows_are_held_to_what_their_counts_make_their_rates() {
    let d = scratch("rates");
    let f = sweep_file(&d, 1, "3m");
    let whole = d.join("whole");
    ok(&flapsim(&["sweep", s(&f), "--out", s(&whole), "-q"]));
    let rows = std::fs::read_to_string(whole.join("results.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(rows.lines().nth(1).unwrap()).unwrap();
    let flaps = row["flaps"].as_u64().unwrap();
    let rate = row["flaps_per_hour"].as_f64().unwrap();
    for (field, value, says) in rate_tampers(flaps, rate) {
        let cut = d.join("cut");
        let _ = std::fs::remove_dir_all(&cut);
        std::fs::create_dir_all(&cut).unwrap();
        for e in std::fs::read_dir(&whole).unwrap().flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), cut.join(e.file_name())).unwrap();
            }
        }
        edit_row(&cut, 1, field, &value);
        let held = tree(&cut);
        let o = flapsim(&["sweep", s(&f), "--out", s(&cut), "--resume", "-q"]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{field} = {value}: {e}");
        let at = format!("{}:2:", cut.join("results.jsonl").display());
        assert!(
            e.contains(&at) && e.contains(says),
            "{field} = {value}: {e}"
        );
        assert!(
            tree(&cut) == held,
            "{field} = {value}: the files are as they were"
        );
    }
}

/// A sweep of 2 presets × 2 run lengths (4 points, two run windows taken in
/// turn: a record of period 2), one seed, run whole into `dir/whole` and as
/// 2 shards into `dir/shard-{i}`.
fn windowed_whole_and_shards(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let f = sweep_file(dir, 1, "3m");
    let text = std::fs::read_to_string(&f).unwrap().replace(
        "seeds: 1\n",
        "  - path: duration\n    values: [2m, 3m]\nseeds: 1\n",
    );
    let text = text.replace("values: {from: 2, to: 4, step: 1}", "values: [3]");
    std::fs::write(&f, text).unwrap();
    common::sweep_whole_and_shards(&f, dir, 2)
}

/// `dirs` copied afresh into `dir/name-{i}` (the shards one test case edits).
fn copies(dir: &Path, name: &str, dirs: &[PathBuf]) -> Vec<PathBuf> {
    (dirs.iter().enumerate())
        .map(|(i, from)| {
            let to = dir.join(format!("{name}-{i}"));
            let _ = std::fs::remove_dir_all(&to);
            std::fs::create_dir_all(&to).unwrap();
            for e in std::fs::read_dir(from).unwrap().flatten() {
                if e.path().is_file() {
                    std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
                }
            }
            to
        })
        .collect()
}

/// `flapsim merge` of `shards` into `out` (removed first).
fn merge(shards: &[PathBuf], out: &Path) -> Output {
    let _ = std::fs::remove_dir_all(out);
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| s(p)));
    args.extend(["--out", s(out), "-q"]);
    flapsim(&args)
}

/// The manifest of shard `dir` edited by `edit`, written back as JSON.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap() + "\n").unwrap();
}

/// Rule: a merged shard's rows are held to the rule a resumed sweep holds
/// its rows to: each per-hour rate is what its count makes it over the
/// point's measured window, which each shard's manifest records (the merge
/// never reads the sweep file). A rate or a count edited in both of a
/// shard's result files is refused, exit 2, at its file, line, column and
/// field, and nothing is written. Main merged the row and aggregated it into
/// points.csv, summary.txt and the charts, exit 0.
#[test]
fn a_merged_shard_row_is_held_to_what_its_counts_make_its_rates() {
    let d = scratch("merge-rates");
    let (whole, shards) = windowed_whole_and_shards(&d);
    let merged = d.join("merged");
    ok(&merge(&shards, &merged));
    assert_same_tree(&whole, &merged);
    // Row 1 of shard 1 is run 3: the last point, the 3m window.
    let rows = std::fs::read_to_string(shards[1].join("results.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(rows.lines().nth(1).unwrap()).unwrap();
    assert_eq!(row["run"], 3);
    let flaps = row["flaps"].as_u64().unwrap();
    let rate = row["flaps_per_hour"].as_f64().unwrap();
    for (field, value, says) in rate_tampers(flaps, rate) {
        let cut = copies(&d, "cut", &shards);
        edit_row(&cut[1], 1, field, &value);
        let o = merge(&cut, &merged);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{field} = {value}: {e}");
        let at = format!("{}:2:", cut[1].join("results.jsonl").display());
        assert!(
            e.contains(&at) && e.contains(says),
            "{field} = {value}: {e}"
        );
        assert!(!merged.exists(), "{field} = {value}: nothing is written");
    }
}

/// Rule: shards of one sweep record the same run windows; one whose record
/// was edited, or removed, is refused (exit 2) at the `windows` field of its
/// manifest, and so is a record no sweep writes (a warm-up as long as its
/// run, entries that do not hold every point once). A record edited alike in
/// every shard is refused at the first row it changes what the counts make,
/// and is harmless where it changes nothing (the measured part kept): the
/// merged files are still the unsharded sweep's. Main read no windows.
#[test]
fn shards_record_their_run_windows_alike_and_as_a_sweep_writes_them() {
    let d = scratch("merge-windows");
    let (whole, shards) = windowed_whole_and_shards(&d);
    let merged = d.join("merged");
    let manifest = |i: usize| d.join(format!("cut-{i}")).join("manifest.json");
    let refused = |o: &Output, at: &Path, says: &str| {
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{says}: {e}");
        let at = format!("{}:", at.display());
        assert!(
            e.contains(&at) && e.contains("windows: ") && e.contains(says),
            "{says}: {e}"
        );
        assert!(!merged.exists(), "{says}: nothing is written");
    };
    // Some row has flaps, so a window moved alike in every shard shows.
    let rows = std::fs::read_to_string(whole.join("results.jsonl")).unwrap();
    assert!(rows.lines().any(|l| !l.contains("\"flaps\":0,")));

    // One shard's window edited: the shards disagree.
    let cut = copies(&d, "cut", &shards);
    edit_manifest(&cut[1], |m| {
        m["windows"]["spans"][0]["duration_ns"] = 150_000_000_000u64.into()
    });
    refused(
        &merge(&cut, &merged),
        &manifest(1),
        "other run windows than",
    );
    // One shard's record removed.
    let cut = copies(&d, "cut", &shards);
    edit_manifest(&cut[0], |m| {
        m.as_object_mut().unwrap().remove("windows");
    });
    refused(&merge(&cut, &merged), &manifest(1), "none are recorded in");
    // Records no sweep writes, alike in both shards.
    for (says, edit) in [
        (
            "not shorter than the run",
            (|m: &mut serde_json::Value| {
                m["windows"]["spans"][0]["warmup_ns"] =
                    m["windows"]["spans"][0]["duration_ns"].clone()
            }) as fn(&mut serde_json::Value),
        ),
        ("hold 3 points, but its period is 2", |m| {
            m["windows"]["spans"][1]["points"] = 2.into()
        }),
        ("period 3 does not divide the sweep's 4 points", |m| {
            m["windows"]["period"] = 3.into()
        }),
    ] {
        let cut = copies(&d, "cut", &shards);
        cut.iter().for_each(|c| edit_manifest(c, edit));
        refused(&merge(&cut, &merged), &manifest(0), says);
    }
    // Both shards' windows lengthened alike: the rows' rates say otherwise.
    let cut = copies(&d, "cut", &shards);
    for c in &cut {
        edit_manifest(c, |m| {
            for w in m["windows"]["spans"].as_array_mut().unwrap() {
                w["duration_ns"] = (w["duration_ns"].as_u64().unwrap() + 60_000_000_000).into();
            }
        });
    }
    let o = merge(&cut, &merged);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("results.jsonl:") && e.contains("_per_hour: "),
        "{e}"
    );
    assert!(!merged.exists());
    // Run and warm-up lengthened alike: the same measured part, the same rows.
    let cut = copies(&d, "cut", &shards);
    for c in &cut {
        edit_manifest(c, |m| {
            for w in m["windows"]["spans"].as_array_mut().unwrap() {
                for k in ["duration_ns", "warmup_ns"] {
                    w[k] = (w[k].as_u64().unwrap() + 60_000_000_000).into();
                }
            }
        });
    }
    ok(&merge(&cut, &merged));
    assert_same_tree(&whole, &merged);
}

/// Rule: shards whose manifests record no run windows (written by a flapsim
/// before they did) still merge to the unsharded sweep's files, their rows'
/// rates unchecked, and the merge says so on stderr, even with `-q`.
#[test]
fn shards_without_run_windows_merge_unchecked_and_say_so() {
    let d = scratch("merge-old");
    let (whole, shards) = windowed_whole_and_shards(&d);
    let cut = copies(&d, "cut", &shards);
    for c in &cut {
        edit_manifest(c, |m| {
            m.as_object_mut().unwrap().remove("windows");
        });
    }
    let merged = d.join("merged");
    let o = merge(&cut, &merged);
    ok(&o);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("record no run windows") && e.contains("without being checked"),
        "{e}"
    );
    assert_same_tree(&whole, &merged);
}
