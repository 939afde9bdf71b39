//! Sweep charts: metrics against an axis with the spread across seeds, a heatmap
//! for two axes, and the trade-off chart (a cost such as flaps of healthy nodes
//! against crash detection latency, one point per configuration, the Pareto front
//! drawn and labelled).
//!
//! Everything is drawn from the manifest and the aggregates, which are computed
//! from `results.jsonl` only, so a sweep, a resumed sweep and a merge of shards
//! draw the same bytes.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::element::MultiLineText;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::batch::aggregate::{Spread, Stats, Tradeoff};
use crate::batch::row::{metric_index, METRICS};
use crate::batch::store::{Finished, Manifest};
use crate::report::write_atomic;

use super::frame::{caption_style, house_mesh, label_style, legend_style};
use super::glyph::{Glyph, GlyphKind};
use super::palette::{series_style, Dash, Marker, SeriesStyle, INK, MUTED};
use super::{
    axis_number, err, nice_max, render, BarPanel, BarSeries, Chart, ChartError, Figure, Frame,
    HeatmapPanel, Line, LinePanel, Panel,
};

/// Metrics drawn against the axes.
pub const SWEEP_METRICS: &[&str] = &[
    "flaps_healthy_per_hour",
    "fp_healthy_per_hour",
    "detect_dead_p50_s",
    "msgs_per_node_s",
];

/// Most series the metrics chart draws alike in grey (1 in every k past it).
pub const MAX_ALIKE_SERIES: usize = 200;

/// Series the palette tells apart by colour alone.
const MAX_SERIES: usize = 8;

fn label(metric: &str) -> &'static str {
    metric_index(metric).map_or("?", |i| METRICS[i].label)
}

/// Numeric value of every label of axis `a`, if all are numbers or durations.
fn numeric_axis(m: &Manifest, a: usize) -> Option<Vec<f64>> {
    (0..m.points.len())
        .map(|p| {
            let v = m.points.value(p, a);
            v.as_f64().or_else(|| {
                v.as_str()
                    .and_then(|s| crate::units::parse_duration(s).ok())
                    .map(|ns| ns as f64 / 1e9)
            })
        })
        .collect()
}

/// The x-axis description of axis `a`: its name, with the unit when its
/// values are durations (plotted in seconds: `probe_timeout (s)`, where the
/// bare name left 0.1–0.5 without a unit).
fn axis_desc(m: &Manifest, a: usize) -> String {
    let duration = (0..m.points.len()).any(|p| {
        m.points
            .value(p, a)
            .as_str()
            .is_some_and(|s| crate::units::parse_duration(s).is_ok())
    });
    if duration {
        format!("{} (s)", m.axes[a])
    } else {
        m.axes[a].clone()
    }
}

/// Distinct labels of axis `a` in first-seen order: a set lookup per point
/// (a search of the labels found so far grew with points × values).
fn distinct(m: &Manifest, a: usize) -> Vec<String> {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    (0..m.points.len())
        .map(|p| m.points.label(p, a))
        .filter(|l| seen.insert(l))
        .map(|l| l.to_string())
        .collect()
}

