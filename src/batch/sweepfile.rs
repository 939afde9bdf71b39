//! Sweep files: a base scenario and axes → a validated [`Plan`].
//!
//! ```yaml
//! name: probe-timeout                     # default: the file stem
//! description: What question this answers.
//! base: ../starved-node.yaml              # relative to this file; or `scenario:` inline
//! set:                                    # fixed edits applied to every point
//!   duration: 30m
//!   timeline[+]: {at: 20m, crash: n-07}   # `[+]` appends to a list
//! axes:
//!   - path: probe_timeout                 # a protocol field (memberlist or Consul name)
//!     values: {from: 100ms, to: 1s, step: 100ms}
//!   - path: faults[0].starve.delay        # any scenario field by path
//!     name: starve                        # column name (default: the path)
//!     values: [10ms, 50ms, {lognormal: {median: 80ms, p95: 450ms}}]
//!   - name: sick                          # several fields moving together
//!     condition: true                     # compared under, not chosen: fronts per value
//!     zip:
//!       cluster.groups.sick.count: [1, 4, 8]
//!       cluster.groups.healthy.count: [99, 96, 92]
//!   - name: lifeguard                     # named configurations
//!     variants:
//!       none: {local_health: false, dynamic_suspicion: false, buddy: false}
//!       all: {local_health: true, dynamic_suspicion: true, buddy: true}
//! combine: grid                           # or zip (axes of equal length, pointwise)
//! seeds: 5                                # runs per point
//! first_seed: 1                           # default: the base scenario's seed
//! ```
//!
//! Paths: `preset` (or `protocol.preset`); a protocol field (`suspicion_mult`,
//! `SuspicionMult`, `protocol.probe_interval`, Lifeguard switches) applied like
//! `--set` after the file's overrides; anything else is a path into the scenario's
//! YAML (`cluster.groups.agents.count`, `faults[1].throttle.run`,
//! `network.rules[0].loss`, `duration`), whose parent must exist in the base.
//!
//! Why edit the YAML tree rather than the resolved scenario: every point then goes
//! through the same validation as a scenario file, so a value that makes a point
//! invalid is caught by the same checks — before anything runs — and reported at
//! the axis value in the sweep file that caused it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use crate::protocol::config::canonical;
use crate::quote::short;
use crate::scenario::{self, Limits, ScenarioError};
use crate::units::{format_duration_exact, parse_duration};

use super::plan::{resolve_point, Plan, PointInput, Points, MAX_RUNS, MAX_SEEDS};
use super::row::{metric_index, AxisValue, ID_COLUMNS};
use super::space::{
    covers, label_of, scalar_text, Assign, Axis, AxisEntry, Checked, Located, Seg, Space, Target,
};

