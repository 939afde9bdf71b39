//! The resolved scenario: what the YAML means once validated. Names are resolved
//! to dense [`NodeId`]s, durations to ns, fractions to node lists, distributions to
//! [`Dist`]. The engine consumes only this; it never sees YAML.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::protocol::{Config, Nanos, NodeId};
use crate::random::Dist;

pub use super::fault::host::credits::CreditSpec;
pub use super::fault::timeline::partition::Transports;
pub use super::fault::{Action, HostFault};

/// The file a scenario was read from: its path and its text as read, once.
///
/// Why the text: outputs show the scenario as the user wrote it (comments and
/// all), and `compare` runs it under each configuration. Reading the file
/// again for those got nothing from a pipe (`flapsim compare <(…)` failed
/// with "duration: missing"), could block on a named pipe, and was not bounded
/// by the file-size limit the first read checks.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: std::sync::Arc<str>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (file stem), used for `output/<name>/`.
    pub name: String,
    /// File it came from, if any, with its text as read.
    pub source: Option<SourceFile>,
    /// Free text from the file: what it replays and its source.
    pub description: String,
    pub seed: u64,
    /// Simulated time to run, warm-up included.
    pub duration: Nanos,
    /// Metrics exclude events before this instant.
    pub warmup: Nanos,
    pub start: StartMode,
    /// Preset name the protocol config started from.
    pub preset: String,
    /// Effective protocol configuration (preset + overrides).
    pub protocol: Config,
    /// Overrides as written (`field`, `value`), for the summary.
    pub overrides: Vec<(String, String)>,
    pub nodes: Vec<NodeSpec>,
    /// Group name → members, sorted by id.
    pub groups: BTreeMap<String, Vec<NodeId>>,
    pub network: NetworkSpec,
    pub host: HostDefaults,
    /// Host faults with their active windows.
    pub faults: Vec<FaultSpec>,
    /// Timeline actions, sorted by time (stable: file order at equal times).
    pub timeline: Vec<TimelineEvent>,
    /// Nodes whose log lines go to `memberlist.log` (empty = every node).
    pub log_observers: Vec<NodeId>,
    /// Bin width of `timeseries.csv`.
    pub timeseries_bin: Nanos,
}

#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    pub zone: String,
    /// Groups this node belongs to (sorted).
    pub groups: Vec<String>,
    /// IPv4 address shown in Serf log lines.
    pub ip: String,
    /// Length of its Serf tags (`alive.Meta`).
    pub meta_len: u16,
    /// False for nodes that only start on a timeline `join`.
    pub starts: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StartMode {
    /// Long-running cluster: everyone knows everyone alive at incarnation 1.
    Converged,
    /// A converged cluster whose processes were all started one after another,
    /// `stagger` apart, at a random instant (`start: {mode: converged, stagger:
    /// 1ms}`): memberlist's tickers keep the phase of their creation, so node
    /// `i`'s probe and gossip ticks come `i * stagger` after node 0's. This is how
    /// the memberlist oracle's harness starts its clusters (all nodes created
    /// within milliseconds), and 2015 memberlist's tickers have no jitter, so
    /// the phases stay locked for the whole run.
    ///
    /// `uptime` (`start: {mode: converged, stagger: 1ms, uptime: 11s}`, default
    /// 0): how long the processes ran, quiet, before t = 0. memberlist walks its
    /// probe list one node per tick and reaps and reshuffles only when the walk
    /// wraps (memberlist.md §2.2), so a process `uptime` old is
    /// `uptime / ProbeInterval` probes into its round, and every node created
    /// together wraps (and, in 2015, reaps its dead) together, that much earlier
    /// than a process created at t = 0. The harness measures from about 11 s
    /// after creation (join, then a 10 s warm-up).
    ConvergedStaggered { stagger: Nanos, uptime: Nanos },
    /// Bootstrap: each node starts alone and joins through `seeds`; node `i`
    /// starts at `i * stagger`.
    Join { seeds: Vec<NodeId>, stagger: Nanos },
}

