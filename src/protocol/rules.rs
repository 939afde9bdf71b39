//! memberlist.md §1: how alive, suspect and dead messages change a node's views,
//! incarnation precedence, refutation and the suspicion timer's firing.
//!
//! Precedence (SWIM): at equal incarnation dead > suspect > alive; `alive` needs a
//! strictly greater incarnation, `suspect` and `dead` need `>=`.

use super::event::RefuteKind;
use super::node::{Node, SuspicionTimer};
use super::suspicion::Suspicion;
use super::suspicions::{SuspicionSlot, NO_SUSPICION};
use super::{timing, Broadcast, BroadcastKind, Event, Nanos, NodeId, Runtime, State, Timer};

impl Node {
    /// memberlist `aliveNode` (§1.3). `bootstrap` is true only for `setAlive`.
    pub(super) fn alive_node(
        &mut self,
        now: Nanos,
        node: NodeId,
        incarnation: u32,
        bootstrap: bool,
        rt: &mut impl Runtime,
    ) {
        let is_local = node == self.id;
        if self.leaving && is_local {
            return; // a Leave is in progress
        }
        let mut is_new = false;
        if !self.members[node as usize].known() {
            // A brand-new node: created DEAD at incarnation 0 and inserted at a
            // random position of the probe order (the displaced node moves last).
            self.members[node as usize].set_known(0, State::Dead);
            self.down_since.insert(node, now);
            let offset = if self.order.is_empty() {
                0
            } else {
                rt.rng().index(self.order.len())
            };
            self.order.push(node);
            let last = self.order.len() - 1;
            self.order.swap(offset, last);
            is_new = true;
        }
        let st = self.members[node as usize];
        // A fresh entry is at incarnation 0, so any real alive (>= 1) passes.
        if !is_local && incarnation <= st.incarnation {
            return;
        }
        if is_local && incarnation < st.incarnation {
            return;
        }
        // Any suspicion about this node is cancelled (it ran since the
        // member turned SUSPECT, if it is).
        let suspected_at = self.take_suspicion(node).map(|s| s.timer.start());
        let old_state = st.state();
        if is_local && !bootstrap {
            if incarnation == st.incarnation {
                return; // our own alive echoed back
            }
            let new_inc = self.refute(incarnation, rt);
            rt.notify(Event::Refuted {
                kind: RefuteKind::Alive,
                from: node,
                accused_incarnation: incarnation,
                incarnation: new_inc,
            });
        } else {
            self.queue_broadcast(Broadcast {
                kind: BroadcastKind::Alive,
                node,
                incarnation,
                from: node,
            });
            let m = &mut self.members[node as usize];
            m.incarnation = incarnation;
            if is_local {
                self.incarnation = self.incarnation.max(incarnation);
            }
            if m.state() != State::Alive {
                let was_down = matches!(m.state(), State::Dead | State::Left);
                m.set_state(State::Alive);
                if was_down {
                    self.down_since.remove(&node);
                }
            }
        }
        match old_state {
            State::Dead | State::Left => {
                let inc = self.members[node as usize].incarnation;
                rt.notify(Event::MemberUp {
                    subject: node,
                    incarnation: inc,
                    rejoin: !is_new,
                });
                self.serf_notify_join(now, node, rt);
            }
            State::Suspect => {
                let inc = self.members[node as usize].incarnation;
                rt.notify(Event::SuspicionCleared {
                    subject: node,
                    incarnation: inc,
                    suspected_at: suspected_at.expect("BUG! a SUSPECT view without its suspicion"),
                });
            }
            State::Alive => {}
        }
    }

