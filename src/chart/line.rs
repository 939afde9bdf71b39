//! Line panel: lines over a numeric x axis, each optionally with a spread band
//! (e.g. min–max across seeds) and optionally stepped (CDFs, per-bin rates).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{house_mesh, legend_style};
use super::glyph::{Glyph, GlyphKind};
use super::legend::{self, draw_boxed, draw_header, empty_note, Entry};
use super::palette::{series_style, Dash, SeriesStyle, MUTED};
use super::{axis_number, err, nice_max, ChartError};

/// One line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Spread per x: `(x, lo, hi)`, drawn as a translucent band under the line.
    pub band: Option<Vec<(f64, f64, f64)>>,
    /// Draw as steps (value holds until the next x).
    pub step: bool,
    /// Style; `None` takes [`series_style`] of the line's index.
    pub style: Option<SeriesStyle>,
}

impl Line {
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Line {
        Line {
            label: label.into(),
            points,
            band: None,
            step: false,
            style: None,
        }
    }
    pub fn band(mut self, band: Vec<(f64, f64, f64)>) -> Line {
        self.band = Some(band);
        self
    }
    pub fn step(mut self) -> Line {
        self.step = true;
        self
    }
    pub fn style(mut self, s: SeriesStyle) -> Line {
        self.style = Some(s);
        self
    }
}

pub use super::legend::LegendAt;

/// A panel of lines.
#[derive(Clone, Debug)]
pub struct LinePanel {
    /// Optional caption above the plot (for stacked panels).
    pub caption: Option<String>,
    /// Axis descriptions, with units: `time (min)`.
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    /// Fixed x range; default: the data's.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; default: 0 to a rounded-up maximum.
    pub y_range: Option<(f64, f64)>,
    /// Vertical reference lines with a short label (e.g. `restart a-01`).
    pub marks: Vec<(f64, String)>,
    pub legend_at: LegendAt,
    /// Pixels reserved left of the plot for y labels (align stacked panels).
    pub y_label_area: u32,
    /// Note drawn in the middle of an empty plot (no lines or no points).
    pub empty_note: String,
}

impl LinePanel {
    pub fn new(x_desc: impl Into<String>, y_desc: impl Into<String>) -> LinePanel {
        LinePanel {
            caption: None,
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            lines: Vec::new(),
            x_range: None,
            y_range: None,
            marks: Vec::new(),
            legend_at: LegendAt::Above,
            y_label_area: 80,
            empty_note: "no data".into(),
        }
    }
    pub fn caption(mut self, c: impl Into<String>) -> LinePanel {
        self.caption = Some(c.into());
        self
    }
    pub fn line(mut self, l: Line) -> LinePanel {
        self.lines.push(l);
        self
    }
    pub fn x_range(mut self, lo: f64, hi: f64) -> LinePanel {
        self.x_range = Some((lo, hi));
        self
    }
    pub fn y_range(mut self, lo: f64, hi: f64) -> LinePanel {
        self.y_range = Some((lo, hi));
        self
    }
    pub fn mark(mut self, x: f64, label: impl Into<String>) -> LinePanel {
        self.marks.push((x, label.into()));
        self
    }
    pub fn legend_at(mut self, at: LegendAt) -> LinePanel {
        self.legend_at = at;
        self
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let xs = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite());
        let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if let Some(r) = self.x_range {
            (x0, x1) = r;
        }
        if !(x0.is_finite() && x1.is_finite()) {
            (x0, x1) = (0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        let y = self.y_range.unwrap_or_else(|| {
            let ymax = self
                .lines
                .iter()
                .flat_map(|l| {
                    l.points
                        .iter()
                        .map(|p| p.1)
                        .chain(l.band.iter().flat_map(|b| b.iter().map(|p| p.2)))
                })
                .filter(|y| y.is_finite())
                .fold(0.0f64, f64::max);
            (0.0, nice_max(ymax * 1.08, 1.0))
        });
        ((x0, x1), y)
    }

    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let ((x0, x1), (y0, y1)) = self.ranges();
        let entries: Vec<Entry> = legend::entries(
            self.lines.iter().map(|l| (l.style, l.label.as_str())),
            GlyphKind::LineSample,
        );
        let above = self.legend_at == LegendAt::Above;
        let area = &draw_header(
            area,
            self.caption.as_deref(),
            self.y_label_area as i32,
            if above { &entries } else { &[] },
        )?;
        let mut b = ChartBuilder::on(area);
        b.margin_top(6)
            .margin_right(12)
            .x_label_area_size(44)
            .y_label_area_size(self.y_label_area);
        let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
        house_mesh(&mut chart.configure_mesh())
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_labels(10)
            .y_labels(6)
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| axis_number(*v))
            .draw()
            .map_err(err)?;

