//! A legend drawn as a row above a plot, never inside it: a legend box inside the
//! plot hides whatever data happens to lie under it (a flap burst at the end of
//! the run, say). The row also carries the panel's caption, left-aligned.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{caption_style, legend_style};
use super::glyph::{Glyph, GlyphKind};
use super::palette::SeriesStyle;
use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;

use super::palette::MUTED;
use super::{err, ChartError};

/// One legend entry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub style: SeriesStyle,
    pub kind: GlyphKind,
    pub label: String,
}

/// The legend entries of series drawn with glyph `kind`: each series' own
/// style, or the palette's i-th, the one its data is drawn with.
pub fn entries<'a>(
    series: impl Iterator<Item = (Option<SeriesStyle>, &'a str)>,
    kind: GlyphKind,
) -> Vec<Entry> {
    series
        .enumerate()
        .map(|(i, (style, label))| Entry {
            style: style.unwrap_or_else(|| super::palette::series_style(i)),
            kind,
            label: label.to_string(),
        })
        .collect()
}

const ROW_PX: u32 = 24;
/// Space for the glyph before each label, and between entries.
const GLYPH_PX: i32 = 30;
const GAP_PX: i32 = 18;

/// Draw `caption` (left, from pixel `left`) and `entries` (right-aligned) in one
/// or two rows at the top of `area`; returns the area below them.
pub fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: Option<&str>,
    left: i32,
    entries: &[Entry],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    if caption.is_none() && entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let ls = legend_style();
    let cs = caption_style();
    let width = |t: &str, s: &TextStyle| {
        area.estimate_text_size(t, s)
            .map(|x| x.0 as i32)
            .unwrap_or(0)
    };
    let label_w: Vec<i32> = entries.iter().map(|e| width(&e.label, &ls)).collect();
    let legend_w: i32 = label_w.iter().map(|w| w + GLYPH_PX + GAP_PX).sum();
    let caption_w = caption.map(|c| width(c, &cs)).unwrap_or(0);
    let two_rows = caption.is_some() && left + caption_w + 24 + legend_w > w as i32;
    let rows = if two_rows { 2 } else { 1 };
    let (head, rest) = area.split_vertically(ROW_PX * rows);
    let y_caption = ROW_PX as i32 / 2;
    if let Some(c) = caption {
        head.draw(&Text::new(
            c.to_string(),
            (left, y_caption),
            cs.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    let y = if two_rows {
        ROW_PX as i32 * 3 / 2
    } else {
        y_caption
    };
    let mut x = (w as i32 - legend_w - 4).max(left);
    for (e, lw) in entries.iter().zip(label_w) {
        let at = match e.kind {
            GlyphKind::LineSample | GlyphKind::Swatch => (x, y),
            GlyphKind::Marker => (x + 10, y),
        };
        head.draw(&Glyph::new(at, e.style, e.kind)).map_err(err)?;
        head.draw(&Text::new(
            e.label.clone(),
            (x + GLYPH_PX - 2, y),
            ls.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
        x += lw + GLYPH_PX + GAP_PX;
    }
    Ok(rest)
}

/// Where a panel's legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegendAt {
    /// In a row above the plot, beside the caption (the default: never hides data).
    Above,
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
}

impl LegendAt {
    pub fn position(self) -> SeriesLabelPosition {
        match self {
            LegendAt::Above | LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
            LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
            LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// The legend box inside the plot, for panels whose legend is not [`LegendAt::Above`].
pub fn draw_boxed<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: LegendAt,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(at.position())
        .legend_area_size(30)
        .label_font(legend_style())
        .background_style(WHITE.mix(0.9))
        .border_style(MUTED)
        .draw()
        .map_err(err)
}

/// The note an empty plot shows in its middle ("no data").
pub fn empty_note<C>(text: &str, at: C) -> Text<'static, C, String> {
    Text::new(
        text.to_string(),
        at,
        caption_style()
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    )
}
