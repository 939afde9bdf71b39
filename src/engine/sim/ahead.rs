//! Warming the next event while this one runs.
//!
//! A thousand nodes' state does not fit in cache, and each event lands on a
//! node at random: the first lines it reads (the host's state, the receiver's
//! views of a packet's subjects, a suspicion timer's entry) miss, and the
//! handler waits for them before the rest can start. The queue nearly always
//! knows the next event already (96 % of the starved 1,000-node bench's
//! events), so the engine asks for those lines one event ahead: their misses
//! overlap with the work of the event in hand instead of adding to the next
//! one's. Prefetches only ([`crate::prefetch`]): the event in hand may queue
//! an earlier one, and a wrong guess costs a few requests, never a result.

use super::{Ev, Simulation};

/// The fewest queued events at which the engine warms the next event.
///
/// Why a threshold: warming costs about 50 instructions an event, which pay
/// only when the lines it asks for are not in cache already. The queue's
/// length is the cheapest reading the engine has of how much state a run
/// keeps: every node's timers and packets in flight, and a sick cluster's
/// suspicion timers. A healthy 1,000-node cluster keeps about 6,500 events
/// queued, and its state (under 30 MB) mostly stays in cache: warming it ran
/// 4.4 % more instructions. The starved 1,000-node bench keeps 380,000 to
/// 790,000 (state of 137 MB) and a healthy 10,000-node one about 65,000
/// (1.3 GB); the incident replay, 256.
pub(super) const WARM_FROM_PENDING: usize = 1 << 15;

impl Simulation {
    /// Ask for the first lines the next queued event will read, if the queue
    /// can tell it cheaply ([`crate::engine::queue::EventQueue::peek_next`]).
    ///
    /// Only the events a sick cluster is made of: packets arriving or
    /// delivered, timers (most of them suspicion timers whose suspicion is
    /// gone) and hosts waking to run queued work.
    #[inline(always)]
    pub(super) fn warm_next(&self) {
        if self.w.queue.len() < self.warm_from {
            return;
        }
        let Some(next) = self.w.queue.peek_next() else {
            return;
        };
        #[cfg(test)]
        self.warmed.set(self.warmed.get() + 1);
        let node = match next {
            Ev::Arrive { packet } | Ev::Deliver { packet } => packet.to,
            Ev::Timer { node, .. } | Ev::Wake(node) => *node,
            _ => return,
        };
        if let Some(host) = self.w.hosts.get(node as usize) {
            host.warm();
        }
        match next {
            Ev::Arrive { packet } | Ev::Deliver { packet } => {
                if let Some(n) = self.node(node) {
                    n.warm_views(&packet.parts);
                }
            }
            Ev::Timer { timer, .. } => {
                if let Some(n) = self.node(node) {
                    n.warm_timer(timer);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::Rec;
    use crate::protocol::SEC;

    use super::super::Simulation;

    /// Rule (engine, `warm_next`): warming the next event asks for cache
    /// lines and nothing else. The incident's first 25 minutes (a starved,
    /// slowed, throttled, paused and restarted node) and an hour of
    /// CPU-credit exhaustion with a contending neighbour give the same
    /// protocol events, ground truth, packets, host samples, timers run,
    /// digest, events and budget units whether every event is warmed or none.
    #[test]
    fn warming_the_next_event_changes_no_result() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for (file, minutes) in [
            ("qiita-2015-sick-t2.yaml", 25),
            ("t2-credit-exhaustion-contention.yaml", 60),
        ] {
            let mut s = crate::scenario::load(&root.join(file)).expect("shipped scenario");
            s.duration = minutes * 60 * SEC;
            let mut runs = [0, usize::MAX].map(|warm_from| {
                let mut sim = Simulation::new(&s);
                sim.warm_from = warm_from;
                let mut rec = Rec::default();
                sim.run(&mut rec, &mut |_| {});
                (rec, sim)
            });
            let [(warm, warm_sim), (cold, cold_sim)] = &mut runs;
            let events = warm_sim.stats().events;
            assert!(
                warm_sim.warmed.get() * 2 > events,
                "{file}: {} of {events} events warmed",
                warm_sim.warmed.get()
            );
            assert_eq!(cold_sim.warmed.get(), 0, "{file}");
            assert_eq!(warm.events, cold.events, "{file}");
            assert_eq!(warm.truths, cold.truths, "{file}");
            assert_eq!(warm.sent, cold.sent, "{file}");
            assert_eq!(warm.received, cold.received, "{file}");
            assert_eq!(warm.dropped, cold.dropped, "{file}");
            assert_eq!(warm.samples, cold.samples, "{file}");
            assert_eq!(warm_sim.w.timers_run, cold_sim.w.timers_run, "{file}");
            let (a, b) = (warm_sim.stats(), cold_sim.stats());
            assert_eq!(
                (a.digest, a.events, a.packets, a.work),
                (b.digest, b.events, b.packets, b.work),
                "{file}"
            );
        }
    }
}
