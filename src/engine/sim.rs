//! The scheduler: protocol nodes on simulated hosts over the simulated network.
//!
//! This file pops the one queue and routes each event to the part that owns it:
//! - `world`: hosts, network, queue and digest, and the protocol's runtime;
//! - `procs`: process lifecycle (start converged or joining, leave, stop);
//! - `work`: packets and timers becoming host work items, and running them;
//! - `route`: the engine's side of the network state machine;
//! - `build` and `run`: building a simulation, and running one to its end;
//! - `faults`: the contexts fault kinds install and apply themselves through;
//! - `ahead`: asking for the next event's cache lines while this one runs;
//! - `mix`: how many events of each kind a run handled.
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
//! - `Truth::Degraded`: which nodes a fault touches is decided by each fault
//!   kind ([`crate::scenario::fault`]); the engine reports the flips when they
//!   happen.
//! - Sending costs no CPU; only handling does.

use std::sync::Arc;

use crate::host::{HandlerStage, Host, HostInput, HostTimer, Local};
use crate::network::Network;
use crate::protocol::{Body, Nanos, Node, NodeId, Packet, Roster, Timer, SEC};
use crate::random::{Stream, StreamId};
use crate::scenario::degraded::Degraded;
use crate::scenario::fault::FaultEvent;
use crate::scenario::{Scenario, TimelineEvent};

mod ahead;
mod build;
mod faults;
mod mix;
mod procs;
mod route;
mod run;
#[cfg(test)]
mod same_run;
mod sweep;
mod work;
mod world;

use super::queue::EventQueue;
use super::{Observer, PacketKind, Truth};
use procs::{Life, Proc};
use world::World;

pub use mix::{EventKind, EventMix};
pub use run::{EventBudgetExceeded, RunStats, Stopped};

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
    /// A packet reaches the destination host (network arrival). Packets are
    /// boxed so every event stays 24 bytes: a sick cluster queues millions of
    /// timers, each as large as the largest event.
    Arrive {
        packet: Box<Packet>,
    },
    /// A starved packet finally reaches the host's queue.
    Deliver {
        packet: Box<Packet>,
    },
    /// The network's next deadline (an exchange may have failed).
    NetWake,
    /// A TCP exchange failed; back to its initiator.
    SendFailed {
        packet: Box<Packet>,
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

// Every queued event pays for the largest variant (see `Ev::Arrive`).
const _: () = assert!(std::mem::size_of::<Ev>() <= 24);

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
    /// `start: {mode: converged, stagger, uptime}`.
    staggered: Option<build::Staggered>,
    /// Nodes degraded from t = 0 by link rules.
    rule_touch: Vec<NodeId>,
    /// Event count at which [`sweep`] next looks for dead timers.
    next_sweep_check: u64,
    /// The fewest queued events at which the next event is warmed
    /// ([`ahead`]); tests set it to warm every event or none.
    warm_from: usize,
    /// Events warmed one ahead (test builds only).
    #[cfg(test)]
    warmed: std::cell::Cell<u64>,
}

impl Simulation {
    pub fn new(scenario: &Scenario) -> Simulation {
        let n = scenario.nodes.len();
        let seed = scenario.seed;
        let config = Arc::new(scenario.protocol.clone());
        let roster = build::roster(scenario);
        let zones: Vec<&str> = scenario.nodes.iter().map(|s| s.zone.as_str()).collect();
        let net =
            Network::new(&scenario.network, &zones, seed).with_tcp_timeout(config.tcp_timeout);
        let mut hosts: Vec<Host> = (0..n as u32)
            .map(|i| {
                let mut host = Host::new(scenario.host.recv_buffer_bytes);
                let stream = Stream::new(seed, StreamId::Handler(i));
                host.install_handler(HandlerStage::new(scenario.host.other_core_idle, stream));
                host
            })
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

        let start = build::StartPlan::new(scenario, &mut queue);
        Simulation {
            procs: (0..n as u32).map(|i| Proc::fresh(i, seed)).collect(),
            w: World::new(scenario, queue, hosts, net, config),
            roster,
            duration: scenario.duration,
            bin,
            timeline: scenario.timeline.clone(),
            faults,
            join_seeds: start.join_seeds,
            starting: start.starting,
            cpu_nodes,
            converged: start.converged,
            staggered: build::staggered(scenario),
            rule_touch: Degraded::link_rule_nodes(&scenario.network),
            next_sweep_check: 0,
            warm_from: ahead::WARM_FROM_PENDING,
            #[cfg(test)]
            warmed: std::cell::Cell::new(0),
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
            mix: self.w.mix,
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
        self.w.mix.count(EventKind::of(&ev));
        // Before this event runs, so the next one's misses overlap with it.
        self.warm_next();
        match ev {
            Ev::Init => self.init(obs),
            Ev::StartJoin(node) => self.start_join(obs, node),
            Ev::Timer { node, epoch, timer } => self.local(obs, node, epoch, Local::Timer(timer)),
            Ev::Arrive { packet } => self.arrive(obs, packet),
            Ev::Deliver { packet } => {
                let packet = self.w.packet_boxes.unbox(packet);
                self.enqueue_packet(obs, packet)
            }
            Ev::NetWake => self.w.net_wake(obs),
            Ev::SendFailed { packet, epoch } => {
                let packet = self.w.packet_boxes.unbox(packet);
                self.local(obs, packet.from, epoch, Local::SendFailed(packet))
            }
            Ev::Wake(node) => self.wake(obs, node),
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
            } => self.leave_stop(node, epoch, deadline),
            Ev::Fault(event) => self.fault_event(obs, event),
            Ev::Sample => self.sample(obs),
        }
        self.maybe_sweep();
        true
    }
}