/// Most values one axis may expand to.
pub const MAX_AXIS_VALUES: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Option<String>,
    description: Option<String>,
    base: Option<String>,
    scenario: Option<Value>,
    set: Option<Mapping>,
    axes: Option<Vec<AxisRaw>>,
    combine: Option<Combine>,
    seeds: Option<u64>,
    first_seed: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Combine {
    Grid,
    Zip,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AxisRaw {
    name: Option<String>,
    path: Option<String>,
    values: Option<Value>,
    zip: Option<Mapping>,
    variants: Option<Mapping>,
    /// A condition to compare settings under, not a setting to choose.
    condition: Option<bool>,
}

/// A loaded sweep.
#[derive(Debug)]
pub struct SweepFile {
    pub plan: Plan,
    pub description: String,
    /// What checking every point found (the largest cluster, for how many
    /// runs fit in memory at once).
    pub checked: Checked,
}

/// Load a sweep file; a relative `base:` is found next to it.
pub fn load(path: &Path, limits: &Limits) -> Result<SweepFile, ScenarioError> {
    let label = path.display().to_string();
    let text = scenario::read_limited(path, &label, limits)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    parse(&text, &label, &stem, &dir, limits)
}

/// Parse sweep text. `stem` is the default name; `dir` resolves a relative base.
pub fn parse(
    text: &str,
    label: &str,
    stem: &str,
    dir: &Path,
    limits: &Limits,
) -> Result<SweepFile, ScenarioError> {
    let cx = Located {
        text: text.to_string(),
        label: label.to_string(),
    };
    scenario::check_depth(text, label, limits)?;
    let raw: Raw =
        serde_yaml::from_str(text).map_err(|e| ScenarioError::from_yaml_in(label, text, &e))?;
    let name = raw.name.clone().unwrap_or_else(|| stem.to_string());
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(cx.err(
            "name",
            "name",
            format!(
                "`{}`: use letters, digits, `.`, `_` and `-` (it names the output directory)",
                short(&name)
            ),
        ));
    }

    // --- The base scenario -------------------------------------------------
    let (base_text, base_label, inline) = match (&raw.base, &raw.scenario) {
        (Some(_), Some(_)) => {
            return Err(cx.err("scenario", "scenario", "give either `base:` (a file) or `scenario:` (inline), not both"))
        }
        (None, None) => {
            return Err(cx.err("", "base", "missing: name the base scenario (`base: ../incident.yaml`) or give it inline (`scenario:`)"))
        }
        (Some(b), None) => {
            let p: PathBuf = dir.join(b);
            let l = p.display().to_string();
            let t = scenario::read_limited(&p, &l, limits).map_err(|e| {
                cx.err("base", "base", format!("`{}`: {}", short(b), e.message))
            })?;
            (t, l, false)
        }
        (None, Some(v)) => {
            let t = serde_yaml::to_string(v)
                .map_err(|e| cx.err("scenario", "scenario", e.to_string()))?;
            (t, label.to_string(), true)
        }
    };
    let base_tree: Value = if base_text.trim().is_empty() {
        Value::Mapping(Mapping::new())
    } else {
        serde_yaml::from_str(&base_text).map_err(|e| {
            let mut err = ScenarioError::from_yaml_in(&base_label, &base_text, &e);
            if inline {
                err = cx.err(
                    &format!("scenario.{}", err.field),
                    &format!("scenario.{}", err.field),
                    err.message,
                );
            }
            err
        })?
    };

    // --- Fixed edits and axes ----------------------------------------------
    let mut fixed = Vec::new();
    for (k, v) in raw.set.iter().flatten() {
        let path = key_text(&cx, k, "set")?;
        let at = format!("set.{path}");
        fixed.push(assign(&cx, &path, v.clone(), "set", &at)?);
    }
    let axes_raw = raw.axes.unwrap_or_default();
    if axes_raw.is_empty() {
        return Err(cx.err(
            "axes",
            "axes",
            "no axes: give at least one (`- {path: suspicion_mult, values: [3, 4, 5]}`)",
        ));
    }
    let mut axes = Vec::new();
    for (i, a) in axes_raw.iter().enumerate() {
        axes.push(axis(&cx, i, a)?);
    }
    for (i, a) in axes.iter().enumerate() {
        let at = format!("axes[{i}]");
        if ID_COLUMNS.contains(&a.name.as_str())
            || metric_index(&a.name).is_some()
            || a.name == "runs"
        {
            return Err(cx.err(
                &at,
                &format!("{at}.name"),
                format!(
                    "`{}` is also a result column; name the axis differently (`name: …`)",
                    short(&a.name)
                ),
            ));
        }
        if axes[..i].iter().any(|b| b.name == a.name) {
            return Err(cx.err(
                &at,
                &format!("{at}.name"),
                format!(
                    "two axes are named `{}`; give one a `name:`",
                    short(&a.name)
                ),
            ));
        }
    }

    // --- Points ------------------------------------------------------------
    let combine = raw.combine.unwrap_or(Combine::Grid);
    let points = match combine {
        Combine::Zip => {
            let n = axes[0].entries.len();
            if let Some((i, a)) = axes.iter().enumerate().find(|(_, a)| a.entries.len() != n) {
                return Err(cx.err(
                    "combine",
                    "combine",
                    format!(
                    "zip needs axes of equal length: `{}` has {n} values, axes[{i}] `{}` has {}",
                    short(&axes[0].name), short(&a.name), a.entries.len()
                ),
                ));
            }
            n
        }
        Combine::Grid => {
            let total = axes
                .iter()
                .try_fold(1usize, |acc, a| acc.checked_mul(a.entries.len()));
            match total {
                Some(t) if t <= MAX_RUNS => t,
                _ => {
                    return Err(cx.err(
                        "axes",
                        "axes",
                        format!("the grid has more than {MAX_RUNS} points"),
                    ))
                }
            }
        }
    };
    let seeds_n = raw.seeds.unwrap_or(1);
    if seeds_n == 0 || seeds_n > MAX_SEEDS {
        return Err(cx.err(
            "seeds",
            "seeds",
            format!("{seeds_n}: expected 1..={MAX_SEEDS} runs per point"),
        ));
    }
    if (points as u64).saturating_mul(seeds_n) > MAX_RUNS as u64 {
        return Err(cx.err(
            "seeds",
            "seeds",
            format!("{points} points x {seeds_n} seeds is over the limit of {MAX_RUNS} runs"),
        ));
    }
    let first_seed = raw
        .first_seed
        .or_else(|| base_tree.get("seed").and_then(Value::as_u64))
        .unwrap_or(1);
    let seeds: Vec<u64> = (0..seeds_n).map(|k| first_seed.wrapping_add(k)).collect();

    let base_input = PointInput {
        text: base_text.clone(),
        label: base_label.clone(),
        preset: None,
        sets: Vec::new(),
    };
    let all_assigns: Vec<&Assign> = fixed
        .iter()
        .chain(
            axes.iter()
                .flat_map(|a| a.entries.iter().flat_map(|e| &e.assigns)),
        )
        .collect();
    // The base on its own: an error in a field no axis touches is the base
    // file's, reported at its own line.
    if let Err(e) = resolve_point(&base_input, None, limits) {
        if !all_assigns.iter().any(|a| covers(a, &e)) {
            return Err(if inline {
                cx.err(
                    &format!("scenario.{}", e.field),
                    &format!("scenario.{}", e.field),
                    e.message,
                )
            } else {
                e
            });
        }
    }

    let conditions = axes_raw
        .iter()
        .zip(&axes)
        .filter(|(r, _)| r.condition == Some(true))
        .map(|(_, a)| a.name.clone())
        .collect();
    let space = Space {
        sweep: cx,
        base: base_tree,
        base_label,
        fixed,
        axes,
        zip: combine == Combine::Zip,
    };
    // Every point is built and resolved here: a value that makes any run
    // invalid stops the sweep before anything runs.
    let checked = space.check(&seeds, limits)?;
    Ok(SweepFile {
        plan: Plan {
            name,
            axes: space.axes.iter().map(|a| a.name.clone()).collect(),
            points: Points::Combined(Arc::new(space)),
            seeds,
            limits: limits.clone(),
            conditions,
        },
        description: raw.description.unwrap_or_default(),
        checked,
    })
}

