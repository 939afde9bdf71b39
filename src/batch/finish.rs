//! A finished sweep's aggregates: `points.csv`, `summary.txt`, and what the
//! charts and the terminal are drawn from.
//!
//! Rows are read one at a time, in run order (every seed of a point, point
//! after point), so a point is aggregated as soon as its last seed is read:
//! its `points.csv` line is made then (and kept in a scratch file until the
//! Pareto front gives its last cell), and of its spreads only the metrics
//! read later are kept ([`KeptStats`]). Why: reading every row into memory
//! before grouping them, then holding every point's 25 spreads, took 3.8 GB
//! for a merge of 10⁶ points.

use std::borrow::Borrow;
use std::io::{self, Write};
use std::path::Path;

use crate::report::write_atomic_with;
use crate::units::count;

use super::aggregate::{
    pareto_cell, pareto_grouped, points_csv_cells, points_csv_head, push_human_spread,
    spread_sorting, within_budget, write_table, Budget, Front, KeptStats, Spread, Stats, Tradeoff,
    FLAPS_VS_DETECTION, FP_VS_DETECTION,
};
use super::lines::{LineError, Scratch};
use super::manifest::Manifest;
use super::row::{metric_index, Row, METRICS};
use super::store::{io_error, refuse, StoreError, POINTS_CSV, SUMMARY_TXT};

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

