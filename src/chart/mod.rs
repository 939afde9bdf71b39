//! The report-side charting layer: plotters figures rendered to SVG and PNG.
//!
//! Why it is shaped this way:
//! - Every chart must render the same bytes on any machine, including one with no
//!   system font library, so text goes through plotters' pure-Rust `ab_glyph` path
//!   with a bundled font ([`font`], DejaVu Sans, Bitstream Vera licence beside it).
//!   Nothing here reads a clock, a file or a random source: a chart is a pure
//!   function of its data, which is what lets `flapsim chart DIR` redraw a run's
//!   SVGs byte for byte from its output files.
//! - Readers print incident reviews in greyscale and some are colour-blind, so the
//!   series styles ([`palette`]) pair the Okabe–Ito colours with distinct dash
//!   patterns and markers; sequential scales run light → dark.
//! - Charts are built from *panels* (a line panel, a grouped bar panel, a heatmap,
//!   a scatter) stacked under one standard [`Frame`] (title, a subtitle carrying
//!   scenario/preset/seed, a legend per panel), so a new chart is data plus a few
//!   lines, not plotting code.
//!
//! The API in one screen:
//! ```ignore
//! use flapsim::chart::{Figure, Frame, LinePanel, Line, Panel, render};
//! let frame = Frame::new("Flap rate", "qiita-2015-sick-t2 · memberlist-2015 · seed 1");
//! let panel = LinePanel::new("time (min)", "flaps per minute")
//!     .line(Line::new("healthy subjects", points).band(lo_hi));
//! let fig = Figure::new(frame).panel(Panel::Line(panel), 1.0);
//! let out = render(&fig)?;          // Rendered { svg: String, png: Vec<u8> }
//! ```
//! - [`Figure`]: a [`Frame`] over panels stacked top to bottom with relative heights
//!   (`panel(p, weight)`); [`Figure::size`] sets the pixel size (default 1200×700).
//! - [`LinePanel`] + [`Line`]: lines (optionally stepped, e.g. CDFs) with an optional
//!   spread band (lo, hi) per point.
//! - [`BarPanel`] + [`BarSeries`]: grouped bars per category, with optional error
//!   bars (lo, hi); vertical or horizontal.
//! - [`HeatmapPanel`]: a matrix of counts with row/column labels and a colour bar.
//! - [`ScatterPanel`] + [`ScatterSeries`]: points with a marker per series.
//! - Legends go in a row above each panel by default ([`LegendAt::Above`], drawn by
//!   [`legend::draw_header`]), so they never hide data; `legend_at(...)` puts a
//!   boxed legend inside the plot instead.
//! - A chart that needs its own drawing (the cluster timeline) implements [`Chart`]
//!   directly and still uses [`Frame`], [`palette`], [`glyph`] and [`legend`].
//! - [`run`]: the per-run charts, drawn from a run's `chart-data.json`
//!   ([`run::RunChartData`]).
//! - [`to_svg`], [`to_png`], [`render`]: one chart to SVG text and/or PNG bytes
//!   (encoded in memory; nothing touches the filesystem here).

pub mod bars;
pub mod compare;
pub mod font;
pub mod frame;
pub mod glyph;
pub mod heatmap;
pub mod legend;
pub mod line;
pub mod palette;
pub mod run;
pub mod scatter;
pub mod sweep;
pub mod ticked;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use bars::{BarPanel, BarSeries, Orientation};
pub use frame::Frame;
pub use heatmap::HeatmapPanel;
pub use line::{LegendAt, Line, LinePanel};
pub use palette::{series_style, Dash, Marker, SeriesStyle};
pub use scatter::{ScatterPanel, ScatterSeries};

/// A chart failed to draw (a plotting backend error; never expected with the
/// in-memory backends, but reported rather than unwrapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "drawing a chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

/// Map any plotters error into a [`ChartError`].
pub fn err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// Something that draws itself onto a plotters drawing area of [`Chart::size`].
pub trait Chart {
    /// Width and height in pixels (the PNG's size and the SVG's viewBox).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// One chart in both formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub svg: String,
    pub png: Vec<u8>,
}

/// Render `chart` as SVG text.
pub fn to_svg(chart: &impl Chart) -> Result<String, ChartError> {
    font::register();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size()).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// Render `chart` as PNG bytes (8-bit RGB), encoded in memory.
pub fn to_png(chart: &impl Chart) -> Result<Vec<u8>, ChartError> {
    font::register();
    let (w, h) = chart.size();
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    encode_png(&pixels, w, h)
}

