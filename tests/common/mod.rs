//! Helpers shared by the whole-scenario tests: load a scenario file (with CLI-style
//! overrides), run it to the end, and collect its metrics.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Run the `flapsim` binary with `args` in `cwd`, as a user would.
pub fn flapsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flapsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run flapsim")
}

/// A fresh, empty scratch directory `<suite>-<name>` under the target dir
/// (tests run in parallel, so every test names its own).
pub fn scratch_dir(suite: &str, name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{suite}-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Run the sweep `file` whole into `dir/whole` and as `n` shards into
/// `dir/shard-{i}`, each run exiting 0: the set-up of the tests that merge
/// shards and compare them with the unsharded sweep.
pub fn sweep_whole_and_shards(file: &Path, dir: &Path, n: usize) -> (PathBuf, Vec<PathBuf>) {
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let run = |args: &[&str]| {
        let o = flapsim(args, dir);
        assert!(
            o.status.success(),
            "flapsim {args:?}: exit {:?}\nstderr:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let whole = dir.join("whole");
    run(&["sweep", &path(file), "--out", &path(&whole), "-q"]);
    let shards = (0..n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}"));
            let shard = format!("{i}/{n}");
            run(&[
                "sweep",
                &path(file),
                "--shard",
                &shard,
                "--out",
                &path(&out),
                "-q",
            ]);
            out
        })
        .collect();
    (whole, shards)
}