/// Key of a point on every axis but `x`: its series.
fn series_key(m: &Manifest, point: usize, x: usize) -> String {
    m.axes
        .iter()
        .enumerate()
        .filter(|(a, _)| *a != x)
        .map(|(a, name)| format!("{name}={}", m.points.label(point, a)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn subtitle(m: &Manifest) -> String {
    format!(
        "sweep {} · {} × {} · median and 95% interval across seeds",
        m.sweep,
        crate::units::count(m.points.len(), "point"),
        crate::units::count(m.seeds.len(), "seed")
    )
}

/// Series of the metrics chart against axis `x`: the keys of the other axes'
/// combinations in first-seen order, and each point's series index. One pass
/// over the points (a lookup per point, where a search of every point per
/// series grew with their product).
fn metric_series(m: &Manifest, x: usize) -> (Vec<String>, Vec<usize>) {
    let mut keys: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let of_point = (0..m.points.len())
        .map(|p| {
            let k = series_key(m, p, x);
            *index.entry(k.clone()).or_insert_with(|| {
                keys.push(k);
                keys.len() - 1
            })
        })
        .collect();
    (keys, of_point)
}

/// Metrics against the first numeric axis (lines with a spread band, one per
/// combination of the other axes), or grouped bars with error bars when no axis
/// is numeric.
///
/// Every series is drawn (the first eight were, and the rest silently left
/// out but for a subtitle note): past the palette's eight colours the styles
/// come round again with another dash and marker, each named in the legend.
/// Past [`MAX_TRADEOFF_SERIES`] the legend would fill the panels, so the
/// series are drawn alike in grey, without bands, and the subtitle says so.
pub fn metrics_chart<S: Stats + ?Sized>(m: &Manifest, stats: &S) -> Figure {
    let x = (0..m.axes.len())
        .find(|&a| numeric_axis(m, a).is_some() && distinct(m, a).len() > 1)
        .unwrap_or(0);
    let xs = numeric_axis(m, x);
    let (keys, series_of) = metric_series(m, x);
    let apart = keys.len() <= MAX_TRADEOFF_SERIES;
    // Past MAX_ALIKE_SERIES, 1 in every `step` series is drawn: a thousand
    // grey lines are one grey block, and an SVG of tens of megabytes.
    let step = keys.len().div_ceil(MAX_ALIKE_SERIES).max(1);
    let note = if apart {
        String::new()
    } else if step > 1 {
        format!(
            " · 1 in {step} of {} series (combinations of the other axes) drawn alike; points.csv has each",
            keys.len()
        )
    } else {
        format!(
            " · {} series (every combination of the other axes) drawn alike; points.csv has each",
            keys.len()
        )
    };
    // Only when told apart does a series get a name (its legend entry).
    let name = |k: usize, metric: &str| match (apart, keys[k].is_empty()) {
        (false, _) => String::new(),
        (true, true) => label(metric).to_string(),
        (true, false) => keys[k].clone(),
    };
    let alike = SeriesStyle {
        color: super::palette::mix(MUTED, WHITE, 0.3),
        dash: Dash::Solid,
        marker: Marker::None,
    };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (p, &k) in series_of.iter().enumerate() {
        members[k].push(p);
    }
    let members: Vec<(usize, Vec<usize>)> = members.into_iter().enumerate().step_by(step).collect();
    let mut fig = Figure::new(Frame::new(
        format!("{}: metrics against {}", m.sweep, m.axes[x]),
        format!("{}{note}", subtitle(m)),
    ))
    .size(1200, 300 * SWEEP_METRICS.len() as u32 + 80);
    for metric in SWEEP_METRICS {
        let panel = match &xs {
            Some(xs) => {
                let mut panel = LinePanel::new(axis_desc(m, x), label(metric));
                for (k, points) in &members {
                    let k = *k;
                    let mut pts: Vec<(f64, Spread)> = points
                        .iter()
                        .filter_map(|&p| Some((xs[p], stats.get(p, metric)?)))
                        .collect();
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let mut line = Line::new(
                        name(k, metric),
                        pts.iter().map(|(x, s)| (*x, s.median)).collect(),
                    );
                    line = if apart {
                        line.band(pts.iter().map(|(x, s)| (*x, s.lo, s.hi)).collect())
                    } else {
                        line.style(alike)
                    };
                    panel = panel.line(line);
                }
                let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (x0, x1) = x_span(lo, hi);
                Panel::Line(panel.x_range(x0, x1))
            }
            None => {
                let cats = distinct(m, x);
                let cat_of: HashMap<&str, usize> = cats
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                let mut panel = BarPanel::new(m.axes[x].clone(), label(metric), cats.clone());
                for (k, points) in &members {
                    let k = *k;
                    let mut vals: Vec<Option<Spread>> = vec![None; cats.len()];
                    // The first point of each category, as a search found it.
                    for &p in points.iter().rev() {
                        vals[cat_of[m.points.label(p, x)]] = stats.get(p, metric);
                    }
                    let mut series = BarSeries::new(
                        name(k, metric),
                        vals.iter()
                            .map(|s| s.map_or(f64::NAN, |s| s.median))
                            .collect(),
                    );
                    series = if apart {
                        series
                            .errors(
                                vals.iter()
                                    .map(|s| s.map_or((f64::NAN, f64::NAN), |s| (s.lo, s.hi)))
                                    .collect(),
                            )
                            .value_labels(super::compare::median_labels(&vals))
                    } else {
                        series.style(alike)
                    };
                    panel = panel.series(series);
                }
                Panel::Bars(panel)
            }
        };
        fig = fig.panel(panel, 1.0);
    }
    fig
}

/// The x range of the metrics chart for axis values from `lo` to `hi`: 3 %
/// beyond each end, and half the value each side of a lone one (1 around 0),
/// so its ticks read as distinct numbers (a lone 4 padded by 1e-9 wrote "4"
/// under every tick).
pub fn x_span(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let pad = (hi - lo) * 0.03;
        return (lo - pad, hi + pad);
    }
    let pad = if lo.abs() > 0.0 { lo.abs() * 0.5 } else { 1.0 };
    (lo - pad, lo + pad)
}

/// Most rows or columns a sweep heatmap draws: its panels are about 1000 ×
/// 550 pixels, so past this a cell would be a couple of pixels or less, the
/// image unreadable and its SVG one element per cell (10⁶ for a 1000 × 1000
/// sweep). Past it, every k-th value is drawn and the subtitle says so.
pub const MAX_HEATMAP_SIDE: usize = 200;

/// Every `step`-th of `n` indices (from the first), with `step` the smallest
/// that keeps at most [`MAX_HEATMAP_SIDE`].
fn heatmap_sample(n: usize) -> (usize, Vec<usize>) {
    let step = n.div_ceil(MAX_HEATMAP_SIDE).max(1);
    (step, (0..n).step_by(step).collect())
}

/// Heatmaps of the first two axes (when the sweep has exactly two with more
/// than one value): cost and detection latency medians.
///
/// Each point is put in its cell by a lookup of its two labels, one pass
/// over the points (a search of every point for every cell grew with rows ×
/// columns × points and did not finish for 1000 × 1000). When an axis has
/// more than [`MAX_HEATMAP_SIDE`] values, every k-th is drawn.
pub fn heatmap_chart<S: Stats + ?Sized>(m: &Manifest, stats: &S, t: Tradeoff) -> Option<Figure> {
    if m.axes.len() != 2 {
        return None;
    }
    let (rows, cols) = (distinct(m, 0), distinct(m, 1));
    if rows.len() < 2 || cols.len() < 2 {
        return None;
    }
    let index = |labels: &[String]| -> HashMap<String, usize> {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i))
            .collect()
    };
    let (row_of, col_of) = (index(&rows), index(&cols));
    // The first point of each cell, as a search from the first point found
    // it. Keyed by cell, not a rows × columns grid: a sweep whose points each
    // have their own value on both axes has points² cells.
    let mut point_at: HashMap<(usize, usize), usize> = HashMap::new();
    for p in (0..m.points.len()).rev() {
        point_at.insert(
            (row_of[m.points.label(p, 0)], col_of[m.points.label(p, 1)]),
            p,
        );
    }
    let (row_step, drawn_rows) = heatmap_sample(rows.len());
    let (col_step, drawn_cols) = heatmap_sample(cols.len());
    let cell = |r: usize, c: usize, metric: &str| {
        point_at.get(&(r, c)).and_then(|&p| stats.get(p, metric))
    };
    let any_missing = [t.cost, t.latency].iter().any(|metric| {
        drawn_rows
            .iter()
            .any(|&r| drawn_cols.iter().any(|&c| cell(r, c, metric).is_none()))
    });
    let missing_note = if any_missing {
        " · grey – = no value (combination not run, or no seed measured it)"
    } else {
        ""
    };
    // Short, so the subtitle fits: the axes' own labels say which values.
    let sampled = [(row_step, "rows"), (col_step, "columns")]
        .into_iter()
        .filter(|&(step, _)| step > 1)
        .map(|(step, what)| format!("1 in {step} {what}"))
        .collect::<Vec<_>>();
    let sample_note = if sampled.is_empty() {
        String::new()
    } else {
        format!(" · {} drawn", sampled.join(", "))
    };
    let mut fig = Figure::new(Frame::new(
        format!("{}: {} × {}", m.sweep, m.axes[0], m.axes[1]),
        format!(
            "{} · cell = median across seeds{missing_note}{sample_note}",
            subtitle(m)
        ),
    ))
    .size(1200, 1300);
    for metric in [t.cost, t.latency] {
        let values: Vec<Vec<f64>> = drawn_rows
            .iter()
            .map(|&r| {
                drawn_cols
                    .iter()
                    .map(|&c| cell(r, c, metric).map_or(f64::NAN, |s| s.median))
                    .collect()
            })
            .collect();
        let pick = |labels: &[String], drawn: &[usize]| -> Vec<String> {
            drawn.iter().map(|&i| labels[i].clone()).collect()
        };
        let mut panel = HeatmapPanel::new(
            m.axes[0].clone(),
            m.axes[1].clone(),
            pick(&rows, &drawn_rows),
            pick(&cols, &drawn_cols),
            values,
            "median",
        );
        panel.caption = Some(label(metric).to_string());
        // As summary.txt writes it.
        panel.value_text = Some(crate::batch::aggregate::human);
        fig = fig.panel(Panel::Heatmap(panel), 1.0);
    }
    Some(fig)
}

