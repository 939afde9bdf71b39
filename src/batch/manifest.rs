//! `manifest.json`: a sweep's identity (fingerprint, axes, seeds, shard) and
//! its points.
//!
//! Points are recorded the way the plan keeps them ([`super::space`]): each
//! axis's values once, and how they combine (`grid`: every combination, the
//! last axis fastest; `zip`: point `p` takes value `p` of every axis). Why: a
//! manifest that listed every point of a 10⁶-point sweep was 130 MB, and
//! reading it back for the finishing step or a merge held every label twice
//! (the list, then a copy of it). A manifest written before lists its points
//! (`points`); it is still read, into a table of each axis's distinct values
//! and one small index per point and axis, and written back as it was read,
//! so an old sweep directory resumes and its shards merge to the same bytes.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

use super::plan::{Plan, Points, MAX_RUNS};
use super::point_windows::{self, PointWindows};
use super::row::{Row, METRICS};
use super::store::{Shard, MANIFEST};

/// One point as manifests written before listed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointMeta {
    pub labels: Vec<String>,
    pub values: Vec<Json>,
}

/// One value of an axis: its label (tables, CSV cells) and its JSON (result rows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueMeta {
    pub label: String,
    pub value: Json,
}

/// How a manifest's axis values make its points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Every combination, the last axis moving fastest.
    Grid,
    /// Point `p` takes value `p` of every axis.
    Zip,
}

/// A sweep's points, as each axis's values and a rule that combines them.
#[derive(Clone, Debug, PartialEq)]
pub struct PointTable {
    /// Per axis, its values (for a listed table: its distinct values).
    values: Vec<Vec<ValueMeta>>,
    layout: Layout,
}

#[derive(Clone, Debug, PartialEq)]
enum Layout {
    /// `strides[a]`: points between two values of axis `a`; `len` is `None`
    /// when the product of the axes' lengths overflows (refused by the check).
    Grid {
        strides: Vec<usize>,
        len: Option<usize>,
    },
    Zip,
    /// As an older manifest listed them: `arity` value indices per point.
    Listed {
        count: usize,
        arity: usize,
        index: Vec<u32>,
        /// The first point whose labels or values were not `arity` long.
        ragged: Option<usize>,
    },
}

impl PointTable {
    /// The points of `values` combined by `combine`.
    pub fn combined(values: Vec<Vec<ValueMeta>>, combine: Combine) -> PointTable {
        let layout = match combine {
            Combine::Zip => Layout::Zip,
            Combine::Grid => {
                let mut strides = vec![0; values.len()];
                let mut len = Some(1usize);
                for (a, v) in values.iter().enumerate().rev() {
                    strides[a] = len.unwrap_or(0);
                    len = len.and_then(|l| l.checked_mul(v.len()));
                }
                Layout::Grid { strides, len }
            }
        };
        PointTable { values, layout }
    }

