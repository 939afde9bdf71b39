//! One memberlist + Serf instance: the sans-IO entry point.

use std::sync::Arc;

use super::{Config, Input, Nanos, NodeId, Roster, Runtime, State};

/// A memberlist node with its Serf layer.
pub struct Node {
    _todo: (Arc<Config>, Arc<Roster>, NodeId),
}

impl Node {
    /// A fresh process for node `id`. Nothing happens until a `start_*` call.
    pub fn new(id: NodeId, config: Arc<Config>, roster: Arc<Roster>) -> Node {
        Node { _todo: (config, roster, id) }
    }

    /// Start as a member of a long-running converged cluster: every id in `members`
    /// (which includes `id`) is known ALIVE at incarnation 1, the probe order is
    /// this node's own shuffle, and tickers start at random phases.
    pub fn start_converged(&mut self, now: Nanos, members: &[NodeId], rt: &mut impl Runtime) {
        let _ = (now, members, rt);
        todo!("node")
    }

    /// Start alone (`setAlive`) and join through `seeds` (push/pull with join=true).
    pub fn start_join(&mut self, now: Nanos, seeds: &[NodeId], rt: &mut impl Runtime) {
        let _ = (now, seeds, rt);
        todo!("node")
    }

    /// Feed one input.
    pub fn handle(&mut self, now: Nanos, input: Input<'_>, rt: &mut impl Runtime) {
        let _ = (now, input, rt);
        todo!("node")
    }

    /// Graceful leave (memberlist `Leave`): broadcast dead(self, From=self).
    pub fn leave(&mut self, now: Nanos, rt: &mut impl Runtime) {
        let _ = (now, rt);
        todo!("node")
    }

    pub fn id(&self) -> NodeId {
        self._todo.2
    }

    /// This node's view of `other`: state and incarnation, None if unknown/reaped.
    pub fn view_of(&self, other: NodeId) -> Option<(State, u32)> {
        let _ = other;
        todo!("node")
    }

    /// Own incarnation.
    pub fn incarnation(&self) -> u32 {
        todo!("node")
    }

    /// Lifeguard health score (0 without local health).
    pub fn health_score(&self) -> u32 {
        todo!("node")
    }

    /// memberlist `numNodes`.
    pub fn num_nodes(&self) -> usize {
        todo!("node")
    }
}
