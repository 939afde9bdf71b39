//! memberlist.md §2: the probe loop. Ticker coalescing, round-robin target
//! selection over a list reshuffled at each wrap, direct ping, ping-req through
//! relays, nacks, TCP fallback, the awareness delta of each probe, and the relay
//! side of indirect pings.

use super::node::Node;
use super::{config::ReapPolicy, wire, State, Timer, Transport};
use super::{Body, Broadcast, BroadcastKind, Event, Nanos, NodeId, Packet, PartsKind, Runtime};

/// The probe in flight (memberlist runs one at a time, synchronously).
#[derive(Clone, Debug)]
pub(crate) struct Probe {
    pub(crate) seq: u32,
    pub(crate) target: NodeId,
    /// Incarnation and state copied at selection; the copy goes into the suspect.
    pub(crate) target_incarnation: u32,
    /// When the probe began (its direct ping left).
    pub(crate) started: Nanos,
    /// Past the direct wait: indirect requests and the TCP ping are out.
    pub(crate) indirect: bool,
    pub(crate) expected_nacks: u32,
    pub(crate) nacks: u32,
    pub(crate) tcp_sent: bool,
    /// A TCP ack arrived before the deadline.
    pub(crate) tcp_ok: bool,
}

/// An indirect ping this node relays for another prober.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Relay {
    /// Our own sequence number for the ping to the target.
    pub(crate) seq: u32,
    pub(crate) origin: NodeId,
    pub(crate) origin_seq: u32,
    pub(crate) want_nack: bool,
}

impl Node {
    /// Probe ticker: run a probe, or remember one pending tick if busy; keep the grid.
    pub(super) fn on_probe_tick(&mut self, now: Nanos, rt: &mut impl Runtime) {
        // Go's ticker keeps its phase and drops ticks missed while the receiver was
        // busy or parked: the next tick is the first grid point after `now`.
        let pi = self.cfg.probe_interval;
        let mut next = self.next_probe_tick + pi;
        if next <= now {
            next += (now - next) / pi * pi + pi;
        }
        self.next_probe_tick = next;
        rt.set_timer(next, Timer::ProbeTick);
        if self.probe.is_some() {
            self.probe_pending = true;
        } else {
            self.probe_next(now, rt);
        }
    }

    /// memberlist `probe`: pick the next probe-able node round-robin and probe it.
    fn probe_next(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let mut checked = 0;
        loop {
            if checked >= self.order.len() {
                return; // nothing probe-able
            }
            if self.probe_index >= self.order.len() {
                self.reset_nodes(now, rt);
                self.probe_index = 0;
                checked += 1;
                continue;
            }
            let node = self.order[self.probe_index];
            self.probe_index += 1;
            let m = *self.member(node);
            if node == self.id || matches!(m.state(), State::Dead | State::Left) {
                checked += 1;
                continue;
            }
            self.probe_node(now, node, m.incarnation, m.state(), rt);
            return;
        }
    }

    /// Account for `probes` probes made in a quiet converged cluster before the
    /// simulation starts (memberlist.md §2.2): walk the probe list past that
    /// many nodes, self skipped without a tick as `probe` does. A walk that
    /// wraps reshuffles, with nothing to reap; after one reshuffle the order is
    /// a fresh shuffle, so only the position in the last round matters and the
    /// cost is bounded by the list, not by `probes`.
    pub(super) fn skip_quiet_probes(&mut self, probes: u64, rt: &mut impl Runtime) {
        let per_round = self.order.iter().filter(|&&n| n != self.id).count() as u64;
        if per_round == 0 {
            return;
        }
        let mut left = probes;
        if probes >= per_round {
            rt.rng().shuffle(&mut self.order);
            self.probe_index = 0;
            left = probes % per_round;
        }
        while left > 0 {
            if self.order[self.probe_index] != self.id {
                left -= 1;
            }
            self.probe_index += 1;
        }
    }

