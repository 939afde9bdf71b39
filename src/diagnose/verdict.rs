//! The verdict: which node the logs blame, and what to check on it.
//!
//! Two failure shapes are told apart by the blame table and the accusation pairs:
//! - a node whose *own probes* fail (slow, starved or paused process, a lossy NIC,
//!   inbound UDP blocked) raises far more suspicions than the other nodes that
//!   logged, against many different peers, and the refutations name it
//!   (`Refuting a suspect message (from: a-01)`): either is enough, so the node
//!   is found from its own log or, when its log is missing, from its victims';
//! - a node *others cannot reach* is accused by many different peers, while the
//!   accusations are spread over those accusers.
//!
//! Otherwise no single node stands out, which points at the network or the
//! protocol settings rather than at one host.
//!
//! "Far more" compares a node with the *rest* of its population (the nodes that
//! logged, for suspicions raised; every node named, for refutations naming and
//! accusations): at least [`OUTLIER`] times the others' mean. Operators often
//! have the logs of a few nodes only (the servers and the one they suspect);
//! against a fair share of 1 / 3, a node raising 88 % of three logs'
//! suspicions could never have been blamed.

use std::collections::{BTreeMap, BTreeSet};

use crate::metrics::BlameRow;
use crate::protocol::NodeId;
use crate::units::count;

use super::analyze::Analysis;

/// A node's count must be at least this many times the mean of the rest of its
/// population to be blamed.
const OUTLIER: f64 = 3.0;
/// …and at least this share of all suspicions.
const MIN_SHARE: f64 = 0.10;
/// Too few suspicions (or refutations naming a node) to say anything.
const MIN_SUSPICIONS: u64 = 5;

/// `count` of `total` stands out of a population of `population`: at least
/// [`OUTLIER`] times the mean of the others, and [`MIN_SHARE`] of the total.
fn stands_out(count: u64, total: u64, population: usize) -> bool {
    if population < 2 || total == 0 {
        return false;
    }
    let others = (total - count) as f64 / (population - 1) as f64;
    count as f64 >= OUTLIER * others && count as f64 >= MIN_SHARE * total as f64
}

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
    let named = a.names.len();
    // Accusations, accused → (count, accusers): the loggers' own `Suspect X has
    // failed` lines, and what the accused's refutations reveal of accusers
    // whose logs are missing (a logger's accusations are counted from its own
    // lines, not twice).
    let mut accused: BTreeMap<NodeId, (u64, BTreeSet<NodeId>)> = BTreeMap::new();
    // Accuser → the peers it accused, by either trace.
    let mut accused_peers: BTreeMap<NodeId, BTreeSet<NodeId>> = BTreeMap::new();
    for (&(by, of), &c) in &m.accusations {
        let e = accused.entry(of).or_default();
        e.0 += c;
        e.1.insert(by);
        accused_peers.entry(by).or_default().insert(of);
    }
    for (&(of, by), &c) in &a.refuted {
        accused_peers.entry(by).or_default().insert(of);
        if !a.observers.contains(&by) {
            let e = accused.entry(of).or_default();
            e.0 += c;
            e.1.insert(by);
        }
    }
    let accusations: u64 = accused.values().map(|e| e.0).sum();
    let naming: u64 = blame.iter().map(|r| r.refutations_naming).sum();
    let accused_share = |n: NodeId| {
        let c = accused.get(&n).map_or(0, |e| e.0);
        if accusations == 0 {
            0.0
        } else {
            c as f64 / accusations as f64
        }
    };
    let flaps = format!(
        "{} ({:.1}/h) in {}",
        count(m.totals.flaps as usize, "flap"),
        m.flaps_per_hour(),
        count(
            a.episodes
                .iter()
                .filter(|e| e.flaps > 0 && e.first >= m.warmup)
                .count(),
            "episode"
        )
    );
    // Probes that failed over UDP but got through over TCP, most-named subject.
    let rescues: u64 = a.tcp_rescues.values().sum();
    let tcp_note = a
        .tcp_rescues
        .iter()
        .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
        .map(|(&n, &c)| {
            format!(
                " {} failed over UDP but got through over TCP (`Was able to connect to …`), {c} of them to {}: UDP to it is lossy or blocked, which the TCP fallback is hiding.",
                count(rescues as usize, "probe"),
                name(n)
            )
        })
        .unwrap_or_default();
    if accusations < MIN_SUSPICIONS && naming < MIN_SUSPICIONS {
        let stable = if m.totals.flaps == 0 {
            "; the cluster looks stable over these logs"
        } else {
            ""
        };
        return Verdict {
            culprits: Vec::new(),
            text: format!(
                "{} raised and {flaps}: too few to blame a node{stable}.{tcp_note}",
                count(total as usize, "suspicion")
            ),
        };
    }
    let raises_most = |r: &BlameRow| {
        r.suspicions_raised >= MIN_SUSPICIONS && stands_out(r.suspicions_raised, total, loggers)
    };
    let named_most = |r: &BlameRow| {
        r.refutations_naming >= MIN_SUSPICIONS && stands_out(r.refutations_naming, naming, named)
    };
    let mut culprits: Vec<Culprit> = blame
        .iter()
        .filter(|r| raises_most(r) || named_most(r))
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
            if stands_out(c, accusations, named) && who >= 3.max(loggers / 4) {
                let r = blame.iter().find(|r| r.node == n);
                culprits.push(Culprit {
                    node: n,
                    shape: Shape::Unreachable,
                    suspicion_share: r.map_or(0.0, |r| r.suspicion_share),
                    refutation_share: r.map_or(0.0, |r| r.refutation_share),
                    peers: who,
                    accused_share: accused_share(n),
                });
            }
        }
    }
    let mut text = String::new();
    for c in &culprits {
        let sentence = match c.shape {
            Shape::ProbesFail if !a.observers.contains(&c.node) => format!(
                "{} is the accuser named in {} of refutations (by {} peers); its own log is not among the inputs: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).",
                name(c.node),
                pct(c.refutation_share),
                c.peers
            ),
            Shape::ProbesFail => format!(
                "{} raised {} of suspicions (against {} peers) and is named in {} of refutations: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).",
                name(c.node),
                pct(c.suspicion_share),
                c.peers,
                pct(c.refutation_share)
            ),
            Shape::Unreachable => format!(
                "{} is the suspect in {} of accusations, by {} different peers: others cannot reach it; check its inbound UDP (firewall, security group), its NIC and whether it pauses.",
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
            "No single node stands out: {} spread over {} (the top one, {}, raised {}). ",
            count(total as usize, "suspicion"),
            count(
                m.accusations
                    .keys()
                    .map(|k| k.0)
                    .collect::<BTreeSet<_>>()
                    .len(),
                "accuser"
            ),
            top.map_or("-", |r| name(r.node)),
            top.map_or_else(|| "0 %".into(), |r| pct(r.suspicion_share))
        ));
        if loggers * 2 < named {
            // An accuser shows in its own log, or in its victims' refutations:
            // with most logs missing, the culprit may be in none of these.
            text.push_str(&format!(
                "But only {loggers} of the {named} nodes named are in these logs: add more nodes' logs (every agent's if you can) before blaming the network. "
            ));
        } else {
            text.push_str("Suspect the network (loss, latency spikes) or probe settings too tight for it, rather than one host. ");
        }
    }
    text.push_str(&format!("The logs show {flaps}."));
    text.push_str(&tcp_note);
    Verdict { culprits, text }
}
