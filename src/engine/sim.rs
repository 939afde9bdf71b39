//! The run loop: protocol nodes on simulated hosts over the simulated network.
//!
//! One event queue ([`EventQueue`]) drives everything; the host model decides when
//! each node's work runs, the network model when (and whether) packets arrive.
//! A work item's protocol call sees `now` = its start; the packets it sends leave
//! at its finish (start + CPU cost, stretched by parked time).
//!
//! Modelling choices made here (model.md is silent):
//! - `start_converged`, `start_join` and `leave` are called directly at their
//!   instant, not as host work items (they are not message handling).
//! - A restarted (or re-joined) process calls `start_join` with the scenario's join
//!   seeds that are up, or else the 3 lowest-id up nodes.
//! - Leave: `Truth::Left` at the leave call; the process keeps running until its
//!   leave broadcast is fully transmitted ([`Node::leave_finished`], polled every
//!   gossip interval) or [`LEAVE_GRACE`] passed, whichever comes first, then stops.
//! - Restart of a running node replaces the process at once (stop/start): only
//!   `Truth::Up` is reported.
//! - `Truth::Degraded`: which nodes a fault touches is decided by
//!   [`crate::scenario::degraded`]; the engine reports the flips when they happen.
//! - Sending costs no CPU; only handling does.

use std::sync::Arc;

use crate::host::{Host, HostInput, HostOutput, HostTimer, Local, Next, Work};
use crate::network::Network;
use crate::protocol::{
    Body, Broadcast, Config, Input, Nanos, Node, NodeId, Packet, Roster, Runtime, Timer, SEC,
};
use crate::random::{Stream, StreamId};
use crate::scenario::degraded::Degraded;
use crate::scenario::fault::FaultEvent;
use crate::scenario::{HostDefaults, Scenario, StartMode, TimelineEvent};

use super::digest::Digest;

mod faults;
mod route;
use super::queue::EventQueue;
use super::{DropReason, HostSample, Observer, PacketKind, Truth};

/// What a run did, for the CLI and for comparing runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStats {
    /// Events popped from the queue.
    pub events: u64,
    /// Simulated time covered (ns).
    pub simulated: Nanos,
    /// Packets handed to the network (including lost ones and duplicates' originals).
    pub packets: u64,
    /// Digest of the event log (protocol events and truth changes).
    pub digest: u64,
    /// Work charged to the event budget beyond one unit per event (host
    /// schedule steps, samples, link rules examined, message parts and
    /// push/pull entries handled).
    pub work: u64,
}

impl RunStats {
    /// The digest as 16 hex digits, as printed in summaries.
    pub fn digest_hex(&self) -> String {
        format!("{:016x}", self.digest)
    }
}

/// A run stopped because it needed more events than allowed
/// ([`Simulation::run_budgeted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventBudgetExceeded {
    pub max_events: u64,
    /// Simulated time reached when the budget ran out.
    pub at: Nanos,
}

/// Why [`Simulation::run_limited`] stopped before the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The event budget (events plus the work they caused) ran out.
    Budget(EventBudgetExceeded),
    /// The stop flag was raised (SIGINT/SIGTERM).
    Interrupted { at: Nanos },
    /// A host-schedule walk gave up (see `host::schedule::MAX_WALK`): any number
    /// computed from it would be wrong, so the run fails instead.
    Truncated { node: NodeId, at: Nanos },
}

/// The longest a leaving process lives after `leave` (see module docs).
pub const LEAVE_GRACE: Nanos = 5 * SEC;

/// Packet kind for load accounting.
pub fn packet_kind(p: &Packet) -> PacketKind {
    match p.body {
        Body::Gossip => PacketKind::Gossip,
        Body::Ping { .. } => PacketKind::Ping,
        Body::IndirectPing { .. } => PacketKind::IndirectPing,
        Body::Ack { .. } => PacketKind::Ack,
        Body::Nack { .. } => PacketKind::Nack,
        Body::PushPull { .. } => PacketKind::PushPull,
    }
}