    pub fn len(&self) -> usize {
        match &self.layout {
            Layout::Grid { len, .. } => len.unwrap_or(usize::MAX),
            Layout::Zip => self.values.first().map_or(0, |v| v.len()),
            Layout::Listed { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of point `p`'s value in axis `a`'s values.
    fn index(&self, p: usize, a: usize) -> usize {
        match &self.layout {
            Layout::Grid { strides, .. } => (p / strides[a]) % self.values[a].len(),
            Layout::Zip => p,
            Layout::Listed { arity, index, .. } => index[p * arity + a] as usize,
        }
    }

    /// Point `p`'s value on axis `a`.
    pub fn get(&self, p: usize, a: usize) -> &ValueMeta {
        &self.values[a][self.index(p, a)]
    }

    pub fn label(&self, p: usize, a: usize) -> &str {
        &self.get(p, a).label
    }

    pub fn value(&self, p: usize, a: usize) -> &Json {
        &self.get(p, a).value
    }

    /// Every value any point has on axis `a` (each once for a listed table).
    pub fn axis_values(&self, a: usize) -> &[ValueMeta] {
        &self.values[a]
    }

    /// Why the table does not give every one of its points one value on each
    /// of `axes` axes, if it does not.
    fn check(&self, axes: usize) -> Result<(), String> {
        let bad_point = |p: usize| {
            format!("point {p} does not have one label and one value for each of the {axes} axes")
        };
        match &self.layout {
            Layout::Listed {
                count,
                arity,
                ragged,
                ..
            } => {
                if *count > 0 && *arity != axes {
                    return Err(bad_point(0));
                }
                if let Some(p) = ragged {
                    return Err(bad_point(*p));
                }
            }
            Layout::Grid { len, .. } => {
                if self.values.len() != axes {
                    return Err(format!(
                        "values has {} lists, one for each of the {axes} axes expected",
                        self.values.len()
                    ));
                }
                if len.is_none() {
                    return Err(format!("the axes' values make more than {MAX_RUNS} points"));
                }
            }
            Layout::Zip => {
                if self.values.len() != axes {
                    return Err(format!(
                        "values has {} lists, one for each of the {axes} axes expected",
                        self.values.len()
                    ));
                }
                if let Some(a) = (self.values.iter()).position(|v| v.len() != self.len()) {
                    return Err(format!(
                        "combine: zip, but axis {a} has {} values and axis 0 has {}",
                        self.values[a].len(),
                        self.len()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The longest JSON and CSV text of one value of each axis, in bytes.
    fn widest(&self) -> Vec<usize> {
        (self.values.iter())
            .map(|vals| {
                (vals.iter())
                    .map(|v| v.value.to_string().len() + 2 * v.label.len() + 2)
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// A listed table, as older manifests wrote it: one entry per point.
impl FromIterator<PointMeta> for PointTable {
    fn from_iter<I: IntoIterator<Item = PointMeta>>(points: I) -> PointTable {
        let mut b = ListedBuilder::default();
        points.into_iter().for_each(|p| b.push(p));
        b.finish()
    }
}

/// Builds a listed table one point at a time, each axis's values interned
/// (a lookup per value; the table is never iterated).
#[derive(Default)]
struct ListedBuilder {
    values: Vec<Vec<ValueMeta>>,
    seen: Vec<HashMap<(String, String), u32>>,
    count: usize,
    arity: Option<usize>,
    index: Vec<u32>,
    ragged: Option<usize>,
}

impl ListedBuilder {
    fn push(&mut self, p: PointMeta) {
        let point = self.count;
        self.count += 1;
        // Past the most points a sweep has, only counted (the check refuses
        // the manifest): a hostile list is not stored.
        if point >= MAX_RUNS {
            return;
        }
        let arity = *self.arity.get_or_insert(p.labels.len());
        if self.ragged.is_some() || p.labels.len() != arity || p.values.len() != arity {
            self.ragged.get_or_insert(point);
            return;
        }
        if self.values.len() < arity {
            self.values.resize_with(arity, Vec::new);
            self.seen.resize_with(arity, HashMap::new);
        }
        for (a, (label, value)) in p.labels.into_iter().zip(p.values).enumerate() {
            // A grid's points take the value of the point before, the next
            // one, or the first again: tried before the lookup.
            let vals = &self.values[a];
            let last = self.index.len().checked_sub(arity).map(|i| self.index[i]);
            let near = [last, last.map(|i| i + 1), Some(0)].into_iter().flatten();
            if let Some(i) = near.into_iter().find(|&i| {
                vals.get(i as usize)
                    .is_some_and(|v| v.label == label && same_scalar(&v.value, &value))
            }) {
                self.index.push(i);
                continue;
            }
            let key = (label, value.to_string());
            let i = match self.seen[a].get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.values[a].len() as u32;
                    self.values[a].push(ValueMeta {
                        label: key.0.clone(),
                        value,
                    });
                    self.seen[a].insert(key, i);
                    i
                }
            };
            self.index.push(i);
        }
    }

    fn finish(self) -> PointTable {
        PointTable {
            values: self.values,
            layout: Layout::Listed {
                count: self.count,
                arity: self.arity.unwrap_or(0),
                index: self.index,
                ragged: self.ragged,
            },
        }
    }
}

/// Are `a` and `b` the same string, or the same number written alike? (A
/// JSON tree's equality holds `0.0` and `-0.0` equal, their text does not;
/// anything else is left to the lookup by text.)
fn same_scalar(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(x), Json::String(y)) => x == y,
        (Json::Number(x), Json::Number(y)) => {
            x == y && x.is_f64() == y.is_f64() && x.as_f64() != Some(0.0)
        }
        _ => false,
    }
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub flapsim: String,
    pub sweep: String,
    pub fingerprint: String,
    pub axes: Vec<String>,
    pub seeds: Vec<u64>,
    pub runs: usize,
    pub points: PointTable,
    /// `None` for a whole sweep (or a merge of all its shards).
    pub shard: Option<Shard>,
    /// Condition axes (see [`Plan::conditions`]).
    pub conditions: Vec<String>,
    /// A shard's record of every point's run window, for `flapsim merge` to
    /// check the rows' rates by ([`point_windows`]); `None` for a whole
    /// sweep, a comparison, and a shard an older flapsim wrote.
    pub windows: Option<PointWindows>,
}

impl Manifest {
    pub fn new(plan: &Plan, shard: Shard) -> Manifest {
        let axes = plan.axes.len();
        let value = |v: &super::row::AxisValue| ValueMeta {
            label: v.label.clone(),
            value: v.json.clone(),
        };
        let points = match &plan.points {
            Points::Combined(space) => PointTable::combined(
                (space.axes.iter())
                    .map(|a| a.entries.iter().map(|e| value(&e.value)).collect())
                    .collect(),
                if space.zip {
                    Combine::Zip
                } else {
                    Combine::Grid
                },
            ),
            // A comparison's handful of configurations, listed as they were.
            Points::Listed(list) => (list.iter())
                .map(|p| PointMeta {
                    labels: (0..axes).map(|a| p.values[a].label.clone()).collect(),
                    values: (0..axes).map(|a| p.values[a].json.clone()).collect(),
                })
                .collect(),
        };
        Manifest {
            flapsim: env!("CARGO_PKG_VERSION").into(),
            sweep: plan.name.clone(),
            fingerprint: plan.fingerprint(),
            axes: plan.axes.clone(),
            seeds: plan.seeds.clone(),
            runs: plan.runs(),
            points,
            shard: (shard != Shard::WHOLE).then_some(shard),
            conditions: plan.conditions.clone(),
            windows: None,
        }
    }

    /// A shard's manifest: [`Manifest::new`] and the record of every point's
    /// run window a merge checks its rows by (a merge never reads the sweep
    /// file). Costs one parse of each point's scenario text where the text
    /// moves ([`PointWindows::of`]), as a resume's check of its rows does.
    pub fn for_shard(plan: &Plan, shard: Shard) -> Result<Manifest, String> {
        let mut m = Manifest::new(plan, shard);
        if shard != Shard::WHOLE {
            m.windows = Some(PointWindows::of(plan).map_err(|e| e.to_string())?);
        }
        Ok(m)
    }

    pub fn shard(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }

    /// The first field of its file where `other` records another sweep
    /// than this manifest, apart from the shard index (which shards of one
    /// sweep differ by). Why: a merge writes the first shard's manifest as
    /// the merged one, so a shard whose axes, seeds or values were edited
    /// (its fingerprint kept) was merged as if it agreed, and an edited
    /// first shard's values were published as the sweep's.
    pub fn first_difference(&self, other: &Manifest) -> Option<&'static str> {
        let points = || {
            let (a, b) = (&self.points, &other.points);
            match (&a.layout, &b.layout) {
                (Layout::Listed { .. }, Layout::Listed { .. }) => (a != b).then_some("points"),
                (Layout::Listed { .. }, _) | (_, Layout::Listed { .. }) => Some("values"),
                (x, y) if std::mem::discriminant(x) != std::mem::discriminant(y) => Some("combine"),
                _ => (a != b).then_some("values"),
            }
        };
        [
            (self.flapsim != other.flapsim).then_some("flapsim"),
            (self.sweep != other.sweep).then_some("sweep"),
            (self.fingerprint != other.fingerprint).then_some("fingerprint"),
            (self.axes != other.axes).then_some("axes"),
            (self.seeds != other.seeds).then_some("seeds"),
            (self.runs != other.runs).then_some("runs"),
            points(),
            (self.shard().count != other.shard().count).then_some("shard"),
            (self.conditions != other.conditions).then_some("conditions"),
            (self.windows != other.windows).then_some("windows"),
        ]
        .into_iter()
        .flatten()
        .next()
    }

    /// The manifest's text, pretty-printed JSON and a newline, into `w`.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, &ManifestOut::of(self))?;
        w.write_all(b"\n")
    }

    /// The manifest's text (for a small one; [`Manifest::write_to`] streams).
    pub fn bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v).expect("a Vec takes every byte");
        v
    }

    /// Write `dir`'s manifest atomically.
    pub fn publish(&self, dir: &Path) -> std::io::Result<()> {
        crate::report::write_atomic_with(&dir.join(MANIFEST), |w| self.write_to(w))
    }

    pub fn read(dir: &Path) -> Result<Option<Manifest>, String> {
        let path = dir.join(MANIFEST);
        let file = match open_regular(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        // Streamed: an older manifest of 10⁶ points is 130 MB of text.
        let m: ManifestIn = serde_json::from_reader(BufReader::new(file))
            .map_err(|e| format!("{}: not a flapsim sweep manifest: {e}", path.display()))?;
        let m = m
            .into_manifest()
            .map_err(|e| format!("{}: not a flapsim sweep manifest: {e}", path.display()))?;
        m.check().map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(w) = &m.windows {
            w.check(m.points.len())
                .map_err(|e| point_windows::locate(&path, &e))?;
        }
        Ok(Some(m))
    }

    /// Refuse counts no sweep writes. Resume and merge allocate and index by
    /// them (the runs of a shard, one slot per shard), so an edited manifest
    /// with a shard count of 10^15 aborted `flapsim merge` on a failed
    /// allocation, and a shard index past its count panicked.
    fn check(&self) -> Result<(), String> {
        self.points.check(self.axes.len())?;
        let points = self.points.len();
        let grid = points.checked_mul(self.seeds.len());
        if grid != Some(self.runs) || self.runs > MAX_RUNS || points > MAX_RUNS {
            return Err(format!(
                "runs is {}, but {} points x {} seeds make {} (at most {MAX_RUNS})",
                self.runs,
                points,
                self.seeds.len(),
                grid.map_or("more".to_string(), |g| g.to_string())
            ));
        }
        let shard = self.shard();
        if !shard.is_valid() {
            return Err(format!(
                "shard {}/{}: {}",
                shard.index,
                shard.count,
                Shard::rule()
            ));
        }
        if let Some(c) = self.conditions.iter().find(|c| !self.axes.contains(c)) {
            return Err(format!(
                "condition `{}` is not one of the axes",
                crate::quote::short(c)
            ));
        }
        Ok(())
    }

    /// Check that `rows` are this sweep's runs in order: run `i` is row `i`,
    /// with its point and seed. Tables and charts index points by a row's
    /// `point`, so a row must not name one the manifest lacks.
    pub fn check_rows(&self, rows: &[Row]) -> Result<(), String> {
        for (i, row) in rows.iter().enumerate() {
            self.check_row(row, i)?;
        }
        Ok(())
    }

    /// [`Manifest::check_rows`]'s rule for row `i` (counted from 0).
    pub fn check_row(&self, row: &Row, i: usize) -> Result<(), String> {
        if self.is_run(row, i) {
            return Ok(());
        }
        Err(format!(
            "row {} is run {} of point {} seed {}, not run {i} of point {}",
            i + 1,
            row.run,
            row.point,
            row.seed,
            i / self.seeds.len().max(1)
        ))
    }

    /// Is `row` run `run` of this sweep, with its point and seed (the plan's
    /// order: every seed of a point, point after point)?
    pub fn is_run(&self, row: &Row, run: usize) -> bool {
        let n = self.seeds.len().max(1);
        row.run == run && row.point == run / n && self.seeds.get(run % n) == Some(&row.seed)
    }

    /// The longest line a result file of this sweep can hold, with room to
    /// spare: the identity columns, every metric at its longest (a number
    /// written in full is at most 330 characters) and every axis at its
    /// widest value. A longer line is not a row, and reading it whole would
    /// let a hostile file of one 10 GB line take 10 GB of memory.
    pub fn line_cap(&self) -> usize {
        let metrics: usize = METRICS.iter().map(|m| m.name.len() + 340).sum();
        let axes: usize = (self.axes.iter().zip(self.points.widest()))
            .map(|(a, v)| 2 * a.len() + 8 + v)
            .sum();
        64 * 1024 + metrics + axes
    }
}

/// Open `path` only if it is a regular file (a `manifest.json` linked to
/// `/dev/zero` or a pipe would never end; one that is a FIFO would block the
/// open itself: [`crate::input_file::open_regular`]).
pub fn open_regular(path: &Path) -> std::io::Result<std::io::Take<File>> {
    let file = crate::input_file::open_regular(path)?;
    let len = file.metadata()?.len();
    // Only the bytes it held when opened.
    Ok(file.take(len))
}

/// `manifest.json` as written: the listed form for a table read from an
/// older manifest (so it is written back byte for byte), else the axes'
/// values and how they combine.
#[derive(Serialize)]
struct ManifestOut<'a> {
    flapsim: &'a str,
    sweep: &'a str,
    fingerprint: &'a str,
    axes: &'a [String],
    seeds: &'a [u64],
    runs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<ListedOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    combine: Option<Combine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<&'a [Vec<ValueMeta>]>,
    shard: Option<Shard>,
    conditions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    windows: Option<&'a PointWindows>,
}

impl<'a> ManifestOut<'a> {
    fn of(m: &'a Manifest) -> ManifestOut<'a> {
        let t = &m.points;
        let (points, combine, values) = match &t.layout {
            Layout::Listed { .. } => (Some(ListedOut(t)), None, None),
            Layout::Grid { .. } => (None, Some(Combine::Grid), Some(&t.values[..])),
            Layout::Zip => (None, Some(Combine::Zip), Some(&t.values[..])),
        };
        ManifestOut {
            flapsim: &m.flapsim,
            sweep: &m.sweep,
            fingerprint: &m.fingerprint,
            axes: &m.axes,
            seeds: &m.seeds,
            runs: m.runs,
            points,
            combine,
            values,
            shard: m.shard,
            conditions: &m.conditions,
            windows: m.windows.as_ref(),
        }
    }
}

/// A listed table written point by point, as [`PointMeta`]s, without
/// building the list.
struct ListedOut<'a>(&'a PointTable);

impl Serialize for ListedOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        #[derive(Serialize)]
        struct PointOut<'b> {
            labels: Vec<&'b str>,
            values: Vec<&'b Json>,
        }
        let t = self.0;
        let axes = t.values.len();
        let mut seq = s.serialize_seq(Some(t.len()))?;
        for p in 0..t.len() {
            seq.serialize_element(&PointOut {
                labels: (0..axes).map(|a| t.label(p, a)).collect(),
                values: (0..axes).map(|a| t.value(p, a)).collect(),
            })?;
        }
        seq.end()
    }
}

/// `manifest.json` as read: either form.
#[derive(Deserialize)]
struct ManifestIn {
    flapsim: String,
    sweep: String,
    fingerprint: String,
    axes: Vec<String>,
    seeds: Vec<u64>,
    runs: usize,
    #[serde(default)]
    points: Option<ListedIn>,
    #[serde(default)]
    combine: Option<Combine>,
    #[serde(default)]
    values: Option<Vec<Vec<ValueMeta>>>,
    shard: Option<Shard>,
    #[serde(default)]
    conditions: Vec<String>,
    /// Absent from a whole sweep's manifest and an older flapsim's shard.
    #[serde(default)]
    windows: Option<PointWindows>,
}

impl ManifestIn {
    fn into_manifest(self) -> Result<Manifest, String> {
        let points = match (self.points, self.combine, self.values) {
            (Some(listed), None, None) => listed.0,
            (None, Some(combine), Some(values)) => PointTable::combined(values, combine),
            (Some(_), _, _) => {
                return Err("it has both `points` and `values`/`combine`".into());
            }
            (None, _, _) => {
                return Err("missing field `values` or `combine` (or `points`)".into());
            }
        };
        Ok(Manifest {
            flapsim: self.flapsim,
            sweep: self.sweep,
            fingerprint: self.fingerprint,
            axes: self.axes,
            seeds: self.seeds,
            runs: self.runs,
            points,
            shard: self.shard,
            conditions: self.conditions,
            windows: self.windows,
        })
    }
}

/// An older manifest's `points`, read one point at a time into a listed
/// table (never held as a list of points).
struct ListedIn(PointTable);

impl<'de> Deserialize<'de> for ListedIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ListedIn, D::Error> {
        struct Points;
        impl<'de> Visitor<'de> for Points {
            type Value = ListedIn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of points")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListedIn, A::Error> {
                let mut b = ListedBuilder::default();
                while let Some(p) = seq.next_element::<PointMeta>()? {
                    b.push(p);
                }
                Ok(ListedIn(b.finish()))
            }
        }
        d.deserialize_seq(Points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Limits;

    fn plan(axes: &str) -> Plan {
        let text = format!(
            "name: m\nscenario:\n  duration: 2m\n  cluster:\n    groups:\n      g: {{count: 4, name: \"n-{{}}\"}}\n{axes}seeds: 2\n"
        );
        super::super::sweepfile::parse(&text, "m.yaml", "m", Path::new("."), &Limits::default())
            .unwrap()
            .plan
    }

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("flapsim-manifest-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn assert_points_are_the_plans(m: &Manifest, plan: &Plan) {
        assert_eq!(m.points.len(), plan.point_count());
        for p in 0..plan.point_count() {
            for a in 0..plan.axes.len() {
                assert_eq!(m.points.label(p, a), plan.value(p, a).label, "point {p}");
                assert_eq!(m.points.value(p, a), &plan.value(p, a).json, "point {p}");
            }
        }
    }

    /// Rule: a sweep's manifest holds each axis's values once and how they
    /// combine, not every point (10⁶ points were 130 MB of manifest), and
    /// gives every point the plan's values, for a grid and for zipped axes.
    #[test]
    fn a_manifest_holds_each_axis_value_once_and_gives_every_point() {
        let d = scratch_dir("grid");
        let grid = plan(
            "axes:\n  - path: probe_timeout\n    values: {from: 1ms, to: 100ms, step: 1ms}\n  - path: probe_interval\n    values: {from: 1001ms, to: 1100ms, step: 1ms}\n",
        );
        let m = Manifest::new(&grid, Shard::WHOLE);
        assert_points_are_the_plans(&m, &grid);
        let bytes = m.bytes();
        assert!(
            bytes.len() < 30_000,
            "{} bytes for 10,000 points",
            bytes.len()
        );
        m.publish(&d).unwrap();
        assert_eq!(Manifest::read(&d).unwrap(), Some(m));
        let zip = plan(
            "combine: zip\naxes:\n  - path: probe_timeout\n    values: [100ms, 200ms, 300ms]\n  - path: suspicion_mult\n    values: [4, 5, 6]\n",
        );
        let m = Manifest::new(&zip, Shard { index: 1, count: 2 });
        assert_points_are_the_plans(&m, &zip);
        m.publish(&d).unwrap();
        assert_eq!(Manifest::read(&d).unwrap(), Some(m));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The manifest as flapsim wrote it before: every point listed.
    #[derive(Serialize)]
    struct Listed {
        flapsim: String,
        sweep: String,
        fingerprint: String,
        axes: Vec<String>,
        seeds: Vec<u64>,
        runs: usize,
        points: Vec<PointMeta>,
        shard: Option<Shard>,
        conditions: Vec<String>,
    }

    /// Rule: a manifest written before, listing every point, is still read
    /// (an old sweep directory resumes and its shards merge), gives the same
    /// points, and is written back byte for byte.
    #[test]
    fn a_manifest_listing_every_point_is_read_and_written_back_as_it_was() {
        let d = scratch_dir("listed");
        let grid = plan(
            "axes:\n  - path: probe_timeout\n    values: [100ms, 200ms, 300ms]\n  - path: preset\n    values: [memberlist-2015, memberlist]\n",
        );
        let new = Manifest::new(&grid, Shard { index: 0, count: 3 });
        let old = Listed {
            flapsim: new.flapsim.clone(),
            sweep: new.sweep.clone(),
            fingerprint: new.fingerprint.clone(),
            axes: new.axes.clone(),
            seeds: new.seeds.clone(),
            runs: new.runs,
            points: (0..grid.point_count())
                .map(|p| PointMeta {
                    labels: grid.values(p).into_iter().map(|v| v.label).collect(),
                    values: grid.values(p).into_iter().map(|v| v.json).collect(),
                })
                .collect(),
            shard: new.shard,
            conditions: vec![],
        };
        let mut bytes = serde_json::to_vec_pretty(&old).unwrap();
        bytes.push(b'\n');
        std::fs::write(d.join(MANIFEST), &bytes).unwrap();
        let read = Manifest::read(&d).unwrap().unwrap();
        assert_points_are_the_plans(&read, &grid);
        assert_eq!(
            (read.fingerprint.as_str(), read.shard),
            (new.fingerprint.as_str(), new.shard)
        );
        assert_eq!(read.bytes(), bytes);
        assert_eq!(read.line_cap(), new.line_cap());
        // A point without a value for each axis is refused, at that point.
        let mut edited = old;
        edited.points[4].values.pop();
        std::fs::write(d.join(MANIFEST), serde_json::to_vec(&edited).unwrap()).unwrap();
        let e = Manifest::read(&d).unwrap_err();
        assert!(
            e.contains("point 4 does not have one label and one value"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
