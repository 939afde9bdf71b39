//! memberlist.md §9: the thin Serf layer that turns memberlist's NotifyJoin /
//! NotifyLeave into EventMemberJoin / EventMemberFailed, counts flaps, and runs the
//! reconnect and reap loops that bring falsely failed nodes back.
//!
//! Simplification (documented): Serf learns of a graceful leave from its own
//! leave intents; here a memberlist dead message with `From == Node` (the leave
//! broadcast) stands for that intent.

use super::config::Config;
use super::node::Node;
use super::{Event, Nanos, NodeId, Runtime, Timer};

/// The one flap definition (Serf `handleNodeJoin`: `deadTime < FlapTimeout`): a
/// member that rejoins strictly less than FlapTimeout after it failed flapped.
/// The Serf layer and metrics both use it.
pub fn is_flap(down_for: Nanos, flap_timeout: Nanos) -> bool {
    down_for < flap_timeout
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    None,
    Alive,
    Failed,
    Left,
}

/// Serf's member table: status per node plus the failed and left lists.
#[derive(Clone, Debug)]
pub struct Serf {
    status: Vec<Status>,
    /// Failed members with the time they failed (Serf `failedMembers`), in order.
    failed: Vec<(NodeId, Nanos)>,
    /// Left members with the time they left.
    left: Vec<(NodeId, Nanos)>,
    members: usize,
    /// Peer of the reconnect join in flight: the loop waits for it to end.
    reconnect_in_flight: Option<NodeId>,
    /// Number of the latest reconnect join, matched by its deadline timer.
    reconnect_attempt: u32,
    /// Peer of the last reconnect join that ended at its deadline, whose late
    /// send failure must not be reported a second time.
    reconnect_expired: Option<NodeId>,
}

impl Serf {
    pub fn new(n: usize) -> Serf {
        Serf {
            status: vec![Status::None; n],
            failed: Vec::new(),
            left: Vec::new(),
            members: 0,
            reconnect_in_flight: None,
            reconnect_attempt: 0,
            reconnect_expired: None,
        }
    }

    pub(super) fn mark_alive(&mut self, node: NodeId) {
        let s = &mut self.status[node as usize];
        if *s == Status::None {
            self.members += 1;
        }
        *s = Status::Alive;
    }

    /// Start the reconnect and reap loops (a long-running cluster starts them at a
    /// random phase).
    pub(super) fn start(
        &mut self,
        now: Nanos,
        cfg: &Config,
        converged: bool,
        rt: &mut impl Runtime,
    ) {
        let s = &cfg.serf;
        let (r, p) = if converged {
            (
                rt.rng().duration_below(s.reconnect_interval),
                rt.rng().duration_below(s.reap_interval),
            )
        } else {
            (s.reconnect_interval, s.reap_interval)
        };
        if s.reconnect_interval > 0 {
            rt.set_timer(now + r.max(1), Timer::SerfReconnect);
        }
        if s.reap_interval > 0 {
            rt.set_timer(now + p.max(1), Timer::SerfReap);
        }
    }

    /// Is `node` in the failed list (a reconnect candidate)?
    pub fn is_failed(&self, node: NodeId) -> bool {
        self.status.get(node as usize) == Some(&Status::Failed)
    }

    /// True (once) if `peer`'s reconnect join already ended at its deadline.
    pub(super) fn reconnect_already_expired(&mut self, peer: NodeId) -> bool {
        if self.reconnect_expired == Some(peer) {
            self.reconnect_expired = None;
            return true;
        }
        false
    }

    fn remove_from(list: &mut Vec<(NodeId, Nanos)>, node: NodeId) -> Option<Nanos> {
        let i = list.iter().position(|&(n, _)| n == node)?;
        Some(list.remove(i).1)
    }
}

impl Node {
    /// memberlist NotifyJoin → Serf `handleNodeJoin` → EventMemberJoin (a flap if the
    /// member failed less than FlapTimeout ago).
    pub(super) fn serf_notify_join(&mut self, now: Nanos, node: NodeId, rt: &mut impl Runtime) {
        let serf = &mut self.serf;
        let failed_at = Serf::remove_from(&mut serf.failed, node);
        Serf::remove_from(&mut serf.left, node);
        serf.mark_alive(node);
        rt.notify(Event::SerfMemberJoin { subject: node });
        if let Some(t) = failed_at {
            if is_flap(now.saturating_sub(t), self.cfg.serf.flap_timeout) {
                rt.notify(Event::SerfFlap { subject: node });
            }
        }
    }

