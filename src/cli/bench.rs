//! `flapsim bench`: engine speed on a synthetic cluster, healthy or sick.
//!
//! Why a command and not a timed test: speed depends on the machine, so it is
//! measured and reported (events per wall second, simulated seconds per wall
//! second, CPU seconds, peak memory), never asserted. The wall clock is read here
//! only, around whole runs; it never reaches the simulation.
//!
//! Sick workloads (`--starved`, `--lossy`, `--freeze`) are written as scenario
//! YAML and parsed like any scenario file, so `--print-scenario` gives a file
//! that any build of flapsim can `run` for a side-by-side comparison
//! (scenarios/bench/starved-1000.yaml is `--starved 10%` at 1000 nodes).

mod against;
mod capture;

use std::path::Path;
use std::time::Instant;

use clap::ValueEnum;

use super::args::BenchArgs;
use super::outputs::{EventsLevel, Selection};
use super::signals::Stop;
use super::{over_budget, parse_limits, simulate_and_publish, stopped, Failure, PublishRunError};
use crate::protocol::config::PRESETS;
use crate::report::Publisher;
use crate::scenario::{self, CliOverrides};
use crate::units::{format_duration, format_duration_exact, parse_duration};

use crate::engine::{
    DropReason, EventBudgetExceeded, EventMix, HostSample, Observer, PacketKind, Simulation, Truth,
};
use crate::protocol::{Event, Nanos, NodeId};
use crate::scenario::Scenario;

/// An observer that ignores everything: the bench measures the engine and the
/// protocol, not the metrics.
struct Discard;

impl Observer for Discard {
    fn protocol(&mut self, _: Nanos, _: NodeId, _: &Event) {}
    fn truth(&mut self, _: Nanos, _: NodeId, _: Truth) {}
    fn sent(&mut self, _: Nanos, _: NodeId, _: NodeId, _: PacketKind, _: u32) {}
    fn received(&mut self, _: Nanos, _: NodeId, _: PacketKind, _: u32) {}
    fn dropped(&mut self, _: Nanos, _: NodeId, _: NodeId, _: DropReason) {}
    fn host_sample(&mut self, _: Nanos, _: NodeId, _: HostSample) {}
}

/// One measured run.
pub struct BenchRun {
    pub setup_s: f64,
    pub run_s: f64,
    /// With `--outputs`: the part of `run_s` after the engine finished
    /// (completing the streamed files, rendering the rest, publishing).
    pub publish_s: Option<f64>,
    pub events: u64,
    /// Budget units beyond the events ([`crate::engine::RunStats::work`]).
    pub work: u64,
    pub packets: u64,
    pub simulated_s: f64,
    pub digest: u64,
    /// The events by kind.
    pub mix: EventMix,
}

/// Most runs one bench may repeat.
pub const MAX_REPEAT: usize = 100;

/// One run, within the event budget `max_events` (as `flapsim run`).
pub fn run_once(scenario: &Scenario, max_events: u64) -> Result<BenchRun, EventBudgetExceeded> {
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario);
    let t1 = Instant::now();
    let stats = sim.run_budgeted(&mut Discard, &mut |_| {}, max_events)?;
    let t2 = Instant::now();
    Ok(BenchRun {
        setup_s: (t1 - t0).as_secs_f64(),
        run_s: (t2 - t1).as_secs_f64(),
        publish_s: None,
        events: stats.events,
        work: stats.work,
        packets: stats.packets,
        simulated_s: stats.simulated as f64 / 1e9,
        digest: stats.digest,
        mix: stats.mix,
    })
}

/// Where and what a bench with `--outputs` writes.
struct OutputsRun<'a> {
    selection: &'a Selection,
    dir: &'a Path,
    stop: &'a Stop,
}

