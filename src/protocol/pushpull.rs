//! memberlist.md §5: push/pull anti-entropy over TCP, and Join.

use super::node::Node;
use super::{timing, Body, Event, Nanos, NodeId, PushPullEntry, Runtime, State, Timer};

impl Node {
    /// Periodic push/pull: exchange full state with one random ALIVE peer. The
    /// exchange is synchronous in memberlist, so the next wait starts after it ends.
    pub(super) fn on_push_pull_tick(&mut self, now: Nanos, rt: &mut impl Runtime) {
        if self.push_pull_in_flight.is_some() {
            return; // cannot happen with one loop; kept as a guard
        }
        self.random_nodes(1, rt, |_, m| m.state() == State::Alive);
        match self.scratch.first().copied() {
            Some(peer) => {
                self.push_pull_in_flight = Some(peer);
                self.push_pull_since = now;
                self.push_pull_exchange = self.push_pull_exchange.wrapping_add(1);
                let exchange = self.push_pull_exchange;
                rt.set_timer(
                    now + self.cfg.tcp_timeout,
                    Timer::PushPullTimeout { exchange },
                );
                self.send_push_pull(peer, false, false, rt);
            }
            None => self.schedule_push_pull(now, rt),
        }
    }

    /// memberlist `sendAndReceiveState` sets the connection deadline to TCPTimeout
    /// from the dial: an exchange whose reply never comes (a one-way cut, a message
    /// dropped by a full receive buffer, a responder reset) fails then, and the
    /// periodic loop waits its next interval. Without this the loop stops for good.
    pub(super) fn on_push_pull_timeout(
        &mut self,
        now: Nanos,
        exchange: u32,
        rt: &mut impl Runtime,
    ) {
        if exchange != self.push_pull_exchange {
            return;
        }
        if let Some(peer) = self.push_pull_in_flight.take() {
            rt.notify(Event::PushPullFailed { peer });
            self.schedule_push_pull(now, rt);
        }
    }

    /// How long the periodic exchange in flight has been running at `now`, if any.
    pub fn push_pull_running_for(&self, now: Nanos) -> Option<Nanos> {
        self.push_pull_in_flight
            .map(|_| now.saturating_sub(self.push_pull_since))
    }

    /// Wait `pushPullScale(PushPullInterval, n)` (re-read n each time) before the next.
    pub(super) fn schedule_push_pull(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let wait = timing::push_pull_scale(self.cfg.push_pull_interval, self.order.len());
        rt.set_timer(now + wait, Timer::PushPullTick);
    }

    /// Send this node's whole `nodes` list (suspect and unreaped dead included).
    pub(super) fn send_push_pull(
        &mut self,
        peer: NodeId,
        join: bool,
        reply: bool,
        rt: &mut impl Runtime,
    ) {
        if !reply {
            rt.notify(Event::PushPullStarted { peer, join });
        }
        let state: Vec<PushPullEntry> = self
            .order
            .iter()
            .map(|&node| {
                let m = self.member(node);
                PushPullEntry {
                    node,
                    incarnation: m.incarnation,
                    state: m.state(),
                }
            })
            .collect();
        self.send_tcp(peer, Body::PushPull { join, reply, state }, rt);
    }

    /// A push/pull message: the responder answers with its own state first, then
    /// merges; the initiator merges the reply.
    pub(super) fn on_push_pull(
        &mut self,
        now: Nanos,
        from: NodeId,
        join: bool,
        reply: bool,
        remote: &[PushPullEntry],
        rt: &mut impl Runtime,
    ) {
        if reply && !join && self.push_pull_in_flight != Some(from) {
            return; // past its deadline: memberlist closed that connection
        }
        if !reply {
            self.send_push_pull(from, join, true, rt);
        }
        self.merge_state(now, remote, rt);
        if reply && join {
            self.serf_reconnect_ended(now, from, rt);
        }
        if reply && !join && self.push_pull_in_flight == Some(from) {
            self.push_pull_in_flight = None;
            self.schedule_push_pull(now, rt);
        }
    }

