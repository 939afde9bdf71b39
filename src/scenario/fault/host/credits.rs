//! `credits: {instance, …}` — an AWS burstable instance (incidents.md §2):
//! it runs freely while it has CPU credits and is held to its baseline once
//! they are gone; the host model decides when (it reports the cap as it
//! happens, which is when the node counts as degraded). Instance presets come
//! from [`crate::scenario::credits`]; any field may be overridden.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::throttle::CPU_CAP;
use crate::protocol::{Nanos, NodeId, MS};
use crate::random::Stream;
use crate::scenario::credits as instances;
use crate::scenario::fault::{gen::Gen, BuildEnv, DegradedWindow, Exclusive, HostFaultKind, Window};
use crate::scenario::raw::{Dur, Prob, ProbVisitor};
use crate::scenario::render::dur;
use crate::scenario::resolve::{fd, Resolver, MIN_GRANULARITY};
use crate::scenario::ScenarioError;

type R<T> = Result<T, ScenarioError>;

/// Throttle period when a credits node is held to baseline (Xen's 30 ms slice ×10).
pub const DEFAULT_CREDIT_PERIOD: Nanos = 300_000_000;

/// The most vCPUs an instance has.
pub const MAX_VCPUS: u32 = 128;

/// The most credits a balance field (`cap`, `launch_credits`,
/// `initial_earned`) holds: a billion vCPU-minutes, 200,000 times AWS's
/// largest cap. Why a bound: a balance is at most `launch_credits + cap`,
/// and `flapsim chart` refuses a `chart-data.json` whose credit balances no
/// run could reach; without one, any finite number (1e308) was a balance.
pub const MAX_CREDITS: f64 = 1e9;

/// The `credits` fault is its instance's credit model.
pub type Credits = CreditSpec;

/// AWS burstable instance (incidents.md §2).
#[derive(Clone, Debug, PartialEq)]
pub struct CreditSpec {
    /// Preset it came from (`t2.micro`, …) for reports.
    pub instance: String,
    pub vcpus: u32,
    /// Baseline as a fraction of ONE vCPU (t2.micro: 0.10).
    pub baseline: f64,
    /// Credits earned per hour (a credit = 1 vCPU-minute).
    pub earn_per_hour: f64,
    /// Cap on earned credits.
    pub cap: f64,
    /// Launch credits at start (and at every restart, T2 standard).
    pub launch_credits: f64,
    /// Earned balance at t = 0 (in addition to launch credits).
    pub initial_earned: f64,
    /// Other processes' CPU demand in vCPUs over time: (from, fraction) steps,
    /// sorted; the first starts at 0.
    pub background_load: Vec<(Nanos, f64)>,
    /// Never throttled; spends surplus credits instead.
    pub unlimited: bool,
    /// Throttle period when held to baseline (run = baseline · period).
    pub period: Nanos,
}

impl HostFaultKind for CreditSpec {
    type Raw = CreditsRaw;
    const EXCLUSIVE: Option<Exclusive> = Some(CPU_CAP);

    fn resolve(c: &CreditsRaw, r: &mut Resolver, p: &str) -> R<Self> {
        resolve_spec(c, r, p)
    }

    fn render(&self) -> Result<String, String> {
        let c = self;
        let load: Vec<String> = c
            .background_load
            .iter()
            .map(|(at, l)| format!("{{at: {}, load: {l:?}}}", dur(*at)))
            .collect();
        // The instance name is kept for reports; every field is still
        // written, so the preset's values never matter on re-parse.
        let instance = if c.instance == "custom" {
            String::new()
        } else {
            format!("instance: {}, ", c.instance)
        };
        Ok(format!(
            "{{{instance}vcpus: {}, baseline: {:?}, earn_per_hour: {:?}, cap: {:?}, launch_credits: {:?}, initial_earned: {:?}, background_load: [{}], unlimited: {}, period: {}}}",
            c.vcpus,
            c.baseline,
            c.earn_per_hour,
            c.cap,
            c.launch_credits,
            c.initial_earned,
            load.join(", "),
            c.unlimited,
            dur(c.period)
        ))
    }

    fn generate(g: &mut Gen) -> Self {
        let r = &mut *g.r;
        CreditSpec {
            instance: "custom".into(),
            vcpus: 1,
            baseline: (1 + r.below(20)) as f64 / 100.0,
            earn_per_hour: 6.0,
            cap: 144.0,
            launch_credits: r.below(30) as f64,
            initial_earned: 0.0,
            background_load: vec![(0, (r.below(100) as f64) / 100.0)],
            unlimited: r.chance(0.2),
            period: (50 + r.below(300)) * MS,
        }
    }

