//! Protocol invariants checked after every engine event, and the convergence
//! claim a scenario supports. Used by `flapsim check` and `tests/check.rs`.
//!
//! Why after every event: a broken rule (an incarnation going backwards, a node
//! believing itself dead) can heal itself a few events later and never show in
//! the summary; checking at each step catches it at the instant it happens, with
//! the observer, the subject and the time (tigerbeetle's simulator discipline).
//!
//! Safety (every scenario, every event; "process" = one life of a node, reset by
//! a start or restart):
//! 1. a node never holds itself SUSPECT, DEAD or LEFT, except while it leaves;
//!    its own entry carries its own incarnation;
//! 2. within one process, the incarnation a node holds about a member never
//!    decreases while the member stays known;
//! 3. a DEAD/LEFT member never becomes ALIVE or SUSPECT again without a strictly
//!    higher incarnation;
//! 4. only DEAD/LEFT members are forgotten (reaped).
//!
//! 5. the periodic push/pull loop never stalls: once a node's faults are over
//!    (from the start in a fault-free run, after the settle instant plus
//!    [`linger`] otherwise), an exchange in flight ends within TCPTimeout (plus
//!    the same [`linger`] slack for timer work queued on the host), so the
//!    loop runs at least once per scaled interval + TCPTimeout.
//!
//! Liveness (by the scenario's [`Claim`], see [`claim`]):
//! - [`Claim::NoSuspicion`]: healthy hosts on a clean network: not one suspicion.
//! - [`Claim::Converge`]: once every fault has ended (the settle instant `H`),
//!   every up node holds every up node ALIVE and every crashed/left node DEAD/LEFT
//!   (or forgot it) by `H + convergence_bound`, and no suspicion happens after
//!   that.

use crate::protocol::{timing, Config, Event, Nanos, NodeId, State, SEC};
use crate::random::Dist;
use crate::scenario::fault::Pairing;
use crate::scenario::{Scenario, StartMode};

use super::sim::LEAVE_GRACE;
use super::{DropReason, HostSample, Observer, PacketKind, Simulation, Truth};

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
/// - [`PUSH_PULL_ROUNDS`] scaled push/pull periods: anti-entropy;
/// - [`RECONNECT_ROUNDS`] Serf reconnect intervals: healing mutual DEAD views;
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

/// Ground truth of a node as the checker tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    NotStarted,
    Up,
    Crashed,
    Left,
}

/// The invariant checker: an [`Observer`] (for ground truth and suspicions) plus
/// [`Checker::check_views`], called after every event.
pub struct Checker {
    n: usize,
    life: Vec<Life>,
    /// Last view per (observer, subject), `n·n`; None = unknown.
    prev: Vec<Option<(State, u32)>>,
    /// Suspicions (Suspected events) so far, and the time of the last one.
    pub suspicions: u64,
    pub last_suspicion: Option<(Nanos, NodeId, NodeId)>,
    /// The first broken safety rule.
    pub violation: Option<String>,
}

impl Checker {
    pub fn new(n: usize) -> Checker {
        Checker {
            n,
            life: vec![Life::NotStarted; n],
            prev: vec![None; n * n],
            suspicions: 0,
            last_suspicion: None,
            violation: None,
        }
    }

    fn fail(&mut self, msg: String) {
        if self.violation.is_none() {
            self.violation = Some(msg);
        }
    }

