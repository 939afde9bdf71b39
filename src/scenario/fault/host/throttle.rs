//! `throttle: {run, park}` — a hypervisor CPU cap: the host runs `run`, then
//! is parked `park`, repeating, at a random phase per host (model.md §2).

use serde::Deserialize;

use crate::host::ParkSource;
use crate::protocol::{Nanos, NodeId, MS};
use crate::random::Stream;
use crate::scenario::fault::{gen::Gen, BuildEnv, Exclusive, HostFaultKind, Window};
use crate::scenario::raw::Dur;
use crate::scenario::render::dur;
use crate::scenario::resolve::{check_granularity, Resolver};
use crate::scenario::ScenarioError;

/// The CPU cap shared with `credits`: a node has one cap at a time.
pub const CPU_CAP: Exclusive = Exclusive {
    group: "cap",
    what: "only one CPU cap (throttle or credits)",
};

#[derive(Clone, Debug, PartialEq)]
pub struct Throttle {
    pub run: Nanos,
    pub park: Nanos,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleRaw {
    pub run: Dur,
    pub park: Dur,
}

impl HostFaultKind for Throttle {
    type Raw = ThrottleRaw;
    const EXCLUSIVE: Option<Exclusive> = Some(CPU_CAP);

    fn resolve(t: &ThrottleRaw, r: &mut Resolver, kp: &str) -> Result<Self, ScenarioError> {
        if t.run.0 == 0 {
            return Err(r.err(
                &format!("{kp}.run"),
                "must be > 0 (a host that never runs is a crash)",
            ));
        }
        if t.park.0 == 0 {
            return Err(r.err(
                &format!("{kp}.park"),
                "must be > 0 (a throttle that never parks does nothing)",
            ));
        }
        for (field, d) in [("run", t.run.0), ("park", t.park.0)] {
            check_granularity("a throttle slice of", d)
                .map_err(|m| r.err(&format!("{kp}.{field}"), m))?;
        }
        Ok(Throttle {
            run: t.run.0,
            park: t.park.0,
        })
    }

    fn render(&self) -> Result<String, String> {
        Ok(format!("{{run: {}, park: {}}}", dur(self.run), dur(self.park)))
    }

    fn generate(g: &mut Gen) -> Self {
        let run = (1 + g.r.below(50)) * MS;
        let park = (1 + g.r.below(300)) * MS;
        Throttle { run, park }
    }

    fn install(&self, w: Window, node: NodeId, mut stream: Stream, env: &mut dyn BuildEnv) {
        let Some(host) = env.host(node) else { return };
        let period = self.run + self.park;
        let phase = stream.duration_below(period);
        host.add_park_source(ParkSource::periodic(
            period,
            self.run,
            phase,
            Some((w.from, w.until)),
        ));
    }
}
