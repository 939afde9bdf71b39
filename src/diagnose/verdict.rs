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
//! With too few logs to compare, three more signs count ([`Sign`]): a log
//! whose node suspects most of the cluster ([`accuses_widely`]), a node the
//! loggers both suspect and see accusing them ([`two_way`]), and a node most
//! of the logs' flaps are of ([`flapping`]).
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

/// Significance level of [`stands_out`]: the chance that evenly spread noise
/// (every suspicion raised by, or naming, a node picked at random) makes some
/// node look like this one.
const ALPHA: f64 = 1e-3;

/// `count` of `total` stands out of a population of `population`: at least
/// [`MIN_SUSPICIONS`], at least [`OUTLIER`] times the mean of the others and
/// [`MIN_SHARE`] of the total, and unlikely under an even spread.
///
/// Why the last: a healthy cluster has a few suspicions too (a lost packet, a
/// short pause), each raised by and against nodes at random. With 30 of them
/// over 13 nodes one node gets 6 by chance now and then, and 6 is 3 times the
/// others' mean: the ratio alone blamed a healthy node in about half of such
/// logs. So the top count must also be improbable if each of the `total` went
/// to one of the `population` nodes evenly: the binomial tail
/// P(Bin(total, 1/population) ≥ count), times `population` (the chance that
/// *any* node gets that many, Bonferroni's bound), below [`ALPHA`] (1 in
/// 1000: a healthy cluster's logs should almost never accuse anyone, while a
/// real culprit's counts are far out of that range: in the bundled scenarios
/// the bound is below 1e-20). The exact tail is used, not a normal
/// approximation, which is poor at the small counts where it matters.
fn stands_out(count: u64, total: u64, population: usize) -> bool {
    if population < 2 || total == 0 || count < MIN_SUSPICIONS {
        return false;
    }
    let others = (total - count) as f64 / (population - 1) as f64;
    count as f64 >= OUTLIER * others
        && count as f64 >= MIN_SHARE * total as f64
        && population as f64 * binomial_tail(total, 1.0 / population as f64, count) < ALPHA
}

/// P(X ≥ k) for X ~ Binomial(n, p), summed from the k term up (in logs for the
/// first term, so large n does not underflow a factorial), until the terms no
/// longer add anything.
pub fn binomial_tail(n: u64, p: f64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (nf, kf) = (n as f64, k as f64);
    // ln C(n, k) = Σ ln((n − k + i) / i), i = 1..=k.
    let ln_choose: f64 = (1..=k)
        .map(|i| ((nf - kf + i as f64) / i as f64).ln())
        .sum();
    let mut term = (ln_choose + kf * p.ln() + (nf - kf) * (-p).ln_1p()).exp();
    let mut sum = 0.0;
    let ratio = p / (1.0 - p);
    for j in k..=n {
        sum += term;
        if term <= sum * 1e-17 {
            break;
        }
        term *= (n - j) as f64 / (j + 1) as f64 * ratio;
    }
    sum.min(1.0)
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
    /// How it was found.
    pub sign: Sign,
}

/// How a culprit was found: the evidence its sentence quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// It stands out from the rest of its population ([`stands_out`]).
    StandsOut,
    /// [`accuses_widely`]: its own log suspects `peers` of the `others` nodes
    /// named, in `raised` suspicions.
    AccusesWidely {
        peers: usize,
        others: usize,
        raised: u64,
    },
    /// [`two_way`]: the loggers' suspicions of it, their refutations naming
    /// it, and both counts over every node.
    TwoWay {
        suspected: u64,
        refuted: u64,
        all: u64,
    },
    /// [`flapping`]: its flaps and every node's.
    Flaps { its: u64, all: u64 },
}

impl Sign {
    pub fn as_str(self) -> &'static str {
        match self {
            Sign::StandsOut => "stands_out",
            Sign::AccusesWidely { .. } => "accuses_widely",
            Sign::TwoWay { .. } => "two_way",
            Sign::Flaps { .. } => "flaps",
        }
    }
}

