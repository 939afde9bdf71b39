//! The bookkeeping behind the "degraded" ground truth metrics use to tell
//! faulty subjects from healthy ones. Which nodes a fault touches, and when,
//! is each fault kind's judgement (`scenario::fault`): a host fault touches
//! its nodes for its whole window (`credits` only while its host is held to
//! baseline), a partition its smaller side (see [`smaller_side`]), a hold its
//! `nodes`, a timeline pause its nodes while it lasts. Static link rules with
//! loss, latency, spikes or duplication touch their smaller side from t = 0.
//!
//! Overlapping faults count: a node is degraded while at least one touches it.

use crate::protocol::NodeId;

use super::NetworkSpec;

/// Per-node touch counts and the touched nodes of named faults (a partition,
/// a hold) until they end.
#[derive(Debug, Default)]
pub struct Degraded {
    count: Vec<u16>,
    /// (group, name, nodes touched).
    named: Vec<(&'static str, String, Vec<NodeId>)>,
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

    /// A fault of `group` named `name` touches `nodes` until it ends.
    pub fn name(&mut self, group: &'static str, name: &str, nodes: &[NodeId]) {
        self.named.push((group, name.to_string(), nodes.to_vec()));
    }

    /// End the `group` faults named `name` (all when None): the nodes they
    /// touched.
    pub fn unname(&mut self, group: &'static str, name: Option<&str>) -> Vec<NodeId> {
        let mut out = Vec::new();
        self.named.retain(|(g, n, nodes)| {
            if *g == group && name.is_none_or(|x| x == n) {
                out.extend_from_slice(nodes);
                false
            } else {
                true
            }
        });
        out
    }
}

/// The side of a network fault that it touches (see module docs).
pub fn smaller_side(a: &[NodeId], b: &[NodeId]) -> Vec<NodeId> {
    let mut v = match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => a.to_vec(),
        std::cmp::Ordering::Greater => b.to_vec(),
        std::cmp::Ordering::Equal => a.iter().chain(b).copied().collect(),
    };
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a network fault degrades its smaller side (both on a tie), and a
    /// node stays degraded while any fault touches it.
    #[test]
    fn smaller_side_is_degraded_while_any_fault_touches_it() {
        let mut d = Degraded::new(4);
        let p = smaller_side(&[0], &[1, 2, 3]);
        assert_eq!(p, vec![0]);
        d.name("partition", "p", &p);
        assert_eq!(d.touch(0, true), Some(true));
        d.name("hold", "h", &[0]);
        assert_eq!(d.touch(0, true), None, "already degraded");
        assert_eq!(d.unname("partition", Some("p")), vec![0]);
        assert_eq!(d.touch(0, false), None, "the hold still touches it");
        assert_eq!(d.unname("hold", None), vec![0]);
        assert_eq!(d.touch(0, false), Some(false));
        assert_eq!(smaller_side(&[0, 1], &[2, 3]), vec![0, 1, 2, 3]);
    }
}
