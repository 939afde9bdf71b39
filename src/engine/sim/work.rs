//! Host work: packets arriving at a host, the host's queue of work items, and
//! running each item's protocol call when the host's CPU model lets it start.

use crate::host::{Listen, Local, Next, Stage, Work};
use crate::protocol::{Body, Input, Nanos, NodeId, Packet};

use super::super::{DropReason, HostSample, Observer};
use super::{packet_kind, Ev, Simulation};

#[cfg(test)]
mod tests;

impl Simulation {
    /// Run whatever the host of `node` can run now.
    pub(super) fn pump(&mut self, obs: &mut impl Observer, node: NodeId) {
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

    /// Run `work`, which its host starts at once ([`Host::starts_at_once`]),
    /// without queueing it: exactly what [`Self::pump`] does once the host
    /// hands it back (charge the host, execute), then whatever comes next.
    ///
    /// [`Host::starts_at_once`]: crate::host::Host::starts_at_once
    fn start_at_once(&mut self, obs: &mut impl Observer, node: NodeId, work: Work) {
        #[cfg(test)]
        {
            self.w.started_at_once += 1;
        }
        self.w.charge_host(node);
        self.execute(obs, node, work);
        self.pump(obs, node);
    }

    pub(super) fn execute(&mut self, obs: &mut impl Observer, node: NodeId, work: Work) {
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
                #[cfg(test)]
                self.w.timers_run.push((now, node, timer));
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
                obs.wire(now, &packet, false);
                self.listen(obs, node, finish, &packet);
                self.w.recycle(packet.parts);
            }
        }
    }

    /// The listener stage of `packet`, and the handler's when the host says
    /// it runs (`host::handler`): right after, or once a backlog is read.
    fn listen(&mut self, obs: &mut impl Observer, node: NodeId, finish: Nanos, packet: &Packet) {
        // At `other_core_idle` 1 the handler always keeps up: skip the question.
        let reorders = self.w.hosts[node as usize].handler_may_lag()
            && self.procs[node as usize]
                .node
                .as_ref()
                .is_some_and(|n| n.handoff_reorders());
        let turn = if reorders {
            let wakes = !packet.parts.is_empty();
            self.w.hosts[node as usize].listen(self.w.now, wakes)
        } else {
            // Served oldest first (2015), the messages are applied in the
            // order they arrive whenever the handler runs.
            Listen {
                serve_first: false,
                stage: Stage::Apply,
            }
        };
        if turn.serve_first {
            self.drive_at(obs, node, finish, |n, now, rt| {
                n.handle(now, Input::Serve, rt)
            });
        }
        match turn.stage {
            Stage::Apply => self.drive_at(obs, node, finish, |n, now, rt| {
                n.handle(now, Input::Packet(packet), rt)
            }),
            Stage::Queue => self.drive_at(obs, node, finish, |n, now, rt| {
                n.handle(now, Input::Listen(packet), rt)
            }),
            Stage::QueueThenServe => self.drive_at(obs, node, finish, |n, now, rt| {
                n.handle(now, Input::Listen(packet), rt);
                n.handle(now, Input::Serve, rt);
            }),
        }
    }

    pub(super) fn arrive(&mut self, obs: &mut impl Observer, packet: Box<Packet>) {
        let now = self.w.now;
        let to = packet.to;
        if !self.w.accept(obs, &packet) {
            let packet = self.w.packet_boxes.unbox(packet);
            self.w.recycle(packet.parts);
            return;
        }
        if let Some(at) = self.w.hosts[to as usize].starve_until(now) {
            if at > now {
                self.w.queue.push(at, Ev::Deliver { packet });
                return;
            }
        }
        let packet = self.w.packet_boxes.unbox(packet);
        self.enqueue_packet(obs, packet);
    }

    pub(super) fn enqueue_packet(&mut self, obs: &mut impl Observer, packet: Packet) {
        let to = packet.to;
        if !self.w.up[to as usize] {
            obs.dropped(self.w.now, packet.from, to, DropReason::PeerDown);
            self.w.recycle(packet.parts);
            return;
        }
        if self.w.starts_at_once(to) && self.w.hosts[to as usize].fits(packet.bytes) {
            self.start_at_once(obs, to, Work::Packet(packet));
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

    pub(super) fn sample(&mut self, obs: &mut impl Observer) {
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

    /// A timer or a failed send of process `epoch` on `node` becomes a work
    /// item, unless that process is gone or the timer was superseded.
    ///
    /// A suspicion timer that a Lifeguard confirmation Reset never fires in
    /// memberlist (suspicion.go `Confirm`: `timer.Stop()` + `Reset`), so it is
    /// dropped here, before it costs the host any CPU or draws from a fault's
    /// stream; the node says which ones (a query, it stays sans-IO).
    pub(super) fn local(&mut self, obs: &mut impl Observer, node: NodeId, epoch: u32, item: Local) {
        if self.w.epochs[node as usize] == epoch && self.w.up[node as usize] {
            if let Local::Timer(timer) = &item {
                let (epochs, up) = (&self.w.epochs, &self.w.up);
                if super::sweep::take_superseded(&mut self.procs, epochs, up, node, epoch, timer) {
                    // Not an event (see `RunStats::events`): the sweep drops
                    // most of them before they pop, and must not change counts.
                    self.w.events -= 1;
                    self.w.mix.uncount(super::EventKind::SuspicionTimer);
                    return;
                }
            }
            if self.w.starts_at_once(node) {
                self.start_at_once(obs, node, Work::Local(item));
                return;
            }
            self.w.hosts[node as usize].push_local(item);
            self.pump(obs, node);
        }
    }

    /// The host of `node` may run again (its CPU model said when).
    pub(super) fn wake(&mut self, obs: &mut impl Observer, node: NodeId) {
        self.w.hosts[node as usize].woke(self.w.now);
        if self.w.up[node as usize] {
            self.pump(obs, node);
        }
    }
}
