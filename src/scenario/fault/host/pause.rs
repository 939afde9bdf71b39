//! `pause: {every, duration}` — stop-the-world pauses (GC, live migration):
//! gaps drawn from `every`, lengths from `duration`, per host.

use serde::Deserialize;

use crate::host::{ParkSource, PauseGen};
use crate::protocol::{NodeId, SEC};
use crate::random::{Dist, Stream};
use crate::scenario::fault::{gen::Gen, BuildEnv, HostFaultKind, Window};
use crate::scenario::raw::DistRaw;
use crate::scenario::render::dist;
use crate::scenario::resolve::{always_zero, check_granularity, typical, Resolver};
use crate::scenario::ScenarioError;

#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    pub every: Dist,
    pub duration: Dist,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRaw {
    pub every: DistRaw,
    pub duration: DistRaw,
}

impl HostFaultKind for Pause {
    type Raw = PauseRaw;

    fn resolve(ps: &PauseRaw, r: &mut Resolver, kp: &str) -> Result<Self, ScenarioError> {
        if always_zero(&ps.every.0) {
            return Err(r.err(&format!("{kp}.every"), "the gap between pauses must be > 0"));
        }
        if always_zero(&ps.duration.0) {
            return Err(r.err(&format!("{kp}.duration"), "a pause must last > 0"));
        }
        for (field, d) in [("every", &ps.every.0), ("duration", &ps.duration.0)] {
            check_granularity("a typical value of", typical(d))
                .map_err(|m| r.err(&format!("{kp}.{field}"), m))?;
        }
        Ok(Pause {
            every: ps.every.0.clone(),
            duration: ps.duration.0.clone(),
        })
    }

    fn render(&self) -> Result<String, String> {
        Ok(format!(
            "{{every: {}, duration: {}}}",
            dist(&self.every)?,
            dist(&self.duration)?
        ))
    }

    fn generate(g: &mut Gen) -> Self {
        // Pause arrivals: keep the gap mean at a few seconds or more.
        let every = Dist::Exponential {
            mean: (2 + g.r.below(60)) * SEC,
            min: g.r.below(2) * SEC,
        };
        let duration = g.small(3000);
        Pause { every, duration }
    }

    fn install(&self, w: Window, node: NodeId, mut stream: Stream, env: &mut dyn BuildEnv) {
        let Some(host) = env.host(node) else { return };
        let first = w.from.saturating_add(self.every.sample(&mut stream));
        host.add_park_source(ParkSource::Intervals {
            list: Default::default(),
            gen: Some(Box::new(PauseGen {
                every: self.every.clone(),
                duration: self.duration.clone(),
                next_start: first,
                until: w.until,
                stream,
            })),
        });
    }

    /// A pause that starts before `until` runs its whole drawn length.
    fn lingers(&self) -> Option<&Dist> {
        Some(&self.duration)
    }
}
