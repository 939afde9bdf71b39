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

    // Protocol: a preset, Lifeguard switches on Lifeguard presets.
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

    // Latency well below every preset's probe timeout (200 ms at the least).
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
    let mut network = NetworkSpec {
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
    };
    let mut faults = Vec::new();
    let mut timeline = Vec::new();

    let phase = 30 * SEC + r.duration_below(opt.max_fault_phase.max(31 * SEC) - 30 * SEC);
    let duration = if kind == Kind::Quiet {
        10 * 60 * SEC + r.duration_below(20 * 60 * SEC)
    } else {
        phase + tail(&protocol, n)
    };

    if kind != Kind::Quiet {
        let wild = kind == Kind::Wild;
        // A node some faults single out.
        let pick = |r: &mut Stream| -> Vec<NodeId> {
            let mut ids: Vec<NodeId> = (0..n as NodeId).collect();
            r.shuffle(&mut ids);
            let k = 1 + r.index((n / 2).max(1));
            let mut v = ids[..k].to_vec();
            v.sort_unstable();
            v
        };
        let window = |r: &mut Stream| -> (Nanos, Nanos) {
            let a = r.duration_below(phase - SEC);
            let b = a + SEC + r.duration_below(phase - a - SEC);
            (a, b)
        };
        let small = |r: &mut Stream, hi_ms: u64| -> Dist {
            match r.below(4) {
                0 => Dist::Fixed((1 + r.below(hi_ms)) * MS),
                1 => {
                    let lo = r.below(hi_ms) * MS;
                    Dist::Uniform {
                        lo,
                        hi: lo + (1 + r.below(hi_ms)) * MS,
                    }
                }
                2 => Dist::Normal {
                    mean: (1 + r.below(hi_ms)) * MS,
                    sd: r.below(hi_ms) * MS / 2,
                },
                _ => Dist::Exponential {
                    mean: (1 + r.below(hi_ms)) * MS,
                    min: r.below(hi_ms / 4 + 1) * MS,
                },
            }
        };

        // Network: permanent loss / spikes / lossy rules only when wild; latency
        // rules that stay far below the probe timeout in either kind.
        if wild && r.chance(0.5) {
            network.default.loss = (r.below(200) as f64) / 1000.0;
            network.default.duplicate = (r.below(50) as f64) / 1000.0;
        }
        if wild && r.chance(0.3) {
            network.default.spike = Some(Spike {
                probability: (1 + r.below(50)) as f64 / 1000.0,
                extra: small(&mut r, 800),
            });
        }
        for _ in 0..r.below(3) {
            let from = pick(&mut r);
            let to = (0..n as NodeId).filter(|i| !from.contains(i)).collect();
            let lossy = wild && r.chance(0.5);
            network.rules.push(LinkRule {
                from,
                to,
                both_ways: r.chance(0.5),
                latency: Some(Dist::Uniform {
                    lo: 100_000,
                    hi: 100_000 + r.below(20) * MS,
                }),
                spike: None,
                loss: lossy.then(|| (r.below(500) as f64) / 1000.0),
                duplicate: None,
            });
        }

        // Host faults. A node gets at most one CPU cap, one slow, one starve
        // (overlapping ones are refused by the parser).
        let mut cap = vec![false; n];
        let mut slow = vec![false; n];
        let mut starve = vec![false; n];
        for _ in 0..r.below(5) {
            let nodes = pick(&mut r);
            let (from, until) = window(&mut r);
            let until = if wild && r.chance(0.4) {
                None
            } else {
                Some(until)
            };
            let (kind, used) = match r.below(5) {
                0 => {
                    let run = (1 + r.below(50)) * MS;
                    let park = (1 + r.below(300)) * MS;
                    (HostFault::Throttle { run, park }, &mut cap)
                }
                1 => (
                    HostFault::Credits(CreditSpec {
                        instance: "custom".into(),
                        vcpus: 1,
                        baseline: (1 + r.below(20)) as f64 / 100.0,
                        earn_per_hour: 6.0,
                        cap: 144.0,
                        launch_credits: r.below(30) as f64,
                        initial_earned: 0.0,
                        background_load: vec![(0, (r.below(100) as f64) / 100.0)],
                        unlimited: r.chance(0.2),
                        period: (50 + r.below(300)) * MS,
                    }),
                    &mut cap,
                ),
                2 => (
                    HostFault::Slow {
                        cost: small(&mut r, 20),
                    },
                    &mut slow,
                ),
                3 => (
                    HostFault::Starve {
                        delay: small(&mut r, 500),
                    },
                    &mut starve,
                ),
                _ => {
                    // Pause arrivals: keep the gap mean at a few seconds or more.
                    let every = Dist::Exponential {
                        mean: (2 + r.below(60)) * SEC,
                        min: r.below(2) * SEC,
                    };
                    let duration = small(&mut r, 3000);
                    faults.push(FaultSpec {
                        index: faults.len() as u32,
                        nodes,
                        kind: HostFault::Pause { every, duration },
                        from,
                        until,
                    });
                    continue;
                }
            };
            let nodes: Vec<NodeId> = nodes.into_iter().filter(|&i| !used[i as usize]).collect();
            if nodes.is_empty() {
                continue;
            }
            for &i in &nodes {
                used[i as usize] = true;
            }
            faults.push(FaultSpec {
                index: faults.len() as u32,
                nodes,
                kind,
                from,
                until,
            });
        }

        // Timeline: network faults with their heal, pauses, lifecycle.
        let mut lifecycle_used = vec![false; n];
        for k in 0..r.below(7) {
            let (a, b) = window(&mut r);
            let healed = !(wild && r.chance(0.3));
            match r.below(5) {
                0 => {
                    let name = format!("p{k}");
                    let from = pick(&mut r);
                    let rest: Vec<NodeId> =
                        (0..n as NodeId).filter(|i| !from.contains(i)).collect();
                    let to = if r.chance(0.7) || rest.len() < 2 {
                        rest
                    } else {
                        rest[..1 + r.index(rest.len() - 1)].to_vec()
                    };
                    let transports = match r.below(3) {
                        0 => Transports {
                            udp: true,
                            tcp: false,
                        },
                        1 => Transports {
                            udp: false,
                            tcp: true,
                        },
                        _ => Transports {
                            udp: true,
                            tcp: true,
                        },
                    };
                    timeline.push(TimelineEvent {
                        at: a,
                        action: Action::Partition {
                            name: name.clone(),
                            from,
                            to,
                            one_way: r.chance(0.4),
                            transports,
                        },
                    });
                    if healed {
                        timeline.push(TimelineEvent {
                            at: b,
                            action: Action::Heal { name: Some(name) },
                        });
                    }
                }
                1 => {
                    let name = format!("h{k}");
                    let nodes = pick(&mut r);
                    let periodic = r.chance(0.5);
                    let (every, hold_for) = if periodic {
                        let every = (2 + r.below(30)) * SEC;
                        (Some(every), Some(r.duration_below(every - SEC) + SEC / 2))
                    } else {
                        (None, None)
                    };
                    let peers = r.chance(0.3).then(|| {
                        (0..n as NodeId)
                            .filter(|i| !nodes.contains(i))
                            .take(1 + r.index(2))
                            .collect::<Vec<_>>()
                    });
                    let peers = peers.filter(|p| !p.is_empty());
                    timeline.push(TimelineEvent {
                        at: a,
                        action: Action::Hold {
                            name: name.clone(),
                            nodes,
                            peers,
                            every,
                            hold_for,
                        },
                    });
                    if healed {
                        timeline.push(TimelineEvent {
                            at: b,
                            action: Action::Release { name: Some(name) },
                        });
                    }
                }
                2 => {
                    let d = (1 + r.below(20_000)) * MS;
                    timeline.push(TimelineEvent {
                        at: a.min(phase.saturating_sub(d + SEC)),
                        action: Action::Pause {
                            nodes: pick(&mut r),
                            duration: d,
                        },
                    });
                }
                _ => {
                    let node = r.index(n);
                    if lifecycle_used[node] {
                        continue;
                    }
                    lifecycle_used[node] = true;
                    let id = node as NodeId;
                    match r.below(4) {
                        0 => timeline.push(TimelineEvent {
                            at: a,
                            action: Action::Crash(vec![id]),
                        }),
                        1 => {
                            timeline.push(TimelineEvent {
                                at: a,
                                action: Action::Crash(vec![id]),
                            });
                            timeline.push(TimelineEvent {
                                at: b,
                                action: Action::Restart(vec![id]),
                            });
                        }
                        2 => {
                            timeline.push(TimelineEvent {
                                at: a,
                                action: Action::Leave(vec![id]),
                            });
                            if r.chance(0.5) {
                                timeline.push(TimelineEvent {
                                    at: b.max(a + 6 * SEC).min(phase),
                                    action: Action::Join(vec![id]),
                                });
                            }
                        }
                        _ => {
                            // A node that starts late (`starts: false`) and joins.
                            if id != 0 {
                                nodes[node].starts = false;
                                timeline.push(TimelineEvent {
                                    at: a,
                                    action: Action::Join(vec![id]),
                                });
                            }
                        }
                    }
                }
            }
        }
        timeline.sort_by_key(|e| e.at);
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

/// Same addresses as the parser assigns (resolve.rs `ip_for`), so a rendered and
/// re-parsed scenario is identical.
fn ip_for(id: NodeId) -> String {
    let block = id / 250;
    format!("10.{}.{}.{}", block / 256, block % 256, id % 250 + 1)
}
