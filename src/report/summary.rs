//! `summary.json`: the machine-readable result of a run.
//!
//! Field names are a contract with scripts and sweeps: the top-level names listed in
//! [`STABLE_FIELDS`] never change meaning. Field order is the declaration order of
//! the structs below and maps are `BTreeMap`s, so the bytes are deterministic. Times
//! are in seconds (`_s`), rates say their unit in the name, floats are rounded (µs for
//! times, 4 decimals for rates and shares) so the file carries no float noise.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::stats::{round, secs};
use crate::metrics::{drop_name, kind_name, per, Metrics, Quantiles, DROP_REASONS, PACKET_KINDS};
use crate::protocol::{Config, Nanos};
use crate::scenario::Scenario;

/// Top-level names scripts rely on (a test checks each is present).
pub const STABLE_FIELDS: &[&str] = &[
    "scenario",
    "preset",
    "seed",
    "digest",
    "simulated_s",
    "nodes",
    "fp_total",
    "fp_healthy",
    "flaps",
    "flap_episodes",
    "flaps_per_hour",
    "suspicions",
    "refutations",
    "blame",
    "detection",
    "load",
];

#[derive(Serialize, Debug)]
pub struct Summary {
    pub scenario: String,
    pub description: String,
    pub preset: String,
    pub seed: u64,
    /// 16 hex digits of the event-log digest.
    pub digest: String,
    pub simulated_s: f64,
    pub warmup_s: f64,
    pub measured_s: f64,
    pub nodes: usize,
    /// DEAD declarations about nodes that were up (measured window).
    pub fp_total: u64,
    /// … about nodes no fault touched.
    pub fp_healthy: u64,
    /// … where neither the observer nor the subject was touched.
    pub fp_both_healthy: u64,
    /// All DEAD declarations.
    pub declarations: u64,
    pub left_declarations: u64,
    pub flaps: u64,
    /// Flaps whose subject was up and not degraded when declared failed.
    pub flaps_healthy: u64,
    pub flap_episodes: u64,
    pub flaps_per_hour: f64,
    pub flaps_per_node_hour: f64,
    /// EventMemberFailed → EventMemberJoin at the same observer, over flaps.
    pub rejoin_s: Option<Q>,
    pub suspicions: u64,
    pub refutations: u64,
    pub refutations_by_kind: RefutationKinds,
    pub suspicion_timers: SuspicionTimers,
    /// An observer's SUSPECT → ALIVE again (the subject's refutation reached it).
    pub suspicion_to_clear_s: Option<Q>,
    pub blame: Vec<BlameJson>,
    /// Accuser × accused counts of `Suspect X has failed` (sparse, for a heatmap).
    pub accusations: Vec<Accusation>,
    pub detection: DetectionJson,
    pub load: LoadJson,
    pub drops: BTreeMap<&'static str, u64>,
    pub serf: SerfJson,
    pub memberlist: MemberlistJson,
    /// Highest health score per node, for nodes whose score ever rose above 0.
    pub health_score_max: BTreeMap<String, u32>,
    pub per_node: Vec<NodeJson>,
    pub timeseries_bin_s: f64,
    pub protocol: ProtocolJson,
    pub overrides: Vec<Override>,
}

/// A latency distribution in seconds.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Q {
    pub median: f64,
    pub p99: f64,
    pub count: usize,
}

impl From<Quantiles> for Q {
    fn from(q: Quantiles) -> Q {
        Q {
            median: round(q.median, 6),
            p99: round(q.p99, 6),
            count: q.count,
        }
    }
}

#[derive(Serialize, Debug)]
pub struct RefutationKinds {
    pub suspect: u64,
    pub dead: u64,
    pub alive: u64,
}

impl RefutationKinds {
    /// The split of a run's (or a diagnosis's) refutations by the message refuted.
    pub fn of(t: &crate::metrics::Totals) -> RefutationKinds {
        let [suspect, dead, alive] = t.refutations_by_kind;
        RefutationKinds {
            suspect,
            dead,
            alive,
        }
    }
}

#[derive(Serialize, Debug)]
pub struct SuspicionTimers {
    /// `Marking X as failed, suspect timeout reached`.
    pub expired: u64,
    /// `memberlist.degraded.timeout`: fired with fewer than k confirmations.
    pub degraded: u64,
    /// Confirmation count → timers that fired with it (Lifeguard presets only).
    pub by_confirmations: BTreeMap<u32, u64>,
}

#[derive(Serialize, Debug)]
pub struct BlameJson {
    pub node: String,
    pub suspicions_raised: u64,
    pub refutations_naming: u64,
    pub suspicion_share: f64,
    pub refutation_share: f64,
}

