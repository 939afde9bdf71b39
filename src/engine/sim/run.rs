//! What a run returns, and the ways to run one to its end.

use crate::protocol::{Nanos, NodeId};

use super::super::Observer;
use super::{EventMix, Simulation};

/// What a run did, for the CLI and for comparing runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStats {
    /// Events popped from the queue and handled. A suspicion timer that a
    /// Lifeguard confirmation superseded is not one: it is dropped unrun,
    /// usually swept out of the queue long before its deadline.
    pub events: u64,
    /// Simulated time covered (ns).
    pub simulated: Nanos,
    /// Packets handed to the network (including lost ones and duplicates' originals).
    pub packets: u64,
    /// Digest of the event log (protocol events and truth changes).
    pub digest: u64,
    /// Work charged to the event budget beyond one unit per event (host
    /// schedule steps, samples, link rules examined, message parts and
    /// push/pull entries handled).
    pub work: u64,
    /// The events by kind: [`RunStats::events`] in all.
    pub mix: EventMix,
}

impl RunStats {
    /// The digest as 16 hex digits, as printed in summaries.
    pub fn digest_hex(&self) -> String {
        format!("{:016x}", self.digest)
    }
}

/// A run stopped because it needed more events than allowed
/// ([`Simulation::run_budgeted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventBudgetExceeded {
    pub max_events: u64,
    /// Simulated time reached when the budget ran out.
    pub at: Nanos,
}

/// Why [`Simulation::run_limited`] stopped before the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The event budget (events plus the work they caused) ran out.
    Budget(EventBudgetExceeded),
    /// The stop flag was raised (SIGINT/SIGTERM).
    Interrupted { at: Nanos },
    /// A host-schedule walk gave up (see `host::schedule::MAX_WALK`): any number
    /// computed from it would be wrong, so the run fails instead.
    Truncated { node: NodeId, at: Nanos },
}

impl Simulation {
    /// Run to the scenario's duration.
    pub fn run(
        &mut self,
        observer: &mut impl Observer,
        progress: &mut dyn FnMut(Nanos),
    ) -> RunStats {
        match self.run_budgeted(observer, progress, u64::MAX) {
            Ok(stats) => stats,
            // A u64 event count cannot be reached; only a truncated host-schedule walk can stop an unlimited run;
            // trusted callers (tests, examples) never build one, and the CLI
            // uses `run_limited`.
            Err(e) => panic!(
                "run stopped by a truncated host-schedule walk at {}ns",
                e.at
            ),
        }
    }

    /// [`Simulation::run`] with an event budget: untrusted scenarios must not run
    /// forever (or for a day). Stops with [`EventBudgetExceeded`] once the events
    /// popped plus the work they caused reach `max_events`; nothing partial
    /// should be reported then.
    pub fn run_budgeted(
        &mut self,
        observer: &mut impl Observer,
        progress: &mut dyn FnMut(Nanos),
        max_events: u64,
    ) -> Result<RunStats, EventBudgetExceeded> {
        let never = std::sync::atomic::AtomicBool::new(false);
        match self.run_limited(observer, progress, max_events, &never) {
            Ok(stats) => Ok(stats),
            Err(Stopped::Budget(e)) => Err(e),
            // This signature predates the other reasons: a truncated walk is
            // reported as over budget (never a partial result, never a panic);
            // `run_limited` says precisely why.
            Err(Stopped::Truncated { at, .. } | Stopped::Interrupted { at }) => {
                Err(EventBudgetExceeded { max_events, at })
            }
        }
    }
}