/// One run that also writes the outputs, exactly as `flapsim run` does
/// ([`simulate_and_publish`]): setting up the engine is part of its run.
fn run_with_outputs(
    scenario: &Scenario,
    max_events: u64,
    o: &OutputsRun,
) -> Result<BenchRun, Failure> {
    let t0 = Instant::now();
    let publisher = Publisher::begin(o.dir, o.stop.flag.clone())
        .map_err(|e| Failure::bad_input(crate::report::publish::out_refusal(o.dir, &e)))?;
    let p = simulate_and_publish(
        scenario,
        o.selection,
        publisher,
        max_events,
        &o.stop.flag,
        &mut |_| {},
    )
    .map_err(|e| match e {
        PublishRunError::Stopped(e) => stopped(e, Path::new("bench"), scenario, o.stop),
        PublishRunError::Io(e) => Failure::failed(format!("writing {}: {e}", o.dir.display())),
    })?;
    let run = t0.elapsed();
    Ok(BenchRun {
        setup_s: 0.0,
        run_s: run.as_secs_f64(),
        publish_s: Some(run.saturating_sub(p.simulated_in).as_secs_f64()),
        events: p.stats.events,
        work: p.stats.work,
        packets: p.stats.packets,
        simulated_s: p.stats.simulated as f64 / 1e9,
        digest: p.stats.digest,
        mix: p.stats.mix,
    })
}

/// The faults of a sick bench workload, each on its own random share of nodes
/// (fractions in (0, 1]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sickness {
    /// Starved receive path, as in the issue-12 report: every packet reaches
    /// memberlist 0.5–2.5 s late, in order, while timers fire on time.
    pub starved: Option<f64>,
    /// A bad NIC: 20 % UDP loss both ways (scenarios/lossy-nic.yaml's `nic-9`).
    pub lossy: Option<f64>,
    /// Stop-the-world freezes, Poisson every 90 s on average, log-normal length
    /// with median 1.5 s and p95 6 s (scenarios/qiita-2015-sick-t2.yaml's freezes).
    pub freeze: Option<f64>,
}

impl Sickness {
    pub fn is_healthy(&self) -> bool {
        *self == Sickness::default()
    }

    /// Short label for the scenario name: `starved10-lossy5`.
    fn label(&self) -> String {
        let parts: Vec<String> = [
            ("starved", self.starved),
            ("lossy", self.lossy),
            ("freeze", self.freeze),
        ]
        .iter()
        .filter_map(|(name, f)| f.map(|f| format!("{name}{}", percent(f))))
        .collect();
        parts.join("-")
    }
}

/// `0.1` → `10` (at most 3 decimals, no trailing zeros).
fn percent(f: f64) -> String {
    let s = format!("{:.3}", f * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Parse a share of nodes: `10%`, `10` (percent) — more than 0, at most 100 %.
pub fn parse_share(flag: &str, text: &str) -> Result<f64, Failure> {
    let t = text.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    match number.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p / 100.0),
        _ => Err(Failure::bad_input(format!(
            "{flag} `{text}`: expected a share of the nodes, more than 0 % and at most 100 % (e.g. `10%`)"
        ))),
    }
}

