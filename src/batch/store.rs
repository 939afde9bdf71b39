//! A sweep's output directory: the manifest, the append-only result files, resume
//! after any interruption, merging shards, and the aggregate files.
//!
//! Files:
//! - `manifest.json`: the sweep's identity (fingerprint, axes, points, seeds,
//!   shard), written first; a resume or merge refuses results of another sweep.
//! - `results.csv`, `results.jsonl`: one row per run in canonical order, appended
//!   and flushed (one `write` per line) as runs finish. After a `kill -9` the
//!   kernel has every finished line; a torn last line is detected (no newline, or
//!   does not parse, or the CSV and JSON disagree) and cut off, and its run redone.
//! - `points.csv`, `summary.txt` (and charts): computed from `results.jsonl` only,
//!   written atomically when every run is in, so a sweep, a resumed sweep and a
//!   merge of shards produce the same bytes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::report::write_atomic;
use crate::units::count;

use super::aggregate::{
    aggregate, human_spread, pareto_grouped, points_csv, text_table, within_budget, Budget, Front,
    PointStats, Tradeoff, FLAPS_VS_DETECTION, FP_VS_DETECTION,
};
use super::plan::{Plan, MAX_RUNS};
use super::row::{csv_header, metric_index, Row, METRICS};

pub const MANIFEST: &str = "manifest.json";
pub const RESULTS_CSV: &str = "results.csv";
pub const RESULTS_JSONL: &str = "results.jsonl";
pub const POINTS_CSV: &str = "points.csv";
pub const SUMMARY_TXT: &str = "summary.txt";
/// Every run's files, with `--keep-runs`.
pub const RUNS_DIR: &str = "runs";

/// Which slice of the runs a process runs: runs `r` with `r % count == index`.
/// Round-robin, so every shard gets a share of every point's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// What makes a shard ([`Shard::is_valid`]), as error messages say it.
    pub fn rule() -> String {
        format!("need 0 <= I < N <= {MAX_RUNS} (the most runs a sweep has)")
    }

    /// A count of at most [`MAX_RUNS`] (more shards than a sweep can have
    /// runs would all be empty), and an index below it.
    pub fn is_valid(self) -> bool {
        self.count >= 1 && self.index < self.count && self.count <= MAX_RUNS
    }

    pub fn runs(self, total: usize) -> Vec<usize> {
        (self.index..total).step_by(self.count).collect()
    }
}

/// One point as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointMeta {
    pub labels: Vec<String>,
    pub values: Vec<Json>,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub flapsim: String,
    pub sweep: String,
    pub fingerprint: String,
    pub axes: Vec<String>,
    pub seeds: Vec<u64>,
    pub runs: usize,
    pub points: Vec<PointMeta>,
    /// `None` for a whole sweep (or a merge of all its shards).
    pub shard: Option<Shard>,
    /// Condition axes (see [`Plan::conditions`]).
    #[serde(default)]
    pub conditions: Vec<String>,
}

impl Manifest {
    pub fn new(plan: &Plan, shard: Shard) -> Manifest {
        Manifest {
            flapsim: env!("CARGO_PKG_VERSION").into(),
            sweep: plan.name.clone(),
            fingerprint: plan.fingerprint(),
            axes: plan.axes.clone(),
            seeds: plan.seeds.clone(),
            runs: plan.runs(),
            points: (0..plan.point_count())
                .map(|p| PointMeta {
                    labels: (0..plan.axes.len())
                        .map(|a| plan.value(p, a).label.clone())
                        .collect(),
                    values: (0..plan.axes.len())
                        .map(|a| plan.value(p, a).json.clone())
                        .collect(),
                })
                .collect(),
            shard: (shard != Shard::WHOLE).then_some(shard),
            conditions: plan.conditions.clone(),
        }
    }

    pub fn shard(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("manifest serializes");
        v.push(b'\n');
        v
    }

