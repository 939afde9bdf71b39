//! What a run's events were: how many of each kind the engine handled.
//!
//! Why: events per second is the engine's speed only between runs whose
//! events are alike, and a sick cluster's are not a healthy one's. In the
//! healthy 1,000-node bench, gossip ticks with nothing to send are 45 % of
//! the events and cost next to nothing; in the starved one, most events are
//! packets that each carry a dozen state messages, or suspicion timers. The
//! mix says which, so two figures of events per second can be read side by
//! side (`flapsim bench` prints it).
//!
//! Counting is one increment per event, by a match on the event; nothing here
//! reaches a result.

use crate::protocol::Timer;

use super::Ev;

/// The kinds the mix counts: one row each, with its name, in the order
/// `flapsim bench` lists ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A packet reaching its destination's host.
    Arrival,
    /// A packet a starved host held, handed to it at last.
    StarvedDelivery,
    /// A host's CPU model letting it run queued work.
    HostWake,
    GossipTick,
    ProbeTick,
    /// A probe's direct timeout or the end of its window.
    ProbeTimeout,
    /// An indirect probe's relay giving up.
    RelayTimeout,
    /// A suspicion timer run (the ones a confirmation superseded are not
    /// events: see [`super::RunStats::events`]).
    SuspicionTimer,
    /// Push/pull ticks and timeouts.
    PushPull,
    /// Serf's reaping and reconnecting.
    Serf,
    /// A TCP exchange failing back to its initiator.
    SendFailed,
    /// Starts, timeline actions, fault edges, host timers, network deadlines,
    /// samples.
    Other,
}

impl EventKind {
    /// Every kind, in the order of [`EventMix`]'s counts.
    pub const ALL: [EventKind; 12] = [
        EventKind::Arrival,
        EventKind::StarvedDelivery,
        EventKind::HostWake,
        EventKind::GossipTick,
        EventKind::ProbeTick,
        EventKind::ProbeTimeout,
        EventKind::RelayTimeout,
        EventKind::SuspicionTimer,
        EventKind::PushPull,
        EventKind::Serf,
        EventKind::SendFailed,
        EventKind::Other,
    ];

    /// The kind's name, plural, as `flapsim bench` prints it.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Arrival => "packet arrivals",
            EventKind::StarvedDelivery => "starved deliveries",
            EventKind::HostWake => "host wake-ups",
            EventKind::GossipTick => "gossip ticks",
            EventKind::ProbeTick => "probe ticks",
            EventKind::ProbeTimeout => "probe timeouts",
            EventKind::RelayTimeout => "relay timeouts",
            EventKind::SuspicionTimer => "suspicion timers",
            EventKind::PushPull => "push/pull timers",
            EventKind::Serf => "serf timers",
            EventKind::SendFailed => "failed TCP sends",
            EventKind::Other => "others",
        }
    }

    pub(super) fn of(ev: &Ev) -> EventKind {
        match ev {
            Ev::Arrive { .. } => EventKind::Arrival,
            Ev::Deliver { .. } => EventKind::StarvedDelivery,
            Ev::Wake(_) => EventKind::HostWake,
            Ev::Timer { timer, .. } => EventKind::of_timer(timer),
            Ev::SendFailed { .. } => EventKind::SendFailed,
            Ev::Init
            | Ev::StartJoin(_)
            | Ev::NetWake
            | Ev::Action(_)
            | Ev::FaultEdge { .. }
            | Ev::HostTimer { .. }
            | Ev::LeaveStop { .. }
            | Ev::Fault(_)
            | Ev::Sample => EventKind::Other,
        }
    }

    fn of_timer(timer: &Timer) -> EventKind {
        match timer {
            Timer::GossipTick => EventKind::GossipTick,
            Timer::ProbeTick => EventKind::ProbeTick,
            Timer::ProbeDirectTimeout { .. } | Timer::ProbeWindowEnd { .. } => {
                EventKind::ProbeTimeout
            }
            Timer::RelayTimeout { .. } => EventKind::RelayTimeout,
            Timer::Suspicion { .. } => EventKind::SuspicionTimer,
            Timer::PushPullTick | Timer::PushPullTimeout { .. } => EventKind::PushPull,
            Timer::SerfReap | Timer::SerfReconnect | Timer::SerfReconnectDeadline { .. } => {
                EventKind::Serf
            }
        }
    }
}

/// How many events of each [`EventKind`] a run handled; they add up to
/// [`super::RunStats::events`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMix {
    counts: [u64; EventKind::ALL.len()],
}

impl EventMix {
    #[inline]
    pub(super) fn count(&mut self, kind: EventKind) {
        self.counts[kind as usize] += 1;
    }

    /// An event counted was not one after all (a superseded suspicion timer
    /// dropped as it popped).
    pub(super) fn uncount(&mut self, kind: EventKind) {
        self.counts[kind as usize] -= 1;
    }

    pub fn get(&self, kind: EventKind) -> u64 {
        self.counts[kind as usize]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The kinds with at least one event, most first (ties in
    /// [`EventKind::ALL`]'s order).
    pub fn most_first(&self) -> Vec<(EventKind, u64)> {
        let mut kinds: Vec<(EventKind, u64)> = EventKind::ALL
            .iter()
            .map(|&k| (k, self.get(k)))
            .filter(|&(_, n)| n > 0)
            .collect();
        kinds.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        kinds
    }
}

#[cfg(test)]
mod tests {
    use super::{EventKind, EventMix};

    /// `ALL` lists every kind once, at its own index, so a count lands in
    /// the row that names it.
    #[test]
    fn every_kind_is_listed_at_its_own_index() {
        for (i, kind) in EventKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len(), "names are distinct");
    }

    #[test]
    fn most_first_orders_by_count_and_skips_empty_kinds() {
        let mut mix = EventMix::default();
        for _ in 0..3 {
            mix.count(EventKind::SuspicionTimer);
        }
        mix.count(EventKind::Arrival);
        mix.count(EventKind::GossipTick);
        mix.count(EventKind::GossipTick);
        mix.uncount(EventKind::GossipTick);
        assert_eq!(
            mix.most_first(),
            vec![
                (EventKind::SuspicionTimer, 3),
                (EventKind::Arrival, 1),
                (EventKind::GossipTick, 1)
            ]
        );
        assert_eq!(mix.total(), 5);
    }
}