    /// memberlist `suspectNode` (§1.4).
    pub(super) fn suspect_node(
        &mut self,
        now: Nanos,
        node: NodeId,
        incarnation: u32,
        from: NodeId,
        rt: &mut impl Runtime,
    ) {
        let st = self.members[node as usize];
        if !st.known() || incarnation < st.incarnation {
            return;
        }
        if st.suspicion_full() {
            // Already suspect, with every confirmation counted: `Confirm`
            // would be false whoever accuses (see `Member::SUSPICION_FULL`).
            return;
        }
        if let Some(s) = self.suspicions.get_mut(node, st.suspicion_slot) {
            // Already suspect: a new independent accuser is a confirmation that
            // shortens the timer and is re-gossiped (Lifeguard). 2015 and the
            // `dynamic_suspicion: false` ablation have k = 0, so nothing counts.
            // memberlist `Confirm` stops the one timer and Resets it to the new
            // remaining time (suspicion.go: `if s.timer.Stop() { Reset }`): the
            // old deadline never fires. Here a new timer is armed and the old
            // one is remembered as superseded, so the engine drops it unrun.
            if let Some(deadline) = s.timer.confirm(from, now) {
                let token = next_token(&mut self.next_token);
                let old = std::mem::replace(&mut s.token, token);
                let confirmations = s.timer.confirmations();
                let full = confirmations >= s.timer.k();
                self.superseded_timers.insert(old);
                self.members[node as usize].set_suspicion_full(full);
                let slot = st.suspicion_slot;
                rt.set_timer(deadline.max(now), Timer::Suspicion { node, token, slot });
                rt.notify(Event::Confirmed {
                    subject: node,
                    from,
                    confirmations,
                });
                self.queue_broadcast(Broadcast {
                    kind: BroadcastKind::Suspect,
                    node,
                    incarnation,
                    from,
                });
            }
            return;
        }
        if st.state() != State::Alive {
            return; // dead and left nodes cannot become suspect
        }
        if node == self.id {
            let new_inc = self.refute(incarnation, rt);
            rt.notify(Event::Refuted {
                kind: RefuteKind::Suspect,
                from,
                accused_incarnation: incarnation,
                incarnation: new_inc,
            });
            return; // we never mark ourselves suspect
        }
        self.queue_broadcast(Broadcast {
            kind: BroadcastKind::Suspect,
            node,
            incarnation,
            from,
        });
        let m = &mut self.members[node as usize];
        m.incarnation = incarnation;
        m.set_state(State::Suspect);
        rt.notify(Event::Suspected {
            subject: node,
            incarnation,
            from,
        });
        let n = self.order.len();
        let mut k = if self.cfg.dynamic_suspicion {
            self.cfg.expected_confirmations()
        } else {
            0
        };
        if (n as i64) - 2 < i64::from(k) {
            k = 0;
        }
        let min = timing::suspicion_timeout(
            self.cfg.suspicion_mult,
            n,
            self.cfg.probe_interval,
            self.cfg.smooth_suspicion_timeout,
        );
        let max = if self.cfg.dynamic_suspicion {
            min * u64::from(self.cfg.suspicion_max_timeout_mult)
        } else {
            min
        };
        let timer = Suspicion::new(from, k, min, max, now);
        let token = next_token(&mut self.next_token);
        let deadline = timer.first_deadline();
        let full = timer.confirmations() >= timer.k();
        self.members[node as usize].set_suspicion_full(full);
        let slot = self
            .suspicions
            .insert(SuspicionTimer { node, token, timer });
        self.members[node as usize].suspicion_slot = slot;
        rt.set_timer(deadline, Timer::Suspicion { node, token, slot });
    }

    /// The suspicion timer fired: declare the node dead if it is still suspect
    /// since the same state change (§1.4 `onTimeout`).
    pub(super) fn on_suspicion_timeout(
        &mut self,
        now: Nanos,
        node: NodeId,
        token: u32,
        slot: SuspicionSlot,
        rt: &mut impl Runtime,
    ) {
        if !self.suspicion_runs(node, token, slot) {
            // Stale: cleared, expired, or Reset by a confirmation (a driver
            // that did not ask `take_superseded_timer` first still gets a no-op).
            self.take_superseded_token(token);
            return;
        }
        let s = self.take_suspicion(node).expect("checked above");
        // memberlist also asks that the state changed no more since the
        // suspicion began (`StateChange == changeTime`). A suspicion runs
        // exactly while the view is SUSPECT (every change of the view drops
        // it), so a current token already says so.
        let st = self.members[node as usize];
        if !(st.known() && st.state() == State::Suspect) {
            return;
        }
        let confirmations = s.timer.confirmations();
        let k = s.timer.k();
        rt.notify(Event::SuspicionExpired {
            subject: node,
            confirmations: self.cfg.speaks_post_2015().then_some(confirmations),
            degraded: k > 0 && confirmations < k,
        });
        let me = self.id;
        self.dead_node(now, node, st.incarnation, me, rt);
    }

    /// Whether the suspicion a timer was armed for (`node`, `token`, at table
    /// slot `slot`) still runs.
    ///
    /// Why the slot: a table entry never moves, so the suspicion still runs
    /// exactly when the entry at the slot it had is running with the timer's
    /// member and token, and the member's view need not be read first (two
    /// cache misses one after the other in a sick cluster, where most
    /// suspicion timers are stale by the time they fire: the suspicion was
    /// refuted). A suspicion the overflow map keeps has no slot
    /// ([`NO_SUSPICION`]) and is found through the view. Test builds check
    /// the answer against the view's.
    fn suspicion_runs(&self, node: NodeId, token: u32, slot: SuspicionSlot) -> bool {
        let through_view = || {
            let view_slot = self.members[node as usize].suspicion_slot;
            self.suspicions.get(node, view_slot).map(|s| s.token) == Some(token)
        };
        if slot == NO_SUSPICION {
            return through_view();
        }
        let runs = self
            .suspicions
            .at_slot(slot)
            .is_some_and(|s| s.node == node && s.token == token);
        #[cfg(test)]
        assert_eq!(
            runs,
            through_view(),
            "BUG! slot {slot} of a timer for {node}"
        );
        runs
    }