    fn install(&self, w: Window, node: NodeId, stream: Stream, env: &mut dyn BuildEnv) {
        let mut out = Vec::new();
        if let Some(host) = env.host(node) {
            host.install_credits(self, w.from, w.until, stream, &mut out);
        }
        env.host_outputs(node, out);
    }

    /// Before exhaustion the instance is healthy: its host reports the cap.
    fn degraded(&self) -> DegradedWindow {
        DegradedWindow::ReportedByHost
    }
}

fn resolve_spec(c: &CreditsRaw, r: &Resolver, p: &str) -> R<CreditSpec> {
    let preset = match &c.instance {
        Some(name) => Some(*instances::instance(name).ok_or_else(|| {
            r.err(
                &format!("{p}.instance"),
                format!(
                    "unknown instance type `{}`; known: {}",
                    crate::quote::short(name),
                    instances::names()
                ),
            )
        })?),
        None => None,
    };
    let need = |v: Option<f64>, field: &str| -> R<f64> {
        v.ok_or_else(|| {
            r.err(
                p,
                format!(
                    "without `instance`, `{field}` is required (or name an instance: {})",
                    instances::names()
                ),
            )
        })
    };
    let vcpus = match (c.vcpus, preset) {
        (Some(v), _) => v,
        (None, Some(i)) => i.vcpus,
        (None, None) => need(None, "vcpus")? as u32,
    };
    if vcpus == 0 || vcpus > MAX_VCPUS {
        return Err(r.err(
            &format!("{p}.vcpus"),
            format!("{vcpus} vCPUs; expected 1..{MAX_VCPUS}"),
        ));
    }
    let baseline = match c.baseline {
        Some(b) => b.0,
        None => need(preset.map(|i| i.baseline), "baseline")?,
    };
    if baseline <= 0.0 {
        return Err(r.err(&format!("{p}.baseline"), "must be > 0 (per vCPU, e.g. 10%)"));
    }
    let earn_per_hour = match c.earn_per_hour {
        Some(v) => v,
        None => need(preset.map(|i| i.earn_per_hour), "earn_per_hour")?,
    };
    let cap = match c.cap {
        Some(v) => v,
        None => need(preset.map(|i| i.cap), "cap")?,
    };
    let launch_credits = c
        .launch_credits
        .or(preset.map(|i| i.launch_credits))
        .unwrap_or(0.0);
    let initial_earned = c.initial_earned.unwrap_or(0.0);
    check_balances(earn_per_hour, cap, launch_credits, initial_earned, r, p)?;
    let period = period(c.period, baseline, r, p)?;
    let background_load = background_load(c.background_load.as_ref(), vcpus, r, p)?;
    Ok(CreditSpec {
        instance: c.instance.clone().unwrap_or_else(|| "custom".into()),
        vcpus,
        baseline,
        earn_per_hour,
        cap,
        launch_credits,
        initial_earned,
        background_load,
        unlimited: c.unlimited.or(preset.map(|i| i.unlimited)).unwrap_or(false),
        period,
    })
}

/// Credit amounts are finite and >= 0, balances at most [`MAX_CREDITS`];
/// the initial balance fits the cap.
fn check_balances(
    earn_per_hour: f64,
    cap: f64,
    launch_credits: f64,
    initial_earned: f64,
    r: &Resolver,
    p: &str,
) -> R<()> {
    for (field, v) in [
        ("earn_per_hour", earn_per_hour),
        ("cap", cap),
        ("launch_credits", launch_credits),
        ("initial_earned", initial_earned),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(r.err(
                &format!("{p}.{field}"),
                format!("{v} credits; expected a number >= 0"),
            ));
        }
        if field != "earn_per_hour" && v > MAX_CREDITS {
            return Err(r.err(
                &format!("{p}.{field}"),
                format!("{v:e} credits; at most {MAX_CREDITS:e} (a billion vCPU-minutes)"),
            ));
        }
    }
    if initial_earned > cap {
        return Err(r.err(
            &format!("{p}.initial_earned"),
            format!("{initial_earned} is above the cap of {cap} earned credits"),
        ));
    }
    Ok(())
}