#[derive(Serialize, Debug)]
pub struct Accusation {
    pub accuser: String,
    pub accused: String,
    pub count: u64,
}

#[derive(Serialize, Debug)]
pub struct DetectionJson {
    /// Crashes in the measured window.
    pub crashes: usize,
    pub first_suspect_s: Option<Q>,
    pub first_dead_s: Option<Q>,
    pub full_dissemination_s: Option<Q>,
    /// Crashes not fully disseminated by the end of the run (or before a restart).
    pub not_disseminated: usize,
}

#[derive(Serialize, Debug)]
pub struct LoadJson {
    /// Packets sent per node per second.
    pub msgs_per_node_s: f64,
    pub bytes_per_node_s: f64,
    pub received_msgs_per_node_s: f64,
    pub received_bytes_per_node_s: f64,
    /// Per packet kind: sent packets and bytes per node per second.
    pub by_kind: BTreeMap<&'static str, KindLoad>,
}

#[derive(Serialize, Debug)]
pub struct KindLoad {
    pub msgs_per_node_s: f64,
    pub bytes_per_node_s: f64,
}

#[derive(Serialize, Debug)]
pub struct SerfJson {
    pub member_failed: u64,
    pub member_join: u64,
    /// `serf.member.flap` as the Serf layer counted it (cross-check of `flaps`).
    pub flap_metric: u64,
}

#[derive(Serialize, Debug)]
pub struct MemberlistJson {
    /// `memberlist.msg.suspect`: observers that moved a node to SUSPECT.
    pub msg_suspect: u64,
    pub failed_udp_pings: u64,
    pub tcp_fallback_rescues: u64,
    pub push_pull_failures: u64,
    /// State messages dropped by a full hand-off queue ("handler queue full").
    pub handoff_queue_drops: u64,
    /// `memberlist.degraded.probe`.
    pub degraded_probes: u64,
}

#[derive(Serialize, Debug)]
pub struct NodeJson {
    pub node: String,
    pub zone: String,
    pub ip: String,
    pub suspicions_raised: u64,
    pub refutations_naming: u64,
    pub refutations_made: u64,
    pub declarations_made: u64,
    /// DEAD declarations about this node while it was up.
    pub fp_about: u64,
    pub flaps: u64,
    pub msgs_sent_per_s: f64,
    pub bytes_sent_per_s: f64,
    pub msgs_received_per_s: f64,
    pub bytes_received_per_s: f64,
    pub drops_to: u64,
    pub health_score_max: u32,
}

#[derive(Serialize, Debug)]
pub struct Override {
    pub field: String,
    pub value: String,
}

/// Every effective protocol parameter, with units in the names, in the order of
/// the protocol's config table (which generates it: a new field cannot be
/// forgotten here).
#[derive(Debug)]
pub struct ProtocolJson(Vec<(String, serde_json::Value)>);

impl ProtocolJson {
    pub fn new(c: &Config) -> ProtocolJson {
        ProtocolJson(c.effective())
    }
}

impl Serialize for ProtocolJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Seconds as summary.json writes them: rounded to the nanosecond.
pub fn s(ns: Nanos) -> f64 {
    round(secs(ns), 9)
}