    /// True if `timer` is a suspicion timer that a confirmation has since Reset
    /// (memberlist suspicion.go `Confirm`: `timer.Stop()` then `timer.Reset`):
    /// that deadline no longer exists, so the timer must not fire, cost CPU or
    /// reach [`Node::handle`]. The node forgets it, so ask once per firing.
    ///
    /// Only the superseded deadlines of a suspicion answer true. Its latest timer
    /// still fires after the suspicion was cleared by an alive message or
    /// resolved otherwise: memberlist's `aliveNode` deletes the suspicion without
    /// stopping its timer (state.go `delete(m.nodeTimers, ...)`), whose callback
    /// then runs and finds the state changed. Every other timer answers false.
    pub fn take_superseded_timer(&mut self, timer: &Timer) -> bool {
        // Tokens are unique per node: the token alone names the timer.
        let Timer::Suspicion { token, .. } = *timer else {
            return false;
        };
        self.take_superseded_token(token)
    }

    /// [`Self::take_superseded_timer`] for the suspicion timer of `token`.
    pub fn take_superseded_token(&mut self, token: u32) -> bool {
        self.superseded_timers.take(token)
    }

    /// memberlist `deadNode` (§1.5). `from == node` means a voluntary leave.
    pub(super) fn dead_node(
        &mut self,
        now: Nanos,
        node: NodeId,
        incarnation: u32,
        from: NodeId,
        rt: &mut impl Runtime,
    ) {
        let st = self.members[node as usize];
        if !st.known() || incarnation < st.incarnation {
            return;
        }
        self.take_suspicion(node);
        if matches!(st.state(), State::Dead | State::Left) {
            return;
        }
        if node == self.id && !self.leaving {
            let new_inc = self.refute(incarnation, rt);
            rt.notify(Event::Refuted {
                kind: RefuteKind::Dead,
                from,
                accused_incarnation: incarnation,
                incarnation: new_inc,
            });
            return;
        }
        self.queue_broadcast(Broadcast {
            kind: BroadcastKind::Dead,
            node,
            incarnation,
            from,
        });
        let state = if node == from && self.cfg.left_state {
            State::Left
        } else {
            State::Dead
        };
        let m = &mut self.members[node as usize];
        m.incarnation = incarnation;
        m.set_state(state);
        self.down_since.insert(node, now);
        rt.notify(Event::MemberDown {
            subject: node,
            incarnation,
            from,
            state,
        });
        self.serf_notify_leave(now, node, node == from, rt);
    }

    /// memberlist `refute` (§1.6): jump the incarnation to max(own+1, accused+1),
    /// raise the health score (Lifeguard) and broadcast alive. Returns the new
    /// incarnation.
    pub(super) fn refute(&mut self, accused: u32, rt: &mut impl Runtime) -> u32 {
        let mut inc = self.incarnation.wrapping_add(1);
        if accused >= inc {
            inc = accused.wrapping_add(1);
        }
        self.incarnation = inc;
        let me = self.id;
        self.members[me as usize].incarnation = inc;
        if self.cfg.local_health {
            self.apply_awareness_delta(1, rt);
        }
        self.queue_broadcast(Broadcast {
            kind: BroadcastKind::Alive,
            node: me,
            incarnation: inc,
            from: me,
        });
        inc
    }

    pub(super) fn apply_awareness_delta(&mut self, delta: i32, rt: &mut impl Runtime) {
        if let Some(score) = self.awareness.apply_delta(delta) {
            rt.notify(Event::HealthScore { score });
        }
    }

    /// Remove `node`'s suspicion, if any; its view no longer says it is full.
    /// Every suspicion leaves through here, so [`Member::SUSPICION_FULL`] is
    /// never left set without one.
    fn take_suspicion(&mut self, node: NodeId) -> Option<SuspicionTimer> {
        let m = &mut self.members[node as usize];
        m.set_suspicion_full(false);
        let slot = std::mem::replace(&mut m.suspicion_slot, NO_SUSPICION);
        self.suspicions.remove(node, slot)
    }

    /// Remove `node` from the member map and probe order (reaping).
    pub(super) fn forget(&mut self, node: NodeId) {
        // The queue hint stays: the queue may still hold a message about it.
        self.members[node as usize].set_unknown();
        self.down_since.remove(&node);
        if let Some(i) = self.order.iter().position(|&m| m == node) {
            self.order.remove(i);
            if i < self.probe_index {
                self.probe_index -= 1;
            }
        }
        self.take_suspicion(node);
    }
}

