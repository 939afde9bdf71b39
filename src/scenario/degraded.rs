//! Which nodes count as degraded: the ground truth metrics use to tell faulty
//! subjects from healthy ones. It is a judgement about the scenario's faults,
//! so it lives here; the engine only reports when a node's count flips.
//!
//! - Host faults touch their nodes for their whole window, except `credits`,
//!   which touches its node only while it is held to baseline (before exhaustion
//!   the instance is healthy): the host reports that as it happens.
//! - A network fault between two node sets (partition, link rule with
//!   loss/latency/spike/duplication) touches the smaller set (both on a tie):
//!   cutting one node off degrades that node, not the whole cluster it can no
//!   longer reach. Holds touch `nodes`. Link rules touch from t = 0.
//! - Timeline pauses touch their nodes for their duration.
//!
//! Overlapping faults count: a node is degraded while at least one touches it.

use crate::protocol::NodeId;

use super::{HostFault, NetworkSpec};

/// Per-node touch counts and the named network faults' touched nodes.
#[derive(Debug, Default)]
pub struct Degraded {
    count: Vec<u16>,
    partitions: Vec<(String, Vec<NodeId>)>,
    holds: Vec<(String, Vec<NodeId>)>,
}

impl Degraded {
    pub fn new(n: usize) -> Degraded {
        Degraded {
            count: vec![0; n],
            ..Degraded::default()
        }
    }

    /// A fault touches (`on`) or leaves `node`: `Some(degraded)` when the node's
    /// state flips.
    pub fn touch(&mut self, node: NodeId, on: bool) -> Option<bool> {
        let c = self.count.get_mut(node as usize)?;
        if on {
            *c += 1;
            (*c == 1).then_some(true)
        } else if *c > 0 {
            *c -= 1;
            (*c == 0).then_some(false)
        } else {
            None
        }
    }

    /// Whether a host fault touches its nodes over its whole window (`credits`
    /// only while its host is throttled).
    pub fn host_fault_windowed(kind: &HostFault) -> bool {
        !matches!(kind, HostFault::Credits(_))
    }

    /// Nodes touched from t = 0 by the static link rules, sorted, unique.
    pub fn link_rule_nodes(network: &NetworkSpec) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = Vec::new();
        for r in &network.rules {
            let harmful = r.loss.is_some_and(|l| l > 0.0)
                || r.duplicate.is_some_and(|d| d > 0.0)
                || r.latency.is_some()
                || r.spike.is_some();
            if harmful {
                nodes.extend(smaller_side(&r.from, &r.to));
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// A partition named `name` between `from` and `to`: the nodes it touches.
    pub fn partition(&mut self, name: &str, from: &[NodeId], to: &[NodeId]) -> Vec<NodeId> {
        let touched = smaller_side(from, to);
        self.partitions.push((name.to_string(), touched.clone()));
        touched
    }

    /// Heal partitions named `name` (all when None): the nodes they touched.
    pub fn heal(&mut self, name: Option<&str>) -> Vec<NodeId> {
        take_named(&mut self.partitions, name)
    }

    /// A hold named `name` on `nodes`: it touches them.
    pub fn hold(&mut self, name: &str, nodes: &[NodeId]) {
        self.holds.push((name.to_string(), nodes.to_vec()));
    }

    /// Release holds named `name` (all when None): the nodes they touched.
    pub fn release(&mut self, name: Option<&str>) -> Vec<NodeId> {
        take_named(&mut self.holds, name)
    }
}

/// The side of a network fault that it touches (see module docs).
fn smaller_side(a: &[NodeId], b: &[NodeId]) -> Vec<NodeId> {
    let mut v = match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => a.to_vec(),
        std::cmp::Ordering::Greater => b.to_vec(),
        std::cmp::Ordering::Equal => a.iter().chain(b).copied().collect(),
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// Remove entries named `name` (all when None) and return their nodes.
fn take_named(list: &mut Vec<(String, Vec<NodeId>)>, name: Option<&str>) -> Vec<NodeId> {
    let mut out = Vec::new();
    list.retain(|(n, nodes)| {
        if name.is_none_or(|x| x == n) {
            out.extend_from_slice(nodes);
            false
        } else {
            true
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a network fault degrades its smaller side (both on a tie), and a
    /// node stays degraded while any fault touches it.
    #[test]
    fn smaller_side_is_degraded_while_any_fault_touches_it() {
        let mut d = Degraded::new(4);
        assert_eq!(d.partition("p", &[0], &[1, 2, 3]), vec![0]);
        assert_eq!(d.touch(0, true), Some(true));
        d.hold("h", &[0]);
        assert_eq!(d.touch(0, true), None, "already degraded");
        assert_eq!(d.heal(Some("p")), vec![0]);
        assert_eq!(d.touch(0, false), None, "the hold still touches it");
        assert_eq!(d.release(None), vec![0]);
        assert_eq!(d.touch(0, false), Some(false));
        assert_eq!(d.partition("q", &[0, 1], &[2, 3]), vec![0, 1, 2, 3]);
    }
}