    /// memberlist `resetNodes` at the end of a round: reap dead nodes (2015: all of
    /// them; today: those dead longer than GossipToTheDeadTime) and reshuffle.
    fn reset_nodes(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let grace = match self.cfg.reap {
            ReapPolicy::AtWrap => 0,
            ReapPolicy::AfterGossipToTheDead => self.cfg.gossip_to_the_dead_time,
        };
        let mut i = 0;
        while i < self.order.len() {
            let node = self.order[i];
            let m = *self.member(node);
            let reap = node != self.id
                && matches!(m.state(), State::Dead | State::Left)
                && now.saturating_sub(self.went_down_at(node)) > grace;
            if reap {
                self.forget(node);
                rt.notify(Event::Reaped { subject: node });
            } else {
                i += 1;
            }
        }
        let order = &mut self.order;
        rt.rng().shuffle(order);
    }

    /// memberlist `probeNode` (§2.3; 2015 variant §2.4 by config switches).
    fn probe_node(
        &mut self,
        now: Nanos,
        target: NodeId,
        incarnation: u32,
        state: State,
        rt: &mut impl Runtime,
    ) {
        let mut window = self.cfg.probe_interval;
        if self.cfg.local_health {
            window = self.awareness.scale_timeout(window);
            if window > self.cfg.probe_interval {
                rt.notify(Event::DegradedProbe);
            }
        }
        let seq = self.next_seq();
        self.probe = Some(Probe {
            seq,
            target,
            target_incarnation: incarnation,
            started: now,
            indirect: false,
            expected_nacks: 0,
            nacks: 0,
            tcp_sent: false,
            tcp_ok: false,
        });
        // Both timers are armed now, as memberlist's ack handler (`AfterFunc`) and
        // direct wait are: a host that was parked through both runs them, in
        // deadline order, before it reads the ack waiting in its buffer.
        rt.set_timer(now + window, Timer::ProbeWindowEnd { seq });
        rt.set_timer(
            now + self.cfg.probe_timeout,
            Timer::ProbeDirectTimeout { seq },
        );
        let ping = Body::Ping { seq, target };
        if state == State::Suspect && self.cfg.buddy {
            // Buddy system: the ping carries our suspicion so the target can refute
            // at once. This compound is NOT piggybacked.
            let suspect = Broadcast {
                kind: BroadcastKind::Suspect,
                node: target,
                incarnation,
                from: self.id,
            };
            let body_len =
                wire::body_len(&ping, self.id, &self.roster, self.cfg.speaks_post_2015());
            let part_len = wire::broadcast_len(&suspect, &self.roster);
            let mut parts = rt.parts_buffer();
            parts.push(suspect);
            rt.send(Packet {
                from: self.id,
                to: target,
                transport: Transport::Udp,
                body: ping,
                parts,
                parts_kind: PartsKind::Buddy,
                bytes: super::node::COMPOUND_HEADER + 4 + body_len + part_len,
            });
        } else {
            self.send_udp(target, ping, rt);
        }
    }

    /// The direct wait expired without an ack: ask relays, and try TCP.
    pub(super) fn on_direct_timeout(&mut self, _now: Nanos, seq: u32, rt: &mut impl Runtime) {
        let Some(probe) = self.probe.as_ref() else {
            return;
        };
        if probe.seq != seq || probe.indirect {
            return;
        }
        let target = probe.target;
        // The fact, in every generation (metrics count it); only post-2015
        // probeNode logs it, which the log writer decides.
        rt.notify(Event::FailedUdpPing { subject: target });
        // Relays: random ALIVE peers other than self and the target.
        self.random_nodes(self.cfg.indirect_checks as usize, rt, |node, m| {
            node != target && m.state() == State::Alive
        });
        // Every node of a scenario speaks the same protocol version, so "relay
        // PMax >= 4" is this config's: nacks exist with Lifeguard's local health.
        let want_nack = self.cfg.local_health && self.cfg.protocol_max >= 4;
        let peers = std::mem::take(&mut self.scratch);
        for &peer in &peers {
            self.send_udp(
                peer,
                Body::IndirectPing {
                    seq,
                    target,
                    want_nack,
                },
                rt,
            );
        }
        let expected_nacks = if want_nack { peers.len() as u32 } else { 0 };
        self.scratch = peers;
        let tcp = self.cfg.tcp_fallback && self.cfg.protocol_max >= 3;
        if tcp {
            self.send_tcp(target, Body::Ping { seq, target }, rt);
        }
        if let Some(p) = self.probe.as_mut() {
            p.indirect = true;
            p.expected_nacks = expected_nacks;
            p.tcp_sent = tcp;
        }
    }