/// Build the summary of a finished run.
pub fn summary(scenario: &Scenario, m: &Metrics) -> Summary {
    let names: Vec<String> = scenario.nodes.iter().map(|n| n.name.clone()).collect();
    let t = &m.totals;
    let measured_s = secs(m.measured());
    let node_s = m.nodes as f64 * measured_s;
    let det = m.detection();
    let (msgs, bytes) = m.sent_per_node_s();
    let recv = m.per_node.iter().fold((0u64, 0u64), |a, n| {
        let r = n.received_total();
        (a.0 + r.msgs, a.1 + r.bytes)
    });
    let by_kind = PACKET_KINDS
        .iter()
        .enumerate()
        .map(|(k, kind)| {
            let (mm, bb) = m.per_node.iter().fold((0u64, 0u64), |a, n| {
                (a.0 + n.sent[k].msgs, a.1 + n.sent[k].bytes)
            });
            (
                kind_name(*kind),
                KindLoad {
                    msgs_per_node_s: round(per(mm as f64, node_s), 4),
                    bytes_per_node_s: round(per(bb as f64, node_s), 4),
                },
            )
        })
        .collect();
    Summary {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        preset: scenario.preset.clone(),
        seed: scenario.seed,
        digest: format!("{:016x}", m.digest),
        simulated_s: s(m.end),
        warmup_s: s(m.warmup),
        measured_s: s(m.measured()),
        nodes: m.nodes,
        fp_total: t.fp,
        fp_healthy: t.fp_healthy,
        fp_both_healthy: t.fp_both_healthy,
        declarations: t.declarations,
        left_declarations: t.left_declarations,
        flaps: t.flaps,
        flaps_healthy: t.flaps_healthy,
        flap_episodes: m.flap_episodes(),
        flaps_per_hour: round(m.flaps_per_hour(), 4),
        flaps_per_node_hour: round(m.flaps_per_node_hour(), 6),
        rejoin_s: m.rejoin.quantiles().map(Q::from),
        suspicions: t.suspicions,
        refutations: t.refutations,
        refutations_by_kind: RefutationKinds::of(t),
        suspicion_timers: SuspicionTimers {
            expired: t.suspicion_expired,
            degraded: t.suspicion_expired_degraded,
            by_confirmations: t.expired_confirmations.clone(),
        },
        suspicion_to_clear_s: m.suspicion_to_clear.quantiles().map(Q::from),
        blame: m
            .blame(&names)
            .into_iter()
            .map(|r| BlameJson {
                node: names[r.node as usize].clone(),
                suspicions_raised: r.suspicions_raised,
                refutations_naming: r.refutations_naming,
                suspicion_share: round(r.suspicion_share, 4),
                refutation_share: round(r.refutation_share, 4),
            })
            .collect(),
        accusations: m
            .accusations
            .iter()
            .map(|(&(a, b), &count)| Accusation {
                accuser: names[a as usize].clone(),
                accused: names[b as usize].clone(),
                count,
            })
            .collect(),
        detection: DetectionJson {
            crashes: det.crashes,
            first_suspect_s: det.first_suspect.map(Q::from),
            first_dead_s: det.first_dead.map(Q::from),
            full_dissemination_s: det.full_dissemination.map(Q::from),
            not_disseminated: det.not_disseminated,
        },
        load: LoadJson {
            msgs_per_node_s: round(msgs, 4),
            bytes_per_node_s: round(bytes, 4),
            received_msgs_per_node_s: round(per(recv.0 as f64, node_s), 4),
            received_bytes_per_node_s: round(per(recv.1 as f64, node_s), 4),
            by_kind,
        },
        drops: DROP_REASONS
            .iter()
            .enumerate()
            .map(|(i, r)| (drop_name(*r), t.drops[i]))
            .collect(),
        serf: SerfJson {
            member_failed: t.serf_failed,
            member_join: t.serf_joins,
            flap_metric: t.serf_flap_metric,
        },
        memberlist: MemberlistJson {
            msg_suspect: t.suspect_held,
            failed_udp_pings: t.failed_udp_pings,
            tcp_fallback_rescues: t.tcp_fallback_rescues,
            push_pull_failures: t.push_pull_failures,
            handoff_queue_drops: t.handoff_queue_drops,
            degraded_probes: t.degraded_probes,
        },
        health_score_max: m
            .per_node
            .iter()
            .enumerate()
            .filter(|(_, n)| n.health_max > 0)
            .map(|(i, n)| (names[i].clone(), n.health_max))
            .collect(),
        per_node: m
            .per_node
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let spec = &scenario.nodes[i];
                let (st, rt) = (n.sent_total(), n.received_total());
                NodeJson {
                    node: spec.name.clone(),
                    zone: spec.zone.clone(),
                    ip: spec.ip.clone(),
                    suspicions_raised: n.suspicions_raised,
                    refutations_naming: n.refutations_naming,
                    refutations_made: n.refutations_made,
                    declarations_made: n.declarations_made,
                    fp_about: n.fp_about,
                    flaps: n.flaps_as_subject,
                    msgs_sent_per_s: round(per(st.msgs as f64, measured_s), 4),
                    bytes_sent_per_s: round(per(st.bytes as f64, measured_s), 4),
                    msgs_received_per_s: round(per(rt.msgs as f64, measured_s), 4),
                    bytes_received_per_s: round(per(rt.bytes as f64, measured_s), 4),
                    drops_to: n.drops_to,
                    health_score_max: n.health_max,
                }
            })
            .collect(),
        timeseries_bin_s: s(m.bin),
        protocol: ProtocolJson::new(&scenario.protocol),
        overrides: scenario
            .overrides
            .iter()
            .map(|(f, v)| Override {
                field: f.clone(),
                value: v.clone(),
            })
            .collect(),
    }
}

/// `summary.json` bytes (pretty-printed, trailing newline).
pub fn summary_json(scenario: &Scenario, m: &Metrics) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&summary(scenario, m)).expect("summary serializes");
    v.push(b'\n');
    v
}
