//! The engine's side of the fault kinds ([`crate::scenario::fault`]): it
//! implements their narrow contexts ([`BuildEnv`] while the simulation is
//! built, [`RunEnv`] while it runs) and the process lifecycle steps verbs ask
//! for. Nothing here knows a fault kind: adding one never touches the engine.

use crate::host::{Host, HostInput, HostOutput};
use crate::network::Network;
use crate::protocol::{Nanos, NodeId, Packet};
use crate::random::{Stream, StreamId};
use crate::scenario::fault::{BuildEnv, DegradedWindow, FaultEvent, Lifecycle, RunEnv, Window};
use crate::scenario::Scenario;

use super::{Ev, EventQueue, Life, Observer, Simulation, Truth, LEAVE_GRACE};

/// The world as faults see it while the simulation is built.
struct Build<'a> {
    hosts: &'a mut [Host],
    queue: &'a mut EventQueue<Ev>,
}

impl BuildEnv for Build<'_> {
    fn host(&mut self, node: NodeId) -> Option<&mut Host> {
        self.hosts.get_mut(node as usize)
    }

    fn host_outputs(&mut self, node: NodeId, outs: Vec<HostOutput>) {
        for o in outs {
            if let HostOutput::At(at, timer) = o {
                self.queue.push(at, Ev::HostTimer { node, timer });
            }
        }
    }
}

/// Install the host faults and prepare the timeline: each fault on each of
/// its nodes with its own stream, its degraded edges, then one
/// [`Ev::Action`] per timeline entry. Returns the nodes of each fault (for
/// its degraded edges).
pub(super) fn install(
    scenario: &Scenario,
    hosts: &mut [Host],
    queue: &mut EventQueue<Ev>,
) -> Vec<Vec<NodeId>> {
    let mut env = Build { hosts, queue };
    let mut faults = Vec::with_capacity(scenario.faults.len());
    for (fi, f) in scenario.faults.iter().enumerate() {
        let window = Window {
            from: f.from,
            until: f.until.unwrap_or(Nanos::MAX),
        };
        faults.push(f.nodes.clone());
        for &node in &f.nodes {
            if env.hosts.get(node as usize).is_none() {
                continue;
            }
            let id = StreamId::Fault {
                fault: f.index,
                node,
            };
            f.kind
                .install(window, node, Stream::new(scenario.seed, id), &mut env);
        }
        if f.kind.degraded() == DegradedWindow::Whole {
            let fault = fi as u32;
            env.queue.push(f.from, Ev::FaultEdge { fault, begin: true });
            if let Some(u) = f.until {
                env.queue.push(
                    u,
                    Ev::FaultEdge {
                        fault,
                        begin: false,
                    },
                );
            }
        }
    }
    for (i, ev) in scenario.timeline.iter().enumerate() {
        ev.action.prepare(ev.at, &mut env);
        env.queue.push(ev.at, Ev::Action(i as u32));
    }
    faults
}

/// The world as verbs see it while the simulation runs.
struct Run<'a, O: Observer> {
    sim: &'a mut Simulation,
    obs: &'a mut O,
}

impl<O: Observer> RunEnv for Run<'_, O> {
    fn now(&self) -> Nanos {
        self.sim.w.now
    }

    fn node_count(&self) -> usize {
        self.sim.procs.len()
    }

    fn network(&mut self) -> &mut Network {
        &mut self.sim.w.net
    }

    fn deliver(&mut self, arrivals: Vec<(Nanos, Packet)>) {
        for (at, packet) in arrivals {
            self.sim.w.queue.push(
                at,
                Ev::Arrive {
                    packet: self.sim.w.packet_boxes.boxed(packet),
                },
            );
        }
    }

    fn schedule(&mut self, at: Nanos, event: FaultEvent) {
        self.sim.w.queue.push(at, Ev::Fault(event));
    }

    fn degrade(&mut self, node: NodeId, on: bool) {
        self.sim.w.degrade(self.obs, node, on);
    }

    fn degrade_named(&mut self, group: &'static str, name: &str, nodes: &[NodeId]) {
        self.sim.w.degraded.name(group, name, nodes);
        for &node in nodes {
            self.sim.w.degrade(self.obs, node, true);
        }
    }

    fn restore_named(&mut self, group: &'static str, name: Option<&str>) {
        for node in self.sim.w.degraded.unname(group, name) {
            self.sim.w.degrade(self.obs, node, false);
        }
    }

    fn lifecycle(&mut self, node: NodeId, step: Lifecycle) {
        self.sim.lifecycle(self.obs, node, step);
    }
}

impl Simulation {
    /// Timeline entry `i` comes due.
    pub(super) fn action(&mut self, obs: &mut impl Observer, i: usize) {
        let action = self.timeline[i].action.clone();
        action.apply(&mut Run { sim: self, obs });
    }

    /// A fault's own event comes due.
    pub(super) fn fault_event(&mut self, obs: &mut impl Observer, event: FaultEvent) {
        event.fire(&mut Run { sim: self, obs });
    }

    /// A lifecycle step on `node`'s process, as a verb asked.
    fn lifecycle(&mut self, obs: &mut impl Observer, node: NodeId, step: Lifecycle) {
        let now = self.w.now;
        match step {
            Lifecycle::Crash => {
                let p = &mut self.procs[node as usize];
                if matches!(p.life, Life::Up | Life::Leaving) {
                    p.life = Life::Crashed;
                    self.stop_process(node);
                    self.w.truth(obs, node, Truth::Crashed);
                }
            }
            Lifecycle::Restart => {
                if self.w.up[node as usize] {
                    self.stop_process(node);
                }
                self.w.host_input(obs, node, HostInput::Restart);
                self.start_process(obs, node, None);
            }
            Lifecycle::Join => {
                if !self.w.up[node as usize] {
                    self.start_process(obs, node, None);
                }
            }
            Lifecycle::Leave => {
                if self.procs[node as usize].life == Life::Up {
                    self.procs[node as usize].life = Life::Leaving;
                    self.w.truth(obs, node, Truth::Left);
                    self.drive(obs, node, now, |n, now, rt| n.leave(now, rt));
                    let epoch = self.procs[node as usize].epoch;
                    self.w
                        .schedule_leave_stop(now, node, epoch, now + LEAVE_GRACE);
                }
            }
        }
    }
}
