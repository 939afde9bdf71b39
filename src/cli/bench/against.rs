//! `flapsim bench --against OTHER`: this build and another one, side by side
//! in one run.
//!
//! Why: a speed change is judged against the build before it, on the same
//! machine, at the same time. This machine's speed drifts by ±20 % within
//! minutes, so two benches run one after the other say little; the runs of
//! the two builds are interleaved instead (this, other, other, this in each
//! round) and compared round by round, so a drift falls on both alike. A
//! speed change must not move a result, so the digests must agree too.
//!
//! Both builds run as child processes (`bench --repeat 1`): every run has a
//! fresh process, so its peak RSS is its own and neither build's allocator
//! state leaks into the other's figures. The other build is any flapsim that
//! prints bench's `run 1:` line; only the flags that differ from bench's
//! defaults are passed on, so an older build that lacks a newer flag is
//! still compared on the workloads it knows.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::capture::{self, CaptureError};

use super::super::Failure;

/// What one run reports on bench's `run 1:` line.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFigures {
    /// Wall seconds of the run.
    pub run_s: f64,
    /// CPU seconds (user + system, every thread); None off Linux.
    pub cpu_s: Option<f64>,
    /// Peak resident memory in MB; None off Linux.
    pub rss_mb: Option<f64>,
    pub events: u64,
    /// Millions of events per wall second, as the run printed it (from its
    /// unrounded times; None if it did not print it).
    pub events_per_s: Option<f64>,
    /// The run's digest, 16 hex digits.
    pub digest: String,
}

impl RunFigures {
    /// CPU seconds when known, else wall seconds: what rounds are compared by.
    fn cost(&self) -> f64 {
        self.cpu_s.unwrap_or(self.run_s)
    }

    /// Millions of events per second: the run's own figure, else worked out
    /// from its printed wall time when that is not rounded to zero.
    fn million_events_per_s(&self) -> Option<f64> {
        self.events_per_s
            .or_else(|| (self.run_s > 0.0).then(|| self.events as f64 / self.run_s / 1e6))
    }
}

/// Read the figures of bench's line for its first run:
/// `  run 1: setup S s, run R s…, CPU C s, peak RSS M MB…; E events (…), …, digest D`.
pub fn parse_run_line(stdout: &str) -> Option<RunFigures> {
    let line = stdout.lines().find(|l| is_run_line(l))?;
    let before_events = &line[..line.find(" events (")?];
    let events = before_events.rsplit(' ').next()?.parse().ok()?;
    let digest = line.rsplit("digest ").next()?.trim();
    let is_digest = digest.len() == 16 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    Some(RunFigures {
        run_s: number_after(line, ", run ")?,
        cpu_s: number_after(line, ", CPU "),
        rss_mb: number_after(line, "peak RSS "),
        events,
        events_per_s: number_after(line, " events ("),
        digest: is_digest.then(|| digest.to_string())?,
    })
}

/// The decimal number right after `key` in `line`.
fn number_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Which build a child process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    This,
    Other,
}

/// Is `line` bench's line for its first run?
fn is_run_line(line: &str) -> bool {
    line.trim_start().starts_with("run 1:")
}

/// One `bench --repeat 1` child of `exe`. Its output is read within a bound
/// ([`capture`]): a file that prints forever is refused, not read to the end.
fn run_child(exe: &Path, args: &[String], build: Build) -> Result<RunFigures, Failure> {
    let who = match build {
        Build::This => format!("this build ({})", exe.display()),
        Build::Other => format!("--against {}", exe.display()),
    };
    // The other build is the user's input: what goes wrong with it is bad
    // input. This build failing is a failure.
    let refuse = |why: String| match build {
        Build::This => Failure::failed(why),
        Build::Other => Failure::bad_input(why),
    };
    let out =
        capture::run_bounded(Command::new(exe).args(args), is_run_line).map_err(|e| match e {
            CaptureError::Spawn(e) => refuse(format!("{who}: cannot run it: {e}")),
            CaptureError::TooMuch { stream } => refuse(format!(
                "{who} printed more than {} MiB on {stream} for one run: is it a flapsim build?",
                capture::MAX_STREAM >> 20
            )),
            CaptureError::Io(e) => Failure::failed(format!("{who}: reading its output: {e}")),
        })?;
    if !out.status.success() {
        let why = out
            .last_error_line
            .unwrap_or_else(|| "(no message)".to_string());
        let command = format!("bench {}", args[1..].join(" "));
        // Exit 2 is bad input: an older build refuses a flag it lacks.
        return Err(if out.status.code() == Some(2) {
            Failure::bad_input(format!("{who} refused `{command}`: {why}"))
        } else {
            Failure::failed(format!("{who}: `{command}` failed ({}): {why}", out.status))
        });
    }
    out.line.as_deref().and_then(parse_run_line).ok_or_else(|| {
        Failure::bad_input(format!(
            "{who} printed no `run 1:` line of `flapsim bench`: is it a flapsim build?"
        ))
    })
}

