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
/// style, or the palette's i-th, the one its data is drawn with. A series
/// without a label has no entry (many series drawn alike, say).
pub fn entries<'a>(
    series: impl Iterator<Item = (Option<SeriesStyle>, &'a str)>,
    kind: GlyphKind,
) -> Vec<Entry> {
    series
        .enumerate()
        .filter(|(_, (_, label))| !label.is_empty())
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

/// Draw `caption` (left, from pixel `left`) and `entries` (right-aligned) in
/// rows at the top of `area`; returns the area below them.
///
/// The entries share the caption's row when they fit beside it; else they
/// start on the next row, and wrap onto as many more as they need, each row
/// right-aligned between `left` and the area's right edge. (One row that never
/// wrapped ran six series' labels off the right edge of a sweep's metrics
/// chart.)
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
    let entry_w = |lw: i32| lw + GLYPH_PX + GAP_PX;
    let legend_w: i32 = label_w.iter().map(|&lw| entry_w(lw)).sum();
    let caption_w = caption.map(|c| width(c, &cs)).unwrap_or(0);
    let right = w as i32 - 4;
    // (Each entry's width counts the gap after it, so the last label ends a
    // gap short of `right`: a row of it fits when that end is inside.)
    let beside = if caption.is_some() {
        left + caption_w + 24 + legend_w <= w as i32
    } else {
        left + legend_w - GAP_PX <= right
    };
    // Rows of entry indices, packed greedily into the width from `left`.
    let mut lines: Vec<Vec<usize>> = Vec::new();
    if beside {
        lines.push((0..entries.len()).collect());
    } else {
        let room = (right - left).max(1);
        let mut used = 0;
        for (i, &lw) in label_w.iter().enumerate() {
            // The last entry of a row needs no gap after it.
            let need = entry_w(lw) - GAP_PX;
            match lines.last_mut() {
                Some(line) if used + need <= room => {
                    line.push(i);
                    used += entry_w(lw);
                }
                _ => {
                    lines.push(vec![i]);
                    used = entry_w(lw);
                }
            }
        }
    }
    let first = if caption.is_some() && !beside { 1 } else { 0 };
    let rows = (first + lines.len()).max(1) as u32;
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
    for (row, line) in lines.iter().enumerate() {
        let y = ROW_PX as i32 * (first + row) as i32 + ROW_PX as i32 / 2;
        let line_w: i32 = line.iter().map(|&i| entry_w(label_w[i])).sum();
        let mut x = (right - line_w).max(left);
        for &i in line {
            let e = &entries[i];
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
            x += entry_w(label_w[i]);
        }
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
