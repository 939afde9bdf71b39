//! A sweep's points kept as the axes they combine, not as one scenario each.
//!
//! Why: a grid of 1000 × 1000 values is 10⁶ points, and keeping every point's
//! scenario text (the base serialized with its edits) took 1.2 GB and most of a
//! minute before anything ran. Here a point is its index: its combination (one
//! value index per axis) is computed from the index, and its scenario text is
//! built from the base tree only when a run, the fingerprint or an error needs
//! it. Memory is the axes' values, whatever the number of points.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::quote::short;
use crate::scenario::origins;
use crate::scenario::raw::FileRaw;
use crate::scenario::resolve::{some_names, Ctx, ProtocolFlags};
use crate::scenario::{locate, Limits, ScenarioError};

use super::plan::{resolve_point, PointInput};
use super::row::AxisValue;

/// Every point of a sweep: the base scenario, the edits every point makes,
/// and the axes whose values are combined (a grid, or pointwise with `zip`).
#[derive(Debug)]
pub struct Space {
    /// The sweep file, to place errors at the line of the edit that caused them.
    pub(super) sweep: Located,
    pub(super) base: Value,
    /// The base scenario's file label (errors, default scenario name).
    pub(super) base_label: String,
    /// `set:` edits, applied to every point before the axes' own.
    pub(super) fixed: Vec<Assign>,
    pub(super) axes: Vec<Axis>,
    pub(super) zip: bool,
}

