//! `release: NAME` (or `release: all`) — end a named hold, or all of them: the
//! packets it held are delivered in order.

use crate::protocol::NodeId;
use crate::scenario::fault::{Never, Pairing, RunEnv, Targets, VerbKind};
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    /// None: every hold.
    pub name: Option<String>,
}

impl VerbKind for Release {
    type Raw = String;
    type Event = Never;

    fn resolve(h: &String, _r: &mut Resolver, _: &str, _: usize) -> Result<Self, ScenarioError> {
        Ok(Release {
            name: (h != "all").then(|| h.clone()),
        })
    }

    fn render(&self, _t: &Targets) -> Result<String, String> {
        Ok(self.name.as_deref().unwrap_or("all").to_string())
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        let now = env.now();
        let (_, out) = env.network().release(self.name.as_deref(), now);
        env.deliver(out);
        env.restore_named("hold", self.name.as_deref());
    }

    fn pairing(&self) -> Pairing<'_> {
        Pairing::Closes {
            group: "hold",
            name: self.name.as_deref(),
        }
    }

    fn mark(&self, _who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("release {}", self.name.as_deref().unwrap_or("all")))
    }

    fn map_nodes(&mut self, _map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        true
    }
}
