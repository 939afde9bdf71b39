//! A small custom plotters element: a series' marker, optionally with a stretch of
//! its line pattern, drawn at one point. Used for markers on data points and for
//! legend entries, so a legend shows exactly the dash and marker a series has
//! (what tells series apart in greyscale).

use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::palette::{Dash, Marker, SeriesStyle};

/// What to draw around the anchor point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GlyphKind {
    /// The marker alone, centred on the point.
    Marker,
    /// A legend sample: 24 px of the line pattern with the marker in its middle
    /// (the anchor is the sample's left end).
    LineSample,
    /// A filled box (bars, areas), 14 px, anchored at its left middle.
    Swatch,
}

/// One glyph at `at` (data or pixel coordinates).
pub struct Glyph<C> {
    pub at: C,
    pub style: SeriesStyle,
    pub kind: GlyphKind,
    /// Marker radius in pixels.
    pub size: i32,
}

impl<C> Glyph<C> {
    pub fn new(at: C, style: SeriesStyle, kind: GlyphKind) -> Glyph<C> {
        Glyph {
            at,
            style,
            kind,
            size: 4,
        }
    }
}

impl<'a, C> PointCollection<'a, C> for &'a Glyph<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Glyph<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _parent_dim: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let color = self.style.color;
        match self.kind {
            GlyphKind::Marker => draw_marker(backend, (x, y), self.style.marker, color, self.size),
            GlyphKind::LineSample => {
                let stroke = ShapeStyle::from(&color).stroke_width(2);
                let segments: &[(i32, i32)] = match self.style.dash {
                    Dash::Solid => &[(0, 24)],
                    Dash::Dashed { .. } => &[(0, 8), (13, 24)],
                    Dash::Dotted => &[(0, 2), (6, 8), (12, 14), (18, 20), (23, 24)],
                };
                for &(a, b) in segments {
                    backend.draw_line((x + a, y), (x + b, y), &stroke)?;
                }
                draw_marker(backend, (x + 12, y), self.style.marker, color, self.size)
            }
            GlyphKind::Swatch => {
                let fill = ShapeStyle::from(&color).filled();
                backend.draw_rect((x, y - 6), (x + 14, y + 6), &fill, true)?;
                let edge = ShapeStyle::from(&BLACK.mix(0.6));
                backend.draw_rect((x, y - 6), (x + 14, y + 6), &edge, false)
            }
        }
    }
}

/// Draw `marker` centred at `(x, y)`, radius `r` pixels.
pub fn draw_marker<DB: DrawingBackend>(
    backend: &mut DB,
    (x, y): BackendCoord,
    marker: Marker,
    color: RGBColor,
    r: i32,
) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
    let fill = ShapeStyle::from(&color).filled();
    let stroke = ShapeStyle::from(&color).stroke_width(2);
    match marker {
        Marker::None => Ok(()),
        Marker::Circle => backend.draw_circle((x, y), r as u32, &fill, true),
        Marker::Square => backend.draw_rect((x - r, y - r), (x + r, y + r), &fill, true),
        Marker::Triangle => backend.fill_polygon(
            vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
            &fill,
        ),
        Marker::Diamond => backend.fill_polygon(
            vec![
                (x, y - r - 1),
                (x + r + 1, y),
                (x, y + r + 1),
                (x - r - 1, y),
            ],
            &fill,
        ),
        Marker::Cross => {
            backend.draw_line((x - r, y - r), (x + r, y + r), &stroke)?;
            backend.draw_line((x - r, y + r), (x + r, y - r), &stroke)
        }
    }
}
