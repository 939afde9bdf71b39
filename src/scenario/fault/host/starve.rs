//! `starve: {delay}` — a starved receive loop: each received packet reaches
//! the protocol after a sampled extra delay (in arrival order); timers still
//! fire on time.

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
pub struct Starve {
    pub delay: Dist,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarveRaw {
    pub delay: DistRaw,
}

impl HostFaultKind for Starve {
    type Raw = StarveRaw;
    const EXCLUSIVE: Option<Exclusive> = Some(Exclusive {
        group: "starve",
        what: "only one `starve` delay",
    });

    fn resolve(s: &StarveRaw, _r: &mut Resolver, _kp: &str) -> Result<Self, ScenarioError> {
        Ok(Starve {
            delay: s.delay.0.clone(),
        })
    }

    fn render(&self) -> Result<String, String> {
        Ok(format!("{{delay: {}}}", dist(&self.delay)?))
    }

    fn generate(g: &mut Gen) -> Self {
        Starve {
            delay: g.small(500),
        }
    }

    fn install(&self, w: Window, node: NodeId, stream: Stream, env: &mut dyn BuildEnv) {
        if let Some(host) = env.host(node) {
            host.add_starve(Sampled {
                from: w.from,
                until: w.until,
                dist: self.delay.clone(),
                stream,
            });
        }
    }

    /// A packet accepted before `until` is still delayed after it.
    fn lingers(&self) -> Option<&Dist> {
        Some(&self.delay)
    }
}
