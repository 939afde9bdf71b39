//! The engine's side of the network: hand packets to the network state machine,
//! turn what it returns into queue events, and tick it at its next deadline.

use crate::network::{Dropped, Ended, Envelope, NetInput, NetOutput, Outcome};
use crate::protocol::{Broadcast, Nanos, Packet};

use super::super::queue::EventQueue;
use super::super::{DropReason, Observer};
use super::world::{recycle, PacketBoxes, World};
use super::{packet_kind, Ev};

fn drop_reason(d: Dropped) -> DropReason {
    match d {
        Dropped::Loss => DropReason::Loss,
        Dropped::Cut => DropReason::Partition,
        Dropped::PeerDown => DropReason::PeerDown,
        Dropped::ConnectionClosed => DropReason::ConnectionClosed,
    }
}

impl World {
    /// Hand a packet leaving at `depart` to the network.
    pub(super) fn send(&mut self, obs: &mut impl Observer, depart: Nanos, packet: Packet) {
        self.packets += 1;
        let (from, to) = (packet.from, packet.to);
        obs.sent(depart, from, to, packet_kind(&packet), packet.bytes);
        obs.wire(depart, &packet, true);
        let input = NetInput::Send {
            depart,
            peer_up: self.up.get(to as usize).copied().unwrap_or(false),
            owner: self.epochs[from as usize],
            packet,
        };
        self.net_handle(obs, input);
    }

    /// The network's next deadline came (or a stale wake-up: nothing is due).
    pub(super) fn net_wake(&mut self, obs: &mut impl Observer) {
        if self.net_wake <= self.now {
            self.net_wake = Nanos::MAX;
        }
        self.net_handle(obs, NetInput::Tick);
    }

    fn net_handle(&mut self, obs: &mut impl Observer, input: NetInput<Packet>) {
        let mut sink = Sink {
            now: self.now,
            queue: &mut self.queue,
            parts_pool: &mut self.parts_pool,
            boxes: &mut self.packet_boxes,
            obs,
        };
        self.net.handle(self.now, input, &mut sink);
        self.work += self.net.take_checks();
        if let Some(d) = self.net.next_deadline() {
            if d < self.net_wake {
                self.net_wake = d;
                self.queue.push(d.max(self.now), Ev::NetWake);
            }
        }
    }

    /// A packet reached `packet.to`'s host at `now`: false when it must be
    /// dropped there (the process is down, or a TCP reply's exchange ended).
    #[inline]
    pub(super) fn accept(&mut self, obs: &mut impl Observer, packet: &Packet) -> bool {
        let (now, from, to) = (self.now, packet.from(), packet.to());
        if !self.up.get(to as usize).copied().unwrap_or(false) {
            // A request's exchange fails at its deadline; a reply's initiator is gone.
            obs.dropped(now, from, to, DropReason::PeerDown);
            return false;
        }
        if !self.net.reply_arrived(now, packet) {
            obs.dropped(now, from, to, DropReason::ConnectionClosed);
            return false;
        }
        true
    }
}

/// Turns each network output into what the engine does with it, as it comes.
struct Sink<'a, O: Observer> {
    now: Nanos,
    queue: &'a mut EventQueue<Ev>,
    parts_pool: &'a mut Vec<Vec<Broadcast>>,
    boxes: &'a mut PacketBoxes,
    obs: &'a mut O,
}

impl<O: Observer> Extend<NetOutput<Packet>> for Sink<'_, O> {
    fn extend<I: IntoIterator<Item = NetOutput<Packet>>>(&mut self, outputs: I) {
        for o in outputs {
            match o {
                NetOutput::Arrive { at, packet, .. } => {
                    let packet = self.boxes.boxed(packet);
                    self.queue.push(at, Ev::Arrive { packet })
                }
                NetOutput::Dropped { at, packet, reason } => {
                    self.obs
                        .dropped(at, packet.from, packet.to, drop_reason(reason));
                    recycle(self.parts_pool, packet.parts);
                }
                NetOutput::Ended(Ended {
                    owner,
                    request,
                    outcome: Outcome::Failed,
                    at,
                    ..
                }) => self.queue.push(
                    at.max(self.now),
                    Ev::SendFailed {
                        packet: self.boxes.boxed(request),
                        epoch: owner,
                    },
                ),
                NetOutput::Ended(_) => {}
            }
        }
    }
}
