//! The scenario file as written: serde types mirroring the YAML one to one.
//!
//! Why a separate layer: serde_yaml knows where every value sits in the file, so
//! everything that can be checked on a single value (a duration's unit, a
//! probability's range, a distribution's shape) is checked *here*, inside serde
//! visitors, and the error comes out with the exact line, column and field path for
//! free. Cross-references (node names, windows, overlaps) are checked later in
//! [`super::resolve`], which finds lines with [`super::locate`].
//!
//! Every struct denies unknown fields, so a typo never silently falls back to a
//! default.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

pub use super::fault::{ActionRaw, FaultRaw};
use crate::quote::short;
use crate::random::{Dist, Nanos, Z95, Z99};
use crate::units::parse_duration;

// ---------------------------------------------------------------------------
// Scalars checked where they stand
// ---------------------------------------------------------------------------

/// A duration written with a unit (`250us`, `1.5s`, `2h10m`); a bare `0` is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dur(pub Nanos);

struct DurVisitor;

impl<'de> Visitor<'de> for DurVisitor {
    type Value = Dur;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration with a unit, e.g. 500ms, 90s, 2h")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        parse_duration(v).map(Dur).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        if v == 0 {
            Ok(Dur(0))
        } else {
            Err(E::custom(format!(
                "`{v}` has no unit; write e.g. {v}s or {v}ms"
            )))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        if v < 0 {
            Err(E::custom(format!(
                "negative duration `{v}`; durations must be >= 0"
            )))
        } else {
            self.visit_u64(v as u64)
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "`{v}` has no unit; write e.g. {v}s or {v}ms"
        )))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurVisitor)
    }
}

/// A probability in `[0, 1]`, or a percentage string such as `"5%"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prob(pub f64);

pub(crate) struct ProbVisitor;

fn check_prob<E: de::Error>(v: f64, shown: &str) -> Result<Prob, E> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(Prob(v))
    } else {
        Err(E::custom(format!(
            "{shown} is not a probability (expected 0..1, or a percentage like 5%)"
        )))
    }
}

impl<'de> Visitor<'de> for ProbVisitor {
    type Value = Prob;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a probability in 0..1 or a percentage like 5%")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Prob, E> {
        check_prob(v, &v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Prob, E> {
        check_prob(v as f64, &v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Prob, E> {
        check_prob(v as f64, &v.to_string())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Prob, E> {
        let t = v.trim();
        let Some(num) = t.strip_suffix('%') else {
            return Err(E::custom(format!(
                "`{}` is not a probability (expected 0..1, or a percentage like 5%)",
                short(v)
            )));
        };
        let p: f64 = num.trim().parse().map_err(|_| {
            E::custom(format!(
                "`{}` is not a percentage (expected e.g. 5% or 0.5%)",
                short(v)
            ))
        })?;
        check_prob(p / 100.0, &format!("`{}`", short(v)))
    }
}

impl<'de> Deserialize<'de> for Prob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProbVisitor)
    }
}

/// A protocol override value, kept as text for `Config::set` (which owns parsing).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar(pub String);

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a single value (number, duration, true/false)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A YAML mapping kept in file order (node ids are assigned in file order, and
/// overrides apply in file order). A key given twice is refused; the keys seen
/// are kept in a set to find it, as a 1 MiB file holds 80,000 keys and a scan
/// of those before each made reading it quadratic (15 s).
#[derive(Clone, Debug, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

struct OrderedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
    type Value = Ordered<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping of names to settings")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
        let mut out: Vec<(String, T)> = Vec::new();
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "`{}` is defined twice",
                    short(&key)
                )));
            }
            let value = map.next_value::<T>()?;
            out.push((key, value));
        }
        Ok(Ordered(out))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// One name or a list of names (`nodes: a-01` or `nodes: [a-01, s-01]`).
#[derive(Clone, Debug, PartialEq)]
pub struct NameList(pub Vec<String>);

struct NameListVisitor;

impl<'de> Visitor<'de> for NameListVisitor {
    type Value = NameList;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a name or a list of names")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<NameList, E> {
        Ok(NameList(vec![v.to_string()]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NameList, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<String>()? {
            out.push(s);
        }
        Ok(NameList(out))
    }
}

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NameListVisitor)
    }
}

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

