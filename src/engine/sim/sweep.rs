//! Sweeping superseded suspicion timers out of the event queue.
//!
//! A Lifeguard confirmation Resets a suspicion timer (memberlist suspicion.go
//! `Confirm`: `timer.Stop()` + `Reset(remaining)`). The queue cannot move an
//! entry, so the node arms a new timer and remembers the old token as
//! superseded; [`Simulation::local`] drops such a timer unrun when it pops. In a
//! sick cluster most confirmations supersede a timer up to the suspicion's
//! maximum timeout (a minute) away, so those dead entries were most of the
//! queue's memory and a good share of its pops.
//!
//! Why a sweep rather than a second, cancellable structure: the dead entries
//! are recognised by a question the node already answers
//! ([`Node::take_superseded_timer`]), so one pass over the queue's contiguous
//! buckets removes them all without handles, without a lookup table from tokens
//! to queue slots, and without touching the pop path that every other event
//! takes. The sweep runs only when the nodes report that dead entries are at
//! least `1 / DEAD_FRACTION` of the queue, so its O(queue) cost is paid for by
//! at least `queue / DEAD_FRACTION` supersessions: O(1) per superseded timer,
//! and the queue holds at most that fraction of dead weight (plus what piles up
//! between two checks).
//!
//! The sweep asks every node's set of superseded tokens through a copy made
//! for it ([`SupersededCopy`], a few words per node, all in cache) and writes
//! what it took back at its end: asked in the nodes themselves, each of
//! hundreds of thousands of queued timers cost two cache misses one after the
//! other (the node, then its set's words).
//!
//! Results cannot change: the sweep asks exactly what [`Simulation::local`]
//! asks when the timer pops (same process epoch, process up, superseded:
//! [`superseded_by`], with the copy standing for the nodes' sets), the
//! other entries keep their `(time, seq)` keys, and a superseded timer is not
//! counted as an event whether it is swept or popped ([`super::RunStats`]).

use crate::protocol::superseded::SupersededCopy;
use crate::protocol::{NodeId, Timer};

use super::procs::Proc;
use super::{Ev, Simulation};

/// Whether `timer`, armed by `node`'s process `epoch`, is one its node
/// superseded (and forget it if so). The one question both a pop
/// ([`Simulation::local`]) and a sweep ask, so a sweep can never drop a timer
/// a pop would run. Takes the engine's parts, not `&mut Simulation`, because
/// the sweep asks it while the queue is borrowed.
pub(super) fn take_superseded(
    procs: &mut [Proc],
    epochs: &[u32],
    up: &[bool],
    node: NodeId,
    epoch: u32,
    timer: &Timer,
) -> bool {
    superseded_by(epochs, up, node, epoch, timer, |node, token| {
        procs[node]
            .node
            .as_mut()
            .is_some_and(|n| n.take_superseded_token(token))
    })
}

/// [`take_superseded`], with the node's set asked through `take(node index,
/// token)`: the node itself on a pop, the sweep's copy of every node's set
/// ([`SupersededCopy`]) in a sweep.
// Inlined: a sweep asks it for each of hundreds of thousands of queued
// events, most of them not timers.
#[inline(always)]
fn superseded_by(
    epochs: &[u32],
    up: &[bool],
    node: NodeId,
    epoch: u32,
    timer: &Timer,
    take: impl FnOnce(usize, u32) -> bool,
) -> bool {
    // Tokens are unique per node: the token alone names the timer.
    let Timer::Suspicion { token, .. } = *timer else {
        return false;
    };
    let i = node as usize;
    epochs[i] == epoch && up[i] && take(i, token)
}

/// Sweep when the dead entries are at least this fraction (1/n) of the queue.
/// A third rather than an eighth: each pass visits every entry (a cache miss
/// into its node for each suspicion timer), so sweeping a third as often
/// saved 1.9 % of the instructions of a starved 1,000-node run for 5 MB more
/// peak memory (169 MB to 174 MB over 120 s; a half saved 3.2 % for 14 MB).
const DEAD_FRACTION: usize = 3;

/// Never sweep a queue with fewer dead entries than this: not worth a pass.
const MIN_DEAD: usize = 4096;