    /// memberlist NotifyLeave → Serf `handleNodeLeave`: a leave if the member said
    /// so, otherwise EventMemberFailed.
    pub(super) fn serf_notify_leave(
        &mut self,
        now: Nanos,
        node: NodeId,
        voluntary: bool,
        rt: &mut impl Runtime,
    ) {
        let serf = &mut self.serf;
        match serf.status[node as usize] {
            Status::Alive if voluntary => {
                serf.status[node as usize] = Status::Left;
                serf.left.push((node, now));
                rt.notify(Event::SerfMemberLeave { subject: node });
            }
            Status::Alive => {
                serf.status[node as usize] = Status::Failed;
                serf.failed.push((node, now));
                rt.notify(Event::SerfMemberFailed { subject: node });
            }
            _ => {}
        }
    }

    /// Serf `reconnect`: with probability failed/alive, push/pull-join one random
    /// failed member (memberlist `Join`).
    /// The loop is Serf's `handleReconnect`: `time.After(ReconnectInterval)` then a
    /// synchronous `reconnect()`, so the next wait starts when the join ends
    /// (reply, failure, or its TCPTimeout deadline), see [`Node::serf_reconnect_ended`].
    pub(super) fn on_serf_reconnect(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let failed = self.serf.failed.len();
        if failed == 0 || self.leaving {
            self.schedule_serf_reconnect(now, rt);
            return;
        }
        let alive = self
            .serf
            .members
            .saturating_sub(failed + self.serf.left.len())
            .max(1);
        let p = failed as f64 / alive as f64;
        if rt.rng().unit() > p {
            self.schedule_serf_reconnect(now, rt);
            return; // "forgoing reconnect for random throttling"
        }
        let pick = rt.rng().index(failed);
        let (node, _) = self.serf.failed[pick];
        rt.notify(Event::SerfReconnect { subject: node });
        self.serf.reconnect_in_flight = Some(node);
        self.serf.reconnect_attempt = self.serf.reconnect_attempt.wrapping_add(1);
        let attempt = self.serf.reconnect_attempt;
        rt.set_timer(
            now + self.cfg.tcp_timeout,
            Timer::SerfReconnectDeadline { attempt },
        );
        self.send_push_pull(node, true, false, rt);
    }

    fn schedule_serf_reconnect(&mut self, now: Nanos, rt: &mut impl Runtime) {
        rt.set_timer(now + self.cfg.serf.reconnect_interval, Timer::SerfReconnect);
    }

    /// The join exchange with `peer` ended (reply or failure): if it was the
    /// reconnect join, the loop's next wait starts now. Returns whether it was.
    pub(super) fn serf_reconnect_ended(
        &mut self,
        now: Nanos,
        peer: NodeId,
        rt: &mut impl Runtime,
    ) -> bool {
        if self.serf.reconnect_in_flight != Some(peer) {
            return false;
        }
        self.serf.reconnect_in_flight = None;
        self.schedule_serf_reconnect(now, rt);
        true
    }

    /// The reconnect join's TCPTimeout deadline (memberlist `Join` →
    /// `sendAndReceiveState`): stale unless that attempt is still in flight.
    pub(super) fn on_serf_reconnect_deadline(
        &mut self,
        now: Nanos,
        attempt: u32,
        rt: &mut impl Runtime,
    ) {
        if attempt != self.serf.reconnect_attempt {
            return;
        }
        if let Some(peer) = self.serf.reconnect_in_flight {
            rt.notify(Event::PushPullFailed { peer });
            self.serf.reconnect_expired = Some(peer);
            self.serf_reconnect_ended(now, peer, rt);
        }
    }

