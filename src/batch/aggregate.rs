//! Across seeds: per point, the median and a 95 % interval of every metric; the
//! Pareto front of a trade-off; the recommendation under a budget.
//!
//! Quantiles are nearest-rank (like every latency in the reports): always a value
//! some seed produced, no interpolation, identical on every platform. The 95 %
//! interval is the 2.5th and 97.5th percentile across seeds, so with fewer than 40
//! seeds it is the min–max range; it describes the spread of the simulated
//! outcomes, not a confidence interval of the median.

use super::row::{csv_cell, metric_index, Row, METRICS};

/// A metric across the seeds of one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// Seeds that had a value (detection needs a crash, rejoin needs a flap).
    pub n: usize,
}

/// Nearest-rank quantile of ascending `sorted` (non-empty).
fn rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let r = (q * n as f64).ceil() as usize;
    sorted[r.clamp(1, n) - 1]
}

/// Median and 95 % interval of `values` (None when empty).
pub fn spread(values: &[f64]) -> Option<Spread> {
    spread_sorting(&mut values.to_vec())
}

/// [`spread`] of `values`, sorting them in place (no copy per point and metric).
pub fn spread_sorting(v: &mut [f64]) -> Option<Spread> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Spread {
        median: rank(v, 0.5),
        lo: rank(v, 0.025),
        hi: rank(v, 0.975),
        n: v.len(),
    })
}

/// One point's aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStats {
    pub point: usize,
    /// Runs (seeds) aggregated.
    pub runs: usize,
    /// One per [`METRICS`] entry.
    pub metrics: Vec<Option<Spread>>,
}

impl PointStats {
    pub fn get(&self, metric: &str) -> Option<Spread> {
        metric_index(metric).and_then(|i| self.metrics[i])
    }
}

/// Per-point aggregates as tables, fronts and charts read them: point `p`'s
/// run count and its spread of a metric. A finished sweep keeps only the
/// metrics they read ([`KeptStats`]); a comparison keeps every one
/// (`[PointStats]`).
pub trait Stats {
    /// How many points.
    fn points(&self) -> usize;
    /// Runs (seeds) aggregated for point `p`.
    fn runs(&self, p: usize) -> usize;
    /// Point `p`'s spread of `metric`.
    fn get(&self, p: usize, metric: &str) -> Option<Spread>;
}

impl Stats for [PointStats] {
    fn points(&self) -> usize {
        self.len()
    }
    fn runs(&self, p: usize) -> usize {
        self[p].runs
    }
    fn get(&self, p: usize, metric: &str) -> Option<Spread> {
        self[p].get(metric)
    }
}

/// The metrics a finished sweep keeps for every point once `points.csv` is
/// written: the summary's table, which holds every metric the charts
/// (`SWEEP_METRICS`), the trade-offs and the budgets read.
pub const KEPT_METRICS: &[&str] = crate::batch::finish::TABLE_METRICS;

/// Every point's spread of the [`KEPT_METRICS`], one column per metric.
///
/// Why: a [`PointStats`] holds all 25 metrics (a kilobyte with its
/// allocation), 1 GB for a sweep of 10⁶ points, though what is drawn and
/// printed after `points.csv` reads 7 of them. Here a point costs 200 bytes:
/// per kept metric its median, interval and count of seeds (0: no value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptStats {
    runs: Vec<u32>,
    /// Per kept metric, per point: (median, lo, hi).
    spreads: Vec<Vec<[f64; 3]>>,
    /// Per kept metric, per point: seeds with a value (0: none).
    counts: Vec<Vec<u32>>,
}

impl KeptStats {
    /// The [`METRICS`] index of each kept metric.
    fn kept() -> impl Iterator<Item = usize> {
        KEPT_METRICS
            .iter()
            .map(|m| metric_index(m).expect("kept metrics are metrics"))
    }