/// Most series of a trade-off chart, one style each (colour and marker: the
/// pair stays distinct well past this); more share one labelled series.
const MAX_TRADEOFF_SERIES: usize = 2 * MAX_SERIES;

/// Most front points labelled in one panel (every k-th past it).
pub const MAX_FRONT_LABELS: usize = 60;

/// Most front points named in the "not labelled" note; the rest are counted.
const MAX_UNLABELLED_NAMED: usize = 8;

/// Rows of places tried above and below a point for its label.
const LABEL_RINGS: i32 = 12;

/// One configuration: (latency spread, cost spread, label, on the Pareto front).
pub type TradeoffPoint = (Spread, Spread, String, bool);

/// Most panels of a trade-off chart: more condition combinations than this are
/// drawn together in one panel, each with its own front.
const MAX_TRADEOFF_PANELS: usize = 9;

/// One panel of the trade-off chart: the configurations run under one
/// combination of condition values (all of them without conditions).
pub struct TradeoffPanel {
    /// The condition values (`anomalous=8`); empty for a single panel.
    pub caption: String,
    /// (series label, points), the same series in the same order in every
    /// panel, so a colour means one setting throughout.
    pub series: Vec<(String, Vec<TradeoffPoint>)>,
    /// Pareto fronts: points (x, y, label) by increasing x.
    pub fronts: Vec<Vec<(f64, f64, String)>>,
    /// Label every point, not only the front's: set when the settings have
    /// more values than the palette has styles, so they share one series.
    pub label_every_point: bool,
}

/// The trade-off chart: one marker per configuration at (latency, cost) medians
/// with thin whiskers for the 95% intervals, series by the setting with the
/// fewest values, and the Pareto front as a line with every front point
/// labelled.
///
/// Under condition axes (the Lifeguard ablation's `anomalous`: 1 to 32 slow
/// members) a configuration competes only under the same conditions, so each
/// combination gets its own panel, front and cost scale: drawn together, the
/// 32-anomalous points set the scale and the 1-anomalous points lay flat on
/// the floor, five staircases crossing each other.
pub struct TradeoffChart {
    pub frame: Frame,
    pub x_desc: String,
    pub y_desc: String,
    pub panels: Vec<TradeoffPanel>,
    pub empty_note: Option<String>,
    /// Top of the cost axis when zoomed (points above it are left out and counted
    /// in the subtitle); `None` fits every point.
    pub y_max: Option<f64>,
}

