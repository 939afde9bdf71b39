//! `contention: {demand, nice | weight, …}` — guest CPU contention: a
//! neighbour process inside the same VM shares the vCPU with the agent under
//! Linux's CFS scheduler (wake-up preemption, time slices), so the agent's
//! work waits its turn inside whatever share the hypervisor gives the VM
//! (a `throttle` or a credit cap compose with it). The scheduler model is in
//! [`crate::host::cfs`] and [`crate::host::contention`].
//!
//! Fields: `demand` — the neighbour's CPU demand, `busy` (always runnable) or
//! a fraction of one vCPU (`0.5`, `50%`); below 1 it wants that fraction of
//! every `cycle` (default 100 ms). `nice` (−20…19) or `weight` (2…262144, a
//! cgroup's cpu.shares) for the neighbour, `agent_nice` / `agent_weight` for
//! the agent (default nice 0 = 1024 each). CFS tunables, defaults of a
//! 1-vCPU guest: `sched_latency` 6 ms, `min_granularity` 750 µs,
//! `wakeup_granularity` 1 ms (sysctl bounds 100 µs…1 s, 0…1 s for wakeup), and
//! the scheduler `tick` 4 ms (CONFIG_HZ=250; 1 ms…10 ms, or 0 for exact slice
//! ends as with HRTICK).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::host::cfs::{weight_of_nice, Policy, NICE_0_LOAD};
use crate::host::ContentionSpec;
use crate::protocol::{Nanos, NodeId, MS, SEC};
use crate::random::Stream;
use crate::scenario::fault::{gen::Gen, BuildEnv, Exclusive, HostFaultKind, Window};
use crate::scenario::raw::Dur;
use crate::scenario::render::dur;
use crate::scenario::resolve::{fd, Resolver};
use crate::scenario::ScenarioError;

type R<T> = Result<T, ScenarioError>;

/// The `contention` fault is its neighbour and scheduler description.
pub type Contention = ContentionSpec;

/// cgroup v1 `cpu.shares` bounds (MIN_SHARES, MAX_SHARES in kernel/sched).
const WEIGHTS: std::ops::RangeInclusive<u32> = 2..=262_144;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentionRaw {
    pub demand: Demand,
    pub cycle: Option<Dur>,
    pub nice: Option<i64>,
    pub weight: Option<u32>,
    pub agent_nice: Option<i64>,
    pub agent_weight: Option<u32>,
    pub sched_latency: Option<Dur>,
    pub min_granularity: Option<Dur>,
    pub wakeup_granularity: Option<Dur>,
    pub tick: Option<Dur>,
}

/// `busy`, or a fraction of a vCPU (`0.5`, `50%`).
#[derive(Clone, Copy, Debug)]
pub struct Demand(pub f64);

struct DemandVisitor;

fn demand<E: de::Error>(v: f64, shown: &str) -> Result<Demand, E> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(Demand(v))
    } else {
        Err(E::custom(format!(
            "{shown} is not a CPU demand: write `busy` or a fraction of one vCPU in (0, 1], e.g. 0.5 or 50%"
        )))
    }
}

