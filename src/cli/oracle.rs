//! `flapsim oracle`: run one scenario over several seeds and print the memberlist
//! oracle's figures (shared/oracle README "Metrics"), so a flapsim scenario can be
//! put next to the real memberlist's numbers for the same fault model.

use std::path::Path;

use crate::engine::Simulation;
use crate::metrics::oracle::{OracleRun, OracleSummary, MERGE_GAP};
use crate::metrics::Collector;
use crate::scenario::{self, CliOverrides, Limits, Scenario};
use crate::units::parse_duration;

use super::args::OracleArgs;
use super::{parse_sets, Failure};

/// Run `scenario` once, within the default event budget (as `flapsim run`),
/// and reduce it to the oracle's per-run figures with sick node `sick`.
pub fn run_one(scenario: &Scenario, sick: u32, merge: u64) -> Result<OracleRun, Failure> {
    let mut sim = Simulation::new(scenario);
    let mut collector = Collector::new(scenario);
    collector.record_wire_suspicions();
    let max_events = Limits::default().max_events;
    let stats = sim
        .run_budgeted(&mut collector, &mut |_| {}, max_events)
        .map_err(|e| {
            Failure::bad_input(format!(
                "{}: the run needed more than {} simulated events, counting the work they cause (the limit; stopped at {} simulated)",
                scenario.name,
                e.max_events,
                crate::units::format_duration(e.at)
            ))
        })?;
    let metrics = collector.finish(stats.simulated, stats.digest);
    Ok(OracleRun::from_metrics(
        &metrics,
        sick,
        scenario.nodes.len(),
        merge,
    ))
}

/// Load `path` with a seed and the command-line overrides.
pub fn load(
    path: &Path,
    seed: u64,
    preset: Option<&str>,
    sets: &[(String, String)],
) -> Result<Scenario, Failure> {
    let overrides = CliOverrides {
        seed: Some(seed),
        preset: preset.map(str::to_string),
        sets: sets.to_vec(),
    };
    scenario::load_with_limits(path, &overrides, &Limits::default())
        .map_err(|e| Failure::bad_input(e.to_string()))
}

pub fn oracle_cmd(args: &OracleArgs) -> Result<(), Failure> {
    let sets = parse_sets(&args.sets)?;
    let merge = match &args.merge {
        Some(m) => parse_duration(m).map_err(|e| Failure::bad_input(format!("--merge: {e}")))?,
        None => MERGE_GAP,
    };
    if args.seeds == 0 {
        return Err(Failure::bad_input("--seeds: need at least one seed"));
    }
    if args.start_seed.checked_add(args.seeds - 1).is_none() {
        return Err(Failure::bad_input(format!(
            "--start-seed {} --seeds {}: the last seed would be past 18446744073709551615",
            args.start_seed, args.seeds
        )));
    }
    let mut runs = Vec::new();
    let mut title = String::new();
    for seed in args.start_seed..=args.start_seed + (args.seeds - 1) {
        let s = load(&args.scenario, seed, args.preset.as_deref(), &sets)?;
        let sick = s
            .nodes
            .iter()
            .position(|n| n.name == args.sick)
            .ok_or_else(|| {
                Failure::bad_input(format!(
                    "--sick {}: no such node in {}",
                    args.sick,
                    args.scenario.display()
                ))
            })? as u32;
        if title.is_empty() {
            title = format!("flapsim {} ({}, N = {})", s.name, s.preset, s.nodes.len());
        }
        let r = run_one(&s, sick, merge)?;
        if !args.quiet {
            // The phase is `phase_check.py`'s: the freeze outcome hinges on it.
            let phase = r
                .s_probe_phase
                .map_or_else(|| "-".to_string(), |p| format!("{p:.2}"));
            let reach = r.healthy_suspect_reach.share();
            let reach = if reach.is_nan() {
                "-".to_string()
            } else {
                format!("{:.0} %", 100.0 * reach)
            };
            warn!(
                "seed {seed}: healthy NotifyLeave {}, S NotifyLeave {}, S probe phase {phase}, healthy suspicions that reached their subject {reach}",
                r.healthy_leaves, r.s_leaves
            );
        }
        runs.push(r);
    }
    // A closed stdout is not an error (see `output`).
    let text = OracleSummary::of(&runs).to_markdown(&title);
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    Ok(())
}