impl Culprit {
    /// `node` blamed with `shape`, its shares read from the blame table.
    fn new(
        node: NodeId,
        shape: Shape,
        blame: &[BlameRow],
        peers: usize,
        accused_share: f64,
    ) -> Culprit {
        let r = blame.iter().find(|r| r.node == node);
        Culprit {
            node,
            shape,
            suspicion_share: r.map_or(0.0, |r| r.suspicion_share),
            refutation_share: r.map_or(0.0, |r| r.refutation_share),
            peers,
            accused_share,
            sign: Sign::StandsOut,
        }
    }
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

/// The one logger whose own probes fail against most of the cluster: its log
/// suspects at least half of the other nodes named, in [`MIN_SUSPICIONS`]
/// suspicions at least. Why: with its log alone (or beside logs that do not
/// do the same) there is no population to stand out of, yet a node that
/// cannot get an ack from most of its peers is the one at fault, not they
/// (a starved or paused host, a lossy NIC, its inbound UDP blocked). A
/// healthy node's log suspects the sick node, a few peers at most. When two
/// or more logs do it, the network fails everyone's probes: none is blamed.
fn accuses_widely(
    a: &Analysis,
    blame: &[BlameRow],
    accused_share: &dyn Fn(NodeId) -> f64,
) -> Option<Culprit> {
    let others = a.names.len().saturating_sub(1);
    let peers_of = |logger: NodeId| {
        a.metrics
            .accusations
            .keys()
            .filter(|k| k.0 == logger)
            .count()
    };
    let wide: Vec<(NodeId, usize, u64)> = a
        .observers
        .iter()
        .filter_map(|&logger| {
            let raised = blame
                .iter()
                .find(|r| r.node == logger)
                .map_or(0, |r| r.suspicions_raised);
            let peers = peers_of(logger);
            (raised >= MIN_SUSPICIONS && peers >= 3.max(others.div_ceil(2)))
                .then_some((logger, peers, raised))
        })
        .collect();
    let [(node, peers, raised)] = wide[..] else {
        return None;
    };
    // Beside other logs, evenly spread noise makes every log suspect several
    // peers, and one of them reaching half the cluster by chance is no sign
    // (60 random suspicions over 13 logs blamed one in 4 of 20 seeds). So the
    // other logs must back it: most of their suspicions are of this node (a
    // healthy node suspects the sick one), or it raised improbably many of
    // all the suspicions for an even spread over the logs (as [`stands_out`]).
    let mut theirs = 0;
    let mut of_it = 0;
    for (&(by, of), &c) in &a.metrics.accusations {
        if by != node {
            theirs += c;
            of_it += if of == node { c } else { 0 };
        }
    }
    let loggers = a.observers.len();
    let backed = theirs == 0
        || 2 * of_it >= theirs
        || loggers as f64 * binomial_tail(raised + theirs, 1.0 / loggers as f64, raised) < ALPHA;
    if !backed {
        return None;
    }
    Some(Culprit {
        sign: Sign::AccusesWidely {
            peers,
            others,
            raised,
        },
        ..Culprit::new(node, Shape::ProbesFail, blame, peers, accused_share(node))
    })
}

/// Share of the loggers' suspicions and refutations that must point at one
/// node for [`two_way`] to blame it.
const TWO_WAY_SHARE: f64 = 2.0 / 3.0;

/// The node the loggers both suspect and see accusing them, when the
/// comparisons find nobody (one or two logs leave nothing to compare). Why: the logs an operator has are often one or
/// two healthy nodes', and there a slow node shows two ways at once, as in
/// the incident (incidents.md §1): the loggers' probes of it time out
/// (`Suspect a-01 has failed`) and its own timed-out probes accuse them
/// (`Refuting a suspect message (from: a-01)`). Either alone can be a bad
/// link or one unlucky probe; the same node on both sides, carrying most of
/// the evidence, is what the incident's operators followed. Blamed when both
/// are seen, they add up to [`MIN_SUSPICIONS`] at least and to
/// [`TWO_WAY_SHARE`] of all the loggers' suspicions and refutations.
fn two_way(
    a: &Analysis,
    blame: &[BlameRow],
    accused_share: &dyn Fn(NodeId) -> f64,
) -> Option<Culprit> {
    let m = &a.metrics;
    // Node → (suspicions of it, refutations naming it, loggers pointing at it).
    let mut sides: BTreeMap<NodeId, (u64, u64, BTreeSet<NodeId>)> = BTreeMap::new();
    for (&(by, of), &c) in &m.accusations {
        let e = sides.entry(of).or_default();
        e.0 += c;
        e.2.insert(by);
    }
    for (&(refuter, accuser), &c) in &a.refuted {
        let e = sides.entry(accuser).or_default();
        e.1 += c;
        e.2.insert(refuter);
    }
    let all: u64 = sides.values().map(|e| e.0 + e.1).sum();
    let (&node, (suspected, refuted, loggers)) = sides
        .iter()
        .max_by_key(|(n, e)| (e.0 + e.1, std::cmp::Reverse(**n)))?;
    let both = suspected + refuted;
    let holds = *suspected > 0
        && *refuted > 0
        && both >= MIN_SUSPICIONS
        && both as f64 >= TWO_WAY_SHARE * all as f64;
    holds.then(|| Culprit {
        sign: Sign::TwoWay {
            suspected: *suspected,
            refuted: *refuted,
            all,
        },
        ..Culprit::new(
            node,
            Shape::ProbesFail,
            blame,
            loggers.len(),
            accused_share(node),
        )
    })
}

/// The node most of the logs' flaps are of, when no accuser or accused
/// stands out. Why: a node the cluster declares failed and takes back again
/// and again is lost at times (paused, or its inbound UDP drops), and every
/// log shows its flaps, as Serf gossips them, even a log whose own node
/// never probed it in the bad moments, so a healthy node's log alone can
/// name it (a slow node's victims flap too, but spread over many nodes).
/// Blamed with at least [`MIN_SUSPICIONS`] flaps and [`TWO_WAY_SHARE`] of all.
fn flapping(
    a: &Analysis,
    blame: &[BlameRow],
    accused_share: &dyn Fn(NodeId) -> f64,
) -> Option<Culprit> {
    let m = &a.metrics;
    let all = m.totals.flaps;
    let (node, its) = m
        .per_node
        .iter()
        .enumerate()
        .map(|(n, p)| (n as NodeId, p.flaps_as_subject))
        .max_by_key(|&(n, c)| (c, std::cmp::Reverse(n)))?;
    let holds = its >= MIN_SUSPICIONS && its as f64 >= TWO_WAY_SHARE * all as f64;
    holds.then(|| Culprit {
        sign: Sign::Flaps { its, all },
        ..Culprit::new(
            node,
            Shape::Unreachable,
            blame,
            accusers_of(a, node),
            accused_share(node),
        )
    })
}

/// ` n-03, n-08 and n-15 failed and did not come back …`: the nodes down at
/// the logs' end, or nothing. Why: a log with a node gone for good and no
/// flap read "the cluster looks stable".
fn gone(a: &Analysis) -> String {
    const SHOWN: usize = 5;
    let names: Vec<&str> = a
        .down_at_end
        .iter()
        .map(|&n| a.names[n as usize].as_str())
        .collect();
    let list = match names.len() {
        0 => return String::new(),
        1 => names[0].to_string(),
        n if n <= SHOWN => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
        n => format!("{} and {} more", names[..SHOWN].join(", "), n - SHOWN),
    };
    format!(
        " {list} failed and did not come back within the logs: crashed, stopped or lost for good, which is not flapping."
    )
}

/// Distinct peers seen accusing `node`: in the loggers' own suspicions and in
/// its refutations.
fn accusers_of(a: &Analysis, node: NodeId) -> usize {
    let by_logs = a
        .metrics
        .accusations
        .keys()
        .filter(|k| k.1 == node)
        .map(|k| k.0);
    let by_refutations = a.refuted.keys().filter(|k| k.0 == node).map(|k| k.1);
    by_logs.chain(by_refutations).collect::<BTreeSet<_>>().len()
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
    let down = gone(a);
    let few = accusations < MIN_SUSPICIONS && naming < MIN_SUSPICIONS;
    // The signs that need no population to compare with (one or two logs).
    let two_way = two_way(a, blame, &accused_share);
    let flapping = flapping(a, blame, &accused_share);
    if few && flapping.is_none() && two_way.is_none() {
        let stable = if m.totals.flaps == 0 && down.is_empty() {
            "; the cluster looks stable over these logs"
        } else {
            ""
        };
        return Verdict {
            culprits: Vec::new(),
            text: format!(
                "{} raised and {flaps}: too few to blame a node{stable}.{down}{tcp_note}",
                count(total as usize, "suspicion")
            ),
        };
    }
    let raises_most = |r: &BlameRow| stands_out(r.suspicions_raised, total, loggers);
    let named_most = |r: &BlameRow| stands_out(r.refutations_naming, naming, named);
    let mut culprits: Vec<Culprit> = blame
        .iter()
        .filter(|r| !few && (raises_most(r) || named_most(r)))
        .map(|r| {
            let peers = accused_peers.get(&r.node).map_or(0, BTreeSet::len);
            Culprit::new(
                r.node,
                Shape::ProbesFail,
                blame,
                peers,
                accused_share(r.node),
            )
        })
        .collect();
    if culprits.is_empty() {
        culprits.extend(accuses_widely(a, blame, &accused_share));
    }
    if culprits.is_empty() {
        culprits.extend(two_way);
    }
    if culprits.is_empty() && !few {
        // Nobody accuses much: is one node accused by many?
        let mut by_accused: Vec<(NodeId, u64, usize)> = accused
            .iter()
            .map(|(&n, (c, who))| (n, *c, who.len()))
            .collect();
        by_accused.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for &(n, c, who) in by_accused.iter().take(3) {
            if stands_out(c, accusations, named) && who >= 3.max(loggers / 4) {
                culprits.push(Culprit::new(
                    n,
                    Shape::Unreachable,
                    blame,
                    who,
                    accused_share(n),
                ));
            }
        }
    }
    if culprits.is_empty() {
        culprits.extend(flapping);
    }
    let mut text = String::new();
    for c in &culprits {
        let sentence = match (c.shape, c.sign) {
            (
                Shape::ProbesFail,
                Sign::AccusesWidely {
                    peers,
                    others,
                    raised,
                },
            ) => {
                format!(
                    "{}'s own log shows it suspecting {peers} of the {} named ({}): a node that gets no ack from most of the cluster is itself at fault, not they: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP). Unless the network fails everyone's probes: a few more nodes' logs rule that out.",
                    name(c.node),
                    count(others, "other node"),
                    count(raised as usize, "suspicion"),
                )
            }
            (
                Shape::ProbesFail,
                Sign::TwoWay {
                    suspected,
                    refuted,
                    all,
                },
            ) => {
                let own_log = if a.observers.contains(&c.node) {
                    ""
                } else {
                    " Its own log is not among the inputs: add it, and a few more nodes', to confirm."
                };
                format!(
                    "{} is both the node these logs suspect and the accuser their refutations name: {} of it and {} naming it, {} of the {all} in all. A node that answers probes late and times out its own is suspected by healthy peers and accuses them: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).{own_log}",
                    name(c.node),
                    count(suspected as usize, "suspicion"),
                    count(refuted as usize, "refutation"),
                    pct((suspected + refuted) as f64 / all.max(1) as f64),
                )
            }
            (Shape::ProbesFail, _) if !a.observers.contains(&c.node) => format!(
                "{} is the accuser named in {} of refutations (by {}); its own log is not among the inputs: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).",
                name(c.node),
                pct(c.refutation_share),
                count(c.peers, "peer")
            ),
            (Shape::ProbesFail, _) => format!(
                "{} raised {} of suspicions (against {}) and is named in {} of refutations: its probes fail; check its CPU (steal time, throttling, credits), pauses, and its NIC (drops, inbound UDP).",
                name(c.node),
                pct(c.suspicion_share),
                count(c.peers, "peer"),
                pct(c.refutation_share)
            ),
            (Shape::Unreachable, Sign::Flaps { its, all }) => {
                format!(
                    "{} is the node in {its} of the {} these logs show, declared failed and back again: the cluster loses it for seconds at a time; check whether it pauses (GC, CPU credits, steal time), its inbound UDP (firewall, security group) and its NIC.",
                    name(c.node),
                    count(all as usize, "flap"),
                )
            }
            (Shape::Unreachable, _) => format!(
                "{} is the suspect in {} of accusations, by {}: others cannot reach it; check its inbound UDP (firewall, security group), its NIC and whether it pauses.",
                name(c.node),
                pct(c.accused_share),
                count(c.peers, "different peer")
            ),
        };
        text.push_str(&sentence);
        text.push(' ');
    }
    if culprits.is_empty() {
        let top = blame.first();
        let accusers = m.accusations.keys().map(|k| k.0).collect::<BTreeSet<_>>();
        let spread = match (accusers.len(), accusers.first()) {
            (1, Some(&only)) => format!("all raised by {}", name(only)),
            (n, _) => format!(
                "spread over {} (the top one, {}, raised {})",
                count(n, "accuser"),
                top.map_or("-", |r| name(r.node)),
                top.map_or_else(|| "0 %".into(), |r| pct(r.suspicion_share))
            ),
        };
        // Whom they accuse, when one node takes most: with too few accusers
        // to blame it, the reader still learns where to look.
        let mut of: BTreeMap<NodeId, u64> = BTreeMap::new();
        for (&(_, subject), &c) in &m.accusations {
            *of.entry(subject).or_insert(0) += c;
        }
        let target = of
            .iter()
            .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
            .filter(|(_, &c)| total > 0 && c as f64 >= TWO_WAY_SHARE * total as f64)
            .map_or(String::new(), |(&n, &c)| {
                if c == total {
                    format!(", all of {}", name(n))
                } else {
                    format!(", {c} of them of {}", name(n))
                }
            });
        text.push_str(&format!(
            "No single node stands out: {} {spread}{target}. ",
            count(total as usize, "suspicion"),
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
    text.push_str(&format!("The logs show {flaps}.{down}"));
    text.push_str(&tcp_note);
    Verdict { culprits, text }
}
