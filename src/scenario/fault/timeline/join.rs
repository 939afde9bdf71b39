//! `join: TARGET` — start nodes that are not running (declared with `starts: false`, or after a leave or crash) and join through the scenario's seeds that are up.

use crate::protocol::NodeId;
use crate::scenario::fault::{gen::Episode, GenRole, Lifecycle, Never, RunEnv, Targets, VerbKind};
use crate::scenario::raw::TargetRaw;
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Join(pub Vec<NodeId>);

impl VerbKind for Join {
    type Raw = TargetRaw;
    type Event = Never;
    const GEN: GenRole = GenRole::Lifecycle;

    fn resolve(t: &TargetRaw, r: &mut Resolver, kp: &str, _: usize) -> Result<Self, ScenarioError> {
        Ok(Join(r.target(t, kp)?))
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        Ok(t.list(&self.0))
    }

    /// Checker episode: a node that starts late (`starts: false`) and joins.
    fn generate(e: &mut Episode) {
        if e.node != 0 {
            e.nodes[e.node as usize].starts = false;
            e.push(e.a, Join(vec![e.node]));
        }
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        for &node in &self.0 {
            env.lifecycle(node, Lifecycle::Join);
        }
    }

    fn mark(&self, who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("join {}", who(&self.0)))
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.0 = map(&self.0);
        !self.0.is_empty()
    }
}
