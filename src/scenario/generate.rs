//! Random scenarios for the randomized protocol checker (`flapsim check`).
//!
//! Why in code and not YAML: the checker explores thousands of seeds, and each
//! one is a *resolved* [`Scenario`] built here from one [`Stream`] seeded by the
//! check seed, so a seed names a scenario exactly. [`super::render::to_yaml`]
//! writes it back as a file for `flapsim run`.
//!
//! Three kinds of scenario, because each supports different claims:
//! - [`Kind::Quiet`]: healthy hosts, a clean network, no timeline. Claim: zero
//!   suspicions over a long run.
//! - [`Kind::Healing`]: faults of every kind (partitions one-way or both, holds,
//!   pauses, throttle, credits, slow, starve, crash/restart/leave/join), all over
//!   before a settle instant. Claim: the views converge within a bound.
//! - [`Kind::Wild`]: the same plus faults that never end (permanent loss,
//!   unhealed partitions, open-ended host faults). Only safety invariants hold.
//!
//! Log-normal distributions are not generated (they cannot be rendered back
//! exactly, see `render`); lossy shapes are covered by the others.

use std::collections::BTreeMap;

use crate::protocol::config::PRESETS;
use crate::protocol::{Config, Nanos, NodeId, MS, SEC};
use crate::random::{Dist, Stream, StreamId};

use super::fault::gen::{self, Gen};
use super::model::*;
use super::resolve::DEFAULT_LATENCY;

/// What kind of scenario to draw (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Quiet,
    Healing,
    Wild,
}

/// Knobs of the generator.
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Cluster size is drawn from `3..=max_nodes`.
    pub max_nodes: usize,
    /// Longest fault phase (faults happen in `[0, fault_phase)`).
    pub max_fault_phase: Nanos,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            max_nodes: 12,
            max_fault_phase: 10 * 60 * SEC,
        }
    }
}

/// The stream the generator draws from (kept away from any stream a run uses).
const GEN_STREAM: u32 = 0xC4EC;

/// Node names of generated scenarios: `n-01`, `n-02`, …
pub fn node_name(i: usize) -> String {
    format!("n-{:02}", i + 1)
}

/// The scenario of check seed `seed`. `tail` is the time the run continues after
/// the last fault ends (the checker passes its convergence bound plus a margin;
/// it depends on the drawn config, hence a function).
pub fn generate(seed: u64, opt: &GenOptions, tail: &dyn Fn(&Config, usize) -> Nanos) -> Scenario {
    let mut r = Stream::new(seed, StreamId::Misc(GEN_STREAM));
    let n = 3 + r.index(opt.max_nodes.max(3) - 2);
    let kind = match r.below(8) {
        0 | 1 => Kind::Quiet,
        2..=5 => Kind::Healing,
        _ => Kind::Wild,
    };

    let (preset, protocol, overrides) = protocol(&mut r);

    let zones = if r.chance(0.5) { 1 } else { 2 };
    let zone_name = |i: usize| if i.is_multiple_of(zones) { "a" } else { "b" }.to_string();
    let mut nodes: Vec<NodeSpec> = (0..n)
        .map(|i| NodeSpec {
            name: node_name(i),
            zone: zone_name(i),
            groups: Vec::new(),
            ip: ip_for(i as NodeId),
            meta_len: 120,
            starts: true,
        })
        .collect();

    let start = if kind != Kind::Quiet && r.chance(0.2) {
        StartMode::Join {
            seeds: vec![0],
            stagger: r.below(200) * MS,
        }
    } else {
        StartMode::Converged
    };

    let mut network = clean_network(&mut r);
    let mut faults = Vec::new();
    let mut timeline = Vec::new();

    let phase = 30 * SEC + r.duration_below(opt.max_fault_phase.max(31 * SEC) - 30 * SEC);
    let duration = if kind == Kind::Quiet {
        10 * 60 * SEC + r.duration_below(20 * 60 * SEC)
    } else {
        phase + tail(&protocol, n)
    };

    if kind != Kind::Quiet {
        let mut g = Gen {
            r: &mut r,
            n,
            wild: kind == Kind::Wild,
            phase,
        };
        network_faults(&mut g, &mut network);
        faults = gen::host_faults(&mut g);
        timeline = gen::timeline(&mut g, &mut nodes);
    }

    Scenario {
        name: format!("check-{seed}"),
        source: None,
        description: format!("flapsim check seed {seed} ({kind:?})"),
        seed,
        duration,
        warmup: 0,
        start,
        preset: preset.to_string(),
        protocol,
        overrides,
        nodes,
        groups: BTreeMap::new(),
        network,
        host: HostDefaults::default(),
        faults,
        timeline,
        log_observers: Vec::new(),
        timeseries_bin: 10 * SEC,
    }
}