    pub fn read(dir: &Path) -> Result<Option<Manifest>, String> {
        let path = dir.join(MANIFEST);
        match read_regular(&path) {
            Ok(b) => serde_json::from_slice::<Manifest>(&b)
                .map_err(|e| format!("{}: not a flapsim sweep manifest: {e}", path.display()))
                .and_then(|m| {
                    m.check().map_err(|e| format!("{}: {e}", path.display()))?;
                    Ok(Some(m))
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Refuse counts no sweep writes. Resume and merge allocate and index by
    /// them (the runs of a shard, one slot per shard), so an edited manifest
    /// with a shard count of 10^15 aborted `flapsim merge` on a failed
    /// allocation, and a shard index past its count panicked.
    fn check(&self) -> Result<(), String> {
        let grid = self.points.len().checked_mul(self.seeds.len());
        if grid != Some(self.runs) || self.runs > MAX_RUNS {
            return Err(format!(
                "runs is {}, but {} points x {} seeds make {} (at most {MAX_RUNS})",
                self.runs,
                self.points.len(),
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
        // Every point has a label and a value per axis (tables and condition
        // groups index them by axis), and conditions are axes.
        let axes = self.axes.len();
        if let Some(p) =
            (self.points.iter()).position(|p| p.labels.len() != axes || p.values.len() != axes)
        {
            return Err(format!(
                "point {p} does not have one label and one value for each of the {axes} axes"
            ));
        }
        if let Some(c) = self.conditions.iter().find(|c| !self.axes.contains(c)) {
            return Err(format!("condition `{c}` is not one of the axes"));
        }
        Ok(())
    }

    /// Check that `rows` are this sweep's runs in order: run `i` is row `i`,
    /// with its point and seed. Tables and charts index points by a row's
    /// `point`, so a row must not name one the manifest lacks.
    pub fn check_rows(&self, rows: &[Row]) -> Result<(), String> {
        for (i, row) in rows.iter().enumerate() {
            if !self.is_run(row, i) {
                return Err(format!(
                    "row {} is run {} of point {} seed {}, not run {i} of point {}",
                    i + 1,
                    row.run,
                    row.point,
                    row.seed,
                    i / self.seeds.len().max(1)
                ));
            }
        }
        Ok(())
    }

    /// Is `row` run `run` of this sweep, with its point and seed (the plan's
    /// order: every seed of a point, point after point)?
    fn is_run(&self, row: &Row, run: usize) -> bool {
        let n = self.seeds.len().max(1);
        row.run == run && row.point == run / n && self.seeds.get(run % n) == Some(&row.seed)
    }

    pub fn labels(&self) -> Vec<Vec<String>> {
        self.points.iter().map(|p| p.labels.clone()).collect()
    }
}

/// An error with its exit code: 2 for a refused input (wrong directory, other
/// sweep), 1 for I/O.
#[derive(Debug)]
pub struct StoreError {
    pub bad_input: bool,
    pub message: String,
}

fn refuse(m: impl Into<String>) -> StoreError {
    StoreError {
        bad_input: true,
        message: m.into(),
    }
}

fn io(m: impl Into<String>) -> StoreError {
    StoreError {
        bad_input: false,
        message: m.into(),
    }
}

/// What to do with a directory that already holds this sweep's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse (the default: never throw away finished runs by accident).
    Refuse,
    /// Keep the finished rows and run the rest.
    Resume,
    /// Delete the old results and start over.
    Fresh,
}

/// The result files of a sweep being written.
pub struct Results {
    csv: File,
    jsonl: File,
    axes: Vec<String>,
    /// The plan, for each row's axis values (built per row, not kept per point).
    plan: Plan,
    /// Runs of this shard still to do, ascending.
    pub todo: Vec<usize>,
    /// Runs already finished (resumed).
    pub done: usize,
}

impl Results {
    /// Open `dir` for `plan`'s shard: write the manifest, recover finished rows
    /// (cutting a torn tail), and list the runs left.
    pub fn open(
        dir: &Path,
        plan: &Plan,
        shard: Shard,
        existing: Existing,
    ) -> Result<Results, StoreError> {
        let manifest = Manifest::new(plan, shard);
        let old = Manifest::read(dir).map_err(refuse)?;
        let has_results = dir.join(RESULTS_JSONL).exists() || dir.join(RESULTS_CSV).exists();
        match (&old, existing) {
            (_, Existing::Refuse) if has_results || old.is_some() => {
                return Err(refuse(format!(
                    "{} already holds sweep results; pass --resume to continue them (finished runs are kept) or --fresh to start over",
                    dir.display()
                )))
            }
            (Some(m), Existing::Resume) if m.fingerprint != manifest.fingerprint => {
                return Err(refuse(format!(
                    "{}: holds a different sweep (`{}`, fingerprint {}; this sweep is `{}`, fingerprint {}): the sweep file, the base scenario or the flapsim version changed; use another --out or --fresh",
                    dir.display(),
                    m.sweep,
                    m.fingerprint,
                    manifest.sweep,
                    manifest.fingerprint
                )))
            }
            (Some(m), Existing::Resume) if m.shard() != shard => {
                return Err(refuse(format!(
                    "{}: holds shard {}/{} of this sweep, not {}/{}",
                    dir.display(),
                    m.shard().index,
                    m.shard().count,
                    shard.index,
                    shard.count
                )))
            }
            (None, Existing::Resume) if has_results => {
                return Err(refuse(format!(
                    "{}: has result files but no {MANIFEST}; cannot tell which sweep they belong to",
                    dir.display()
                )))
            }
            _ => {}
        }
        fs::create_dir_all(dir).map_err(|e| io(format!("creating {}: {e}", dir.display())))?;
        if existing == Existing::Fresh {
            // Everything the old sweep wrote: a chart this one does not draw
            // (a heatmap of two axes, say) must not stay beside its results.
            for f in [RESULTS_CSV, RESULTS_JSONL, POINTS_CSV, SUMMARY_TXT] {
                let _ = fs::remove_file(dir.join(f));
            }
            for stem in crate::chart::sweep::CHARTS {
                for ext in ["png", "svg"] {
                    let _ = fs::remove_file(dir.join(format!("{stem}.{ext}")));
                }
            }
            let _ = fs::remove_dir_all(dir.join(RUNS_DIR));
        }
        write_atomic(&dir.join(MANIFEST), &manifest.bytes()).map_err(|e| io(e.to_string()))?;

        let mine = shard.runs(plan.runs());
        let header = csv_header(&plan.axes);
        let (json_rows, json_len) = valid_json_prefix(&dir.join(RESULTS_JSONL), plan, &mine)?;
        let (csv_rows, csv_lens) =
            valid_csv_prefix(&dir.join(RESULTS_CSV), &header, &json_rows, plan)?;
        let done = csv_rows.min(json_rows.len());
        // Cut both files back to the rows both hold completely.
        let csv = open_at(&dir.join(RESULTS_CSV), csv_lens[done])?;
        let jsonl = open_at(&dir.join(RESULTS_JSONL), json_len[done])?;
        let mut res = Results {
            csv,
            jsonl,
            axes: plan.axes.clone(),
            plan: plan.clone(),
            todo: mine[done..].to_vec(),
            done,
        };
        if csv_lens[done] == 0 {
            res.csv
                .write_all(header.as_bytes())
                .map_err(|e| io(format!("writing {RESULTS_CSV}: {e}")))?;
        }
        Ok(res)
    }

    /// Append one row to both files (CSV first; a resume trusts only rows both have).
    pub fn append(&mut self, row: &Row) -> Result<(), String> {
        let vals = self.plan.values(row.point);
        self.csv
            .write_all(row.csv_line(&vals).as_bytes())
            .map_err(|e| format!("writing {RESULTS_CSV}: {e}"))?;
        self.jsonl
            .write_all(row.json_line(&self.axes, &vals).as_bytes())
            .map_err(|e| format!("writing {RESULTS_JSONL}: {e}"))
    }

    /// Flush to disk (the rows are already with the kernel after each append).
    pub fn sync(&self) -> Result<(), String> {
        self.csv
            .sync_data()
            .and_then(|_| self.jsonl.sync_data())
            .map_err(|e| format!("syncing results: {e}"))
    }
}

/// Open `path` for appending after truncating it to `len` bytes.
fn open_at(path: &Path, len: u64) -> Result<File, StoreError> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io(format!("opening {}: {e}", path.display())))?;
    f.set_len(len)
        .map_err(|e| io(format!("truncating {}: {e}", path.display())))?;
    drop(f);
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io(format!("opening {}: {e}", path.display())))
}

/// Read a file of a sweep or comparison directory: only a regular file, and
/// only the bytes it held when opened.
///
/// Why: these directories hold only files flapsim wrote, but the user names
/// the directory. A `results.jsonl` linked to `/dev/zero` (or a pipe) was read
/// until memory ran out; a regular file's size is the truth, so it bounds the
/// read.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (flapsim writes only regular files here)",
        ));
    }
    // Not preallocated from the size: a sparse file can claim terabytes.
    let mut bytes = Vec::new();
    file.take(meta.len()).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_or_empty(path: &Path) -> Result<Vec<u8>, StoreError> {
    match read_regular(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(format!("reading {}: {e}", path.display()))),
    }
}

