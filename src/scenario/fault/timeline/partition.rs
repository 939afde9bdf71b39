//! `partition: {name, from, to, one_way, transport}` — cut `from → to` (and
//! `to → from` unless `one_way`) for UDP, TCP or both, until `heal: NAME`.
//! It degrades its smaller side (both on a tie): cutting one node off
//! degrades that node, not the whole cluster it can no longer reach.

use serde::Deserialize;

use crate::network::{NodeSet, Partition as Cut};
use crate::protocol::NodeId;
use crate::scenario::degraded::smaller_side;
use crate::scenario::fault::{gen::Episode, GenRole, Never, Pairing, RunEnv, Targets, VerbKind};
use crate::scenario::raw::TargetRaw;
use crate::scenario::resolve::{check_ident, Resolver};
use crate::scenario::ScenarioError;

/// Which transports a partition cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transports {
    pub udp: bool,
    pub tcp: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub name: String,
    pub from: Vec<NodeId>,
    pub to: Vec<NodeId>,
    pub one_way: bool,
    pub transports: Transports,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionRaw {
    pub name: Option<String>,
    pub from: TargetRaw,
    pub to: TargetRaw,
    pub one_way: Option<bool>,
    pub transport: Option<TransportRaw>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportRaw {
    Udp,
    Tcp,
    Both,
}

impl VerbKind for Partition {
    type Raw = PartitionRaw;
    type Event = Never;
    const GEN: GenRole = GenRole::Episode;

    fn resolve(pt: &PartitionRaw, r: &mut Resolver, pp: &str, i: usize) -> Result<Self, ScenarioError> {
        let name = pt.name.clone().unwrap_or_else(|| format!("partition-{i}"));
        check_ident(&name).map_err(|m| r.err(&format!("{pp}.name"), m))?;
        let from = r.target(&pt.from, &format!("{pp}.from"))?;
        let to = r.target(&pt.to, &format!("{pp}.to"))?;
        let (udp, tcp) = match pt.transport.unwrap_or(TransportRaw::Both) {
            TransportRaw::Udp => (true, false),
            TransportRaw::Tcp => (false, true),
            TransportRaw::Both => (true, true),
        };
        Ok(Partition {
            name,
            from,
            to,
            one_way: pt.one_way.unwrap_or(false),
            transports: Transports { udp, tcp },
        })
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        let transport = match (self.transports.udp, self.transports.tcp) {
            (true, true) => "both",
            (true, false) => "udp",
            (false, true) => "tcp",
            (false, false) => return Err("a partition that cuts nothing".into()),
        };
        Ok(format!(
            "{{name: {}, from: {}, to: {}, one_way: {}, transport: {transport}}}",
            self.name,
            t.list(&self.from),
            t.list(&self.to),
            self.one_way
        ))
    }

    /// Checker episode: some nodes cut from (some of) the rest, healed at `b`.
    fn generate(e: &mut Episode) {
        let n = e.g.n as NodeId;
        let name = format!("p{}", e.k);
        let from = e.g.pick();
        let rest: Vec<NodeId> = (0..n).filter(|i| !from.contains(i)).collect();
        let to = if e.g.r.chance(0.7) || rest.len() < 2 {
            rest
        } else {
            rest[..1 + e.g.r.index(rest.len() - 1)].to_vec()
        };
        let (udp, tcp) = match e.g.r.below(3) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        let one_way = e.g.r.chance(0.4);
        e.push(
            e.a,
            Partition {
                name: name.clone(),
                from,
                to,
                one_way,
                transports: Transports { udp, tcp },
            },
        );
        if e.healed {
            e.push(e.b, super::heal::Heal { name: Some(name) });
        }
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        let n = env.node_count();
        env.degrade_named("partition", &self.name, &smaller_side(&self.from, &self.to));
        env.network().partition(Cut {
            name: self.name.clone(),
            from: NodeSet::from_ids(&self.from, n),
            to: NodeSet::from_ids(&self.to, n),
            one_way: self.one_way,
            transports: self.transports,
        });
    }

    fn pairing(&self) -> Pairing<'_> {
        Pairing::Opens {
            group: "partition",
            closer: "heal",
            name: &self.name,
        }
    }

    fn mark(&self, _who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("partition {}", self.name))
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.from = map(&self.from);
        self.to = map(&self.to);
        // Kept even if a side is empty, so its heal stays valid.
        true
    }
}