/// A duration distribution: a plain duration is fixed; otherwise a one-key map.
#[derive(Clone, Debug, PartialEq)]
pub struct DistRaw(pub Dist);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalRaw {
    mean: Dur,
    sd: Dur,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormalRaw {
    median: Dur,
    p95: Option<Dur>,
    p99: Option<Dur>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExponentialRaw {
    mean: Dur,
    min: Option<Dur>,
}

const DIST_KINDS: &str = "fixed, uniform, normal, lognormal, exponential";

struct DistVisitor;

impl<'de> Visitor<'de> for DistVisitor {
    type Value = DistRaw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a duration (fixed) or one of {uniform: [lo, hi]}, {normal: {mean, sd}}, \
             {lognormal: {median, p95 or p99}}, {exponential: {mean, min}}",
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DistRaw, E> {
        DurVisitor.visit_str(v).map(|d| DistRaw(Dist::Fixed(d.0)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistRaw, E> {
        DurVisitor.visit_u64(v).map(|d| DistRaw(Dist::Fixed(d.0)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistRaw, E> {
        DurVisitor.visit_i64(v).map(|d| DistRaw(Dist::Fixed(d.0)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistRaw, E> {
        DurVisitor.visit_f64(v).map(|d| DistRaw(Dist::Fixed(d.0)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistRaw, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Err(de::Error::custom(format!(
                "empty distribution; use one of {DIST_KINDS}"
            )));
        };
        let dist = match kind.as_str() {
            "fixed" => Dist::Fixed(map.next_value::<Dur>()?.0),
            "uniform" => {
                let [lo, hi] = map.next_value::<[Dur; 2]>()?;
                if lo.0 > hi.0 {
                    return Err(de::Error::custom(format!(
                        "uniform: low end {} is above high end {}",
                        crate::units::format_duration(lo.0),
                        crate::units::format_duration(hi.0)
                    )));
                }
                Dist::Uniform { lo: lo.0, hi: hi.0 }
            }
            "normal" => {
                let n = map.next_value::<NormalRaw>()?;
                Dist::Normal {
                    mean: n.mean.0,
                    sd: n.sd.0,
                }
            }
            "lognormal" => {
                let l = map.next_value::<LogNormalRaw>()?;
                let (q, z, which) = match (l.p95, l.p99) {
                    (Some(q), None) => (q, Z95, "p95"),
                    (None, Some(q)) => (q, Z99, "p99"),
                    _ => {
                        return Err(de::Error::custom(
                            "lognormal needs exactly one of p95 or p99 besides median",
                        ))
                    }
                };
                if l.median.0 == 0 {
                    return Err(de::Error::custom("lognormal median must be > 0"));
                }
                if q.0 < l.median.0 {
                    return Err(de::Error::custom(format!(
                        "lognormal {which} {} is below the median {}; {which} must be >= median",
                        crate::units::format_duration(q.0),
                        crate::units::format_duration(l.median.0)
                    )));
                }
                Dist::lognormal_from_quantile(l.median.0, q.0, z)
            }
            "exponential" => {
                let e = map.next_value::<ExponentialRaw>()?;
                if e.mean.0 == 0 {
                    return Err(de::Error::custom(
                        "exponential mean must be > 0 (for a constant, write the duration itself)",
                    ));
                }
                Dist::Exponential {
                    mean: e.mean.0,
                    min: e.min.map_or(0, |m| m.0),
                }
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown distribution `{}`; use one of {DIST_KINDS}",
                    short(other)
                )))
            }
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "a distribution has exactly one kind; found `{}` and `{}`",
                short(&kind),
                short(&extra)
            )));
        }
        Ok(DistRaw(dist))
    }
}

impl<'de> Deserialize<'de> for DistRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistVisitor)
    }
}

// ---------------------------------------------------------------------------
// Targets: which nodes a fault, rule or action applies to
// ---------------------------------------------------------------------------

/// `a-01`, `[a-01, servers]`, `all`, `zone:b`, or a selection
/// `{of: agents, except: a-01, fraction: 10%}`.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetRaw {
    Names(Vec<String>),
    Select(SelectRaw),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectRaw {
    /// Base set (default: all nodes).
    pub of: Option<NameList>,
    /// Removed from the base set.
    pub except: Option<NameList>,
    /// A random fraction (0, 1] of what remains, drawn from the scenario seed.
    pub fraction: Option<Prob>,
}

struct TargetVisitor;

impl<'de> Visitor<'de> for TargetVisitor {
    type Value = TargetRaw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a node, group, `zone:NAME` or `all`, a list of them, or {of, except, fraction}",
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TargetRaw, E> {
        Ok(TargetRaw::Names(vec![v.to_string()]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TargetRaw, A::Error> {
        NameListVisitor
            .visit_seq(seq)
            .map(|n| TargetRaw::Names(n.0))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TargetRaw, A::Error> {
        SelectRaw::deserialize(de::value::MapAccessDeserializer::new(map)).map(TargetRaw::Select)
    }
}

impl<'de> Deserialize<'de> for TargetRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TargetVisitor)
    }
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRaw {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: Option<u64>,
    pub duration: Option<Dur>,
    pub warmup: Option<Dur>,
    pub start: Option<StartRaw>,
    pub protocol: Option<ProtocolRaw>,
    pub cluster: Option<ClusterRaw>,
    pub network: Option<NetworkRaw>,
    pub host: Option<HostRaw>,
    pub faults: Option<Vec<FaultRaw>>,
    pub timeline: Option<Vec<ActionRaw>>,
    pub log_observers: Option<TargetRaw>,
    pub timeseries_bin: Option<Dur>,
}

/// `start: converged`, `start: join`, `start: {mode: converged, stagger: 1ms,
/// uptime: 11s}`, or `start: {mode: join, seeds: [...], stagger: 1s}`.
#[derive(Clone, Debug, PartialEq)]
pub struct StartRaw {
    pub mode: StartModeRaw,
    pub seeds: Option<NameList>,
    pub stagger: Option<Dur>,
    pub uptime: Option<Dur>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartModeRaw {
    Converged,
    Join,
}

struct StartVisitor;

impl<'de> Visitor<'de> for StartVisitor {
    type Value = StartRaw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`converged`, `join`, {mode: converged, stagger: 1ms, uptime: 11s}, or {mode: join, seeds: [...], stagger: 1s}")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StartRaw, E> {
        let mode = match v {
            "converged" => StartModeRaw::Converged,
            "join" => StartModeRaw::Join,
            other => {
                return Err(E::custom(format!(
                    "unknown start mode `{}`; expected `converged` or `join`",
                    short(other)
                )))
            }
        };
        Ok(StartRaw {
            mode,
            seeds: None,
            stagger: None,
            uptime: None,
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StartRaw, A::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Inner {
            mode: StartModeRaw,
            seeds: Option<NameList>,
            stagger: Option<Dur>,
            uptime: Option<Dur>,
        }
        let i = Inner::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(StartRaw {
            mode: i.mode,
            seeds: i.seeds,
            stagger: i.stagger,
            uptime: i.uptime,
        })
    }
}

impl<'de> Deserialize<'de> for StartRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StartVisitor)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolRaw {
    pub preset: Option<String>,
    pub overrides: Option<Ordered<Scalar>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRaw {
    /// Declared zones; when present every zone used must be one of them.
    pub zones: Option<Vec<String>>,
    /// Default Serf tag size for every node.
    pub meta_bytes: Option<u32>,
    pub groups: Option<Ordered<GroupRaw>>,
    pub nodes: Option<Ordered<Option<NodeRaw>>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRaw {
    pub count: u32,
    /// Name pattern with one placeholder: `a-{:02}` → a-01, a-02, …
    pub name: String,
    /// Number of the first node (default 1).
    pub first: Option<u32>,
    pub zone: Option<String>,
    /// Round-robin over these zones.
    pub zones: Option<Vec<String>>,
    pub meta_bytes: Option<u32>,
    /// False: the nodes exist but start only on a timeline `join`.
    pub starts: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRaw {
    pub zone: Option<String>,
    /// Extra groups this node belongs to (created if new).
    pub groups: Option<Vec<String>>,
    pub meta_bytes: Option<u32>,
    pub starts: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRaw {
    pub default: Option<LinkRaw>,
    pub intra_zone: Option<LinkRaw>,
    pub cross_zone: Option<LinkRaw>,
    pub rules: Option<Vec<RuleRaw>>,
    pub bandwidth_bytes_per_s: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRaw {
    pub latency: Option<DistRaw>,
    pub spike: Option<SpikeRaw>,
    pub loss: Option<Prob>,
    pub duplicate: Option<Prob>,
    pub tcp_refused: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeRaw {
    pub probability: Prob,
    pub extra: DistRaw,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRaw {
    pub from: TargetRaw,
    pub to: TargetRaw,
    pub both_ways: Option<bool>,
    pub latency: Option<DistRaw>,
    pub spike: Option<SpikeRaw>,
    pub loss: Option<Prob>,
    pub duplicate: Option<Prob>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostRaw {
    pub packet_cost: Option<Dur>,
    pub per_part_cost: Option<Dur>,
    pub push_pull_entry_cost: Option<Dur>,
    pub timer_cost: Option<Dur>,
    pub ticker_jitter: Option<DistRaw>,
    pub other_core_idle: Option<Prob>,
    pub recv_buffer_bytes: Option<u32>,
}