    /// memberlist `mergeState`: remote alive → aliveNode; remote left → deadNode
    /// from itself; remote dead or suspect → a local suspicion *from this node*
    /// (a node never adopts a remote "dead" directly).
    fn merge_state(&mut self, now: Nanos, remote: &[PushPullEntry], rt: &mut impl Runtime) {
        let me = self.id;
        for e in remote {
            if e.node as usize >= self.members.len() {
                continue; // not a member of this scenario
            }
            match e.state {
                State::Alive => self.alive_node(now, e.node, e.incarnation, false, rt),
                State::Left => self.dead_node(now, e.node, e.incarnation, e.node, rt),
                State::Dead | State::Suspect => {
                    self.suspect_node(now, e.node, e.incarnation, me, rt)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{converged_node, packet, Recorder};
    use super::super::{Body, Config, Event, Input, PushPullEntry, State, Transport, SEC};
    use crate::protocol::event::RefuteKind;

    fn push(from: u32, to: u32, state: Vec<PushPullEntry>) -> super::super::Packet {
        packet(
            from,
            to,
            Transport::Tcp,
            Body::PushPull {
                join: false,
                reply: false,
                state,
            },
        )
    }

    /// Rule (§5 mergeState): a remote DEAD or SUSPECT entry becomes a local suspicion
    /// whose accuser is the receiving node itself; the responder replies first.
    #[test]
    fn push_pull_merge_turns_remote_dead_into_local_suspect_from_self() {
        let mut rec = Recorder::new(5);
        let mut node = converged_node(0, 4, Config::lan(), &mut rec);
        rec.clear();
        let entries = vec![PushPullEntry {
            node: 2,
            incarnation: 1,
            state: State::Dead,
        }];
        node.handle(SEC, Input::Packet(&push(1, 0, entries)), &mut rec);
        assert!(
            matches!(rec.sent[0].body, Body::PushPull { reply: true, .. }),
            "reply before merge"
        );
        assert_eq!(node.view_of(2), Some((State::Suspect, 1)));
        assert!(rec.events.contains(&Event::Suspected {
            subject: 2,
            incarnation: 1,
            from: 0
        }));
    }

    /// Rule (§1.6, incidents §1.17): a node that learns of its own death through
    /// push/pull refutes a *suspect* message naming itself as the accuser
    /// (memberlist 6025015 state.go:L917-L923 `mergeState`: remote dead falls
    /// through to suspect with From = local name; L776-L797 refute).
    #[test]
    fn push_pull_about_self_refutes_naming_self() {
        let mut rec = Recorder::new(5);
        let mut node = converged_node(0, 4, Config::memberlist_2015(), &mut rec);
        let entries = vec![PushPullEntry {
            node: 0,
            incarnation: 1,
            state: State::Dead,
        }];
        node.handle(SEC, Input::Packet(&push(1, 0, entries)), &mut rec);
        assert!(rec.events.contains(&Event::Refuted {
            kind: RefuteKind::Suspect,
            from: 0,
            accused_incarnation: 1,
            incarnation: 2
        }));
    }

    /// Rule (§5, §1.3): an alive entry for a node we never heard of adds it (NotifyJoin)
    /// at its incarnation, inserted into the probe order.
    #[test]
    fn push_pull_adds_unknown_alive_nodes() {
        let mut rec = Recorder::new(5);
        let mut node = super::super::Node::new(
            0,
            std::sync::Arc::new(Config::lan()),
            super::super::testkit::roster(3),
        );
        node.start_join(0, &[1], &mut rec);
        assert_eq!(node.num_nodes(), 1);
        let entries = vec![
            PushPullEntry {
                node: 1,
                incarnation: 3,
                state: State::Alive,
            },
            PushPullEntry {
                node: 2,
                incarnation: 1,
                state: State::Alive,
            },
        ];
        let reply = packet(
            1,
            0,
            Transport::Tcp,
            Body::PushPull {
                join: true,
                reply: true,
                state: entries,
            },
        );
        node.handle(SEC, Input::Packet(&reply), &mut rec);
        assert_eq!(node.num_nodes(), 3);
        assert_eq!(node.view_of(1), Some((State::Alive, 3)));
        assert!(rec.events.iter().any(|e| matches!(
            e,
            Event::MemberUp {
                subject: 2,
                rejoin: false,
                ..
            }
        )));
    }
}
