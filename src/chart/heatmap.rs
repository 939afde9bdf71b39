//! Heatmap panel: a matrix of non-negative values (counts) with row and column
//! labels and a colour bar. Zero is white and "more" is darker
//! ([`palette::sequential`]), so the bright-in-colour / dark-in-print row is the
//! one to look at in either medium.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{axis_desc_style, caption_style, label_style, legend_style};
use super::palette::{self, INK, MUTED};
use super::ticked::Ticked;
use super::{axis_number, err, nice_max, ChartError};

#[derive(Clone, Debug)]
pub struct HeatmapPanel {
    pub caption: Option<String>,
    pub row_desc: String,
    pub col_desc: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// `values[r][c]`.
    pub values: Vec<Vec<f64>>,
    /// Colour bar title with unit (also the legend entry).
    pub scale_desc: String,
    pub empty_note: String,
    /// How a value is written in its cell, when cells are large enough; `None`
    /// writes none (an accusation matrix is mostly zeros, which white says).
    pub value_text: Option<fn(f64) -> String>,
    /// What a missing cell (NaN) means, named under the colour bar when there
    /// is one (a sweep's combination never run, or never measured).
    pub missing_desc: String,
}

/// A missing cell's fill and hatch: grey, never on the white → dark scale
/// (it was left white, exactly the colour of 0).
pub const MISSING: RGBColor = RGBColor(222, 222, 222);
const MISSING_HATCH: RGBColor = RGBColor(170, 170, 170);
/// Written in a missing cell when cells hold values.
pub const MISSING_TEXT: &str = "–";

const BAR_W: u32 = 110;

/// Pixels between an axis and its tick labels, and between the labels and the
/// axis title beyond them (plotters puts the title at the area's outer edge).
const LABEL_GAP: u32 = 14;

/// The narrowest label areas, so that short names keep the usual margins.
const MIN_ROW_AREA: u32 = 60;
const MIN_COL_AREA: u32 = 70;