    /// Room for `points` points, allocated once (grown a point at a time,
    /// each column's last doubling left it up to twice the size it needs).
    pub fn with_capacity(points: usize) -> KeptStats {
        KeptStats {
            runs: Vec::with_capacity(points),
            spreads: (0..KEPT_METRICS.len())
                .map(|_| Vec::with_capacity(points))
                .collect(),
            counts: (0..KEPT_METRICS.len())
                .map(|_| Vec::with_capacity(points))
                .collect(),
        }
    }

    /// Append the next point: its runs and its spread of every metric (in
    /// [`METRICS`] order).
    pub fn push(&mut self, runs: usize, metrics: &[Option<Spread>]) {
        if self.spreads.is_empty() {
            self.spreads = vec![Vec::new(); KEPT_METRICS.len()];
            self.counts = vec![Vec::new(); KEPT_METRICS.len()];
        }
        self.runs.push(u32::try_from(runs).unwrap_or(u32::MAX));
        for (k, m) in Self::kept().enumerate() {
            let s = metrics[m];
            self.spreads[k].push(s.map_or([0.0; 3], |s| [s.median, s.lo, s.hi]));
            self.counts[k].push(s.map_or(0, |s| u32::try_from(s.n).unwrap_or(u32::MAX)));
        }
    }
}

/// Keeps the [`KEPT_METRICS`] of aggregates made of every metric.
impl From<&[PointStats]> for KeptStats {
    fn from(stats: &[PointStats]) -> KeptStats {
        let mut k = KeptStats::default();
        for p in stats {
            k.push(p.runs, &p.metrics);
        }
        k
    }
}

impl Stats for KeptStats {
    fn points(&self) -> usize {
        self.runs.len()
    }
    fn runs(&self, p: usize) -> usize {
        self.runs[p] as usize
    }
    /// A metric that is not kept has no value here: the unit test
    /// `every_metric_read_after_points_csv_is_kept` holds the list to what
    /// is read.
    fn get(&self, p: usize, metric: &str) -> Option<Spread> {
        let k = KEPT_METRICS.iter().position(|m| *m == metric)?;
        let n = self.counts[k][p];
        (n > 0).then(|| {
            let [median, lo, hi] = self.spreads[k][p];
            Spread {
                median,
                lo,
                hi,
                n: n as usize,
            }
        })
    }
}

/// Aggregate `rows` (any order) into one [`PointStats`] per point of the plan.
pub fn aggregate(points: usize, rows: &[Row]) -> Vec<PointStats> {
    let mut by_point: Vec<Vec<&Row>> = vec![Vec::new(); points];
    for r in rows {
        if let Some(v) = by_point.get_mut(r.point) {
            v.push(r);
        }
    }
    by_point
        .into_iter()
        .enumerate()
        .map(|(point, rows)| PointStats {
            point,
            runs: rows.len(),
            metrics: (0..METRICS.len())
                .map(|m| spread(&rows.iter().filter_map(|r| r.values[m]).collect::<Vec<_>>()))
                .collect(),
        })
        .collect()
}

/// `points.csv`'s header line (with its newline).
pub fn points_csv_head(plan_axes: &[String]) -> String {
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(plan_axes.iter().map(|a| csv_cell(a)));
    head.push("runs".into());
    for m in METRICS {
        for s in ["median", "lo95", "hi95"] {
            head.push(format!("{}_{s}", m.name));
        }
    }
    head.push("pareto".into());
    let mut out = head.join(",");
    out.push('\n');
    out
}

/// Point `point`'s line of `points.csv` up to (and without) its last cell,
/// `pareto`, and the comma before it: the last cell waits for the front,
/// known once every point is in, and the rest of the line is written before.
pub fn points_csv_cells<'a>(
    point: usize,
    labels: impl Iterator<Item = &'a str>,
    runs: usize,
    metrics: &[Option<Spread>],
) -> String {
    use std::fmt::Write;
    // Written into one string (a string per cell was most of the time a
    // sweep of 10⁶ points spent on its `points.csv`).
    let mut out = point.to_string();
    for l in labels {
        out.push(',');
        out.push_str(&csv_cell(l));
    }
    let _ = write!(out, ",{runs}");
    for s in metrics {
        match s {
            Some(s) => {
                let _ = write!(out, ",{},{},{}", s.median, s.lo, s.hi);
            }
            None => out.push_str(",,,"),
        }
    }
    out
}