fn key_text(cx: &Located, k: &Value, at: &str) -> Result<String, ScenarioError> {
    k.as_str()
        .map(str::to_string)
        .ok_or_else(|| cx.err(at, at, "keys must be field paths (text)"))
}

/// Parse one axis entry.
fn axis(cx: &Located, i: usize, a: &AxisRaw) -> Result<Axis, ScenarioError> {
    let at = format!("axes[{i}]");
    let forms = [
        a.values.is_some() || a.path.is_some(),
        a.zip.is_some(),
        a.variants.is_some(),
    ];
    if forms.iter().filter(|&&f| f).count() != 1 {
        return Err(cx.err(&at, &at, "an axis is one of: `path` + `values`, `zip: {path: values, …}`, or `variants: {label: {path: value, …}, …}`"));
    }
    if let Some(vals) = &a.values {
        let Some(path) = &a.path else {
            return Err(cx.err(
                &at,
                &format!("{at}.path"),
                "missing: which field do the values set?",
            ));
        };
        let loc = format!("{at}.values");
        let values = expand(cx, vals, &loc)?;
        let entries = values
            .into_iter()
            .enumerate()
            .map(|(k, v)| {
                let field = if is_range(vals) {
                    loc.clone()
                } else {
                    format!("{loc}[{k}]")
                };
                let asg = assign(cx, path, v.clone(), &loc, &field)?;
                Ok(AxisEntry {
                    value: axis_value(&v),
                    assigns: vec![asg],
                })
            })
            .collect::<Result<Vec<_>, ScenarioError>>()?;
        return Ok(Axis {
            name: a.name.clone().unwrap_or_else(|| path.clone()),
            entries,
        });
    }
    if a.path.is_some() {
        return Err(cx.err(
            &at,
            &format!("{at}.path"),
            "`path` goes with `values`; `zip` and `variants` name their paths inside",
        ));
    }
    if let Some(zip) = &a.zip {
        let loc = format!("{at}.zip");
        let mut columns: Vec<(String, Value, Vec<Value>)> = Vec::new();
        for (k, v) in zip {
            let path = key_text(cx, k, &loc)?;
            let field = format!("{loc}.{path}");
            columns.push((path, v.clone(), expand(cx, v, &field)?));
        }
        let Some(first) = columns.first() else {
            return Err(cx.err(&loc, &loc, "empty: list the paths that move together"));
        };
        let n = first.2.len();
        if let Some((p, _, v)) = columns.iter().find(|c| c.2.len() != n) {
            return Err(cx.err(
                &loc,
                &format!("{loc}.{p}"),
                format!(
                    "has {} values but `{}` has {n}: zipped paths need the same number of values",
                    v.len(),
                    short(&first.0)
                ),
            ));
        }
        let mut entries = Vec::new();
        for k in 0..n {
            let mut assigns = Vec::new();
            for (path, raw, vals) in &columns {
                let field = if is_range(raw) {
                    format!("{loc}.{path}")
                } else {
                    format!("{loc}.{path}[{k}]")
                };
                assigns.push(assign(cx, path, vals[k].clone(), &loc, &field)?);
            }
            entries.push(AxisEntry {
                value: axis_value(&first.2[k]),
                assigns,
            });
        }
        return Ok(Axis {
            name: a.name.clone().unwrap_or_else(|| first.0.clone()),
            entries,
        });
    }
    let variants = a.variants.as_ref().expect("one form is present");
    let loc = format!("{at}.variants");
    if variants.is_empty() {
        return Err(cx.err(&loc, &loc, "empty axis: give at least one variant"));
    }
    let mut entries = Vec::new();
    for (label, edits) in variants {
        let label =
            scalar_text(label).ok_or_else(|| cx.err(&loc, &loc, "variant names must be text"))?;
        let vloc = format!("{loc}.{label}");
        let Some(edits) = edits.as_mapping() else {
            return Err(cx.err(&vloc, &vloc, "expected a mapping of field paths to values, e.g. {suspicion_mult: 6, preset: memberlist}"));
        };
        let mut assigns = Vec::new();
        for (k, v) in edits {
            let path = key_text(cx, k, &vloc)?;
            assigns.push(assign(
                cx,
                &path,
                v.clone(),
                &vloc,
                &format!("{vloc}.{path}"),
            )?);
        }
        entries.push(AxisEntry {
            value: AxisValue::text(&label),
            assigns,
        });
    }
    Ok(Axis {
        name: a.name.clone().unwrap_or_else(|| "config".into()),
        entries,
    })
}

