//! Run a plan's runs in parallel and hand each finished row, in canonical
//! order, to a sink (the results files, or memory for a comparison).
//!
//! A worker holds one run at a time (scenario, engine, collector) and keeps only
//! the row of numbers when it is done, so memory stays at about one run per
//! worker however many runs a batch has.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::{self, Format};

use super::plan::Plan;
use super::row::{metric_values, Row};
use super::runner::run_ordered;
use super::simulate::{simulate_streaming, Keep, Measured};
use crate::engine::Stopped;
use crate::report::stream::Streams;

/// A batch that stopped: which run and why (after its input was accepted).
#[derive(Debug)]
pub struct BatchError(pub String);

/// Run `run` of `plan`; with `keep`, also write its full outputs (summary,
/// events, log, time series) to `keep/<run>-p<point>-s<seed>/`.
pub fn run_one(plan: &Plan, run: usize, keep: Option<&Path>) -> Result<Row, String> {
    let (point, seed) = plan.run_ref(run);
    let scenario = plan.scenario(run).map_err(|e| e.to_string())?;
    // A batch installs no signal handler: SIGINT ends the process, and
    // `--resume` redoes only the runs whose rows were not yet written.
    let never = std::sync::atomic::AtomicBool::new(false);
    // Only a kept run writes events.jsonl/memberlist.log; a summary row needs
    // no records.
    let records = if keep.is_some() {
        Keep::All
    } else {
        Keep::Nothing
    };
    let Measured { metrics, stats } = simulate_streaming(
        &scenario,
        plan.limits.max_events,
        &never,
        &mut |_| {},
        &mut Streams::none(),
        records,
    )
    .map_err(|e| match e {
            Stopped::Budget(e) => format!(
                "needed more than {} simulated events, counting the work they cause (the limit); raise it with `--limit events=N`",
                e.max_events
            ),
            Stopped::Truncated { node, at } => format!(
                "the CPU schedule of node {node} needed too many steps for one answer at {at} ns simulated (host faults too fine-grained to combine)"
            ),
            Stopped::Interrupted { .. } => "interrupted".to_string(),
        })?;
    if let Some(dir) = keep {
        let dir = dir.join(run_dir_name(run, point, seed));
        report::write_all(&dir, &Format::ALL, &scenario, &metrics)
            .map_err(|e| format!("writing {}: {e}", dir.display()))?;
    }
    let summary = report::summary(&scenario, &metrics);
    Ok(Row {
        run,
        point,
        seed,
        digest: summary.digest.clone(),
        values: metric_values(&summary, stats.events),
    })
}

/// Directory name of a kept run.
pub fn run_dir_name(run: usize, point: usize, seed: u64) -> String {
    format!("{run:06}-p{point}-s{seed}")
}

/// What a batch shows while it runs.
pub struct Progress {
    /// Draw a bar (only on a terminal).
    pub bar: bool,
}

impl Progress {
    /// A bar when stderr is a terminal and not quiet.
    pub fn auto(quiet: bool) -> Progress {
        Progress {
            bar: !quiet && std::io::stderr().is_terminal(),
        }
    }
}

/// Run `todo` (run indices, ascending) with `jobs` workers and call `sink` with
/// each row in that order. Stops at the first failed run or sink error.
pub fn execute(
    plan: &Plan,
    todo: &[usize],
    jobs: usize,
    keep: Option<&Path>,
    progress: &Progress,
    sink: &mut dyn FnMut(&Row) -> Result<(), String>,
) -> Result<(), BatchError> {
    let per_point = plan.seeds.len();
    let mut remaining = vec![0usize; plan.point_count()];
    for &r in todo {
        remaining[r / per_point] += 1;
    }
    let mut points_done = remaining.iter().filter(|&&n| n == 0).count();
    let bar = progress.bar.then(|| {
        let bar = ProgressBar::new(todo.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {msg}  {elapsed} (ETA {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{points_done}/{} points", plan.point_count()));
        bar.enable_steady_tick(Duration::from_millis(500));
        bar
    });
    let work = |i: usize| run_one(plan, todo[i], keep);
    let result = run_ordered(todo.len(), jobs, &work, &mut |i, r| {
        let run = todo[i];
        let row = r
            .and_then(|r| r)
            .map_err(|m| describe_failure(plan, run, &m))?;
        sink(&row)?;
        remaining[row.point] -= 1;
        if remaining[row.point] == 0 {
            points_done += 1;
        }
        if let Some(bar) = &bar {
            bar.inc(1);
            // Display only: the wall clock never reaches a result.
            let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{points_done}/{} points, {rate:.2} runs/s",
                plan.point_count()
            ));
        }
        Ok(())
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result.map_err(BatchError)
}

/// "run 12 (point 4: suspicion_mult=6, preset=memberlist; seed 3): …"
pub fn describe_failure(plan: &Plan, run: usize, message: &str) -> String {
    let (point, seed) = plan.run_ref(run);
    format!(
        "run {run} ({}; seed {seed}): {message}",
        describe_point(plan, point)
    )
}

/// "point 4: suspicion_mult=6, preset=memberlist"
pub fn describe_point(plan: &Plan, point: usize) -> String {
    let values: Vec<String> = plan
        .axes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "{}={}",
                crate::quote::short(a),
                crate::quote::short(&plan.value(point, i).label)
            )
        })
        .collect();
    format!("point {point}: {}", values.join(", "))
}
