//! `pause: {nodes, duration}` — one stop-the-world pause of `duration` on
//! `nodes`. Known in advance, so it is registered in the hosts' schedules at
//! build time and a work item in progress is stretched by it too. It
//! degrades its nodes while it lasts.

use serde::Deserialize;

use crate::protocol::{Nanos, NodeId, MS, SEC};
use crate::scenario::fault::{
    gen::Episode, BuildEnv, FaultEvent, FaultEventKind, GenRole, RunEnv, Targets, VerbKind,
};
use crate::scenario::raw::{Dur, TargetRaw};
use crate::scenario::render::dur;
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    pub nodes: Vec<NodeId>,
    pub duration: Nanos,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRaw {
    pub nodes: TargetRaw,
    pub duration: Dur,
}

/// The pause of one node is over (degraded bookkeeping only: the host's
/// schedule already knows).
#[derive(Debug)]
pub struct End(pub NodeId);

impl FaultEventKind for End {
    fn fire(self, env: &mut dyn RunEnv) {
        env.degrade(self.0, false);
    }
}

impl VerbKind for Pause {
    type Raw = PauseRaw;
    type Event = End;
    const GEN: GenRole = GenRole::Episode;

    fn resolve(ps: &PauseRaw, r: &mut Resolver, kp: &str, _: usize) -> Result<Self, ScenarioError> {
        if ps.duration.0 == 0 {
            return Err(r.err(&format!("{kp}.duration"), "a pause must last > 0"));
        }
        Ok(Pause {
            nodes: r.target(&ps.nodes, &format!("{kp}.nodes"))?,
            duration: ps.duration.0,
        })
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        Ok(format!(
            "{{nodes: {}, duration: {}}}",
            t.list(&self.nodes),
            dur(self.duration)
        ))
    }

    /// Checker episode: one pause of up to 20 s, over before the phase ends.
    fn generate(e: &mut Episode) {
        let d = (1 + e.g.r.below(20_000)) * MS;
        let at = e.a.min(e.g.phase.saturating_sub(d + SEC));
        let nodes = e.g.pick();
        e.push(at, Pause { nodes, duration: d });
    }

    fn prepare(&self, at: Nanos, env: &mut dyn BuildEnv) {
        for &node in &self.nodes {
            if let Some(host) = env.host(node) {
                host.add_pause(at, at.saturating_add(self.duration));
            }
        }
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        let end = env.now().saturating_add(self.duration);
        for &node in &self.nodes {
            env.degrade(node, true);
            env.schedule(end, FaultEvent::Pause(End(node)));
        }
    }

    fn lasts(&self) -> Nanos {
        self.duration
    }

    fn parked_nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    fn mark(&self, _who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        None
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.nodes = map(&self.nodes);
        !self.nodes.is_empty()
    }
}
