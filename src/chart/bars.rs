//! Grouped bar panel: categories (nodes, metrics, presets) × series, each bar with
//! an optional error bar (spread across seeds). Vertical or horizontal; horizontal
//! suits long category names (node names, top-N lists), first category on top.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{house_mesh, value_label_style};
use super::glyph::{Glyph, GlyphKind};
use super::legend::{self, draw_boxed, draw_header, empty_note, Entry};
use super::line::LegendAt;
use super::palette::{series_style, SeriesStyle};
use super::ticked::Ticked;
use super::{axis_number, err, nice_ticks, ChartError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// Categories along x, values up.
    Vertical,
    /// Categories down the y axis (first on top), values to the right.
    Horizontal,
}

/// One series: a value per category, optionally with its spread (lo, hi) and
/// the value written at each bar's end.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    pub label: String,
    pub values: Vec<f64>,
    pub errors: Option<Vec<(f64, f64)>>,
    /// Text at the end of each bar (past its whisker): a bar for 1 beside one
    /// for 700 is a sliver, and a bar for 0 is nothing at all, so only the
    /// number tells them apart. Written as the table beside the chart writes it.
    pub value_labels: Option<Vec<String>>,
    pub style: Option<SeriesStyle>,
}

impl BarSeries {
    pub fn new(label: impl Into<String>, values: Vec<f64>) -> BarSeries {
        BarSeries {
            label: label.into(),
            values,
            errors: None,
            value_labels: None,
            style: None,
        }
    }
    pub fn value_labels(mut self, labels: Vec<String>) -> BarSeries {
        self.value_labels = Some(labels);
        self
    }
    pub fn errors(mut self, e: Vec<(f64, f64)>) -> BarSeries {
        self.errors = Some(e);
        self
    }
    pub fn style(mut self, s: SeriesStyle) -> BarSeries {
        self.style = Some(s);
        self
    }
}

#[derive(Clone, Debug)]
pub struct BarPanel {
    pub caption: Option<String>,
    /// Category axis description (e.g. `node`).
    pub category_desc: String,
    /// Value axis description with unit (e.g. `suspicions raised (count)`).
    pub value_desc: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub orientation: Orientation,
    pub legend_at: LegendAt,
    /// Pixels for category labels (left in horizontal, below in vertical).
    pub category_label_area: u32,
    pub empty_note: String,
}

impl BarPanel {
    pub fn new(
        category_desc: impl Into<String>,
        value_desc: impl Into<String>,
        categories: Vec<String>,
    ) -> BarPanel {
        BarPanel {
            caption: None,
            category_desc: category_desc.into(),
            value_desc: value_desc.into(),
            categories,
            series: Vec::new(),
            orientation: Orientation::Vertical,
            legend_at: LegendAt::Above,
            category_label_area: 0,
            empty_note: "no data".into(),
        }
    }
    pub fn caption(mut self, c: impl Into<String>) -> BarPanel {
        self.caption = Some(c.into());
        self
    }
    pub fn series(mut self, s: BarSeries) -> BarPanel {
        self.series.push(s);
        self
    }
    pub fn horizontal(mut self) -> BarPanel {
        self.orientation = Orientation::Horizontal;
        self
    }
    pub fn legend_at(mut self, at: LegendAt) -> BarPanel {
        self.legend_at = at;
        self
    }