        for (x, label) in &self.marks {
            if *x < x0 || *x > x1 {
                continue;
            }
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(*x, y0), (*x, y1)],
                    4,
                    4,
                    ShapeStyle::from(&MUTED).stroke_width(1),
                ))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*x, y1),
                    legend_style()
                        .color(&MUTED)
                        .pos(plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Left,
                            plotters::style::text_anchor::VPos::Top,
                        )),
                )))
                .map_err(err)?;
        }

        let any_points = self.lines.iter().any(|l| !l.points.is_empty());
        for (i, line) in self.lines.iter().enumerate() {
            let style = line.style.unwrap_or_else(|| series_style(i));
            if let Some(band) = &line.band {
                if band.len() == 1 {
                    // A band needs two x to be an area: the spread at a lone x
                    // is a whisker with caps (it was not drawn at all).
                    let (x, lo, hi) = band[0];
                    let whisker = ShapeStyle::from(&style.color.mix(0.6)).stroke_width(2);
                    let cap = (x1 - x0) * 0.006;
                    chart
                        .draw_series([
                            PathElement::new(vec![(x, lo), (x, hi)], whisker),
                            PathElement::new(vec![(x - cap, lo), (x + cap, lo)], whisker),
                            PathElement::new(vec![(x - cap, hi), (x + cap, hi)], whisker),
                        ])
                        .map_err(err)?;
                } else if band.len() >= 2 {
                    let mut poly: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.2)).collect();
                    poly.extend(band.iter().rev().map(|p| (p.0, p.1)));
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            poly,
                            style.color.mix(0.18).filled(),
                        )))
                        .map_err(err)?;
                }
            }
            let pts = if line.step {
                steps(&line.points)
            } else {
                line.points.clone()
            };
            let stroke = ShapeStyle::from(&style.color).stroke_width(2);
            match style.dash {
                Dash::Solid => {
                    chart
                        .draw_series(LineSeries::new(pts, stroke))
                        .map_err(err)?;
                }
                Dash::Dashed { on, off } => {
                    chart
                        .draw_series(DashedLineSeries::new(pts, on, off, stroke))
                        .map_err(err)?;
                }
                Dash::Dotted => {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 2, 4, stroke))
                        .map_err(err)?;
                }
            }
            // A few markers per line (not one per point: they would merge into a
            // smear on long series), offset per line so they do not overlap.
            let n = line.points.len();
            let every = (n / 10).max(1);
            let offset = (i * every / 3.max(self.lines.len())) % every;
            let drawn = chart
                .draw_series(
                    line.points
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| k % every == offset)
                        .map(|(_, p)| Glyph::new(*p, style, GlyphKind::Marker)),
                )
                .map_err(err)?;
            if !line.label.is_empty() {
                drawn
                    .label(line.label.clone())
                    .legend(move |(x, y)| Glyph::new((x, y), style, GlyphKind::LineSample));
            }
        }
        if !any_points {
            let mid = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            chart
                .draw_series(std::iter::once(empty_note(&self.empty_note, mid)))
                .map_err(err)?;
        }
        if !above && !self.lines.is_empty() {
            draw_boxed(&mut chart, self.legend_at)?;
        }
        Ok(())
    }
}

/// Points of a step function through `pts` (each value holds until the next x).
pub fn steps(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, p) in pts.iter().enumerate() {
        if i > 0 {
            out.push((p.0, pts[i - 1].1));
        }
        out.push(*p);
    }
    out
}