/// Network model (model.md §3).
#[derive(Clone, Debug)]
pub struct NetworkSpec {
    pub default: LinkSpec,
    /// Applies between two nodes of the same zone (overrides `default`).
    pub intra_zone: Option<LinkSpec>,
    /// Applies between nodes of different zones (overrides `default`).
    pub cross_zone: Option<LinkSpec>,
    /// Explicit node/group rules, applied in order after zones (later wins).
    pub rules: Vec<LinkRule>,
    /// Optional per-host bandwidth (serialization delay); None = unlimited.
    pub bandwidth_bytes_per_s: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// One-way latency.
    pub latency: Dist,
    pub spike: Option<Spike>,
    /// UDP loss probability.
    pub loss: f64,
    /// UDP duplication probability.
    pub duplicate: f64,
    /// TCP connects are refused at once (instead of timing out) when the path is cut.
    pub tcp_refused: bool,
}

/// Rare extra delay added to a packet.
#[derive(Clone, Debug, PartialEq)]
pub struct Spike {
    pub probability: f64,
    pub extra: Dist,
}

/// A link override between node sets; `None` fields keep the underlying value.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkRule {
    pub from: Vec<NodeId>,
    pub to: Vec<NodeId>,
    /// Also applies to `to → from`.
    pub both_ways: bool,
    pub latency: Option<Dist>,
    pub spike: Option<Spike>,
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
}

/// CPU cost of work items and receive buffering (model.md §2).
#[derive(Clone, Debug, PartialEq)]
pub struct HostDefaults {
    /// CPU time to handle one received packet (plus `per_part` per compound part).
    pub packet_cost: Nanos,
    pub per_part_cost: Nanos,
    /// CPU time per push/pull entry merged.
    pub push_pull_entry_cost: Nanos,
    /// CPU time to run one timer.
    pub timer_cost: Nanos,
    /// Wake-up latency of the probe and gossip tickers: each tick is handled
    /// this much after its grid instant (a Go ticker's goroutine wakes a
    /// little late; the memberlist oracle's trace shows ~1 ms). The grid itself
    /// does not move. Default 0.
    pub ticker_jitter: Dist,
    /// The share of the packet handler's wake-ups during a receive backlog that
    /// find another core idle to run it alongside the listener (`host::handler`):
    /// 1 (default) it always keeps up; 0 is one core (GOMAXPROCS 1), where a
    /// backlog is read whole before its state messages are applied.
    pub other_core_idle: f64,
    /// Receive buffer while parked (bytes); overflow drops and is counted.
    pub recv_buffer_bytes: u32,
}

impl Default for HostDefaults {
    fn default() -> Self {
        HostDefaults {
            packet_cost: 20_000,
            per_part_cost: 2_000,
            push_pull_entry_cost: 1_000,
            timer_cost: 5_000,
            ticker_jitter: Dist::Fixed(0),
            other_core_idle: 1.0,
            recv_buffer_bytes: 212_992,
        }
    }
}

/// A host fault on some nodes over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// Index among the scenario's faults (names its random stream).
    pub index: u32,
    pub nodes: Vec<NodeId>,
    pub kind: HostFault,
    pub from: Nanos,
    /// None = until the end of the run.
    pub until: Option<Nanos>,
}

/// One timeline entry: an action at an instant.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEvent {
    pub at: Nanos,
    pub action: Action,
}

impl Scenario {
    /// A long-running healthy cluster: `n` converged nodes `node-00000`, … in one
    /// zone, 125 µs ± 40 µs one-way latency (a 0.25 ms RTT), no faults, 1 s bins.
    /// The common base of `flapsim bench`, generated checks and tests, which then
    /// change only what they are about. None for an unknown preset.
    pub fn healthy_cluster(n: usize, duration: Nanos, preset: &str, seed: u64) -> Option<Scenario> {
        let protocol = Config::preset(preset)?;
        let nodes = (0..n)
            .map(|i| NodeSpec {
                name: format!("node-{i:05}"),
                zone: "a".into(),
                groups: Vec::new(),
                ip: format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                meta_len: 120,
                starts: true,
            })
            .collect();
        Some(Scenario {
            name: format!("healthy-{n}"),
            source: None,
            description: String::new(),
            seed,
            duration,
            warmup: 0,
            start: StartMode::Converged,
            preset: preset.into(),
            protocol,
            overrides: Vec::new(),
            nodes,
            groups: BTreeMap::new(),
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
            timeseries_bin: crate::protocol::SEC,
        })
    }
}