/// Complete lines of `bytes` with the byte offset after each.
fn complete_lines(bytes: &[u8]) -> Vec<(&[u8], u64)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            out.push((&bytes[start..i], (i + 1) as u64));
            start = i + 1;
        }
    }
    out
}

/// The finished rows at the start of `results.jsonl` that are the expected runs
/// in order, and the file length after each (`lens[k]` = bytes of the first k rows).
fn valid_json_prefix(
    path: &Path,
    plan: &Plan,
    mine: &[usize],
) -> Result<(Vec<Row>, Vec<u64>), StoreError> {
    let bytes = read_or_empty(path)?;
    let mut rows = Vec::new();
    let mut lens = vec![0u64];
    for (line, end) in complete_lines(&bytes) {
        let Some(want) = mine.get(rows.len()) else {
            break;
        };
        let Some(row) = std::str::from_utf8(line).ok().and_then(Row::parse_json) else {
            break;
        };
        let (point, seed) = plan.run_ref(*want);
        if row.run != *want || row.point != point || row.seed != seed {
            break;
        }
        rows.push(row);
        lens.push(end);
    }
    Ok((rows, lens))
}

/// How many rows of `results.csv` (after a correct header) match `rows`, and the
/// file length after the header and each row (`lens[0]` is 0 when the header
/// itself is missing or torn, so it is rewritten).
fn valid_csv_prefix(
    path: &Path,
    header: &str,
    rows: &[Row],
    plan: &Plan,
) -> Result<(usize, Vec<u64>), StoreError> {
    let bytes = read_or_empty(path)?;
    let lines = complete_lines(&bytes);
    let header_ok = lines
        .first()
        .is_some_and(|(l, _)| *l == header.trim_end().as_bytes());
    if !header_ok {
        return Ok((0, vec![0; rows.len() + 1]));
    }
    let mut lens = vec![lines[0].1];
    for ((line, end), row) in lines[1..].iter().zip(rows) {
        match std::str::from_utf8(line) {
            Ok(l)
                if row.point < plan.point_count()
                    && row.csv_matches(l, &plan.values(row.point)) =>
            {
                lens.push(*end)
            }
            _ => break,
        }
    }
    let n = lens.len() - 1;
    lens.resize(rows.len() + 1, *lens.last().unwrap_or(&0));
    Ok((n, lens))
}