/// The median of `values` (the mean of the middle two of an even count); 0
/// when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Both builds' runs so far.
#[derive(Default)]
struct Tally {
    this: Vec<RunFigures>,
    other: Vec<RunFigures>,
    /// This build's cost over the other's, per round (CPU, or wall off Linux).
    ratios: Vec<f64>,
}

impl Tally {
    fn side_line(runs: &[RunFigures]) -> String {
        let cpu: Vec<f64> = runs.iter().map(RunFigures::cost).collect();
        let wall: Vec<f64> = runs.iter().map(|r| r.run_s).collect();
        let events_per_s: Vec<f64> = runs
            .iter()
            .filter_map(RunFigures::million_events_per_s)
            .collect();
        let rss = runs
            .iter()
            .filter_map(|r| r.rss_mb)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let cpu_known = runs.iter().all(|r| r.cpu_s.is_some());
        format!(
            "{} median {:.2} s ({:.2}-{:.2}), run median {:.3} s, {} events/s, peak RSS {}",
            if cpu_known { "CPU" } else { "wall" },
            median(&cpu),
            cpu.iter().copied().fold(f64::INFINITY, f64::min),
            cpu.iter().copied().fold(0.0, f64::max),
            median(&wall),
            if events_per_s.is_empty() {
                "n/a".to_string()
            } else {
                format!("{:.2} M", median(&events_per_s))
            },
            rss.map_or("n/a".to_string(), |m| format!("{m:.0} MB (largest)")),
        )
    }
}

/// Why `other` cannot be started as a program, if that shows without
/// starting it: missing, a directory, or not executable (or, for a bare
/// name, found nowhere on `PATH`, where the system would look for it).
///
/// Why before anything runs: each round starts with this build's run, so a
/// mistyped path was refused only once that run was over, seconds into a
/// sick workload (5–7 s on the starved 1,000-node bench).
/// What this cannot see (a file that is not a program at all) is still
/// refused when it is started, as before.
fn check_runnable(other: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::PermissionsExt;
        let runnable = |path: &Path| -> Result<(), String> {
            let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
            if meta.is_dir() {
                return Err("a directory, not a program".into());
            }
            if meta.permissions().mode() & 0o111 == 0 {
                return Err("not executable (no execute permission)".into());
            }
            Ok(())
        };
        // As `Command` does: a name without a slash is looked for on `PATH`.
        if other.as_os_str().as_bytes().contains(&b'/') {
            return runnable(other);
        }
        let Some(path) = std::env::var_os("PATH") else {
            return Ok(()); // the system's default search: left to the start
        };
        if std::env::split_paths(&path).any(|dir| runnable(&dir.join(other)).is_ok()) {
            return Ok(());
        }
        Err("no such program on PATH".into())
    }
    #[cfg(not(unix))]
    {
        let _ = other;
        Ok(())
    }
}