#[derive(Debug)]
enum Ev {
    /// Ground truth at t = 0 and the start of a converged cluster.
    Init,
    /// Node starts in `start: join` mode.
    StartJoin(NodeId),
    Timer {
        node: NodeId,
        epoch: u32,
        timer: Timer,
    },
    /// A packet reaches the destination host (network arrival).
    Arrive {
        packet: Packet,
    },
    /// A starved packet finally reaches the host's queue.
    Deliver {
        packet: Packet,
    },
    /// The network's next deadline (an exchange may have failed).
    NetWake,
    /// A TCP exchange failed; back to its initiator.
    SendFailed {
        packet: Packet,
        epoch: u32,
    },
    /// The host may be able to run pending work.
    Wake(NodeId),
    Action(u32),
    /// A host fault window opens (`true`) or closes.
    FaultEdge {
        fault: u32,
        begin: bool,
    },
    /// A host's own timer came due.
    HostTimer {
        node: NodeId,
        timer: HostTimer,
    },
    LeaveStop {
        node: NodeId,
        epoch: u32,
        deadline: Nanos,
    },
    /// A fault's own event ([`crate::scenario::fault::FaultEvent`]).
    Fault(FaultEvent),
    Sample,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    NotStarted,
    Up,
    Leaving,
    Crashed,
    Left,
}

/// One node's process slot.
struct Proc {
    node: Option<Node>,
    rng: Stream,
    life: Life,
    /// Bumped whenever the process stops or is replaced: stale timers are dropped.
    epoch: u32,
    /// Protocol stream generation (restarts get fresh randomness).
    generation: u32,
    started_once: bool,
}

/// Everything except the processes, so a node can be driven while the world is
/// borrowed mutably.
struct World {
    now: Nanos,
    seed: u64,
    queue: EventQueue<Ev>,
    hosts: Vec<Host>,
    net: Network,
    config: Arc<Config>,
    costs: HostDefaults,
    digest: Digest,
    /// Which nodes count as degraded ([`Degraded`]).
    degraded: Degraded,
    /// Process running (can receive): Up or Leaving.
    up: Vec<bool>,
    epochs: Vec<u32>,
    parts_pool: Vec<Vec<Broadcast>>,
    packets: u64,
    events: u64,
    /// Work beyond one unit per event (host-schedule steps, samples, link rules
    /// examined), charged to the event budget with `events`.
    work: u64,
    /// The first host whose schedule walk was truncated, and when.
    truncated: Option<(NodeId, Nanos)>,
    /// When an [`Ev::NetWake`] is pending (`Nanos::MAX`: none).
    net_wake: Nanos,
}

const POOL_MAX: usize = 4096;

/// Keep a packet's parts buffer for reuse (bounded by [`POOL_MAX`]).
fn recycle(pool: &mut Vec<Vec<Broadcast>>, mut parts: Vec<Broadcast>) {
    if pool.len() < POOL_MAX && parts.capacity() > 0 {
        parts.clear();
        pool.push(parts);
    }
}
/// `StreamId::Misc` tag of the staggered converged start's common ticker phase.
const STAGGER_STREAM: u32 = 0x57A6;

impl World {
    fn recycle(&mut self, parts: Vec<Broadcast>) {
        recycle(&mut self.parts_pool, parts);
    }

    fn truth(&mut self, obs: &mut impl Observer, node: NodeId, t: Truth) {
        self.digest.truth(self.now, node, t);
        obs.truth(self.now, node, t);
    }

    fn degrade(&mut self, obs: &mut impl Observer, node: NodeId, on: bool) {
        if let Some(state) = self.degraded.touch(node, on) {
            self.truth(obs, node, Truth::Degraded(state));
        }
    }

    /// Charge host `node`'s schedule work to the budget; note a truncated walk.
    fn charge_host(&mut self, node: NodeId) {
        let (steps, truncated) = self.hosts[node as usize].take_steps();
        self.work += steps;
        if truncated && self.truncated.is_none() {
            self.truncated = Some((node, self.now));
        }
    }

    /// Apply what host `node` asked for: queue its timers, report its cap.
    fn host_outputs(&mut self, obs: &mut impl Observer, node: NodeId, outs: &[HostOutput]) {
        for &o in outs {
            match o {
                HostOutput::At(at, timer) => self.queue.push(at, Ev::HostTimer { node, timer }),
                HostOutput::Throttled(on) => self.degrade(obs, node, on),
            }
        }
    }