/// The scenario YAML of a bench workload: `nodes` nodes named `node-00000…`
/// (as the healthy bench), 120-byte metadata, 125 µs ± 40 µs one-way latency,
/// converged start, no warm-up, plus the faults of `sick`.
pub fn workload_yaml(
    nodes: usize,
    duration: &str,
    preset: &str,
    seed: u64,
    sick: &Sickness,
) -> String {
    let name = if sick.is_healthy() {
        format!("bench-{nodes}")
    } else {
        format!("bench-{}-{nodes}", sick.label())
    };
    let share = |f: f64| format!("{{of: nodes, fraction: {}%}}", percent(f));
    let mut y = format!(
        "# Generated by `flapsim bench --print-scenario` (see src/cli/bench.rs).\n\
         name: {name}\n\
         description: \"{nodes} nodes, preset {preset}, converged, {duration}{desc}\"\n\
         seed: {seed}\n\
         duration: {duration}\n\
         warmup: 0\n\
         start: converged\n\n\
         protocol:\n  preset: {preset}\n\n\
         cluster:\n  zones: [a]\n  meta_bytes: 120\n  groups:\n    \
         nodes: {{count: {nodes}, name: \"node-{{:05}}\", first: 0}}\n\n\
         network:\n  default:\n    latency: {{normal: {{mean: 125us, sd: 40us}}}}\n",
        desc = if sick.is_healthy() {
            String::new()
        } else {
            format!(", sick ({})", sick.label())
        },
    );
    if let Some(f) = sick.lossy {
        y += &format!(
            "  rules:\n    - from: {}\n      to: all\n      both_ways: true\n      loss: 20%\n",
            share(f)
        );
    }
    if sick.starved.is_some() || sick.freeze.is_some() {
        y += "\nfaults:\n";
    }
    if let Some(f) = sick.starved {
        y += &format!(
            "  - nodes: {}\n    starve: {{delay: {{uniform: [500ms, 2500ms]}}}}\n",
            share(f)
        );
    }
    if let Some(f) = sick.freeze {
        y += &format!(
            "  - nodes: {}\n    pause:\n      every: {{exponential: {{mean: 90s}}}}\n      \
             duration: {{lognormal: {{median: 1.5s, p95: 6s}}}}\n",
            share(f)
        );
    }
    y += "\nlog_observers: [node-00000]\n";
    y
}

/// What the header says of this build: nothing for a release build; a
/// debug (or `checked`) build's figures are not the engine's, so it says so
/// and how to get a release one.
fn build_caveat() -> &'static str {
    if cfg!(debug_assertions) {
        " (a debug build, with assertions: its figures are not representative; use `cargo run --release -- bench`)"
    } else {
        ""
    }
}

/// CPU time (user + system) of this process so far, every thread included,
/// also those that have exited: `CLOCK_PROCESS_CPUTIME_ID`, in nanoseconds.
/// Why not the per-thread `/proc/self/task/*/schedstat`: a finished thread
/// leaves that list, so a run with outputs lost its writer thread's seconds
/// (1–3 s of a sick run's 11–17) once the writer had joined.
/// Linux only: `None` elsewhere.
#[cfg(target_os = "linux")]
pub fn cpu_seconds() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}

#[cfg(not(target_os = "linux"))]
pub fn cpu_seconds() -> Option<f64> {
    None
}