    /// Check the safety rules on every running node's view; remember the views.
    pub fn check_views(&mut self, sim: &Simulation) {
        let now = sim.now();
        let n = self.n;
        for a in 0..n {
            let row = a * n;
            let Some(node) = sim.node(a as NodeId) else {
                continue;
            };
            if !node.is_started() {
                continue;
            }
            for b in 0..n {
                let cur = node.view_of(b as NodeId);
                let prev = self.prev[row + b];
                if a == b {
                    match cur {
                        Some((State::Alive, inc)) if inc == node.incarnation() => {}
                        Some((State::Dead | State::Left, _)) if self.life[a] == Life::Left => {}
                        other => self.fail(format!(
                            "t={now}ns: node {a} holds itself {other:?} (own incarnation {}, life {:?}): a node never suspects or kills itself",
                            node.incarnation(),
                            self.life[a]
                        )),
                    }
                }
                match (prev, cur) {
                    (Some((ps, pi)), Some((cs, ci))) => {
                        if ci < pi {
                            self.fail(format!(
                                "t={now}ns: node {a} holds node {b} at incarnation {ci} after {pi} ({ps:?} -> {cs:?}): incarnations never decrease"
                            ));
                        }
                        let was_gone = matches!(ps, State::Dead | State::Left);
                        let back = matches!(cs, State::Alive | State::Suspect);
                        if was_gone && back && ci <= pi {
                            self.fail(format!(
                                "t={now}ns: node {a} moved node {b} {ps:?}@{pi} -> {cs:?}@{ci}: dead/left returns only with a higher incarnation"
                            ));
                        }
                    }
                    (Some((ps, pi)), None) if !matches!(ps, State::Dead | State::Left) => {
                        self.fail(format!(
                            "t={now}ns: node {a} forgot node {b} while holding it {ps:?}@{pi}: only dead/left members are reaped"
                        ));
                    }
                    _ => {}
                }
                self.prev[row + b] = cur;
            }
        }
    }

    /// Rule 5: every up node's periodic push/pull exchange ends within `bound`
    /// (TCPTimeout + slack) of its start, so the loop keeps running.
    pub fn check_push_pull(&mut self, sim: &Simulation, bound: Nanos) {
        let now = sim.now();
        for a in 0..self.n as NodeId {
            if self.life[a as usize] != Life::Up {
                continue;
            }
            let Some(node) = sim.node(a) else { continue };
            if let Some(running) = node.push_pull_running_for(now) {
                if running > bound {
                    self.fail(format!(
                        "t={now}ns: node {a}'s periodic push/pull has been in flight for {running}ns (bound {bound}ns): the exchange must fail at TCPTimeout and the loop go on"
                    ));
                }
            }
        }
    }

    /// Nodes whose process is up (not crashed, left or never started).
    pub fn up(&self, sim: &Simulation) -> Vec<NodeId> {
        (0..self.n as NodeId)
            .filter(|&i| self.life[i as usize] == Life::Up && sim.node(i).is_some())
            .collect()
    }

    /// Groups of up nodes that can never hear of each other again, by
    /// component of the "may contact" graph (a node holds the other ALIVE or
    /// SUSPECT, or Serf lists it as failed; see [`Node::may_contact`]), taken in
    /// both directions. Information only flows along those edges, so once two
    /// groups have none between them the split is permanent: a real
    /// non-convergence of memberlist, not a checker finding. The typical cause is
    /// a join whose push/pull to every seed failed (memberlist's `Join` returns an
    /// error and nothing retries it; Consul's `retry_join` is above memberlist and
    /// Serf and is not modelled). Returns each up node's component id.
    pub fn components(&self, sim: &Simulation) -> Vec<Option<usize>> {
        let n = self.n;
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let up: Vec<NodeId> = (0..n as NodeId)
            .filter(|&i| self.life[i as usize] == Life::Up && sim.node(i).is_some())
            .collect();
        for &a in &up {
            let node = sim.node(a).expect("up");
            for &b in &up {
                if node.may_contact(b) {
                    let (ra, rb) = (find(&mut parent, a as usize), find(&mut parent, b as usize));
                    parent[ra] = rb;
                }
            }
        }
        let mut comp = vec![None; n];
        for &a in &up {
            comp[a as usize] = Some(find(&mut parent, a as usize));
        }
        comp
    }