/// Read every row of a finished `results.jsonl`.
pub fn read_rows(dir: &Path) -> Result<Vec<Row>, String> {
    let path = dir.join(RESULTS_JSONL);
    let bytes = read_regular(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    complete_lines(&bytes)
        .into_iter()
        .enumerate()
        .map(|(i, (l, _))| {
            std::str::from_utf8(l)
                .ok()
                .and_then(Row::parse_json)
                .ok_or_else(|| format!("{}:{}: not a result row", path.display(), i + 1))
        })
        .collect()
}

/// The budget flags: `--max-flaps-per-hour` (flaps of healthy nodes per hour)
/// or `--max-fp-healthy` (false positives at healthy nodes per hour).
pub fn tradeoff_for(budget: Option<Budget>) -> Tradeoff {
    match budget {
        Some(b) if b.metric == FP_VS_DETECTION.cost => FP_VS_DETECTION,
        _ => FLAPS_VS_DETECTION,
    }
}

/// Metrics in the printed points table.
pub const TABLE_METRICS: &[&str] = &[
    "flaps_healthy_per_hour",
    "fp_healthy_per_hour",
    "fp_total",
    "detect_dead_p50_s",
    "detect_full_p50_s",
    "msgs_per_node_s",
    "bytes_per_node_s",
];

/// Everything computed from a finished sweep's rows.
pub struct Finished {
    pub stats: Vec<PointStats>,
    pub front: Front,
    pub tradeoff: Tradeoff,
    /// Points table and recommendation, as printed and written to `summary.txt`.
    pub summary: String,
}

/// Points grouped by the values of the condition axes, in first-seen order
/// (one group of every point when there are none). A lookup per point finds
/// its group (a search of the groups grew with points × groups).
pub fn condition_groups(m: &Manifest) -> Vec<(String, Vec<usize>)> {
    let cond: Vec<usize> = m
        .axes
        .iter()
        .enumerate()
        .filter(|(_, a)| m.conditions.contains(a))
        .map(|(i, _)| i)
        .collect();
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (p, point) in m.points.iter().enumerate() {
        let key = cond
            .iter()
            .map(|&a| format!("{}={}", m.axes[a], point.labels[a]))
            .collect::<Vec<_>>()
            .join(", ");
        match index.get(&key) {
            Some(&g) => groups[g].1.push(p),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![p]));
            }
        }
    }
    groups
}