impl HeatmapPanel {
    /// (row, column, value) of every cell whose value `keep` accepts, row by row.
    fn cells(&self, keep: fn(f64) -> bool) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.values.iter().enumerate().flat_map(move |(r, row)| {
            row.iter()
                .enumerate()
                .filter(move |&(_, &v)| keep(v))
                .map(move |(c, &v)| (r, c, v))
        })
    }

    pub fn new(
        row_desc: impl Into<String>,
        col_desc: impl Into<String>,
        rows: Vec<String>,
        cols: Vec<String>,
        values: Vec<Vec<f64>>,
        scale_desc: impl Into<String>,
    ) -> HeatmapPanel {
        HeatmapPanel {
            caption: None,
            row_desc: row_desc.into(),
            col_desc: col_desc.into(),
            rows,
            cols,
            values,
            scale_desc: scale_desc.into(),
            empty_note: "no data".into(),
            value_text: None,
            missing_desc: "no value".into(),
        }
    }

    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let (w, _) = area.dim_in_pixel();
        let (main, bar) = area.split_horizontally(w.saturating_sub(BAR_W));
        let nr = self.rows.len().max(1);
        let nc = self.cols.len().max(1);
        let vmax = self
            .values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let scale_max = nice_max(vmax, 1.0);

        // Row r at y = nr - r - 0.5 (first row on top); column c at x = c + 0.5.
        let row_ticks: Vec<f64> = (0..self.rows.len())
            .map(|r| nr as f64 - r as f64 - 0.5)
            .collect();
        let col_ticks: Vec<f64> = (0..self.cols.len()).map(|c| c as f64 + 0.5).collect();
        let rows = &self.rows;
        let cols = &self.cols;
        let row_label = move |v: &f64| {
            let r = nr as f64 - 0.5 - v;
            rows.get(r.round().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        };
        let col_label = move |v: &f64| {
            cols.get((v - 0.5).round().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        };
        // Thin labels when there are many columns (every k-th name).
        let max_labels = (main.dim_in_pixel().0 / 16).max(2) as usize;
        let col_ticks = thin(col_ticks, max_labels);
        let col_ticks_drawn = col_ticks.clone();
        let row_ticks = thin(row_ticks, (main.dim_in_pixel().1 / 15).max(2) as usize);

        let (col_area, row_area, across) = self.label_areas(&main);
        let mut b = ChartBuilder::on(&main);
        b.margin_top(6)
            .margin_right(10)
            .x_label_area_size(col_area)
            .y_label_area_size(row_area);
        if let Some(c) = &self.caption {
            b.caption(c, caption_style());
        }
        let mut chart = b
            .build_cartesian_2d(
                Ticked::new(0.0, nc as f64, col_ticks),
                Ticked::new(0.0, nr as f64, row_ticks),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .x_desc(&self.col_desc)
            .y_desc(&self.row_desc)
            .axis_desc_style(axis_desc_style())
            .label_style(label_style())
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&row_label)
            .draw()
            .map_err(err)?;
        // Column labels under each column: across when every one fits its
        // column (a sweep's few values), else reading downwards (a cluster's
        // node names). Drawn here, not by the mesh, whose label anchoring
        // ignores rotation.
        let base = main.get_base_pixel();
        for x in &col_ticks_drawn {
            let (px, py) = chart.backend_coord(&(*x, 0.0));
            let style = if across {
                label_style().pos(Pos::new(HPos::Center, VPos::Top))
            } else {
                label_style()
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center))
            };
            main.draw(&Text::new(
                col_label(x),
                (px - base.0, py - base.1 + 8),
                style,
            ))
            .map_err(err)?;
        }
        chart
            .draw_series(self.cells(|v| v.is_finite() && v > 0.0).map(|(r, c, v)| {
                let y = nr as f64 - r as f64;
                Rectangle::new(
                    [(c as f64, y - 1.0), (c as f64 + 1.0, y)],
                    palette::sequential(v / scale_max).filled(),
                )
            }))
            .map_err(err)?;
        // Missing cells: grey with a diagonal hatch, so no one reads them as 0.
        let missing = self.cells(f64::is_nan).count();
        for (r, c, _) in self.cells(f64::is_nan) {
            let (x, y) = (c as f64, nr as f64 - r as f64 - 1.0);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    MISSING.filled(),
                )))
                .map_err(err)?;
            // Lines u + v = t across the unit cell.
            let hatch = (1..8).map(|k| {
                let t = k as f64 / 4.0;
                PathElement::new(
                    vec![
                        (x + (t - 1.0).max(0.0), y + t.min(1.0)),
                        (x + t.min(1.0), y + (t - 1.0).max(0.0)),
                    ],
                    ShapeStyle::from(&MISSING_HATCH).stroke_width(1),
                )
            });
            chart.draw_series(hatch).map_err(err)?;
        }
        // Each cell's value in it when cells are large enough to hold it (a
        // sweep's few points, not a cluster's accusation matrix): the colour
        // ranks, the number is what summary.txt says.
        let (cell_w, cell_h) = {
            let (x, y) = chart.plotting_area().get_pixel_range();
            ((x.end - x.start) / nc as i32, (y.end - y.start) / nr as i32)
        };
        let texts: Vec<(usize, usize, String, f64)> = match self.value_text {
            None => Vec::new(),
            Some(write) => self
                .cells(|v| v.is_finite() || v.is_nan())
                .map(|(r, c, v)| {
                    let text = if v.is_nan() {
                        MISSING_TEXT.to_string()
                    } else {
                        write(v)
                    };
                    (r, c, text, v)
                })
                .collect(),
        };
        let fits = |t: &str| {
            main.estimate_text_size(t, &label_style())
                .is_ok_and(|(w, h)| (w as i32) + 8 <= cell_w && (h as i32) + 6 <= cell_h)
        };
        // A sweep whose every median is 0 (no flap anywhere) has data: its
        // zeros are written, not called "no data".
        let written = !texts.is_empty() && texts.iter().all(|t| fits(&t.2));
        if written {
            chart
                .draw_series(texts.into_iter().map(|(r, c, text, v)| {
                    let fill = if v.is_nan() {
                        MISSING
                    } else {
                        palette::sequential(v / scale_max)
                    };
                    let ink: &'static RGBColor = if palette::luminance(fill) < 0.5 {
                        &WHITE
                    } else {
                        &INK
                    };
                    Text::new(
                        text,
                        (c as f64 + 0.5, nr as f64 - r as f64 - 0.5),
                        label_style()
                            .color(ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )
                }))
                .map_err(err)?;
        }
        let all_missing = missing == nr * nc && missing > 0;
        if (vmax <= 0.0 && !written) || all_missing {
            chart
                .draw_series(std::iter::once(Text::new(
                    self.empty_note.clone(),
                    (nc as f64 / 2.0, nr as f64 / 2.0),
                    caption_style()
                        .color(&MUTED)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(err)?;
        }
        draw_color_bar(&bar, scale_max, &self.scale_desc)?;
        if missing > 0 {
            draw_missing_key(&bar, &self.missing_desc)?;
        }
        Ok(())
    }
}

impl HeatmapPanel {
    /// Heights of the column-label area and widths of the row-label area,
    /// each fitted to its longest label plus the axis title beside it.
    ///
    /// Why not fixed sizes: labels are node names with their totals
    /// (`node-00061 (17)` in a 1,000-node cluster) or a sweep axis's values,
    /// and a fixed area let long ones run under the axis title and off the
    /// image's edge. Each area is capped at a third of the panel, so a
    /// pathological label cannot squeeze the cells away.
    ///
    /// The third value says whether the column labels run across: when each
    /// fits its column, as a sweep's values do (`none`, `local-health`), they
    /// read as text rather than turned on their side.
    fn label_areas<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> (u32, u32, bool) {
        let (w, h) = area.dim_in_pixel();
        let widest = |labels: &[String]| {
            labels
                .iter()
                .filter_map(|l| area.estimate_text_size(l, &label_style()).ok())
                .map(|(w, _)| w)
                .max()
                .unwrap_or(0)
        };
        let title = |t: &str| {
            area.estimate_text_size(t, &axis_desc_style())
                .map_or(0, |(_, h)| h)
        };
        let col = widest(&self.cols) + title(&self.col_desc) + 2 * LABEL_GAP;
        let row = widest(&self.rows) + title(&self.row_desc) + 2 * LABEL_GAP;
        let row = row.clamp(MIN_ROW_AREA, (w / 3).max(MIN_ROW_AREA));
        let column_width = w.saturating_sub(row + 10) / self.cols.len().max(1) as u32;
        if widest(&self.cols) + LABEL_GAP <= column_width {
            let line = area
                .estimate_text_size("Xg", &label_style())
                .map_or(0, |(_, h)| h);
            let col = line + title(&self.col_desc) + 2 * LABEL_GAP;
            return (
                col.clamp(MIN_COL_AREA / 2, (h / 3).max(MIN_COL_AREA / 2)),
                row,
                true,
            );
        }
        (
            col.clamp(MIN_COL_AREA, (h / 3).max(MIN_COL_AREA)),
            row,
            false,
        )
    }
}

/// Keep at most `max` of `ticks`, evenly (always the first).
fn thin(ticks: Vec<f64>, max: usize) -> Vec<f64> {
    if ticks.len() <= max {
        return ticks;
    }
    let every = ticks.len().div_ceil(max);
    ticks.into_iter().step_by(every).collect()
}

/// Under the colour bar: a missing cell's swatch and what it means.
fn draw_missing_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    desc: &str,
) -> Result<(), ChartError> {
    let (_, h) = area.dim_in_pixel();
    let y = (h as i32 - 40).max(60);
    area.draw(&Rectangle::new(
        [(14, y - 9), (34, y + 9)],
        MISSING.filled(),
    ))
    .map_err(err)?;
    area.draw(&Rectangle::new(
        [(14, y - 9), (34, y + 9)],
        ShapeStyle::from(&MUTED),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        MISSING_TEXT,
        (24, y),
        label_style().pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        desc.to_string(),
        (40, y),
        legend_style().pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(err)?;
    Ok(())
}

/// A vertical colour bar from 0 (bottom) to `max` (top), titled `desc`.
pub fn draw_color_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    max: f64,
    desc: &str,
) -> Result<(), ChartError> {
    let (_, h) = area.dim_in_pixel();
    let top = 40i32;
    let bottom = (h as i32 - 70).max(top + 20);
    let x0 = 14i32;
    let x1 = 34i32;
    area.draw(&Text::new(
        desc.to_string(),
        (4, 8),
        legend_style().pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(err)?;
    // 40 bands, not one per pixel: the SVG stays small and the steps are invisible.
    let bands = 40;
    let span = (bottom - top) as f64;
    for k in 0..bands {
        let y0 = top + (span * k as f64 / bands as f64).round() as i32;
        let y1 = top + (span * (k + 1) as f64 / bands as f64).round() as i32;
        let t = 1.0 - (k as f64 + 0.5) / bands as f64;
        area.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            palette::sequential(t).filled(),
        ))
        .map_err(err)?;
    }
    area.draw(&Rectangle::new(
        [(x0, top), (x1, bottom)],
        ShapeStyle::from(&MUTED),
    ))
    .map_err(err)?;
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = bottom - ((bottom - top) as f64 * k as f64 / 4.0).round() as i32;
        area.draw(&PathElement::new(
            vec![(x1, y), (x1 + 4, y)],
            ShapeStyle::from(&INK),
        ))
        .map_err(err)?;
        area.draw(&Text::new(
            axis_number(v),
            (x1 + 7, y),
            label_style().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}