/// The `pareto` cell of `point`: 1 on the front, 0 off it, empty when the
/// sweep measured no detection latency.
pub fn pareto_cell(front: &Front, on_front: &FrontSet, point: usize) -> &'static str {
    match (front.measured, on_front.contains(&point)) {
        (false, _) => "",
        (true, true) => "1",
        (true, false) => "0",
    }
}

/// `points.csv`: per point, every axis value, the run count, and per metric its
/// median and 95 % interval; `pareto` is 1 for configurations on the trade-off's
/// Pareto front (empty when the sweep measured no detection latency).
pub fn points_csv(
    plan_axes: &[String],
    plan: &[Vec<String>],
    stats: &[PointStats],
    front: &Front,
) -> String {
    let mut out = points_csv_head(plan_axes);
    let on_front = front.members();
    for (p, labels) in stats.iter().zip(plan) {
        let cells = points_csv_cells(
            p.point,
            labels.iter().map(|l| l.as_str()),
            p.runs,
            &p.metrics,
        );
        out.push_str(&cells);
        out.push(',');
        out.push_str(pareto_cell(front, &on_front, p.point));
        out.push('\n');
    }
    out
}

/// What a trade-off compares: a cost to keep low (flap rate or FP at healthy) and
/// the detection latency of real crashes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tradeoff {
    /// Metric name of the cost (y of the trade-off chart).
    pub cost: &'static str,
    /// Metric name of the latency (x).
    pub latency: &'static str,
}

/// The default trade-off: flaps of healthy nodes per hour against the time until
/// a crashed node is first declared dead.
pub const FLAPS_VS_DETECTION: Tradeoff = Tradeoff {
    cost: "flaps_healthy_per_hour",
    latency: "detect_dead_p50_s",
};

/// FP at healthy nodes per hour against detection.
pub const FP_VS_DETECTION: Tradeoff = Tradeoff {
    cost: "fp_healthy_per_hour",
    latency: "detect_dead_p50_s",
};

/// The Pareto front of a trade-off.
#[derive(Clone, Debug, PartialEq)]
pub struct Front {
    /// False when no point has both metrics (no crash in the sweep).
    pub measured: bool,
    /// Points on the front, by increasing latency (every group's, in group order).
    pub points: Vec<usize>,
    /// Per combination of condition values (one unnamed group without
    /// conditions): its label and its front, by increasing latency.
    pub groups: Vec<(String, Vec<usize>)>,
}

impl Front {
    /// The front's points as a set: tables ask of every point whether it is
    /// on the front, and a search of the front for each grew with their
    /// product.
    pub fn members(&self) -> FrontSet {
        let n = self.points.iter().max().map_or(0, |&p| p + 1);
        let mut on = vec![false; n];
        for &p in &self.points {
            on[p] = true;
        }
        FrontSet(on)
    }
}

/// Which points are on a front: one flag per point up to the last one on it
/// (a set of 10⁶ front points as a tree took 40 MB, as flags 1 MB).
#[derive(Clone, Debug, PartialEq)]
pub struct FrontSet(Vec<bool>);

impl FrontSet {
    pub fn contains(&self, p: &usize) -> bool {
        self.0.get(*p).copied().unwrap_or(false)
    }
}

/// Points no other point beats on both medians (lower cost and lower latency,
/// strictly better on one).
pub fn pareto<S: Stats + ?Sized>(stats: &S, t: Tradeoff) -> Front {
    pareto_grouped(stats, t, &[(String::new(), (0..stats.points()).collect())])
}