    /// One input to host `node` at `now`.
    fn host_input(&mut self, obs: &mut impl Observer, node: NodeId, input: HostInput) {
        let mut outs = Vec::new();
        self.hosts[node as usize].handle(self.now, input, &mut outs);
        self.host_outputs(obs, node, &outs);
    }

    /// Look again, one gossip interval from `now` (never past `deadline`), whether
    /// a leaving process has finished broadcasting its leave.
    fn schedule_leave_stop(&mut self, now: Nanos, node: NodeId, epoch: u32, deadline: Nanos) {
        let next = (now + self.config.gossip_interval.max(1)).min(deadline);
        self.queue.push(
            next,
            Ev::LeaveStop {
                node,
                epoch,
                deadline,
            },
        );
    }
}

/// The protocol's view of the world while one node is driven.
struct Rt<'a, O: Observer> {
    w: &'a mut World,
    obs: &'a mut O,
    rng: &'a mut Stream,
    id: NodeId,
    epoch: u32,
    now: Nanos,
    depart: Nanos,
}

impl<O: Observer> Runtime for Rt<'_, O> {
    fn send(&mut self, packet: Packet) {
        self.w.send(self.obs, self.depart, packet);
    }

    fn set_timer(&mut self, at: Nanos, timer: Timer) {
        // Ticker wake-up latency (scenario `host.ticker_jitter`), from the
        // process's own stream; a fixed 0 draws nothing.
        let at = match timer {
            Timer::ProbeTick | Timer::GossipTick => {
                at.saturating_add(self.w.costs.ticker_jitter.sample(self.rng))
            }
            _ => at,
        };
        let ev = Ev::Timer {
            node: self.id,
            epoch: self.epoch,
            timer,
        };
        self.w.queue.push(at.max(self.now), ev);
    }

    fn notify(&mut self, event: crate::protocol::Event) {
        self.w.digest.event(self.now, self.id, &event);
        self.obs.protocol(self.now, self.id, &event);
    }

    fn rng(&mut self) -> &mut Stream {
        self.rng
    }

    fn parts_buffer(&mut self) -> Vec<Broadcast> {
        self.w.parts_pool.pop().unwrap_or_default()
    }
}

/// A whole simulated cluster, ready to run.
pub struct Simulation {
    procs: Vec<Proc>,
    w: World,
    roster: Arc<Roster>,
    duration: Nanos,
    bin: Nanos,
    timeline: Vec<TimelineEvent>,
    /// Nodes of each host fault (for its degraded edges).
    faults: Vec<Vec<NodeId>>,
    join_seeds: Vec<NodeId>,
    starting: Vec<NodeId>,
    cpu_nodes: Vec<NodeId>,
    converged: bool,
    /// `start: {mode: converged, stagger}`: (random base, stagger) of the tickers.
    staggered: Option<(Nanos, Nanos)>,
    /// Nodes degraded from t = 0 by link rules.
    rule_touch: Vec<NodeId>,
}

