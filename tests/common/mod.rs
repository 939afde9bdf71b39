//! Helpers shared by the whole-scenario tests: load a scenario file (with CLI-style
//! overrides), run it to the end, and collect its metrics.

#![allow(dead_code)]

use std::path::Path;

use flapsim::engine::{RunStats, Simulation};
use flapsim::metrics::{Collector, Metrics};
use flapsim::scenario::{self, CliOverrides, Scenario};

pub struct Run {
    pub scenario: Scenario,
    pub metrics: Metrics,
    pub stats: RunStats,
}

impl Run {
    pub fn name_of(&self, id: u32) -> &str {
        &self.scenario.nodes[id as usize].name
    }
    pub fn id_of(&self, name: &str) -> u32 {
        self.scenario
            .nodes
            .iter()
            .position(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node {name}")) as u32
    }
}

/// Load `scenarios/<file>` with a preset/seed/`--set` overrides and run it.
pub fn run(file: &str, preset: Option<&str>, seed: Option<u64>, sets: &[(&str, &str)]) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let overrides = CliOverrides {
        seed,
        preset: preset.map(str::to_string),
        sets: sets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let scenario = scenario::load_with(&path, &overrides)
        .unwrap_or_else(|e| panic!("{file} does not load: {e}"));
    run_scenario(scenario)
}

pub fn run_scenario(scenario: Scenario) -> Run {
    let mut sim = Simulation::new(&scenario);
    let mut collector = Collector::new(&scenario);
    let stats = sim.run(&mut collector, &mut |_| {});
    let metrics = collector.finish(stats.simulated, stats.digest);
    Run {
        scenario,
        metrics,
        stats,
    }
}
