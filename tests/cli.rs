//! The `flapsim` binary as a user meets it: exit codes (0 ok, 1 the run failed,
//! 2 bad input), outputs written atomically and only for good input.
//!
//! Rule under test: bad input (a scenario error, an unknown flag, a limit) exits
//! 2, names the file, line and field (or the flag), and writes NOTHING — no
//! output directory files, no `.tmp` left behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::flapsim;

/// A fresh scratch directory under the target dir (tests run in parallel).
fn scratch(name: &str) -> PathBuf {
    common::scratch_dir("cli", name)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const GOOD: &str = "\
duration: 2m
cluster:
  groups:
    servers: {count: 3, name: \"s-{:02}\"}
timeline:
  - {at: 1m, crash: s-02}
";

/// Line 5 has the bad field.
const BAD: &str = "\
duration: 2m
cluster:
  groups:
    servers: {count: 3, name: \"s-{:02}\"}
network: {default: {loss: 1.5}}
";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_good_run_exits_0_and_writes_the_four_outputs_with_no_tmp_left() {
    let d = scratch("good");
    std::fs::write(d.join("good.yaml"), GOOD).unwrap();
    // Without charts: exactly the four data files (tests/charts.rs checks the
    // default set, which adds the charts, chart-data.json and report.html).
    let o = flapsim(
        &["run", "good.yaml", "--out", "out", "-q", "--no-charts"],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = files_under(&d.join("out"));
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "summary.json",
        "events.jsonl",
        "memberlist.log",
        "timeseries.csv",
    ] {
        assert!(names.iter().any(|n| n == want), "missing {want}: {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.ends_with(".tmp")),
        "a .tmp file was left behind: {names:?}"
    );
    assert_eq!(names.len(), 4, "exactly the four outputs: {names:?}");
}

#[test]
fn a_bad_scenario_exits_2_names_file_line_field_and_writes_nothing() {
    let d = scratch("bad");
    std::fs::write(d.join("bad.yaml"), BAD).unwrap();
    let o = flapsim(&["run", "bad.yaml"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("bad.yaml:5:"), "file:line in: {e}");
    assert!(e.contains("network.default.loss"), "field in: {e}");
    assert!(
        files_under(&d.join("output")).is_empty(),
        "wrote output for bad input"
    );
    assert_eq!(files_under(&d), vec![d.join("bad.yaml")], "wrote something");
}

#[test]
fn an_unknown_flag_exits_2() {
    let d = scratch("flag");
    let o = flapsim(&["run", "x.yaml", "--no-such-flag"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    let o = flapsim(&["frobnicate"], &d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_missing_file_exits_2_and_writes_nothing() {
    let d = scratch("missing");
    let o = flapsim(&["run", "nope.yaml"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope.yaml"), "{}", stderr(&o));
    assert!(files_under(&d).is_empty());
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = flapsim(&args, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Rule: limits name themselves and the flag that raises them; raising works.
#[test]
fn limits_name_the_flag_and_can_be_raised() {
    let d = scratch("limits");
    std::fs::write(d.join("good.yaml"), GOOD).unwrap();
    let o = flapsim(&["validate", "good.yaml", "--limit", "nodes=2"], &d);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("limit of 2") && e.contains("--limit nodes="),
        "{e}"
    );

    let o = flapsim(&["run", "good.yaml", "--limit", "duration=1m"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--limit duration="), "{}", stderr(&o));

    let o = flapsim(&["run", "good.yaml", "--limit", "bogus=1"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown limit `bogus`"),
        "{}",
        stderr(&o)
    );
    assert!(files_under(&d.join("output")).is_empty());
}

/// Rule: a raised node limit is still bounded by the machine: a cluster whose
/// views of each other need more memory than it has is refused, exit 2, before
/// anything is allocated (60,000 nodes were killed by the kernel; 3,000,000
/// aborted), by `run`, `bench` and `sweep`; `validate` still accepts the file.
#[test]
fn a_cluster_beyond_the_machines_memory_is_refused_not_killed() {
    let d = scratch("memory");
    // 10^6 nodes: 13 TB of views, more than any machine this runs on.
    let big = "duration: 1m\ncluster:\n  groups:\n    n: {count: 1000000, name: \"n-{}\"}\n";
    std::fs::write(d.join("big.yaml"), big).unwrap();
    let raise = ["--limit", "nodes=1e6"];
    let machine = "this machine has available";
    let o = flapsim(&[&["run", "big.yaml"][..], &raise].concat(), &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(machine) && stderr(&o).contains("big.yaml"),
        "{}",
        stderr(&o)
    );
    let o = flapsim(&[&["bench", "--nodes", "1000000"][..], &raise].concat(), &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--nodes 1000000") && stderr(&o).contains(machine),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        d.join("sweep.yaml"),
        "name: big\nbase: big.yaml\naxes:\n  - path: suspicion_mult\n    values: [4, 5]\nseeds: 1\n",
    )
    .unwrap();
    let o = flapsim(
        &[&["sweep", "sweep.yaml", "--out", "sw"][..], &raise].concat(),
        &d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(machine), "{}", stderr(&o));
    let o = flapsim(&[&["validate", "big.yaml"][..], &raise].concat(), &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(files_under(&d.join("output")).is_empty());
}

/// A run that outgrows its memory while it runs (a sick cluster's queues,
/// which no file states) is stopped by the memory watchdog with exit 2 and a
/// message, not killed by the kernel: `run` publishes nothing, `bench` exits.
/// `FLAPSIM_MEMORY_LIMIT` stands in for a full machine (the starved
/// 1,000-node workload passes 60 MB within a few simulated seconds).
#[test]
fn a_run_that_outgrows_its_memory_stops_cleanly_and_writes_nothing() {
    let d = scratch("watchdog");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/bench/starved-1000.yaml"
    );
    let limited = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flapsim"))
            .args(args)
            .current_dir(&d)
            .env("FLAPSIM_MEMORY_LIMIT", "60000000")
            .output()
            .expect("run flapsim")
    };
    let o = limited(&["run", scenario, "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(
        said.contains("simulated, nothing written")
            && said.contains("over FLAPSIM_MEMORY_LIMIT (60.0 MB)"),
        "{said}"
    );
    assert!(!d.join("out").exists() && files_under(&d).is_empty());
    let o = limited(&["bench", "--starved", "10%", "--repeat", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FLAPSIM_MEMORY_LIMIT"),
        "{}",
        stderr(&o)
    );
    // A typo must not turn the guard off.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_flapsim"))
        .args(["validate", scenario])
        .env("FLAPSIM_MEMORY_LIMIT", "4G")
        .output()
        .expect("run flapsim");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FLAPSIM_MEMORY_LIMIT=`4G`: expected a number of bytes"),
        "{}",
        stderr(&o)
    );
}

/// Rule: the event budget stops a run with a clear error, exit 2, no output.
#[test]
fn the_event_budget_stops_the_run_and_writes_nothing() {
    let d = scratch("events");
    std::fs::write(d.join("good.yaml"), GOOD).unwrap();
    let o = flapsim(&["run", "good.yaml", "--limit", "events=1000"], &d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("more than 1000 simulated events"), "{e}");
    assert!(e.contains("--limit events=N"), "{e}");
    assert!(
        files_under(&d.join("output")).is_empty(),
        "partial output written"
    );
    let o = flapsim(&["run", "good.yaml", "-q", "--limit", "max_events=1e7"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn check_passes_a_few_seeds_and_writes_nothing() {
    let d = scratch("check");
    let o = flapsim(&["check", "--seeds", "5", "-q", "--out", "fails"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("5 passed"));
    assert!(files_under(&d).is_empty(), "a passing check writes nothing");
    let o = flapsim(&["check", "--max-nodes", "2"], &d);
    assert_eq!(o.status.code(), Some(2));
}

/// Rule: `flapsim oracle` prints the oracle's figures for a scenario over seeds
/// (and writes nothing); a sick node that is not in the scenario is bad input.
#[test]
fn oracle_prints_the_figures_and_refuses_an_unknown_sick_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = scratch("oracle");
    let file = root.join("scenarios/oracle/ml2015-s1-delay.yaml");
    let file = file.to_str().expect("utf-8 path");
    let o = flapsim(
        &[
            "oracle",
            file,
            "--seeds",
            "2",
            "--set",
            "duration=60s",
            "-q",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("| figure (2 runs) |"), "{out}");
    assert!(
        out.contains("| 'Suspect X has failed' S->healthy |"),
        "{out}"
    );
    assert!(files_under(&d).is_empty(), "oracle writes nothing");
    let o = flapsim(&["oracle", file, "--sick", "n99", "-q"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--sick n99"), "{}", stderr(&o));
}

/// Run flapsim with `input` on its standard input (a pipe).
fn flapsim_fed(args: &[&str], cwd: &Path, input: &str) -> Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_flapsim"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run flapsim");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(input.as_bytes()).expect("feed stdin");
    drop(stdin);
    child.wait_with_output().expect("wait for flapsim")
}

#[test]
fn a_scenario_from_a_pipe_is_read_once() {
    // A pipe can be read once: `compare` read the file a second time and got
    // nothing ("duration: missing"), and `run`'s report showed an empty
    // scenario. Both now keep the text they loaded.
    let d = scratch("pipe");
    let o = flapsim_fed(
        &[
            "compare",
            "/dev/stdin",
            "--presets",
            "memberlist,memberlist-2015",
            "--seeds",
            "1",
            "--out",
            "cmp",
        ],
        &d,
        GOOD,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = flapsim_fed(
        &[
            "run",
            "/dev/stdin",
            "--out",
            "run",
            "--outputs",
            "summary,charts",
        ],
        &d,
        GOOD,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let data = std::fs::read_to_string(d.join("run/chart-data.json")).expect("chart data");
    let data: serde_json::Value = serde_json::from_str(&data).expect("json");
    assert_eq!(data["scenario_text"].as_str(), Some(GOOD));
}

/// Rule: `bench --print-scenario` prints the workload the bench runs, and a
/// duration reads back exactly: `--duration 70m` printed `duration: 1.167h`,
/// which is 4201.2 s, and the bench, which parses that text, ran 4201.2 s.
/// `validate` says it as people write it (`1h10m`, not `1.167h`).
#[test]
fn a_bench_workloads_duration_reads_back_exactly() {
    let d = scratch("bench-duration");
    let o = flapsim(
        &[
            "bench",
            "--nodes",
            "20",
            "--duration",
            "70m",
            "--print-scenario",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(yaml.contains("\nduration: 70m\n"), "{yaml}");
    let p = d.join("w.yaml");
    std::fs::write(&p, &yaml).unwrap();
    let sc = flapsim::scenario::load(&p).unwrap();
    assert_eq!(sc.duration, 4_200_000_000_000);
    let v = flapsim(&["validate", p.to_str().unwrap()], &d);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    let said = String::from_utf8_lossy(&v.stdout);
    assert!(said.contains("1h10m simulated"), "{said}");
}

/// Rule: `bench` says what its events were, once (every run's are the same):
/// the kinds, most first, add up to the events on the run line, and a starved
/// workload's include the packets its starved hosts were handed late.
#[test]
fn bench_lists_its_events_by_kind_and_they_add_up() {
    let d = scratch("bench-mix");
    let o = flapsim(
        &[
            "bench",
            "--nodes",
            "30",
            "--duration",
            "20s",
            "--starved",
            "10%",
            "--repeat",
            "2",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let run = out
        .lines()
        .find(|l| l.trim_start().starts_with("run 1:"))
        .expect("a run line");
    let before = &run[..run.find(" events (").expect("events")];
    let events: u64 = before.rsplit(' ').next().unwrap().parse().unwrap();
    let mixes: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("events by kind: "))
        .collect();
    assert_eq!(mixes.len(), 1, "{out}");
    let kinds: Vec<(u64, &str)> = mixes[0]
        .split(", ")
        .map(|k| {
            let (name, _share) = k.split_once(" (").expect("a share");
            let (name, n) = name.rsplit_once(' ').expect("name and count");
            (n.parse().expect("a count"), name)
        })
        .collect();
    assert_eq!(kinds.iter().map(|k| k.0).sum::<u64>(), events, "{out}");
    assert!(
        kinds.windows(2).all(|w| w[0].0 >= w[1].0),
        "most first: {out}"
    );
    for name in ["packet arrivals", "gossip ticks", "starved deliveries"] {
        assert!(kinds.iter().any(|k| k.1 == name), "{name}: {out}");
    }
}