fn is_range(v: &Value) -> bool {
    v.as_mapping().is_some_and(|m| m.contains_key("from"))
}

/// An axis value: a list, or a range `{from, to, step}` of numbers or durations.
fn expand(cx: &Located, v: &Value, at: &str) -> Result<Vec<Value>, ScenarioError> {
    let out =
        match v {
            Value::Sequence(s) => s.clone(),
            Value::Mapping(m) if is_range(v) => {
                for k in m.keys() {
                    if !matches!(k.as_str(), Some("from" | "to" | "step")) {
                        return Err(cx.err(
                            at,
                            at,
                            format!(
                                "unknown range key {}; a range is {{from: A, to: B, step: S}}",
                                short(&label_of(k))
                            ),
                        ));
                    }
                }
                let get = |k: &str| {
                    m.get(k).ok_or_else(|| {
                        cx.err(
                            at,
                            at,
                            format!("range without `{k}`: a range is {{from: A, to: B, step: S}}"),
                        )
                    })
                };
                range(get("from")?, get("to")?, get("step")?).map_err(|msg| cx.err(at, at, msg))?
            }
            _ => return Err(cx.err(
                at,
                at,
                "expected a list of values (`[3, 4, 5]`) or a range (`{from: 2, to: 8, step: 1}`)",
            )),
        };
    if out.is_empty() {
        return Err(cx.err(at, at, "empty axis: give at least one value"));
    }
    // Before the pairwise comparison below, whose cost grows with the square
    // of the count: a list of 100,000 values took 9 s to be refused.
    if out.len() > MAX_AXIS_VALUES {
        return Err(cx.err(
            at,
            at,
            format!(
                "{} values, over the limit of {MAX_AXIS_VALUES} per axis",
                out.len()
            ),
        ));
    }
    // A repeated value runs every one of its points twice and lists them as
    // two configurations (both on the front, if one is).
    for (i, v) in out.iter().enumerate() {
        if let Some(first) = out[..i].iter().position(|w| w == v) {
            let here = format!("{at}[{i}]");
            return Err(cx.err(
                &here,
                &here,
                format!(
                    "{} is given twice (also value {first}): each value is one configuration",
                    short(&label_of(v))
                ),
            ));
        }
    }
    Ok(out)
}