/// The throttle period when held to baseline: its run slice must be at least
/// the time granularity.
fn period(period: Option<Dur>, baseline: f64, r: &Resolver, p: &str) -> R<Nanos> {
    let period = period.map_or(DEFAULT_CREDIT_PERIOD, |d| d.0);
    if (baseline * period as f64) < MIN_GRANULARITY as f64 {
        return Err(r.err(
            &format!("{p}.period"),
            format!(
                "the run slice (baseline x period = {}) is finer than flapsim's time granularity of 1us; use a longer period",
                fd((baseline * period as f64) as Nanos)
            ),
        ));
    }
    if period == 0 || (baseline * period as f64) < 1.0 {
        return Err(r.err(
            &format!("{p}.period"),
            "must be > 0 (e.g. 300ms: run 30 ms of every 300 ms at a 10 % baseline)",
        ));
    }
    Ok(period)
}

/// `background_load`: a constant or increasing `(at, load)` steps, each within
/// the instance's vCPUs; the first step starts at 0.
fn background_load(load: Option<&LoadRaw>, vcpus: u32, r: &Resolver, p: &str) -> R<Vec<(Nanos, f64)>> {
    let lp = format!("{p}.background_load");
    let check_load = |v: f64, path: &str| -> R<()> {
        if !v.is_finite() || v < 0.0 || v > f64::from(vcpus) {
            return Err(r.err(
                path,
                format!(
                    "{v} vCPUs of demand; expected 0..{vcpus} (this instance has {vcpus} vCPU)"
                ),
            ));
        }
        Ok(())
    };
    let steps = match load {
        None => vec![(0, 0.0)],
        Some(LoadRaw::Constant(v)) => {
            check_load(*v, &lp)?;
            vec![(0, *v)]
        }
        Some(LoadRaw::Steps(steps)) => {
            if steps.is_empty() {
                return Err(r.err(
                    &lp,
                    "empty list of steps; give a number or [{at: 0s, load: 0.5}, …]",
                ));
            }
            let mut out: Vec<(Nanos, f64)> = Vec::with_capacity(steps.len() + 1);
            for (k, s) in steps.iter().enumerate() {
                let sp = format!("{lp}[{k}]");
                check_load(s.load, &format!("{sp}.load"))?;
                if s.at.0 >= r.duration() {
                    return Err(r.err(
                        &format!("{sp}.at"),
                        format!("{} is at or after the end of the run", fd(s.at.0)),
                    ));
                }
                if let Some(&(prev, _)) = out.last() {
                    if s.at.0 <= prev && !(k == 0 && prev == 0) {
                        return Err(r.err(
                            &format!("{sp}.at"),
                            format!(
                                "steps must be in increasing time order; {} is not after {}",
                                fd(s.at.0),
                                fd(prev)
                            ),
                        ));
                    }
                }
                if k == 0 && s.at.0 > 0 {
                    out.push((0, 0.0));
                }
                out.push((s.at.0, s.load));
            }
            out
        }
    };
    Ok(steps)
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditsRaw {
    pub instance: Option<String>,
    pub vcpus: Option<u32>,
    /// Per vCPU.
    pub baseline: Option<Prob>,
    pub earn_per_hour: Option<f64>,
    pub cap: Option<f64>,
    pub launch_credits: Option<f64>,
    pub initial_earned: Option<f64>,
    pub background_load: Option<LoadRaw>,
    pub unlimited: Option<bool>,
    pub period: Option<Dur>,
}

/// `background_load: 0.3` or `[{at: 0s, load: 0.1}, {at: 30m, load: 1.0}]`.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadRaw {
    Constant(f64),
    Steps(Vec<LoadStepRaw>),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadStepRaw {
    pub at: Dur,
    pub load: f64,
}

struct LoadVisitor;

impl<'de> Visitor<'de> for LoadVisitor {
    type Value = LoadRaw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CPU demand in vCPUs (e.g. 0.5) or a list of {at, load} steps")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LoadRaw, E> {
        Ok(LoadRaw::Constant(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LoadRaw, E> {
        Ok(LoadRaw::Constant(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LoadRaw, E> {
        Ok(LoadRaw::Constant(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LoadRaw, E> {
        ProbVisitor.visit_str(v).map(|p| LoadRaw::Constant(p.0))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LoadRaw, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<LoadStepRaw>()? {
            out.push(s);
        }
        Ok(LoadRaw::Steps(out))
    }
}

impl<'de> Deserialize<'de> for LoadRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LoadVisitor)
    }
}

