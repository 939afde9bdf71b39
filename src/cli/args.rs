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
    /// Measure engine speed on a synthetic cluster, healthy or sick (`--starved`,
    /// `--lossy`, `--freeze`): events/s, simulated seconds per wall second, CPU
    /// seconds and peak memory.
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
    /// Run one scenario under several presets or override sets over the same
    /// seeds, and write a side-by-side table with the spread across seeds.
    Compare(CompareArgs),
    /// Run a parameter sweep (a sweep file: base scenario + axes) in parallel;
    /// resumable, shardable across machines.
    Sweep(SweepArgs),
    /// Join the output directories of a sharded sweep into one, byte-identical
    /// to an unsharded run.
    Merge(MergeArgs),
    /// Read real memberlist/Serf/Consul/Nomad logs (files, directories, `-`,
    /// gzip) and write the blame table, flaps, verdict, charts, summary.json and
    /// a scenario to replay (diagnosed.yaml) to output/diagnose/ (or --out).
    Diagnose(DiagnoseArgs),
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Log files (one per node, or with `node: ` line prefixes), directories, or
    /// `-` for stdin; gzip is read as is.
    #[arg(required = true)]
    pub logs: Vec<PathBuf>,
    /// Output directory (default: output/diagnose).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Count only lines from this time on (earlier lines still set up state):
    /// 2015-09-29T00:10:00Z, 2024-03-01T10:00:00+09:00 or `2015/09/29 00:10:00`.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stop at this time (lines at or after it are not read).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// UTC offset of timestamps written without a zone (Go's log in Consul < 1.0
    /// prints the host's local time): UTC (default), +09:00, -0700; or
    /// FILE=OFFSET for one file (an input given, or a directory given: its
    /// files). Repeatable. A file left to the default whose Serf events line up
    /// with the other files' only a whole number of quarter hours off is read
    /// at that offset, with a note.
    #[arg(long, value_name = "[FILE=]OFFSET", allow_hyphen_values = true)]
    pub log_zone: Vec<String>,
    /// The node that wrote a file whose lines have no `node: ` prefix: `NAME` (one
    /// input; a directory's every file) or `FILE=NAME` (FILE an input given, a
    /// directory's every file). Repeatable. Default: the file name (`a-01.log` →
    /// a-01), or the host's directory (`logs/a-01/consul.log` → a-01).
    #[arg(long = "observer", value_name = "[FILE=]NAME")]
    pub observers: Vec<String>,
    /// Serf's FlapTimeout (a failed member rejoining sooner is a flap).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub flap_timeout: String,
    /// Distinct node names at most.
    #[arg(long, default_value_t = 10_000)]
    pub max_nodes: usize,
    /// How many times its compressed size a gzip file may decode to (past its
    /// first MiB): real logs compress 5 to 30 times, a gzip bomb about 1,000.
    /// A file over it is refused, naming it (exit 2).
    #[arg(long, value_name = "RATIO", default_value_t = crate::diagnose::input::MAX_GZIP_RATIO)]
    pub max_gzip_ratio: u64,
    /// Do not draw the charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Presets to compare, comma-separated: `--presets memberlist-2015,memberlist`.
    #[arg(long, value_delimiter = ',')]
    pub presets: Vec<String>,
    /// A named override set: `--variant fast:probe_interval=500ms,suspicion_mult=3`
    /// (`preset=…` allowed). Repeatable; compared after the presets.
    #[arg(long = "variant", value_name = "NAME:FIELD=VALUE,…")]
    pub variants: Vec<String>,
    /// Seeds per configuration.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// First seed (default: the scenario's `seed`); seeds are consecutive.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a field for every configuration (as for `run`). Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub batch: BatchFlags,
    /// Output directory (default: output/<scenario name>-compare).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags every batch command takes.