enum Num {
    Int(i64),
    Float(f64),
    Dur(u64),
}

fn num(v: &Value, what: &str) -> Result<Num, String> {
    if let Some(i) = v.as_i64() {
        return Ok(Num::Int(i));
    }
    if let Some(f) = v.as_f64() {
        return Ok(Num::Float(f));
    }
    if let Some(s) = v.as_str() {
        return parse_duration(s)
            .map(Num::Dur)
            .map_err(|m| format!("range `{what}`: {m}"));
    }
    Err(format!(
        "range `{what}` is {}: expected a number or a duration",
        short(&label_of(v))
    ))
}

fn range(from: &Value, to: &Value, step: &Value) -> Result<Vec<Value>, String> {
    let too_many = || format!("the range has more than {MAX_AXIS_VALUES} values");
    match (num(from, "from")?, num(to, "to")?, num(step, "step")?) {
        (Num::Int(a), Num::Int(b), Num::Int(s)) => {
            if s <= 0 || b < a {
                return Err(format!(
                    "needs step > 0 and to >= from (got from {a}, to {b}, step {s})"
                ));
            }
            if (b - a) / s >= MAX_AXIS_VALUES as i64 {
                return Err(too_many());
            }
            Ok((0..=(b - a) / s).map(|k| Value::from(a + k * s)).collect())
        }
        (Num::Dur(a), Num::Dur(b), Num::Dur(s)) => {
            if s == 0 || b < a {
                return Err(format!(
                    "needs step > 0 and to >= from (got from {}, to {}, step {})",
                    format_duration_exact(a),
                    format_duration_exact(b),
                    format_duration_exact(s)
                ));
            }
            if (b - a) / s >= MAX_AXIS_VALUES as u64 {
                return Err(too_many());
            }
            Ok((0..=(b - a) / s)
                .map(|k| Value::from(format_duration_exact(a + k * s)))
                .collect())
        }
        (Num::Dur(_), _, _) | (_, Num::Dur(_), _) | (_, _, Num::Dur(_)) => Err(
            "type mismatch: `from`, `to` and `step` must all be durations (100ms) or all numbers"
                .into(),
        ),
        (a, b, s) => {
            let f = |n: Num| match n {
                Num::Int(i) => i as f64,
                Num::Float(x) => x,
                Num::Dur(_) => unreachable!("durations handled above"),
            };
            let (a, b, s) = (f(a), f(b), f(s));
            if !(s > 0.0 && b >= a && a.is_finite() && b.is_finite()) {
                return Err(format!(
                    "needs step > 0 and to >= from (got from {a}, to {b}, step {s})"
                ));
            }
            let n = ((b - a) / s + 1e-9).floor();
            if n >= MAX_AXIS_VALUES as f64 {
                return Err(too_many());
            }
            // Rounded so 0.1 steps give 0.3, not 0.30000000000000004.
            Ok((0..=n as u64)
                .map(|k| Value::from(((a + k as f64 * s) * 1e9).round() / 1e9))
                .collect())
        }
    }
}

