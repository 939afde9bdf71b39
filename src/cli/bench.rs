//! `flapsim bench`: engine speed on a synthetic healthy cluster.
//!
//! Why a command and not a timed test: speed depends on the machine, so it is
//! measured and reported (events per wall second, simulated seconds per wall
//! second), never asserted. The wall clock is read here only, around whole runs;
//! it never reaches the simulation.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::{DropReason, HostSample, Observer, PacketKind, Simulation, Truth};
use crate::protocol::{Config, Event, Nanos, NodeId, SEC};
use crate::random::Dist;
use crate::scenario::{HostDefaults, LinkSpec, NetworkSpec, NodeSpec, Scenario, StartMode};

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

/// A converged healthy cluster of `n` nodes in one zone, 125 µs ± 40 µs one-way.
pub fn synthetic(n: usize, duration: Nanos, preset: &str, protocol: Config, seed: u64) -> Scenario {
    let nodes = (0..n)
        .map(|i| NodeSpec {
            name: format!("node-{i:05}"),
            zone: "a".into(),
            groups: vec!["all".into()],
            ip: format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            meta_len: 120,
            starts: true,
        })
        .collect();
    let mut groups = BTreeMap::new();
    groups.insert("all".to_string(), (0..n as NodeId).collect());
    Scenario {
        name: format!("bench-{n}"),
        source: None,
        description: "synthetic healthy cluster for `flapsim bench`".into(),
        seed,
        duration,
        warmup: 0,
        start: StartMode::Converged,
        preset: preset.into(),
        protocol,
        overrides: Vec::new(),
        nodes,
        groups,
        network: NetworkSpec {
            default: LinkSpec {
                latency: Dist::Normal {
                    mean: 125_000,
                    sd: 40_000,
                },
                spike: None,
                loss: 0.0,
                duplicate: 0.0,
                tcp_refused: false,
            },
            intra_zone: None,
            cross_zone: None,
            rules: Vec::new(),
            bandwidth_bytes_per_s: None,
        },
        host: HostDefaults::default(),
        faults: Vec::new(),
        timeline: Vec::new(),
        log_observers: Vec::new(),
        timeseries_bin: SEC,
    }
}

/// One measured run.
pub struct BenchRun {
    pub setup_s: f64,
    pub run_s: f64,
    pub events: u64,
    pub packets: u64,
    pub simulated_s: f64,
    pub digest: u64,
}

pub fn run_once(scenario: &Scenario) -> BenchRun {
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario);
    let t1 = Instant::now();
    let stats = sim.run(&mut Discard, &mut |_| {});
    let t2 = Instant::now();
    BenchRun {
        setup_s: (t1 - t0).as_secs_f64(),
        run_s: (t2 - t1).as_secs_f64(),
        events: stats.events,
        packets: stats.packets,
        simulated_s: stats.simulated as f64 / 1e9,
        digest: stats.digest,
    }
}
