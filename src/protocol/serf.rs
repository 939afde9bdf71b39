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
}

impl Serf {
    pub fn new(n: usize) -> Serf {
        Serf {
            status: vec![Status::None; n],
            failed: Vec::new(),
            left: Vec::new(),
            members: 0,
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
            if now.saturating_sub(t) < self.cfg.serf.flap_timeout {
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
    pub(super) fn on_serf_reconnect(&mut self, now: Nanos, rt: &mut impl Runtime) {
        rt.set_timer(now + self.cfg.serf.reconnect_interval, Timer::SerfReconnect);
        let failed = self.serf.failed.len();
        if failed == 0 || self.leaving {
            return;
        }
        let alive = self
            .serf
            .members
            .saturating_sub(failed + self.serf.left.len())
            .max(1);
        let p = failed as f64 / alive as f64;
        if rt.rng().unit() > p {
            return; // "forgoing reconnect for random throttling"
        }
        let pick = rt.rng().index(failed);
        let (node, _) = self.serf.failed[pick];
        rt.notify(Event::SerfReconnect { subject: node });
        self.send_push_pull(node, true, false, rt);
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

    /// Rule (§9 reconnect): with p = failed/alive ≥ 1 the reconnect loop always
    /// push/pull-joins a failed member.
    #[test]
    fn reconnect_joins_a_failed_member() {
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
}
