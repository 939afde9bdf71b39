//! The cluster timeline: one row per node (or band of nodes), time across, the
//! colour of each cell the share of observers holding the row suspect (orange) or
//! dead (dark blue) over the cell, mixed over a pale "alive" background. A black
//! bar under a row is ground truth: the node itself was down. Triangles mark the
//! start of flap episodes about the row.
//!
//! Cells of equal (5 %-quantised) colour are merged into one rectangle and alive
//! cells are not drawn at all, so the SVG's size follows the number of state
//! changes shown, not rows × columns.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::frame::{axis_desc_style, label_style, legend_style};
use super::super::glyph::{Glyph, GlyphKind};
use super::super::palette::{Dash, Marker, SeriesStyle, ALIVE, DEAD, GRID, INK, SUSPECT};
use super::super::ticked::Ticked;
use super::super::{axis_number, err, Chart, ChartError, Frame};
use super::{rle_decode, RunChartData, TimelineRow};

pub struct TimelineChart<'a> {
    data: &'a RunChartData,
    frame: Frame,
}

impl<'a> TimelineChart<'a> {
    pub fn new(data: &'a RunChartData) -> TimelineChart<'a> {
        let t = &data.timeline;
        let mut sub = data.subtitle();
        if t.banded_nodes > 0 {
            sub.push_str(&format!(
                " · {} nodes: faulty and most-flapped nodes as rows, {} others in bands",
                data.nodes, t.banded_nodes
            ));
        }
        TimelineChart {
            data,
            frame: Frame::new("Cluster timeline: who held whom suspect or dead", sub),
        }
    }
}

/// Height of the legend strip above the plot.
const LEGEND_PX: u32 = 30;

/// Timeline marks (warm-up end, the scenario's actions) drawn at most.
const MAX_MARKS: usize = 8;

/// Rows of labels above the plot, so that neighbouring marks' labels do not
/// collide; the band they take is reserved above the rows.
const MARK_LEVELS: usize = 3;

/// Height of one row of mark labels (pixels).
const MARK_LEVEL_PX: i32 = 15;

fn state_style(color: RGBColor, marker: Marker) -> SeriesStyle {
    SeriesStyle {
        color,
        dash: Dash::Solid,
        marker,
    }
}

impl Chart for TimelineChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.data.timeline.rows.len() as u32;
        (1200, (230 + rows * 16).clamp(440, 1180))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = self.frame.draw(root)?;
        let (legend, plot) = body.split_vertically(LEGEND_PX);
        draw_legend(&legend)?;

