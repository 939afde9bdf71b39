//! Command-line arguments (clap derive). Parsing is pure: nothing here touches
//! files; `cli::main` validates, then builds.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// flapsim: a deterministic simulator of SWIM/memberlist gossip clusters.
/// Replay a flapping incident, compare memberlist generations, measure.
///
/// Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario or flags).
#[derive(Debug, Parser)]
#[command(name = "flapsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario and write summary.json, events.jsonl, memberlist.log,
    /// timeseries.csv, the charts (SVG and PNG), chart-data.json and report.html
    /// to output/<scenario>/ (or --out).
    Run(RunArgs),
    /// Check scenario files without running them.
    Validate {
        /// Scenario files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Raise an input limit: `--limit nodes=50000`. Repeatable. Keys:
        /// file_bytes, nodes, duration, entries, depth, events.
        #[arg(long = "limit", value_name = "KEY=VALUE")]
        limits: Vec<String>,
    },
    /// Randomized protocol checker: generate a scenario per seed, check the
    /// protocol invariants after every event, convergence after faults heal,
    /// determinism and the YAML round trip. Failures are reduced and written to
    /// output/check/failure-<seed>.yaml.
    Check(CheckArgs),
    /// Measure engine speed on a synthetic healthy cluster (events/s and
    /// simulated seconds per wall second).
    Bench(BenchArgs),
    /// List the protocol presets and their parameters.
    Presets,
    /// Run a scenario over several seeds and print the memberlist oracle's
    /// figures (NotifyLeave, incidents, flaps, refutations, log lines) for one
    /// sick node, in the form of shared/oracle's tables.
    Oracle(OracleArgs),
    /// Redraw the charts and report.html of an output directory from its files
    /// (chart-data.json, summary.json), without re-running.
    Chart(ChartArgs),
}

#[derive(Debug, Args)]
pub struct OracleArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Number of seeds (runs).
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub start_seed: u64,
    /// The sick node S the figures are split by.
    #[arg(long, default_value = "n01")]
    pub sick: String,
    /// Protocol preset (overrides the file's).
    #[arg(long)]
    pub preset: Option<String>,
    /// Override a protocol field or scenario key. Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// Gap that chains NotifyLeave events into one incident (default 10s).
    #[arg(long)]
    pub merge: Option<String>,
    /// Print only the table.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Output directory of a run (holding chart-data.json and summary.json).
    pub dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Seed for every random stream (overrides the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Protocol preset (overrides the file's `protocol.preset`; the file's
    /// overrides still apply on top).
    #[arg(long)]
    pub preset: Option<String>,
    /// Override a protocol field or a scenario key: `--set suspicion_mult=4`,
    /// `--set duration=30m`. Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// Output directory (default: output/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Raise an input limit: `--limit nodes=50000`, `--limit events=5e9`.
    /// Repeatable. Keys: file_bytes, nodes, duration, entries, depth, events.
    #[arg(long = "limit", value_name = "KEY=VALUE")]
    pub limits: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the charts, chart-data.json and report.html.
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Number of seeds to check.
    #[arg(long, default_value_t = 100)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub start_seed: u64,
    /// Largest generated cluster (at least 3).
    #[arg(long, default_value_t = 12)]
    pub max_nodes: usize,
    /// Directory for reduced failing scenarios.
    #[arg(long, default_value = "output/check")]
    pub out: PathBuf,
    /// Print only failures and the total.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Cluster size.
    #[arg(long, default_value_t = 1000)]
    pub nodes: usize,
    /// Simulated duration (e.g. 120s, 10m).
    #[arg(long, default_value = "120s")]
    pub duration: String,
    /// Protocol preset.
    #[arg(long, default_value = "memberlist")]
    pub preset: String,
    /// Repetitions (the best and median are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Raise a limit, as for `run` (`nodes`, `duration`, `events`).
    #[arg(long = "limit", value_name = "KEY=VALUE")]
    pub limits: Vec<String>,
}
