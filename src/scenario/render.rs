//! Resolved [`Scenario`] → scenario YAML.
//!
//! Why: the randomized checker (`flapsim check`) builds scenarios in code, and a
//! failure is only useful if it can be replayed with `flapsim run file.yaml`. So
//! every generated scenario is rendered to YAML and parsed back, and the checker
//! insists that the round trip gives the same scenario (a free test of both the
//! renderer and the parser).
//!
//! Rendering is exact, not pretty: durations use the largest unit that divides
//! them exactly (`1500ms`, `125us`, `7ns`), probabilities and credit numbers use
//! Rust's shortest round-tripping float form, every node is written explicitly and
//! every target is a list of node names. Log-normal distributions are resolved to
//! `(mu, sigma)` and cannot be written back exactly as `{median, p95}`, so they are
//! refused (the generator does not produce them).

use std::fmt::Write;

use crate::protocol::{Nanos, NodeId};
use crate::random::Dist;

use super::fault::Targets;
use super::model::*;

/// Render `s` as a scenario file that [`super::parse`] reads back to the same
/// scenario (except `name`, which comes from the file name unless given, and
/// `source`). Errors name what cannot be written exactly.
pub fn to_yaml(s: &Scenario) -> Result<String, String> {
    let mut out = String::new();
    let t = Targets {
        names: s.nodes.iter().map(|n| n.name.as_str()).collect(),
    };
    let w = &mut out;
    header(w, s, &t)?;
    cluster(w, s)?;
    network(w, s, &t)?;
    host(w, s)?;
    faults(w, s, &t)?;
    if !s.log_observers.is_empty() {
        let _ = writeln!(w, "log_observers: {}", t.list(&s.log_observers));
    }
    let _ = writeln!(w, "timeseries_bin: {}", dur(s.timeseries_bin));
    Ok(out)
}

/// The name, run length, start mode and protocol.
fn header(w: &mut String, s: &Scenario, t: &Targets) -> Result<(), String> {
    let target = |ids: &[NodeId]| t.list(ids);
    let _ = writeln!(
        w,
        "# Rendered by flapsim (scenario::render); replay with `flapsim run`."
    );
    let _ = writeln!(w, "name: {}", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(w, "description: {}", quote(&s.description));
    }
    let _ = writeln!(w, "seed: {}", s.seed);
    let _ = writeln!(w, "duration: {}", dur(s.duration));
    let _ = writeln!(w, "warmup: {}", dur(s.warmup));
    match &s.start {
        StartMode::Converged => {
            let _ = writeln!(w, "start: converged");
        }
        StartMode::ConvergedStaggered { stagger, uptime } => {
            let _ = writeln!(
                w,
                "start: {{mode: converged, stagger: {}, uptime: {}}}",
                dur(*stagger),
                dur(*uptime)
            );
        }
        StartMode::Join { seeds, stagger } => {
            let _ = writeln!(
                w,
                "start: {{mode: join, seeds: {}, stagger: {}}}",
                target(seeds),
                dur(*stagger)
            );
        }
    }
    let _ = writeln!(w, "protocol:\n  preset: {}", s.preset);
    if !s.overrides.is_empty() {
        let _ = writeln!(w, "  overrides:");
        for (k, v) in &s.overrides {
            let _ = writeln!(w, "    {k}: {}", quote(v));
        }
    }

    Ok(())
}

/// Zones in order of first use, then every node explicitly.
fn cluster(w: &mut String, s: &Scenario) -> Result<(), String> {
    // Cluster: zones in order of first use, then every node explicitly.
    let mut zones: Vec<&str> = Vec::new();
    for n in &s.nodes {
        if !zones.contains(&n.zone.as_str()) {
            zones.push(&n.zone);
        }
    }
    let _ = writeln!(w, "cluster:");
    if !zones.is_empty() {
        let _ = writeln!(w, "  zones: [{}]", zones.join(", "));
    }
    let _ = writeln!(w, "  nodes:");
    for n in &s.nodes {
        let mut fields = vec![
            format!("zone: {}", n.zone),
            format!("meta_bytes: {}", n.meta_len),
        ];
        if !n.groups.is_empty() {
            fields.push(format!("groups: [{}]", n.groups.join(", ")));
        }
        if !n.starts {
            fields.push("starts: false".into());
        }
        let _ = writeln!(w, "    {}: {{{}}}", n.name, fields.join(", "));
    }

    Ok(())
}

/// The links and the rules between node sets.
fn network(w: &mut String, s: &Scenario, t: &Targets) -> Result<(), String> {
    let target = |ids: &[NodeId]| t.list(ids);
    let net = &s.network;
    let _ = writeln!(w, "network:");
    let _ = writeln!(w, "  default: {}", link(&net.default)?);
    if let Some(l) = &net.intra_zone {
        let _ = writeln!(w, "  intra_zone: {}", link(l)?);
    }
    if let Some(l) = &net.cross_zone {
        let _ = writeln!(w, "  cross_zone: {}", link(l)?);
    }
    if !net.rules.is_empty() {
        let _ = writeln!(w, "  rules:");
        for r in &net.rules {
            let mut f = vec![
                format!("from: {}", target(&r.from)),
                format!("to: {}", target(&r.to)),
                format!("both_ways: {}", r.both_ways),
            ];
            if let Some(l) = &r.latency {
                f.push(format!("latency: {}", dist(l)?));
            }
            if let Some(sp) = &r.spike {
                f.push(format!("spike: {}", spike(sp)?));
            }
            if let Some(p) = r.loss {
                f.push(format!("loss: {p:?}"));
            }
            if let Some(p) = r.duplicate {
                f.push(format!("duplicate: {p:?}"));
            }
            let _ = writeln!(w, "    - {{{}}}", f.join(", "));
        }
    }
    if let Some(b) = net.bandwidth_bytes_per_s {
        let _ = writeln!(w, "  bandwidth_bytes_per_s: {b}");
    }

    Ok(())
}

