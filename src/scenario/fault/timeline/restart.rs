//! `restart: TARGET` — a fresh process and host: a new incarnation sequence, fresh launch credits (a running node is stopped and started at once).

use crate::protocol::NodeId;
use crate::scenario::fault::{gen::Episode, GenRole, Lifecycle, Never, RunEnv, Targets, VerbKind};
use crate::scenario::raw::TargetRaw;
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Restart(pub Vec<NodeId>);

impl VerbKind for Restart {
    type Raw = TargetRaw;
    type Event = Never;
    const GEN: GenRole = GenRole::Lifecycle;

    fn resolve(t: &TargetRaw, r: &mut Resolver, kp: &str, _: usize) -> Result<Self, ScenarioError> {
        Ok(Restart(r.target(t, kp)?))
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        Ok(t.list(&self.0))
    }

    /// Checker episode: the node crashes and comes back.
    fn generate(e: &mut Episode) {
        e.push(e.a, super::crash::Crash(vec![e.node]));
        e.push(e.b, Restart(vec![e.node]));
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        for &node in &self.0 {
            env.lifecycle(node, Lifecycle::Restart);
        }
    }

    fn mark(&self, who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("restart {}", who(&self.0)))
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.0 = map(&self.0);
        !self.0.is_empty()
    }
}
