//! The `flapsim` command line: parse (pure), validate, then build and run.
//!
//! Exit codes: 0 ok, 1 the run failed (I/O, a broken invariant), 2 bad input
//! (scenario file or flags). Errors go to stderr as one clear message.

#[macro_use]
mod output;
pub mod args;
pub mod bench;
pub mod chart;
pub mod check;
pub mod compare;
pub mod diagnose;
pub mod hugepages;
pub mod memory;
pub mod oracle;
pub mod outputs;
pub mod signals;
pub mod sweep;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::batch;
use crate::protocol::config::PRESETS;
use crate::protocol::{Config, SEC};
use crate::quote::short;
use crate::report;
use crate::scenario::{self, CliOverrides, Limits, Scenario};
use crate::units::{format_duration, parse_duration};

use args::{CheckArgs, Cli, Command, RunArgs};

/// Exit code for bad input (scenario or flags).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a run that failed after its input was accepted.
pub const EXIT_FAILED: u8 = 1;

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }
    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to
            // stderr; usage errors are bad input. clap quotes a refused value
            // whole: a long one is printed shortened (and plain).
            let text = e.render().to_string();
            if e.use_stderr() && text.len() > crate::quote::MESSAGE_BYTES / 4 {
                warn!(
                    "{}",
                    crate::quote::shorten_between(text.trim_end(), &['\''])
                );
            } else {
                let _ = e.print();
            }
            return if e.use_stderr() {
                ExitCode::from(EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Err(message) = memory::watch() {
        warn!("error: {message}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Validate { files, limits } => validate(&files, &limits),
        Command::Check(args) => check_cmd(&args),
        Command::Bench(args) => bench::command(&args),
        Command::Presets => presets(),
        Command::Oracle(args) => oracle::oracle_cmd(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Chart(args) => chart::chart_cmd(&args),
        Command::Diagnose(args) => diagnose::diagnose_cmd(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // A message quotes what the user wrote through `quote::short`;
            // the cap is for any that does not.
            warn!("error: {}", crate::quote::capped(&f.message));
            ExitCode::from(f.code)
        }
    }
}

/// Parse `FIELD=VALUE` flags.
pub fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, Failure> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(Failure::bad_input(format!(
                "--set `{}`: expected FIELD=VALUE, e.g. --set suspicion_mult=4",
                short(s)
            ))),
        })
        .collect()
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let overrides = CliOverrides {
        seed: args.seed,
        preset: args.preset.clone(),
        sets: parse_sets(&args.sets)?,
    };
    let limits = parse_limits(&args.limits)?;
    let selection = outputs::Selection::new(args.outputs.as_deref(), args.no_charts, args.events)?;
    let scenario = scenario::load_with_limits(&args.scenario, &overrides, &limits)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.name));
    // Signals first, then claim the output directory: an unwritable or busy
    // `--out` is found before the run, and a stopped run leaves it untouched.
    let stop = signals::Stop::install();
    let publisher = report::Publisher::begin(&out_dir, stop.flag.clone())
        .map_err(|e| Failure::bad_input(crate::report::publish::out_refusal(&out_dir, &e)))?;
    let publish_failure = |e: std::io::Error| {
        if e.kind() == report::publish::INTERRUPTED {
            Failure {
                code: stop.exit_code(),
                message: stop.message(e.to_string()),
            }
        } else {
            Failure::failed(format!("writing {}: {e}", out_dir.display()))
        }
    };
    let interactive = !args.quiet && std::io::stdout().is_terminal();
    if !args.quiet {
        say!(
            "flapsim: {} ({} nodes, preset {}, seed {}, {} simulated)",
            scenario.name,
            scenario.nodes.len(),
            scenario.preset,
            scenario.seed,
            format_duration(scenario.duration)
        );
    }

    let bar = interactive.then(|| progress_bar(scenario.duration));
    let published = simulate_and_publish(
        &scenario,
        &selection,
        publisher,
        limits.max_events,
        &stop.flag,
        &mut |t| {
            if let Some(bar) = &bar {
                bar.set_position(t / SEC);
            }
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let Published {
        metrics,
        stats,
        simulated_in,
    } = published.map_err(|e| match e {
        PublishRunError::Stopped(e) => stopped(e, &args.scenario, &scenario, &stop),
        PublishRunError::Io(e) => publish_failure(e),
    })?;
    let wall = simulated_in.as_secs_f64();
    if stop.raised() && memory::tripped().is_none() {
        // The signal came after the swap: the new set is complete, but the
        // user asked to stop, so say so and exit as interrupted.
        return Err(Failure {
            code: stop.exit_code(),
            message: format!(
                "interrupted; the outputs in {} were already complete and published",
                out_dir.display()
            ),
        });
    }
    if !args.quiet {
        let mut out = std::io::stdout().lock();
        let text = report::human_summary(&scenario, &metrics);
        // A closed pipe (`| head`) is not an error.
        let _ = write!(out, "{text}");
        let _ = writeln!(
            out,
            "\n{} events in {:.2} s wall ({:.0} events/s, {:.0} simulated s per wall s); outputs in {}",
            stats.events,
            wall,
            stats.events as f64 / wall.max(1e-9),
            stats.simulated as f64 / 1e9 / wall.max(1e-9),
            out_dir.display()
        );
    }
    Ok(())
}

/// A run with its outputs published, and when the engine finished.
pub(crate) struct Published {
    pub metrics: crate::metrics::Metrics,
    pub stats: crate::engine::RunStats,
    /// From the start to the end of the engine's run (the outputs streamed as
    /// it went; the rest were rendered and published after it).
    pub simulated_in: std::time::Duration,
}

/// Why [`simulate_and_publish`] published nothing.
pub(crate) enum PublishRunError {
    Stopped(crate::engine::Stopped),
    Io(std::io::Error),
}

/// Run `scenario` and publish the outputs `selection` chooses through
/// `publisher`, as `flapsim run` does (and `flapsim bench --outputs` measures):
/// events.jsonl and memberlist.log are written while the run goes, the
/// records the charts read are spilled beside them and read back once the
/// engine is gone (so memory during the run keeps no records), then the other
/// files are rendered and the set is published whole. A stopped run publishes
/// nothing.
pub(crate) fn simulate_and_publish(
    scenario: &Scenario,
    selection: &outputs::Selection,
    mut publisher: report::Publisher,
    max_events: u64,
    stop: &std::sync::atomic::AtomicBool,
    progress: &mut dyn FnMut(crate::protocol::Nanos),
) -> Result<Published, PublishRunError> {
    let started = Instant::now();
    let mut streams = report::stream::Streams::open(
        &mut publisher,
        scenario,
        &selection.streamed(),
        selection.charts(),
    )
    .map_err(PublishRunError::Io)?;
    if selection.wire() {
        streams
            .write_wire(&mut publisher, scenario)
            .map_err(PublishRunError::Io)?;
    }
    let batch::Measured { mut metrics, stats } = batch::simulate::simulate_streaming(
        scenario,
        max_events,
        stop,
        progress,
        &mut streams,
        batch::simulate::Keep::Nothing,
    )
    .map_err(PublishRunError::Stopped)?;
    let simulated_in = started.elapsed();
    metrics.spilled = streams
        .finish(&mut publisher)
        .map_err(PublishRunError::Io)?;
    let formats: Vec<report::Format> = selection
        .formats(&metrics)
        .into_iter()
        .filter(|f| !report::stream::Streams::streams(*f))
        .collect();
    report::write_all_into(publisher, &formats, scenario, &metrics).map_err(PublishRunError::Io)?;
    Ok(Published {
        metrics,
        stats,
        simulated_in,
    })
}

/// The failure for a run that stopped before its end (`file`: the scenario's
/// file, or what the run is, e.g. `bench`).
pub(crate) fn stopped(
    e: crate::engine::Stopped,
    file: &Path,
    scenario: &Scenario,
    stop: &signals::Stop,
) -> Failure {
    use crate::engine::Stopped;
    match e {
        Stopped::Budget(e) => over_budget(file, e),
        Stopped::Interrupted { at } => Failure {
            code: stop.exit_code(),
            message: match memory::tripped() {
                Some(_) => memory::stopped_message(&format!(" at {} simulated", format_duration(at))),
                None => format!(
                    "interrupted at {} simulated; nothing written",
                    format_duration(at)
                ),
            },
        },
        Stopped::Truncated { node, at } => Failure::bad_input(format!(
            "{}: the CPU schedule of `{}` needed more than {} steps for one answer at {} simulated (its host faults are too fine-grained to combine); nothing written",
            file.display(),
            scenario
                .nodes
                .get(node as usize)
                .map_or("?", |n| n.name.as_str()),
            crate::host::schedule::MAX_WALK,
            format_duration(at)
        )),
    }
}

/// The failure of a run that needed more events than the limit allows.
pub(crate) fn over_budget(file: &Path, e: crate::engine::EventBudgetExceeded) -> Failure {
    Failure::bad_input(format!(
        "{}: the run needed more than {} simulated events, counting the work they cause (the limit; stopped at {} simulated); raise it with `--limit events=N`",
        file.display(),
        e.max_events,
        format_duration(e.at)
    ))
}

/// Parse `--limit KEY=VALUE` flags on top of the default [`Limits`]. Keys may
/// carry a `max_` prefix; counts accept `1e9`-style values; `duration` takes a
/// duration (`90d`).
pub fn parse_limits(flags: &[String]) -> Result<Limits, Failure> {
    let mut l = Limits {
        available_memory: memory::available(),
        ..Limits::default()
    };
    for flag in flags {
        let bad = |m: String| Failure::bad_input(format!("--limit `{}`: {m}", short(flag)));
        let Some((k, v)) = flag.split_once('=') else {
            return Err(bad("expected KEY=VALUE, e.g. --limit nodes=50000".into()));
        };
        let key = k.trim().trim_start_matches("max_");
        let v = v.trim();
        let count = || -> Result<u64, Failure> {
            crate::units::parse_whole(v)
                .ok_or_else(|| bad(format!("`{}` is not a whole number", short(v))))
        };
        let usize_count = || -> Result<usize, Failure> {
            usize::try_from(count()?).map_err(|_| bad(format!("`{}` is too large", short(v))))
        };
        match key {
            "file_bytes" => l.max_file_bytes = usize_count()?,
            "nodes" => l.max_nodes = usize_count()?,
            "entries" => l.max_entries = usize_count()?,
            "depth" => l.max_depth = usize_count()?,
            "events" => l.max_events = count()?,
            "timeseries_cells" => l.max_timeseries_cells = count()?,
            "target_nodes" => l.max_target_nodes = count()?,
            "duration" => l.max_duration = parse_duration(v).map_err(bad)?,
            _ => {
                return Err(bad(format!(
                    "unknown limit `{}`; keys: file_bytes, nodes, duration, entries, depth, events, timeseries_cells, target_nodes",
                    short(k)
                )))
            }
        }
    }
    Ok(l)
}

fn check_cmd(args: &CheckArgs) -> Result<(), Failure> {
    if args.max_nodes < 3 || args.max_nodes > check::MAX_NODES {
        return Err(Failure::bad_input(format!(
            "--max-nodes {}: expected 3 to {} nodes (each seed's cluster is checked after every event)",
            args.max_nodes,
            check::MAX_NODES
        )));
    }
    if args.seeds == 0 {
        return Err(Failure::bad_input("--seeds: need at least 1 seed"));
    }
    if args.start_seed.checked_add(args.seeds - 1).is_none() {
        return Err(Failure::bad_input(format!(
            "--start-seed {} --seeds {}: the last seed would be past 18446744073709551615; lower --start-seed or --seeds",
            args.start_seed, args.seeds
        )));
    }
    let opt = check::CheckOptions {
        seeds: args.seeds,
        start_seed: args.start_seed,
        max_nodes: args.max_nodes,
        out: args.out.clone(),
        quiet: args.quiet,
    };
    let digests_file = args.digests.clone();
    if !args.quiet {
        say!(
            "check: seeds {}..{} (clusters of 3..={} nodes){}",
            args.start_seed,
            args.start_seed + (args.seeds - 1),
            args.max_nodes,
            if cfg!(debug_assertions) {
                ", overflow checks on"
            } else {
                ""
            }
        );
    }
    // Panics are caught and reported per seed; keep the default hook's
    // backtrace noise out of the report but keep its message.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        warn!("  panic{at}");
    }));
    let started = Instant::now();
    let sum = check::run_check(&opt);
    let wall = started.elapsed().as_secs_f64();
    std::panic::set_hook(hook);
    if let Some(path) = &digests_file {
        crate::report::write_atomic(path, sum.digest_lines.as_bytes()).map_err(|e| {
            Failure::failed(format!("--digests {}: cannot write: {e}", path.display()))
        })?;
    }
    let checked = sum.passed + sum.failed.len() as u64;
    if checked != args.seeds {
        return Err(Failure::failed(format!(
            "checked {checked} seeds of the {} asked for",
            args.seeds
        )));
    }
    say!(
        "check: {}, {} passed, {} failed ({} fault-free, {} converging, {} safety-only, {} nodes stranded by a failed join); {} events in {:.1} s wall; slowest convergence {} after the last fault",
        crate::units::count(usize::try_from(args.seeds).unwrap_or(usize::MAX), "seed"),
        sum.passed,
        sum.failed.len(),
        sum.quiet,
        sum.converge,
        sum.safety_only,
        sum.stranded,
        sum.events,
        wall,
        format_duration(sum.max_converged_after)
    );
    if sum.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{} seed(s) failed: {:?}; reduced scenarios in {}",
            sum.failed.len(),
            sum.failed,
            args.out.display()
        )))
    }
}