    fn value_max(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| {
                s.values
                    .iter()
                    .copied()
                    .chain(s.errors.iter().flat_map(|e| e.iter().map(|p| p.1)))
            })
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }

    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let n = self.categories.len().max(1);
        // Room past the longest bar for its number, when bars carry numbers.
        let labelled = self.series.iter().any(|s| s.value_labels.is_some());
        let headroom = if labelled { 1.15 } else { 1.08 };
        let (vmax, value_ticks) = nice_ticks(self.value_max() * headroom, 6);
        let vertical = self.orientation == Orientation::Vertical;
        // Category i sits at i + 0.5 (vertical) or n - i - 0.5 (horizontal: first on top).
        let cat_pos = |i: usize| -> f64 {
            if vertical {
                i as f64 + 0.5
            } else {
                n as f64 - i as f64 - 0.5
            }
        };
        let cat_ticks: Vec<f64> = (0..self.categories.len()).map(cat_pos).collect();
        let cat_range = Ticked::new(0.0, n as f64, cat_ticks);
        let val_range = Ticked::new(0.0, vmax, value_ticks);
        let names = &self.categories;
        let cat_label = move |v: &f64| -> String {
            let i = if vertical {
                (v - 0.5).round()
            } else {
                n as f64 - 0.5 - v
            }
            .round();
            if i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let val_label = |v: &f64| axis_number(*v);

        let label_area = if self.category_label_area > 0 {
            self.category_label_area
        } else if vertical {
            44
        } else {
            110
        };
        let above = self.legend_at == LegendAt::Above;
        let entries: Vec<Entry> = if above {
            legend::entries(
                self.series.iter().map(|s| (s.style, s.label.as_str())),
                GlyphKind::Swatch,
            )
        } else {
            Vec::new()
        };
        let area = &draw_header(
            area,
            self.caption.as_deref(),
            if vertical { 80 } else { label_area as i32 },
            &entries,
        )?;
        let mut b = ChartBuilder::on(area);
        b.margin_top(6).margin_right(16);
        if vertical {
            b.x_label_area_size(label_area).y_label_area_size(80);
        } else {
            b.x_label_area_size(44).y_label_area_size(label_area);
        }
        let (xr, yr) = if vertical {
            (cat_range, val_range)
        } else {
            (val_range, cat_range)
        };
        let mut chart = b.build_cartesian_2d(xr, yr).map_err(err)?;
        {
            let mut mesh = chart.configure_mesh();
            house_mesh(&mut mesh);
            if vertical {
                mesh.disable_x_mesh()
                    .x_desc(&self.category_desc)
                    .y_desc(&self.value_desc)
                    .x_label_formatter(&cat_label)
                    .y_label_formatter(&val_label);
            } else {
                mesh.disable_y_mesh()
                    .x_desc(&self.value_desc)
                    .y_desc(&self.category_desc)
                    .x_label_formatter(&val_label)
                    .y_label_formatter(&cat_label);
            }
            mesh.draw().map_err(err)?;
        }

        let k = self.series.len().max(1) as f64;
        let group = 0.8;
        let width = group / k;
        let point = |c: f64, v: f64| if vertical { (c, v) } else { (v, c) };
        for (si, s) in self.series.iter().enumerate() {
            let style = s.style.unwrap_or_else(|| series_style(si));
            let fill = style.color.filled();
            let edge = ShapeStyle::from(&BLACK.mix(0.55)).stroke_width(1);
            let bar = |ci: usize| {
                let c0 = cat_pos(ci) - group / 2.0 + width * si as f64;
                let (c0, c1) = if vertical {
                    (c0, c0 + width * 0.92)
                } else {
                    // Horizontal: first series on top within the group.
                    let top = cat_pos(ci) + group / 2.0 - width * si as f64;
                    (top - width * 0.92, top)
                };
                (c0, c1)
            };
            let rects: Vec<_> = s
                .values
                .iter()
                .enumerate()
                .take(self.categories.len())
                .filter(|(_, v)| v.is_finite())
                .map(|(ci, &v)| {
                    let (c0, c1) = bar(ci);
                    [point(c0, 0.0), point(c1, v.min(vmax))]
                })
                .collect();
            let drawn = chart
                .draw_series(rects.iter().map(|r| Rectangle::new(*r, fill)))
                .map_err(err)?;
            if !s.label.is_empty() {
                drawn
                    .label(s.label.clone())
                    .legend(move |(x, y)| Glyph::new((x, y), style, GlyphKind::Swatch));
            }
            chart
                .draw_series(rects.iter().map(|r| Rectangle::new(*r, edge)))
                .map_err(err)?;
            if let Some(errors) = &s.errors {
                let whisker = ShapeStyle::from(&BLACK).stroke_width(2);
                for (ci, &(lo, hi)) in errors.iter().enumerate().take(self.categories.len()) {
                    if !(lo.is_finite() && hi.is_finite()) {
                        continue;
                    }
                    let (c0, c1) = bar(ci);
                    let mid = (c0 + c1) / 2.0;
                    let cap = (c1 - c0) * 0.3;
                    let (lo, hi) = (lo.min(vmax), hi.min(vmax));
                    for seg in [
                        vec![point(mid, lo), point(mid, hi)],
                        vec![point(mid - cap, lo), point(mid + cap, lo)],
                        vec![point(mid - cap, hi), point(mid + cap, hi)],
                    ] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(seg, whisker)))
                            .map_err(err)?;
                    }
                }
            }
            if let Some(labels) = &s.value_labels {
                // Past the bar and its whisker, in pixels off the data point.
                let (offset, pos) = if vertical {
                    ((0, -4), Pos::new(HPos::Center, VPos::Bottom))
                } else {
                    ((5, 0), Pos::new(HPos::Left, VPos::Center))
                };
                let style = value_label_style().pos(pos);
                for (ci, (&v, text)) in s.values.iter().zip(labels).enumerate() {
                    if ci >= self.categories.len() || !v.is_finite() || text.is_empty() {
                        continue;
                    }
                    let hi = s
                        .errors
                        .as_ref()
                        .and_then(|e| e.get(ci))
                        .map_or(v, |&(_, hi)| if hi.is_finite() { hi.max(v) } else { v });
                    let (c0, c1) = bar(ci);
                    let at = point((c0 + c1) / 2.0, hi.clamp(0.0, vmax));
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at(at) + Text::new(text.clone(), offset, style.clone()),
                        ))
                        .map_err(err)?;
                }
            }
        }
        if self.categories.is_empty() || self.series.iter().all(|s| s.values.is_empty()) {
            let mid = point(n as f64 / 2.0, vmax / 2.0);
            chart
                .draw_series(std::iter::once(empty_note(&self.empty_note, mid)))
                .map_err(err)?;
        }
        if !above && !self.series.is_empty() {
            draw_boxed(&mut chart, self.legend_at)?;
        }
        Ok(())
    }
}