/// Both formats.
pub fn render(chart: &impl Chart) -> Result<Rendered, ChartError> {
    Ok(Rendered {
        svg: to_svg(chart)?,
        png: to_png(chart)?,
    })
}

/// Encode an 8-bit RGB buffer as PNG. Fast compression: charts are flat colour
/// and compress well anyway, and drawing time is part of every run.
pub fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// One panel of a [`Figure`].
#[derive(Clone, Debug)]
pub enum Panel {
    Line(LinePanel),
    Bars(BarPanel),
    Heatmap(HeatmapPanel),
    Scatter(ScatterPanel),
}

impl Panel {
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        match self {
            Panel::Line(p) => p.draw(area),
            Panel::Bars(p) => p.draw(area),
            Panel::Heatmap(p) => p.draw(area),
            Panel::Scatter(p) => p.draw(area),
        }
    }
}

/// A [`Frame`] over panels stacked top to bottom.
#[derive(Clone, Debug)]
pub struct Figure {
    pub frame: Frame,
    pub size: (u32, u32),
    /// Panels with their relative heights.
    pub panels: Vec<(Panel, f64)>,
}

impl Figure {
    pub fn new(frame: Frame) -> Figure {
        Figure {
            frame,
            size: (1200, 700),
            panels: Vec::new(),
        }
    }
    pub fn size(mut self, w: u32, h: u32) -> Figure {
        self.size = (w, h);
        self
    }
    pub fn panel(mut self, p: Panel, weight: f64) -> Figure {
        self.panels.push((p, weight.max(0.01)));
        self
    }
}

impl Chart for Figure {
    fn size(&self) -> (u32, u32) {
        self.size
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = self.frame.draw(root)?;
        for (area, (panel, _)) in stack(&body, &self.panels.iter().map(|p| p.1).collect::<Vec<_>>())
            .iter()
            .zip(&self.panels)
        {
            panel.draw(area)?;
        }
        Ok(())
    }
}

/// Split `area` top to bottom into parts with the given relative heights.
pub fn stack<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    weights: &[f64],
) -> Vec<DrawingArea<DB, Shift>> {
    if weights.is_empty() {
        return Vec::new();
    }
    let total: f64 = weights.iter().sum();
    let h = area.dim_in_pixel().1 as f64;
    let mut acc = 0.0;
    let breaks: Vec<i32> = weights[..weights.len() - 1]
        .iter()
        .map(|w| {
            acc += w;
            (h * acc / total).round() as i32
        })
        .collect();
    area.split_by_breakpoints(Vec::<i32>::new(), breaks)
}

/// "Nice" upper bound for an axis holding values up to `max` (at least `floor`).
pub fn nice_max(max: f64, floor: f64) -> f64 {
    let m = if max.is_finite() {
        max.max(floor)
    } else {
        floor
    };
    if m <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(m.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m <= step * mag * 1.0000001 {
            return step * mag;
        }
    }
    10.0 * mag
}

/// Round ticks for an axis from 0 to at least `max`: a step of 1, 2, 2.5 or 5
/// × 10^k giving at most `max_ticks` intervals. Returns (axis end, ticks).
pub fn nice_ticks(max: f64, max_ticks: usize) -> (f64, Vec<f64>) {
    let m = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = m / max_ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|s| s * mag)
        .find(|s| *s >= raw * 0.999_999)
        .unwrap_or(10.0 * mag);
    let n = (m / step - 1e-9).ceil().max(1.0) as usize;
    let ticks = (0..=n).map(|k| k as f64 * step).collect();
    (n as f64 * step, ticks)
}

/// Label for a number on an axis: as short as it can be without changing
/// the tick it names (at most three decimals, large values in k and M).
///
/// Why not a fixed number of decimals per magnitude: ticks fall on steps
/// like 0.25 or 12.5, and one decimal labelled 1.25 as "1.2" and 12.5 as
/// "12", a tick that was not where its label said.
pub fn axis_number(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{}M", shortest(v / 1e6, 3))
    } else if v.abs() >= 1e4 {
        format!("{}k", shortest(v / 1e3, 3))
    } else {
        shortest(v, 3)
    }
}

/// `v` with at most `decimals` decimals, trailing zeros dropped.
fn shortest(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    match s {
        "-0" => "0".to_string(),
        short => short.to_string(),
    }
}

#[cfg(test)]
mod tests;