impl TradeoffChart {
    fn points(&self) -> impl Iterator<Item = &TradeoffPoint> {
        self.panels
            .iter()
            .flat_map(|p| p.series.iter().flat_map(|s| s.1.iter()))
    }

    /// Top of the latency axis, shared by every panel: it holds every point's
    /// whisker and every front point.
    pub fn x_top(&self) -> f64 {
        let xmax = self
            .points()
            .map(|p| p.0.hi.max(p.0.median))
            .chain(
                self.panels
                    .iter()
                    .flat_map(|p| p.fronts.iter().flatten().map(|f| f.0)),
            )
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        nice_max(xmax * 1.1, 1.0)
    }

    /// Top of `panel`'s cost axis: every point's whisker and every front point
    /// fit under it, unless the chart is zoomed (then at most the zoom's top).
    pub fn y_top(&self, panel: &TradeoffPanel) -> f64 {
        let ymax = panel
            .series
            .iter()
            .flat_map(|s| s.1.iter())
            .map(|p| p.1.hi.max(p.1.median))
            .chain(panel.fronts.iter().flatten().map(|f| f.1))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let fitted = nice_max(ymax * 1.1, 1.0);
        self.y_max.map_or(fitted, |top| top.min(fitted))
    }

    /// (columns, rows) of the panel grid.
    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let cols = match n {
            1 => 1,
            2..=6 => 2,
            _ => 3,
        };
        (cols, n.div_ceil(cols))
    }
}

/// Most markers in one trade-off panel: past this the markers cover the
/// plot, and every marker is an element of the SVG and an obstacle every
/// label is checked against (10⁶ configurations took hours).
pub const MAX_TRADEOFF_MARKERS: usize = 2000;

/// Keep at most [`MAX_TRADEOFF_MARKERS`] markers across `series`: the
/// front's first (at most half of them, evenly), then every k-th of the
/// others across the series. Returns the markers kept, and whether any was
/// left out (a thinned panel labels only its front).
///
/// Markers are kept as point indices here, and only the kept ones are made
/// into labelled markers: making all of them first took 150 MB for 10⁶
/// configurations, to draw 2,000.
fn thin<T>(series: &mut [(String, Vec<T>)], on_front: impl Fn(&T) -> bool) -> (usize, bool) {
    let all = |s: &[(String, Vec<T>)]| s.iter().map(|s| s.1.len()).sum::<usize>();
    let total = all(series);
    if total <= MAX_TRADEOFF_MARKERS {
        return (total, false);
    }
    let front = series
        .iter()
        .flat_map(|s| &s.1)
        .filter(|p| on_front(p))
        .count();
    let front_step = front.div_ceil(MAX_TRADEOFF_MARKERS / 2).max(1);
    let front_kept = front.div_ceil(front_step);
    let others = total - front;
    let other_step = others.div_ceil(MAX_TRADEOFF_MARKERS - front_kept).max(1);
    let (mut i_front, mut i_other) = (0usize, 0usize);
    for s in series.iter_mut() {
        s.1.retain(|p| {
            let (i, step) = if on_front(p) {
                (&mut i_front, front_step)
            } else {
                (&mut i_other, other_step)
            };
            *i += 1;
            (*i - 1) % step == 0
        });
    }
    (all(series), true)
}

/// The zoomed trade-off: when a few configurations flap orders of magnitude more
/// than the rest (2015 memberlist next to Lifeguard), the full chart squashes the
/// interesting corner into its floor. The zoom keeps the cost axis at three times
/// the front's highest upper bound (at least 1) and says how many points it drops.
pub fn tradeoff_zoom(m: &Manifest, f: &Finished) -> Option<TradeoffChart> {
    let mut c = tradeoff_chart(m, f);
    let front_hi = f
        .front
        .points
        .iter()
        .filter_map(|&p| f.stats.get(p, f.tradeoff.cost))
        .map(|s| s.hi)
        .fold(0.0, f64::max);
    let top = nice_max((front_hi * 3.0).max(1.0), 1.0);
    let dropped = c.points().filter(|p| p.1.median > top).count();
    if dropped == 0 || c.empty_note.is_some() {
        return None;
    }
    for panel in &mut c.panels {
        for s in &mut panel.series {
            s.1.retain(|p| p.1.median <= top);
        }
    }
    c.frame.title = format!("{} (zoom)", c.frame.title);
    c.frame.subtitle = format!(
        "sweep {} · {} × {} · medians, whiskers = 95% interval · {} above {} not shown (see tradeoff.png)",
        m.sweep,
        crate::units::count(m.points.len(), "point"),
        crate::units::count(m.seeds.len(), "seed"),
        crate::units::count(dropped, "configuration"),
        axis_number(top)
    );
    c.y_max = Some(top);
    Some(c)
}