    /// The probe window (`start + pi`) closed without an ack: TCP rescue, or suspect.
    pub(super) fn on_probe_window_end(&mut self, now: Nanos, seq: u32, rt: &mut impl Runtime) {
        let Some(probe) = self.probe.as_ref() else {
            return;
        };
        if probe.seq != seq {
            return;
        }
        let probe = self.probe.take().expect("checked above");
        let delta;
        if probe.tcp_ok {
            rt.notify(Event::TcpFallbackRescued {
                subject: probe.target,
            });
            delta = -1;
        } else {
            if probe.tcp_sent {
                rt.notify(Event::FailedTcpPing {
                    subject: probe.target,
                });
            }
            delta = if probe.expected_nacks > 0 {
                let missing = probe.expected_nacks.saturating_sub(probe.nacks);
                (missing * self.cfg.nack_penalty_mult) as i32
            } else {
                1
            };
            rt.notify(Event::SuspectNoAcks {
                subject: probe.target,
                incarnation: probe.target_incarnation,
                probe_started: probe.started,
            });
            let me = self.id;
            self.suspect_node(now, probe.target, probe.target_incarnation, me, rt);
        }
        self.finish_probe(now, delta, rt);
    }

    fn finish_probe(&mut self, now: Nanos, delta: i32, rt: &mut impl Runtime) {
        if self.cfg.local_health {
            self.apply_awareness_delta(delta, rt);
        }
        if self.probe_pending {
            self.probe_pending = false;
            self.probe_next(now, rt);
        }
    }

    /// An ack: completes our probe (direct, late or relayed), a TCP fallback, or
    /// a ping we relay.
    pub(super) fn on_ack(
        &mut self,
        now: Nanos,
        seq: u32,
        transport: Transport,
        rt: &mut impl Runtime,
    ) {
        if let Some(p) = self.probe.as_mut() {
            if p.seq == seq {
                if transport == Transport::Tcp {
                    // The TCP fallback answers out of band; the probe still waits
                    // for its window and then checks the TCP result.
                    p.tcp_ok = true;
                    return;
                }
                self.probe = None;
                self.finish_probe(now, -1, rt);
                return;
            }
        }
        if let Some(i) = self.relays.iter().position(|r| r.seq == seq) {
            let relay = self.relays.swap_remove(i);
            self.send_udp(
                relay.origin,
                Body::Ack {
                    seq: relay.origin_seq,
                },
                rt,
            );
        }
    }

    /// A nack counts only while the probe's ack handler is registered.
    pub(super) fn on_nack(&mut self, seq: u32) {
        if let Some(p) = self.probe.as_mut() {
            if p.seq == seq {
                p.nacks += 1;
            }
        }
    }

    /// A ping for us: ack it on the same transport (UDP acks piggyback).
    pub(super) fn on_ping(
        &mut self,
        from: NodeId,
        seq: u32,
        target: NodeId,
        transport: Transport,
        rt: &mut impl Runtime,
    ) {
        if target != self.id {
            return; // "Got ping for unexpected node": no ack
        }
        match transport {
            Transport::Udp => self.send_udp(from, Body::Ack { seq }, rt),
            Transport::Tcp => self.send_tcp(from, Body::Ack { seq }, rt),
        }
    }

    /// Relay side of `indirectPingReq` (§2.3): ping the target with our own
    /// sequence number, forward its ack, or send a nack after ProbeTimeout.
    pub(super) fn on_indirect_ping(
        &mut self,
        now: Nanos,
        origin: NodeId,
        origin_seq: u32,
        target: NodeId,
        want_nack: bool,
        rt: &mut impl Runtime,
    ) {
        let seq = self.next_seq();
        self.relays.push(Relay {
            seq,
            origin,
            origin_seq,
            want_nack,
        });
        rt.set_timer(now + self.cfg.probe_timeout, Timer::RelayTimeout { seq });
        self.send_udp(target, Body::Ping { seq, target }, rt);
    }