/// [`pareto`] within each group of points (`(label, point indices)`): points
/// are only compared with points under the same conditions.
///
/// Each group's front is found by a sort and one sweep, O(n log n): the
/// comparison of every point with every other (O(n²)) did not finish for a
/// sweep of 10⁶ points. Nothing is cloned per group.
pub fn pareto_grouped<S: Stats + ?Sized>(
    stats: &S,
    t: Tradeoff,
    groups: &[(String, Vec<usize>)],
) -> Front {
    let mut front = Front {
        measured: false,
        points: Vec::new(),
        groups: Vec::new(),
    };
    for (label, members) in groups {
        let xy: Vec<(usize, f64, f64)> = members
            .iter()
            .filter(|&&p| p < stats.points())
            .filter_map(|&p| {
                Some((
                    p,
                    stats.get(p, t.latency)?.median,
                    stats.get(p, t.cost)?.median,
                ))
            })
            .collect();
        front.measured |= !xy.is_empty();
        let points = front_of(xy);
        front.points.extend(&points);
        front.groups.push((label.clone(), points));
    }
    front
}

/// The points of `xy` (point, latency, cost) that no other beats: none has
/// `x2 <= x && y2 <= y` with one strictly lower (IEEE comparisons, so a point
/// with a NaN coordinate is never beaten and beats none), by increasing
/// latency, then cost, then point.
///
/// Sorted by latency, a point is beaten exactly when an earlier point with a
/// strictly lower latency has a cost at most its own, or a point with the
/// same latency has a strictly lower cost: one sweep keeps the lowest cost
/// seen so far.
fn front_of(mut xy: Vec<(usize, f64, f64)>) -> Vec<usize> {
    let (mut points, mut rest): (Vec<_>, Vec<_>) = xy
        .drain(..)
        .partition(|&(_, x, y)| x.is_nan() || y.is_nan());
    // No NaN left: `partial_cmp` is a total order up to 0.0 == -0.0, which
    // the comparisons of the definition treat alike.
    rest.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    let mut lowest_before = f64::INFINITY;
    let mut seen_any = false;
    for same_x in rest.chunk_by(|a, b| a.1 == b.1) {
        let lowest_here = same_x.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
        points.extend(
            same_x
                .iter()
                .filter(|&&(_, _, y)| y <= lowest_here && (!seen_any || y < lowest_before)),
        );
        lowest_before = lowest_before.min(lowest_here);
        seen_any = true;
    }
    points.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(a.2.total_cmp(&b.2))
            .then(a.0.cmp(&b.0))
    });
    points.into_iter().map(|p| p.0).collect()
}

/// A limit on a cost metric, met when the upper end of its 95 % interval is within it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub metric: &'static str,
    pub max: f64,
}

/// The fastest-detecting point whose cost stays within the budget on (nearly)
/// every seed; ties go to the lower cost, then the lower point index.
pub fn within_budget<S: Stats + ?Sized>(
    stats: &S,
    points: impl IntoIterator<Item = usize>,
    t: Tradeoff,
    b: Budget,
) -> Option<usize> {
    points
        .into_iter()
        .filter_map(|p| {
            let cost = stats.get(p, b.metric)?;
            let lat = stats.get(p, t.latency)?;
            (cost.hi <= b.max).then_some((p, lat.median, cost.median))
        })
        .min_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.2.total_cmp(&b.2))
                .then(a.0.cmp(&b.0))
        })
        .map(|p| p.0)
}

/// A number for people: whole numbers plain, others to 3 significant-ish digits.
pub fn human(x: f64) -> String {
    let mut s = String::new();
    push_human(&mut s, x);
    s
}

/// [`human`], appended to `out` (no allocation per number: a table of 10⁶
/// points formats 20 numbers a point, twice).
pub fn push_human(out: &mut String, x: f64) {
    use std::fmt::Write;
    let _ = if (x == x.trunc() && x.abs() < 1e9) || x.abs() >= 100.0 {
        write!(out, "{x:.0}")
    } else if x.abs() >= 10.0 {
        write!(out, "{x:.1}")
    } else {
        write!(out, "{x:.2}")
    };
}