    /// Up nodes outside the largest "may contact" component (see
    /// [`Checker::components`]): split off for good, typically by a failed join.
    pub fn stranded(&self, sim: &Simulation) -> Vec<NodeId> {
        let comp = self.components(sim);
        let mut sizes: std::collections::BTreeMap<usize, usize> = Default::default();
        for c in comp.iter().flatten() {
            *sizes.entry(*c).or_default() += 1;
        }
        // Largest component; ties go to the lowest root for determinism.
        let main = sizes
            .iter()
            .max_by_key(|(root, size)| (**size, std::cmp::Reverse(**root)))
            .map(|(r, _)| *r);
        (0..self.n as NodeId)
            .filter(|&i| comp[i as usize].is_some() && comp[i as usize] != main)
            .collect()
    }

    /// `Ok` when every up node holds every up node of its component ALIVE and
    /// every node that is not up DEAD/LEFT or unknown (see [`Checker::components`]);
    /// otherwise the first disagreement.
    pub fn converged(&self, sim: &Simulation) -> Result<(), String> {
        let up = self.up(sim);
        let comp = self.components(sim);
        for &a in &up {
            let node = sim.node(a).expect("up nodes have a process");
            for b in 0..self.n as NodeId {
                let is_up = up.contains(&b);
                if is_up && comp[a as usize] != comp[b as usize] {
                    continue; // split for good (see `components`)
                }
                let v = node.view_of(b);
                let ok = if is_up {
                    matches!(v, Some((State::Alive, _)))
                } else {
                    matches!(v, None | Some((State::Dead | State::Left, _)))
                };
                if !ok {
                    return Err(format!(
                        "node {a} holds node {b} as {v:?} but node {b} is {:?}",
                        self.life[b as usize]
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Observer for Checker {
    fn protocol(&mut self, at: Nanos, observer: NodeId, event: &Event) {
        match event {
            Event::Suspected { subject, .. } => {
                self.suspicions += 1;
                self.last_suspicion = Some((at, observer, *subject));
            }
            // One engine step may run several work items (a host waking up runs
            // its expired timers, then its buffered packets): a probe-list wrap
            // can reap a dead member and a buffered alive message re-add it at
            // the same incarnation before the next check. That resurrection is
            // memberlist's (the 2015/2016 reap-at-wrap behaviour), so the reap
            // itself ends the member's history here.
            Event::Reaped { subject } => {
                let (o, s) = (observer as usize, *subject as usize);
                if o < self.n && s < self.n {
                    self.prev[o * self.n + s] = None;
                }
            }
            _ => {}
        }
    }

    fn truth(&mut self, _: Nanos, node: NodeId, truth: Truth) {
        let i = node as usize;
        let life = match truth {
            Truth::Up => Life::Up,
            Truth::Crashed => Life::Crashed,
            Truth::Left => Life::Left,
            Truth::Degraded(_) => return,
        };
        if matches!(life, Life::Up | Life::Crashed) {
            // A new process (or none): its views start over.
            let n = self.n;
            self.prev[i * n..(i + 1) * n].fill(None);
        }
        self.life[i] = life;
    }

    fn sent(&mut self, _: Nanos, _: NodeId, _: NodeId, _: PacketKind, _: u32) {}
    fn received(&mut self, _: Nanos, _: NodeId, _: PacketKind, _: u32) {}
    fn dropped(&mut self, _: Nanos, _: NodeId, _: NodeId, _: DropReason) {}
    fn host_sample(&mut self, _: Nanos, _: NodeId, _: HostSample) {}
}

/// What one checked run did.
#[derive(Clone, Debug)]
pub struct CheckedRun {
    pub claim: Claim,
    pub events: u64,
    pub digest: u64,
    /// Simulated time at which the run stopped.
    pub stopped_at: Nanos,
    /// When the views converged (Converge claim).
    pub converged_at: Option<Nanos>,
    pub suspicions: u64,
    /// Up nodes stranded by a failed join at the end (see [`Checker::stranded`]).
    pub stranded: usize,
}

/// Run `s` under the checker; `Err` names the first broken invariant.
/// `max_events` guards against a livelock (the run fails if it is exceeded).
pub fn run_checked(s: &Scenario, max_events: u64) -> Result<CheckedRun, String> {
    let claim = claim(s);
    let n = s.nodes.len();
    let mut sim = Simulation::new(s);
    let mut chk = Checker::new(n);
    let linger = linger(&s.protocol);
    let (deadline, settle) = match claim {
        Claim::Converge { settle_at } => (
            settle_at.saturating_add(convergence_bound(&s.protocol, n)),
            settle_window(&s.protocol, n),
        ),
        _ => (Nanos::MAX, 0),
    };
    let push_pull_bound = s.protocol.tcp_timeout.saturating_add(linger);
    let push_pull_from = match claim {
        Claim::NoSuspicion => 0,
        Claim::Converge { settle_at } => settle_at.saturating_add(linger),
        Claim::SafetyOnly => Nanos::MAX,
    };
    let mut converged_at: Option<Nanos> = None;
    let mut suspicions_at_convergence = 0;
    let mut end = s.duration;
    while sim.next_event_time().is_some_and(|t| t <= end) {
        if sim.stats().events >= max_events {
            return Err(format!(
                "t={}ns: more than {max_events} events: livelock?",
                sim.now()
            ));
        }
        sim.step(&mut chk);
        chk.check_views(&sim);
        if sim.now() >= push_pull_from {
            chk.check_push_pull(&sim, push_pull_bound);
        }
        if let Some(v) = chk.violation.take() {
            return Err(v);
        }
        let now = sim.now();
        match claim {
            Claim::NoSuspicion if chk.suspicions > 0 => {
                let (t, a, b) = chk.last_suspicion.expect("counted");
                return Err(format!(
                    "t={t}ns: node {a} suspected node {b} in a fault-free run (healthy hosts, clean network)"
                ));
            }
            Claim::Converge { settle_at } if now >= settle_at.saturating_add(linger) => {
                if converged_at.is_none() {
                    if chk.converged(&sim).is_ok() {
                        converged_at = Some(now);
                        suspicions_at_convergence = chk.suspicions;
                        end = end.min(now.saturating_add(settle));
                    } else if now > deadline {
                        let why = chk.converged(&sim).unwrap_err();
                        return Err(format!(
                            "t={now}ns: not converged {}ns after the last fault ended at {settle_at}ns (bound {}ns): {why}",
                            now - settle_at,
                            deadline - settle_at
                        ));
                    }
                } else if chk.suspicions > suspicions_at_convergence {
                    let (t, a, b) = chk.last_suspicion.expect("counted");
                    return Err(format!(
                        "t={t}ns: node {a} suspected node {b} after the cluster converged at {}ns with every fault over",
                        converged_at.unwrap_or(0)
                    ));
                }
            }
            _ => {}
        }
    }
    if let Claim::Converge { settle_at } = claim {
        if converged_at.is_none() && end >= deadline {
            let why = chk.converged(&sim).err().unwrap_or_default();
            return Err(format!(
                "t={}ns: never converged after the last fault ended at {settle_at}ns (bound {}ns): {why}",
                sim.now(),
                deadline - settle_at
            ));
        }
        if converged_at.is_some() {
            if let Err(why) = chk.converged(&sim) {
                return Err(format!(
                    "t={}ns: converged then diverged with every fault over: {why}",
                    sim.now()
                ));
            }
        }
    }
    let stats = sim.stats();
    Ok(CheckedRun {
        claim,
        events: stats.events,
        digest: stats.digest,
        stopped_at: sim.now(),
        converged_at,
        suspicions: chk.suspicions,
        stranded: chk.stranded(&sim).len(),
    })
}

/// Replay `s` without the checker for exactly `events` events and return the
/// digest: a second run must reproduce the first bit for bit.
pub fn replay_digest(s: &Scenario, events: u64) -> u64 {
    let mut sim = Simulation::new(s);
    let mut quiet = Checker::new(s.nodes.len());
    for _ in 0..events {
        if !sim.step(&mut quiet) {
            break;
        }
    }
    sim.digest()
}