fn progress_bar(duration: u64) -> ProgressBar {
    let bar = ProgressBar::new(duration / SEC);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} simulated s  {elapsed} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn validate(files: &[PathBuf], limits: &[String]) -> Result<(), Failure> {
    // Whether a file is valid does not depend on this machine's memory: that
    // is checked when it runs.
    let limits = Limits {
        available_memory: None,
        ..parse_limits(limits)?
    };
    let mut errors = Vec::new();
    for f in files {
        match scenario::load_with_limits(f, &CliOverrides::default(), &limits) {
            Ok(s) => say!(
                "{}: ok ({}, preset {}, {} simulated, {}, {})",
                f.display(),
                crate::units::count(s.nodes.len(), "node"),
                s.preset,
                format_duration(s.duration),
                crate::units::count(s.timeline.len(), "timeline event"),
                crate::units::count(s.faults.len(), "host fault")
            ),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::bad_input(errors.join("\nerror: ")))
    }
}

/// Every field's value in every preset, one row per field (the config table's
/// rows, so nothing can be missing), columns in [`PRESETS`] order.
fn presets() -> Result<(), Failure> {
    let columns: Vec<Vec<(&str, String)>> = PRESETS
        .iter()
        .map(|name| {
            let mut rows = Vec::new();
            Config::preset(name)
                .expect("listed preset exists")
                .text_fields(&mut rows);
            rows
        })
        .collect();
    let key_width = columns[0].iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let widths: Vec<usize> = PRESETS
        .iter()
        .zip(&columns)
        .map(|(name, rows)| {
            rows.iter()
                .map(|(_, v)| v.len())
                .chain([name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut line = format!("{:key_width$}", "field");
    for (name, w) in PRESETS.iter().zip(&widths) {
        line += &format!("  {name:>w$}");
    }
    say!("{line}");
    for (i, (key, _)) in columns[0].iter().enumerate() {
        let mut line = format!("{key:key_width$}");
        for (rows, w) in columns.iter().zip(&widths) {
            line += &format!("  {:>w$}", rows[i].1);
        }
        say!("{line}");
    }
    Ok(())
}

/// Used by tests: the output directory a run would use.
pub fn default_out_dir(scenario_name: &str) -> PathBuf {
    Path::new("output").join(scenario_name)
}
