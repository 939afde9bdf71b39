//! The verdict: which node the logs blame, and what to check on it.
//!
//! Two failure shapes are told apart by the blame table and the accusation pairs:
//! - a node whose *own probes* fail (slow, starved or paused process, a lossy NIC,
//!   inbound UDP blocked) raises a share of all suspicions far above its fair share
//!   (1 / the number of nodes that logged), against many different peers, and the
//!   refutations name it (`Refuting a suspect message (from: a-01)`);
//! - a node *others cannot reach* is accused by many different peers, while the
//!   accusations are spread over those accusers.
//!
//! Otherwise no single node stands out, which points at the network or the
//! protocol settings rather than at one host.

use std::collections::{BTreeMap, BTreeSet};

use crate::metrics::BlameRow;
use crate::protocol::NodeId;

use super::analyze::Analysis;

/// A node's share must be at least this many times the fair share to be blamed.
const OUTLIER: f64 = 3.0;
/// …and at least this share of all suspicions.
const MIN_SHARE: f64 = 0.10;
/// Too few suspicions to say anything.
const MIN_SUSPICIONS: u64 = 5;

/// How a culprit fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Its own probes fail: it accuses healthy peers.
    ProbesFail,
    /// Others' probes of it fail: it is accused by many.
    Unreachable,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::ProbesFail => "probes_fail",
            Shape::Unreachable => "unreachable",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Culprit {
    pub node: NodeId,
    pub shape: Shape,
    pub suspicion_share: f64,
    pub refutation_share: f64,
    /// Distinct peers it accused (ProbesFail) or that accused it (Unreachable).
    pub peers: usize,
    /// Share of all suspicions that name it as the suspect.
    pub accused_share: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub culprits: Vec<Culprit>,
    /// One paragraph for the operator.
    pub text: String,
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

pub fn verdict(a: &Analysis, blame: &[BlameRow]) -> Verdict {
    let m = &a.metrics;
    let name = |n: NodeId| a.names[n as usize].as_str();
    let total = m.totals.suspicions;
    let loggers = a.observers.len().max(1);
    let fair = 1.0 / loggers as f64;
    let mut accused: BTreeMap<NodeId, (u64, BTreeSet<NodeId>)> = BTreeMap::new();
    let mut accused_peers: BTreeMap<NodeId, BTreeSet<NodeId>> = BTreeMap::new();
    for (&(by, of), &c) in &m.accusations {
        let e = accused.entry(of).or_default();
        e.0 += c;
        e.1.insert(by);
        accused_peers.entry(by).or_default().insert(of);
    }
    let share = |c: u64| {
        if total == 0 {
            0.0
        } else {
            c as f64 / total as f64
        }
    };
    let accused_share = |n: NodeId| share(accused.get(&n).map_or(0, |e| e.0));
    let flaps = format!(
        "{} flaps ({:.1}/h) in {} episodes",
        m.totals.flaps,
        m.flaps_per_hour(),
        a.episodes
            .iter()
            .filter(|e| e.flaps > 0 && e.first >= m.warmup)
            .count()
    );
    // Probes that failed over UDP but got through over TCP, most-named subject.
    let rescues: u64 = a.tcp_rescues.values().sum();
    let tcp_note = a
        .tcp_rescues
        .iter()
        .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
        .map(|(&n, &c)| {
            format!(
                " {rescues} probe(s) failed over UDP but got through over TCP (`Was able to connect to …`), {c} of them to {}: UDP to it is lossy or blocked, which the TCP fallback is hiding.",
                name(n)
            )
        })
        .unwrap_or_default();
    if total < MIN_SUSPICIONS {
        return Verdict {
            culprits: Vec::new(),
            text: format!(
                "{total} suspicion(s) raised and {flaps}: too few to blame a node; the cluster looks stable over these logs.{tcp_note}"
            ),
        };
    }
    let mut culprits: Vec<Culprit> = blame
        .iter()
        .filter(|r| r.suspicions_raised >= MIN_SUSPICIONS)
        .filter(|r| r.suspicion_share >= MIN_SHARE.max(OUTLIER * fair))
        .map(|r| Culprit {
            node: r.node,
            shape: Shape::ProbesFail,
            suspicion_share: r.suspicion_share,
            refutation_share: r.refutation_share,
            peers: accused_peers.get(&r.node).map_or(0, BTreeSet::len),
            accused_share: accused_share(r.node),
        })
        .collect();
    if culprits.is_empty() {
        // Nobody accuses much: is one node accused by many?
        let mut by_accused: Vec<(NodeId, u64, usize)> = accused
            .iter()
            .map(|(&n, (c, who))| (n, *c, who.len()))
            .collect();
        by_accused.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for &(n, c, who) in by_accused.iter().take(3) {
            if share(c) >= MIN_SHARE.max(OUTLIER * fair) && who >= 3.max(loggers / 4) {
                let r = blame.iter().find(|r| r.node == n);
                culprits.push(Culprit {
                    node: n,
                    shape: Shape::Unreachable,
                    suspicion_share: r.map_or(0.0, |r| r.suspicion_share),
                    refutation_share: r.map_or(0.0, |r| r.refutation_share),
                    peers: who,
                    accused_share: share(c),
                });
            }
        }
    }
    let mut text = String::new();
    for c in &culprits {
        let sentence = match c.shape {
            Shape::ProbesFail => format!(
                "{} raised {} of suspicions (against {} peers) and is named in {} of refutations: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).",
                name(c.node),
                pct(c.suspicion_share),
                c.peers,
                pct(c.refutation_share)
            ),
            Shape::Unreachable => format!(
                "{} is the suspect in {} of suspicions, raised by {} different peers: others cannot reach it; check its inbound UDP (firewall, security group), its NIC and whether it pauses.",
                name(c.node),
                pct(c.accused_share),
                c.peers
            ),
        };
        text.push_str(&sentence);
        text.push(' ');
    }
    if culprits.is_empty() {
        let top = blame.first();
        text.push_str(&format!(
            "No single node stands out: {} suspicions spread over {} accusers (the top one, {}, raised {}). Suspect the network (loss, latency spikes) or probe settings too tight for it, rather than one host. ",
            total,
            m.accusations
                .keys()
                .map(|k| k.0)
                .collect::<BTreeSet<_>>()
                .len(),
            top.map_or("-", |r| name(r.node)),
            top.map_or_else(|| "0 %".into(), |r| pct(r.suspicion_share))
        ));
    }
    text.push_str(&format!("The logs show {flaps}."));
    text.push_str(&tcp_note);
    Verdict { culprits, text }
}
