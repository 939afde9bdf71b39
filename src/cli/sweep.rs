//! `flapsim sweep` and `flapsim merge`: the sweep front end of the batch runner.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::batch::aggregate::Budget;
use crate::batch::store::{self, Aggregate, Existing, Manifest, Results, Shard};
use crate::batch::{execute, sweepfile, Progress};

use super::args::{BatchFlags, BudgetFlags, MergeArgs, SweepArgs};
use super::{parse_limits, Failure};
use crate::quote::short;
use crate::scenario::resolve::{human_bytes, runs_that_fit, views_bytes};
use crate::scenario::Limits;
use crate::units::count;

/// Worker threads: `--jobs`, or every core.
pub fn jobs(flags: &BatchFlags) -> Result<usize, Failure> {
    match flags.jobs {
        Some(0) => Err(Failure::bad_input("--jobs: need at least 1")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `jobs`, lowered to the number of runs of the plan's largest cluster
/// (`nodes`) whose views fit in memory side by side, saying so unless
/// `quiet`. Why: every job holds a whole run, and a sweep of 10,000-node
/// clusters on a many-core machine would otherwise be killed by the kernel
/// part-way. Results do not depend on the number of jobs.
pub fn jobs_that_fit(jobs: usize, nodes: u64, limits: &Limits, quiet: bool) -> usize {
    let (Some(fit), Some(available)) = (runs_that_fit(nodes, limits), limits.available_memory)
    else {
        return jobs;
    };
    if fit >= jobs {
        return jobs;
    }
    if !quiet {
        say!(
            "{jobs} runs of {nodes} nodes at once would need {} for their views of each other, more than the {} available: running {fit} at a time",
            human_bytes(views_bytes(nodes).saturating_mul(jobs as u64)),
            human_bytes(available)
        );
    }
    fit
}

/// The budget flags as a [`Budget`].
pub fn budget(flags: &BudgetFlags) -> Result<Option<Budget>, Failure> {
    let check = |flag: &str, x: f64| {
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(Failure::bad_input(format!(
                "{flag}: expected a number >= 0, got {x}"
            )))
        }
    };
    Ok(match (flags.max_flaps_per_hour, flags.max_fp_healthy) {
        (Some(x), _) => Some(Budget {
            metric: "flaps_healthy_per_hour",
            max: check("--max-flaps-per-hour", x)?,
        }),
        (None, Some(x)) => Some(Budget {
            metric: "fp_healthy_per_hour",
            max: check("--max-fp-healthy", x)?,
        }),
        (None, None) => None,
    })
}

/// `--shard I/N` or `--shard auto` (Slurm array or Kubernetes Indexed Job).
pub fn parse_shard(
    flag: Option<&str>,
    count_flag: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, Failure> {
    let bad = |m: String| Failure::bad_input(format!("--shard: {m}"));
    let num = |name: &str, v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| bad(format!("{name}=`{}` is not a whole number", short(v))))
    };
    let Some(flag) = flag else {
        if count_flag.is_some() {
            return Err(bad("--shard-count goes with --shard auto".into()));
        }
        return Ok(Shard::WHOLE);
    };
    let (index, count) = if flag == "auto" {
        if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
            let id = num("SLURM_ARRAY_TASK_ID", &id)?;
            // `--array=1-4` numbers tasks from 1: shards count from the first task.
            let min = match env("SLURM_ARRAY_TASK_MIN") {
                Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
                None => 0,
            };
            let count = match (count_flag, env("SLURM_ARRAY_TASK_COUNT")) {
                (Some(n), _) => n,
                (None, Some(c)) => num("SLURM_ARRAY_TASK_COUNT", &c)?,
                (None, None) => {
                    return Err(bad(
                        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count N".into(),
                    ))
                }
            };
            (
                id.checked_sub(min).ok_or_else(|| {
                    bad(format!(
                        "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                    ))
                })?,
                count,
            )
        } else if let Some(i) = env("JOB_COMPLETION_INDEX") {
            let count = count_flag.ok_or_else(|| {
                bad(
                    "JOB_COMPLETION_INDEX is set; pass the Job's completions as --shard-count N"
                        .into(),
                )
            })?;
            (num("JOB_COMPLETION_INDEX", &i)?, count)
        } else {
            return Err(bad(
                "auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set".into(),
            ));
        }
    } else {
        if count_flag.is_some() {
            return Err(bad("--shard-count goes with --shard auto".into()));
        }
        let (i, n) = flag.split_once('/').ok_or_else(|| {
            bad(format!(
                "`{}`: expected I/N (e.g. 0/4) or auto",
                short(flag)
            ))
        })?;
        (num("I", i)?, num("N", n)?)
    };
    let shard = Shard { index, count };
    if !shard.is_valid() {
        return Err(bad(format!("shard {index}/{count}: {}", Shard::rule())));
    }
    Ok(shard)
}

pub fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let limits = parse_limits(&args.batch.limits)?;
    let budget = budget(&args.budget)?;
    let jobs = jobs(&args.batch)?;
    let shard = parse_shard(args.shard.as_deref(), args.shard_count, &|k| {
        std::env::var(k).ok()
    })?;
    let file =
        sweepfile::load(&args.sweep, &limits).map_err(|e| Failure::bad_input(e.to_string()))?;
    let plan = &file.plan;
    let out = args.out.clone().unwrap_or_else(|| {
        let d = PathBuf::from("output").join("sweeps").join(&plan.name);
        if shard == Shard::WHOLE {
            d
        } else {
            d.join(format!("shard-{}-of-{}", shard.index, shard.count))
        }
    });
    let say = |s: String| {
        if !args.batch.quiet {
            say!("{s}");
        }
    };
    say(format!(
        "sweep {}: {} x {} = {} (axes: {}; fingerprint {})",
        plan.name,
        count(plan.point_count(), "point"),
        count(plan.seeds.len(), "seed"),
        count(plan.runs(), "run"),
        plan.axes.join(", "),
        plan.fingerprint()
    ));
    if args.dry_run {
        let points = plan.point_count();
        for i in 0..points.min(TERMINAL_BLOCK_LINES) {
            let desc: Vec<String> = (plan.axes.iter().enumerate())
                .map(|(a, name)| format!("{name}={}", plan.value(i, a).label))
                .collect();
            say(format!("  point {i}: {}", desc.join(", ")));
        }
        if points > TERMINAL_BLOCK_LINES {
            say(format!(
                "  … {} (the list stops at {TERMINAL_BLOCK_LINES})",
                count(points - TERMINAL_BLOCK_LINES, "more point")
            ));
        }
        say(format!(
            "every point is valid; nothing run (--dry-run); output would go to {}",
            out.display()
        ));
        return Ok(());
    }
    let jobs = jobs_that_fit(
        jobs,
        file.checked.largest_cluster,
        &plan.limits,
        args.batch.quiet,
    );
    let existing = match (args.resume, args.fresh) {
        (true, _) => Existing::Resume,
        (_, true) => Existing::Fresh,
        _ => Existing::Refuse,
    };
    // A whole sweep's rows are aggregated as they are recovered and run, so
    // finishing does not read results.jsonl again.
    let mut results =
        Results::open(&out, plan, shard, existing, Aggregate::AsWritten).map_err(store_failure)?;
    let mine = results.todo.len() + results.done;
    say(format!(
        "{}{} to do{}, {}; results in {}",
        if shard == Shard::WHOLE {
            String::new()
        } else {
            format!("shard {}/{}: ", shard.index, shard.count)
        },
        count(results.todo.len(), "run"),
        if results.done > 0 {
            format!(" ({} of {mine} already finished)", results.done)
        } else {
            String::new()
        },
        count(jobs, "job"),
        out.display()
    ));
    let keep = args.keep_runs.then(|| out.join(store::RUNS_DIR));
    let started = Instant::now();
    let todo = std::mem::take(&mut results.todo);
    execute(
        plan,
        &todo,
        jobs,
        keep.as_deref(),
        &Progress::auto(args.batch.quiet),
        &mut |row| results.append(row),
    )
    .map_err(|e| {
        Failure::failed(format!(
            "{}; finished runs are kept: rerun with --resume",
            e.0
        ))
    })?;
    results.sync().map_err(Failure::failed)?;
    let wall = started.elapsed().as_secs_f64();
    if !todo.is_empty() {
        say(format!(
            "{} in {wall:.1} s ({:.2} runs/s)",
            count(todo.len(), "run"),
            todo.len() as f64 / wall.max(1e-9)
        ));
    }
    // Only a whole sweep's rows are aggregated: a shard is finished by merge.
    let Some((manifest, rows)) = results.aggregated().map_err(store_failure)? else {
        say(format!(
            "shard {}/{} complete; when every shard is done: flapsim merge <shard dirs> --out DIR",
            shard.index, shard.count
        ));
        return Ok(());
    };
    let mut shown = TerminalCut::default();
    let done = store::conclude(&out, &manifest, budget, rows, &mut shown).map_err(store_failure)?;
    show(&out, &manifest, &done, shown, args.batch.quiet)
}

/// Draw the charts of a finished sweep and print its summary (as cut for the
/// terminal).
fn show(
    dir: &Path,
    m: &Manifest,
    done: &store::Finished,
    shown: TerminalCut,
    quiet: bool,
) -> Result<(), Failure> {
    crate::chart::sweep::write_charts(dir, m, done).map_err(Failure::failed)?;
    if !quiet {
        say!("\n{}", shown.text());
        say!("\npoints.csv, summary.txt and charts in {}", dir.display());
    }
    Ok(())
}

/// Lines of one block of a summary (the points table, a list of Pareto
/// points) a terminal is shown at most. A sweep may have a million points: its
/// table, 100 MB, belongs in `summary.txt`, not scrolled past on a terminal.
const TERMINAL_BLOCK_LINES: usize = 60;

/// A summary as printed, made as the summary is written: each block (lines
/// between blank lines) cut to its first [`TERMINAL_BLOCK_LINES`] lines,
/// with a line saying how many more `summary.txt` has. Blocks no longer
/// than that are printed whole. Only what is printed is held.
#[derive(Default)]
struct TerminalCut {
    out: String,
    /// The line being written.
    line: Vec<u8>,
    in_block: usize,
    cut: usize,
}

impl TerminalCut {
    fn take_line(&mut self, line: &str) {
        if line.trim().is_empty() {
            self.flush_cut();
            self.in_block = 0;
            self.out.push_str(line);
            self.out.push('\n');
            return;
        }
        self.in_block += 1;
        if self.in_block > TERMINAL_BLOCK_LINES {
            self.cut += 1;
        } else {
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    fn flush_cut(&mut self) {
        if self.cut > 0 {
            self.out.push_str(&format!(
                "  … {} in {}\n",
                count(self.cut, "more line"),
                store::SUMMARY_TXT
            ));
            self.cut = 0;
        }
    }

    /// What the terminal is shown (no trailing blank lines).
    fn text(mut self) -> String {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.take_line(&String::from_utf8_lossy(&line));
        }
        self.flush_cut();
        self.out.truncate(self.out.trim_end().len());
        self.out
    }
}

impl std::io::Write for TerminalCut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.take_line(&String::from_utf8_lossy(&line));
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `summary` as printed (see [`TerminalCut`]).
#[cfg(test)]
fn for_terminal(summary: &str) -> String {
    use std::io::Write;
    let mut t = TerminalCut::default();
    t.write_all(summary.as_bytes()).expect("kept in memory");
    t.text()
}

fn store_failure(e: store::StoreError) -> Failure {
    if e.bad_input {
        Failure::bad_input(e.message)
    } else {
        Failure::failed(e.message)
    }
}

pub fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let budget = budget(&args.budget)?;
    let merged = store::merge(&args.dirs, &args.out).map_err(store_failure)?;
    let (m, rows) = (merged.manifest, merged.rows);
    if !merged.rates_checked {
        // Said even with -q: the rows were merged on trust.
        warn!(
            "note: the shards' manifests record no run windows (written by an older flapsim): their rows' per-hour rates were merged without being checked against their counts"
        );
    }
    if !args.quiet {
        say!(
            "merged {} of sweep {} ({}) into {}",
            crate::units::count(args.dirs.len(), "shard"),
            m.sweep,
            crate::units::count(m.runs, "run"),
            args.out.display()
        );
    }
    let mut shown = TerminalCut::default();
    let done = store::conclude(&args.out, &m, budget, rows, &mut shown).map_err(store_failure)?;
    show(&args.out, &m, &done, shown, args.quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_from_flags_slurm_and_kubernetes() {
        let none = env(&[]);
        assert_eq!(parse_shard(None, None, &none).unwrap(), Shard::WHOLE);
        assert_eq!(
            parse_shard(Some("1/4"), None, &none).unwrap(),
            Shard { index: 1, count: 4 }
        );
        assert!(parse_shard(Some("4/4"), None, &none).is_err());
        assert!(parse_shard(Some("auto"), None, &none).is_err());
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            parse_shard(Some("auto"), None, &slurm).unwrap(),
            Shard { index: 2, count: 4 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert!(parse_shard(Some("auto"), None, &k8s).is_err());
        assert_eq!(
            parse_shard(Some("auto"), Some(3), &k8s).unwrap(),
            Shard { index: 2, count: 3 }
        );
    }

    /// Rule: a terminal is shown at most TERMINAL_BLOCK_LINES lines of each
    /// block of a sweep's summary, and told how many more `summary.txt` has;
    /// short blocks and the blank lines between blocks are printed as they are.
    #[test]
    fn a_long_summary_block_is_cut_for_the_terminal_and_says_how_much_more() {
        let table: Vec<String> = (0..1000).map(|i| format!(" p{i}  1.0")).collect();
        let summary = format!(
            "sweep s: 1,000 points\nmedian\n\n{}\n\nPareto-optimal:\n  p1\n  p2\n",
            table.join("\n")
        );
        let shown = for_terminal(&summary);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(&lines[..3], &["sweep s: 1,000 points", "median", ""]);
        assert_eq!(lines[3], " p0  1.0");
        assert_eq!(lines[3 + TERMINAL_BLOCK_LINES - 1], " p59  1.0");
        assert_eq!(
            lines[3 + TERMINAL_BLOCK_LINES],
            "  … 940 more lines in summary.txt"
        );
        assert_eq!(
            &lines[4 + TERMINAL_BLOCK_LINES..],
            &["", "Pareto-optimal:", "  p1", "  p2"]
        );
        let short = "a\nb\n\nc";
        assert_eq!(for_terminal(short), short);
    }
}