/// Build one edit; checks the path's shape and, for protocol fields and the
/// preset, that the value is a single value.
fn assign(
    cx: &Located,
    path: &str,
    value: Value,
    locate: &str,
    field: &str,
) -> Result<Assign, ScenarioError> {
    let target = target(path).map_err(|m| cx.err(locate, field, m))?;
    if matches!(target, Target::Preset | Target::Protocol(_)) && scalar_text(&value).is_none() {
        return Err(cx.err(
            locate,
            field,
            format!(
                "`{}` takes a single value (number, duration, true/false, name), not {}",
                short(path),
                short(&label_of(&value))
            ),
        ));
    }
    Ok(Assign {
        path: path.to_string(),
        target,
        value,
        locate: locate.to_string(),
        field: field.to_string(),
    })
}

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "warmup",
    "start",
    "protocol",
    "cluster",
    "network",
    "host",
    "faults",
    "timeline",
    "log_observers",
    "timeseries_bin",
];

fn target(path: &str) -> Result<Target, String> {
    let p = path.trim();
    if p == "preset" || p == "protocol.preset" {
        return Ok(Target::Preset);
    }
    if p == "seed" {
        return Err("the seed is not an axis: every point runs under the seeds given by `seeds:` and `first_seed:`".into());
    }
    let proto = p
        .strip_prefix("protocol.overrides.")
        .or_else(|| p.strip_prefix("protocol."))
        .unwrap_or(p);
    if !SCENARIO_KEYS.contains(&proto) && !proto.contains(['.', '[']) {
        if let Some(f) = canonical(proto) {
            return Ok(Target::Protocol(f));
        }
        if proto != p {
            return Err(format!(
                "`{}` is not a protocol field (see `flapsim presets` and the README's protocol names)",
                short(proto)
            ));
        }
    }
    let segs = parse_segments(p)?;
    match segs.first() {
        Some(Seg::Key(k)) if SCENARIO_KEYS.contains(&k.as_str()) => Ok(Target::Tree(segs)),
        _ => Err(format!(
            "unknown path: not a protocol field, `preset`, or a scenario field (top-level keys: {})",
            SCENARIO_KEYS.join(", ")
        )),
    }
}