/// Events between two looks at the nodes' pending counts, at least; a look
/// reads one counter in each node (a cache miss each), so it is also spaced by
/// [`CHECK_EVERY_PER_NODE`] events per node: a fraction of a percent of the run.
const CHECK_EVERY: u64 = 1 << 16;
const CHECK_EVERY_PER_NODE: u64 = 64;

impl Simulation {
    /// After each event: now and then, sweep if dead timers piled up.
    pub(super) fn maybe_sweep(&mut self) {
        if self.w.events < self.next_sweep_check {
            return;
        }
        self.next_sweep_check =
            self.w.events + CHECK_EVERY.max(CHECK_EVERY_PER_NODE * self.procs.len() as u64);
        let dead: usize = self
            .procs
            .iter()
            .filter_map(|p| p.node.as_ref())
            .map(|n| n.superseded_pending())
            .sum();
        if dead >= MIN_DEAD && dead * DEAD_FRACTION >= self.w.queue.len() {
            self.sweep_superseded();
        }
    }

    /// Remove every queued timer that [`Simulation::local`] would drop as
    /// superseded; returns how many.
    pub(super) fn sweep_superseded(&mut self) -> usize {
        let mut copy = SupersededCopy::of(self.procs.iter().map(|p| p.node.as_ref()));
        let (epochs, up) = (&self.w.epochs, &self.w.up);
        let swept = self.w.queue.retain(|_, ev| {
            let Ev::Timer { node, epoch, timer } = ev else {
                return true;
            };
            !superseded_by(epochs, up, *node, *epoch, timer, |node, token| {
                copy.take(node, token)
            })
        });
        copy.write_back(self.procs.iter_mut().map(|p| p.node.as_mut()));
        swept
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{scenario, Rec};
    use crate::protocol::{Event, SEC};
    use crate::scenario::fault::timeline::{crash::Crash, pause::Pause};
    use crate::scenario::{Action, Scenario, TimelineEvent};

    use super::super::Simulation;

    /// A 12-node cluster where confirmations supersede suspicion timers: one
    /// node crashes (suspected, confirmed, declared dead), one pauses
    /// (suspected, confirmed, refutes: its latest timers still fire).
    fn churning() -> Scenario {
        let mut s = scenario(12, 7, 90 * SEC);
        s.timeline.push(TimelineEvent {
            at: 10 * SEC,
            action: Action::Crash(Crash(vec![11])),
        });
        s.timeline.push(TimelineEvent {
            at: 30 * SEC,
            action: Action::Pause(Pause {
                nodes: vec![3],
                duration: 6 * SEC,
            }),
        });
        s
    }

    /// Rule: sweeping superseded timers out of the queue changes nothing a run
    /// reports: sweeping before every single event gives the same protocol
    /// events, packets, timers run, digest and event count as never sweeping
    /// (the run's own sweeps wait for thousands of dead timers, so this 12-node
    /// run does not sweep by itself).
    #[test]
    fn sweeping_before_every_event_changes_nothing() {
        let s = churning();
        let mut plain = Simulation::new(&s);
        let mut seen = Rec::default();
        plain.run(&mut seen, &mut |_| {});

        let mut swept_sim = Simulation::new(&s);
        let mut swept_rec = Rec::default();
        let mut swept = 0;
        while swept_sim.next_event_time().is_some_and(|t| t <= s.duration) {
            swept += swept_sim.sweep_superseded();
            swept_sim.step(&mut swept_rec);
        }
        assert!(swept > 0, "the scenario must supersede timers");
        assert!(
            seen.events
                .iter()
                .any(|(_, _, e)| matches!(e, Event::Confirmed { .. })),
            "and confirm suspicions"
        );
        assert_eq!(swept_rec.events, seen.events);
        assert_eq!(swept_rec.truths, seen.truths);
        assert_eq!(swept_rec.sent, seen.sent);
        assert_eq!(swept_sim.w.timers_run, plain.w.timers_run);
        let (a, b) = (plain.stats(), swept_sim.stats());
        assert_eq!(
            (a.digest, a.events, a.packets, a.work),
            (b.digest, b.events, b.packets, b.work)
        );
    }
}
