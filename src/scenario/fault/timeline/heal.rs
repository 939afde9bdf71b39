//! `heal: NAME` (or `heal: all`) — end a named partition, or all of them.

use crate::protocol::NodeId;
use crate::scenario::fault::{Never, Pairing, RunEnv, Targets, VerbKind};
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Heal {
    /// None: every partition.
    pub name: Option<String>,
}

impl VerbKind for Heal {
    type Raw = String;
    type Event = Never;

    fn resolve(h: &String, _r: &mut Resolver, _: &str, _: usize) -> Result<Self, ScenarioError> {
        Ok(Heal {
            name: (h != "all").then(|| h.clone()),
        })
    }

    fn render(&self, _t: &Targets) -> Result<String, String> {
        Ok(self.name.as_deref().unwrap_or("all").to_string())
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        env.network().heal(self.name.as_deref());
        env.restore_named("partition", self.name.as_deref());
    }

    fn pairing(&self) -> Pairing<'_> {
        Pairing::Closes {
            group: "partition",
            name: self.name.as_deref(),
        }
    }

    fn mark(&self, _who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("heal {}", self.name.as_deref().unwrap_or("all")))
    }

    fn map_nodes(&mut self, _map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        true
    }
}
