//! The claim a scenario supports beyond safety (see [`super`]): from its
//! faults' windows, what lingers after them, and which named network faults
//! are undone by a later verb.

use crate::engine::sim::LEAVE_GRACE;
use crate::protocol::{timing, Config, Nanos, SEC};
use crate::random::Dist;
use crate::scenario::fault::Pairing;
use crate::scenario::{Scenario, StartMode};

/// What a scenario lets the checker claim beyond safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Fault-free: zero suspicions for the whole run.
    NoSuspicion,
    /// All faults end by `settle_at`: the views converge within the bound.
    Converge { settle_at: Nanos },
    /// Some fault never ends: safety only.
    SafetyOnly,
}

/// Serf reconnect rounds allowed in [`convergence_bound`].
///
/// After a partition heals, two nodes that hold each other DEAD never probe or
/// gossip to each other; memberlist has no path back except push/pull with a third
/// node that still knows the truth, or Serf's reconnect loop (every
/// `reconnect_interval`, each node tries with probability failed/alive, a
/// push/pull join to a random failed member). Cluster-wide that is at least one
/// attempt per interval in expectation when one member is failed everywhere, so
/// the chance of no attempt in `R` rounds is about `e^-R`. `R = 20` makes a miss
/// about 2e-9 per scenario: a violation is a finding, not bad luck.
pub const RECONNECT_ROUNDS: u64 = 20;

/// Anti-entropy rounds (push/pull periods) allowed for a rumour to reach every
/// node after its broadcasts ran out of retransmits.
pub const PUSH_PULL_ROUNDS: u64 = 10;

/// Time after the last fault ends within which the views must converge
/// ([`Claim::Converge`]). A sum of worst cases, each with its reason:
/// - `2·n·probe_interval·awareness_max`: a crashed member is probed within two
///   passes over the shuffled probe list, each probe stretched by at most the
///   Lifeguard awareness multiplier;
/// - `suspicion_max_timeout_mult · suspicion_timeout(n)`: the longest suspicion
///   (Lifeguard's max; the fixed timeout without it);
/// - `retransmit_limit · gossip_interval · 2`: gossip of the resulting rumours;
/// - `PUSH_PULL_ROUNDS` scaled push/pull periods: anti-entropy;
/// - `RECONNECT_ROUNDS` Serf reconnect intervals: healing mutual DEAD views;
/// - `LEAVE_GRACE + 2·tcp_timeout`: a leaving process stopping; a TCP exchange
///   cut at the heal timing out.
pub fn convergence_bound(cfg: &Config, n: usize) -> Nanos {
    let n1 = n.max(1);
    let probe = (2 * n1 as u64)
        .saturating_mul(cfg.probe_interval)
        .saturating_mul(u64::from(cfg.awareness_max_multiplier.max(1)));
    let susp = timing::suspicion_timeout(
        cfg.suspicion_mult,
        n1,
        cfg.probe_interval,
        cfg.smooth_suspicion_timeout,
    )
    .saturating_mul(u64::from(cfg.suspicion_max_timeout_mult.max(1)));
    let gossip = u64::from(timing::retransmit_limit(cfg.retransmit_mult, n1))
        .saturating_mul(cfg.gossip_interval)
        .saturating_mul(2);
    let push_pull =
        timing::push_pull_scale(cfg.push_pull_interval, n1).saturating_mul(PUSH_PULL_ROUNDS);
    let reconnect = cfg.serf.reconnect_interval.saturating_mul(RECONNECT_ROUNDS);
    probe
        .saturating_add(susp)
        .saturating_add(gossip)
        .saturating_add(push_pull)
        .saturating_add(reconnect)
        .saturating_add(LEAVE_GRACE)
        .saturating_add(cfg.tcp_timeout.saturating_mul(2))
}

/// How long a converged cluster must stay converged (and suspicion-free) before
/// the checker stops early: two push/pull periods and the longest suspicion.
pub fn settle_window(cfg: &Config, n: usize) -> Nanos {
    let susp = timing::suspicion_timeout(
        cfg.suspicion_mult,
        n.max(1),
        cfg.probe_interval,
        cfg.smooth_suspicion_timeout,
    )
    .saturating_mul(u64::from(cfg.suspicion_max_timeout_mult.max(1)));
    timing::push_pull_scale(cfg.push_pull_interval, n.max(1))
        .saturating_mul(2)
        .saturating_add(susp)
        .max(30 * SEC)
}