fn parse_segments(p: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    for part in p.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (segs.is_empty() || rest.is_empty()) {
            return Err("empty segment in path (write e.g. faults[0].throttle.run)".into());
        }
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest.find(']').ok_or("unclosed `[` in path")?;
            let inner = &rest[1..close];
            segs.push(match inner {
                "+" => Seg::Append,
                n => Seg::Index(n.parse().map_err(|_| {
                    format!(
                        "`[{}]`: expected a list index like [0], or [+] to append",
                        short(n)
                    )
                })?),
            });
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{}` after `]`", short(rest)));
            }
        }
    }
    if segs[..segs.len() - 1].contains(&Seg::Append) {
        return Err("`[+]` (append) can only end a path".into());
    }
    Ok(segs)
}

fn axis_value(v: &Value) -> AxisValue {
    let json = match v {
        Value::Number(_) | Value::Bool(_) | Value::String(_) => {
            serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
        }
        _ => serde_json::Value::String(label_of(v)),
    };
    AxisValue {
        label: label_of(v),
        json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "\
name: tiny
seed: 7
duration: 2m
warmup: 10s
protocol: {preset: memberlist}
cluster:
  groups:
    nodes: {count: 4, name: \"n-{}\"}
faults:
  - nodes: n-1
    starve: {delay: 20ms}
timeline:
  - {at: 1m, crash: n-3}
";

    fn sweep(body: &str) -> Result<SweepFile, ScenarioError> {
        let text = format!(
            "scenario:\n{}\n{body}",
            BASE.lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        parse(&text, "s.yaml", "s", Path::new("."), &Limits::default())
    }

    #[test]
    fn a_grid_expands_ranges_lists_and_variants_in_order() {
        let s = sweep(
            "axes:
  - path: suspicion_mult
    values: {from: 2, to: 4, step: 1}
  - path: faults[0].starve.delay
    name: starve
    values: {from: 10ms, to: 30ms, step: 10ms}
  - name: lg
    variants:
      off: {local_health: false}
      on: {local_health: true, preset: memberlist-2016}
seeds: 2
",
        )
        .unwrap();
        let p = &s.plan;
        assert_eq!(p.axes, ["suspicion_mult", "starve", "lg"]);
        assert_eq!(p.point_count(), 3 * 3 * 2);
        assert_eq!(p.seeds, vec![7, 8]);
        let labels: Vec<String> = p.values(5).iter().map(|v| v.label.clone()).collect();
        assert_eq!(labels, ["2", "30ms", "on"]);
        let input = p.input(5).unwrap();
        assert_eq!(input.preset.as_deref(), Some("memberlist-2016"));
        assert_eq!(
            input.sets,
            vec![
                ("suspicion_mult".to_string(), "2".to_string()),
                ("local_health".to_string(), "true".to_string())
            ]
        );
        let sc = p.scenario(11).unwrap();
        assert_eq!(sc.seed, 8);
        assert_eq!(sc.protocol.suspicion_mult, 2);
    }

    #[test]
    fn zip_and_set_with_append() {
        let s = sweep(
            "set:
  timeline[+]: {at: 90s, crash: n-4}
axes:
  - path: probe_interval
    values: [1s, 2s]
  - path: probe_timeout
    values: [200ms, 400ms]
combine: zip
",
        )
        .unwrap();
        assert_eq!(s.plan.point_count(), 2);
        let sc = s.plan.scenario(1).unwrap();
        assert_eq!(sc.timeline.len(), 2);
        assert_eq!(sc.protocol.probe_timeout, 400_000_000);
    }

    fn err(body: &str) -> String {
        sweep(body).unwrap_err().to_string()
    }

    /// Rule: an axis value given twice is refused at its line: it ran every
    /// point twice and listed two identical configurations.
    #[test]
    fn an_axis_value_given_twice_is_refused() {
        let e =
            err("axes:\n  - path: suspicion_mult\n    values:\n      - 2\n      - 4\n      - 2\n");
        // The third list item's own line: the body's 6th, after the base.
        let line = BASE.lines().count() + 1 + 6;
        assert!(e.starts_with(&format!("s.yaml:{line}:")), "{e}");
        assert!(
            e.contains("axes[0].values[2]") && e.contains("given twice"),
            "{e}"
        );
    }

    #[test]
    fn bad_sweeps_name_file_line_and_field() {
        let e = err("axes:\n  - path: cluster.groupz.nodes.count\n    values: [3]\n");
        assert!(e.starts_with("s.yaml:"), "{e}");
        assert!(
            e.contains("axes[0].values[0]") && e.contains("groupz"),
            "{e}"
        );
        let e = err("axes:\n  - path: suspicion_mult\n    values: []\n");
        assert!(
            e.contains("axes[0].values") && e.contains("empty axis"),
            "{e}"
        );
        let e = err("axes:\n  - path: suspicion_mult\n    values: {from: 1s, to: 5, step: 1}\n");
        assert!(e.contains("type mismatch"), "{e}");
        let e = err("axes:\n  - path: warmup\n    values: [30s, 5m]\n");
        assert!(
            e.contains(":")
                && e.contains("axes[0].values[1]")
                && e.contains("point 1")
                && e.contains("shorter than duration"),
            "{e}"
        );
        let e = err("axes:\n  - path: suspicion_mult\n    values: [4, fast]\n");
        assert!(e.contains("axes[0].values[1]") && e.contains("fast"), "{e}");
        let e = err("axes:\n  - path: seed\n    values: [1]\n");
        assert!(e.contains("not an axis"), "{e}");
        let e = err("axes:\n  - path: suspicion_mult\n    valuez: [1]\n");
        assert!(e.contains("unknown field"), "{e}");
    }

    /// Rule: checking a sweep costs one resolution per scenario tree, not per
    /// point and seed: a 1000 x 1000 grid over two protocol fields resolved
    /// 10^6 scenarios (and kept 10^6 scenario texts) before its dry run
    /// answered, 57 s and 1.2 GB.
    #[test]
    fn a_grid_over_protocol_fields_resolves_its_scenario_once() {
        let s = sweep(
            "axes:
  - path: probe_timeout
    values: {from: 1ms, to: 100ms, step: 1ms}
  - path: probe_interval
    values: {from: 1001ms, to: 1100ms, step: 1ms}
seeds: 3
",
        )
        .unwrap();
        assert_eq!(s.plan.point_count(), 10_000);
        assert_eq!(s.checked.resolutions, 1);
        assert_eq!(s.checked.largest_cluster, 4);
        // Points are built when asked for, from their index.
        let sc = s.plan.scenario(3 * 10_000 - 1).unwrap();
        assert_eq!(sc.protocol.probe_timeout, 100_000_000);
        assert_eq!(sc.protocol.probe_interval, 1_100_000_000);
        assert_eq!(sc.seed, 9);
        // A tree edit on the fastest axis gives every point its own tree.
        let s = sweep(
            "axes:
  - path: probe_timeout
    values: [100ms, 200ms]
  - path: faults[0].starve.delay
    values: [10ms, 20ms, 30ms]
seeds: 3
",
        )
        .unwrap();
        assert_eq!(s.checked.resolutions, 6);
    }

    /// Rule: a protocol value that is invalid only together with another
    /// axis's value is still refused before anything runs, at its line, though
    /// its point shares its scenario with the valid point before it.
    #[test]
    fn a_protocol_value_invalid_with_another_axis_is_refused_at_its_line() {
        let e = err("axes:
  - path: probe_interval
    values: [1s, 200ms]
  - path: probe_timeout
    values: [100ms, 500ms]
");
        let line = BASE.lines().count() + 1 + 5;
        assert!(e.starts_with(&format!("s.yaml:{line}:")), "{e}");
        assert!(
            e.contains("point 3 (probe_interval=200ms, probe_timeout=500ms), seed 7"),
            "{e}"
        );
    }

    /// Rule: only a `fraction:` target draws from the seed while a scenario
    /// is resolved; a sweep with one is checked under every seed, one without
    /// under its first only.
    #[test]
    fn only_a_fraction_target_makes_a_sweep_check_every_seed() {
        let with = |nodes: &str| {
            sweep(&format!(
                "axes:\n  - path: faults[0].nodes\n    values: [n-1, {nodes}]\nseeds: 3\n"
            ))
            .unwrap()
            .checked
            .resolutions
        };
        assert_eq!(with("n-2"), 2);
        assert_eq!(with("{of: all, fraction: 0.5}"), 2 * 3);
    }

    /// Rule: a sweep's fingerprint is what it was when every point kept its
    /// scenario text, so sweep directories written before still resume and
    /// merge.
    #[test]
    fn a_sweeps_fingerprint_is_the_same_as_with_every_points_text_kept() {
        let s = sweep(
            "set:
  timeline[+]: {at: 90s, crash: n-4}
axes:
  - path: faults[0].starve.delay
    values: [10ms, 20ms]
  - path: suspicion_mult
    values: [3, 5]
  - name: lg
    variants:
      off: {local_health: false}
      old: {preset: memberlist-2016, warmup: 20s}
seeds: 2
",
        )
        .unwrap();
        let p = &s.plan;
        let listed = Plan {
            points: Points::Listed(
                (0..p.point_count())
                    .map(|i| crate::batch::Point {
                        values: p.values(i),
                        input: p.input(i).unwrap(),
                    })
                    .collect(),
            ),
            ..p.clone()
        };
        assert_eq!(listed.fingerprint(), p.fingerprint());
        assert_eq!(
            format!("{:?}", listed.scenario(13).unwrap()),
            format!("{:?}", p.scenario(13).unwrap())
        );
    }

    /// Rule: an axis over the value limit is refused before its values are
    /// compared pairwise for repeats (a cost quadratic in the count: a list
    /// of 100,000 values took 9 s to be refused).
    #[test]
    fn an_over_long_axis_is_refused_before_its_values_are_compared() {
        let values: Vec<String> = (0..=MAX_AXIS_VALUES).map(|v| v.to_string()).collect();
        // The last value repeats the first: the old order reported the repeat.
        let e = err(&format!(
            "axes:\n  - path: suspicion_mult\n    values: [{}, 0]\n",
            values.join(", ")
        ));
        assert!(e.contains("over the limit of 10000 per axis"), "{e}");
    }
}