/// Work costs, receive buffer and ticker jitter.
fn host(w: &mut String, s: &Scenario) -> Result<(), String> {
    let h = &s.host;
    // ticker_jitter is written only when set, so older renderings stay as they were.
    let jitter = if h.ticker_jitter == Dist::Fixed(0) {
        String::new()
    } else {
        format!(", ticker_jitter: {}", dist(&h.ticker_jitter)?)
    };
    // Likewise other_core_idle, written only when not the default 1.
    let jitter = if h.other_core_idle == 1.0 {
        jitter
    } else {
        format!("{jitter}, other_core_idle: {}", h.other_core_idle)
    };
    let _ = writeln!(
        w,
        "host: {{packet_cost: {}, per_part_cost: {}, push_pull_entry_cost: {}, timer_cost: {}, recv_buffer_bytes: {}{jitter}}}",
        dur(h.packet_cost),
        dur(h.per_part_cost),
        dur(h.push_pull_entry_cost),
        dur(h.timer_cost),
        h.recv_buffer_bytes
    );

    Ok(())
}

/// Host faults and the timeline, each entry written by its kind.
fn faults(w: &mut String, s: &Scenario, t: &Targets) -> Result<(), String> {
    let target = |ids: &[NodeId]| t.list(ids);
    if !s.faults.is_empty() {
        let _ = writeln!(w, "faults:");
    }
    for f in &s.faults {
        let mut window = format!("from: {}", dur(f.from));
        if let Some(u) = f.until {
            let _ = write!(window, ", until: {}", dur(u));
        }
        let kind = f.kind.render()?;
        let _ = writeln!(w, "  - {{nodes: {}, {window}, {kind}}}", target(&f.nodes));
    }

    if !s.timeline.is_empty() {
        let _ = writeln!(w, "timeline:");
    }
    for ev in &s.timeline {
        let action = ev.action.render(t)?;
        let _ = writeln!(w, "  - {{at: {}, {action}}}", dur(ev.at));
    }
    Ok(())
}

/// A duration exactly, in the largest unit that divides it (see
/// [`crate::units::format_duration_exact`]).
pub fn dur(ns: Nanos) -> String {
    crate::units::format_duration_exact(ns)
}

pub fn dist(d: &Dist) -> Result<String, String> {
    Ok(match *d {
        Dist::Fixed(v) => dur(v),
        Dist::Uniform { lo, hi } => format!("{{uniform: [{}, {}]}}", dur(lo), dur(hi)),
        Dist::Normal { mean, sd } => {
            format!("{{normal: {{mean: {}, sd: {}}}}}", dur(mean), dur(sd))
        }
        Dist::Exponential { mean, min } => {
            format!(
                "{{exponential: {{mean: {}, min: {}}}}}",
                dur(mean),
                dur(min)
            )
        }
        Dist::LogNormal { mu, sigma } => lognormal(mu, sigma)?,
    })
}

/// A log-normal as the file wrote it: `median` and `p95` (or `p99`) in whole
/// nanoseconds. The parser derives (mu, sigma) from those two integers, so the
/// form whose re-derivation gives back exactly these bits is written; when
/// neither does (not made from a file), an error, never an approximation.
fn lognormal(mu: f64, sigma: f64) -> Result<String, String> {
    let to_ns = |ln_secs: f64| -> Option<Nanos> {
        let ns = (ln_secs.exp() * 1e9).round();
        (ns >= 1.0 && ns < u64::MAX as f64 / 2.0).then_some(ns as Nanos)
    };
    let median = to_ns(mu).ok_or("a log-normal median out of range")?;
    for (z, which) in [(crate::random::Z95, "p95"), (crate::random::Z99, "p99")] {
        let Some(q) = to_ns(mu + z * sigma) else {
            continue;
        };
        if q < median {
            continue;
        }
        if let Dist::LogNormal { mu: m, sigma: s } = Dist::lognormal_from_quantile(median, q, z) {
            if m.to_bits() == mu.to_bits() && s.to_bits() == sigma.to_bits() {
                return Ok(format!(
                    "{{lognormal: {{median: {}, {which}: {}}}}}",
                    dur(median),
                    dur(q)
                ));
            }
        }
    }
    Err(
        "a log-normal distribution not given by median and p95/p99 cannot be written back exactly"
            .into(),
    )
}

fn spike(s: &Spike) -> Result<String, String> {
    Ok(format!(
        "{{probability: {:?}, extra: {}}}",
        s.probability,
        dist(&s.extra)?
    ))
}

fn link(l: &LinkSpec) -> Result<String, String> {
    let mut f = vec![format!("latency: {}", dist(&l.latency)?)];
    if let Some(s) = &l.spike {
        f.push(format!("spike: {}", spike(s)?));
    }
    f.push(format!("loss: {:?}", l.loss));
    f.push(format!("duplicate: {:?}", l.duplicate));
    f.push(format!("tcp_refused: {}", l.tcp_refused));
    Ok(format!("{{{}}}", f.join(", ")))
}

/// A YAML double-quoted string (JSON escaping is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}
