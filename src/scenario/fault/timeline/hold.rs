//! `hold: {name, nodes, peers, every, for}` — hold packets on every link
//! touching `nodes` (only between `nodes` and `peers` when given) and deliver
//! them in order on `release: NAME`. Periodic with `every` and `for`: held
//! `for` out of every `every`, flushed in between. It degrades `nodes`.

use serde::Deserialize;

use crate::network::NodeSet;
use crate::protocol::{Nanos, NodeId, SEC};
use crate::scenario::fault::{
    gen::Episode, FaultEvent, FaultEventKind, GenRole, Pairing, RunEnv, Targets, VerbKind,
};
use crate::scenario::raw::{Dur, TargetRaw};
use crate::scenario::render::dur;
use crate::scenario::resolve::{check_granularity, check_ident, fd, Resolver};
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    pub name: String,
    pub nodes: Vec<NodeId>,
    pub peers: Option<Vec<NodeId>>,
    pub every: Option<Nanos>,
    pub hold_for: Option<Nanos>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldRaw {
    pub name: Option<String>,
    pub nodes: TargetRaw,
    pub peers: Option<TargetRaw>,
    pub every: Option<Dur>,
    #[serde(rename = "for")]
    pub hold_for: Option<Dur>,
}

/// A periodic hold's flush: deliver what it held, then flush again `every`
/// later (while the hold exists).
#[derive(Debug)]
pub struct Flush {
    pub id: u64,
    pub every: Nanos,
}

impl FaultEventKind for Flush {
    fn fire(self, env: &mut dyn RunEnv) {
        let now = env.now();
        if let Some(out) = env.network().flush(self.id, now) {
            env.deliver(out);
            let next = now + self.every.max(1);
            env.schedule(next, FaultEvent::Hold(self));
        }
    }
}

impl VerbKind for Hold {
    type Raw = HoldRaw;
    type Event = Flush;
    const GEN: GenRole = GenRole::Episode;

    fn resolve(h: &HoldRaw, r: &mut Resolver, hp: &str, i: usize) -> Result<Self, ScenarioError> {
        let name = h.name.clone().unwrap_or_else(|| format!("hold-{i}"));
        check_ident(&name).map_err(|m| r.err(&format!("{hp}.name"), m))?;
        let nodes = r.target(&h.nodes, &format!("{hp}.nodes"))?;
        let peers = match &h.peers {
            Some(t) => Some(r.target(t, &format!("{hp}.peers"))?),
            None => None,
        };
        let (every, hold_for) = match (h.every, h.hold_for) {
            (None, None) => (None, None),
            (Some(e), Some(f)) => {
                if f.0 == 0 {
                    return Err(r.err(&format!("{hp}.for"), "must be > 0"));
                }
                check_granularity("a hold of", f.0).map_err(|m| r.err(&format!("{hp}.for"), m))?;
                if f.0 >= e.0 {
                    return Err(r.err(
                        &format!("{hp}.for"),
                        format!("holding {} out of every {} never releases; `for` must be shorter than `every`", fd(f.0), fd(e.0)),
                    ));
                }
                (Some(e.0), Some(f.0))
            }
            (Some(_), None) => {
                return Err(r.err(
                    &format!("{hp}.every"),
                    "a periodic hold needs both `every` and `for`",
                ))
            }
            (None, Some(_)) => {
                return Err(r.err(
                    &format!("{hp}.for"),
                    "a periodic hold needs both `every` and `for`",
                ))
            }
        };
        Ok(Hold {
            name,
            nodes,
            peers,
            every,
            hold_for,
        })
    }

    fn render(&self, t: &Targets) -> Result<String, String> {
        let mut f = vec![
            format!("name: {}", self.name),
            format!("nodes: {}", t.list(&self.nodes)),
        ];
        if let Some(p) = &self.peers {
            f.push(format!("peers: {}", t.list(p)));
        }
        if let Some(e) = self.every {
            f.push(format!("every: {}", dur(e)));
        }
        if let Some(h) = self.hold_for {
            f.push(format!("for: {}", dur(h)));
        }
        Ok(format!("{{{}}}", f.join(", ")))
    }

    /// Checker episode: a hold (periodic half the time), released at `b`.
    fn generate(e: &mut Episode) {
        let n = e.g.n as NodeId;
        let name = format!("h{}", e.k);
        let nodes = e.g.pick();
        let (every, hold_for) = if e.g.r.chance(0.5) {
            let every = (2 + e.g.r.below(30)) * SEC;
            (Some(every), Some(e.g.r.duration_below(every - SEC) + SEC / 2))
        } else {
            (None, None)
        };
        let peers = e.g.r.chance(0.3).then(|| {
            (0..n)
                .filter(|i| !nodes.contains(i))
                .take(1 + e.g.r.index(2))
                .collect::<Vec<_>>()
        });
        let peers = peers.filter(|p| !p.is_empty());
        e.push(
            e.a,
            Hold {
                name: name.clone(),
                nodes,
                peers,
                every,
                hold_for,
            },
        );
        if e.healed {
            e.push(e.b, super::release::Release { name: Some(name) });
        }
    }

    fn apply(&self, env: &mut dyn RunEnv) {
        let (n, now) = (env.node_count(), env.now());
        env.degrade_named("hold", &self.name, &self.nodes);
        let hold_for = self.hold_for.unwrap_or(0);
        let id = env.network().hold(
            &self.name,
            NodeSet::from_ids(&self.nodes, n),
            self.peers.as_deref().map(|p| NodeSet::from_ids(p, n)),
            now,
            self.every,
            hold_for,
        );
        if let Some(every) = self.every {
            env.schedule(now + hold_for, FaultEvent::Hold(Flush { id, every }));
        }
    }

    fn pairing(&self) -> Pairing<'_> {
        Pairing::Opens {
            group: "hold",
            closer: "release",
            name: &self.name,
        }
    }

    fn mark(&self, _who: &dyn Fn(&[NodeId]) -> String) -> Option<String> {
        Some(format!("hold {}", self.name))
    }

    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool {
        self.nodes = map(&self.nodes);
        if let Some(p) = &mut self.peers {
            *p = map(p);
        }
        true
    }
}
