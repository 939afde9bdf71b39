//! Building a [`super::Simulation`] from a scenario: the parts that do not
//! depend on faults (names, start plan, ticker phases).

use std::sync::Arc;

use crate::protocol::{Nanos, NodeId, Roster};
use crate::random::{Stream, StreamId};
use crate::scenario::{Scenario, StartMode};

use super::super::queue::EventQueue;
use super::Ev;

/// `StreamId::Misc` tag of the staggered converged start's common ticker phase.
const STAGGER_STREAM: u32 = 0x57A6;

/// Names and metadata sizes every protocol node shares.
pub(super) fn roster(scenario: &Scenario) -> Arc<Roster> {
    Arc::new(Roster::new(
        scenario.nodes.iter().map(|s| s.name.clone()).collect(),
        scenario.nodes.iter().map(|s| s.meta_len).collect(),
    ))
}

/// Which nodes start, and how: converged at t = 0 (started by `Ev::Init`), or
/// joining one after another (`Ev::StartJoin`, queued here).
pub(super) struct StartPlan {
    pub(super) starting: Vec<NodeId>,
    pub(super) converged: bool,
    pub(super) join_seeds: Vec<NodeId>,
}

impl StartPlan {
    pub(super) fn new(scenario: &Scenario, queue: &mut EventQueue<Ev>) -> StartPlan {
        let starting: Vec<NodeId> = (0..scenario.nodes.len() as NodeId)
            .filter(|&i| scenario.nodes[i as usize].starts)
            .collect();
        let (converged, join_seeds) = match &scenario.start {
            StartMode::Converged | StartMode::ConvergedStaggered { .. } => (true, Vec::new()),
            StartMode::Join { seeds, stagger } => {
                for (k, &i) in starting.iter().enumerate() {
                    queue.push((k as Nanos).saturating_mul(*stagger), Ev::StartJoin(i));
                }
                (false, seeds.clone())
            }
        };
        StartPlan {
            starting,
            converged,
            join_seeds,
        }
    }
}

/// `start: {mode: converged, stagger, uptime}`: processes created one after
/// another, `uptime` before t = 0.
#[derive(Clone, Copy, Debug)]
pub(super) struct Staggered {
    /// Where in the probe period the first process was created (random).
    base: Nanos,
    stagger: Nanos,
    pub(super) uptime: Nanos,
}

impl Staggered {
    /// The creation offset of the `k`-th starting node.
    pub(super) fn offset(&self, k: usize) -> Nanos {
        self.base + (k as Nanos).saturating_mul(self.stagger)
    }
}

/// The staggered start's common base is drawn from its own stream, so nothing
/// else moves when it is used.
pub(super) fn staggered(scenario: &Scenario) -> Option<Staggered> {
    match scenario.start {
        StartMode::ConvergedStaggered { stagger, uptime } => {
            let mut s = Stream::new(scenario.seed, StreamId::Misc(STAGGER_STREAM));
            Some(Staggered {
                base: s.duration_below(scenario.protocol.probe_interval),
                stagger,
                uptime,
            })
        }
        _ => None,
    }
}