/// Run `rounds` rounds of this build and `other` on the bench workload that
/// `child_args` (`bench …`, with `--repeat 1`) describes, and print them side
/// by side. Fails (exit 1) when the two builds' digests differ.
pub fn compare(other: &Path, child_args: &[String], rounds: usize) -> Result<(), Failure> {
    check_runnable(other).map_err(|why| {
        Failure::bad_input(format!(
            "--against {}: cannot run it: {why}",
            other.display()
        ))
    })?;
    let this: PathBuf = std::env::current_exe().map_err(|e| {
        Failure::failed(format!(
            "bench --against: cannot find this build's executable: {e}"
        ))
    })?;
    say!(
        "side by side with {}: {} round{} of this, other, other, this; each run a fresh `flapsim {}` process",
        other.display(),
        rounds,
        if rounds == 1 { "" } else { "s" },
        child_args.join(" ")
    );
    let mut tally = Tally::default();
    for round in 1..=rounds {
        // A line per run as it ends: a sick workload's run takes seconds.
        let run = |exe: &Path, build: Build| -> Result<RunFigures, Failure> {
            let r = run_child(exe, child_args, build)?;
            say!(
                "  round {round}, {}: run {:.3} s, CPU {}, peak RSS {}, {} events/s, digest {}",
                if build == Build::This {
                    "this "
                } else {
                    "other"
                },
                r.run_s,
                r.cpu_s.map_or("n/a".into(), |c| format!("{c:.2} s")),
                r.rss_mb.map_or("n/a".into(), |m| format!("{m:.0} MB")),
                r.million_events_per_s()
                    .map_or("n/a".into(), |e| format!("{e:.2} M")),
                r.digest
            );
            Ok(r)
        };
        let t1 = run(&this, Build::This)?;
        let o1 = run(other, Build::Other)?;
        let o2 = run(other, Build::Other)?;
        let t2 = run(&this, Build::This)?;
        let ratio = (t1.cost() + t2.cost()) / (o1.cost() + o2.cost()).max(1e-9);
        say!(
            "  round {round}: this/other {ratio:.3} ({} of this build's two runs over the other's)",
            if t1.cpu_s.is_some() {
                "CPU"
            } else {
                "wall time"
            },
        );
        tally.ratios.push(ratio);
        tally.this.extend([t1, t2]);
        tally.other.extend([o1, o2]);
    }
    say!("this build:  {}", Tally::side_line(&tally.this));
    say!("other build: {}", Tally::side_line(&tally.other));
    let lower = tally.ratios.iter().filter(|&&r| r < 1.0).count();
    say!(
        "this/other, paired by round: median {:.3}; this build cost less in {lower} of {} rounds",
        median(&tally.ratios),
        tally.ratios.len()
    );
    let digest_of = |runs: &[RunFigures]| {
        let mut digests: Vec<&str> = runs.iter().map(|r| r.digest.as_str()).collect();
        digests.dedup();
        digests.join(", ")
    };
    let (mine, theirs) = (digest_of(&tally.this), digest_of(&tally.other));
    if mine != theirs {
        return Err(Failure::failed(format!(
            "digests differ: this build {mine}, {} {theirs}: the two builds do not simulate the same run",
            other.display()
        )));
    }
    say!("digests: identical ({mine})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "bench: 1000 nodes x 2m simulated, preset memberlist, healthy, 1 run\n  run 1: setup 0.001 s, run 11.461 s, CPU 11.48 s, peak RSS 164 MB; 6750473 events (0.59 M events/s; 3.35 M budget units/s), 2227779 packets, 10.5 simulated s per wall s, digest 12830e1e1b605854\nbest: 11.461 s";

    #[test]
    fn reads_the_run_line_of_bench() {
        let r = parse_run_line(LINE).expect("a run line");
        assert_eq!(
            r,
            RunFigures {
                run_s: 11.461,
                cpu_s: Some(11.48),
                rss_mb: Some(164.0),
                events: 6_750_473,
                events_per_s: Some(0.59),
                digest: "12830e1e1b605854".into(),
            }
        );
    }

    #[test]
    fn reads_a_run_line_with_outputs_and_without_cpu() {
        let line = "  run 1: setup 0.000 s, run 13.380 s (with outputs; the last 0.526 s after the engine), CPU n/a (Linux only), peak RSS n/a (Linux only); 67 events (0.50 M events/s; 2.87 M budget units/s), 22 packets, 9.0 simulated s per wall s, digest 00000000000000ff";
        let r = parse_run_line(line).expect("a run line");
        assert_eq!(r.run_s, 13.38);
        assert_eq!((r.cpu_s, r.rss_mb), (None, None));
        assert_eq!(r.events, 67);
        assert_eq!(r.cost(), 13.38);
    }

    #[test]
    fn refuses_what_is_not_a_run_line() {
        assert_eq!(parse_run_line("hello\n"), None);
        assert_eq!(
            parse_run_line(&LINE.replace("12830e1e1b605854", "not-a-digest")),
            None
        );
    }

    #[test]
    fn median_takes_the_middle() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