/// `median [lo–hi]`, or `–` without samples; `(k of n)` after it when only
/// `k` of the point's `runs` seeds had a value (a crash detected in 6 seeds
/// of 8: the median and interval say nothing of the other 2).
pub fn human_spread(s: Option<Spread>, runs: usize) -> String {
    let mut out = String::new();
    push_human_spread(&mut out, s, runs);
    out
}

/// [`human_spread`], appended to `out`.
pub fn push_human_spread(out: &mut String, s: Option<Spread>, runs: usize) {
    use std::fmt::Write;
    let Some(s) = s else {
        out.push('–');
        return;
    };
    push_human(out, s.median);
    if s.lo != s.hi {
        out.push_str(" [");
        push_human(out, s.lo);
        out.push('–');
        push_human(out, s.hi);
        out.push(']');
    }
    if s.n < runs {
        let _ = write!(out, " ({} of {runs})", s.n);
    }
}

/// The table heading's note for `(k of n)` cells, when any of `metrics` in
/// `stats` has one (empty otherwise).
pub fn partial_note<S: Stats + ?Sized>(stats: &S, metrics: &[&str]) -> &'static str {
    let partial = (0..stats.points()).any(|p| {
        metrics
            .iter()
            .any(|m| stats.get(p, m).is_some_and(|s| s.n < stats.runs(p)))
    });
    if partial {
        "; (k of n): only k of the n seeds had a value (no crash detected, no flap to time)"
    } else {
        ""
    }
}

/// Point `p`'s label on axis `a`, as a table of points reads it.
pub trait Labels {
    fn label(&self, p: usize, a: usize) -> &str;
}

impl Labels for super::manifest::PointTable {
    fn label(&self, p: usize, a: usize) -> &str {
        super::manifest::PointTable::label(self, p, a)
    }
}

impl Labels for [Vec<String>] {
    fn label(&self, p: usize, a: usize) -> &str {
        &self[p][a]
    }
}

impl Labels for Vec<Vec<String>> {
    fn label(&self, p: usize, a: usize) -> &str {
        &self[p][a]
    }
}

/// A text table of points: one row per point, the axis values and the given
/// metrics as `median [lo–hi]`.
///
/// A heading wider than its column's values wraps onto a second line at a
/// space (`flaps of` over `healthy nodes/h`), so the column is as wide as its
/// values: the Lifeguard ablation's table was 190 characters wide with
/// one-line headings, and a terminal narrower than that wrapped every row.
pub fn text_table<S: Stats + ?Sized>(
    axes: &[String],
    labels: &dyn Labels,
    stats: &S,
    metrics: &[&str],
    mark: &dyn Fn(usize) -> &'static str,
) -> String {
    let mut out = Vec::new();
    write_table(&mut out, axes, labels, stats, metrics, mark).expect("a Vec takes every byte");
    String::from_utf8(out).expect("the table is text")
}

