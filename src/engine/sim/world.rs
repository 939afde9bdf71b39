//! The world a node is driven in: hosts, network, queue and digest, and the
//! protocol's [`Runtime`] onto them ([`Rt`]). Kept apart from the processes
//! ([`super::procs`]) so one node can be driven while the world is borrowed
//! mutably.

use std::sync::Arc;

use crate::host::{Host, HostInput, HostOutput};
use crate::network::Network;
use crate::protocol::{Broadcast, Config, Nanos, NodeId, Packet, Runtime, Timer};
use crate::random::Stream;
use crate::scenario::degraded::Degraded;
use crate::scenario::{HostDefaults, Scenario};

use super::super::digest::Digest;
use super::super::queue::EventQueue;
use super::super::{Observer, Truth};
use super::Ev;
use super::EventMix;

/// Everything except the processes, so a node can be driven while the world is
/// borrowed mutably.
pub(super) struct World {
    pub(super) now: Nanos,
    pub(super) seed: u64,
    pub(super) queue: EventQueue<Ev>,
    pub(super) hosts: Vec<Host>,
    pub(super) net: Network,
    pub(super) config: Arc<Config>,
    pub(super) costs: HostDefaults,
    pub(super) digest: Digest,
    /// Which nodes count as degraded ([`Degraded`]).
    pub(super) degraded: Degraded,
    /// Process running (can receive): Up or Leaving.
    pub(super) up: Vec<bool>,
    pub(super) epochs: Vec<u32>,
    pub(super) parts_pool: Vec<Vec<Broadcast>>,
    pub(super) packet_boxes: PacketBoxes,
    pub(super) packets: u64,
    pub(super) events: u64,
    /// The events by kind ([`EventMix`]).
    pub(super) mix: EventMix,
    /// Work beyond one unit per event (host-schedule steps, samples, link rules
    /// examined), charged to the event budget with `events`.
    pub(super) work: u64,
    /// The first host whose schedule walk was truncated, and when.
    pub(super) truncated: Option<(NodeId, Nanos)>,
    /// When an [`Ev::NetWake`] is pending (`Nanos::MAX`: none).
    pub(super) net_wake: Nanos,
    /// Tests only: every timer that became host work (when it ran, on which node).
    #[cfg(test)]
    pub(super) timers_run: Vec<(Nanos, NodeId, Timer)>,
    /// Tests only: queue every work item, even one its host would start at
    /// once ([`World::starts_at_once`]), and count those that started so.
    #[cfg(test)]
    pub(super) queue_every_item: bool,
    #[cfg(test)]
    pub(super) started_at_once: u64,
}

pub(super) const POOL_MAX: usize = 4096;

/// Keep a packet's parts buffer for reuse (bounded by [`POOL_MAX`]).
pub(super) fn recycle(pool: &mut Vec<Vec<Broadcast>>, mut parts: Vec<Broadcast>) {
    if pool.len() < POOL_MAX && parts.capacity() > 0 {
        parts.clear();
        pool.push(parts);
    }
}

/// Heap boxes for queued packets, kept for reuse (bounded by [`POOL_MAX`]).
///
/// Every packet in flight waits in the event queue boxed (so that an event
/// stays 24 bytes); a sick cluster delivers a packet per few events, and a
/// fresh box for each was two percent of a run in `malloc` and `free`.
// The boxes themselves are what is kept (they go back into `Ev`s): a
// `Vec<Packet>` would not spare the allocation.
#[allow(clippy::vec_box)]
#[derive(Default)]
pub(super) struct PacketBoxes(Vec<Box<Packet>>);

impl PacketBoxes {
    /// `packet` in a box, a reused one if any is kept.
    pub(super) fn boxed(&mut self, packet: Packet) -> Box<Packet> {
        match self.0.pop() {
            Some(mut boxed) => {
                *boxed = packet;
                boxed
            }
            None => Box::new(packet),
        }
    }

    /// The packet out of its box, keeping the box.
    #[inline]
    pub(super) fn unbox(&mut self, mut boxed: Box<Packet>) -> Packet {
        let packet = std::mem::replace(&mut *boxed, VACANT);
        if self.0.len() < POOL_MAX {
            self.0.push(boxed);
        }
        packet
    }
}

/// What a kept box holds: nothing that owns memory.
const VACANT: Packet = Packet {
    from: 0,
    to: 0,
    transport: crate::protocol::Transport::Udp,
    body: crate::protocol::Body::Gossip,
    parts: Vec::new(),
    parts_kind: crate::protocol::PartsKind::Broadcasts,
    bytes: 0,
};