/// Aggregate a complete sweep directory and write `points.csv` and `summary.txt`.
pub fn finish(dir: &Path, m: &Manifest, budget: Option<Budget>) -> Result<Finished, String> {
    let rows = read_rows(dir)?;
    if rows.len() != m.runs {
        return Err(format!(
            "{}: {} of {} runs finished; run the sweep again with --resume",
            dir.display(),
            rows.len(),
            m.runs
        ));
    }
    m.check_rows(&rows)
        .map_err(|e| format!("{}: {e}", dir.join(RESULTS_JSONL).display()))?;
    let stats = aggregate(m.points.len(), &rows);
    let tradeoff = tradeoff_for(budget);
    let front = pareto_grouped(&stats, tradeoff, &condition_groups(m));
    let labels = m.labels();
    let summary = summary_text(m, &labels, &stats, &front, tradeoff, budget);
    write_atomic(
        &dir.join(POINTS_CSV),
        points_csv(&m.axes, &labels, &stats, &front).as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    write_atomic(&dir.join(SUMMARY_TXT), summary.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Finished {
        stats,
        front,
        tradeoff,
        summary,
    })
}

fn metric_label(name: &str) -> &'static str {
    metric_index(name).map_or("?", |i| METRICS[i].label)
}

fn describe(m: &Manifest, labels: &[Vec<String>], point: usize) -> String {
    m.axes
        .iter()
        .zip(&labels[point])
        .map(|(a, v)| format!("{a}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The points table and the recommendation.
fn summary_text(
    m: &Manifest,
    labels: &[Vec<String>],
    stats: &[PointStats],
    front: &Front,
    t: Tradeoff,
    budget: Option<Budget>,
) -> String {
    let mut out = format!(
        "sweep {}: {} x {} = {} (fingerprint {})\nmedian [95% interval across seeds]; * = Pareto-optimal ({} vs {}){}\n\n",
        m.sweep,
        count(m.points.len(), "point"),
        count(m.seeds.len(), "seed"),
        count(m.runs, "run"),
        m.fingerprint,
        metric_label(t.cost),
        metric_label(t.latency),
        super::aggregate::partial_note(stats, TABLE_METRICS)
    );
    let front_set = front.members();
    let on_front = |p: usize| if front_set.contains(&p) { "*" } else { " " };
    out.push_str(&text_table(
        &m.axes,
        labels,
        stats,
        TABLE_METRICS,
        &on_front,
    ));
    out.push('\n');
    if !front.measured {
        out.push_str(
            "No crash was detected in any run, so there is no detection latency to trade \
             against: add a crash to the base scenario's timeline (e.g. `{at: 30m, crash: n-05}`).\n",
        );
        return out;
    }
    let line = |p: usize| {
        let s = &stats[p];
        format!(
            "  {}: {} {}, {} {}",
            describe(m, labels, p),
            metric_label(t.latency),
            human_spread(s.get(t.latency), s.runs),
            metric_label(t.cost),
            human_spread(s.get(t.cost), s.runs)
        )
    };
    let groups = condition_groups(m);
    for ((label, members), (_, front_points)) in groups.iter().zip(&front.groups) {
        // Each sentence names its conditions; a heading above them said it twice.
        let under = if label.is_empty() {
            String::new()
        } else {
            format!(" under {label}")
        };
        out.push_str(&format!(
            "Pareto-optimal configurations{under} (no other detects faster with fewer {}), fastest first:\n",
            metric_label(t.cost)
        ));
        for &p in front_points {
            out.push_str(&line(p));
            out.push('\n');
        }
        // A configuration that never detected the crash has no latency to
        // place on the trade-off: say so rather than drop it without a word.
        let undetected: Vec<String> = members
            .iter()
            .filter(|&&p| stats[p].get(t.latency).is_none())
            .map(|&p| describe(m, labels, p))
            .collect();
        if !undetected.is_empty() {
            out.push_str(&format!(
                "Not on the trade-off{under} ({} in no seed): {}\n",
                metric_label(t.latency),
                undetected.join("; ")
            ));
        }
        let Some(b) = budget else {
            out.push('\n');
            continue;
        };
        let subset = || members.iter().map(|&p| &stats[p]);
        match within_budget(subset(), t, b) {
            Some(p) => {
                out.push_str(&format!(
                    "Fastest-detecting configuration{under} within the budget ({} <= {} on the upper end of the 95% interval across seeds):\n",
                    metric_label(b.metric),
                    super::row::fmt_num(b.max)
                ));
                out.push_str(&line(p));
                out.push('\n');
            }
            None => {
                let best = subset()
                    .filter_map(|s| Some((s.point, s.get(b.metric)?.hi)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                out.push_str(&format!(
                    "NO configuration{under} meets the budget ({} <= {} on the upper end of the 95% interval across seeds).",
                    metric_label(b.metric),
                    super::row::fmt_num(b.max)
                ));
                if let Some((p, hi)) = best {
                    out.push_str(&format!(
                        " The closest is {} with {} up to {}.",
                        describe(m, labels, p),
                        metric_label(b.metric),
                        super::aggregate::human(hi)
                    ));
                }
                out.push('\n');
            }
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A shard's CSV rows (header dropped) and JSON rows.
type ShardLines<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// Merge the shard directories `dirs` into `out`: the same files an unsharded
/// run writes, byte for byte. Refuses shards of different sweeps, duplicate or
/// missing shards, and unfinished shards.
/// What `dir` already holds that a batch command must not write over: a
/// run's output set (its `summary.json`) or a sweep's results (a manifest
/// with no comparison beside it). `None`: nothing, or a comparison.
pub fn foreign_output(dir: &Path) -> Option<&'static str> {
    if dir.join("summary.json").exists() {
        Some("a run's output set (summary.json)")
    } else if dir.join(MANIFEST).exists() && !dir.join(super::compare::COMPARISON_JSON).exists() {
        Some("a sweep's results (manifest.json)")
    } else {
        None
    }
}

/// Refuse to merge into a shard's own directory, a run's output set, or
/// another sweep's results: their files would be replaced, and the charts
/// the merged sweep does not draw would be left beside its own.
fn refuse_foreign_out(out: &Path, merged: &Manifest, dirs: &[PathBuf]) -> Result<(), StoreError> {
    let canonical = |p: &Path| fs::canonicalize(p).ok();
    if let Some(o) = canonical(out) {
        if let Some(d) = dirs.iter().find(|d| canonical(d).as_ref() == Some(&o)) {
            return Err(refuse(format!(
                "--out {} is the shard directory {}: merging into it would replace its rows; use a new directory",
                out.display(),
                d.display()
            )));
        }
    }
    if out.join("summary.json").exists() {
        return Err(refuse(format!(
            "--out {} holds a run's output set (summary.json); use a new directory",
            out.display()
        )));
    }
    if let Some(m) = Manifest::read(out).map_err(refuse)? {
        if m.fingerprint != merged.fingerprint {
            return Err(refuse(format!(
                "--out {} holds another sweep (`{}`, fingerprint {}; these shards are `{}`, fingerprint {}); use a new directory",
                out.display(),
                m.sweep,
                m.fingerprint,
                merged.sweep,
                merged.fingerprint
            )));
        }
    }
    Ok(())
}

pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Manifest, StoreError> {
    let mut shards: Vec<(Manifest, &PathBuf)> = Vec::new();
    for d in dirs {
        let m = Manifest::read(d).map_err(refuse)?.ok_or_else(|| {
            refuse(format!(
                "{}: no {MANIFEST}: not a sweep output",
                d.display()
            ))
        })?;
        if let Some((first, fd)) = shards.first() {
            if first.fingerprint != m.fingerprint || first.sweep != m.sweep {
                return Err(refuse(format!(
                    "{} is sweep `{}` (fingerprint {}) but {} is sweep `{}` (fingerprint {}): shards of different sweeps cannot be merged",
                    d.display(), m.sweep, m.fingerprint, fd.display(), first.sweep, first.fingerprint
                )));
            }
            if first.shard().count != m.shard().count {
                return Err(refuse(format!(
                    "{} is shard {}/{} but {} is shard {}/{}: shard counts differ",
                    d.display(),
                    m.shard().index,
                    m.shard().count,
                    fd.display(),
                    first.shard().index,
                    first.shard().count
                )));
            }
        }
        shards.push((m, d));
    }
    let Some((first, _)) = shards.first() else {
        return Err(refuse("merge: no directories given"));
    };
    let count = first.shard().count;
    // One slot per shard: allocated only once as many directories as shards
    // were given (a count comes from a file).
    let present: std::collections::BTreeSet<usize> =
        shards.iter().map(|(m, _)| m.shard().index).collect();
    if let Some(missing) = (0..count).find(|i| !present.contains(i)) {
        return Err(refuse(format!(
            "shard {missing}/{count} is missing: give every shard's directory"
        )));
    }
    let mut by_index: Vec<Option<ShardLines>> = vec![None; count];
    let contents: Vec<(Vec<u8>, Vec<u8>)> = shards
        .iter()
        .map(|(_, d)| {
            Ok((
                read_or_empty(&d.join(RESULTS_CSV))?,
                read_or_empty(&d.join(RESULTS_JSONL))?,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let header = csv_header(&first.axes);
    for ((m, d), (csv, jsonl)) in shards.iter().zip(&contents) {
        let s = m.shard();
        if by_index[s.index].is_some() {
            return Err(refuse(format!(
                "shard {}/{} given twice ({})",
                s.index,
                s.count,
                d.display()
            )));
        }
        let want = s.runs(m.runs).len();
        let csv_lines: Vec<&[u8]> = complete_lines(csv).into_iter().map(|l| l.0).collect();
        let json_lines: Vec<&[u8]> = complete_lines(jsonl).into_iter().map(|l| l.0).collect();
        let header_ok = csv_lines
            .first()
            .is_some_and(|l| *l == header.trim_end().as_bytes());
        if !header_ok
            || csv_lines.len() != want + 1
            || json_lines.len() != want
            || csv.last() != Some(&b'\n')
            || jsonl.last().is_some_and(|&b| b != b'\n')
        {
            return Err(refuse(format!(
                "{}: shard {}/{} is not finished ({} of {} runs); run it again with --resume",
                d.display(),
                s.index,
                s.count,
                json_lines.len().min(csv_lines.len().saturating_sub(1)),
                want
            )));
        }
        by_index[s.index] = Some((csv_lines[1..].to_vec(), json_lines));
    }
    // Every index was present above, and each was filled or refused.
    let parts: Vec<ShardLines> = by_index
        .into_iter()
        .map(|p| p.expect("BUG! a shard present above left no lines"))
        .collect();
    let mut csv_out = header.into_bytes();
    let mut json_out = Vec::new();
    for r in 0..first.runs {
        let (csv, json) = &parts[r % count];
        let k = r / count;
        for (out, line) in [(&mut csv_out, csv[k]), (&mut json_out, json[k])] {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        // Rows must be the run they claim to be, with its point and seed.
        let ok = std::str::from_utf8(json[k])
            .ok()
            .and_then(Row::parse_json)
            .is_some_and(|row| first.is_run(&row, r));
        if !ok {
            return Err(refuse(format!(
                "shard {}/{count}: row {k} is not run {r}",
                r % count
            )));
        }
    }
    let mut merged = first.clone();
    merged.shard = None;
    refuse_foreign_out(out, &merged, dirs)?;
    fs::create_dir_all(out).map_err(|e| io(format!("creating {}: {e}", out.display())))?;
    write_atomic(&out.join(MANIFEST), &merged.bytes()).map_err(|e| io(e.to_string()))?;
    write_atomic(&out.join(RESULTS_CSV), &csv_out).map_err(|e| io(e.to_string()))?;
    write_atomic(&out.join(RESULTS_JSONL), &json_out).map_err(|e| io(e.to_string()))?;
    Ok(merged)
}
