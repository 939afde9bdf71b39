//! `flapsim bench --against OTHER`: two builds side by side in one run.
//!
//! Rules under test: the comparison runs both builds round by round and
//! reports both; two builds that simulate the same run agree on the digest;
//! a build whose digest differs fails the comparison (exit 1); a file that is
//! not a flapsim build, or an older build that refuses the workload's flags,
//! is bad input (exit 2) and says which; so is a file that prints without
//! end, which is killed once it has printed more than a bench ever does; a
//! build that cannot be started at all is refused before anything runs.

#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::flapsim;

/// The smallest sick workload: a few runs of it take well under a second.
const WORKLOAD: &[&str] = &[
    "bench",
    "--nodes",
    "30",
    "--duration",
    "10s",
    "--starved",
    "10%",
    "--repeat",
    "2",
];

fn against(other: &Path, cwd: &Path) -> Output {
    let mut args = WORKLOAD.to_vec();
    let other = other.to_str().expect("utf-8 path");
    args.extend(["--against", other]);
    flapsim(&args, cwd)
}

/// An executable shell script standing in for another build.
fn fake_build(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_build_against_itself_runs_both_and_agrees_on_the_digest() {
    let d = common::scratch_dir("against", "itself");
    let o = against(Path::new(env!("CARGO_BIN_EXE_flapsim")), &d);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", text(&o.stderr));
    assert!(
        out.contains("--nodes=30 --duration=10s --starved=10% --repeat=1"),
        "{out}"
    );
    // Two rounds, each with two runs of each build, and both builds' figures.
    assert_eq!(out.matches(": this/other ").count(), 2, "{out}");
    assert_eq!(out.matches(", this : run ").count(), 4, "{out}");
    assert_eq!(out.matches(", other: run ").count(), 4, "{out}");
    assert!(out.contains("this build:  CPU median"), "{out}");
    assert!(out.contains("other build: CPU median"), "{out}");
    assert!(out.contains("paired by round: median"), "{out}");
    let digest = out
        .lines()
        .find_map(|l| l.strip_prefix("digests: identical ("))
        .expect("the digests agree");
    // The same digest as a plain bench of the workload.
    let mut plain = WORKLOAD.to_vec();
    plain[WORKLOAD.len() - 1] = "1";
    let p = flapsim(&plain, &d);
    assert!(
        text(&p.stdout).contains(&format!("digest {}", digest.trim_end_matches(')'))),
        "{}",
        text(&p.stdout)
    );
}

/// Compare with `other`, which must end the comparison with exit `code` and
/// a message holding every one of `needles`.
fn fails_with(other: &Path, cwd: &Path, code: i32, needles: &[&str]) -> Output {
    let o = against(other, cwd);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{}\n{err}", text(&o.stdout));
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
    o
}

#[test]
fn a_build_with_another_digest_fails_the_comparison() {
    let d = common::scratch_dir("against", "digest");
    let other = fake_build(
        &d,
        "other-flapsim",
        "echo '  run 1: setup 0.001 s, run 0.500 s, CPU 0.50 s, peak RSS 9 MB; 1000 events (2.00 M events/s; 3.00 M budget units/s), 10 packets, 20.0 simulated s per wall s, digest 00000000000000ff'",
    );
    let o = fails_with(&other, &d, 1, &["digests differ", "00000000000000ff"]);
    // Both sides were still reported before the verdict.
    assert!(text(&o.stdout).contains("other build: CPU median 0.50 s"));
}

#[test]
fn what_is_not_a_flapsim_build_or_refuses_the_flags_is_bad_input() {
    let d = common::scratch_dir("against", "refused");
    let silent = fake_build(&d, "silent", "exit 0");
    fails_with(&silent, &d, 2, &["no `run 1:` line"]);
    // An older build without a flag refuses it (clap's exit 2): say so.
    let older = fake_build(
        &d,
        "older",
        "echo \"error: unexpected argument '--starved' found\" >&2; exit 2",
    );
    fails_with(
        &older,
        &d,
        2,
        &[
            "refused `bench --nodes=30",
            "unexpected argument '--starved'",
        ],
    );
    // A build that fails its run is a failed run (exit 1), with its reason.
    let broken = fake_build(&d, "broken", "echo 'out of memory' >&2; exit 1");
    fails_with(&broken, &d, 1, &["failed", "out of memory"]);
}

#[test]
fn a_file_that_prints_without_end_is_refused_not_read_to_the_end() {
    // `Command::output` read all of it: `yes` took 5 GB in 6 s. The bound is
    // 4 MiB per stream, then the child is killed.
    let d = common::scratch_dir("against", "endless");
    let endless = fake_build(&d, "endless", "exec yes");
    fails_with(&endless, &d, 2, &["more than 4 MiB on stdout"]);
    let endless_errors = fake_build(&d, "endless-errors", "exec yes 'error' >&2");
    fails_with(&endless_errors, &d, 2, &["more than 4 MiB on stderr"]);
    // A run line longer than any bench prints is cut, not kept whole.
    let long_line = fake_build(
        &d,
        "long-line",
        "head -c 3000000 /dev/zero | tr '\\0' 'x'; echo; echo '  run 1: setup 0.001 s, run 0.500 s, CPU 0.50 s, peak RSS 9 MB; 1000 events (2.00 M events/s; 3.00 M budget units/s), 10 packets, 20.0 simulated s per wall s, digest 00000000000000ff'",
    );
    let o = fails_with(&long_line, &d, 1, &["digests differ"]);
    assert!(text(&o.stdout).contains("other build: CPU median 0.50 s"));
}

/// Rule: a build that cannot be started is refused before any run (exit 2),
/// not after this build's first run of the workload.
#[test]
fn a_build_that_cannot_be_started_is_refused_before_any_run() {
    let d = common::scratch_dir("against", "unrunnable");
    let not_executable = d.join("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").expect("write");
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let cases: [(PathBuf, &str); 4] = [
        (d.join("no-such-build"), "No such file or directory"),
        (d.clone(), "a directory, not a program"),
        (not_executable, "not executable"),
        (
            PathBuf::from("flapsim-no-such-build-on-path"),
            "no such program on PATH",
        ),
    ];
    for (other, why) in cases {
        let o = fails_with(&other, &d, 2, &["cannot run it", why]);
        let out = text(&o.stdout);
        assert!(
            !out.contains("round 1"),
            "{other:?} ran a round first:\n{out}"
        );
    }
}
