//! `slow: {cost}` — an overloaded process: every work item costs a sampled CPU
//! time instead of the host's defaults.

use serde::Deserialize;

use crate::host::Sampled;
use crate::protocol::NodeId;
use crate::random::{Dist, Stream};
use crate::scenario::fault::{gen::Gen, BuildEnv, Exclusive, HostFaultKind, Window};
use crate::scenario::raw::DistRaw;
use crate::scenario::render::dist;
use crate::scenario::resolve::Resolver;
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Slow {
    pub cost: Dist,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowRaw {
    pub cost: DistRaw,
}

impl HostFaultKind for Slow {
    type Raw = SlowRaw;
    const EXCLUSIVE: Option<Exclusive> = Some(Exclusive {
        group: "slow",
        what: "only one `slow` cost",
    });

    fn resolve(s: &SlowRaw, _r: &mut Resolver, _kp: &str) -> Result<Self, ScenarioError> {
        Ok(Slow {
            cost: s.cost.0.clone(),
        })
    }

    fn render(&self) -> Result<String, String> {
        Ok(format!("{{cost: {}}}", dist(&self.cost)?))
    }

    fn generate(g: &mut Gen) -> Self {
        Slow { cost: g.small(20) }
    }

    fn install(&self, w: Window, node: NodeId, stream: Stream, env: &mut dyn BuildEnv) {
        if let Some(host) = env.host(node) {
            host.add_slow(Sampled {
                from: w.from,
                until: w.until,
                dist: self.cost.clone(),
                stream,
            });
        }
    }
}