impl Simulation {
    pub fn new(scenario: &Scenario) -> Simulation {
        let n = scenario.nodes.len();
        let seed = scenario.seed;
        let config = Arc::new(scenario.protocol.clone());
        let roster = Arc::new(Roster {
            names: scenario.nodes.iter().map(|s| s.name.clone()).collect(),
            meta_len: scenario.nodes.iter().map(|s| s.meta_len).collect(),
        });
        let zones: Vec<&str> = scenario.nodes.iter().map(|s| s.zone.as_str()).collect();
        let net =
            Network::new(&scenario.network, &zones, seed).with_tcp_timeout(config.tcp_timeout);
        let mut hosts: Vec<Host> = (0..n)
            .map(|_| Host::new(scenario.host.recv_buffer_bytes))
            .collect();
        let mut queue = EventQueue::new();
        queue.push(0, Ev::Init);

        let faults = faults::install(scenario, &mut hosts, &mut queue);

        let cpu_nodes: Vec<NodeId> = (0..n as u32)
            .filter(|&i| hosts[i as usize].has_cpu_model())
            .collect();
        let bin = scenario.timeseries_bin;
        if bin > 0 && !cpu_nodes.is_empty() {
            queue.push(bin, Ev::Sample);
        }

        let starting: Vec<NodeId> = (0..n as u32)
            .filter(|&i| scenario.nodes[i as usize].starts)
            .collect();
        let (converged, join_seeds) = match &scenario.start {
            StartMode::Converged | StartMode::ConvergedStaggered { .. } => (true, Vec::new()),
            StartMode::Join { seeds, stagger } => {
                for (k, &i) in starting.iter().enumerate() {
                    queue.push((k as Nanos).saturating_mul(*stagger), Ev::StartJoin(i));
                }
                (false, seeds.clone())
            }
        };

        let rule_touch = Degraded::link_rule_nodes(&scenario.network);

        let procs = (0..n as u32)
            .map(|i| Proc {
                node: None,
                rng: Stream::new(
                    seed,
                    StreamId::Protocol {
                        node: i,
                        generation: 0,
                    },
                ),
                life: Life::NotStarted,
                epoch: 0,
                generation: 0,
                started_once: false,
            })
            .collect();

        Simulation {
            procs,
            w: World {
                now: 0,
                seed,
                queue,
                hosts,
                net,
                config,
                costs: scenario.host.clone(),
                digest: Digest::default(),
                degraded: Degraded::new(n),
                up: vec![false; n],
                epochs: vec![0; n],
                parts_pool: Vec::new(),
                packets: 0,
                events: 0,
                work: 0,
                truncated: None,
                net_wake: Nanos::MAX,
            },
            roster,
            duration: scenario.duration,
            bin,
            timeline: scenario.timeline.clone(),
            faults,
            join_seeds,
            starting,
            cpu_nodes,
            converged,
            staggered: match scenario.start {
                StartMode::ConvergedStaggered { stagger } => {
                    let mut s = Stream::new(scenario.seed, StreamId::Misc(STAGGER_STREAM));
                    Some((s.duration_below(scenario.protocol.probe_interval), stagger))
                }
                _ => None,
            },
            rule_touch,
        }
    }

    /// Current virtual time.
    pub fn now(&self) -> Nanos {
        self.w.now
    }

    /// Digest of the event log so far.
    pub fn digest(&self) -> u64 {
        self.w.digest.value()
    }