    /// Serf reap loop: forget failed members after ReconnectTimeout and left ones
    /// after TombstoneTimeout.
    pub(super) fn on_serf_reap(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let s = self.cfg.serf.clone();
        rt.set_timer(now + s.reap_interval, Timer::SerfReap);
        for (list, timeout) in [(0, s.reconnect_timeout), (1, s.tombstone_timeout)] {
            let serf = &mut self.serf;
            let items = if list == 0 {
                &mut serf.failed
            } else {
                &mut serf.left
            };
            let mut i = 0;
            while i < items.len() {
                let (node, t) = items[i];
                if now.saturating_sub(t) > timeout {
                    items.remove(i);
                    serf.status[node as usize] = Status::None;
                    serf.members = serf.members.saturating_sub(1);
                    rt.notify(Event::SerfReap { subject: node });
                } else {
                    i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{converged_node, gossip, Recorder};
    use super::super::{BroadcastKind, Config, Event, Input, Timer, SEC};

    /// Rule (§9): EventMemberFailed followed by EventMemberJoin within FlapTimeout
    /// (60 s) is a flap; a later rejoin is not.
    #[test]
    fn a_rejoin_within_flap_timeout_is_a_flap() {
        for (rejoin_after, flap) in [(30 * SEC, true), (90 * SEC, false)] {
            let mut rec = Recorder::new(3);
            let mut node = converged_node(0, 5, Config::lan(), &mut rec);
            node.handle(
                SEC,
                Input::Packet(&gossip(1, 0, BroadcastKind::Dead, 2, 1, 1)),
                &mut rec,
            );
            assert!(rec.events.contains(&Event::SerfMemberFailed { subject: 2 }));
            node.handle(
                SEC + rejoin_after,
                Input::Packet(&gossip(2, 0, BroadcastKind::Alive, 2, 2, 2)),
                &mut rec,
            );
            assert!(rec.events.contains(&Event::SerfMemberJoin { subject: 2 }));
            assert_eq!(rec.events.contains(&Event::SerfFlap { subject: 2 }), flap);
        }
    }

    /// Node 0 of 3 after both peers were declared dead (p = failed/alive ≥ 1).
    fn node_whose_peers_both_failed() -> (super::super::Node, Recorder) {
        let mut rec = Recorder::new(3);
        let mut node = converged_node(0, 3, Config::lan(), &mut rec);
        node.handle(
            SEC,
            Input::Packet(&gossip(1, 0, BroadcastKind::Dead, 2, 1, 1)),
            &mut rec,
        );
        node.handle(
            SEC,
            Input::Packet(&gossip(2, 0, BroadcastKind::Dead, 1, 1, 2)),
            &mut rec,
        );
        rec.clear();
        (node, rec)
    }

    /// Rule (§9 reconnect): with p = failed/alive ≥ 1 the reconnect loop always
    /// push/pull-joins a failed member.
    #[test]
    fn reconnect_joins_a_failed_member() {
        let (mut node, mut rec) = node_whose_peers_both_failed();
        node.handle(31 * SEC, Input::Timer(Timer::SerfReconnect), &mut rec);
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SerfReconnect { .. })));
        assert!(rec
            .sent
            .iter()
            .any(|p| matches!(p.body, super::super::Body::PushPull { join: true, .. })));
    }

    /// Bug (issue 10, "Serf reconnect timing"): Serf's `handleReconnect` waits
    /// `time.After(ReconnectInterval)` and then calls `reconnect()`, whose
    /// memberlist `Join` blocks until the push/pull ends; the next wait starts
    /// after the join attempt ends, not when it began.
    #[test]
    fn serf_reconnect_next_attempt_waits_from_the_end_of_the_join() {
        use super::super::testkit::packet;
        use super::super::{Body, Transport};
        let (mut node, mut rec) = node_whose_peers_both_failed();
        let start = 31 * SEC;
        node.handle(start, Input::Timer(Timer::SerfReconnect), &mut rec);
        let join = rec
            .sent
            .iter()
            .find(|p| matches!(p.body, Body::PushPull { join: true, .. }))
            .expect("a reconnect join")
            .to;
        assert!(
            !rec.timers.iter().any(|t| t.1 == Timer::SerfReconnect),
            "no next attempt while the join runs: {:?}",
            rec.timers
        );
        let end = start + 3 * SEC;
        let reply = packet(
            join,
            0,
            Transport::Tcp,
            Body::PushPull {
                join: true,
                reply: true,
                state: Vec::new(),
            },
        );
        node.handle(end, Input::Packet(&reply), &mut rec);
        let interval = Config::lan().serf.reconnect_interval;
        assert!(rec.timers.contains(&(end + interval, Timer::SerfReconnect)));
    }
}
