//! Hostile and careless input against the binary (issue 11): every promise of
//! the README — a located error and exit 2 for bad input, nothing written
//! outside the output directory, bounded memory and CPU, a real exit code — must
//! hold for whole CLASSES of input, so each class is tried with several variants
//! (and, where it fits, generated ones).
//!
//! Each test failed on the main branch before the hardening; the comment above
//! it says how. Where main hung or ate memory, the command runs under a memory
//! cap and a generous watchdog: a guard against a hang, not a timing assertion.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A 5-node, 20 s scenario body (the issue's `S`).
const S: &str = "duration: 20s\ncluster:\n  groups:\n    g: {count: 5, name: \"n-{}\"}\n";

/// The files a run of `S` (no crash, so no detection chart) publishes, in
/// listing order.
const RUN_OUTPUTS: [&str; 14] = [
    "chart-accusations.png",
    "chart-accusations.svg",
    "chart-blame.png",
    "chart-blame.svg",
    "chart-data.json",
    "chart-flap-rate.png",
    "chart-flap-rate.svg",
    "chart-timeline.png",
    "chart-timeline.svg",
    "events.jsonl",
    "memberlist.log",
    "report.html",
    "summary.json",
    "timeseries.csv",
];

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_flapsim")
}

/// Run flapsim in `cwd` under `ulimit -v 4000000` (4 GB), killed after
/// `watchdog` (a hang guard: the test fails, it does not wait forever).
fn flapsim_capped(args: &[&str], cwd: &Path, watchdog: Duration) -> Output {
    // `${10}`, not `$10`: sh reads `$10` as `$1` followed by `0`.
    let mut script = String::from("exec \"$0\"");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${{{}}}\"", i + 1));
    }
    sh_capped(&script, args, cwd, watchdog)
}