/// The next suspicion-timer token (wrapping). Handed out only when a timer is
/// armed, so pending superseded tokens stay close together.
fn next_token(counter: &mut u32) -> u32 {
    *counter = counter.wrapping_add(1);
    *counter
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{converged_node, gossip, Recorder};
    use super::super::{BroadcastKind, Config, Event, Input, Node, State, Timer, SEC};
    use crate::protocol::event::RefuteKind;

    fn feed(
        node: &mut Node,
        rec: &mut Recorder,
        now: u64,
        kind: BroadcastKind,
        about: u32,
        inc: u32,
        from: u32,
    ) {
        let p = gossip(from, node.id(), kind, about, inc, from);
        node.handle(now, Input::Packet(&p), rec);
    }

    fn setup(state: State, inc: u32) -> (Node, Recorder) {
        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 5, Config::lan(), &mut rec);
        if inc > 1 {
            feed(&mut node, &mut rec, SEC, BroadcastKind::Alive, 2, inc, 2);
        }
        match state {
            State::Alive => {}
            State::Suspect => feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 2, inc, 3),
            State::Dead => feed(&mut node, &mut rec, SEC, BroadcastKind::Dead, 2, inc, 3),
            State::Left => unreachable!(),
        }
        assert_eq!(node.view_of(2), Some((state, inc)), "setup");
        rec.clear();
        (node, rec)
    }

    /// Rule (memberlist.md §1.4 `nodeTimers`, §1.5, §4.3 `StateChange`): a
    /// node holds a running suspicion about a member exactly while its view of
    /// the member is SUSPECT, and the time a member went down exactly while the
    /// view is DEAD or LEFT; a forgotten member has neither. The views keep no
    /// `StateChange` of their own (see `Member`), so these are where the
    /// suspicion timer's guard, gossip to the dead and reaping read it.
    ///
    /// One node of six, in the 2015, LAN and WAN configurations, gets random
    /// alive, suspect and dead messages about others and about itself, at
    /// random incarnations and from random accusers, while its own timers fire
    /// in time order (probes that time out, suspicion timers current and
    /// superseded, gossip rounds, reaping at the end of a probe round).
    #[test]
    fn suspicions_and_down_times_follow_the_view() {
        use crate::random::{Stream, StreamId};
        const N: u32 = 6;
        for (c, cfg) in [Config::memberlist_2015(), Config::lan(), Config::wan()]
            .into_iter()
            .enumerate()
        {
            for seed in 0..40u64 {
                let mut rng = Stream::new(seed, StreamId::Misc(7));
                let mut rec = Recorder::new(seed);
                let mut node = converged_node(0, N as usize, cfg.clone(), &mut rec);
                let mut pending: Vec<(u64, usize, Timer)> = Vec::new();
                let mut set = 0;
                let mut now = 0;
                for step in 0..600 {
                    // Timers set so far join the pending ones, in (time, order set).
                    for (at, t) in rec.timers.drain(..) {
                        pending.push((at, set, t));
                        set += 1;
                    }
                    rec.sent.clear();
                    if rng.below(2) == 0 && !pending.is_empty() {
                        pending.sort_by_key(|&(at, i, _)| (at, i));
                        let (at, _, t) = pending.remove(0);
                        now = now.max(at);
                        if !node.take_superseded_timer(&t) {
                            node.handle(now, Input::Timer(t), &mut rec);
                        }
                    } else {
                        now += rng.below(400) * 1_000_000;
                        let kind = [
                            BroadcastKind::Alive,
                            BroadcastKind::Suspect,
                            BroadcastKind::Dead,
                        ][rng.below(3) as usize];
                        let about = rng.below(u64::from(N)) as u32;
                        let inc = 1 + rng.below(4) as u32;
                        let from = rng.below(u64::from(N)) as u32;
                        feed(&mut node, &mut rec, now, kind, about, inc, from);
                    }
                    let mut suspects = 0;
                    for m in 0..N {
                        let view = node.members[m as usize];
                        let at = format!("config {c} seed {seed} step {step} member {m}");
                        let suspect = view.known() && view.state() == State::Suspect;
                        let down =
                            view.known() && matches!(view.state(), State::Dead | State::Left);
                        let suspicion = node.suspicions.get(m, view.suspicion_slot);
                        assert_eq!(suspicion.is_some(), suspect, "{at}");
                        suspects += usize::from(suspect);
                        assert_eq!(suspicion.map(|s| s.node), suspect.then_some(m), "{at}");
                        // The view says a suspicion is full exactly when it is.
                        let full =
                            suspicion.is_some_and(|s| s.timer.confirmations() >= s.timer.k());
                        assert_eq!(view.suspicion_full(), full, "{at}");
                        assert_eq!(node.down_since.contains_key(&m), down, "{at}");
                    }
                    // No suspicion runs unseen by a view.
                    assert_eq!(node.suspicions.len(), suspects, "config {c} seed {seed}");
                }
            }
        }
    }

    /// Rule (memberlist.md §1.2): at equal incarnation dead > suspect > alive; alive
    /// needs a strictly greater incarnation, suspect and dead need >=; lower
    /// incarnations are ignored; dead nodes cannot become suspect.
    #[test]
    fn precedence_at_equal_and_unequal_incarnations() {
        use BroadcastKind::{Alive as A, Dead as D, Suspect as S};
        use State::{Alive, Dead, Suspect};
        let table = [
            (
                (Alive, 1),
                (A, 1),
                (Alive, 1),
                "alive needs a greater incarnation",
            ),
            ((Alive, 1), (A, 2), (Alive, 2), "greater alive is taken"),
            ((Alive, 1), (S, 0), (Alive, 1), "older suspect ignored"),
            (
                (Alive, 1),
                (S, 1),
                (Suspect, 1),
                "suspect at equal incarnation wins",
            ),
            (
                (Alive, 1),
                (D, 1),
                (Dead, 1),
                "dead at equal incarnation wins",
            ),
            ((Alive, 2), (S, 1), (Alive, 2), "lower suspect ignored"),
            ((Alive, 2), (D, 1), (Alive, 2), "lower dead ignored"),
            (
                (Suspect, 1),
                (A, 1),
                (Suspect, 1),
                "equal alive does not clear suspicion",
            ),
            (
                (Suspect, 1),
                (A, 2),
                (Alive, 2),
                "refutation clears suspicion",
            ),
            (
                (Suspect, 1),
                (D, 1),
                (Dead, 1),
                "dead beats suspect at equal incarnation",
            ),
            ((Dead, 1), (A, 1), (Dead, 1), "equal alive does not revive"),
            ((Dead, 1), (S, 1), (Dead, 1), "dead cannot become suspect"),
            (
                (Dead, 1),
                (S, 2),
                (Dead, 1),
                "dead cannot become suspect even if newer",
            ),
            (
                (Dead, 1),
                (D, 2),
                (Dead, 1),
                "already dead: incarnation not raised",
            ),
            (
                (Dead, 1),
                (A, 2),
                (Alive, 2),
                "greater alive revives (rejoin)",
            ),
        ];
        for ((s0, i0), (kind, inc), expect, why) in table {
            let (mut node, mut rec) = setup(s0, i0);
            feed(&mut node, &mut rec, 2 * SEC, kind, 2, inc, 4);
            assert_eq!(node.view_of(2), Some(expect), "{why}");
        }
    }

    /// Rule (§1.3): a dead node revived by a greater alive fires NotifyJoin (a Serf
    /// join); a suspect node revived fires no application event.
    #[test]
    fn revival_from_dead_notifies_join_but_from_suspect_does_not() {
        let (mut node, mut rec) = setup(State::Dead, 1);
        feed(&mut node, &mut rec, 2 * SEC, BroadcastKind::Alive, 2, 2, 2);
        assert!(rec.events.iter().any(|e| matches!(
            e,
            Event::MemberUp {
                subject: 2,
                rejoin: true,
                ..
            }
        )));
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SerfMemberJoin { subject: 2 })));
        let (mut node, mut rec) = setup(State::Suspect, 1);
        feed(&mut node, &mut rec, 2 * SEC, BroadcastKind::Alive, 2, 2, 2);
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::MemberUp { .. } | Event::SerfMemberJoin { .. })));
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspicionCleared { subject: 2, .. })));
    }

    /// Rule (§1.6): refuting sets the incarnation to max(own+1, accused+1), raises the
    /// health score by 1 (Lifeguard, not 2015), queues alive, and names the accuser.
    #[test]
    fn refutation_incarnation_arithmetic() {
        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 5, Config::lan(), &mut rec);
        feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 0, 5, 3);
        assert_eq!(node.incarnation(), 6, "accused 5 > own 1: 5+1");
        assert!(rec.events.contains(&Event::Refuted {
            kind: RefuteKind::Suspect,
            from: 3,
            accused_incarnation: 5,
            incarnation: 6
        }));
        assert_eq!(node.health_score(), 1);
        feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 0, 2, 3);
        assert_eq!(node.incarnation(), 6, "older accusation ignored");
        feed(&mut node, &mut rec, SEC, BroadcastKind::Dead, 0, 6, 4);
        assert_eq!(node.incarnation(), 7, "own 6 >= accused 6: own+1");
        assert!(rec.events.iter().any(|e| matches!(
            e,
            Event::Refuted {
                kind: RefuteKind::Dead,
                from: 4,
                ..
            }
        )));
        feed(&mut node, &mut rec, SEC, BroadcastKind::Alive, 0, 9, 0);
        assert_eq!(node.incarnation(), 10, "someone claims to be us at 9");
        assert_eq!(
            node.view_of(0),
            Some((State::Alive, 10)),
            "we never hold ourselves suspect or dead"
        );
        assert_eq!(node.health_score(), 3);

        let mut rec = Recorder::new(1);
        let mut old = converged_node(0, 5, Config::memberlist_2015(), &mut rec);
        feed(&mut old, &mut rec, SEC, BroadcastKind::Suspect, 0, 1, 3);
        assert_eq!(old.incarnation(), 2);
        assert_eq!(old.health_score(), 0, "2015 has no awareness");
    }

    /// Rule (§1.6, §4.2): the refutation's alive is keyed by node name, so it
    /// replaces anything queued about that node; the suspect is not re-broadcast.
    #[test]
    fn refutation_replaces_queued_messages_about_the_node() {
        let (mut node, mut rec) = setup(State::Alive, 1);
        let before = node.queued_broadcasts();
        feed(
            &mut node,
            &mut rec,
            2 * SEC,
            BroadcastKind::Suspect,
            2,
            1,
            3,
        );
        assert_eq!(node.queued_broadcasts(), before + 1);
        feed(&mut node, &mut rec, 2 * SEC, BroadcastKind::Alive, 2, 2, 2);
        assert_eq!(
            node.queued_broadcasts(),
            before + 1,
            "alive replaced the suspect"
        );
    }

    fn suspicion_deadlines(rec: &Recorder) -> Vec<u64> {
        rec.timers
            .iter()
            .filter(|(_, t)| matches!(t, Timer::Suspicion { .. }))
            .map(|(at, _)| *at)
            .collect()
    }

    /// Rule (§3.2, today n=5): k = SuspicionMult−2 = 2; the timer starts at max (24 s)
    /// and independent confirmations pull it to 11.381 s then 4 s since the start;
    /// repeated accusers and the originator do not count.
    #[test]
    fn lifeguard_confirmations_shorten_the_suspicion_timer() {
        let (mut node, mut rec) = setup(State::Alive, 1);
        let t0 = 10 * SEC;
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 3);
        assert_eq!(suspicion_deadlines(&rec), vec![t0 + 24 * SEC]);
        feed(
            &mut node,
            &mut rec,
            t0 + SEC,
            BroadcastKind::Suspect,
            2,
            1,
            3,
        );
        assert_eq!(
            suspicion_deadlines(&rec).len(),
            1,
            "originator is not a confirmation"
        );
        feed(
            &mut node,
            &mut rec,
            t0 + SEC,
            BroadcastKind::Suspect,
            2,
            1,
            4,
        );
        assert_eq!(suspicion_deadlines(&rec)[1], t0 + 11_381 * 1_000_000);
        feed(
            &mut node,
            &mut rec,
            t0 + 2 * SEC,
            BroadcastKind::Suspect,
            2,
            1,
            4,
        );
        assert_eq!(suspicion_deadlines(&rec).len(), 2, "same confirmer twice");
        feed(
            &mut node,
            &mut rec,
            t0 + 2 * SEC,
            BroadcastKind::Suspect,
            2,
            1,
            1,
        );
        assert_eq!(suspicion_deadlines(&rec)[2], t0 + 4 * SEC);
        let confirmed = rec
            .events
            .iter()
            .filter(|e| matches!(e, Event::Confirmed { .. }))
            .count();
        assert_eq!(confirmed, 2);
    }

    /// Rule (§3.2, issue 9): `expected_confirmations` replaces memberlist's
    /// hard-wired K = SuspicionMult − 2 (the Lifeguard paper's α sweep uses
    /// K = 3): with K = 3 at n = 5 (min 4 s, max 24 s) one confirmation pulls the
    /// timer to 24 − ln 2 / ln 4 · 20 = 14 s, two to 8.150 s.
    /// Node 2 suspected at `t0` by 3, then confirmed by 4 and 1: the k = 2
    /// confirmations of a LAN suspicion in a 5-node cluster.
    fn suspected_and_confirmed_k_times(t0: super::Nanos) -> (Node, Recorder) {
        let (mut node, mut rec) = setup(State::Alive, 1);
        for from in [3, 4, 1] {
            feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, from);
        }
        (node, rec)
    }

    /// Rule (memberlist.md §3.2, suspicion.go `Confirm`: `if s.n >= s.k
    /// return false`): once a suspicion has its k confirmations, a suspect
    /// message about the member changes nothing, from a new accuser or at a
    /// newer incarnation (`suspectNode` hands it to `Confirm` and returns):
    /// no timer, no event, nothing queued. The view says the suspicion is
    /// full, and that is where such a message now stops.
    #[test]
    fn suspect_messages_after_k_confirmations_change_nothing() {
        let t0 = 10 * SEC;
        let (mut node, mut rec) = suspected_and_confirmed_k_times(t0);
        assert!(node.members[2].suspicion_full());
        let queued = node.queue.get(2);
        rec.clear();
        // A new accuser, then a newer incarnation: both after the k-th.
        feed(
            &mut node,
            &mut rec,
            t0 + SEC,
            BroadcastKind::Suspect,
            2,
            1,
            0,
        );
        feed(
            &mut node,
            &mut rec,
            t0 + SEC,
            BroadcastKind::Suspect,
            2,
            2,
            0,
        );
        assert!(rec.events.is_empty(), "{:?}", rec.events);
        assert!(rec.timers.is_empty(), "{:?}", rec.timers);
        assert_eq!(node.queue.get(2), queued);
        assert_eq!(node.view_of(2), Some((State::Suspect, 1)));
        // An alive message clears the suspicion, and with it the view's flag.
        feed(&mut node, &mut rec, t0 + SEC, BroadcastKind::Alive, 2, 2, 2);
        assert!(!node.members[2].suspicion_full());
        assert_eq!(node.view_of(2), Some((State::Alive, 2)));
    }

    #[test]
    fn expected_confirmations_overrides_k() {
        let mut cfg = Config::lan();
        assert_eq!(cfg.expected_confirmations(), 2, "default SuspicionMult - 2");
        cfg.set("expected_confirmations", "3").unwrap();
        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 5, cfg, &mut rec);
        rec.clear();
        let t0 = 10 * SEC;
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 3);
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 4);
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 1);
        assert_eq!(
            suspicion_deadlines(&rec),
            vec![t0 + 24 * SEC, t0 + 14 * SEC, t0 + 8_150 * 1_000_000]
        );
    }

    /// Rule (§1.4, §7 2015; memberlist 6025015 state.go:L771-L774 a suspect about
    /// a non-alive node is dropped, L812-L822 one `time.AfterFunc`, util.go:L97-L101
    /// the timeout): no confirmations; a fixed stepwise timeout
    /// SuspicionMult·ceil(log10(n+1))·PI = 5 s for n = 5; firing declares the node
    /// dead and logs "Marking X as failed" without a confirmation count.
    #[test]
    fn memberlist_2015_suspicion_is_fixed_and_ignores_confirmations() {
        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 5, Config::memberlist_2015(), &mut rec);
        rec.clear();
        let t0 = 10 * SEC;
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 3);
        feed(
            &mut node,
            &mut rec,
            t0 + SEC,
            BroadcastKind::Suspect,
            2,
            1,
            4,
        );
        assert_eq!(suspicion_deadlines(&rec), vec![t0 + 5 * SEC]);
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::Confirmed { .. })));
        let (at, timer) = rec
            .timer_at(|t| matches!(t, Timer::Suspicion { .. }))
            .unwrap();
        node.handle(at, Input::Timer(timer), &mut rec);
        assert!(rec.events.contains(&Event::SuspicionExpired {
            subject: 2,
            confirmations: None,
            degraded: false
        }));
        assert_eq!(node.view_of(2), Some((State::Dead, 1)));
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SerfMemberFailed { subject: 2 })));
    }

    /// Rule (§1.4): the timer declares death only if the node is still suspect since
    /// the same state change; a refutation in between makes the firing stale.
    #[test]
    fn suspicion_timer_is_stale_after_refutation() {
        let (mut node, mut rec) = setup(State::Alive, 1);
        feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 2, 1, 3);
        let (at, timer) = rec
            .timer_at(|t| matches!(t, Timer::Suspicion { .. }))
            .unwrap();
        feed(&mut node, &mut rec, 2 * SEC, BroadcastKind::Alive, 2, 2, 2);
        node.handle(at, Input::Timer(timer), &mut rec);
        assert_eq!(node.view_of(2), Some((State::Alive, 2)));
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::MemberDown { .. })));
    }

    /// Rule (§1.4), with the suspicion table's entries reused: a timer whose
    /// suspicion was refuted stays stale after another member's suspicion took
    /// its entry (the slot the timer carries), and neither changes the other:
    /// that member's own timer still declares it dead.
    #[test]
    fn a_stale_suspicion_timer_stays_stale_when_its_entry_is_reused() {
        let (mut node, mut rec) = setup(State::Alive, 1);
        feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 2, 1, 3);
        let (at2, timer2) = rec
            .timer_at(|t| matches!(t, Timer::Suspicion { node: 2, .. }))
            .unwrap();
        feed(&mut node, &mut rec, 2 * SEC, BroadcastKind::Alive, 2, 2, 2);
        feed(
            &mut node,
            &mut rec,
            3 * SEC,
            BroadcastKind::Suspect,
            4,
            1,
            3,
        );
        let (at4, timer4) = rec
            .timer_at(|t| matches!(t, Timer::Suspicion { node: 4, .. }))
            .unwrap();
        let (Timer::Suspicion { slot: slot2, .. }, Timer::Suspicion { slot: slot4, .. }) =
            (timer2, timer4)
        else {
            unreachable!("suspicion timers")
        };
        assert_eq!(slot2, slot4, "the refuted suspicion's entry was reused");

        node.handle(at2, Input::Timer(timer2), &mut rec);
        assert_eq!(node.view_of(2), Some((State::Alive, 2)));
        assert_eq!(node.view_of(4), Some((State::Suspect, 1)), "untouched");
        assert!(!rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspicionExpired { .. })));

        node.handle(at4, Input::Timer(timer4), &mut rec);
        assert!(rec
            .events
            .iter()
            .any(|e| matches!(e, Event::SuspicionExpired { subject: 4, .. })));
        assert_eq!(node.view_of(4), Some((State::Dead, 1)));
    }

    /// Rule (memberlist suspicion.go `Confirm`: `timer.Stop()` + `Reset`; state.go
    /// `aliveNode` deletes the suspicion without stopping its timer): only the
    /// deadlines a confirmation replaced are superseded, each answered once; the
    /// latest timer is not, even after the suspicion is cleared (it fires and
    /// does nothing); k = 0 (2015) never supersedes anything.
    #[test]
    fn only_the_deadlines_a_confirmation_reset_are_superseded() {
        let t0 = 10 * SEC;
        let (mut node, mut rec) = suspected_and_confirmed_k_times(t0);
        let timers: Vec<Timer> = rec.timers.iter().map(|&(_, t)| t).collect();
        let [first, second, latest] = timers[..] else {
            panic!("one timer per start or confirmation: {timers:?}");
        };
        assert!(node.take_superseded_timer(&first));
        assert!(node.take_superseded_timer(&second));
        assert!(!node.take_superseded_timer(&first), "asked once per firing");
        assert!(!node.take_superseded_timer(&latest), "the live deadline");
        assert!(!node.take_superseded_timer(&Timer::ProbeTick));
        feed(&mut node, &mut rec, t0 + SEC, BroadcastKind::Alive, 2, 2, 2);
        assert!(!node.take_superseded_timer(&latest), "cleared: still fires");
        rec.clear();
        node.handle(t0 + 4 * SEC, Input::Timer(latest), &mut rec);
        assert!(rec.events.is_empty(), "and finds the state changed");
        assert_eq!(node.view_of(2), Some((State::Alive, 2)));

        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 5, Config::memberlist_2015(), &mut rec);
        rec.clear();
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 3);
        feed(&mut node, &mut rec, t0, BroadcastKind::Suspect, 2, 1, 4);
        let (_, only) = rec
            .timer_at(|t| matches!(t, Timer::Suspicion { .. }))
            .unwrap();
        assert!(
            !node.take_superseded_timer(&only),
            "k = 0: nothing is Reset"
        );
    }

    /// Rule (§1.4): with fewer than k+2 nodes, k = 0 and the timer runs at the
    /// minimum from the start (today, n = 3: 4 s).
    #[test]
    fn k_is_zero_when_fewer_than_k_plus_two_nodes() {
        let mut rec = Recorder::new(1);
        let mut node = converged_node(0, 3, Config::lan(), &mut rec);
        rec.clear();
        feed(&mut node, &mut rec, SEC, BroadcastKind::Suspect, 2, 1, 1);
        assert_eq!(suspicion_deadlines(&rec), vec![5 * SEC]);
    }

    /// Rule (§1.5, §1.7): a graceful leave is recorded as LEFT today and as DEAD in
    /// 2015; Serf reports a leave, not a failure.
    #[test]
    fn leave_is_left_today_and_dead_in_2015() {
        for (cfg, want) in [
            (Config::lan(), State::Left),
            (Config::memberlist_2015(), State::Dead),
        ] {
            let mut rec = Recorder::new(1);
            let mut node = converged_node(0, 5, cfg, &mut rec);
            feed(&mut node, &mut rec, SEC, BroadcastKind::Dead, 2, 1, 2);
            assert_eq!(node.view_of(2), Some((want, 1)));
            assert!(rec
                .events
                .iter()
                .any(|e| matches!(e, Event::SerfMemberLeave { subject: 2 })));
            assert!(!rec
                .events
                .iter()
                .any(|e| matches!(e, Event::SerfMemberFailed { .. })));
        }
    }
}