pub fn tradeoff_chart(m: &Manifest, f: &Finished) -> TradeoffChart {
    let t = f.tradeoff;
    // Colour by the setting with the fewest values (e.g. the generation),
    // never by a condition when a setting varies.
    let fewest = (0..m.axes.len())
        .filter(|&a| distinct(m, a).len() > 1)
        .min_by_key(|&a| (m.conditions.contains(&m.axes[a]), distinct(m, a).len()));
    // Every value gets a marker (the first eight were drawn and the rest
    // dropped, with ten suspicion multipliers the two fastest front points):
    // past the palette's eight colours the styles come round again with
    // another marker shape, each named in the legend; past twice that the
    // legend would not fit, so one series, every point carrying its label.
    let by = fewest.filter(|&a| distinct(m, a).len() <= MAX_TRADEOFF_SERIES);
    let label_every_point = fewest.is_some() && by.is_none();
    let groups: Vec<String> = by.map_or_else(|| vec![String::new()], |a| distinct(m, a));
    let conditions = crate::batch::store::condition_groups(m);
    let faceted = conditions.len() > 1 && conditions.len() <= MAX_TRADEOFF_PANELS;
    // A panel's caption names its conditions, so its labels leave them out.
    let shown_axis = |a: usize| !(faceted && m.conditions.contains(&m.axes[a]));
    let short = |p: usize| {
        m.axes
            .iter()
            .enumerate()
            .filter(|&(a, _)| shown_axis(a))
            .filter(|(a, _)| m.axes.len() == 1 || Some(*a) != by || groups.len() == 1)
            .map(|(a, name)| format!("{name}={}", m.points.label(p, a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let full = |p: usize| {
        m.axes
            .iter()
            .enumerate()
            .filter(|&(a, _)| shown_axis(a))
            .map(|(a, name)| format!("{name}={}", m.points.label(p, a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let on_front = f.front.members();
    // Each series as the points it draws (those with both medians).
    let series_of = |members: &[usize]| -> Vec<(String, Vec<usize>)> {
        groups
            .iter()
            .map(|g| {
                let pts = members
                    .iter()
                    .copied()
                    .filter(|&p| by.is_none_or(|a| m.points.label(p, a) == g.as_str()))
                    .filter(|&p| {
                        f.stats.get(p, t.latency).is_some() && f.stats.get(p, t.cost).is_some()
                    })
                    .collect();
                let name = match by {
                    Some(a) => format!("{}={g}", m.axes[a]),
                    None => "configurations".into(),
                };
                (name, pts)
            })
            .collect()
    };
    let marker = |p: usize| -> Option<TradeoffPoint> {
        Some((
            f.stats.get(p, t.latency)?,
            f.stats.get(p, t.cost)?,
            short(p),
            on_front.contains(&p),
        ))
    };
    let front_line = |points: &[usize]| -> Vec<(f64, f64, String)> {
        points
            .iter()
            .filter_map(|&p| {
                Some((
                    f.stats.get(p, t.latency)?.median,
                    f.stats.get(p, t.cost)?.median,
                    full(p),
                ))
            })
            .collect()
    };
    // A panel of `members`, thinned (see [`thin`]): the panel and its markers.
    let panel = |caption: String, members: &[usize], fronts| -> (TradeoffPanel, usize) {
        let mut series = series_of(members);
        let (drawn, thinned) = thin(&mut series, |&p| on_front.contains(&p));
        let series = (series.into_iter())
            .map(|(name, pts)| (name, pts.into_iter().filter_map(marker).collect()))
            .collect();
        let panel = TradeoffPanel {
            caption,
            series,
            fronts,
            label_every_point: label_every_point && !thinned,
        };
        (panel, drawn)
    };
    let made: Vec<(TradeoffPanel, usize)> = if faceted {
        conditions
            .iter()
            .zip(&f.front.groups)
            .map(|((caption, members), (_, front))| {
                panel(caption.clone(), members, vec![front_line(front)])
            })
            .collect()
    } else {
        let every: Vec<usize> = (0..m.points.len()).collect();
        let fronts = f.front.groups.iter().map(|(_, g)| front_line(g)).collect();
        vec![panel(String::new(), &every, fronts)]
    };
    let drawn: usize = made.iter().map(|(_, n)| n).sum();
    let panels: Vec<TradeoffPanel> = made.into_iter().map(|(p, _)| p).collect();
    let mut per_panel = if faceted {
        " · one panel per condition, each with its own cost scale".to_string()
    } else {
        String::new()
    };
    let thinned = panels.iter().any(|p| !p.label_every_point) && label_every_point;
    if let (true, false, Some(a)) = (label_every_point, thinned, fewest) {
        per_panel.push_str(&format!(
            " · {} values of {}: each point labelled",
            distinct(m, a).len(),
            m.axes[a]
        ));
    }
    let total: usize = (0..m.points.len())
        .filter(|&p| f.stats.get(p, t.latency).is_some() && f.stats.get(p, t.cost).is_some())
        .count();
    if drawn < total {
        per_panel.push_str(&format!(" · {drawn} of {total} configurations drawn"));
    }
    TradeoffChart {
        frame: Frame::new(
            format!("{}: {} vs {}", m.sweep, label(t.cost), label(t.latency)),
            format!(
                "{} · line = Pareto front (lower-left is better){per_panel}",
                subtitle(m)
            ),
        ),
        x_desc: format!("{} of crashed nodes, median across seeds", label(t.latency)),
        y_desc: label(t.cost).to_string(),
        panels,
        empty_note: (!f.front.measured)
            .then(|| "no crash detected in any run: add a crash to the base scenario".to_string()),
        y_max: None,
    }
}

impl Chart for TradeoffChart {
    fn size(&self) -> (u32, u32) {
        match self.grid() {
            (1, _) => (1200, 800),
            (_, rows) => (1200, 90 + 400 * rows as u32),
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = self.frame.draw(root)?;
        // One latency scale for every panel, so panels compare side by side.
        let x1 = self.x_top();
        let (cols, rows) = self.grid();
        if cols == 1 {
            let panel = self.panels.first();
            let y1 = panel.map_or(1.0, |p| self.y_top(p));
            let y1 = self.y_max.unwrap_or(y1);
            return self.draw_panel(root, &body, panel, x1, y1, true);
        }
        let areas = body.split_evenly((rows, cols));
        for (i, (area, panel)) in areas.iter().zip(&self.panels).enumerate() {
            self.draw_panel(root, area, Some(panel), x1, self.y_top(panel), i == 0)?;
        }
        Ok(())
    }
}

impl TradeoffChart {
    /// One panel into `area` (texts placed in `root`'s pixels); the legend in
    /// the first panel only.
    fn draw_panel<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        area: &DrawingArea<DB, Shift>,
        panel: Option<&TradeoffPanel>,
        x1: f64,
        y1: f64,
        legend: bool,
    ) -> Result<(), ChartError> {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin_top(6)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(80);
        if let Some(p) = panel.filter(|p| !p.caption.is_empty()) {
            builder.caption(&p.caption, caption_style());
        }
        let mut chart = builder.build_cartesian_2d(0.0..x1, 0.0..y1).map_err(err)?;
        house_mesh(&mut chart.configure_mesh())
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| axis_number(*v))
            .draw()
            .map_err(err)?;
        if let Some(note) = &self.empty_note {
            chart
                .draw_series(std::iter::once(Text::new(
                    note.clone(),
                    (x1 / 2.0, y1 / 2.0),
                    label_style()
                        .color(&MUTED)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(err)?;
            return Ok(());
        }
        let Some(panel) = panel else {
            return Ok(());
        };
        // The front first, under the markers: a staircase through the front
        // points (what is achievable), dashed out to the axes' ends.
        for (k, front) in panel.fronts.iter().filter(|f| !f.is_empty()).enumerate() {
            let mut stair = Vec::new();
            for (i, (x, y, _)) in front.iter().enumerate() {
                if i > 0 {
                    stair.push((*x, front[i - 1].1));
                }
                stair.push((*x, *y));
            }
            let drawn = chart
                .draw_series(LineSeries::new(
                    stair,
                    ShapeStyle::from(&INK).stroke_width(2),
                ))
                .map_err(err)?;
            if k == 0 && legend {
                drawn.label("Pareto front").legend(|(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 20, y)],
                        ShapeStyle::from(&INK).stroke_width(2),
                    )
                });
            }
        }
        for (i, (name, pts)) in panel.series.iter().enumerate() {
            let style = series_style(i);
            let whisker = ShapeStyle::from(&style.color.mix(0.45)).stroke_width(1);
            for (xs, ys, _, _) in pts {
                chart
                    .draw_series([
                        PathElement::new(vec![(xs.lo, ys.median), (xs.hi, ys.median)], whisker),
                        PathElement::new(vec![(xs.median, ys.lo), (xs.median, ys.hi)], whisker),
                    ])
                    .map_err(err)?;
            }
            let mut g = |p: &TradeoffPoint| {
                let mut gl = Glyph::new((p.0.median, p.1.median), style, GlyphKind::Marker);
                gl.size = if p.3 { 7 } else { 5 };
                gl
            };
            let drawn = chart.draw_series(pts.iter().map(&mut g)).map_err(err)?;
            if legend {
                drawn
                    .label(name.clone())
                    .legend(move |(x, y)| Glyph::new((x + 8, y), style, GlyphKind::Marker));
            }
        }
        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        let plot = (plot_x.clone(), plot_y.clone());
        let legend_box = if legend {
            legend_rect(&legend_names(panel), &plot)
        } else {
            None
        };
        let pixel = |x: f64, y: f64| chart.backend_coord(&(x, y));
        let width = |text: &str| {
            root.estimate_text_size(text, &legend_style())
                .map_or(7 * text.chars().count() as i32, |s| s.0 as i32)
        };
        let layout = label_layout(panel, &pixel, &plot, &width, legend_box);
        let leader = ShapeStyle::from(&MUTED.mix(0.8)).stroke_width(1);
        for l in &layout.placed {
            let (px, py) = l.point;
            let rect = l.rect;
            if l.dy.abs() > 10 {
                // From the point to the label's near end, at its middle.
                let (ex, ey) = (if l.right { rect.0 } else { rect.1 }, (rect.2 + rect.3) / 2);
                root.draw(&PathElement::new(vec![(px, py), (ex, ey)], leader))
                    .map_err(err)?;
            }
            let v = if l.dy < 0 { VPos::Bottom } else { VPos::Top };
            let pos = Pos::new(if l.right { HPos::Left } else { HPos::Right }, v);
            root.draw(&Text::new(
                l.text.clone(),
                (px + if l.right { 8 } else { -8 }, py + l.dy),
                legend_style().color(&INK).pos(pos),
            ))
            .map_err(err)?;
        }
        if !layout.unlabelled.is_empty() || layout.skipped > 0 {
            root.draw(&Text::new(
                unlabelled_note(&layout.unlabelled, layout.skipped),
                (plot_x.start + 8, plot_y.start + 6),
                legend_style()
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(err)?;
        }
        if legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .margin(LEGEND_MARGIN)
                .legend_area_size(LEGEND_GLYPH)
                .label_font(legend_style())
                .background_style(WHITE.mix(0.9))
                .border_style(MUTED)
                .draw()
                .map_err(err)?;
        }
        Ok(())
    }
}

/// The note on front points left unlabelled: for want of room, at most
/// [`MAX_UNLABELLED_NAMED`] names, then how many more; past
/// [`MAX_FRONT_LABELS`], only how many (a front of 10⁵ points made one line
/// of megabytes).
fn unlabelled_note(names: &[String], skipped: usize) -> String {
    if skipped > 0 {
        return format!(
            "{} front points not labelled (at most {MAX_FRONT_LABELS} are): summary.txt lists them",
            skipped + names.len()
        );
    }
    let shown = &names[..names.len().min(MAX_UNLABELLED_NAMED)];
    let mut note = format!("front points not labelled (no room): {}", shown.join("; "));
    if names.len() > shown.len() {
        note.push_str(&format!(
            "; and {} more (summary.txt lists them)",
            names.len() - shown.len()
        ));
    }
    note
}

/// A box in pixels: (left, right, top, bottom).
pub type Rect = (i32, i32, i32, i32);

/// The trade-off legend box's margin around its entries, and the room for
/// each entry's glyph: set when it is drawn, so [`legend_rect`] knows its size.
const LEGEND_MARGIN: i32 = 10;
const LEGEND_GLYPH: i32 = 30;

/// One label placed beside its point.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLabel {
    pub text: String,
    /// The point's pixel.
    pub point: (i32, i32),
    pub rect: Rect,
    /// Right of the point (else left).
    pub right: bool,
    /// Vertical offset of the label's near edge from the point: negative
    /// above; beyond 10 px a leader line joins them.
    pub dy: i32,
}

/// Where a panel's labels go.
#[derive(Clone, Debug, Default)]
pub struct LabelLayout {
    pub placed: Vec<PlacedLabel>,
    /// Front labels with no free place anywhere (named in a note).
    pub unlabelled: Vec<String>,
    /// Front points not labelled because the front has more than
    /// [`MAX_FRONT_LABELS`] (counted in the note).
    pub skipped: usize,
    /// What labels keep clear of besides each other: every marker and the
    /// legend box.
    pub obstacles: Vec<Rect>,
}

/// The names in a panel's legend box, as drawn: the front, then each series.
pub fn legend_names(panel: &TradeoffPanel) -> Vec<String> {
    let front = panel.fronts.iter().any(|f| !f.is_empty());
    front
        .then(|| "Pareto front".to_string())
        .into_iter()
        .chain(panel.series.iter().map(|s| s.0.clone()))
        .collect()
}

/// The legend box plotters draws in the upper right of a plot spanning
/// `plot` (pixels) for `names`: its text block measured as plotters
/// measures it, plus the glyph room and margins, 5 px in from the corner;
/// a pixel of slack around it.
pub fn legend_rect(names: &[String], plot: &(Range<i32>, Range<i32>)) -> Option<Rect> {
    if names.is_empty() {
        return None;
    }
    super::font::register();
    let style = legend_style();
    let mut text = MultiLineText::<(i32, i32), &str>::new((0, 0), &style);
    for n in names {
        text.push_line(n.as_str());
    }
    let (w, h) = text.estimate_dimension().ok()?;
    let (w, h) = (w + LEGEND_GLYPH + 2 * LEGEND_MARGIN, h + 2 * LEGEND_MARGIN);
    let x0 = plot.0.end - w - 5;
    let y0 = plot.1.start + 5;
    Some((x0 - 1, x0 + w + 1, y0 - 1, y0 + h + 1))
}

/// Place the labels of front points, then (when the settings share one
/// series) of every other point: beside the point towards the plot's middle,
/// just above or below it, else on the other side, else further up or down
/// with a leader line to the point, the nearest free place first. A place is
/// free when it is inside the plot and clear of the labels placed before,
/// every marker and the legend box (a label on a marker hid which point it
/// was, and one under the legend box was hidden itself). A front label with
/// no free place anywhere is named in a note in the plot's corner (a crowded
/// corner left front points unlabelled, though the front is said to be
/// labelled); another point's label is left out (summary.txt lists every
/// point).
pub fn label_layout(
    panel: &TradeoffPanel,
    pixel: &dyn Fn(f64, f64) -> (i32, i32),
    plot: &(Range<i32>, Range<i32>),
    width: &dyn Fn(&str) -> i32,
    legend_box: Option<Rect>,
) -> LabelLayout {
    let (plot_x, plot_y) = plot;
    let points = || panel.series.iter().flat_map(|s| s.1.iter());
    let mut obstacles: Vec<Rect> = points()
        .map(|p| {
            let (px, py) = pixel(p.0.median, p.1.median);
            // The marker's radius as drawn, its stroke and a pixel of air.
            let r = if p.3 { 7 } else { 5 } + 2;
            (px - r, px + r, py - r, py + r)
        })
        .collect();
    obstacles.extend(legend_box);
    let mut taken = obstacles.clone();
    let overlaps = |r: Rect, taken: &[Rect]| {
        taken
            .iter()
            .any(|t| r.0 < t.1 && t.0 < r.1 && r.2 < t.3 && t.2 < r.3)
    };
    let others = points()
        .filter(|p| panel.label_every_point && !p.3)
        .map(|p| (p.0.median, p.1.median, p.2.clone(), false));
    // At most MAX_FRONT_LABELS front labels, every k-th: each is checked
    // against every marker and label, and past a few dozen they cover the
    // plot. The rest are named (counted) in the note.
    let front_count: usize = panel.fronts.iter().map(Vec::len).sum();
    let step = front_count.div_ceil(MAX_FRONT_LABELS).max(1);
    let mut skipped = 0;
    let mut front_labels = Vec::new();
    for (i, (x, y, t)) in panel.fronts.iter().flatten().enumerate() {
        if i % step == 0 {
            front_labels.push((*x, *y, t.clone(), true));
        } else {
            skipped += 1;
        }
    }
    let labels: Vec<(f64, f64, String, bool)> = front_labels.into_iter().chain(others).collect();
    let mut layout = LabelLayout::default();
    for (x, y, text, on_front) in labels {
        let (px, py) = pixel(x, y);
        let w = width(&text);
        let right_first = px < plot_x.start + (plot_x.end - plot_x.start) * 2 / 3;
        // Vertical offsets of the label's near edge: 10 px, then rows of
        // 18 px further out.
        let choice = (0..LABEL_RINGS)
            .flat_map(|ring| {
                [right_first, !right_first]
                    .into_iter()
                    .flat_map(move |right| {
                        let (x0, x1) = if right {
                            (px + 8, px + 8 + w)
                        } else {
                            (px - 8 - w, px - 8)
                        };
                        let d = 10 + 18 * ring;
                        [
                            ((x0, x1, py - d - 16, py - d), right, -d),
                            ((x0, x1, py + d, py + d + 16), right, d),
                        ]
                    })
            })
            .find(|(r, _, _)| {
                r.0 >= plot_x.start
                    && r.1 <= plot_x.end
                    && r.2 >= plot_y.start
                    && r.3 <= plot_y.end
                    && !overlaps(*r, &taken)
            });
        match choice {
            Some((rect, right, dy)) => {
                taken.push(rect);
                layout.placed.push(PlacedLabel {
                    text,
                    point: (px, py),
                    rect,
                    right,
                    dy,
                });
            }
            None if on_front => layout.unlabelled.push(text),
            None => {}
        }
    }
    layout.skipped = skipped;
    layout.obstacles = obstacles;
    layout
}

/// Chart files of a sweep directory.
pub const TRADEOFF: &str = "tradeoff";
pub const TRADEOFF_ZOOM: &str = "tradeoff-zoom";
pub const METRICS_CHART: &str = "metrics";
pub const HEATMAP: &str = "heatmap";
/// Every chart a sweep may draw.
pub const CHARTS: [&str; 4] = [METRICS_CHART, HEATMAP, TRADEOFF_ZOOM, TRADEOFF];

fn write_pair(dir: &Path, stem: &str, r: super::Rendered) -> Result<(), String> {
    write_atomic(&dir.join(format!("{stem}.svg")), r.svg.as_bytes()).map_err(|e| e.to_string())?;
    write_atomic(&dir.join(format!("{stem}.png")), &r.png).map_err(|e| e.to_string())
}

/// Draw every sweep chart into `dir` (PNG and SVG).
pub fn write_charts(dir: &Path, m: &Manifest, f: &Finished) -> Result<(), String> {
    let e = |e: ChartError| e.to_string();
    write_pair(
        dir,
        METRICS_CHART,
        render(&metrics_chart(m, &f.stats)).map_err(e)?,
    )?;
    // A chart that does not apply (any more: a resumed sweep redraws with
    // another budget) must not stay from an earlier drawing.
    let remove = |stem: &str| {
        for ext in ["png", "svg"] {
            let _ = std::fs::remove_file(dir.join(format!("{stem}.{ext}")));
        }
    };
    match heatmap_chart(m, &f.stats, f.tradeoff) {
        Some(h) => write_pair(dir, HEATMAP, render(&h).map_err(e)?)?,
        None => remove(HEATMAP),
    }
    match tradeoff_zoom(m, f) {
        Some(z) => write_pair(dir, TRADEOFF_ZOOM, render(&z).map_err(e)?)?,
        None => remove(TRADEOFF_ZOOM),
    }
    write_pair(dir, TRADEOFF, render(&tradeoff_chart(m, f)).map_err(e)?)
}