/// [`text_table`], written to `out` as it is made: the rows are formatted
/// once to measure the columns and once more to write them, never held (a
/// table of 10⁶ points held as cells took 450 MB).
pub fn write_table<S: Stats + ?Sized>(
    out: &mut dyn std::io::Write,
    axes: &[String],
    labels: &dyn Labels,
    stats: &S,
    metrics: &[&str],
    mark: &dyn Fn(usize) -> &'static str,
) -> std::io::Result<()> {
    let mut head: Vec<String> = axes.to_vec();
    head.extend(metrics.iter().map(|m| {
        metric_index(m)
            .map(|i| METRICS[i].label.to_string())
            .unwrap_or_else(|| m.to_string())
    }));
    let chars = |s: &str| s.chars().count();
    // One row's cells, rebuilt in place for every point.
    let mut cells: Vec<String> = vec![String::new(); head.len()];
    let row = |p: usize, cells: &mut Vec<String>| {
        for (a, cell) in cells.iter_mut().take(axes.len()).enumerate() {
            cell.clear();
            if a == 0 {
                cell.push_str(mark(p));
            }
            cell.push_str(labels.label(p, a));
        }
        for (m, cell) in metrics.iter().zip(cells.iter_mut().skip(axes.len())) {
            cell.clear();
            push_human_spread(cell, stats.get(p, m), stats.runs(p));
        }
    };
    let mut values = vec![0usize; head.len()];
    for p in 0..stats.points() {
        row(p, &mut cells);
        for (w, cell) in values.iter_mut().zip(&cells) {
            *w = (*w).max(chars(cell));
        }
    }
    // Each heading as (top line, bottom line); one-line headings sit at the
    // bottom, next to the values.
    let heading: Vec<(String, String)> = head
        .iter()
        .zip(&values)
        .map(|(h, &w)| wrap_heading(h, w))
        .collect();
    let width: Vec<usize> = heading
        .iter()
        .zip(&values)
        .map(|((top, bottom), &w)| w.max(chars(top)).max(chars(bottom)))
        .collect();
    let mut line = String::new();
    let mut put = |out: &mut dyn std::io::Write, cells: &[String]| {
        line.clear();
        for (c, s) in cells.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = width[c] - chars(s);
            if c < axes.len() {
                line.push_str(s);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(s);
            }
        }
        out.write_all(line.trim_end().as_bytes())?;
        out.write_all(b"\n")
    };
    if heading.iter().any(|(top, _)| !top.is_empty()) {
        let top: Vec<String> = heading.iter().map(|(top, _)| top.clone()).collect();
        put(out, &top)?;
    }
    let bottom: Vec<String> = heading.into_iter().map(|(_, bottom)| bottom).collect();
    put(out, &bottom)?;
    for p in 0..stats.points() {
        row(p, &mut cells);
        put(out, &cells)?;
    }
    Ok(())
}

