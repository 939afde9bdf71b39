//! memberlist.md §4.3: gossip rounds and `kRandomNodes`.

use super::node::{went_down_at, Member, Node};
use super::{timing, Body, Nanos, NodeId, Packet, PartsKind, Runtime, State, Timer, Transport};

impl Node {
    /// Gossip ticker: send queued broadcasts to `GossipNodes` random eligible peers,
    /// one packet each, stopping the round when the queue has nothing left.
    pub(super) fn on_gossip_tick(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let gi = self.cfg.gossip_interval;
        let mut next = self.next_gossip_tick + gi;
        if next <= now {
            next += (now - next) / gi * gi + gi;
        }
        self.next_gossip_tick = next;
        rt.set_timer(next, Timer::GossipTick);
        if self.queue.is_empty() {
            // memberlist would draw targets and then find nothing to send; skipping
            // the draws changes no outcome and keeps the idle tick cheap.
            return;
        }
        let to_the_dead = self.cfg.gossip_to_dead;
        let grace = self.cfg.gossip_to_the_dead_time;
        // Lent to the filter while `random_nodes` holds the node.
        let down_since = std::mem::take(&mut self.down_since);
        self.random_nodes(self.cfg.gossip_nodes as usize, rt, |node, m| {
            match m.state() {
                State::Alive => true,
                State::Suspect => to_the_dead,
                State::Dead => {
                    to_the_dead && now.saturating_sub(went_down_at(&down_since, node)) <= grace
                }
                State::Left => false,
            }
        });
        self.down_since = down_since;
        let targets = std::mem::take(&mut self.scratch);
        let budget = self.cfg.udp_buffer_size.saturating_sub(2);
        for &target in &targets {
            let limit = timing::retransmit_limit(self.cfg.retransmit_mult, self.order.len());
            let mut parts = rt.parts_buffer();
            let used = self.queue.get_broadcasts(2, budget, limit, &mut parts);
            if parts.is_empty() {
                break;
            }
            // One message goes as is; several as a compound.
            let bytes = if parts.len() == 1 {
                used - 2
            } else {
                super::node::COMPOUND_HEADER + used
            };
            rt.send(Packet {
                from: self.id,
                to: target,
                transport: Transport::Udp,
                body: Body::Gossip,
                parts,
                parts_kind: PartsKind::Broadcasts,
                bytes,
            });
        }
        self.scratch = targets;
    }

    /// memberlist `kRandomNodes(k, filter)` over the probe list, excluding self and
    /// unknown nodes, into `self.scratch`. Below 3k nodes (with the 2026 rule) it
    /// shuffles a copy and takes the first k that pass; otherwise it makes up to
    /// 3n uniform draws, skipping filtered and duplicate nodes (may return fewer).
    pub(super) fn random_nodes(
        &mut self,
        k: usize,
        rt: &mut impl Runtime,
        mut keep: impl FnMut(NodeId, &Member) -> bool,
    ) {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let n = self.order.len();
        if k == 0 || n == 0 {
            self.scratch = out;
            return;
        }
        let me = self.id;
        if self.cfg.exhaustive_small_random_nodes && n < 3 * k {
            out.extend_from_slice(&self.order);
            rt.rng().shuffle(&mut out);
            let members = &self.members;
            out.retain(|&node| node != me && keep(node, &members[node as usize]));
            out.truncate(k);
        } else {
            for _ in 0..3 * n {
                if out.len() >= k {
                    break;
                }
                let node = self.order[rt.rng().index(n)];
                if node == me || out.contains(&node) {
                    continue;
                }
                if keep(node, &self.members[node as usize]) {
                    out.push(node);
                }
            }
        }
        self.scratch = out;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{converged_node, gossip, Recorder};
    use super::super::{Body, BroadcastKind, Config, Input, Timer, SEC};

    /// Rule (§4.3): gossip goes to ALIVE nodes only in 2015 (memberlist 6025015
    /// state.go:L305-L307 `kRandomNodes`, util.go:L170-L173 "Exclude if not
    /// alive"), so a suspected node hears of it only from packets sent to it;
    /// today also to suspect nodes and to nodes dead for at most
    /// GossipToTheDeadTime.
    #[test]
    fn gossip_targets_alive_only_in_2015_and_suspect_or_recently_dead_today() {
        for (cfg, reaches_dead) in [(Config::memberlist_2015(), false), (Config::lan(), true)] {
            let mut rec = Recorder::new(11);
            let mut node = converged_node(0, 4, cfg, &mut rec);
            // Node 3 suspect, node 2 dead; node 1 alive.
            node.handle(
                0,
                Input::Packet(&gossip(1, 0, BroadcastKind::Suspect, 3, 1, 1)),
                &mut rec,
            );
            node.handle(
                0,
                Input::Packet(&gossip(1, 0, BroadcastKind::Dead, 2, 1, 1)),
                &mut rec,
            );
            let mut targets = Vec::new();
            for k in 0..20u64 {
                rec.sent.clear();
                // Keep something queued.
                let inc = 10 + k as u32;
                node.handle(
                    k * SEC / 10,
                    Input::Packet(&gossip(1, 0, BroadcastKind::Alive, 1, inc, 1)),
                    &mut rec,
                );
                rec.sent.clear();
                node.handle(k * SEC / 10, Input::Timer(Timer::GossipTick), &mut rec);
                targets.extend(
                    rec.sent
                        .iter()
                        .filter(|p| p.body == Body::Gossip)
                        .map(|p| p.to),
                );
            }
            assert!(targets.contains(&1));
            assert_eq!(
                targets.contains(&3) || targets.contains(&2),
                reaches_dead,
                "{targets:?}"
            );
        }
    }

    /// Rule (§4.1, §4.3): each message is sent `limit` times by a node then dropped;
    /// one gossip tick to 3 peers spends 3 transmits (limit 4 for n ≤ 9).
    #[test]
    fn a_broadcast_is_sent_retransmit_limit_times_then_dropped() {
        let mut rec = Recorder::new(11);
        let mut node = converged_node(0, 5, Config::lan(), &mut rec);
        node.handle(
            0,
            Input::Packet(&gossip(1, 0, BroadcastKind::Alive, 1, 5, 1)),
            &mut rec,
        );
        let mut sends = 0;
        for k in 0..5u64 {
            rec.sent.clear();
            node.handle(k * SEC, Input::Timer(Timer::GossipTick), &mut rec);
            sends += rec.sent.iter().filter(|p| p.body == Body::Gossip).count();
            if k == 0 {
                assert_eq!(sends, 3, "GossipNodes = 3 per tick");
            }
        }
        assert_eq!(sends, 4, "RetransmitMult·ceil(log10(6)) = 4");
        assert_eq!(node.queued_broadcasts(), 0);
    }
}