impl Space {
    /// How many points; the grid's size was checked against the run limit
    /// when the file was read.
    pub fn len(&self) -> usize {
        if self.zip {
            self.axes.first().map_or(0, |a| a.entries.len())
        } else {
            self.axes.iter().map(|a| a.entries.len()).product()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value index of `point` on `axis`: a grid's last axis moves fastest.
    pub fn index(&self, point: usize, axis: usize) -> usize {
        if self.zip {
            return point;
        }
        let stride: usize = self.axes[axis + 1..]
            .iter()
            .map(|a| a.entries.len())
            .product();
        (point / stride) % self.axes[axis].entries.len()
    }

    /// One value index per axis.
    pub fn combo(&self, point: usize) -> Vec<usize> {
        (0..self.axes.len()).map(|a| self.index(point, a)).collect()
    }

    pub fn value(&self, point: usize, axis: usize) -> &AxisValue {
        &self.axes[axis].entries[self.index(point, axis)].value
    }

    /// The edits of a combination, in the order they apply: `set:`, then
    /// each axis's.
    fn edits(&self, combo: &[usize]) -> Vec<&Assign> {
        let mut used: Vec<&Assign> = self.fixed.iter().collect();
        for (a, &k) in self.axes.iter().zip(combo) {
            used.extend(&a.entries[k].assigns);
        }
        used
    }

    /// Does any run's validity depend on its seed? Only a target with
    /// `fraction:` draws from the seed while a scenario is resolved (which
    /// nodes it picks), so without one every seed of a point resolves alike
    /// and checking one seed checks them all.
    pub fn seed_matters(&self) -> bool {
        let edits = self.fixed.iter().chain(
            self.axes
                .iter()
                .flat_map(|a| a.entries.iter().flat_map(|e| &e.assigns)),
        );
        mentions_fraction(&self.base) || edits.into_iter().any(|a| {
            mentions_fraction(&a.value)
                || matches!(&a.target, Target::Tree(s) if s.contains(&Seg::Key("fraction".into())))
        })
    }

    /// Point `point`'s input (its scenario text built now).
    pub fn input(&self, point: usize) -> Result<PointInput, ScenarioError> {
        Inputs::new(self).input(point)
    }

    /// Resolve every point before anything runs, so a value that makes any run
    /// invalid stops the sweep at the sweep file's line for it.
    ///
    /// What it costs: a point is resolved in full under the first seed, and
    /// under every seed only when the seed can change the outcome
    /// ([`Space::seed_matters`]). Points that share their scenario tree with
    /// the point before (they differ only in protocol fields and preset: a
    /// grid's later axes when they set protocol fields) have only their
    /// protocol checked, the one part of a scenario those flags change; a
    /// 1000 × 1000 grid over two protocol fields is then one resolution and a
    /// million protocol checks, not a million resolutions.
    pub fn check(&self, seeds: &[u64], limits: &Limits) -> Result<Checked, ScenarioError> {
        let seeds = if self.seed_matters() {
            seeds
        } else {
            &seeds[..seeds.len().min(1)]
        };
        let mut inputs = Inputs::new(self);
        let mut checked = Checked::default();
        // The tree of the last point resolved in full, parsed once, while
        // points keep sharing it.
        let mut tree: Option<FileRaw> = None;
        for point in 0..self.len() {
            let (input, fresh) = inputs.build(point)?;
            if fresh {
                tree = None;
            } else if tree.is_none() {
                // Parsed only once a second point shares the tree: a grid
                // whose last axis edits the tree has none that do.
                tree = serde_yaml::from_str(&input.text).ok();
            }
            if let Some(raw) = &tree {
                if protocol_resolves(raw, &input) {
                    continue;
                }
            }
            for &seed in seeds {
                match resolve_point(&input, Some(seed), limits) {
                    Ok(s) => {
                        checked.resolutions += 1;
                        checked.largest_cluster = checked.largest_cluster.max(s.nodes.len() as u64);
                    }
                    Err(e) => return Err(self.invalid(point, seed, &e)),
                }
            }
        }
        Ok(checked)
    }

    /// Point `point` under `seed` does not resolve (`e`): the error, at the
    /// line of the edit that set the failing field (else the point's first
    /// axis value), naming the point and the seed.
    fn invalid(&self, point: usize, seed: u64, e: &ScenarioError) -> ScenarioError {
        let combo = self.combo(point);
        let used = self.edits(&combo);
        let culprit = used
            .iter()
            .rev()
            .find(|a| covers(a, e))
            .copied()
            .or_else(|| {
                self.axes
                    .iter()
                    .zip(&combo)
                    .find_map(|(a, &k)| a.entries[k].assigns.first())
            });
        let desc: Vec<String> = self
            .axes
            .iter()
            .zip(&combo)
            .map(|(a, &k)| format!("{}={}", short(&a.name), short(&a.entries[k].value.label)))
            .collect();
        let inner = if e.field.is_empty() {
            e.message.clone()
        } else {
            format!("{}: {}", short(&e.field), e.message)
        };
        let msg = format!("point {point} ({}), seed {seed}: {inner}", desc.join(", "));
        match culprit {
            Some(a) => self.sweep.err(&a.locate, &a.field, msg),
            None => self.sweep.err("axes", "axes", msg),
        }
    }
}

/// What [`Space::check`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Checked {
    /// Nodes of the largest scenario, which bounds how many runs fit in
    /// memory at once.
    pub largest_cluster: u64,
    /// Scenarios resolved in full (the rest of the points had only their
    /// protocol checked).
    pub resolutions: usize,
}

/// Builds points' inputs one after another, serializing the scenario tree
/// again only when an axis that edits it moved: a grid over protocol fields
/// has a single tree, and consecutive points of a grid share their tree for
/// as long as only later, protocol axes change.
pub struct Inputs<'a> {
    space: &'a Space,
    /// Per axis: does any of its values edit the scenario tree?
    edits_tree: Vec<bool>,
    /// The tree axes' value indices of the last text built, and the text.
    last: Option<(Vec<usize>, String)>,
}

