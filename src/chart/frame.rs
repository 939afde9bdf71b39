//! The standard frame every chart shares: white background, a title, and a
//! subtitle naming what was run (scenario, preset, seed), so a PNG pasted into an
//! incident review still says where it came from.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::FAMILY;
use super::palette::{INK, MUTED};
use super::{err, ChartError};

/// Title and subtitle of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub title: String,
    /// E.g. `qiita-2015-sick-t2 · preset memberlist-2015 · seed 1`.
    pub subtitle: String,
}

/// Pixel heights of the frame's parts.
const TITLE_PX: i32 = 24;
const SUBTITLE_PX: i32 = 15;
const MARGIN: i32 = 14;

impl Frame {
    pub fn new(title: impl Into<String>, subtitle: impl Into<String>) -> Frame {
        Frame {
            title: title.into(),
            subtitle: subtitle.into(),
        }
    }

    /// The usual subtitle: `scenario · preset P · seed N` (plus `extra` if not empty).
    pub fn run_subtitle(scenario: &str, preset: &str, seed: u64, extra: &str) -> String {
        let mut s = format!("{scenario} · preset {preset} · seed {seed}");
        if !extra.is_empty() {
            s.push_str(" · ");
            s.push_str(extra);
        }
        s
    }

    /// Fill `root`, draw the title and subtitle, and return the area below them.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<DrawingArea<DB, Shift>, ChartError> {
        root.fill(&WHITE).map_err(err)?;
        let left = Pos::new(HPos::Left, VPos::Top);
        root.draw(&Text::new(
            self.title.clone(),
            (MARGIN, MARGIN - 2),
            title_style().pos(left),
        ))
        .map_err(err)?;
        root.draw(&Text::new(
            self.subtitle.clone(),
            (MARGIN, MARGIN + TITLE_PX + 4),
            (FAMILY, SUBTITLE_PX).into_font().color(&MUTED).pos(left),
        ))
        .map_err(err)?;
        let top = MARGIN + TITLE_PX + SUBTITLE_PX + 14;
        let (_, body) = root.split_vertically(top);
        Ok(body.margin(0, MARGIN as u32, MARGIN as u32, MARGIN as u32))
    }
}

pub fn title_style() -> TextStyle<'static> {
    (FAMILY, TITLE_PX).into_font().color(&INK)
}

/// Axis tick labels.
/// The house axes: white minor grid, light major grid, ink axes, and the
/// axis-description and tick-label fonts. Callers add their descriptions and
/// formatters; one place keeps every chart's axes alike.
pub fn house_mesh<'m, 'a, 'b, X, Y, XT, YT, DB>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = XT>
        + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = YT>
        + plotters::coord::ranged1d::ValueFormatter<YT>,
    DB: DrawingBackend,
{
    mesh.light_line_style(WHITE)
        .bold_line_style(super::palette::GRID)
        .axis_style(INK)
        .axis_desc_style(axis_desc_style())
        .label_style(label_style())
}

pub fn label_style() -> TextStyle<'static> {
    (FAMILY, 13).into_font().color(&INK)
}

/// Axis descriptions (with units).
pub fn axis_desc_style() -> TextStyle<'static> {
    (FAMILY, 15).into_font().color(&INK)
}

/// Panel captions and legend entries.
pub fn caption_style() -> TextStyle<'static> {
    (FAMILY, 15).into_font().color(&INK)
}

/// Numbers written on a chart's marks (a bar's value).
pub fn value_label_style() -> TextStyle<'static> {
    (FAMILY, 12).into_font().color(&INK)
}

pub fn legend_style() -> TextStyle<'static> {
    (FAMILY, 13).into_font().color(&INK)
}