/// A preset, and Lifeguard switches on Lifeguard presets.
fn protocol(r: &mut Stream) -> (&'static str, Config, Vec<(String, String)>) {
    let preset = PRESETS[r.index(PRESETS.len())];
    let mut protocol = Config::preset(preset).expect("listed preset exists");
    let mut overrides = Vec::new();
    if protocol.is_lifeguard() {
        for key in ["local_health", "dynamic_suspicion", "buddy"] {
            if r.chance(0.3) {
                let v = if r.chance(0.5) { "true" } else { "false" };
                protocol.set(key, v).expect("known switch");
                overrides.push((key.to_string(), v.to_string()));
            }
        }
    }

    (preset, protocol, overrides)
}

/// The default link: latency well below every preset's probe timeout (200 ms
/// at the least), no loss.
fn clean_network(r: &mut Stream) -> NetworkSpec {
    let latency = match r.below(3) {
        0 => Dist::Fixed(DEFAULT_LATENCY),
        1 => Dist::Normal {
            mean: 125_000,
            sd: 40_000,
        },
        _ => Dist::Uniform {
            lo: 50_000,
            hi: 50_000 + r.below(2_000) * 1_000,
        },
    };
    NetworkSpec {
        default: LinkSpec {
            latency,
            spike: None,
            loss: 0.0,
            duplicate: 0.0,
            tcp_refused: r.chance(0.2),
        },
        intra_zone: None,
        cross_zone: None,
        rules: Vec::new(),
        bandwidth_bytes_per_s: None,
    }
}

/// Network: permanent loss / spikes / lossy rules only when wild; latency
/// rules that stay far below the probe timeout in either kind.
fn network_faults(g: &mut Gen, network: &mut NetworkSpec) {
    let (n, wild) = (g.n, g.wild);
    if wild && g.r.chance(0.5) {
        network.default.loss = (g.r.below(200) as f64) / 1000.0;
        network.default.duplicate = (g.r.below(50) as f64) / 1000.0;
    }
    if wild && g.r.chance(0.3) {
        network.default.spike = Some(Spike {
            probability: (1 + g.r.below(50)) as f64 / 1000.0,
            extra: g.small(800),
        });
    }
    for _ in 0..g.r.below(3) {
        let from = g.pick();
        let to = (0..n as NodeId).filter(|i| !from.contains(i)).collect();
        let lossy = wild && g.r.chance(0.5);
        network.rules.push(LinkRule {
            from,
            to,
            both_ways: g.r.chance(0.5),
            latency: Some(Dist::Uniform {
                lo: 100_000,
                hi: 100_000 + g.r.below(20) * MS,
            }),
            spike: None,
            loss: lossy.then(|| (g.r.below(500) as f64) / 1000.0),
            duplicate: None,
        });
    }
}

/// Same addresses as the parser assigns (resolve.rs `ip_for`), so a rendered and
/// re-parsed scenario is identical.
fn ip_for(id: NodeId) -> String {
    let block = id / 250;
    format!("10.{}.{}.{}", block / 256, block % 256, id % 250 + 1)
}