    pub(super) fn on_relay_timeout(&mut self, seq: u32, rt: &mut impl Runtime) {
        if let Some(i) = self.relays.iter().position(|r| r.seq == seq) {
            let relay = self.relays.swap_remove(i);
            if relay.want_nack {
                self.send_udp(
                    relay.origin,
                    Body::Nack {
                        seq: relay.origin_seq,
                    },
                    rt,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{converged_node, gossip, packet, Recorder};
    use super::super::{
        Body, BroadcastKind, Config, Event, Input, Node, PartsKind, State, Timer, Transport, SEC,
    };

    /// Fire the pending probe tick and return the direct ping's (target, seq, time).
    fn start_probe(node: &mut Node, rec: &mut Recorder) -> (u32, u32, u64) {
        let (at, timer) = rec
            .timer_at(|t| matches!(t, Timer::ProbeTick))
            .expect("tick");
        rec.clear();
        node.handle(at, Input::Timer(timer), rec);
        let ping = rec
            .sent
            .iter()
            .find(|p| matches!(p.body, Body::Ping { .. }))
            .unwrap_or_else(|| panic!("no ping at {at}: {:?} {:?}", rec.sent, rec.events))
            .clone();
        let Body::Ping { seq, target } = ping.body else {
            unreachable!()
        };
        (target, seq, at)
    }

    fn fire(node: &mut Node, rec: &mut Recorder, want: impl Fn(&Timer) -> bool) -> u64 {
        let (at, timer) = rec.timer_at(want).expect("timer");
        node.handle(at, Input::Timer(timer), rec);
        at
    }

    fn score_after(
        cfg: Config,
        n: usize,
        outcome: impl Fn(&mut Node, &mut Recorder, u32, u32, u64),
    ) -> (Node, Recorder) {
        let mut rec = Recorder::new(7);
        let mut node = converged_node(0, n, cfg, &mut rec);
        let (target, seq, at) = start_probe(&mut node, &mut rec);
        outcome(&mut node, &mut rec, target, seq, at);
        (node, rec)
    }

    fn direct_timeout(node: &mut Node, rec: &mut Recorder, seq: u32) -> Vec<u32> {
        fire(node, rec, |t| *t == Timer::ProbeDirectTimeout { seq });
        rec.sent
            .iter()
            .filter(|p| matches!(p.body, Body::IndirectPing { .. }))
            .map(|p| p.to)
            .collect()
    }

    /// Rule (§2.5): a successful probe lowers the score by 1 (clamped at 0).
    #[test]
    fn awareness_delta_successful_probe_is_minus_one() {
        let (node, _) = score_after(Config::lan(), 5, |node, rec, target, seq, at| {
            // Raise the score first with a refutation.
            let p = gossip(3, 0, BroadcastKind::Suspect, 0, 1, 3);
            node.handle(at, Input::Packet(&p), rec);
            assert_eq!(node.health_score(), 1);
            node.handle(
                at + 1_000_000,
                Input::Packet(&packet(target, 0, Transport::Udp, Body::Ack { seq })),
                rec,
            );
        });
        assert_eq!(node.health_score(), 0);
    }

    /// Rule (§2.5): a failed probe whose relays all sent nacks in time changes nothing.
    #[test]
    fn awareness_delta_failed_probe_with_all_nacks_is_zero() {
        let (node, rec) = score_after(Config::lan(), 5, |node, rec, _t, seq, at| {
            let relays = direct_timeout(node, rec, seq);
            assert_eq!(relays.len(), 3, "IndirectChecks = 3");
            for r in relays {
                node.handle(
                    at + 900_000_000,
                    Input::Packet(&packet(r, 0, Transport::Udp, Body::Nack { seq })),
                    rec,
                );
            }
            fire(node, rec, |t| *t == Timer::ProbeWindowEnd { seq });
        });
        assert_eq!(node.health_score(), 0);
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspectNoAcks { .. })));
    }

    /// Rule (§2.3, §2.5): nacks arriving after the window closed do not count: a failed
    /// probe at score 0 costs +expectedNacks (3); 2016's weight doubles it (+6).
    #[test]
    fn awareness_delta_counts_missing_and_late_nacks() {
        for (cfg, want) in [(Config::lan(), 3), (Config::memberlist_2016(), 6)] {
            let (node, _) = score_after(cfg, 5, |node, rec, _t, seq, _at| {
                let relays = direct_timeout(node, rec, seq);
                let closed = fire(node, rec, |t| *t == Timer::ProbeWindowEnd { seq });
                for r in relays {
                    node.handle(
                        closed + 2_000_000,
                        Input::Packet(&packet(r, 0, Transport::Udp, Body::Nack { seq })),
                        rec,
                    );
                }
            });
            assert_eq!(node.health_score(), want);
        }
    }

    /// Rule (§2.5): a failed probe with no nack-capable relay (here: no other peer
    /// at all) costs +1.
    #[test]
    fn awareness_delta_failed_probe_without_relays_is_plus_one() {
        let (node, _) = score_after(Config::lan(), 2, |node, rec, _t, seq, _at| {
            assert!(direct_timeout(node, rec, seq).is_empty());
            fire(node, rec, |t| *t == Timer::ProbeWindowEnd { seq });
        });
        assert_eq!(node.health_score(), 1);
    }

    /// Rule (§2.3): the direct ping, relays and TCP share one sequence number and a
    /// direct ack arriving after ProbeTimeout but before the window end completes it.
    #[test]
    fn late_direct_ack_within_the_window_completes_the_probe() {
        let (node, rec) = score_after(Config::lan(), 5, |node, rec, target, seq, at| {
            direct_timeout(node, rec, seq);
            node.handle(
                at + 800_000_000,
                Input::Packet(&packet(target, 0, Transport::Udp, Body::Ack { seq })),
                rec,
            );
            fire(node, rec, |t| *t == Timer::ProbeWindowEnd { seq });
        });
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspectNoAcks { .. })));
        assert_eq!(node.health_score(), 0);
    }

    /// Rule (§2.3, incidents S4): a TCP fallback ack rescues a probe whose UDP failed:
    /// no suspicion, a warning, and the delta stays −1.
    #[test]
    fn tcp_fallback_rescues_the_probe() {
        let (_, rec) = score_after(Config::lan(), 5, |node, rec, target, seq, at| {
            direct_timeout(node, rec, seq);
            assert!(rec
                .sent
                .iter()
                .any(|p| p.transport == Transport::Tcp && matches!(p.body, Body::Ping { .. })));
            node.handle(
                at + 600_000_000,
                Input::Packet(&packet(target, 0, Transport::Tcp, Body::Ack { seq })),
                rec,
            );
            fire(node, rec, |t| *t == Timer::ProbeWindowEnd { seq });
        });
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::TcpFallbackRescued { .. })));
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspectNoAcks { .. })));
        // 2015 has no TCP fallback.
        let (_, rec) = score_after(Config::memberlist_2015(), 5, |node, rec, _t, seq, _at| {
            direct_timeout(node, rec, seq);
        });
        assert!(!rec.sent.iter().any(|p| p.transport == Transport::Tcp));
    }

    /// Rule (§2.5): the probe window is ProbeInterval·(score+1); ProbeTimeout is not scaled.
    #[test]
    fn awareness_scales_the_probe_window_only() {
        let mut rec = Recorder::new(7);
        let mut node = converged_node(0, 5, Config::lan(), &mut rec);
        for inc in 2..5 {
            let p = gossip(3, 0, BroadcastKind::Suspect, 0, inc * 10, 3);
            node.handle(0, Input::Packet(&p), &mut rec);
        }
        assert_eq!(node.health_score(), 3);
        let (_, seq, at) = start_probe(&mut node, &mut rec);
        let direct = rec
            .timer_at(|t| *t == Timer::ProbeDirectTimeout { seq })
            .unwrap()
            .0;
        direct_timeout(&mut node, &mut rec, seq);
        let window = rec
            .timer_at(|t| *t == Timer::ProbeWindowEnd { seq })
            .unwrap()
            .0;
        assert_eq!(window - at, 4 * SEC);
        assert_eq!(direct - at, SEC / 2);
        assert!(rec.events.contains(&Event::DegradedProbe));
    }

    /// Rule (§2.3 buddy system): a ping to a SUSPECT node carries our suspect message
    /// as a compound, not piggyback; 2015 probes suspect nodes (state.go:L190-L194
    /// skips only self and dead) with a plain ping that piggybacks the queue
    /// (state.go:L213-L222, net.go:L516-L539 `sendMsg`).
    #[test]
    fn buddy_ping_to_a_suspect_carries_the_suspicion() {
        for (cfg, buddy) in [(Config::lan(), true), (Config::memberlist_2015(), false)] {
            let mut rec = Recorder::new(7);
            let mut node = converged_node(0, 3, cfg, &mut rec);
            for s in [1, 2] {
                let p = gossip(s, 0, BroadcastKind::Suspect, 3 - s, 1, s);
                node.handle(0, Input::Packet(&p), &mut rec);
            }
            let (target, _, _) = start_probe(&mut node, &mut rec);
            let ping = rec
                .sent
                .iter()
                .find(|p| matches!(p.body, Body::Ping { .. }))
                .unwrap();
            if buddy {
                assert_eq!(ping.parts_kind, PartsKind::Buddy);
                assert_eq!(ping.parts.len(), 1);
                assert_eq!(
                    (ping.parts[0].kind, ping.parts[0].node, ping.parts[0].from),
                    (BroadcastKind::Suspect, target, 0)
                );
            } else {
                assert_eq!(ping.parts_kind, PartsKind::Broadcasts);
            }
        }
    }

    /// Rule (§2.1): a tick during a running probe is coalesced into one pending tick,
    /// run as soon as the probe ends; the grid phase is kept.
    #[test]
    fn probe_ticks_coalesce_while_a_probe_runs() {
        let mut rec = Recorder::new(7);
        let mut node = converged_node(0, 5, Config::lan(), &mut rec);
        for _ in 0..3 {
            let p = gossip(3, 0, BroadcastKind::Suspect, 0, 100 + node.incarnation(), 3);
            node.handle(0, Input::Packet(&p), &mut rec);
        }
        let (_, seq, at) = start_probe(&mut node, &mut rec);
        // Score 3: the window is 4 s; three ticks pass meanwhile.
        for k in 1..=3 {
            rec.sent.clear();
            node.handle(at + k * SEC, Input::Timer(Timer::ProbeTick), &mut rec);
            assert!(
                !rec.sent.iter().any(|p| matches!(p.body, Body::Ping { .. })),
                "no new probe while one runs"
            );
        }
        direct_timeout(&mut node, &mut rec, seq);
        rec.sent.clear();
        node.handle(
            at + 4 * SEC,
            Input::Timer(Timer::ProbeWindowEnd { seq }),
            &mut rec,
        );
        let pings = rec
            .sent
            .iter()
            .filter(|p| matches!(p.body, Body::Ping { .. }))
            .count();
        assert_eq!(pings, 1, "exactly one pending probe runs at once");
    }

    /// Rule (§2.2): probing is round-robin: n−1 consecutive probes hit every other
    /// node once; suspect nodes are probed, dead ones skipped.
    #[test]
    fn round_robin_probes_every_other_node_once_per_round() {
        let mut rec = Recorder::new(7);
        let mut node = converged_node(0, 6, Config::lan(), &mut rec);
        let p = gossip(1, 0, BroadcastKind::Dead, 5, 1, 1);
        node.handle(0, Input::Packet(&p), &mut rec);
        let p = gossip(1, 0, BroadcastKind::Suspect, 4, 1, 1);
        node.handle(0, Input::Packet(&p), &mut rec);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (target, seq, at) = start_probe(&mut node, &mut rec);
            node.handle(
                at + 1,
                Input::Packet(&packet(target, 0, Transport::Udp, Body::Ack { seq })),
                &mut rec,
            );
            seen.push(target);
        }
        seen.sort_unstable();
        assert_eq!(seen, vec![1, 2, 3, 4]);
    }

    /// Rule (§2.2; memberlist 6025015 state.go:L164-L206 `probe`): a process
    /// that ran `uptime` in a quiet cluster before t = 0 is `uptime /
    /// ProbeInterval` probes into its round-robin walk (self skipped without a
    /// tick), so its walk wraps (reshuffles, and in 2015 reaps) that many ticks
    /// earlier; whole rounds before t = 0 leave only the position in the last
    /// one. The oracle's harness measures from ~11 s after creation: its
    /// nodes' first wrap comes ~21 s into the run, not ~32 s.
    #[test]
    fn uptime_starts_the_probe_round_that_far_along() {
        use super::super::testkit::roster;
        use std::sync::Arc;
        let n = 8; // seven others: seven probes per round
        for (uptime, wrap_tick) in [(0, 8), (3 * SEC + SEC / 2, 5), (7 * SEC, 8), (10 * SEC, 5)] {
            let mut rec = Recorder::new(11);
            let mut node = Node::new(0, Arc::new(Config::memberlist_2015()), roster(n));
            let all: Vec<u32> = (0..n as u32).collect();
            node.start_converged_phased(0, &all, 123, uptime, &mut rec);
            let mut targets = Vec::new();
            for tick in 1..=wrap_tick {
                let before = node.probe_index;
                let (target, seq, at) = start_probe(&mut node, &mut rec);
                let ack = packet(target, 0, Transport::Udp, Body::Ack { seq });
                node.handle(at + 1, Input::Packet(&ack), &mut rec);
                let wrapped = node.probe_index <= before;
                assert_eq!(wrapped, tick == wrap_tick, "uptime {uptime}: tick {tick}");
                if !wrapped {
                    assert!(!targets.contains(&target), "a round probes each node once");
                    targets.push(target);
                }
            }
        }
    }

    /// Rule (§2.2, §7): 2015 forgets every dead node at the next wrap (memberlist
    /// 6025015 state.go:L176-L183 and L276-L297 `resetNodes`, util.go:L131-L147
    /// `moveDeadNodes`); today keeps it for GossipToTheDeadTime (30 s).
    #[test]
    fn dead_nodes_are_reaped_at_wrap_in_2015_and_after_grace_today() {
        for (cfg, reaped) in [(Config::memberlist_2015(), true), (Config::lan(), false)] {
            let mut rec = Recorder::new(7);
            let mut node = converged_node(0, 4, cfg, &mut rec);
            let p = gossip(1, 0, BroadcastKind::Dead, 3, 1, 1);
            node.handle(0, Input::Packet(&p), &mut rec);
            // Like memberlist's `probe`, a tick that meets self, a dead node and the
            // wrap in a row may give up; keep ticking.
            for _ in 0..6 {
                let (at, timer) = rec.timer_at(|t| matches!(t, Timer::ProbeTick)).unwrap();
                rec.clear();
                node.handle(at, Input::Timer(timer), &mut rec);
                if let Some(p) = rec
                    .sent
                    .iter()
                    .find(|p| matches!(p.body, Body::Ping { .. }))
                    .cloned()
                {
                    let Body::Ping { seq, target } = p.body else {
                        unreachable!()
                    };
                    node.handle(
                        at + 1,
                        Input::Packet(&packet(target, 0, Transport::Udp, Body::Ack { seq })),
                        &mut rec,
                    );
                }
            }
            assert_eq!(node.view_of(3).is_none(), reaped);
            if !reaped {
                assert_eq!(node.view_of(3), Some((State::Dead, 1)));
            }
        }
    }

    /// Rule (§2.3 relay): a relay pings the target with its own sequence number,
    /// forwards the ack under the requester's, and sends a nack after ProbeTimeout
    /// if asked and no ack came.
    #[test]
    fn relay_forwards_acks_and_sends_nacks() {
        let mut rec = Recorder::new(7);
        let mut node = converged_node(1, 4, Config::lan(), &mut rec);
        rec.clear();
        let req = packet(
            0,
            1,
            Transport::Udp,
            Body::IndirectPing {
                seq: 77,
                target: 2,
                want_nack: true,
            },
        );
        node.handle(SEC, Input::Packet(&req), &mut rec);
        let ping = rec.sent.iter().find(|p| p.to == 2).unwrap().clone();
        let Body::Ping {
            seq: relay_seq,
            target: 2,
        } = ping.body
        else {
            panic!("{ping:?}")
        };
        node.handle(
            SEC + 1,
            Input::Packet(&packet(2, 1, Transport::Udp, Body::Ack { seq: relay_seq })),
            &mut rec,
        );
        assert!(rec
            .sent
            .iter()
            .any(|p| p.to == 0 && p.body == Body::Ack { seq: 77 }));
        // A second request whose target stays silent gets a nack.
        rec.clear();
        let req = packet(
            0,
            1,
            Transport::Udp,
            Body::IndirectPing {
                seq: 78,
                target: 3,
                want_nack: true,
            },
        );
        node.handle(2 * SEC, Input::Packet(&req), &mut rec);
        fire(&mut node, &mut rec, |t| {
            matches!(t, Timer::RelayTimeout { .. })
        });
        assert!(rec
            .sent
            .iter()
            .any(|p| p.to == 0 && p.body == Body::Nack { seq: 78 }));
    }
}