/// A heading as (top, bottom) lines for a column whose values are `values`
/// characters wide: one line (top empty) when it fits, else split at the space
/// that makes the wider line narrowest, when that is narrower than the
/// heading.
fn wrap_heading(heading: &str, values: usize) -> (String, String) {
    let chars = |s: &str| s.chars().count();
    let whole = chars(heading);
    if whole <= values {
        return (String::new(), heading.to_string());
    }
    let split = heading
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| (&heading[..i], &heading[i + 1..]))
        .min_by_key(|(top, bottom)| chars(top).max(chars(bottom)));
    match split {
        Some((top, bottom)) if chars(top).max(chars(bottom)) < whole => {
            (top.to_string(), bottom.to_string())
        }
        _ => (String::new(), heading.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(point: usize, lat: f64, cost: f64) -> PointStats {
        let mut metrics = vec![None; METRICS.len()];
        let s = |v: f64| {
            Some(Spread {
                median: v,
                lo: v,
                hi: v * 2.0,
                n: 3,
            })
        };
        metrics[metric_index("detect_dead_p50_s").unwrap()] = s(lat);
        metrics[metric_index("flaps_healthy_per_hour").unwrap()] = s(cost);
        PointStats {
            point,
            runs: 3,
            metrics,
        }
    }

    #[test]
    fn nearest_rank_spread_uses_observed_values() {
        let s = spread(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.median, s.lo, s.hi, s.n), (3.0, 1.0, 5.0, 5));
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = spread(&many).unwrap();
        assert_eq!((s.median, s.lo, s.hi), (50.0, 3.0, 98.0));
        assert_eq!(spread(&[]), None);
    }

    /// Rule: a spread taken over fewer seeds than the point ran says how many
    /// (a crash detected in 6 seeds of 8), and the table's heading explains it;
    /// a full one reads as before.
    #[test]
    fn a_spread_over_some_seeds_says_how_many() {
        let six = spread(&[8.0, 8.29, 8.5, 7.99, 8.74, 8.3]).unwrap();
        assert_eq!(human_spread(Some(six), 8), "8.29 [7.99–8.74] (6 of 8)");
        assert_eq!(human_spread(Some(six), 6), "8.29 [7.99–8.74]");
        assert_eq!(human_spread(None, 8), "–");
        let mut p = stats(0, 1.0, 2.0);
        assert_eq!(
            partial_note(std::slice::from_ref(&p), &["detect_dead_p50_s"]),
            ""
        );
        p.runs = 4;
        assert!(partial_note(&[p][..], &["detect_dead_p50_s"]).contains("(k of n)"));
    }

    /// Rule: every metric read after `points.csv` is written (the summary's
    /// table, the sweep charts, both trade-offs and both budgets) is one a
    /// finished sweep keeps for every point; any other reads as no value.
    #[test]
    fn every_metric_read_after_points_csv_is_kept() {
        let trade = [FLAPS_VS_DETECTION, FP_VS_DETECTION];
        let (costs, latencies) = (trade.map(|t| t.cost), trade.map(|t| t.latency));
        let read = (crate::batch::store::TABLE_METRICS.iter())
            .chain(crate::chart::sweep::SWEEP_METRICS)
            .chain(&costs)
            .chain(&latencies);
        for m in read {
            assert!(KEPT_METRICS.contains(m), "{m} is read but not kept");
        }
        let p = stats(0, 1.5, 2.5);
        let kept = KeptStats::from(std::slice::from_ref(&p));
        for m in KEPT_METRICS {
            assert_eq!(kept.get(0, m), p.get(m), "{m}");
        }
        assert_eq!(kept.runs(0), 3);
    }

    /// Rule: a Pareto-optimal point is one no other point beats on both objectives.
    #[test]
    fn pareto_front_keeps_only_undominated_points() {
        let s = vec![
            stats(0, 1.0, 10.0), // fastest, flappiest: on the front
            stats(1, 2.0, 5.0),  // on the front
            stats(2, 3.0, 5.0),  // dominated by 1
            stats(3, 4.0, 0.0),  // on the front
            stats(4, 5.0, 1.0),  // dominated by 3
        ];
        let f = pareto(s.as_slice(), FLAPS_VS_DETECTION);
        assert!(f.measured);
        assert_eq!(f.points, vec![0, 1, 3]);
        // Budget on the upper end (2 × median here): 5 → hi 10 fails a budget of 6.
        let b = |max| Budget {
            metric: "flaps_healthy_per_hour",
            max,
        };
        assert_eq!(
            within_budget(s.as_slice(), 0..s.len(), FLAPS_VS_DETECTION, b(10.0)),
            Some(1)
        );
        assert_eq!(
            within_budget(s.as_slice(), 0..s.len(), FLAPS_VS_DETECTION, b(6.0)),
            Some(3)
        );
        assert_eq!(
            within_budget(s.as_slice(), 0..s.len(), FLAPS_VS_DETECTION, b(-1.0)),
            None
        );
    }

    /// The definition, point against point (O(n²), as the front was found
    /// before): what the sweep must reproduce.
    fn front_by_definition(xy: &[(usize, f64, f64)]) -> Vec<usize> {
        let mut points: Vec<(usize, f64, f64)> = xy
            .iter()
            .copied()
            .filter(|&(_, x, y)| {
                !xy.iter()
                    .any(|&(_, x2, y2)| x2 <= x && y2 <= y && (x2 < x || y2 < y))
            })
            .collect();
        points.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.2.total_cmp(&b.2))
                .then(a.0.cmp(&b.0))
        });
        points.into_iter().map(|p| p.0).collect()
    }

    /// Rule: the front found by one sweep over the points sorted by latency
    /// is the front of the definition, the same points in the same order,
    /// with ties, repeated points, zeros of both signs, infinities and NaN.
    #[test]
    fn the_swept_pareto_front_is_the_front_of_the_definition() {
        use rand_core::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let odd = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1.0,
            2.0,
        ];
        for case in 0..2000 {
            let n = (rng.next_u32() % 40) as usize;
            // Few distinct values, so ties are common; sometimes odd ones.
            let value = |rng: &mut rand_chacha::ChaCha8Rng| {
                if rng.next_u32().is_multiple_of(8) {
                    odd[(rng.next_u32() % odd.len() as u32) as usize]
                } else {
                    f64::from(rng.next_u32() % (1 + case % 12))
                }
            };
            let xy: Vec<(usize, f64, f64)> = (0..n)
                .map(|p| (p * 3 % 41, value(&mut rng), value(&mut rng)))
                .collect();
            assert_eq!(
                front_of(xy.clone()),
                front_by_definition(&xy),
                "case {case}: {xy:?}"
            );
        }
    }

    /// Rule: a front of many points is found in O(n log n): 2·10⁵ points on
    /// one staircase (all on the front) would take 4·10¹⁰ comparisons by the
    /// definition; the sweep takes well under a second.
    #[test]
    fn a_front_of_many_points_is_found_by_one_sweep() {
        let n = 200_000;
        let xy: Vec<(usize, f64, f64)> = (0..n).map(|p| (p, p as f64, (n - p) as f64)).collect();
        let front = front_of(xy);
        assert_eq!(front.len(), n);
        assert!(front.windows(2).all(|w| w[0] < w[1]));
    }

    /// Rule: under condition axes, a configuration competes only with the
    /// configurations run under the same conditions.
    #[test]
    fn grouped_fronts_compare_within_a_condition_only() {
        let s = vec![
            stats(0, 1.0, 1.0), // condition A: dominates 1
            stats(1, 2.0, 2.0),
            stats(2, 3.0, 30.0), // condition B: dominated globally by 0 and 1, best in B
            stats(3, 4.0, 40.0),
        ];
        let groups = vec![
            ("c=A".to_string(), vec![0, 1]),
            ("c=B".to_string(), vec![2, 3]),
        ];
        let f = pareto_grouped(s.as_slice(), FLAPS_VS_DETECTION, &groups);
        assert_eq!(
            f.groups,
            vec![("c=A".to_string(), vec![0]), ("c=B".to_string(), vec![2])]
        );
        assert_eq!(f.points, vec![0, 2]);
        assert_eq!(pareto(s.as_slice(), FLAPS_VS_DETECTION).points, vec![0]);
    }

    /// A heading wider than its values wraps at a space; one that fits, or
    /// has no space, stays on one line, next to the values.
    #[test]
    fn wide_headings_wrap_onto_two_lines() {
        assert_eq!(
            wrap_heading("flaps of healthy nodes/h", 16),
            ("flaps of".into(), "healthy nodes/h".into())
        );
        assert_eq!(
            wrap_heading("detection p50 (s)", 16),
            ("detection".into(), "p50 (s)".into())
        );
        assert_eq!(
            wrap_heading("msgs per node-s", 16),
            ("".into(), "msgs per node-s".into())
        );
        assert_eq!(
            wrap_heading("protocol.suspicion_mult", 4),
            ("".into(), "protocol.suspicion_mult".into())
        );
        let axes = vec!["lifeguard".to_string()];
        let labels = vec![vec!["none".to_string()], vec!["all".to_string()]];
        let s = vec![stats(0, 11.6, 60.0), stats(1, 12.4, 0.0)];
        let table = text_table(
            &axes,
            &labels,
            s.as_slice(),
            &["flaps_healthy_per_hour", "detect_dead_p50_s"],
            &|p| if p == 1 { "*" } else { " " },
        );
        assert_eq!(
            table,
            "                  flaps of         detection\n\
             lifeguard  healthy nodes/h           p50 (s)\n\
             \x20none          60 [60–120]  11.6 [11.6–23.2]\n\
             *all                     0  12.4 [12.4–24.8]\n"
        );
    }
}
