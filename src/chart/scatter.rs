//! Scatter panel: points per series, each series with its own colour and marker.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::house_mesh;
use super::glyph::{Glyph, GlyphKind};
use super::legend::{self, draw_boxed, draw_header, Entry};
use super::line::LegendAt;
use super::palette::{series_style, SeriesStyle};
use super::{axis_number, err, nice_max, ChartError};

#[derive(Clone, Debug, PartialEq)]
pub struct ScatterSeries {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub style: Option<SeriesStyle>,
}

impl ScatterSeries {
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> ScatterSeries {
        ScatterSeries {
            label: label.into(),
            points,
            style: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ScatterPanel {
    pub caption: Option<String>,
    pub x_desc: String,
    pub y_desc: String,
    pub series: Vec<ScatterSeries>,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub legend_at: LegendAt,
}

impl ScatterPanel {
    pub fn new(x_desc: impl Into<String>, y_desc: impl Into<String>) -> ScatterPanel {
        ScatterPanel {
            caption: None,
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            series: Vec::new(),
            x_range: None,
            y_range: None,
            legend_at: LegendAt::Above,
        }
    }
    pub fn series(mut self, s: ScatterSeries) -> ScatterPanel {
        self.series.push(s);
        self
    }

    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        let all = || self.series.iter().flat_map(|s| s.points.iter().copied());
        let fmax = |f: fn(&(f64, f64)) -> f64| {
            all()
                .map(|p| f(&p))
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let x = self
            .x_range
            .unwrap_or_else(|| (0.0, nice_max(fmax(|p| p.0) * 1.05, 1.0)));
        let y = self
            .y_range
            .unwrap_or_else(|| (0.0, nice_max(fmax(|p| p.1) * 1.08, 1.0)));
        let above = self.legend_at == LegendAt::Above;
        let entries: Vec<Entry> = if above {
            legend::entries(
                self.series.iter().map(|s| (s.style, s.label.as_str())),
                GlyphKind::Marker,
            )
        } else {
            Vec::new()
        };
        let area = &draw_header(area, self.caption.as_deref(), 80, &entries)?;
        let mut b = ChartBuilder::on(area);
        b.margin_top(6)
            .margin_right(12)
            .x_label_area_size(44)
            .y_label_area_size(80);
        let mut chart = b.build_cartesian_2d(x.0..x.1, y.0..y.1).map_err(err)?;
        house_mesh(&mut chart.configure_mesh())
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&|v| axis_number(*v))
            .draw()
            .map_err(err)?;
        for (i, s) in self.series.iter().enumerate() {
            let style = s.style.unwrap_or_else(|| series_style(i));
            chart
                .draw_series(
                    s.points
                        .iter()
                        .filter(|p| p.0.is_finite() && p.1.is_finite())
                        .map(|p| Glyph::new(*p, style, GlyphKind::Marker)),
                )
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| Glyph::new((x + 8, y), style, GlyphKind::Marker));
        }
        if !above && !self.series.is_empty() {
            draw_boxed(&mut chart, self.legend_at)?;
        }
        Ok(())
    }
}