impl World {
    pub(super) fn new(
        scenario: &Scenario,
        queue: EventQueue<Ev>,
        hosts: Vec<Host>,
        net: Network,
        config: Arc<Config>,
    ) -> World {
        let n = scenario.nodes.len();
        World {
            now: 0,
            seed: scenario.seed,
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
            packet_boxes: PacketBoxes::default(),
            packets: 0,
            events: 0,
            mix: EventMix::default(),
            work: 0,
            truncated: None,
            net_wake: Nanos::MAX,
            #[cfg(test)]
            timers_run: Vec::new(),
            #[cfg(test)]
            queue_every_item: false,
            #[cfg(test)]
            started_at_once: 0,
        }
    }

    pub(super) fn recycle(&mut self, parts: Vec<Broadcast>) {
        recycle(&mut self.parts_pool, parts);
    }

    pub(super) fn truth(&mut self, obs: &mut impl Observer, node: NodeId, t: Truth) {
        self.digest.truth(self.now, node, t);
        obs.truth(self.now, node, t);
    }

    pub(super) fn degrade(&mut self, obs: &mut impl Observer, node: NodeId, on: bool) {
        if let Some(state) = self.degraded.touch(node, on) {
            self.truth(obs, node, Truth::Degraded(state));
        }
    }

    /// Whether host `node` starts a work item arriving now at once
    /// ([`crate::host::Host::starts_at_once`]), so it need not be queued.
    pub(super) fn starts_at_once(&self, node: NodeId) -> bool {
        #[cfg(test)]
        if self.queue_every_item {
            return false;
        }
        self.hosts[node as usize].starts_at_once(self.now)
    }

    /// Charge host `node`'s schedule work to the budget; note a truncated walk.
    // Inlined: after every event a host handles (as `host_outputs`,
    // `accept` and `Rt::set_timer`: which of these the compiler inlined
    // shifted with unrelated changes, by 1 % of a sick run's instructions).
    #[inline]
    pub(super) fn charge_host(&mut self, node: NodeId) {
        let (steps, truncated) = self.hosts[node as usize].take_steps();
        self.work += steps;
        if truncated && self.truncated.is_none() {
            self.truncated = Some((node, self.now));
        }
    }

    /// Apply what host `node` asked for: queue its timers, report its cap.
    #[inline]
    pub(super) fn host_outputs(
        &mut self,
        obs: &mut impl Observer,
        node: NodeId,
        outs: &[HostOutput],
    ) {
        for &o in outs {
            match o {
                HostOutput::At(at, timer) => self.queue.push(at, Ev::HostTimer { node, timer }),
                HostOutput::Throttled(on) => self.degrade(obs, node, on),
            }
        }
    }

    /// One input to host `node` at `now`.
    pub(super) fn host_input(&mut self, obs: &mut impl Observer, node: NodeId, input: HostInput) {
        let mut outs = Vec::new();
        self.hosts[node as usize].handle(self.now, input, &mut outs);
        self.host_outputs(obs, node, &outs);
    }

    /// Look again, one gossip interval from `now` (never past `deadline`), whether
    /// a leaving process has finished broadcasting its leave.
    pub(super) fn schedule_leave_stop(
        &mut self,
        now: Nanos,
        node: NodeId,
        epoch: u32,
        deadline: Nanos,
    ) {
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
pub(super) struct Rt<'a, O: Observer> {
    pub(super) w: &'a mut World,
    pub(super) obs: &'a mut O,
    pub(super) rng: &'a mut Stream,
    pub(super) id: NodeId,
    pub(super) epoch: u32,
    pub(super) now: Nanos,
    pub(super) depart: Nanos,
}

impl<O: Observer> Runtime for Rt<'_, O> {
    fn send(&mut self, packet: Packet) {
        self.w.send(self.obs, self.depart, packet);
    }

    #[inline]
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

#[cfg(test)]
mod tests {
    use super::{PacketBoxes, POOL_MAX, VACANT};
    use crate::protocol::Packet;

    fn packet(from: u32) -> Packet {
        Packet {
            from,
            bytes: 40,
            ..VACANT
        }
    }

    /// Rule: a packet taken out of its box leaves the box for the next packet
    /// (no allocation per packet in flight), the packet comes out whole, and no
    /// more than [`POOL_MAX`] boxes are kept.
    #[test]
    fn packet_boxes_are_reused_and_bounded() {
        let mut boxes = PacketBoxes::default();
        let first = boxes.boxed(packet(1));
        let at = &*first as *const Packet;
        assert_eq!(boxes.unbox(first), packet(1));
        let second = boxes.boxed(packet(2));
        assert_eq!(&*second as *const Packet, at, "the box was reused");
        assert_eq!(*second, packet(2));

        let many: Vec<Box<Packet>> = (0..POOL_MAX as u32 + 10)
            .map(|i| boxes.boxed(packet(i)))
            .collect();
        for b in many {
            boxes.unbox(b);
        }
        assert_eq!(boxes.0.len(), POOL_MAX);
    }
}