/// A latency distribution is benign when it stays far below the probe timeout
/// (so it cannot fail a probe on its own); unbounded tails are not.
fn benign_latency(d: &Dist, cfg: &Config) -> bool {
    let cap = cfg.probe_timeout / 8;
    match *d {
        Dist::Fixed(v) => v <= cap,
        Dist::Uniform { hi, .. } => hi <= cap,
        Dist::Normal { mean, sd } => mean.saturating_add(sd.saturating_mul(8)) <= cap,
        Dist::LogNormal { .. } | Dist::Exponential { .. } => false,
    }
}

/// A practical maximum of a draw: exact for bounded shapes, `mean·40` beyond
/// `min` for the exponential (exceeded with probability e^-40). None for the
/// log-normal, whose tail is too heavy to bound usefully.
fn dist_cap(d: &Dist) -> Option<Nanos> {
    match *d {
        Dist::Fixed(v) => Some(v),
        Dist::Uniform { hi, .. } => Some(hi),
        Dist::Normal { mean, sd } => Some(mean.saturating_add(sd.saturating_mul(8))),
        Dist::Exponential { mean, min } => Some(min.saturating_add(mean.saturating_mul(40))),
        Dist::LogNormal { .. } => None,
    }
}

/// Time after the settle instant during which effects of the faults may still
/// surface: a probe that started during a fault concludes up to one (awareness
/// stretched) probe period later, twice for the indirect round. Convergence is
/// only looked for after it, and suspicions before it are not held against it.
pub fn linger(cfg: &Config) -> Nanos {
    cfg.probe_interval
        .saturating_mul(u64::from(cfg.awareness_max_multiplier.max(1)))
        .saturating_mul(2)
}

/// What the scenario lets the checker claim (see [`Claim`]).
pub fn claim(s: &Scenario) -> Claim {
    let cfg = &s.protocol;
    let net = &s.network;
    let links = std::iter::once(&net.default)
        .chain(net.intra_zone.as_ref())
        .chain(net.cross_zone.as_ref());
    let mut clean = true;
    for l in links {
        if l.loss > 0.0 || l.spike.is_some() || !benign_latency(&l.latency, cfg) {
            return Claim::SafetyOnly;
        }
        // Duplicates are harmless to the protocol but make "clean" a lie.
        clean &= l.duplicate == 0.0;
    }
    for r in &net.rules {
        let bad_latency = r.latency.as_ref().is_some_and(|d| !benign_latency(d, cfg));
        if r.loss.is_some_and(|p| p > 0.0) || r.spike.is_some() || bad_latency {
            return Claim::SafetyOnly;
        }
        clean = false;
    }
    if net.bandwidth_bytes_per_s.is_some() {
        clean = false;
    }
    let mut settle: Nanos = 0;
    for f in &s.faults {
        let Some(until) = f.until else {
            return Claim::SafetyOnly;
        };
        // A pause that starts before `until` runs its whole drawn length, and a
        // starved packet accepted before `until` is still delayed after it.
        let tail = match f.kind.lingers() {
            Some(d) => match dist_cap(d) {
                Some(c) => c,
                None => return Claim::SafetyOnly,
            },
            None => 0,
        };
        settle = settle.max(until.saturating_add(tail));
    }
    // Network faults must be undone by a later heal/release.
    let mut open: Vec<(&str, &str)> = Vec::new(); // (group, name)
    for ev in &s.timeline {
        settle = settle
            .max(ev.at)
            .max(ev.at.saturating_add(ev.action.lasts()));
        match ev.action.pairing() {
            Pairing::Opens { group, name, .. } => open.push((group, name)),
            Pairing::Closes { group, name } => {
                open.retain(|&(g, n)| g != group || name.is_some_and(|x| x != n))
            }
            Pairing::None => {}
        }
    }
    if !open.is_empty() {
        return Claim::SafetyOnly;
    }
    if let StartMode::Join { stagger, .. } = &s.start {
        settle = settle.max(stagger.saturating_mul(s.nodes.len() as u64));
        clean = false;
    }
    if clean && s.faults.is_empty() && s.timeline.is_empty() {
        Claim::NoSuspicion
    } else {
        Claim::Converge { settle_at: settle }
    }
}