#[derive(Debug, Args)]
pub struct BatchFlags {
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Raise an input limit (as for `run`). Repeatable.
    #[arg(long = "limit", value_name = "KEY=VALUE")]
    pub limits: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The recommendation's budget.
#[derive(Debug, Args)]
pub struct BudgetFlags {
    /// Budget: flaps of healthy nodes per hour (upper end of the 95% interval
    /// across seeds); the summary names the fastest-detecting configuration within it.
    #[arg(long, value_name = "X", conflicts_with = "max_fp_healthy")]
    pub max_flaps_per_hour: Option<f64>,
    /// Budget: false positives at healthy nodes per hour (as above).
    #[arg(long, value_name = "X")]
    pub max_fp_healthy: Option<f64>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep file (YAML): a base scenario and axes; see the README.
    pub sweep: PathBuf,
    #[command(flatten)]
    pub batch: BatchFlags,
    /// Continue a sweep in --out: keep its finished runs, run the rest (also
    /// after kill -9: a torn last row is redone).
    #[arg(long, conflicts_with = "fresh")]
    pub resume: bool,
    /// Delete the results already in --out and start over.
    #[arg(long)]
    pub fresh: bool,
    /// Run a slice of the runs: `I/N` (0 <= I < N), or `auto` from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// Shard count for `--shard auto` when the environment does not give it
    /// (Kubernetes Indexed Jobs: the Job's `completions`).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<usize>,
    /// Output directory (default: output/sweeps/<name>, or
    /// output/sweeps/<name>/shard-I-of-N with --shard).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write every run's full outputs (events, log, time series) to OUT/runs/.
    #[arg(long)]
    pub keep_runs: bool,
    /// Check the sweep file and print the plan; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub budget: BudgetFlags,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard output directories (every shard of one sweep).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output directory for the merged sweep.
    #[arg(long, required = true)]
    pub out: PathBuf,
    #[command(flatten)]
    pub budget: BudgetFlags,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
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
    /// Output directory of a run or a comparison (holding chart-data.json).
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
    /// Override a protocol field or a scenario key (duration, warmup, seed,
    /// timeseries_bin, log_observers): `--set suspicion_mult=4`, `--set
    /// duration=30m`, `--set log_observers=all`. Repeatable.
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
    /// Skip the charts, chart-data.json and report.html (same as leaving
    /// `charts` out of `--outputs`).
    #[arg(long, conflicts_with = "outputs")]
    pub no_charts: bool,
    /// Files to write, comma-separated (default: summary, timeseries, events,
    /// log, charts); `wire` (wire.csv) only when listed. summary.json is always
    /// written.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub outputs: Option<Vec<super::outputs::Output>>,
    /// Lowest event level in events.jsonl: `info`, or `debug` to add failed UDP
    /// pings, push/pull starts and degraded probes.
    #[arg(long, value_enum, default_value_t, value_name = "LEVEL")]
    pub events: super::outputs::EventsLevel,
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
    /// Also write `seed digest events` per passing seed to this file, so two
    /// builds can be compared seed by seed (a speed or refactoring change must
    /// not move a single digest).
    #[arg(long, value_name = "FILE")]
    pub digests: Option<PathBuf>,
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
    /// Sick workload: this share of the nodes has a starved receive path
    /// (`starve: {delay: {uniform: [500ms, 2500ms]}}`), e.g. `--starved 10%`.
    // A negative share reaches the range check, which names the flag and the
    // valid range, instead of clap's "unexpected argument '-5'".
    #[arg(long, value_name = "PCT", allow_hyphen_values = true)]
    pub starved: Option<String>,
    /// Sick workload: a share of the nodes (default 10%) loses 20 % of UDP both
    /// ways (the bad NIC of scenarios/lossy-nic.yaml).
    #[arg(long, value_name = "PCT", num_args = 0..=1, default_missing_value = "10%")]
    pub lossy: Option<String>,
    /// Sick workload: a share of the nodes (default 10%) freezes, every 90 s on
    /// average for 1.5 s median / 6 s p95 (scenarios/qiita-2015-sick-t2.yaml).
    #[arg(long, value_name = "PCT", num_args = 0..=1, default_missing_value = "10%")]
    pub freeze: Option<String>,
    /// Print the workload as a scenario file (for `flapsim run`) and exit.
    #[arg(long)]
    pub print_scenario: bool,
    /// Also write these outputs, as `flapsim run --outputs` does (e.g.
    /// `summary,timeseries`, or `summary,timeseries,events,log,charts` for
    /// every default output), and measure them with the run: the engine then
    /// also collects the metrics, and CPU counts every thread.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub outputs: Option<Vec<super::outputs::Output>>,
    /// Where `--outputs` writes (each repetition replaces the last one's set;
    /// default: a scratch directory in the system's temporary directory,
    /// removed afterwards).
    #[arg(long, requires = "outputs")]
    pub out: Option<PathBuf>,
    /// Compare with another flapsim build, side by side in one run: each of
    /// `--repeat` rounds runs this build and that one as fresh `bench --repeat
    /// 1` processes, in the order this, other, other, this, so that the
    /// machine's drift falls on both alike. Prints both builds' figures, their
    /// ratio paired by round, and whether their digests agree (exit 1 if not).
    #[arg(long, value_name = "FLAPSIM", conflicts_with_all = ["print_scenario", "out"])]
    pub against: Option<PathBuf>,
}

impl BenchArgs {
    /// Every flag at its default (what `flapsim bench` alone means).
    pub fn parse_defaults() -> BenchArgs {
        #[derive(Parser)]
        struct Bench {
            #[command(flatten)]
            args: BenchArgs,
        }
        Bench::parse_from(["bench"]).args
    }
}