impl<'a> Inputs<'a> {
    pub fn new(space: &'a Space) -> Inputs<'a> {
        let edits_tree = (space.axes.iter())
            .map(|a| {
                a.entries
                    .iter()
                    .flat_map(|e| &e.assigns)
                    .any(|x| matches!(x.target, Target::Tree(_)))
            })
            .collect();
        Inputs {
            space,
            edits_tree,
            last: None,
        }
    }

    pub fn input(&mut self, point: usize) -> Result<PointInput, ScenarioError> {
        self.build(point).map(|(input, _)| input)
    }

    /// The input, and whether its scenario text is new (differs from the
    /// last point built: an axis that edits the tree moved).
    fn build(&mut self, point: usize) -> Result<(PointInput, bool), ScenarioError> {
        let space = self.space;
        let combo = space.combo(point);
        let used = space.edits(&combo);
        let mut preset = None;
        let mut sets = Vec::new();
        for a in &used {
            match &a.target {
                Target::Preset => preset = Some(scalar_text(&a.value).unwrap_or_default()),
                Target::Protocol(f) => {
                    sets.push((f.to_string(), scalar_text(&a.value).unwrap_or_default()))
                }
                Target::Tree(_) => {}
            }
        }
        let key: Vec<usize> = (combo.iter().zip(&self.edits_tree))
            .map(|(&k, &tree)| if tree { k } else { 0 })
            .collect();
        let (text, fresh) = match &self.last {
            Some((k, text)) if *k == key => (text.clone(), false),
            _ => {
                let text = self.tree_text(point, &used)?;
                self.last = Some((key, text.clone()));
                (text, true)
            }
        };
        let input = PointInput {
            text,
            label: space.base_label.clone(),
            preset,
            sets,
        };
        Ok((input, fresh))
    }

    /// The base tree with the point's tree edits applied, as YAML.
    fn tree_text(&self, point: usize, used: &[&Assign]) -> Result<String, ScenarioError> {
        let sweep = &self.space.sweep;
        let mut tree = self.space.base.clone();
        for a in used {
            if let Target::Tree(segs) = &a.target {
                apply(&mut tree, segs, a.value.clone()).map_err(|m| {
                    sweep.err(&a.locate, &a.field, format!("`{}`: {m}", short(&a.path)))
                })?;
            }
        }
        serde_yaml::to_string(&tree)
            .map_err(|e| sweep.err("axes", "axes", format!("point {point}: {e}")))
    }
}

/// Does `input`'s protocol (preset, the file's `protocol:`, its `--set`
/// fields) resolve, given `raw`, its scenario file already parsed? The rest of
/// a scenario does not depend on those flags (`scenario::resolve` hands them
/// to `origins::protocol` alone), so for a point whose tree resolved in full
/// with other flags, this is whether it resolves. A sweep's sets are protocol
/// fields only: an edit of a scenario key (`duration`, …) is a tree edit
/// ([`Target::Tree`]), which makes the point's tree fresh and resolved in full.
fn protocol_resolves(raw: &FileRaw, input: &PointInput) -> bool {
    debug_assert!(
        (input.sets.iter()).all(|(k, _)| crate::protocol::config::canonical(k) == Some(k.as_str())),
        "a sweep point's sets are canonical protocol fields"
    );
    let ctx = Ctx {
        text: &input.text,
        file: &input.label,
        cli_fields: BTreeMap::new(),
    };
    let flags = ProtocolFlags {
        preset: input.preset.as_deref(),
        sets: &input.sets,
    };
    origins::protocol(raw.protocol.clone(), &ctx, &flags).is_ok()
}

/// Is there a `fraction:` key anywhere in `v`?
fn mentions_fraction(v: &Value) -> bool {
    match v {
        Value::Mapping(m) => m
            .iter()
            .any(|(k, v)| k.as_str() == Some("fraction") || mentions_fraction(v)),
        Value::Sequence(s) => s.iter().any(mentions_fraction),
        Value::Tagged(t) => mentions_fraction(&t.value),
        _ => false,
    }
}

/// Where a path points.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Target {
    Preset,
    /// Canonical protocol field name.
    Protocol(&'static str),
    Tree(Vec<Seg>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
    Append,
}

/// One edit of a point, and where in the sweep file it was written.
#[derive(Clone, Debug)]
pub(super) struct Assign {
    pub(super) path: String,
    pub(super) target: Target,
    pub(super) value: Value,
    /// Path to locate in the sweep file, and the field to name in errors.
    pub(super) locate: String,
    pub(super) field: String,
}

#[derive(Debug)]
pub(super) struct AxisEntry {
    pub(super) value: AxisValue,
    pub(super) assigns: Vec<Assign>,
}

#[derive(Debug)]
pub(super) struct Axis {
    pub(super) name: String,
    pub(super) entries: Vec<AxisEntry>,
}

/// The sweep file's text and label, kept to place errors at their line: a
/// point's edits are applied and checked long after parsing (when it runs),
/// and their errors still name the sweep file's line.
#[derive(Debug)]
pub(super) struct Located {
    pub(super) text: String,
    pub(super) label: String,
}

impl Located {
    pub(super) fn err(
        &self,
        locate_path: &str,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, column) = match locate::locate(&self.text, locate_path) {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        ScenarioError {
            file: self.label.clone(),
            line,
            column,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Does the scenario error `e` come from the field this edit sets?
pub(super) fn covers(a: &Assign, e: &ScenarioError) -> bool {
    match &a.target {
        Target::Preset => e.field.starts_with("--preset") || e.field == "protocol.preset",
        Target::Protocol(f) => {
            e.field.starts_with(&format!("--set {f}="))
                || e.field.starts_with(&format!("--set {}=", a.path))
        }
        Target::Tree(segs) => {
            let p = tree_path_text(segs);
            e.field == p
                || e.field.starts_with(&format!("{p}."))
                || e.field.starts_with(&format!("{p}["))
                || (p.starts_with(&format!("{}.", e.field)) && !e.field.is_empty())
        }
    }
}

fn tree_path_text(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            Seg::Append => {}
        }
    }
    s
}

/// Set `value` at `segs` in `tree`; the parent must exist.
pub(super) fn apply(tree: &mut Value, segs: &[Seg], value: Value) -> Result<(), String> {
    let (last, parents) = segs.split_last().expect("paths are non-empty");
    let mut cur = tree;
    let mut walked = String::new();
    for seg in parents {
        cur = match seg {
            Seg::Key(k) => {
                let here = if walked.is_empty() {
                    "the scenario".to_string()
                } else {
                    format!("`{}`", short(&walked))
                };
                let m = cur
                    .as_mapping_mut()
                    .ok_or_else(|| format!("{here} is not a mapping"))?;
                // The keys are listed only for the error (every point of a
                // sweep goes through here).
                if !m.contains_key(k.as_str()) {
                    let keys: Vec<&str> = m.keys().filter_map(|k| k.as_str()).collect();
                    return Err(format!(
                        "`{}` is not in {here} of the base scenario (it has: {})",
                        short(k),
                        some_names(keys.iter(), keys.len())
                    ));
                }
                let next = m.get_mut(k.as_str()).expect("checked just above");
                walked = if walked.is_empty() {
                    k.clone()
                } else {
                    format!("{walked}.{k}")
                };
                next
            }
            Seg::Index(i) => {
                let s = cur
                    .as_sequence_mut()
                    .ok_or_else(|| format!("`{}` is not a list", short(&walked)))?;
                let n = s.len();
                let next = s.get_mut(*i).ok_or_else(|| {
                    format!("`{}` has {n} items; [{i}] is out of range", short(&walked))
                })?;
                walked = format!("{walked}[{i}]");
                next
            }
            Seg::Append => unreachable!("checked in parse_segments"),
        };
    }
    match last {
        Seg::Key(k) => {
            let Some(m) = cur.as_mapping_mut() else {
                let shown = label_of(cur);
                return Err(format!(
                    "`{}` is `{}`, not a mapping with a `{}` field",
                    short(&walked),
                    short(&shown),
                    short(k)
                ));
            };
            m.insert(Value::from(k.as_str()), value);
        }
        Seg::Index(i) => {
            let s = cur
                .as_sequence_mut()
                .ok_or_else(|| format!("`{}` is not a list", short(&walked)))?;
            let n = s.len();
            *s.get_mut(*i).ok_or_else(|| {
                format!("`{}` has {n} items; [{i}] is out of range", short(&walked))
            })? = value;
        }
        Seg::Append => {
            if cur.is_null() {
                *cur = Value::Sequence(Vec::new());
            }
            let s = cur
                .as_sequence_mut()
                .ok_or_else(|| format!("`{}` is not a list", short(&walked)))?;
            match value {
                Value::Sequence(items) => s.extend(items),
                v => s.push(v),
            }
        }
    }
    Ok(())
}

/// A single value as text (numbers, booleans, strings); None for lists and mappings.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Compact flow text of any value (`{lognormal: {median: 80ms, p95: 450ms}}`).
pub(super) fn label_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Sequence(s) => format!(
            "[{}]",
            s.iter().map(label_of).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", label_of(k), label_of(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(t) => label_of(&t.value),
        v => scalar_text(v).unwrap_or_default(),
    }
}