/// Everything computed from a finished sweep's rows that is drawn after
/// `points.csv` and `summary.txt` are written.
pub struct Finished {
    pub stats: KeptStats,
    pub front: Front,
    pub tradeoff: Tradeoff,
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
    for p in 0..m.points.len() {
        let key = cond
            .iter()
            .map(|&a| format!("{}={}", m.axes[a], m.points.label(p, a)))
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

/// Every point of a sweep aggregated: what is kept of its spreads, and its
/// `points.csv` line but the last cell.
pub struct Aggregated {
    pub stats: KeptStats,
    body: Scratch,
}

/// Aggregates a sweep's rows as they come, in run order, one point at a time.
///
/// `M` is the manifest, borrowed (a merge keeps its own) or owned (a sweep's
/// result files aggregate their rows as they take them, see
/// [`super::tally`]).
pub struct Aggregator<M: Borrow<Manifest>> {
    m: M,
    /// Per metric, the values of the point being aggregated.
    values: Vec<Vec<f64>>,
    /// The point being aggregated (every point before it is done).
    point: usize,
    /// Its rows so far.
    runs: usize,
    stats: KeptStats,
    body: Scratch,
    /// Its spreads, reused from point to point.
    spreads: Vec<Option<Spread>>,
}

impl<M: Borrow<Manifest>> Aggregator<M> {
    /// Aggregate `m`'s points, with a scratch file in `dir`.
    pub fn new(m: M, dir: &Path) -> io::Result<Aggregator<M>> {
        let points = m.borrow().points.len();
        Ok(Aggregator {
            m,
            values: vec![Vec::new(); METRICS.len()],
            point: 0,
            runs: 0,
            stats: KeptStats::with_capacity(points),
            body: Scratch::create(dir)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?,
            spreads: Vec::with_capacity(METRICS.len()),
        })
    }

    /// Add the next row: a run of the point being aggregated or of a later
    /// one ([`Manifest::check_row`] holds rows to run order).
    pub fn push(&mut self, row: &Row) -> io::Result<()> {
        while self.point < row.point {
            self.close()?;
        }
        for (v, x) in self.values.iter_mut().zip(&row.values) {
            if let Some(x) = x {
                v.push(*x);
            }
        }
        self.runs += 1;
        Ok(())
    }

    /// The point being aggregated is done: its spreads, its line, what is kept.
    fn close(&mut self) -> io::Result<()> {
        let p = self.point;
        self.spreads.clear();
        self.spreads
            .extend(self.values.iter_mut().map(|v| spread_sorting(v)));
        let m = self.m.borrow();
        let labels = (0..m.axes.len()).map(|a| m.points.label(p, a));
        let line = points_csv_cells(p, labels, self.runs, &self.spreads);
        self.body.push(line.as_bytes())?;
        self.stats.push(self.runs, &self.spreads);
        self.values.iter_mut().for_each(Vec::clear);
        self.runs = 0;
        self.point += 1;
        Ok(())
    }

    /// The manifest the rows are aggregated by.
    pub fn manifest(&self) -> &Manifest {
        self.m.borrow()
    }

    /// Every point done (a point with no row has no value); the manifest
    /// is handed back.
    pub fn finish(mut self) -> io::Result<(M, Aggregated)> {
        let points = self.manifest().points.len();
        while self.point < points {
            self.close()?;
        }
        debug_assert_eq!(self.body.records(), points);
        Ok((
            self.m,
            Aggregated {
                stats: self.stats,
                body: self.body,
            },
        ))
    }
}

/// A line that could not be read: bad input when it is too long, else I/O.
pub fn line_error(e: LineError) -> StoreError {
    match e {
        LineError::TooLong(m) => refuse(m),
        LineError::Io(m) => io_error(m),
    }
}

/// From a sweep's aggregated points: the Pareto front, `points.csv` and
/// `summary.txt` (also written to `terminal`).
pub fn conclude(
    dir: &Path,
    m: &Manifest,
    budget: Option<Budget>,
    agg: Aggregated,
    terminal: &mut dyn Write,
) -> Result<Finished, StoreError> {
    let Aggregated { stats, body } = agg;
    let tradeoff = tradeoff_for(budget);
    let groups = condition_groups(m);
    let front = pareto_grouped(&stats, tradeoff, &groups);
    let on_front = front.members();
    write_atomic_with(&dir.join(POINTS_CSV), |w| {
        w.write_all(points_csv_head(&m.axes).as_bytes())?;
        body.replay(&mut |p, cells| {
            w.write_all(cells)?;
            w.write_all(b",")?;
            w.write_all(pareto_cell(&front, &on_front, p).as_bytes())?;
            w.write_all(b"\n")
        })
    })
    .map_err(|e| io_error(e.to_string()))?;
    write_atomic_with(&dir.join(SUMMARY_TXT), |w| {
        let mut both = Tee(w, terminal);
        let mut out = OneTrailingNewline::new(&mut both);
        write_summary(&mut out, m, &stats, &front, &groups, tradeoff, budget)?;
        out.finish()
    })
    .map_err(|e| io_error(e.to_string()))?;
    Ok(Finished {
        stats,
        front,
        tradeoff,
    })
}

/// Writes to two writers.
struct Tee<'a>(&'a mut dyn Write, &'a mut dyn Write);

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

/// Passes text on but for newlines at its end, of which it writes one at
/// [`OneTrailingNewline::finish`] (the summary's blocks each end with a
/// blank line, and the text ends with one newline).
struct OneTrailingNewline<'a> {
    inner: &'a mut dyn Write,
    held: usize,
}

impl<'a> OneTrailingNewline<'a> {
    fn new(inner: &'a mut dyn Write) -> OneTrailingNewline<'a> {
        OneTrailingNewline { inner, held: 0 }
    }

    fn finish(self) -> io::Result<()> {
        if self.held > 0 {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl Write for OneTrailingNewline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = buf.len() - buf.iter().rev().take_while(|&&b| b == b'\n').count();
        if text > 0 {
            for _ in 0..self.held {
                self.inner.write_all(b"\n")?;
            }
            self.inner.write_all(&buf[..text])?;
            self.held = 0;
        }
        self.held += buf.len() - text;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn metric_label(name: &str) -> &'static str {
    metric_index(name).map_or("?", |i| METRICS[i].label)
}

fn describe(m: &Manifest, point: usize) -> String {
    (m.axes.iter().enumerate())
        .map(|(a, name)| format!("{name}={}", m.points.label(point, a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The points table and the recommendation.
fn write_summary(
    out: &mut dyn Write,
    m: &Manifest,
    stats: &KeptStats,
    front: &Front,
    groups: &[(String, Vec<usize>)],
    t: Tradeoff,
    budget: Option<Budget>,
) -> io::Result<()> {
    write!(
        out,
        "sweep {}: {} x {} = {} (fingerprint {})\nmedian [95% interval across seeds]; * = Pareto-optimal ({} vs {}){}\n\n",
        m.sweep,
        count(m.points.len(), "point"),
        count(m.seeds.len(), "seed"),
        count(m.runs, "run"),
        m.fingerprint,
        metric_label(t.cost),
        metric_label(t.latency),
        super::aggregate::partial_note(stats, TABLE_METRICS)
    )?;
    let front_set = front.members();
    let on_front = |p: usize| if front_set.contains(&p) { "*" } else { " " };
    write_table(out, &m.axes, &m.points, stats, TABLE_METRICS, &on_front)?;
    out.write_all(b"\n")?;
    if !front.measured {
        out.write_all(
            "No crash was detected in any run, so there is no detection latency to trade \
             against: add a crash to the base scenario's timeline (e.g. `{at: 30m, crash: n-05}`).\n"
                .as_bytes(),
        )?;
        return Ok(());
    }
    let line = |p: usize| {
        let mut s = format!("  {}: {} ", describe(m, p), metric_label(t.latency));
        push_human_spread(&mut s, stats.get(p, t.latency), stats.runs(p));
        s.push_str(&format!(", {} ", metric_label(t.cost)));
        push_human_spread(&mut s, stats.get(p, t.cost), stats.runs(p));
        s
    };
    for ((label, members), (_, front_points)) in groups.iter().zip(&front.groups) {
        // Each sentence names its conditions; a heading above them said it twice.
        let under = if label.is_empty() {
            String::new()
        } else {
            format!(" under {label}")
        };
        writeln!(
            out,
            "Pareto-optimal configurations{under} (no other detects faster with fewer {}), fastest first:",
            metric_label(t.cost)
        )?;
        for &p in front_points {
            writeln!(out, "{}", line(p))?;
        }
        // A configuration that never detected the crash has no latency to
        // place on the trade-off: say so rather than drop it without a word.
        let mut undetected = members
            .iter()
            .filter(|&&p| stats.get(p, t.latency).is_none())
            .peekable();
        if undetected.peek().is_some() {
            write!(
                out,
                "Not on the trade-off{under} ({} in no seed): ",
                metric_label(t.latency)
            )?;
            for (i, &p) in undetected.enumerate() {
                if i > 0 {
                    out.write_all(b"; ")?;
                }
                out.write_all(describe(m, p).as_bytes())?;
            }
            out.write_all(b"\n")?;
        }
        let Some(b) = budget else {
            out.write_all(b"\n")?;
            continue;
        };
        match within_budget(stats, members.iter().copied(), t, b) {
            Some(p) => {
                writeln!(
                    out,
                    "Fastest-detecting configuration{under} within the budget ({} <= {} on the upper end of the 95% interval across seeds):",
                    metric_label(b.metric),
                    super::row::fmt_num(b.max)
                )?;
                writeln!(out, "{}", line(p))?;
            }
            None => {
                let best = members
                    .iter()
                    .filter_map(|&p| Some((p, stats.get(p, b.metric)?.hi)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                write!(
                    out,
                    "NO configuration{under} meets the budget ({} <= {} on the upper end of the 95% interval across seeds).",
                    metric_label(b.metric),
                    super::row::fmt_num(b.max)
                )?;
                if let Some((p, hi)) = best {
                    write!(
                        out,
                        " The closest is {} with {} up to {}.",
                        describe(m, p),
                        metric_label(b.metric),
                        super::aggregate::human(hi)
                    )?;
                }
                out.write_all(b"\n")?;
            }
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::aggregate::{aggregate, points_csv};
    use crate::batch::manifest::{PointMeta, PointTable};

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("flapsim-finish-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A sweep of 4 points (one axis, a condition of 2 values) and 5 seeds.
    fn manifest() -> Manifest {
        let points: PointTable = (0..4)
            .map(|p| PointMeta {
                labels: vec![format!("{p}"), ["a", "b"][p % 2].to_string()],
                values: vec![serde_json::json!(p), serde_json::json!(["a", "b"][p % 2])],
            })
            .collect();
        Manifest {
            flapsim: "test".into(),
            sweep: "s".into(),
            fingerprint: "0".into(),
            axes: vec!["k".into(), "c".into()],
            seeds: vec![11, 12, 13, 14, 15],
            runs: 20,
            points,
            shard: None,
            conditions: vec!["c".into()],
            windows: None,
        }
    }

    /// Run `run`'s row: values that are not in seed order, a metric some
    /// seeds lack, a point (3) that never detects.
    fn row(m: &Manifest, run: usize) -> Row {
        let (point, seed) = (run / 5, m.seeds[run % 5]);
        let values = (0..METRICS.len())
            .map(|i| {
                let x = ((run * 7 + i * 3) % 11) as f64 / 4.0 + point as f64;
                match METRICS[i].name {
                    n if n.starts_with("detect_") && (point == 3 || run.is_multiple_of(3)) => None,
                    _ => Some(x),
                }
            })
            .collect();
        Row {
            run,
            point,
            seed,
            digest: format!("{run:016x}"),
            values,
        }
    }

    /// Rule: rows aggregated one at a time, a point closed when the next
    /// point's first row comes, give the `points.csv` and the spreads of every
    /// row taken at once and grouped by point, on a sweep of several seeds
    /// with missing values and condition groups.
    #[test]
    fn rows_aggregated_one_at_a_time_give_what_every_row_at_once_gives() {
        let d = scratch_dir("same");
        let m = manifest();
        let rows: Vec<Row> = (0..m.runs).map(|r| row(&m, r)).collect();
        let mut agg = Aggregator::new(&m, &d).unwrap();
        for r in &rows {
            agg.push(r).unwrap();
        }
        let (_, agg) = agg.finish().unwrap();
        let done = conclude(&d, &m, None, agg, &mut std::io::sink())
            .map_err(|e| e.message)
            .unwrap();
        let whole = aggregate(m.points.len(), &rows);
        let front = pareto_grouped(whole.as_slice(), FLAPS_VS_DETECTION, &condition_groups(&m));
        assert_eq!(done.front, front);
        assert!(done.front.measured);
        assert_eq!(done.stats, KeptStats::from(&whole[..]));
        let labels: Vec<Vec<String>> = (0..4)
            .map(|p| (0..2).map(|a| m.points.label(p, a).to_string()).collect())
            .collect();
        assert_eq!(
            std::fs::read_to_string(d.join(POINTS_CSV)).unwrap(),
            points_csv(&m.axes, &labels, &whole, &front)
        );
        // Nothing left beside the outputs (the scratch file was unlinked).
        let mut names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [POINTS_CSV, SUMMARY_TXT]);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
