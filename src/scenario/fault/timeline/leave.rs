//! `leave: TARGET` — a graceful leave: the process broadcasts its leave, then stops (see the engine's `LEAVE_GRACE`).

use crate::protocol::NodeId;
use crate::scenario::fault::{gen::Episode, GenRole, Lifecycle, Never, RunEnv, Targets, VerbKind};
use crate::scenario::raw::TargetRaw;
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Leave(pub Vec<NodeId>);

impl VerbKind for Leave {
    type Raw = TargetRaw;
    type Event = Never;
    const GEN: GenRole = GenRole::Lifecycle;

    fn resolve(t: &TargetRaw, r: &mut Resolver, kp: &str, _: usize) -> Result<Self, ScenarioError> {
        Ok(Leave(r.target(t, kp)?))
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        Ok(t.list(&self.0))
    }

    /// Checker episode: the node leaves, and half the time joins again.
    fn generate(e: &mut Episode) {
        e.push(e.a, Leave(vec![e.node]));
        if e.g.r.chance(0.5) {
            let back = e.b.max(e.a + 6 * crate::protocol::SEC).min(e.g.phase);
            e.push(back, super::join::Join(vec![e.node]));
        }
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        for &node in &self.0 {
            env.lifecycle(node, Lifecycle::Leave);
        }
    }

    fn mark(&self, who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("leave {}", who(&self.0)))
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.0 = map(&self.0);
        !self.0.is_empty()
    }
}