/// Run the sh `script` (`$0` is flapsim, `$1`… are `args`) in `cwd` under
/// `ulimit -v 4000000` (4 GB), killed after `watchdog` (a hang guard: the
/// test fails, it does not wait forever).
fn sh_capped(script: &str, args: &[&str], cwd: &Path, watchdog: Duration) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 4000000; {script}"))
        .arg(bin())
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn flapsim");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        let _ = out.read_to_end(&mut o);
        o
    });
    let ereader = std::thread::spawn(move || {
        let mut e = Vec::new();
        let _ = err.read_to_end(&mut e);
        e
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > watchdog {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flapsim {args:?} still running after {watchdog:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: ereader.join().unwrap(),
    }
}

fn flapsim(args: &[&str], cwd: &Path) -> Output {
    flapsim_capped(args, cwd, Duration::from_secs(120))
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A one-point sweep of [`S`], written as `sweep.yaml` in `d` and run into
/// `d/out`, which it completes.
fn run_sweep_of_s(d: &Path, out: &str) {
    std::fs::write(
        d.join("sweep.yaml"),
        format!(
            "scenario:\n{}axes:\n  - path: suspicion_mult\n    values: [4]\n",
            S.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    )
    .unwrap();
    let o = flapsim(&["sweep", "sweep.yaml", "--out", out, "-q"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Exit 2 with `needles` in the message, and no panic.
fn refused(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2: {e}");
    assert!(!e.contains("panicked"), "panic: {e}");
    for n in needles {
        assert!(e.contains(n), "`{n}` not in: {e}");
    }
}

fn listing(dir: &Path) -> Vec<String> {
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

// ---------------------------------------------------------------- 1. dot names

/// Main wrote summary.json into the current directory for `name: ".."`, and
/// into `output/` itself for `name: "."`.
#[test]
fn names_made_of_dots_are_refused_and_nothing_escapes_output() {
    for (i, name) in [".", "..", "...", "....", "\".\"", "'..'"]
        .iter()
        .enumerate()
    {
        let d = scratch(&format!("dots-{i}"));
        std::fs::write(d.join("s.yaml"), format!("name: {name}\n{S}")).unwrap();
        let o = flapsim(&["run", "s.yaml", "-q"], &d);
        refused(&o, &["s.yaml:1:", "name", "dots"]);
        assert_eq!(listing(&d), ["s.yaml"], "wrote something for name {name}");
    }
    // The default name comes from the file stem: `...yaml` has stem `..`.
    for (i, file) in ["...yaml", "..yaml.yaml", "....yaml"].iter().enumerate() {
        let d = scratch(&format!("dotstem-{i}"));
        std::fs::write(d.join(file), S).unwrap();
        let o = flapsim(&["run", file, "-q"], &d);
        if file.starts_with("..yaml") {
            // Stem `..yaml` is a plain name: accepted, written under output/.
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert!(d
                .join("output")
                .join("..yaml")
                .join("summary.json")
                .exists());
            continue;
        }
        refused(&o, &[file, "name"]);
        assert_eq!(listing(&d), [*file], "wrote something for {file}");
    }
}

// ------------------------------------------------- 2. protocol config validation

/// (field, bad value, phrase of the message). Main panicked (divide by zero) on
/// the first two and ran the others silently; `validate` said ok.
const BAD_CONFIG: &[(&str, &str, &str)] = &[
    ("probe_interval", "0", "probe_interval"),
    ("gossip_interval", "0", "gossip_interval"),
    ("probe_timeout", "2s", "probe_timeout <= probe_interval"),
    ("udp_buffer_size", "0", "udp_buffer_size"),
    ("suspicion_mult", "0", "suspicion_mult"),
    ("retransmit_mult", "0", "retransmit_mult"),
    ("tcp_timeout", "0", "tcp_timeout"),
    ("awareness_max_multiplier", "0", "awareness_max_multiplier"),
    (
        "suspicion_max_timeout_mult",
        "0",
        "suspicion_max_timeout_mult",
    ),
    ("handoff_queue_depth", "0", "handoff_queue_depth"),
    ("ProbeInterval", "0s", "probe_interval"),
    ("serf_reap_interval", "10ns", "serf_reap_interval"),
    ("probe_interval", "100ns", "granularity"),
    ("gossip_interval", "10ns", "granularity"),
];

#[test]
fn an_invalid_effective_config_is_refused_at_its_flag_by_run_and_validate_alike() {
    let d = scratch("config-flag");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    for (field, value, phrase) in BAD_CONFIG {
        let set = format!("{field}={value}");
        let o = flapsim(&["run", "s.yaml", "-q", "--set", &set], &d);
        refused(&o, &[&format!("--set {set}"), phrase]);
    }
    assert!(!d.join("output").exists(), "wrote output for a bad config");
}

#[test]
fn an_invalid_config_in_the_file_is_located_at_its_line_by_run_and_validate_alike() {
    let d = scratch("config-file");
    for (i, (field, value, phrase)) in BAD_CONFIG.iter().enumerate() {
        let file = format!("c{i}.yaml");
        // The override sits on line 4.
        std::fs::write(
            d.join(&file),
            format!("duration: 20s\nprotocol:\n  overrides:\n    {field}: {value}\ncluster:\n  groups:\n    g: {{count: 5, name: \"n-{{}}\"}}\n"),
        )
        .unwrap();
        let v = flapsim(&["validate", &file], &d);
        refused(&v, &[&format!("{file}:4:"), phrase]);
        let r = flapsim(&["run", &file, "-q"], &d);
        refused(&r, &[&format!("{file}:4:"), phrase]);
        assert_eq!(
            stderr(&v),
            stderr(&r),
            "validate and run must agree on {file}"
        );
    }
    // A cross-field error is located at the field set last: here the flag that
    // shortened probe_interval below the file's probe_timeout.
    std::fs::write(
        d.join("x.yaml"),
        format!("{S}protocol:\n  overrides:\n    probe_timeout: 400ms\n"),
    )
    .unwrap();
    let o = flapsim(
        &["run", "x.yaml", "-q", "--set", "probe_interval=300ms"],
        &d,
    );
    refused(&o, &["--set probe_interval=300ms", "probe_timeout"]);
}

// ------------------------------------------------- 4. temp files and concurrency

/// Main opened `out/events.jsonl.tmp` with create+truncate, following a planted
/// symlink and overwriting the file it points to.
#[test]
fn planted_symlinks_are_never_followed() {
    let d = scratch("symlink");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    std::fs::write(d.join("victim"), b"precious\n").unwrap();
    std::fs::create_dir_all(d.join("out")).unwrap();
    for name in ["events.jsonl.tmp", "summary.json.tmp", "timeseries.csv.tmp"] {
        std::os::unix::fs::symlink(d.join("victim"), d.join("out").join(name)).unwrap();
    }
    let o = flapsim(&["run", "s.yaml", "-q", "--out", "out"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("victim")).unwrap(), b"precious\n");
    assert_eq!(listing(&d.join("out")), RUN_OUTPUTS);
    // --out itself a symlink, dangling or not: refused before running.
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
    std::os::unix::fs::symlink(d.join("out"), d.join("link")).unwrap();
    for out in ["dangling", "link"] {
        let o = flapsim(&["run", "s.yaml", "--out", out], &d);
        refused(&o, &[out, "symlink"]);
        assert!(o.stdout.is_empty(), "ran before checking --out");
    }
    assert_eq!(std::fs::read(d.join("victim")).unwrap(), b"precious\n");
}

/// Main let two runs write one directory at once (a mix of seeds, both exit 0).
#[test]
fn a_second_writer_of_the_same_directory_is_refused() {
    use std::os::unix::io::AsRawFd;
    let d = scratch("concurrent");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    // Another writer holds the directory's lock (as a running flapsim does).
    let lock = std::fs::File::create(d.join(".out.flapsim-lock")).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let o = flapsim(&["run", "s.yaml", "-q", "--out", "out", "--seed", "8"], &d);
    refused(&o, &["another flapsim is writing"]);
    assert!(!d.join("out").exists());
    drop(lock);
    let o = flapsim(&["run", "s.yaml", "-q", "--out", "out"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Main found an unwritable --out only after the whole simulation.
#[test]
fn an_unusable_out_is_refused_before_running() {
    let d = scratch("out");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    std::fs::write(d.join("afile"), b"x").unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(d.join("src").join("main.rs"), b"fn main() {}").unwrap();
    for (out, phrase) in [
        ("afile", "not a directory"),
        ("afile/sub", "afile"),
        ("src", "main.rs"),
        (".", "plain name"),
    ] {
        let o = flapsim(&["run", "s.yaml", "--out", out], &d);
        refused(&o, &["--out", phrase]);
        assert!(o.stdout.is_empty(), "ran before checking --out {out}");
    }
    assert_eq!(
        std::fs::read(d.join("src").join("main.rs")).unwrap(),
        b"fn main() {}"
    );
}

/// `compare` found an unusable --out only after every run, and exited 1
/// (`--out /`, `.`, `..`, a file); before failing it had written its result
/// files into any existing directory (`/`, `/tmp`, a source tree). `sweep`
/// and `merge` wrote their files into a directory of the user's own files,
/// exited 1 for a file given as --out, and `sweep --fresh` deleted the
/// directory's `runs/` whatever it held.
#[test]
fn batch_commands_refuse_an_unusable_out_before_running_and_touch_nothing_there() {
    let d = scratch("batchout");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let sweep = format!(
        "name: w\nscenario:\n{}axes:\n  - path: suspicion_mult\n    values: [3, 4]\nseeds: 1\n",
        S.lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    std::fs::write(d.join("w.yaml"), sweep).unwrap();
    std::fs::write(d.join("afile"), b"x").unwrap();
    let user = d.join("mine");
    std::fs::create_dir_all(user.join("runs")).unwrap();
    std::fs::write(user.join("runs").join("keep.txt"), b"precious").unwrap();
    std::fs::write(user.join("notes.txt"), b"mine").unwrap();
    let held = listing(&user);
    let compare = [
        "compare",
        "s.yaml",
        "--presets",
        "memberlist",
        "--seeds",
        "1",
    ];
    for (out, phrase) in [
        ("afile", "not a directory"),
        ("afile/sub", "afile"),
        ("mine", "notes.txt"),
        ("..", "plain name"),
    ] {
        let o = flapsim(&[&compare[..], &["--out", out]].concat(), &d);
        refused(&o, &["--out", phrase]);
        assert!(
            o.stdout.is_empty(),
            "compare ran before checking --out {out}"
        );
    }
    for extra in [&[][..], &["--fresh"][..]] {
        for (out, phrase) in [
            ("afile", "not a directory"),
            ("mine", "which no flapsim sweep writes"),
        ] {
            let o = flapsim(
                &[&["sweep", "w.yaml", "--out", out][..], extra].concat(),
                &d,
            );
            refused(&o, &["--out", phrase]);
        }
    }
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("shard-{i}");
        let o = flapsim(
            &["sweep", "w.yaml", "--shard", &shard, "--out", &out, "-q"],
            &d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for (out, phrase) in [
        ("afile", "not a directory"),
        ("mine", "which no flapsim sweep writes"),
    ] {
        let o = flapsim(&["merge", "shard-0", "shard-1", "--out", out], &d);
        refused(&o, &["--out", phrase]);
    }
    assert_eq!(listing(&user), held);
    assert_eq!(
        std::fs::read(user.join("runs").join("keep.txt")).unwrap(),
        b"precious"
    );
    assert_eq!(std::fs::read(d.join("afile")).unwrap(), b"x");
    // A sweep's own directory still takes a merge of its shards beside them.
    let o = flapsim(&["sweep", "w.yaml", "--out", "whole", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::rename(d.join("shard-0"), d.join("whole/shard-0-of-2")).unwrap();
    let o = flapsim(
        &[
            "merge",
            "whole/shard-0-of-2",
            "shard-1",
            "--out",
            "whole",
            "-q",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// --------------------------------------------------------- 5. bounded reading

/// Main trusted the size the file system reports, and read /dev/zero until
/// memory ran out. (A device is now refused before it is read, below; an
/// endless pipe is what is read only up to the limit.)
#[test]
fn endless_and_oversized_inputs_are_read_only_up_to_the_limit() {
    let d = scratch("endless");
    let endless =
        |args: &[&str]| sh_capped("yes | \"$0\" \"$@\"", args, &d, Duration::from_secs(120));
    let o = endless(&["validate", "/dev/stdin"]);
    refused(&o, &["/dev/stdin", "limit of 1048576 bytes"]);
    let o = endless(&["validate", "/dev/stdin", "--limit", "file_bytes=1000"]);
    refused(&o, &["limit of 1000 bytes"]);
    for device in ["/dev/zero", "/dev/urandom"] {
        let o = flapsim(&["validate", device], &d);
        refused(&o, &[device, "character device"]);
    }
    let o = flapsim(&["run", "/dev/urandom"], &d);
    refused(&o, &["/dev/urandom"]);
    let o = flapsim(&["validate", "."], &d);
    refused(&o, &["directory"]);
    // `chart DIR` trusted the reported size too: a data file that never ends.
    std::fs::create_dir(d.join("charts")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("charts/chart-data.json")).unwrap();
    let o = flapsim(&["chart", "charts"], &d);
    refused(&o, &["chart-data.json", "not a regular file"]);
    // And a comparison's rows: `chart` read its `results.jsonl` to the end.
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let o = flapsim(
        &[
            "compare",
            "s.yaml",
            "--presets",
            "memberlist",
            "--seeds",
            "1",
            "--out",
            "cmp",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = d.join("cmp/results.jsonl");
    std::fs::remove_file(&rows).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &rows).unwrap();
    let o = flapsim(&["chart", "cmp"], &d);
    refused(&o, &["results.jsonl", "not a regular file"]);
}

// ------------------------------------- also: named pipes, devices, sockets

/// A named pipe (FIFO) at `path`.
fn mkfifo(path: &Path) {
    let o = Command::new("mkfifo").arg(path).output().expect("mkfifo");
    assert!(o.status.success(), "mkfifo {}", path.display());
}

/// Main opened every input with a blocking `open(2)`: a FIFO no process
/// writes to (`mkfifo f.yaml; flapsim run f.yaml`) hung every command that
/// reads a file the user names, before any message, and `chart`, `sweep
/// --resume` and `merge` hung on a FIFO in place of a file flapsim wrote.
/// Now: exit 2 naming the file, after a bounded wait for a writer for what
/// the user names, at once for flapsim's own files.
#[test]
fn a_fifo_with_no_writer_is_refused_never_waited_on_forever() {
    let d = scratch("fifo-nowriter");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    for f in [
        "v.yaml", "r.yaml", "w.yaml", "c.yaml", "o.yaml", "b.yaml", "d.log",
    ] {
        mkfifo(&d.join(f));
    }
    std::fs::write(
        d.join("based.yaml"),
        "base: b.yaml\naxes:\n  - path: suspicion_mult\n    values: [4, 5]\n",
    )
    .unwrap();
    // flapsim's own files replaced by FIFOs: a run's and a sweep's.
    let o = flapsim(&["run", "s.yaml", "--out", "run", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_file(d.join("run/chart-data.json")).unwrap();
    mkfifo(&d.join("run/chart-data.json"));
    run_sweep_of_s(&d, "sw");
    std::fs::remove_file(d.join("sw/manifest.json")).unwrap();
    mkfifo(&d.join("sw/manifest.json"));

    let no_writer = "a pipe with no writer";
    let own = "not a regular file";
    let cases: Vec<(Vec<&str>, [&str; 2])> = vec![
        (vec!["validate", "v.yaml"], ["v.yaml", no_writer]),
        (vec!["run", "r.yaml", "-q"], ["r.yaml", no_writer]),
        (vec!["sweep", "w.yaml", "-q"], ["w.yaml", no_writer]),
        (vec!["sweep", "based.yaml", "-q"], ["b.yaml", no_writer]),
        (
            vec!["compare", "c.yaml", "--presets", "memberlist", "-q"],
            ["c.yaml", no_writer],
        ),
        (
            vec!["oracle", "o.yaml", "--seeds", "1"],
            ["o.yaml", no_writer],
        ),
        (
            vec!["diagnose", "d.log", "--out", "diag", "--no-charts", "-q"],
            ["d.log", no_writer],
        ),
        (vec!["chart", "run"], ["chart-data.json", own]),
        (
            vec!["sweep", "sweep.yaml", "--out", "sw", "--resume", "-q"],
            ["manifest.json", own],
        ),
        (
            vec!["merge", "sw", "--out", "merged"],
            ["manifest.json", own],
        ),
    ];
    // At once: each waits for a writer (a few seconds) on its own FIFO.
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (cases.iter())
            .map(|(args, _)| scope.spawn(|| flapsim_capped(args, &d, Duration::from_secs(90))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((args, needles), o) in cases.iter().zip(&outputs) {
        let e = stderr(o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: expected exit 2: {e}");
        for n in needles {
            assert!(e.contains(n), "{args:?}: `{n}` not in: {e}");
        }
    }
}

/// Rule: a pipe with a writer is read as `cat` reads it, whoever opens it
/// first: a FIFO whose writer is waiting in its `open`, process substitution
/// `<(cat s.yaml)` and `/dev/stdin`.
#[test]
fn a_pipe_with_a_writer_is_read_in_full() {
    let d = scratch("fifo-writer");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let fifo = d.join("f.yaml");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, S).unwrap())
    };
    let o = flapsim(&["run", "f.yaml", "--out", "fifo", "-q"], &d);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(d.join("fifo/summary.json").is_file());
    let o = Command::new("bash")
        .arg("-c")
        .arg("\"$0\" run <(cat s.yaml) --out procsub -q && cat s.yaml | \"$0\" validate /dev/stdin")
        .arg(bin())
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(d.join("procsub/summary.json").is_file());
}

/// Main opened a socket or a terminal as an input: `No such device or
/// address (os error 6)` for a socket, and a terminal (`/dev/tty`,
/// `/dev/stdin` at a prompt) would have waited for typing. Each is now
/// refused as what it is.
#[test]
fn sockets_and_devices_are_refused_as_what_they_are() {
    let d = scratch("sockets");
    let _listener = std::os::unix::net::UnixListener::bind(d.join("sock.yaml")).unwrap();
    let o = flapsim(&["validate", "sock.yaml"], &d);
    refused(&o, &["sock.yaml", "a socket, not a file"]);
    let o = flapsim(&["diagnose", "/dev/null", "--out", "diag", "-q"], &d);
    refused(&o, &["/dev/null", "a character device"]);
    let o = flapsim(&["run", "/dev/null"], &d);
    refused(&o, &["/dev/null", "a character device"]);
}

/// Rule: flapsim's own files in a directory it republishes or resumes must
/// be regular files; a FIFO, socket or link under one of their names is
/// refused at once, exit 2, naming the file and what it is, never waited on.
/// Main: `chart DIR` on a run whose events.jsonl was a FIFO exited 1 with
/// "holds `events.jsonl`, which flapsim does not write … choose a new or
/// empty --out", and `sweep --resume` opened a FIFO `results.jsonl` to
/// append to it (results.csv without its header: both start over) and hung
/// for a reader.
#[test]
fn own_files_that_are_not_regular_are_refused_never_waited_on() {
    let d = scratch("own-not-regular");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let o = flapsim(&["run", "s.yaml", "--out", "run", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = d.join("run");
    let fifo = run.join("events.jsonl");
    std::fs::remove_file(&fifo).unwrap();
    mkfifo(&fifo);
    let watchdog = Duration::from_secs(60);
    let o = flapsim_capped(&["chart", "run"], &d, watchdog);
    refused(
        &o,
        &["run/events.jsonl", "a pipe (FIFO), not a regular file"],
    );
    // Republishing again over it (`run --out`) is refused the same way.
    let o = flapsim_capped(&["run", "s.yaml", "--out", "run", "-q"], &d, watchdog);
    refused(
        &o,
        &["run/events.jsonl", "a pipe (FIFO), not a regular file"],
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::write(&fifo, b"").unwrap();
    let log = run.join("memberlist.log");
    std::fs::remove_file(&log).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(&log).unwrap();
    let o = flapsim_capped(&["chart", "run"], &d, watchdog);
    refused(&o, &["run/memberlist.log", "a socket, not a regular file"]);
    // The directory is as it was: nothing staged is left beside it.
    assert_eq!(listing(&d), ["run", "s.yaml"]);

    // A sweep's result files, resumed.
    run_sweep_of_s(&d, "sw");
    let resume = ["sweep", "sweep.yaml", "--out", "sw", "--resume", "-q"];
    std::fs::write(d.join("sw/results.csv"), b"not the header\n").unwrap();
    std::fs::remove_file(d.join("sw/results.jsonl")).unwrap();
    mkfifo(&d.join("sw/results.jsonl"));
    let o = flapsim_capped(&resume, &d, watchdog);
    refused(
        &o,
        &["sw/results.jsonl", "a pipe (FIFO), not a regular file"],
    );
    std::fs::remove_file(d.join("sw/results.csv")).unwrap();
    mkfifo(&d.join("sw/results.csv"));
    let o = flapsim_capped(&resume, &d, watchdog);
    refused(&o, &["sw/results.csv", "a pipe (FIFO), not a regular file"]);
}

// ------------------------------------------------- 6. / 9. CPU work is budgeted

/// Main ran for many minutes at any `--limit events` (host-schedule work and
/// generated pauses were not counted).
#[test]
fn host_schedule_work_counts_against_the_event_budget() {
    let d = scratch("budget");
    let body = "duration: 1h\ncluster:\n  groups:\n    g: {count: 5, name: \"n-{}\"}\n";
    // The same cluster without faults needs ~240,000 events: it fits.
    std::fs::write(d.join("healthy.yaml"), body).unwrap();
    let o = flapsim(&["run", "healthy.yaml", "-q", "--limit", "events=1e6"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rules = format!(
        "network:\n  rules:\n{}",
        "    - {from: all, to: all, loss: 0}\n".repeat(500)
    );
    let cases = [
        ("pause", "faults:\n  - nodes: n-1\n    pause: {every: 10us, duration: 10us}\n".to_string()),
        (
            "slow",
            "faults:\n  - nodes: all\n    throttle: {run: 1us, park: 3us}\n  - nodes: all\n    slow: {cost: 50ms}\n".to_string(),
        ),
        ("credits", "faults:\n  - nodes: all\n    credits: {instance: t2.micro, period: 10us, background_load: 1.0}\n".to_string()),
        ("rules", rules),
    ];
    for (name, extra) in cases {
        let file = format!("{name}.yaml");
        std::fs::write(d.join(&file), format!("{body}{extra}")).unwrap();
        let o = flapsim(&["run", &file, "-q", "--limit", "events=1e6"], &d);
        refused(&o, &["counting the work they cause", "--limit events"]);
        assert!(!d.join("output").join(name).exists(), "wrote {name}");
    }
}

/// Main accepted nanosecond slices, whose walks no budget could bound.
#[test]
fn time_granularity_below_one_microsecond_is_refused_where_it_is_set() {
    let d = scratch("granularity");
    let cases = [
        ("faults:\n  - nodes: n-1\n    throttle: {run: 1ns, park: 1ns}\n", "faults[0].throttle.run"),
        ("faults:\n  - nodes: n-1\n    throttle: {run: 10ms, park: 999ns}\n", "faults[0].throttle.park"),
        ("faults:\n  - nodes: n-1\n    pause: {every: 100ns, duration: 1ms}\n", "faults[0].pause.every"),
        ("faults:\n  - nodes: n-1\n    pause: {every: 1s, duration: {exponential: {mean: 10ns}}}\n", "faults[0].pause.duration"),
        ("timeline:\n  - at: 1s\n    hold: {nodes: n-1, every: 1ms, for: 500ns}\n", "timeline[0].hold.for"),
        ("timeseries_bin: 999ns\n", "timeseries_bin"),
        ("faults:\n  - nodes: n-1\n    credits: {instance: t2.micro, period: 5us}\n", "faults[0].credits.period"),
    ];
    for (i, (extra, field)) in cases.iter().enumerate() {
        let file = format!("g{i}.yaml");
        std::fs::write(d.join(&file), format!("{S}{extra}")).unwrap();
        let o = flapsim(&["validate", &file], &d);
        refused(&o, &[&format!("{file}:"), field, "1us"]);
    }
}

/// Main's walks stopped after 1,000,000 steps and returned a partial answer: a
/// 1 µs / 1 µs throttle sampled over 2 s bins reported 25 % parked, not 50 %.
#[test]
fn parked_fractions_are_exact_never_a_truncated_walk() {
    let d = scratch("truncated");
    for (run, park, bin, want) in [
        ("1us", "1us", "2s", "0.5"),
        ("1us", "3us", "4s", "0.75"),
        ("3us", "1us", "10s", "0.25"),
    ] {
        std::fs::write(
            d.join("t.yaml"),
            format!("{S}faults:\n  - nodes: n-1\n    throttle: {{run: {run}, park: {park}}}\n"),
        )
        .unwrap();
        let o = flapsim(
            &[
                "run",
                "t.yaml",
                "-q",
                "--out",
                "out",
                "--set",
                &format!("timeseries_bin={bin}"),
            ],
            &d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let csv = std::fs::read_to_string(d.join("out").join("timeseries.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "parked_n-1").unwrap();
        let mut rows = 0;
        for row in csv.lines().skip(1) {
            let cells: Vec<&str> = row.split(',').collect();
            if cells[col].is_empty() {
                continue; // the bin after the end has no sample
            }
            assert_eq!(cells[col], want, "{run}/{park} at {bin}: {row}");
            rows += 1;
        }
        assert!(rows >= 2, "{csv}");
    }
}

// ----------------------------------------------------- 7. time-series size

/// Main aborted allocating 1.6 TB for `timeseries_bin=1ns`, and wrote a 748 MB
/// CSV for `1us`.
#[test]
fn time_series_bins_are_bounded_and_the_error_names_the_flag_or_line() {
    let d = scratch("bins");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    for bin in ["1ns", "1us", "2us"] {
        let set = format!("timeseries_bin={bin}");
        let o = flapsim(&["run", "s.yaml", "-q", "--set", &set], &d);
        refused(&o, &[&format!("--set {set}")]);
    }
    std::fs::write(
        d.join("f.yaml"),
        "duration: 30d\ntimeseries_bin: 100ms\ncluster: {groups: {g: {count: 3, name: \"n-{}\"}}}\n",
    )
    .unwrap();
    let o = flapsim(&["validate", "f.yaml"], &d);
    refused(
        &o,
        &["f.yaml:2:", "timeseries_bin", "--limit timeseries_cells"],
    );
    // Each host with a CPU fault adds a column: 2 s at 100 us is 20,001 rows.
    let faulty =
        format!("{S}timeseries_bin: 100us\nfaults:\n  - nodes: all\n    slow: {{cost: 1ms}}\n");
    std::fs::write(d.join("w.yaml"), faulty).unwrap();
    let o = flapsim(
        &["validate", "w.yaml", "--limit", "timeseries_cells=1000000"],
        &d,
    );
    refused(&o, &["w.yaml:", "x 6 columns"]);
    assert!(!d.join("output").exists());
}

// ------------------------------------------------------- 8. target expansion

/// Main expanded every `{from: all, to: all}` alias into two node vectors: with
/// 20,000 nodes, ~16 GB to validate a 900 KB file (10,000 is today's node limit).
#[test]
fn aliased_and_repeated_targets_cannot_exhaust_memory() {
    let d = scratch("targets");
    let cluster = "duration: 20s\ncluster:\n  groups:\n    g: {count: 10000, name: \"n-{}\"}\n";
    let variants = [
        (
            "alias",
            format!(
                "{cluster}network:\n  rules:\n    - &r {{from: all, to: all, loss: 1%}}\n{}",
                "    - *r\n".repeat(99_999)
            ),
        ),
        (
            "except",
            format!(
                "{cluster}network:\n  rules:\n    - &r {{from: {{except: n-1}}, to: g, loss: 1%}}\n{}",
                "    - *r\n".repeat(99_999)
            ),
        ),
        (
            "list",
            format!(
                "{cluster}log_observers: [{}]\n",
                vec!["all"; 100_000].join(", ")
            ),
        ),
    ];
    for (name, text) in variants {
        let file = format!("{name}.yaml");
        assert!(text.len() < 1 << 20, "{name} is within the file limit");
        std::fs::write(d.join(&file), text).unwrap();
        let o = flapsim(&["validate", &file], &d);
        refused(&o, &[&format!("{file}:"), "--limit target_nodes"]);
    }
}

// -------------------------------------------------------- 10.–12. check, bench

/// Main checked nothing and exited 0 for a range past 2^64-1, panicked (reported
/// as a protocol failure) for a huge --max-nodes, and applied no limits to bench.
#[test]
fn check_and_bench_refuse_out_of_range_flags() {
    let d = scratch("flags");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "check",
                "--seeds",
                "2",
                "--start-seed",
                "18446744073709551615",
            ],
            "--start-seed",
        ),
        (
            &[
                "check",
                "--seeds",
                "18446744073709551615",
                "--start-seed",
                "2",
            ],
            "--seeds",
        ),
        (
            &["check", "--max-nodes", "18446744073709551615"],
            "--max-nodes",
        ),
        (&["check", "--max-nodes", "100000"], "--max-nodes"),
        (&["bench", "--nodes", "18446744073709551615"], "--nodes"),
        (&["bench", "--nodes", "20001"], "--nodes"),
        (&["bench", "--duration", "100000d"], "--duration"),
        (&["bench", "--repeat", "0"], "--repeat"),
        // A negative share names the flag and its range (was clap's
        // "unexpected argument '-5' found").
        (&["bench", "--starved", "-5%"], "--starved"),
        (&["bench", "--starved", "150%"], "--starved"),
        // Outputs are chosen as for `run`, and `--out` needs them.
        (&["bench", "--outputs", "events"], "--outputs"),
        (&["bench", "--out", "x"], "--outputs"),
        // `--against` runs two builds side by side: a file that does not
        // run, or a flag it cannot be combined with, is bad input.
        (&["bench", "--against", "no-such-flapsim"], "--against"),
        (
            &["bench", "--against", "x", "--print-scenario"],
            "--against",
        ),
    ];
    for (args, flag) in cases {
        let o = flapsim(args, &d);
        refused(&o, &[flag]);
    }
    // A comparison over the runs a sweep may have was resolved run by run,
    // all run, and then not read back: it is refused before anything runs.
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let mut args = vec![
        "compare",
        "s.yaml",
        "--presets",
        "memberlist,memberlist-2015",
    ];
    let variants: Vec<String> = (2..11)
        .map(|m| format!("m{m}:suspicion_mult={m}"))
        .collect();
    for v in &variants {
        args.extend(["--variant", v.as_str()]);
    }
    args.extend(["--seeds", "100000", "--out", "big"]);
    let o = flapsim(&args, &d);
    refused(&o, &["11 configurations x 100000 seeds", "1000000 runs"]);
    assert!(!d.join("big").exists());
    // The last seed of the range is checked, not skipped.
    let o = flapsim(
        &[
            "check",
            "--seeds",
            "1",
            "--start-seed",
            "18446744073709551615",
            "-q",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("check: 1 seed, 1 passed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Bench over its event budget stops with the run's message.
    let o = flapsim(
        &[
            "bench",
            "--nodes",
            "50",
            "--duration",
            "1h",
            "--repeat",
            "1",
            "--limit",
            "events=1e5",
        ],
        &d,
    );
    refused(&o, &["--limit events"]);
}

// ------------------------------------------------------------- 13. closed stdout

/// Run `args` with a stdout whose reader is already gone (every write is EPIPE).
fn with_closed_stdout(args: &[&str], cwd: &Path) -> Output {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors we then own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] and fds[1] were just created and are owned here.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .expect("run flapsim")
}

/// Main panicked on the first print to a closed pipe (`| head -1`).
#[test]
fn a_closed_stdout_keeps_the_real_exit_code_and_the_outputs() {
    let d = scratch("epipe");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    std::fs::write(d.join("bad.yaml"), "duration: 1x\n").unwrap();
    for (args, code) in [
        (&["run", "s.yaml", "--out", "out"][..], 0),
        (&["validate", "s.yaml"][..], 0),
        (&["validate", "bad.yaml"][..], 2),
        (&["check", "--seeds", "2"][..], 0),
        (&["presets"][..], 0),
        (&["chart", "out"][..], 0),
        (
            &["bench", "--nodes", "5", "--duration", "5s", "--repeat", "1"][..],
            0,
        ),
    ] {
        let o = with_closed_stdout(args, &d);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
    }
    assert_eq!(listing(&d.join("out")), RUN_OUTPUTS);
}

// ------------------------------------------------------------------- 14. BOM

/// Main said "more than one document is not supported", with no line.
#[test]
fn a_byte_order_mark_is_accepted_and_lines_stay_right() {
    let d = scratch("bom");
    std::fs::write(d.join("a.yaml"), format!("\u{feff}{S}")).unwrap();
    std::fs::write(
        d.join("b.yaml"),
        format!("\u{feff}{}", S.replace('\n', "\r\n")),
    )
    .unwrap();
    for f in ["a.yaml", "b.yaml"] {
        let o = flapsim(&["validate", f], &d);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stderr(&o));
    }
    std::fs::write(d.join("c.yaml"), format!("\u{feff}{S}timeseries_bin: 1\n")).unwrap();
    let o = flapsim(&["validate", "c.yaml"], &d);
    refused(&o, &["c.yaml:5:", "timeseries_bin"]);
}

// ------------------------------------- also: where whole-file refusals point

/// Rule: a refusal of the whole file still names a line when there is one to
/// name: the second document's marker, the first line nested too deep. Main
/// said "more than one document is not supported" and "nested N levels deep"
/// with no line, for scenarios and sweep files alike.
#[test]
fn a_second_document_or_too_deep_nesting_is_refused_at_its_line() {
    let d = scratch("whole-file-lines");
    std::fs::write(d.join("two.yaml"), format!("{S}---\nduration: 1m\n")).unwrap();
    let second = S.lines().count() + 1;
    let o = flapsim(&["validate", "two.yaml"], &d);
    refused(
        &o,
        &[&format!("two.yaml:{second}:"), "second YAML document"],
    );

    let deep: String = (0..70)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    std::fs::write(d.join("deep.yaml"), &deep).unwrap();
    let o = flapsim(&["validate", "deep.yaml"], &d);
    refused(&o, &["deep.yaml:65:", "levels deep"]);

    std::fs::write(
        d.join("w.yaml"),
        "name: w\nscenario:\n  duration: 1m\naxes:\n  - {name: seed, values: [1]}\n---\nname: x\n",
    )
    .unwrap();
    let o = flapsim(&["sweep", "w.yaml", "--dry-run"], &d);
    refused(&o, &["w.yaml:6:", "second YAML document"]);
}

// -------------------------------------------------- also: duplicate partitions

/// Main accepted two active partitions with one name, and `heal` healed both.
#[test]
fn two_active_partitions_or_holds_with_one_name_are_refused() {
    let d = scratch("dup");
    let cases = [
        "  - {at: 1s, partition: {name: p, from: n-1, to: n-2}}\n  - {at: 2s, partition: {name: p, from: n-3, to: n-4}}\n",
        "  - {at: 1s, hold: {name: h, nodes: n-1}}\n  - {at: 2s, hold: {name: h, nodes: n-2}}\n",
        "  - {at: 3s, partition: {name: p, from: n-1, to: n-2}}\n  - {at: 1s, partition: {name: p, from: n-3, to: n-4}}\n",
    ];
    for (i, timeline) in cases.iter().enumerate() {
        let file = format!("d{i}.yaml");
        std::fs::write(d.join(&file), format!("{S}timeline:\n{timeline}")).unwrap();
        let o = flapsim(&["validate", &file], &d);
        refused(&o, &[&format!("{file}:"), "still active"]);
    }
    // A name may be reused once the first is healed (or released).
    std::fs::write(
        d.join("ok.yaml"),
        format!("{S}timeline:\n  - {{at: 1s, partition: {{name: p, from: n-1, to: n-2}}}}\n  - {{at: 2s, heal: p}}\n  - {{at: 3s, partition: {{name: p, from: n-3, to: n-4}}}}\n  - {{at: 4s, heal: all}}\n  - {{at: 5s, partition: {{name: p, from: n-1, to: n-4}}}}\n"),
    )
    .unwrap();
    let o = flapsim(&["validate", "ok.yaml"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// ------------------------------------------------ CPU: many names in one file

/// Reading a file took time quadratic in how many zones or mapping keys it
/// names: each zone was looked up in a list of those before it, and each key of
/// `protocol.overrides`, `cluster.groups` or `cluster.nodes` compared with
/// every key before it. Within the default 1 MiB a file of zones took 31 s,
/// one of single nodes 16 s and one of overrides 11 s before it was refused;
/// at 2 MiB (`--limit file_bytes`) four times that. Each is now read in
/// well under a second; the watchdog is a hang guard, far from both.
#[test]
fn a_file_naming_many_zones_or_keys_is_read_in_time_linear_in_its_size() {
    let d = scratch("manynames");
    let n = 125_000;
    let zones: Vec<String> = (0..n).map(|i| format!("z{i}")).collect();
    let zones = zones.join(",");
    let header = "duration: 20s\ncluster:\n";
    let variants = [
        // Declared, then a group round-robin over all of them.
        (
            "zones",
            format!(
                "{header}  zones: [{zones}]\n  groups:\n    g: {{count: 3, name: \"n-{{}}\", zones: [{zones}]}}\n"
            ),
            None,
        ),
        // Used by a group without being declared.
        (
            "groupzones",
            format!("{header}  groups:\n    g: {{count: 3, name: \"n-{{}}\", zones: [{zones}]}}\n"),
            None,
        ),
        (
            "overrides",
            format!(
                "{header}  groups:\n    g: {{count: 3, name: \"n-{{}}\"}}\nprotocol:\n  overrides:\n{}",
                (0..n + n / 8).map(|i| format!("    k{i}: 1\n")).collect::<String>()
            ),
            Some(("overrides.yaml:7:5:", "unknown config key `k0`")),
        ),
        (
            "nodes",
            format!(
                "{header}  nodes:\n{}",
                (0..n + n / 8).map(|i| format!("    m{i}:\n")).collect::<String>()
            ),
            Some(("nodes.yaml:2:1:", "--limit nodes")),
        ),
        // `zone:` targets naming an empty zone: each scanned every node.
        (
            "zonetargets",
            format!(
                "{header}  zones: [a, b]\n  groups:\n    g: {{count: 10000, name: \"n-{{}}\", zone: a}}\nlog_observers: [{}]\n",
                vec!["zone:b"; 2 * n].join(",")
            ),
            None,
        ),
    ];
    for (name, text, refusal) in variants {
        let file = format!("{name}.yaml");
        assert!(text.len() < 2 << 20, "{name}: {} bytes", text.len());
        std::fs::write(d.join(&file), text).unwrap();
        let args = ["validate", &file, "--limit", "file_bytes=2097152"];
        let o = flapsim_capped(&args, &d, Duration::from_secs(15));
        match refusal {
            None => assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o)),
            Some((at, what)) => refused(&o, &[at, what]),
        }
    }
}

// ------------------------------------------------------ memory: cluster size

/// Every node holds every other, so memory grows as n²: main accepted 20,000
/// nodes (~8.5 GB) and aborted under a 4 GB address-space cap.
#[test]
fn a_cluster_too_big_for_memory_is_refused_before_building() {
    let d = scratch("nodes");
    for (i, groups) in [
        "    g: {count: 20000, name: \"n-{}\"}\n",
        "    a: {count: 6000, name: \"a-{}\"}\n    b: {count: 6000, name: \"b-{}\"}\n",
    ]
    .iter()
    .enumerate()
    {
        let file = format!("n{i}.yaml");
        std::fs::write(
            d.join(&file),
            format!("duration: 2s\ncluster:\n  groups:\n{groups}"),
        )
        .unwrap();
        let o = flapsim(&["run", &file, "-q"], &d);
        refused(&o, &[&format!("{file}:"), "--limit nodes"]);
    }
    assert!(!d.join("output").exists());
}

// ------------------------------------------- also: counts in chart-data.json

/// Main took `timeline.columns` from the file as it was: 10^15 aborted
/// `flapsim chart` with a failed allocation (exit 134), 10^8 took 16 s and
/// 1 GB. Sizes that drive the drawing are now checked against what a run
/// writes.
#[test]
fn chart_data_sizes_beyond_what_a_run_writes_are_refused() {
    let d = scratch("chartsizes");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let o = flapsim(&["run", "s.yaml", "--out", "out"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = d.join("out/chart-data.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let names: Vec<String> = (0..41).map(|i| format!("n-{i}")).collect();
    for (field, edit) in [
        (
            "timeline.columns",
            serde_json::json!({"timeline": {"columns": 1_000_000_000_000_000u64}}),
        ),
        (
            "timeline.columns",
            serde_json::json!({"timeline": {"columns": 0}}),
        ),
        (
            "accusations.rows",
            serde_json::json!({"accusations": {"rows": names}}),
        ),
    ] {
        let mut data = original.clone();
        for (section, fields) in edit.as_object().unwrap() {
            for (k, v) in fields.as_object().unwrap() {
                data[section][k] = v.clone();
            }
        }
        std::fs::write(&path, serde_json::to_vec(&data).unwrap()).unwrap();
        let o = flapsim(&["chart", "out"], &d);
        refused(&o, &["chart-data.json", field, "outside"]);
    }
}

/// Main read a `chart-data.json` of up to 256 MiB and parsed it whole before
/// refusing it: parsing costs up to ~14 times the file (a run's list of
/// empty names 2.4 GB, a comparison's map of short keys 3.8 GB). The cap is
/// now 32 MiB, above what a run or a comparison writes (see
/// `cli::chart::MAX_DATA_BYTES`): a larger file is refused before it is
/// read, the worst shape just under the cap parses in under 1 GB, and
/// `compare` refuses a comparison whose data would pass the cap before it
/// runs anything.
#[test]
fn chart_data_past_32_mib_is_refused_before_it_is_read_and_memory_stays_bounded() {
    let d = scratch("chartcap");
    compare_two_presets(&d);
    let data = d.join("cmp/chart-data.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    // Past the cap: a sparse file, refused by its size.
    let big = d.join("big");
    std::fs::create_dir(&big).unwrap();
    let f = std::fs::File::create(big.join("chart-data.json")).unwrap();
    f.set_len((32 << 20) + 1).unwrap();
    let o = flapsim(&["chart", "big"], &d);
    refused(
        &o,
        &[
            "chart-data.json",
            "33554433 bytes is more than the 33554432",
        ],
    );
    // Just under it, the costliest shape flapsim parses: a protocol of
    // short unknown keys, 14 times its text in memory. Under 1 GB of
    // address space it is refused at its field, not aborted.
    let mut meta = original.clone();
    meta["configs"][0]["protocol"] = serde_json::json!({"@": 0});
    let text = serde_json::to_string(&meta).unwrap();
    let (head, tail) = text.split_once("\"@\":0").unwrap();
    let mut keys = String::with_capacity(32 << 20);
    let mut i = 0u64;
    while head.len() + keys.len() + tail.len() + 32 < (32 << 20) {
        keys.push_str(&format!("\"{i:x}\":0,"));
        i += 1;
    }
    keys.push_str("\"end\":0");
    std::fs::write(&data, format!("{head}{keys}{tail}")).unwrap();
    let o = sh_capped(
        "ulimit -v 1000000; exec \"$0\" chart cmp",
        &[],
        &d,
        Duration::from_secs(120),
    );
    refused(
        &o,
        &[
            "chart-data.json:",
            "configs[0].protocol",
            "not a protocol parameter",
        ],
    );
    // A comparison whose chart-data.json would pass the cap (its scenario
    // file's 33 MiB of comments are quoted in it) is refused before a run.
    let mut long = String::from(S);
    let comment = format!("# {}\n", "x".repeat(1000));
    while long.len() < (33 << 20) {
        long.push_str(&comment);
    }
    std::fs::write(d.join("long.yaml"), long).unwrap();
    let o = flapsim(
        &[
            "compare",
            "long.yaml",
            "--presets",
            "memberlist,memberlist-2015",
            "--limit",
            "file_bytes=40000000",
            "--out",
            "long",
            "-q",
        ],
        &d,
    );
    refused(&o, &["chart-data.json would be", "more than the 33554432"]);
    assert!(!d.join("long").exists(), "nothing published");
}

// ------------------------------------------- also: edited sweep manifests

/// Main trusted the counts of a sweep's `manifest.json`: a shard count of
/// 10^15 aborted `flapsim merge` on a failed allocation (exit 134), and a
/// shard index past its count, or a count of 0, panicked (exit 101); a row
/// with another point than its run's was merged.
#[test]
fn edited_sweep_manifests_are_refused_not_crashed() {
    let d = scratch("manifests");
    let scenario: String = S.lines().map(|l| format!("  {l}\n")).collect();
    std::fs::write(
        d.join("tiny.yaml"),
        format!("name: tiny\nscenario:\n{scenario}axes:\n  - path: suspicion_mult\n    values: [2, 3]\nseeds: 1\n"),
    )
    .unwrap();
    for i in 0..2 {
        let o = flapsim(
            &[
                "sweep",
                "tiny.yaml",
                "--shard",
                &format!("{i}/2"),
                "--out",
                &format!("sh{i}"),
                "-q",
            ],
            &d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let manifest = d.join("sh1/manifest.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    for (edit, needle) in [
        (
            (
                "shard",
                serde_json::json!({"index": 1, "count": 1_000_000_000_000_000u64}),
            ),
            "shard 1/1000000000000000",
        ),
        (
            ("shard", serde_json::json!({"index": 7, "count": 2})),
            "shard 7/2",
        ),
        (
            ("shard", serde_json::json!({"index": 0, "count": 0})),
            "shard 0/0",
        ),
        (
            ("runs", serde_json::json!(1_000_000_000_000_000u64)),
            "runs is 1000000000000000",
        ),
    ] {
        let mut m = original.clone();
        m[edit.0] = edit.1;
        std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
        let o = flapsim(&["merge", "sh0", "sh1", "--out", "merged"], &d);
        refused(&o, &["manifest.json", needle]);
        let o = flapsim(
            &[
                "sweep",
                "tiny.yaml",
                "--shard",
                "1/2",
                "--out",
                "sh1",
                "--resume",
                "-q",
            ],
            &d,
        );
        refused(&o, &["manifest.json", needle]);
    }
    std::fs::write(&manifest, original.to_string()).unwrap();
    // A row of the right run but another point was merged, then failed the
    // aggregation (exit 1) after the merged files were written.
    let rows = d.join("sh1/results.jsonl");
    let text = std::fs::read_to_string(&rows).unwrap();
    let mut row: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    row["point"] = serde_json::json!(0);
    let rest: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&rows, format!("{row}\n{rest}")).unwrap();
    let o = flapsim(&["merge", "sh0", "sh1", "--out", "merged"], &d);
    refused(&o, &["shard 1/2", "is not run 1"]);
    assert!(!d.join("merged").exists());
    // A shard count beyond any sweep's runs is refused at the flag too.
    let o = flapsim(
        &["sweep", "tiny.yaml", "--shard", "0/2000000", "--out", "x"],
        &d,
    );
    refused(&o, &["--shard", "N <= 1000000"]);
}

/// A comparison of two presets over two seeds of [`S`], written to `d/cmp`:
/// the directory the comparison-file tests tamper with.
fn compare_two_presets(d: &Path) {
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let o = flapsim(
        &[
            "compare",
            "s.yaml",
            "--presets",
            "memberlist,memberlist-2015",
            "--seeds",
            "2",
            "--out",
            "cmp",
            "-q",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Main indexed points by what a comparison's files said: a row naming a
/// point the manifest lacks, fewer configurations than points, or a point
/// without a label for a condition axis panicked `flapsim chart` (exit 101).
#[test]
fn edited_comparison_files_are_refused_not_crashed() {
    let d = scratch("comparisonfiles");
    compare_two_presets(&d);
    let read = |f: &str| std::fs::read_to_string(d.join("cmp").join(f)).unwrap();
    let (rows, data, manifest) = (
        read("results.jsonl"),
        read("chart-data.json"),
        read("manifest.json"),
    );
    let json = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
    let mut first_row = json(rows.lines().next().unwrap());
    first_row["point"] = serde_json::json!(1_000_000_000_000_000u64);
    let other_rows: String = rows.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let rows_edited = format!("{first_row}\n{other_rows}");
    let mut data_edited = json(&data);
    data_edited["configs"] = serde_json::json!([]);
    let mut manifest_edited = json(&manifest);
    manifest_edited["conditions"] = serde_json::json!(["config"]);
    manifest_edited["points"][0]["labels"] = serde_json::json!([]);
    for (file, original, edited, needle) in [
        ("results.jsonl", &rows, rows_edited, "not run 0 of point 0"),
        (
            "chart-data.json",
            &data,
            data_edited.to_string(),
            "0 configurations",
        ),
        (
            "manifest.json",
            &manifest,
            manifest_edited.to_string(),
            "point 0 does not have one label",
        ),
    ] {
        std::fs::write(d.join("cmp").join(file), edited).unwrap();
        let o = flapsim(&["chart", "cmp"], &d);
        refused(&o, &[file, needle]);
        std::fs::write(d.join("cmp").join(file), original).unwrap();
    }
    let o = flapsim(&["chart", "cmp"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// ------------------------------------------- also: long user text in messages

/// Main quoted a value from the command line or a sweep file whole: a
/// 100 KB `--set` value, `--limit` key, `--outputs` entry, sweep axis value
/// or `--out` path came back in full, some twice (200 KB of message). Each
/// is now quoted by its head and the count of bytes left out; a path by its
/// tail (its file name, quote::path_text).
#[test]
fn long_values_in_flags_and_sweeps_are_quoted_shortened() {
    let d = scratch("longtext");
    std::fs::write(d.join("s.yaml"), S).unwrap();
    let long = format!("v{}", "x".repeat(100_000));
    let scenario: String = S.lines().map(|l| format!("  {l}\n")).collect();
    std::fs::write(
        d.join("w.yaml"),
        format!("scenario:\n{scenario}axes:\n  - path: suspicion_mult\n    values: [\"{long}\"]\n"),
    )
    .unwrap();
    let set = format!("suspicion_mult={long}");
    let limit = format!("{long}=1");
    let out = format!("out/{long}");
    let (head, tail) = ("more bytes)", "bytes left out) …xxx");
    for (args, marker) in [
        (vec!["run", "s.yaml", "--set", &set], head),
        (vec!["run", "s.yaml", "--limit", &limit], head),
        (vec!["run", "s.yaml", "--outputs", &long], head),
        (vec!["run", "s.yaml", "--out", &out], tail),
        (vec!["sweep", "w.yaml", "--out", "sw"], head),
    ] {
        let o = flapsim(&args, &d);
        let e = stderr(&o);
        let head: String = e.chars().take(300).collect();
        assert_eq!(o.status.code(), Some(2), "{:?}: {head}", &args[..2]);
        assert!(
            e.len() < 600,
            "{:?}: {} bytes of message",
            &args[..2],
            e.len()
        );
        assert!(e.contains(marker), "{:?}: {e}", &args[..2]);
    }
}

// --------------------------------- also: chart-data.json a run cannot write

/// A run with a crash after its warm-up (so every section of chart-data.json
/// is filled: marks, detection, accusations).
/// Rule: the rates `report.html` shows that `summary.json`'s own counts
/// give are the run's: flaps per hour (`flaps` over `measured_s`), per
/// node-hour (and `nodes`), and each blame row's shares (its count over the
/// rows' total) are computed again as the run computes and rounds them, with
/// no tolerance. Main checked only that each was a finite number from 0:
/// a rate one unit of its last place off its count, or a count edited under
/// its rate, was shown with exit 0. Each is refused (exit 2) at its field,
/// line and column, nothing republished; the run's own file redraws.
#[test]
fn a_summarys_rate_that_its_counts_do_not_give_is_refused_at_its_field_by_chart() {
    use serde_json::{json, Value};
    let d = scratch("chartsummaryrates");
    let _ = crashing_run(&d);
    let path = d.join("out/summary.json");
    let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let report = std::fs::read(d.join("out/report.html")).unwrap();
    let o = flapsim(&["chart", "out"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("out/report.html")).unwrap(), report);
    let f = |p: &str| original.pointer(p).and_then(Value::as_f64).unwrap();
    // One unit of the last place the run writes, up or down (within range).
    let nudged = |x: f64, unit: f64| if x >= unit { x - unit } else { x + unit };
    let flaps = original["flaps"].as_u64().unwrap();
    let nodes = original["nodes"].as_u64().unwrap();
    let cases: [(&str, Value, &str); 8] = [
        (
            "/flaps_per_hour",
            json!(nudged(f("/flaps_per_hour"), 1e-4)),
            "flaps_per_hour: ",
        ),
        (
            "/flaps_per_node_hour",
            json!(nudged(f("/flaps_per_node_hour"), 1e-6)),
            "flaps_per_node_hour: ",
        ),
        ("/flaps", json!(flaps + 3), "flaps_per_hour: "),
        (
            "/measured_s",
            json!(f("/measured_s") + 1.5e-10),
            "measured_s: not seconds from 0 to the nanosecond",
        ),
        ("/nodes", json!(nodes + 1), "nodes: "),
        (
            "/blame/0/suspicion_share",
            json!(nudged(f("/blame/0/suspicion_share"), 1e-4)),
            "blame[0].suspicion_share: ",
        ),
        (
            "/blame/0/refutation_share",
            json!(nudged(f("/blame/0/refutation_share"), 1e-4)),
            "blame[0].refutation_share: ",
        ),
        (
            "/blame/0/suspicions_raised",
            json!(original["blame"][0]["suspicions_raised"].as_u64().unwrap() + 1),
            "blame[0].suspicion_share: ",
        ),
    ];
    chart_refuses_each_summary_edit(&d, &original, &report, cases);
}

const CRASHING: &str = "duration: 40s\nwarmup: 4s\ncluster:\n  groups:\n    g: {count: 5, name: \"n-{}\"}\ntimeline:\n  - {at: 10s, crash: n-2}\n";

/// `flapsim chart out` (in `d`) on `out/summary.json` edited as each case
/// says (a JSON pointer and its new value) refuses it with exit 2, naming
/// `summary.json`, its line and column and the case's `needle`, and
/// republishes nothing: `report.html` stays `report`.
fn chart_refuses_each_summary_edit(
    d: &Path,
    original: &serde_json::Value,
    report: &[u8],
    cases: impl IntoIterator<Item = (&'static str, serde_json::Value, &'static str)>,
) {
    let path = d.join("out/summary.json");
    for (pointer, value, needle) in cases {
        let mut s = original.clone();
        *s.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value;
        std::fs::write(&path, serde_json::to_vec_pretty(&s).unwrap()).unwrap();
        let o = flapsim(&["chart", "out"], d);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{pointer}: {err}");
        assert!(
            err.contains("summary.json:") && err.contains(needle),
            "{pointer}: {err}"
        );
        assert!(
            err.lines()
                .next()
                .is_some_and(|l| l.matches(':').count() >= 4),
            "{pointer}: names the line and column: {err}"
        );
        assert_eq!(std::fs::read(d.join("out/report.html")).unwrap(), report);
    }
}

/// [`CRASHING`] run into `d/out`: its `chart-data.json`'s path, bytes and
/// parsed value, the file the chart-data tests tamper with.
fn crashing_run(d: &Path) -> (PathBuf, Vec<u8>, serde_json::Value) {
    std::fs::write(d.join("c.yaml"), CRASHING).unwrap();
    let o = flapsim(&["run", "c.yaml", "--out", "out", "-q"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = d.join("out/chart-data.json");
    let written = std::fs::read(&path).unwrap();
    let original = serde_json::from_slice(&written).unwrap();
    (path, written, original)
}

/// `chart out` after setting `pointer` of `original` to `value` in `path`
/// (the run's `chart-data.json`, written back compact).
fn chart_tampered(
    d: &Path,
    path: &Path,
    original: &serde_json::Value,
    pointer: &str,
    value: serde_json::Value,
) -> Output {
    let mut data = original.clone();
    *data
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = value;
    std::fs::write(path, serde_json::to_vec(&data).unwrap()).unwrap();
    flapsim(&["chart", "out"], d)
}

/// Main drew any well-typed chart-data.json and exited 0: an `end_min` of
/// 1e308, negative times, marks after the run's end, counts larger than the
/// run's nodes, a row that did not add up to the timeline's columns. Two
/// million episode marks took 6 s and 600 MB to draw, 100,000 blame bars 3 s
/// and 400 MB. Each field is now checked against what a run writes and
/// refused at its JSON path and line; the run's own file still redraws byte
/// for byte.
#[test]
fn chart_data_a_run_could_not_have_written_is_refused_at_its_field() {
    use serde_json::{json, Value};
    let d = scratch("chartfields");
    let (path, written, original) = crashing_run(&d);
    let drawn: Vec<(String, Vec<u8>)> = listing(&d.join("out"))
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(d.join("out").join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    assert!(
        original["detection"].is_object() && !original["marks"].as_array().unwrap().is_empty(),
        "the run measured a crash: {original}"
    );
    let buckets = original["flap_rate"]["t_min"].as_array().unwrap().len();
    let one_host = |parked: f64| {
        json!([{"node": "n-1", "credits": vec![Value::Null; buckets],
                "parked_pct": vec![json!(parked); buckets], "health": vec![0; buckets]}])
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/end_min", json!(1e308), "end_min"),
        ("/end_min", json!(-5.0), "end_min"),
        ("/warmup_min", json!(1e308), "warmup_min"),
        ("/warmup_min", json!(-1.0), "warmup_min"),
        ("/nodes", json!(0), "nodes"),
        ("/marks/0/t_min", json!(1e308), "marks[0].t_min"),
        (
            "/marks",
            json!(vec![json!({"t_min": 1.0, "label": "x"}); 13]),
            "marks",
        ),
        ("/timeline/column_min", json!(1e-300), "timeline.column_min"),
        ("/timeline/column_min", json!(-1.0), "timeline.column_min"),
        (
            "/timeline/rows/0/members",
            json!(1_000_000_000_000u64),
            "timeline.rows",
        ),
        (
            "/timeline/rows/0/members",
            json!(0),
            "timeline.rows[0].members",
        ),
        (
            "/timeline/banded_nodes",
            json!(1_000_000),
            "timeline.banded_nodes",
        ),
        (
            "/timeline/rows/0/suspect",
            json!("0*999999999999"),
            "timeline.rows[0].suspect",
        ),
        (
            "/timeline/rows/0/dead",
            json!("0*399"),
            "timeline.rows[0].dead",
        ),
        (
            "/timeline/rows/0/down",
            json!("250*400"),
            "timeline.rows[0].down",
        ),
        (
            "/timeline/rows/0/episodes_min",
            json!(vec![1.0; 201]),
            "timeline.rows[0].episodes_min",
        ),
        (
            "/timeline/rows/0/episodes_min",
            json!([-1.0]),
            "timeline.rows[0].episodes_min[0]",
        ),
        (
            "/timeline/rows/0/episodes_total",
            json!(1000),
            "timeline.rows[0].episodes_total",
        ),
        ("/flap_rate/bucket_min", json!(1e-300), "flap_rate.t_min[1]"),
        ("/flap_rate/bucket_min", json!(-1.0), "flap_rate.bucket_min"),
        ("/flap_rate/t_min/1", json!(1e308), "flap_rate.t_min[1]"),
        ("/flap_rate/t_min", json!(vec![0.0; 301]), "flap_rate.t_min"),
        (
            "/flap_rate/healthy_per_min/0",
            json!(1e308),
            "flap_rate.healthy_per_min[0]",
        ),
        (
            "/flap_rate/faulty_per_min/0",
            json!(-1.0),
            "flap_rate.faulty_per_min[0]",
        ),
        (
            "/flap_rate/healthy_per_min",
            json!([]),
            "flap_rate.healthy_per_min",
        ),
        (
            "/flap_rate/hosts",
            one_host(250.0),
            "flap_rate.hosts[0].parked_pct[0]",
        ),
        (
            "/flap_rate/hosts",
            json!(vec![one_host(1.0)[0].clone(); 5]),
            "flap_rate.hosts",
        ),
        (
            "/accusations",
            json!({"rows": ["n-1"], "row_totals": [1], "cols": ["n-2"], "counts": [[2]], "involved": 2}),
            "accusations.counts[0]",
        ),
        (
            "/accusations",
            json!({"rows": ["n-1"], "row_totals": [], "cols": ["n-2"], "counts": [[0]], "involved": 2}),
            "accusations.row_totals",
        ),
        (
            "/accusations/involved",
            json!(1_000_000),
            "accusations.involved",
        ),
        (
            "/blame",
            json!(vec![
                json!({"node": "n-1", "suspicions_raised": 1, "refutations_naming": 0});
                21
            ]),
            "blame",
        ),
        ("/detection/crashes", json!(0), "detection.crashes"),
        (
            "/detection/first_suspect_s/0",
            json!(1e308),
            "detection.first_suspect_s[0]",
        ),
        (
            "/detection",
            json!({"crashes": 2, "first_suspect_s": [5.0, 1.0], "first_dead_s": [], "full_dissemination_s": []}),
            "detection.first_suspect_s[1]",
        ),
        (
            "/detection/first_dead_s",
            json!(vec![1.0; 1000]),
            "detection.first_dead_s",
        ),
        // Not the type a run writes: serde's refusal, named by its field.
        ("/timeline/columns", json!(-1), "timeline.columns"),
        ("/end_min", json!("x"), "end_min"),
    ];
    for (pointer, value, field) in cases {
        let o = chart_tampered(&d, &path, &original, pointer, value);
        refused(&o, &["chart-data.json:1:", &format!(": {field}: ")]);
    }
    // Pretty-printed, the line is the field's own.
    let mut data = original.clone();
    data["warmup_min"] = json!(-1.0);
    let pretty = serde_json::to_string_pretty(&data).unwrap();
    let line = 1 + pretty[..pretty.find("\"warmup_min\"").unwrap()]
        .matches('\n')
        .count();
    std::fs::write(&path, &pretty).unwrap();
    let o = flapsim(&["chart", "out"], &d);
    refused(&o, &[&format!("chart-data.json:{line}:"), ": warmup_min: "]);

    // The run's own file: everything redrawn byte for byte.
    std::fs::write(&path, &written).unwrap();
    let o = flapsim(&["chart", "out", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(listing(&d.join("out")).len(), drawn.len());
    for (n, bytes) in drawn {
        assert!(
            std::fs::read(d.join("out").join(&n)).unwrap() == bytes,
            "{n} differs after redrawing the run's own chart-data.json"
        );
    }
}

/// A tampered `chart-data.json` whose fields were still unbounded after the
/// checks above: a 100 KB label on any chart (each took up to a second to lay
/// out), a credit balance of 1e308 or a health score no `u32` multiplier
/// allows, and a million detection latencies (1.2 s and 160 MB to draw a
/// 10 MB file). Labels, balances and scores are now bounded by what a run
/// writes and refused at their field; latencies a run can write in any
/// number, so the CDF draws at most `MAX_CDF_STEPS` corners whatever the count.
#[test]
fn chart_data_names_credits_and_scores_past_what_a_run_writes_are_refused_at_their_field() {
    use serde_json::{json, Value};
    let d = scratch("chartbounds");
    let (path, _, original) = crashing_run(&d);
    let buckets = original["flap_rate"]["t_min"].as_array().unwrap().len();
    let host = |node: &str, credit: f64, health: u64| {
        let mut credits = vec![Value::Null; buckets];
        credits[0] = json!(credit);
        let mut scores = vec![json!(0); buckets];
        scores[0] = json!(health);
        json!([{"node": node, "credits": credits,
                "parked_pct": vec![json!(0.0); buckets], "health": scores}])
    };
    let long = "n".repeat(100_000);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/scenario", json!(long), "scenario"),
        ("/preset", json!(long), "preset"),
        ("/marks/0/label", json!(long), "marks[0].label"),
        (
            "/timeline/rows/0/label",
            json!(long),
            "timeline.rows[0].label",
        ),
        (
            "/blame",
            json!([{"node": long, "suspicions_raised": 1, "refutations_naming": 0}]),
            "blame[0].node",
        ),
        (
            "/accusations",
            json!({"rows": [long], "row_totals": [1], "cols": ["n-2"], "counts": [[1]], "involved": 2}),
            "accusations.rows[0]",
        ),
        (
            "/flap_rate/hosts",
            host(&long, 1.0, 0),
            "flap_rate.hosts[0].node",
        ),
        (
            "/flap_rate/hosts",
            host("n-1", 1e308, 0),
            "flap_rate.hosts[0].credits[0]",
        ),
        (
            "/flap_rate/hosts",
            host("n-1", -1e308, 0),
            "flap_rate.hosts[0].credits[0]",
        ),
        (
            "/flap_rate/hosts",
            host("n-1", 2.5e9, 0),
            "flap_rate.hosts[0].credits[0]",
        ),
        (
            "/flap_rate/hosts",
            host("n-1", 1.0, u64::from(u32::MAX)),
            "flap_rate.hosts[0].health[0]",
        ),
    ];
    for (pointer, value, field) in cases {
        let o = chart_tampered(&d, &path, &original, pointer, value);
        refused(&o, &["chart-data.json:1:", &format!(": {field}: ")]);
        assert!(stderr(&o).len() < 600, "{}", stderr(&o));
    }
    // Balances and scores a run does reach are drawn.
    for (credit, health) in [(2e9, u64::from(u32::MAX - 1)), (-400.0, 0)] {
        let mut data = original.clone();
        data["flap_rate"]["hosts"] = host("n-1", credit, health);
        std::fs::write(&path, serde_json::to_vec(&data).unwrap()).unwrap();
        let o = flapsim(&["chart", "out", "-q"], &d);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // A million latencies: drawn, with no more corners than MAX_CDF_STEPS.
    let mut data = original.clone();
    data["detection"] = json!({"crashes": 1_000_000, "first_suspect_s": vec![1.0; 1_000_000],
                              "first_dead_s": [], "full_dissemination_s": []});
    std::fs::write(&path, serde_json::to_vec(&data).unwrap()).unwrap();
    let o = flapsim(&["chart", "out", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::metadata(d.join("out/chart-detection.svg"))
        .unwrap()
        .len();
    assert!(svg < 200_000, "chart-detection.svg is {svg} bytes");
}

/// A comparison's 6 nodes and a one-way firewall (fw-1 takes UDP from n-01
/// only): under memberlist-2015 healthy nodes flap too, so every rate is
/// non-zero; 3m7s with a 1m warm-up, so the rates have many digits.
const FIREWALLED: &str = "duration: 3m7s\nwarmup: 1m\ncluster:\n  groups:\n    nodes: {count: 6, name: \"n-{:02}\"}\n  nodes:\n    fw-1: {}\ntimeline:\n  - at: 0s\n    partition: {name: fw, from: {except: [fw-1, n-01]}, to: fw-1, one_way: true, transport: udp}\n  - {at: 2m, crash: n-05}\n";

/// `line` (a compact JSON row) with the number after `"key":` replaced by
/// `value`, as a careful hand would edit it.
fn with_number(line: &str, key: &str, value: &str) -> String {
    let at = line.find(&format!("\"{key}\":")).expect("key in row") + key.len() + 3;
    let end = at + line[at..].find([',', '}']).unwrap();
    format!("{}{value}{}", &line[..at], &line[end..])
}

/// Main checked a comparison's rates only as finite and >= 0: a
/// `results.jsonl` (and `results.csv`, edited alike) whose `flaps_per_hour`,
/// `flaps_healthy_per_hour` or `fp_healthy_per_hour` disagreed with the
/// row's count over the run's measured window, or whose count was edited
/// under its rate, was drawn and exited 0, a number no run reported; so was
/// a `simulated` other than the run's length. Each rate is now recomputed as
/// the run wrote it, over its own configuration's window (a variant may set
/// another `duration` and `warmup`), and a mismatch refused at its line and
/// field.
#[test]
fn comparison_rates_disagreeing_with_their_counts_are_refused_at_their_field() {
    use serde_json::Value;
    let d = scratch("comparisonrates");
    std::fs::write(d.join("fw.yaml"), FIREWALLED).unwrap();
    let o = flapsim(
        &[
            "compare",
            "fw.yaml",
            "--presets",
            "memberlist-2015",
            "--variant",
            "long:preset=memberlist-2015,duration=4m11s,warmup=90s",
            "--seeds",
            "1",
            "--out",
            "cmp",
            "-q",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cmp = d.join("cmp");
    let read = |f: &str| std::fs::read_to_string(cmp.join(f)).unwrap();
    let (rows, csv, data) = (
        read("results.jsonl"),
        read("results.csv"),
        read("chart-data.json"),
    );
    let lines: Vec<&str> = rows.lines().collect();
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap();
        for k in ["flaps", "flaps_healthy", "fp_healthy"] {
            assert!(
                v[k].as_u64().unwrap() > 0,
                "{k} is 0: the case tests nothing: {l}"
            );
        }
    }
    // Row `i` (0-based) with `key` set to `value` in both result files.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let edited = |i: usize, key: &str, value: &str| -> (String, String) {
        let mut jsonl: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        jsonl[i] = with_number(&jsonl[i], key, value);
        let column = header.iter().position(|h| *h == key).unwrap();
        let csv: String = (csv.lines().enumerate())
            .map(|(n, l)| {
                let mut cells: Vec<&str> = l.split(',').collect();
                if n == i + 1 {
                    cells[column] = value;
                }
                format!("{}\n", cells.join(","))
            })
            .collect();
        (jsonl.iter().map(|l| format!("{l}\n")).collect(), csv)
    };
    let cases = [
        (
            edited(0, "flaps_per_hour", "1.5"),
            "results.jsonl:1:",
            "flaps_per_hour: 1.5, but flaps ",
        ),
        (
            edited(1, "flaps_healthy_per_hour", "99"),
            "results.jsonl:2:",
            "flaps_healthy_per_hour: 99, but flaps_healthy ",
        ),
        (
            edited(1, "fp_healthy_per_hour", "0"),
            "results.jsonl:2:",
            "fp_healthy_per_hour: 0, but fp_healthy ",
        ),
    ];
    for ((jsonl, csv_edit), at, needle) in cases {
        std::fs::write(cmp.join("results.jsonl"), jsonl).unwrap();
        std::fs::write(cmp.join("results.csv"), csv_edit).unwrap();
        let o = flapsim(&["chart", "cmp"], &d);
        refused(&o, &[at, needle, "make it"]);
    }
    // The variant's rate is over its own window: 2m41s, not the first's.
    let o = flapsim(&["chart", "cmp"], &d);
    assert!(stderr(&o).contains("the measured 2m41s (the run's 4m11s less its 1m30s warm-up)"));
    // A count edited under its rate.
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    let flaps = (first["flaps"].as_u64().unwrap() + 1).to_string();
    let (jsonl, csv_edit) = edited(0, "flaps", &flaps);
    std::fs::write(cmp.join("results.jsonl"), jsonl).unwrap();
    std::fs::write(cmp.join("results.csv"), csv_edit).unwrap();
    let o = flapsim(&["chart", "cmp"], &d);
    refused(
        &o,
        &[
            "results.jsonl:1:",
            &format!("but flaps {flaps} in the measured 2m7s"),
        ],
    );
    std::fs::write(cmp.join("results.jsonl"), &rows).unwrap();
    std::fs::write(cmp.join("results.csv"), &csv).unwrap();
    // `simulated`, the first configuration's length, is the scenario's.
    std::fs::write(
        cmp.join("chart-data.json"),
        data.replace("\"simulated\": \"3m7s\"", "\"simulated\": \"4m11s\""),
    )
    .unwrap();
    let o = flapsim(&["chart", "cmp"], &d);
    refused(
        &o,
        &[
            "chart-data.json:",
            ": simulated: `4m11s`, but scenario_text",
            "runs 3m7s",
        ],
    );
    std::fs::write(cmp.join("chart-data.json"), &data).unwrap();
    let o = flapsim(&["chart", "cmp", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A comparison's files edited as a careless or hostile user would: values
/// of 1e308 or -5, fractional counts, a part above its whole, latencies past
/// the run, a row for a configuration the manifest lacks, an extra key, a
/// CSV disagreeing with the JSON, configurations renamed or reordered in one
/// file, a manifest of another comparison or of a two-axis sweep, absurd
/// node counts and durations, 100 KB names, a protocol of unknown keys. Each
/// was drawn and exited 0; each is now refused naming the file, its line and
/// the field. The untampered directory still redraws byte for byte.
#[test]
fn comparison_files_that_compare_could_not_have_written_are_refused_at_their_field() {
    use serde_json::{json, Value};
    let d = scratch("comparisonfields");
    compare_two_presets(&d);
    let cmp = d.join("cmp");
    let drawn: Vec<(String, Vec<u8>)> = listing(&cmp)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(cmp.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    let read = |f: &str| std::fs::read_to_string(cmp.join(f)).unwrap();
    let (rows, data, manifest, csv) = (
        read("results.jsonl"),
        read("chart-data.json"),
        read("manifest.json"),
        read("results.csv"),
    );
    let json = |t: &str| serde_json::from_str::<Value>(t).unwrap();
    // Row 1 with `key` set to `value` (written compactly, as flapsim writes).
    let row = |key: &str, value: Value| -> String {
        let mut lines: Vec<String> = rows.lines().map(str::to_string).collect();
        let mut first = json(&lines[0]);
        first[key] = value;
        lines[0] = first.to_string();
        lines.iter().map(|l| format!("{l}\n")).collect()
    };
    let meta = |pointer: &str, value: Value| -> String {
        let mut m = json(&data);
        *m.pointer_mut(pointer).unwrap() = value;
        serde_json::to_string_pretty(&m).unwrap()
    };
    let long = "x".repeat(100_000);
    let mut other_manifest = json(&manifest);
    other_manifest["sweep"] = json!("other-compare");
    let mut two_axes = json(&manifest);
    two_axes["axes"] = json!(["config", "x"]);
    for p in two_axes["points"].as_array_mut().unwrap() {
        p["labels"].as_array_mut().unwrap().push(json!("1"));
        p["values"].as_array_mut().unwrap().push(json!(1));
    }
    let mut reversed = json(&data);
    reversed["configs"].as_array_mut().unwrap().reverse();
    let csv_edited = csv.replacen(",memberlist,", ",memberlist-2016,", 1);
    let protocol_keys: Value = (0..10)
        .map(|i| (format!("k{i}"), json!(i)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "results.jsonl",
            row("flaps", json!(-5)),
            &["results.jsonl:1:", ": flaps: "],
        ),
        (
            "results.jsonl",
            row("flaps", json!(2.5)),
            &["results.jsonl:1:", ": flaps: ", "whole number"],
        ),
        (
            "results.jsonl",
            row("fp_healthy", json!(1_000_000)),
            &["results.jsonl:1:", ": fp_healthy: "],
        ),
        (
            "results.jsonl",
            row("rejoin_p50_s", json!(1e9)),
            &["results.jsonl:1:", ": rejoin_p50_s: "],
        ),
        (
            "results.jsonl",
            row("msgs_per_node_s", Value::Null),
            &["results.jsonl:1:", ": msgs_per_node_s: "],
        ),
        (
            "results.jsonl",
            row("config", json!("memberlist-2016")),
            &["results.jsonl:1:", ": config: "],
        ),
        (
            "results.jsonl",
            row("extra", json!(1)),
            &["results.jsonl:1:", ": extra: "],
        ),
        (
            "results.jsonl",
            rows.replacen("\"flaps_per_hour\":", "\"flaps_per_hour\" :", 1),
            &["results.jsonl:1: ", "not written as flapsim writes"],
        ),
        (
            "results.jsonl",
            rows[..rows.len() - 10].to_string(),
            &["results.jsonl:4: ", "without its newline"],
        ),
        ("results.csv", csv_edited, &["results.csv:2: config: "]),
        (
            "results.csv",
            csv.lines().take(3).map(|l| format!("{l}\n")).collect(),
            &["results.csv: 2 rows"],
        ),
        (
            "manifest.json",
            serde_json::to_string_pretty(&other_manifest).unwrap(),
            &["chart-data.json:", ": scenario: ", "other-compare"],
        ),
        (
            "manifest.json",
            serde_json::to_string_pretty(&two_axes).unwrap(),
            &["manifest.json: axes: "],
        ),
        (
            "chart-data.json",
            serde_json::to_string_pretty(&reversed).unwrap(),
            &["chart-data.json:", ": configs[0].name: "],
        ),
        (
            "chart-data.json",
            meta("/nodes", json!(1_000_000_000_000_000_000u64)),
            &["chart-data.json:", ": nodes: "],
        ),
        (
            "chart-data.json",
            meta("/simulated", json!("forever")),
            &["chart-data.json:", ": simulated: "],
        ),
        (
            "chart-data.json",
            meta("/scenario", json!(long)),
            &["chart-data.json:", ": scenario: ", "more bytes"],
        ),
        (
            "chart-data.json",
            meta("/configs/0/preset", json!(long)),
            &["chart-data.json:", ": configs[0].preset: "],
        ),
        (
            "chart-data.json",
            meta("/configs/0/protocol", protocol_keys),
            &["chart-data.json:", ": configs[0].protocol: "],
        ),
        (
            "chart-data.json",
            meta("/configs/1/protocol/gossip_nodes", json!([1, 2])),
            &["chart-data.json:", ": configs[1].protocol.gossip_nodes: "],
        ),
        (
            "chart-data.json",
            meta("/configs/0/overrides", json!(vec![json!(["a", "b"]); 1001])),
            &["chart-data.json:", ": configs[0].overrides: "],
        ),
    ];
    let originals = [
        ("results.jsonl", &rows),
        ("results.csv", &csv),
        ("manifest.json", &manifest),
        ("chart-data.json", &data),
    ];
    for (file, edited, needles) in cases {
        std::fs::write(cmp.join(file), edited).unwrap();
        let o = flapsim(&["chart", "cmp"], &d);
        refused(&o, needles);
        assert!(stderr(&o).len() < 600, "{}", stderr(&o));
        for (f, original) in originals {
            std::fs::write(cmp.join(f), original).unwrap();
        }
    }
    // A configuration name compare would write but chart could not read back.
    let o = flapsim(
        &[
            "compare",
            "s.yaml",
            "--variant",
            &format!("{long}:suspicion_mult=3"),
            "--seeds",
            "1",
            "--out",
            "long",
        ],
        &d,
    );
    refused(&o, &["configuration `", "at most 128"]);

    // The untampered directory: every file redrawn byte for byte.
    let o = flapsim(&["chart", "cmp", "-q"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(listing(&cmp).len(), drawn.len());
    for (n, bytes) in drawn {
        assert!(
            std::fs::read(cmp.join(&n)).unwrap() == bytes,
            "{n} differs after redrawing the comparison's own files"
        );
    }
}

/// Rule: `flapsim chart` draws `report.html` only from a `summary.json` a
/// run could have written for the run its `chart-data.json` draws. Main
/// printed the summary's fields as they were, exit 0: a flap count of -5
/// beside the run's own rate, a number as the top accuser's name, a digest
/// of `7`, the seed of another run, more healthy flaps than flaps. Each is
/// now refused (exit 2) at its field and line, nothing republished; the
/// run's own file still redraws byte for byte.
#[test]
fn a_summary_a_run_could_not_have_written_is_refused_at_its_field_by_chart() {
    use serde_json::{json, Value};
    let d = scratch("chartsummary");
    let _ = crashing_run(&d);
    let path = d.join("out/summary.json");
    let written = std::fs::read(&path).unwrap();
    let original: Value = serde_json::from_slice(&written).unwrap();
    let report = std::fs::read(d.join("out/report.html")).unwrap();
    let o = flapsim(&["chart", "out"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("out/report.html")).unwrap(), report);
    assert!(
        !original["blame"].as_array().unwrap().is_empty(),
        "{original}"
    );
    let flaps = original["flaps"].as_u64().unwrap();
    let cases: [(&str, Value, &str); 8] = [
        ("/flaps", json!(-5), "flaps: not a whole number from 0"),
        (
            "/blame/0/node",
            json!(5),
            "blame[0].node: not a node's name",
        ),
        ("/digest", json!(7), "digest: not 16 hex digits"),
        (
            "/seed",
            json!(424242),
            "seed: 424242 but chart-data.json is of",
        ),
        (
            "/flaps_healthy",
            json!(flaps + 1),
            "flaps_healthy: more than `flaps`",
        ),
        (
            "/flaps_per_hour",
            json!("fast"),
            "flaps_per_hour: not a finite number",
        ),
        (
            "/blame/0/suspicion_share",
            json!(7.5),
            "blame[0].suspicion_share: not a share",
        ),
        (
            "/detection/crashes",
            json!(1.5),
            "detection.crashes: not a whole number",
        ),
    ];
    chart_refuses_each_summary_edit(&d, &original, &report, cases);
}
