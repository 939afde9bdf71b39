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
        let (node, parts, timer) = match next {
            Ev::Arrive { packet } | Ev::Deliver { packet } => {
                (packet.to, Some(&packet.parts), None)
            }
            Ev::Timer { node, timer, .. } => (*node, None, Some(timer)),
            Ev::Wake(node) => (*node, None, None),
            _ => return,
        };
        if let Some(host) = self.w.hosts.get(node as usize) {
            host.warm();
        }
        let Some(n) = self.node(node) else {
            return;
        };
        if let Some(parts) = parts {
            n.warm_views(parts);
        }
        if let Some(timer) = timer {
            n.warm_timer(timer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::same_run::runs_agree;

    /// Rule (engine, `warm_next`): warming the next event asks for cache
    /// lines and nothing else: every result is the same whether every event
    /// is warmed or none ([`runs_agree`]).
    #[test]
    fn warming_the_next_event_changes_no_result() {
        let runs = runs_agree(|sim, warm| sim.warm_from = if warm { 0 } else { usize::MAX });
        for (file, [(_, cold), (_, warm)]) in runs {
            let events = warm.stats().events;
            let warmed = warm.warmed.get();
            assert!(warmed * 2 > events, "{file}: {warmed} of {events} warmed");
            assert_eq!(cold.warmed.get(), 0, "{file}");
        }
    }
}