    /// The protocol node `id`, if its process is running.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.procs.get(id as usize).and_then(|p| p.node.as_ref())
    }

    pub fn stats(&self) -> RunStats {
        RunStats {
            events: self.w.events,
            simulated: self.w.now,
            packets: self.w.packets,
            digest: self.w.digest.value(),
            work: self.w.work,
        }
    }

    /// Run to the scenario's duration.
    pub fn run(
        &mut self,
        observer: &mut impl Observer,
        progress: &mut dyn FnMut(Nanos),
    ) -> RunStats {
        match self.run_budgeted(observer, progress, u64::MAX) {
            Ok(stats) => stats,
            // A u64 event count cannot be reached; only a truncated host-schedule walk can stop an unlimited run;
            // trusted callers (tests, examples) never build one, and the CLI
            // uses `run_limited`.
            Err(e) => panic!(
                "run stopped by a truncated host-schedule walk at {}ns",
                e.at
            ),
        }
    }

    /// [`Simulation::run`] with an event budget: untrusted scenarios must not run
    /// forever (or for a day). Stops with [`EventBudgetExceeded`] once the events
    /// popped plus the work they caused reach `max_events`; nothing partial
    /// should be reported then.
    pub fn run_budgeted(
        &mut self,
        observer: &mut impl Observer,
        progress: &mut dyn FnMut(Nanos),
        max_events: u64,
    ) -> Result<RunStats, EventBudgetExceeded> {
        let never = std::sync::atomic::AtomicBool::new(false);
        match self.run_limited(observer, progress, max_events, &never) {
            Ok(stats) => Ok(stats),
            Err(Stopped::Budget(e)) => Err(e),
            // This signature predates the other reasons: a truncated walk is
            // reported as over budget (never a partial result, never a panic);
            // `run_limited` says precisely why.
            Err(Stopped::Truncated { at, .. } | Stopped::Interrupted { at }) => {
                Err(EventBudgetExceeded { max_events, at })
            }
        }
    }

    /// [`Simulation::run_budgeted`] that also stops when `stop` is raised, and
    /// fails when a host-schedule walk was truncated ([`Stopped`]).
    pub fn run_limited(
        &mut self,
        observer: &mut impl Observer,
        progress: &mut dyn FnMut(Nanos),
        max_events: u64,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<RunStats, Stopped> {
        let mut next_progress = SEC;
        while let Some(t) = self.w.queue.peek_time() {
            if t > self.duration {
                break;
            }
            if self.w.events.saturating_add(self.w.work) >= max_events {
                return Err(Stopped::Budget(EventBudgetExceeded {
                    max_events,
                    at: self.w.now,
                }));
            }
            if let Some((node, at)) = self.w.truncated {
                return Err(Stopped::Truncated { node, at });
            }
            // Every event: one relaxed load, and a stop is never delayed by
            // events that do much work each.
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Stopped::Interrupted { at: self.w.now });
            }
            if t >= next_progress {
                progress(t);
                next_progress = (t / SEC + 1) * SEC;
            }
            self.step(observer);
        }
        if let Some((node, at)) = self.w.truncated {
            return Err(Stopped::Truncated { node, at });
        }
        self.w.now = self.w.now.max(self.duration);
        progress(self.w.now);
        Ok(self.stats())
    }

    /// Time of the next queued event (None when the queue is empty), so a caller
    /// stepping by hand (the invariant checker) can stop at a deadline.
    pub fn next_event_time(&self) -> Option<Nanos> {
        self.w.queue.peek_time()
    }

    /// Process every event due at or before `t`; time then reads `t`.
    pub fn run_until(&mut self, t: Nanos, observer: &mut impl Observer) {
        while self.w.queue.peek_time().is_some_and(|x| x <= t) {
            self.step(observer);
        }
        self.w.now = self.w.now.max(t);
    }

    /// Process one event; false when the queue is empty.
    pub fn step(&mut self, obs: &mut impl Observer) -> bool {
        let Some((t, ev)) = self.w.queue.pop() else {
            return false;
        };
        debug_assert!(t >= self.w.now, "BUG! time went backwards");
        self.w.now = t;
        self.w.events += 1;
        match ev {
            Ev::Init => self.init(obs),
            Ev::StartJoin(node) => {
                let seeds: Vec<NodeId> = self
                    .join_seeds
                    .iter()
                    .copied()
                    .filter(|&s| s != node)
                    .collect();
                self.start_process(obs, node, Some(&seeds));
            }
            Ev::Timer { node, epoch, timer } => {
                if self.w.epochs[node as usize] == epoch && self.w.up[node as usize] {
                    self.w.hosts[node as usize].push_local(Local::Timer(timer));
                    self.pump(obs, node);
                }
            }
            Ev::Arrive { packet } => self.arrive(obs, packet),
            Ev::Deliver { packet } => self.enqueue_packet(obs, packet),
            Ev::NetWake => self.w.net_wake(obs),
            Ev::SendFailed { packet, epoch } => {
                let node = packet.from;
                if self.w.epochs[node as usize] == epoch && self.w.up[node as usize] {
                    self.w.hosts[node as usize].push_local(Local::SendFailed(packet));
                    self.pump(obs, node);
                }
            }
            Ev::Wake(node) => {
                self.w.hosts[node as usize].woke(t);
                if self.w.up[node as usize] {
                    self.pump(obs, node);
                }
            }
            Ev::Action(i) => self.action(obs, i as usize),
            Ev::FaultEdge { fault, begin } => {
                let nodes = self.faults[fault as usize].clone();
                for node in nodes {
                    self.w.degrade(obs, node, begin);
                }
            }
            Ev::HostTimer { node, timer } => self.w.host_input(obs, node, HostInput::Timer(timer)),
            Ev::LeaveStop {
                node,
                epoch,
                deadline,
            } => {
                let p = &mut self.procs[node as usize];
                if p.epoch == epoch && p.life == Life::Leaving {
                    let done = p.node.as_ref().is_none_or(|n| n.leave_finished());
                    if done || t >= deadline {
                        p.life = Life::Left;
                        self.stop_process(node);
                    } else {
                        self.w.schedule_leave_stop(t, node, epoch, deadline);
                    }
                }
            }
            Ev::Fault(event) => self.fault_event(obs, event),
            Ev::Sample => self.sample(obs),
        }
        true
    }

    fn init(&mut self, obs: &mut impl Observer) {
        // Static link rules degrade their smaller side from the start.
        let rules = self.timeline_free_rules();
        for node in rules {
            self.w.degrade(obs, node, true);
        }
        if self.converged {
            let members = self.starting.clone();
            for &id in &members {
                self.w.truth(obs, id, Truth::Up);
            }
            for &id in &members {
                let p = &mut self.procs[id as usize];
                p.node = Some(Node::new(id, self.w.config.clone(), self.roster.clone()));
                p.life = Life::Up;
                p.started_once = true;
                self.w.up[id as usize] = true;
            }
            for (k, &id) in members.iter().enumerate() {
                let now = self.w.now;
                let created = self
                    .staggered
                    .map(|(base, stagger)| base + (k as Nanos).saturating_mul(stagger));
                self.drive(obs, id, now, |node, now, rt| match created {
                    Some(offset) => node.start_converged_phased(now, &members, offset, rt),
                    None => node.start_converged(now, &members, rt),
                });
            }
        }
    }

    /// Nodes touched by static link rules (see module docs), sorted, unique.
    fn timeline_free_rules(&self) -> Vec<NodeId> {
        self.rule_touch.clone()
    }

    /// Call the protocol of `id` with a runtime whose sends leave at `depart`.
    fn drive_at<O: Observer>(
        &mut self,
        obs: &mut O,
        id: NodeId,
        depart: Nanos,
        f: impl FnOnce(&mut Node, Nanos, &mut Rt<'_, O>),
    ) {
        let now = self.w.now;
        let p = &mut self.procs[id as usize];
        let Some(node) = p.node.as_mut() else {
            return;
        };
        let mut rt = Rt {
            w: &mut self.w,
            obs,
            rng: &mut p.rng,
            id,
            epoch: p.epoch,
            now,
            depart,
        };
        f(node, now, &mut rt);
    }

    fn drive<O: Observer>(
        &mut self,
        obs: &mut O,
        id: NodeId,
        now: Nanos,
        f: impl FnOnce(&mut Node, Nanos, &mut Rt<'_, O>),
    ) {
        self.drive_at(obs, id, now, f);
    }

    /// Run whatever the host of `node` can run now.
    fn pump(&mut self, obs: &mut impl Observer, node: NodeId) {
        let now = self.w.now;
        loop {
            let next = self.w.hosts[node as usize].next(now);
            self.w.charge_host(node);
            match next {
                Next::Idle => return,
                Next::WakeAt(t) => {
                    if t != Nanos::MAX && self.w.hosts[node as usize].want_wake(t) {
                        self.w.queue.push(t, Ev::Wake(node));
                    }
                    return;
                }
                Next::Start(work) => self.execute(obs, node, work),
            }
        }
    }

    fn execute(&mut self, obs: &mut impl Observer, node: NodeId, work: Work) {
        let now = self.w.now;
        let c = &self.w.costs;
        let default = match &work {
            Work::Local(_) => c.timer_cost,
            Work::Packet(p) => {
                let entries = match &p.body {
                    Body::PushPull { state, .. } => state.len() as Nanos,
                    _ => 0,
                };
                // Handling cost grows with the parts and entries merged: the
                // budget charges them so it tracks CPU at any cluster size.
                self.w.work += p.parts.len() as u64 + entries;
                c.packet_cost
                    + c.per_part_cost * p.parts.len() as Nanos
                    + c.push_pull_entry_cost * entries
            }
        };
        let host = &mut self.w.hosts[node as usize];
        let cost = host.cost(now, default);
        let mut outs = Vec::new();
        let finish = host.begin(now, cost, &mut outs);
        self.w.charge_host(node);
        self.w.host_outputs(obs, node, &outs);
        match work {
            Work::Local(Local::Timer(timer)) => {
                self.drive_at(obs, node, finish, |n, now, rt| {
                    n.handle(now, Input::Timer(timer), rt)
                });
            }
            Work::Local(Local::SendFailed(packet)) => {
                self.drive_at(obs, node, finish, |n, now, rt| {
                    n.handle(now, Input::SendFailed(&packet), rt)
                });
                self.w.recycle(packet.parts);
            }
            Work::Packet(packet) => {
                obs.received(now, node, packet_kind(&packet), packet.bytes);
                self.drive_at(obs, node, finish, |n, now, rt| {
                    n.handle(now, Input::Packet(&packet), rt)
                });
                self.w.recycle(packet.parts);
            }
        }
    }

    fn arrive(&mut self, obs: &mut impl Observer, packet: Packet) {
        let now = self.w.now;
        let to = packet.to;
        if !self.w.accept(obs, &packet) {
            self.w.recycle(packet.parts);
            return;
        }
        if let Some(at) = self.w.hosts[to as usize].starve_until(now) {
            if at > now {
                self.w.queue.push(at, Ev::Deliver { packet });
                return;
            }
        }
        self.enqueue_packet(obs, packet);
    }

    fn enqueue_packet(&mut self, obs: &mut impl Observer, packet: Packet) {
        let to = packet.to;
        if !self.w.up[to as usize] {
            obs.dropped(self.w.now, packet.from, to, DropReason::PeerDown);
            self.w.recycle(packet.parts);
            return;
        }
        match self.w.hosts[to as usize].push_packet(packet) {
            Ok(()) => self.pump(obs, to),
            Err(p) => {
                obs.dropped(self.w.now, p.from, to, DropReason::ReceiveBufferFull);
                self.w.recycle(p.parts);
            }
        }
    }

    /// Seeds for a (re)joining node: the scenario's join seeds that are up, else
    /// the three lowest-id up nodes.
    fn seeds_for(&self, node: NodeId) -> Vec<NodeId> {
        let up = |&s: &NodeId| s != node && self.w.up.get(s as usize).copied().unwrap_or(false);
        let seeds: Vec<NodeId> = self.join_seeds.iter().copied().filter(up).collect();
        if !seeds.is_empty() {
            return seeds;
        }
        (0..self.procs.len() as NodeId).filter(up).take(3).collect()
    }

    /// Start a fresh process on `node` and join (`seeds` None = pick them now).
    fn start_process(&mut self, obs: &mut impl Observer, node: NodeId, seeds: Option<&[NodeId]>) {
        let now = self.w.now;
        let seed = self.w.seed;
        let seeds = match seeds {
            Some(s) => s.to_vec(),
            None => self.seeds_for(node),
        };
        let p = &mut self.procs[node as usize];
        if p.started_once {
            p.generation += 1;
            p.rng = Stream::new(
                seed,
                StreamId::Protocol {
                    node,
                    generation: p.generation,
                },
            );
        }
        p.started_once = true;
        p.epoch = p.epoch.wrapping_add(1);
        p.life = Life::Up;
        p.node = Some(Node::new(node, self.w.config.clone(), self.roster.clone()));
        self.w.epochs[node as usize] = p.epoch;
        self.w.up[node as usize] = true;
        self.w.hosts[node as usize].reset(now);
        self.w.truth(obs, node, Truth::Up);
        self.drive(obs, node, now, |n, now, rt| n.start_join(now, &seeds, rt));
    }

    /// The process of `node` is gone: drop it and its pending work.
    fn stop_process(&mut self, node: NodeId) {
        let now = self.w.now;
        let p = &mut self.procs[node as usize];
        p.node = None;
        p.epoch = p.epoch.wrapping_add(1);
        self.w.epochs[node as usize] = p.epoch;
        self.w.up[node as usize] = false;
        self.w.hosts[node as usize].reset(now);
    }

    fn sample(&mut self, obs: &mut impl Observer) {
        let now = self.w.now;
        let bin = self.bin;
        let from = now.saturating_sub(bin);
        for &node in &self.cpu_nodes {
            let (credits, parked) = self.w.hosts[node as usize].sample(now, from);
            // One unit per sampled host, plus the walk.
            self.w.work += 1;
            self.w.charge_host(node);
            let health_score = self.procs[node as usize]
                .node
                .as_ref()
                .map(|n| n.health_score())
                .unwrap_or(0);
            obs.host_sample(
                now,
                node,
                HostSample {
                    credits,
                    parked_fraction: parked as f64 / bin as f64,
                    health_score,
                },
            );
        }
        self.w.queue.push(now + bin, Ev::Sample);
    }
}
