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

use crate::protocol::{Event, Nanos, NodeId, State};
use crate::scenario::Scenario;

mod claim;
pub use claim::{claim, convergence_bound, linger, settle_window, Claim};

use super::{DropReason, HostSample, Observer, PacketKind, Simulation, Truth};

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
    /// SUSPECT, or Serf lists it as failed; see [`crate::protocol::Node::may_contact`]), taken in
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
    let mut live = Liveness {
        claim,
        linger,
        deadline,
        settle,
        converged_at: None,
        suspicions_at_convergence: 0,
        end: s.duration,
    };
    while sim.next_event_time().is_some_and(|t| t <= live.end) {
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
        live.after_event(&chk, &sim)?;
    }
    live.at_end(&chk, &sim)?;
    let converged_at = live.converged_at;
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

/// The liveness claim's state while a checked run steps.
struct Liveness {
    claim: Claim,
    linger: Nanos,
    /// Converged by then, or the claim fails.
    deadline: Nanos,
    /// How long to watch after convergence.
    settle: Nanos,
    converged_at: Option<Nanos>,
    suspicions_at_convergence: u64,
    /// The run stops here (earlier once converged and watched).
    end: Nanos,
}

impl Liveness {
    fn after_event(&mut self, chk: &Checker, sim: &Simulation) -> Result<(), String> {
        let now = sim.now();
        match self.claim {
            Claim::NoSuspicion if chk.suspicions > 0 => {
                let (t, a, b) = chk.last_suspicion.expect("counted");
                Err(format!(
                    "t={t}ns: node {a} suspected node {b} in a fault-free run (healthy hosts, clean network)"
                ))
            }
            Claim::Converge { settle_at } if now >= settle_at.saturating_add(self.linger) => {
                if self.converged_at.is_none() {
                    if chk.converged(sim).is_ok() {
                        self.converged_at = Some(now);
                        self.suspicions_at_convergence = chk.suspicions;
                        self.end = self.end.min(now.saturating_add(self.settle));
                    } else if now > self.deadline {
                        let why = chk.converged(sim).unwrap_err();
                        return Err(format!(
                            "t={now}ns: not converged {}ns after the last fault ended at {settle_at}ns (bound {}ns): {why}",
                            now - settle_at,
                            self.deadline - settle_at
                        ));
                    }
                } else if chk.suspicions > self.suspicions_at_convergence {
                    let (t, a, b) = chk.last_suspicion.expect("counted");
                    return Err(format!(
                        "t={t}ns: node {a} suspected node {b} after the cluster converged at {}ns with every fault over",
                        self.converged_at.unwrap_or(0)
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn at_end(&self, chk: &Checker, sim: &Simulation) -> Result<(), String> {
        let Claim::Converge { settle_at } = self.claim else {
            return Ok(());
        };
        if self.converged_at.is_none() && self.end >= self.deadline {
            let why = chk.converged(sim).err().unwrap_or_default();
            return Err(format!(
                "t={}ns: never converged after the last fault ended at {settle_at}ns (bound {}ns): {why}",
                sim.now(),
                self.deadline - settle_at
            ));
        }
        if self.converged_at.is_some() {
            if let Err(why) = chk.converged(sim) {
                return Err(format!(
                    "t={}ns: converged then diverged with every fault over: {why}",
                    sim.now()
                ));
            }
        }
        Ok(())
    }
}

/// Replay `s` without the checker for exactly `events` events and return the
/// digest: a second run must reproduce the first bit for bit.
pub fn replay_digest(s: &Scenario, events: u64) -> u64 {
    let mut sim = Simulation::new(s);
    let mut quiet = Checker::new(s.nodes.len());
    // Counted as `RunStats::events` counts (a superseded timer dropped unrun
    // is a step but not an event), so the replay stops where the run did.
    while sim.stats().events < events {
        if !sim.step(&mut quiet) {
            break;
        }
    }
    sim.digest()
}