impl<'de> Visitor<'de> for DemandVisitor {
    type Value = Demand;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`busy` or a fraction of one vCPU in (0, 1] (e.g. 0.5 or 50%)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Demand, E> {
        let t = v.trim();
        if t == "busy" {
            return Ok(Demand(1.0));
        }
        let shown = format!("`{}`", crate::quote::short(v));
        match t.strip_suffix('%').map(|n| n.trim().parse::<f64>()) {
            Some(Ok(pc)) => demand(pc / 100.0, &shown),
            _ => demand(f64::NAN, &shown),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Demand, E> {
        demand(v, &v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Demand, E> {
        demand(v as f64, &v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Demand, E> {
        demand(v as f64, &v.to_string())
    }
}

impl<'de> Deserialize<'de> for Demand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DemandVisitor)
    }
}

impl HostFaultKind for ContentionSpec {
    type Raw = ContentionRaw;
    /// One neighbour model per node at a time.
    const EXCLUSIVE: Option<Exclusive> = Some(Exclusive {
        group: "contention",
        what: "only one `contention` neighbour",
    });
    /// Kept out of `flapsim check`'s draw so old check seeds keep their scenarios.
    const GENERATED: bool = false;

    fn resolve(c: &ContentionRaw, r: &mut Resolver, p: &str) -> R<Self> {
        let demand = c.demand.0;
        if demand <= 0.0 {
            return Err(r.err(
                &format!("{p}.demand"),
                "must be > 0 (a neighbour that wants no CPU is no fault)",
            ));
        }
        let d = Policy::default();
        let dur = |v: &Option<Dur>, default: Nanos, field: &str, lo: Nanos, hi: Nanos| -> R<Nanos> {
            let v = v.map_or(default, |d| d.0);
            if v < lo || v > hi {
                return Err(r.err(
                    &format!("{p}.{field}"),
                    format!("{}; expected {} to {}", fd(v), fd(lo), fd(hi)),
                ));
            }
            Ok(v)
        };
        let policy = Policy {
            latency: dur(&c.sched_latency, d.latency, "sched_latency", 100_000, SEC)?,
            min_granularity: dur(&c.min_granularity, d.min_granularity, "min_granularity", 100_000, SEC)?,
            wakeup_granularity: dur(&c.wakeup_granularity, d.wakeup_granularity, "wakeup_granularity", 0, SEC)?,
            tick: match c.tick {
                Some(Dur(0)) => 0,
                Some(Dur(t)) if !(MS..=10 * MS).contains(&t) => {
                    return Err(r.err(
                        &format!("{p}.tick"),
                        format!(
                            "{}; expected 1ms (HZ=1000) to 10ms (HZ=100), or 0 for exact slice ends",
                            fd(t)
                        ),
                    ))
                }
                _ => dur(&c.tick, d.tick, "tick", MS, 10 * MS)?,
            },
        };
        let cycle = dur(&c.cycle, ContentionSpec::default().cycle, "cycle", MS, 3600 * SEC)?;
        Ok(ContentionSpec {
            demand,
            cycle,
            neighbour_weight: weight(c.nice, c.weight, r, p, "nice", "weight")?,
            agent_weight: weight(c.agent_nice, c.agent_weight, r, p, "agent_nice", "agent_weight")?,
            policy,
        })
    }

    fn render(&self) -> Result<String, String> {
        let demand = if self.demand >= 1.0 {
            "busy".to_string()
        } else {
            format!("{:?}", self.demand)
        };
        let p = &self.policy;
        Ok(format!(
            "{{demand: {demand}, cycle: {}, weight: {}, agent_weight: {}, sched_latency: {}, min_granularity: {}, wakeup_granularity: {}, tick: {}}}",
            dur(self.cycle),
            self.neighbour_weight,
            self.agent_weight,
            dur(p.latency),
            dur(p.min_granularity),
            dur(p.wakeup_granularity),
            dur(p.tick),
        ))
    }

    fn generate(g: &mut Gen) -> Self {
        let r = &mut *g.r;
        ContentionSpec {
            demand: if r.chance(0.5) { 1.0 } else { (1 + r.below(99)) as f64 / 100.0 },
            cycle: (10 + r.below(200)) * MS,
            neighbour_weight: weight_of_nice(r.below(40) as i64 - 20).unwrap_or(NICE_0_LOAD),
            ..ContentionSpec::default()
        }
    }

    fn install(&self, w: Window, node: NodeId, stream: Stream, env: &mut dyn BuildEnv) {
        if let Some(host) = env.host(node) {
            host.install_contention(self, w.from, w.until, stream);
        }
    }
}

/// A task's weight from `nice` or `weight` (not both); nice 0 by default.
fn weight(
    nice: Option<i64>,
    weight: Option<u32>,
    r: &Resolver,
    p: &str,
    nice_key: &str,
    weight_key: &str,
) -> R<u32> {
    match (nice, weight) {
        (Some(_), Some(_)) => Err(r.err(
            &format!("{p}.{weight_key}"),
            format!("give `{nice_key}` or `{weight_key}`, not both"),
        )),
        (Some(n), None) => weight_of_nice(n).ok_or_else(|| {
            r.err(
                &format!("{p}.{nice_key}"),
                format!("nice {n}; expected -20 to 19"),
            )
        }),
        (None, Some(w)) if WEIGHTS.contains(&w) => Ok(w),
        (None, Some(w)) => Err(r.err(
            &format!("{p}.{weight_key}"),
            format!(
                "weight {w}; expected {} to {} (nice 0 = 1024)",
                WEIGHTS.start(),
                WEIGHTS.end()
            ),
        )),
        (None, None) => Ok(NICE_0_LOAD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::render::to_yaml;
    use crate::scenario::{parse, HostFault, Scenario, ScenarioError};

    fn scenario(contention: &str) -> String {
        format!(
            "duration: 1h\ncluster:\n  groups:\n    agents: {{count: 3, name: \"a-{{:02}}\"}}\nfaults:\n  - nodes: a-01\n    from: 1m\n    contention: {contention}\n"
        )
    }

    fn ok(contention: &str) -> (Scenario, ContentionSpec) {
        let s = parse(&scenario(contention), "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        let HostFault::Contention(c) = s.faults[0].kind.clone() else {
            panic!("not a contention fault: {:?}", s.faults[0].kind)
        };
        (s, c)
    }

    fn err(contention: &str) -> ScenarioError {
        parse(&scenario(contention), "t.yaml").expect_err("should be rejected")
    }

    /// Rule: `demand: busy` alone gives a nice-0 neighbour and agent under the
    /// CFS defaults of a 1-vCPU guest (6 ms, 0.75 ms, 1 ms, HZ=250).
    #[test]
    fn a_busy_neighbour_takes_the_cfs_defaults() {
        let (s, c) = ok("{demand: busy}");
        assert_eq!(c, ContentionSpec::default());
        assert_eq!(s.faults[0].from, 60 * SEC);
        assert_eq!(c.policy.latency, 6 * MS);
        assert_eq!(c.policy.min_granularity, 750_000);
        assert_eq!(c.policy.wakeup_granularity, MS);
        assert_eq!(c.policy.tick, 4 * MS);
    }

    /// Rule: demand is `busy`, a fraction or a percentage; nice maps to the
    /// kernel weight; every field reads back from its rendering.
    #[test]
    fn fields_parse_and_render_back() {
        let (_, c) = ok("{demand: 50%, nice: 5, agent_nice: -3, cycle: 250ms, tick: 0}");
        assert_eq!(c.demand, 0.5);
        assert_eq!(c.neighbour_weight, 335);
        assert_eq!(c.agent_weight, 1991);
        assert_eq!(c.cycle, 250 * MS);
        assert_eq!(c.policy.tick, 0);
        let (s, c2) = ok("{demand: 0.25, weight: 2048, sched_latency: 24ms, min_granularity: 3ms, wakeup_granularity: 4ms, tick: 1ms}");
        assert_eq!((c2.demand, c2.neighbour_weight), (0.25, 2048));
        let text = to_yaml(&s).expect("renders");
        let back = parse(&text, "rendered.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.faults[0].kind, s.faults[0].kind);
        let (s, _) = ok("{demand: 50%, nice: 5, agent_nice: -3, cycle: 250ms, tick: 0}");
        let back = parse(&to_yaml(&s).expect("renders"), "r.yaml").expect("reads back");
        assert_eq!(back.faults[0].kind, HostFault::Contention(c));
    }

    /// Rule: wrong types and ranges are refused with the field and its line.
    #[test]
    fn bad_values_name_the_field_and_line() {
        for (value, field, says) in [
            ("{demand: lots}", "demand", "not a CPU demand"),
            ("{demand: 0}", "demand", "must be > 0"),
            ("{demand: 1.5}", "demand", "not a CPU demand"),
            ("{demand: busy, nice: 20}", "nice", "expected -20 to 19"),
            ("{demand: busy, nice: x}", "nice", "invalid type"),
            ("{demand: busy, weight: 1}", "weight", "expected 2 to 262144"),
            ("{demand: busy, nice: 1, weight: 9}", "weight", "not both"),
            ("{demand: busy, agent_nice: -21}", "agent_nice", "expected -20 to 19"),
            ("{demand: busy, tick: 20ms}", "tick", "or 0 for exact"),
            ("{demand: busy, sched_latency: 50us}", "sched_latency", "expected 100us to 1s"),
            ("{demand: busy, wakeup_granularity: 2s}", "wakeup_granularity", "0s to 1s"),
            ("{demand: busy, cycle: 10}", "cycle", "no unit"),
        ] {
            let e = err(value);
            assert_eq!(e.line, Some(8), "{value}: {e}");
            assert!(e.field.ends_with(field), "{value}: {e}");
            assert!(e.message.contains(says), "{value}: {e}");
        }
        let e = err("{demand: busy, colour: red}");
        assert!(e.message.contains("unknown field `colour`"), "{e}");
    }
}