/// Peak resident set size of this process in bytes (`VmHWM` of
/// `/proc/self/status`). Linux only: `None` elsewhere.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Reset the peak RSS to the current RSS (`echo 5 > /proc/self/clear_refs`,
/// Linux ≥ 4.0), so each repetition reports its own peak. False if unsupported.
///
/// The allocator is asked first to give back what the last repetition freed:
/// glibc keeps freed pages mapped, and counted on top of the next run they
/// made its peak look 20 % larger than the same run's in a fresh process.
fn reset_peak_rss() -> bool {
    release_freed_memory();
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_freed_memory() {
    // SAFETY: malloc_trim only walks glibc's own free lists; no Rust object
    // is touched (the allocator is the system's).
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

/// `flapsim bench`.
pub fn command(args: &BenchArgs) -> Result<(), Failure> {
    let duration = parse_duration(&args.duration)
        .map_err(|e| Failure::bad_input(format!("--duration: {e}")))?;
    // The same limits as `run`: a bench is a run of a generated scenario.
    let limits = parse_limits(&args.limits)?;
    if args.nodes < 2 || args.nodes > limits.max_nodes {
        return Err(Failure::bad_input(format!(
            "--nodes {}: expected 2 to {} nodes (raise the limit with `--limit nodes=…`)",
            args.nodes, limits.max_nodes
        )));
    }
    scenario::resolve::views_fit(args.nodes as u64, &limits)
        .map_err(|m| Failure::bad_input(format!("--nodes {}: {m}", args.nodes)))?;
    if duration == 0 || duration > limits.max_duration {
        return Err(Failure::bad_input(format!(
            "--duration {}: expected more than 0 and at most {} (raise the limit with `--limit duration=…`)",
            args.duration,
            format_duration(limits.max_duration)
        )));
    }
    if args.repeat == 0 || args.repeat > MAX_REPEAT {
        return Err(Failure::bad_input(format!(
            "--repeat {}: expected 1 to {}",
            args.repeat, MAX_REPEAT
        )));
    }
    let unknown_preset = || {
        Failure::bad_input(format!(
            "--preset `{}`: unknown; choose one of {}",
            args.preset,
            PRESETS.join(", ")
        ))
    };
    if !PRESETS.contains(&args.preset.as_str()) {
        return Err(unknown_preset());
    }
    // `--outputs`, checked as `run` checks it.
    let selection = args
        .outputs
        .as_deref()
        .map(|list| Selection::new(Some(list), false, EventsLevel::Info))
        .transpose()?;
    let share =
        |flag: &str, v: &Option<String>| v.as_deref().map(|t| parse_share(flag, t)).transpose();
    let sick = Sickness {
        starved: share("--starved", &args.starved)?,
        lossy: share("--lossy", &args.lossy)?,
        freeze: share("--freeze", &args.freeze)?,
    };
    // Exact: the workload is parsed back from this text (`1.167h` for
    // `--duration 70m` ran 4201.2 s).
    let yaml = workload_yaml(
        args.nodes,
        &format_duration_exact(duration),
        &args.preset,
        args.seed,
        &sick,
    );
    if args.print_scenario {
        say!("{}", yaml.trim_end());
        return Ok(());
    }
    let scenario = if sick.is_healthy() {
        // The healthy bench as it always was (its digests and figures compare
        // across versions).
        let mut s = Scenario::healthy_cluster(args.nodes, duration, &args.preset, args.seed)
            .ok_or_else(unknown_preset)?;
        s.name = format!("bench-{}", args.nodes);
        s
    } else {
        scenario::parse_with(&yaml, "bench workload", &CliOverrides::default(), &limits)
            .map_err(|e| Failure::bad_input(e.to_string()))?
    };
    if let Some(other) = &args.against {
        return against::compare(other, &child_args(args), args.repeat);
    }
    say!(
        "bench: {} nodes x {} simulated, preset {}, {}, {}{}",
        args.nodes,
        format_duration(duration),
        args.preset,
        if sick.is_healthy() {
            "healthy".to_string()
        } else {
            format!("sick: {}", sick.label().replace('-', ", "))
        },
        crate::units::count(args.repeat, "run"),
        build_caveat()
    );
    // With `--outputs`: where it goes, and a stop flag (Ctrl-C publishes
    // nothing, as for `run`).
    let scratch = args
        .out
        .is_none()
        .then(|| std::env::temp_dir().join(format!("flapsim-bench-{}", std::process::id())));
    let stop = selection.as_ref().map(|_| Stop::install());
    let outputs = selection
        .as_ref()
        .zip(stop.as_ref())
        .map(|(selection, stop)| OutputsRun {
            selection,
            dir: args
                .out
                .as_deref()
                .or(scratch.as_deref())
                .expect("one of the two"),
            stop,
        });
    let measured = measure(args, &scenario, limits.max_events, outputs.as_ref());
    if let (Some(dir), Some(_)) = (&scratch, &outputs) {
        // Best effort: the scratch set is ours alone.
        let _ = std::fs::remove_dir_all(dir);
    }
    let runs = measured?;
    if let Some(o) = &outputs {
        if args.out.is_some() {
            say!("outputs of the last run in {}", o.dir.display());
        }
    }
    summarize(runs);
    Ok(())
}

/// `bench` with the flags of `args` that differ from their defaults, for
/// one run: what `--against` runs in each build. Defaults are left out so
/// that an older build without a newer flag still runs the workloads it knows.
fn child_args(args: &BenchArgs) -> Vec<String> {
    let defaults = BenchArgs::parse_defaults();
    let mut v = vec!["bench".to_string()];
    let mut flag = |name: &str, value: String| v.push(format!("--{name}={value}"));
    if args.nodes != defaults.nodes {
        flag("nodes", args.nodes.to_string());
    }
    if args.duration != defaults.duration {
        flag("duration", args.duration.clone());
    }
    if args.preset != defaults.preset {
        flag("preset", args.preset.clone());
    }
    if args.seed != defaults.seed {
        flag("seed", args.seed.to_string());
    }
    for limit in &args.limits {
        flag("limit", limit.clone());
    }
    for (name, share) in [
        ("starved", &args.starved),
        ("lossy", &args.lossy),
        ("freeze", &args.freeze),
    ] {
        if let Some(share) = share {
            flag(name, share.clone());
        }
    }
    if let Some(list) = &args.outputs {
        let names: Vec<String> = list
            .iter()
            .filter_map(|o| o.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        flag("outputs", names.join(","));
    }
    flag("repeat", "1".to_string());
    v
}

/// Each run's figures: the run, its CPU and its peak RSS.
type Measured = Vec<(BenchRun, Option<f64>, Option<u64>)>;

/// Run the repetitions, printing a line each.
fn measure(
    args: &BenchArgs,
    scenario: &Scenario,
    max_events: u64,
    outputs: Option<&OutputsRun>,
) -> Result<Measured, Failure> {
    let per_run_peak = reset_peak_rss();
    let mut runs = Vec::new();
    for i in 0..args.repeat {
        if per_run_peak {
            reset_peak_rss();
        }
        let cpu0 = cpu_seconds();
        let r = match outputs {
            Some(o) => run_with_outputs(scenario, max_events, o)?,
            None => {
                run_once(scenario, max_events).map_err(|e| over_budget(Path::new("bench"), e))?
            }
        };
        let cpu = cpu0.zip(cpu_seconds()).map(|(a, b)| b - a);
        let rss = peak_rss_bytes();
        say!(
            "  run {}: setup {:.3} s, run {:.3} s{}, CPU {}, peak RSS {}{}; {} events ({:.2} M events/s; {:.2} M budget units/s), {} packets, {:.1} simulated s per wall s, digest {:016x}",
            i + 1,
            r.setup_s,
            r.run_s,
            r.publish_s
                .map_or(String::new(), |p| format!(" (with outputs; the last {p:.3} s after the engine)")),
            cpu.map_or("n/a (Linux only)".into(), |c| format!("{c:.2} s")),
            rss.map_or("n/a (Linux only)".into(), |b| format!("{:.0} MB", b as f64 / 1e6)),
            if per_run_peak || i == 0 { "" } else { " (process-wide)" },
            r.events,
            r.events as f64 / r.run_s.max(1e-9) / 1e6,
            (r.events + r.work) as f64 / r.run_s.max(1e-9) / 1e6,
            r.packets,
            r.simulated_s / r.run_s.max(1e-9),
            r.digest
        );
        if i == 0 {
            // The same in every run (the runs are the same).
            say!("  {}", mix_line(&r.mix));
        }
        runs.push((r, cpu, rss));
    }
    Ok(runs)
}

/// What a run's events were, most first: `events by kind: packet arrivals
/// 2227776 (33.0 %), …`. Events per second compare two workloads' speed only
/// as far as their events are alike; this line says how far that is.
fn mix_line(mix: &EventMix) -> String {
    let total = mix.total().max(1) as f64;
    let kinds: Vec<String> = mix
        .most_first()
        .into_iter()
        .map(|(kind, n)| format!("{} {n} ({:.1} %)", kind.name(), 100.0 * n as f64 / total))
        .collect();
    format!("events by kind: {}", kinds.join(", "))
}

/// The best and median runs and the peak RSS.
///
/// The peak RSS is the first run's: later runs start in a process that
/// still holds some of the earlier runs' freed heap (glibc keeps part of it
/// mapped even when asked to give it back), so only the first is what a user's
/// own run of the workload would peak at.
fn summarize(mut runs: Measured) {
    let peak = runs.first().and_then(|r| r.2);
    let first = if runs.len() > 1 { " (first run)" } else { "" };
    runs.sort_by(|a, b| a.0.run_s.total_cmp(&b.0.run_s));
    let (best, best_cpu, _) = &runs[0];
    let median = &runs[runs.len() / 2].0;
    say!(
        "best: {:.3} s ({:.2} M events/s, {:.1} sim-s/wall-s, CPU {}); median: {:.3} s; peak RSS {}{first}",
        best.run_s,
        best.events as f64 / best.run_s.max(1e-9) / 1e6,
        best.simulated_s / best.run_s.max(1e-9),
        best_cpu.map_or("n/a".into(), |c| format!("{c:.2} s")),
        median.run_s,
        peak.map_or("n/a (Linux only)".into(), |b| format!("{:.0} MB", b as f64 / 1e6)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU figure counts a thread's seconds after the thread has ended
    /// (a run with outputs joins its writer thread before it is measured).
    #[test]
    #[cfg(target_os = "linux")]
    fn cpu_seconds_count_threads_that_have_ended() {
        let before = cpu_seconds().expect("Linux has a process CPU clock");
        let spun = std::thread::spawn(|| {
            let start = cpu_seconds().expect("clock");
            let mut x = 0u64;
            while cpu_seconds().expect("clock") - start < 0.05 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            x
        });
        spun.join().expect("spinning thread");
        let after = cpu_seconds().expect("clock");
        assert!(after - before >= 0.05, "{} s counted", after - before);
    }

    fn parsed(sick: &Sickness) -> Scenario {
        let yaml = workload_yaml(200, "30s", "memberlist", 7, sick);
        scenario::parse(&yaml, "bench workload").expect("generated workload parses")
    }

    /// Every sick workload is a valid scenario with one fault or rule per flag.
    #[test]
    fn sick_workloads_are_valid_scenarios() {
        let healthy = parsed(&Sickness::default());
        assert!(healthy.faults.is_empty() && healthy.network.rules.is_empty());
        assert_eq!(healthy.nodes.len(), 200);
        let all = parsed(&Sickness {
            starved: Some(0.1),
            lossy: Some(0.05),
            freeze: Some(0.2),
        });
        assert_eq!(all.faults.len(), 2, "starve and pause");
        assert_eq!(all.network.rules.len(), 1, "lossy link rule");
        assert_eq!(all.name, "bench-starved10-lossy5-freeze20-200");
    }

    /// The committed benchmark scenario is exactly `--starved 10%` at 1000
    /// nodes × 120 s (only its name, description and comments differ), so main's
    /// build can run the same workload with `flapsim run`.
    #[test]
    fn committed_starved_scenario_is_the_bench_workload() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/bench/starved-1000.yaml"
        );
        let mut file = scenario::load(std::path::Path::new(path)).expect("scenario loads");
        let yaml = workload_yaml(
            1000,
            "2m",
            "memberlist",
            1,
            &Sickness {
                starved: Some(0.1),
                ..Sickness::default()
            },
        );
        let mut generated = scenario::parse(&yaml, "bench workload").unwrap();
        file.name = generated.name.clone();
        file.description = generated.description.clone();
        file.source = None;
        generated.source = None;
        assert_eq!(
            scenario::render::to_yaml(&file).unwrap(),
            scenario::render::to_yaml(&generated).unwrap()
        );
    }

    /// Shares are percentages in (0, 100]; anything else is refused clearly.
    #[test]
    fn shares_are_percentages_of_the_nodes() {
        assert_eq!(parse_share("--starved", "10%").unwrap(), 0.1);
        assert_eq!(parse_share("--starved", "2.5").unwrap(), 0.025);
        for bad in ["0", "0%", "101%", "-5", "ten", "", "NaN"] {
            let e = parse_share("--starved", bad).unwrap_err();
            assert!(e.message.contains("--starved"), "{bad}: {}", e.message);
        }
    }
}