        let t = &self.data.timeline;
        let rows = &t.rows;
        let nr = rows.len().max(1);
        let end = self.data.end_min.max(1e-9);
        let row_ticks: Vec<f64> = (0..rows.len())
            .map(|r| nr as f64 - r as f64 - 0.5)
            .collect();
        let labels: Vec<String> = rows.iter().map(row_label).collect();
        let row_label_of = |v: &f64| {
            let r = (nr as f64 - 0.5 - v).round();
            if r < 0.0 {
                return String::new();
            }
            labels.get(r as usize).cloned().unwrap_or_default()
        };
        let (_, x_ticks) = time_ticks(end);
        // Warm-up end and the scenario's timeline actions, labelled in a band
        // above the rows: a label drawn over the top rows hid their cells
        // (the incident's "warm-up ends" covered s-01 from 10 to 19 min).
        let mut marks: Vec<(f64, String)> = Vec::new();
        if self.data.warmup_min > 0.0 {
            marks.push((self.data.warmup_min, "warm-up ends".into()));
        }
        marks.extend(self.data.marks.iter().map(|m| (m.t_min, m.label.clone())));
        marks.truncate(MAX_MARKS);
        marks.retain(|(x, _)| (0.0..=end).contains(x));
        let levels = marks.len().min(MARK_LEVELS) as i32;
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(4 + levels * MARK_LEVEL_PX)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(190)
            .build_cartesian_2d(
                Ticked::new(0.0, end, x_ticks),
                Ticked::new(0.0, nr as f64, row_ticks),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID)
            .axis_style(INK)
            .x_desc("time since start (min)")
            .y_desc("node")
            .axis_desc_style(axis_desc_style())
            .label_style(label_style())
            .y_label_style(
                (super::super::font::FAMILY, if nr > 45 { 10 } else { 12 })
                    .into_font()
                    .color(&INK),
            )
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&row_label_of)
            .draw()
            .map_err(err)?;

        let cols = t.columns.max(1);
        let cw = t.column_min;
        let gap = if nr > 45 { 0.06 } else { 0.12 };
        for (r, row) in rows.iter().enumerate() {
            let y_top = nr as f64 - r as f64 - gap;
            let y_bot = nr as f64 - r as f64 - 1.0 + gap;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y_bot), (end, y_top)],
                    ALIVE.filled(),
                )))
                .map_err(err)?;
            let sus = rle_decode(&row.suspect, cols);
            let dead = rle_decode(&row.dead, cols);
            let down = rle_decode(&row.down, cols);
            // Merge runs of equal quantised colour.
            let q = |v: u8| (v as u32 + 2) / 5 * 5;
            let key: Vec<(u32, u32)> = (0..cols).map(|c| (q(sus[c]), q(dead[c]))).collect();
            let mut c = 0;
            let mut rects = Vec::new();
            while c < cols {
                let k = key[c];
                let mut e = c + 1;
                while e < cols && key[e] == k {
                    e += 1;
                }
                if k != (0, 0) {
                    let s = k.0 as f64 / 100.0;
                    let d = k.1 as f64 / 100.0;
                    let color = cell_color(s, d);
                    let x0 = c as f64 * cw;
                    let x1 = (e as f64 * cw).min(end);
                    rects.push(Rectangle::new([(x0, y_bot), (x1, y_top)], color.filled()));
                }
                c = e;
            }
            chart.draw_series(rects).map_err(err)?;
            // Ground truth: the node (most of the band) was down.
            let mut c = 0;
            let mut bars = Vec::new();
            let bar_top = y_bot + (y_top - y_bot) * 0.3;
            while c < cols {
                if down[c] >= 50 {
                    let mut e = c + 1;
                    while e < cols && down[e] >= 50 {
                        e += 1;
                    }
                    bars.push(Rectangle::new(
                        [(c as f64 * cw, y_bot), ((e as f64 * cw).min(end), bar_top)],
                        BLACK.filled(),
                    ));
                    c = e;
                } else {
                    c += 1;
                }
            }
            chart.draw_series(bars).map_err(err)?;
            let style = state_style(BLACK, Marker::Triangle);
            chart
                .draw_series(row.episodes_min.iter().map(|&x| {
                    let mut g = Glyph::new((x, y_top), style, GlyphKind::Marker);
                    g.size = if nr > 45 { 2 } else { 3 };
                    g
                }))
                .map_err(err)?;
        }

        let base = plot.get_base_pixel();
        for (i, (x, label)) in marks.iter().enumerate() {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(*x, 0.0), (*x, nr as f64)],
                    5,
                    4,
                    ShapeStyle::from(&INK).stroke_width(1),
                ))
                .map_err(err)?;
            // Label above the top of the line, staggered so neighbours do
            // not collide: level 0 just above the rows, then further up.
            let (px, py) = chart.backend_coord(&(*x, nr as f64));
            let bottom = py - base.1 - 1 - (i as i32 % MARK_LEVELS as i32) * MARK_LEVEL_PX;
            // The line goes on up to its label, dashed as in the plot.
            let (lx, top) = (px - base.0, py - base.1);
            let mut y = top;
            while y > bottom {
                let dash_end = (y - 5).max(bottom);
                plot.draw(&PathElement::new(
                    vec![(lx, y), (lx, dash_end)],
                    ShapeStyle::from(&INK).stroke_width(1),
                ))
                .map_err(err)?;
                y -= 9;
            }
            let label_style = legend_style().color(&INK);
            let w = plot
                .estimate_text_size(label, &label_style)
                .map(|s| s.0 as i32)
                .unwrap_or(0);
            plot.draw(&Rectangle::new(
                [
                    (px - base.0 + 2, bottom - MARK_LEVEL_PX + 1),
                    (px - base.0 + 7 + w, bottom),
                ],
                WHITE.mix(0.85).filled(),
            ))
            .map_err(err)?;
            plot.draw(&Text::new(
                label.clone(),
                (px - base.0 + 4, bottom - MARK_LEVEL_PX + 2),
                label_style.pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// Colour of a cell whose row is held suspect by share `s` and dead by `d`.
pub fn cell_color(s: f64, d: f64) -> RGBColor {
    let s = s.clamp(0.0, 1.0);
    let d = d.clamp(0.0, 1.0 - s);
    let a = 1.0 - s - d;
    let f = |x: u8, y: u8, z: u8| (a * x as f64 + s * y as f64 + d * z as f64).round() as u8;
    RGBColor(
        f(ALIVE.0, SUSPECT.0, DEAD.0),
        f(ALIVE.1, SUSPECT.1, DEAD.1),
        f(ALIVE.2, SUSPECT.2, DEAD.2),
    )
}

fn row_label(r: &TimelineRow) -> String {
    let mut s = r.label.clone();
    if r.faulty && r.members == 1 {
        s.push_str(" (faulty)");
    }
    s
}

/// Round tick positions for a time axis ending at `end` minutes.
pub fn time_ticks(end: f64) -> (f64, Vec<f64>) {
    let raw = end / 10.0;
    let step = [
        1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 180.0, 240.0, 360.0, 720.0, 1440.0,
    ]
    .into_iter()
    .find(|s| *s >= raw)
    .unwrap_or_else(|| (raw / 1440.0).ceil() * 1440.0);
    let step = if end < 10.0 {
        super::super::nice_ticks(end, 8)
            .1
            .get(1)
            .copied()
            .unwrap_or(1.0)
    } else {
        step
    };
    let n = (end / step).floor() as usize;
    (end, (0..=n).map(|k| k as f64 * step).collect())
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
    let items: [(SeriesStyle, GlyphKind, &str); 5] = [
        (
            state_style(ALIVE, Marker::None),
            GlyphKind::Swatch,
            "alive (held alive by all)",
        ),
        (
            state_style(SUSPECT, Marker::None),
            GlyphKind::Swatch,
            "suspect (share of observers)",
        ),
        (
            state_style(DEAD, Marker::None),
            GlyphKind::Swatch,
            "dead or left (share of observers)",
        ),
        (
            state_style(BLACK, Marker::None),
            GlyphKind::Swatch,
            "node down (ground truth)",
        ),
        (
            state_style(BLACK, Marker::Triangle),
            GlyphKind::Marker,
            "flap episode starts",
        ),
    ];
    let style_text = legend_style();
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, _, t)| {
            area.estimate_text_size(t, &style_text)
                .map(|s| s.0 as i32)
                .unwrap_or(0)
        })
        .collect();
    let total: i32 = widths.iter().map(|w| w + 44).sum();
    // Right-aligned with the plot, never past the left edge.
    let mut x = (area.dim_in_pixel().0 as i32 - total - 16).max(0);
    let y = 12i32;
    for ((style, kind, text), w) in items.into_iter().zip(widths) {
        let at = if kind == GlyphKind::Marker {
            (x + 7, y)
        } else {
            (x, y)
        };
        area.draw(&Glyph::new(at, style, kind)).map_err(err)?;
        area.draw(&Text::new(
            text.to_string(),
            (x + 20, y),
            style_text.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += 44 + w;
    }
    Ok(())
}
