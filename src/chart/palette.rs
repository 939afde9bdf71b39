//! Colours, dash patterns and markers that stay distinguishable in greyscale and
//! for colour-blind readers.
//!
//! Series colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
//! Design"), which stays distinct under the common colour-vision deficiencies. It
//! does not survive greyscale by itself (orange and sky blue print alike), so each
//! series also gets its own dash pattern and marker: series `i` differs from
//! series `j` in at least two of colour, dash and marker.
//!
//! Sequential data (heatmaps) uses a light → dark ramp ([`sequential`]) whose
//! luminance falls monotonically, so "more" is darker on any printer.

use plotters::style::RGBColor;

pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Text and axis colours.
pub const INK: RGBColor = RGBColor(30, 30, 30);
pub const MUTED: RGBColor = RGBColor(90, 90, 90);
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Membership state colours for timelines: light, mid and dark in greyscale.
pub const ALIVE: RGBColor = RGBColor(236, 240, 244);
pub const SUSPECT: RGBColor = ORANGE;
pub const DEAD: RGBColor = RGBColor(20, 40, 110);

/// Line pattern of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    Solid,
    /// Dashes of `on` pixels separated by `off` pixels.
    Dashed {
        on: u32,
        off: u32,
    },
    Dotted,
}

/// Point marker of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Cross,
    Diamond,
    None,
}

/// How one series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesStyle {
    pub color: RGBColor,
    pub dash: Dash,
    pub marker: Marker,
}

/// Series colours in order (yellow last: faint on white).
pub const SERIES_COLORS: [RGBColor; 8] = [
    BLUE,
    VERMILLION,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    ORANGE,
    SKY_BLUE,
    BLACK,
    YELLOW,
];

const DASHES: [Dash; 3] = [Dash::Solid, Dash::Dashed { on: 10, off: 5 }, Dash::Dotted];

const MARKERS: [Marker; 5] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Cross,
    Marker::Diamond,
];

/// The style of series `i` (cycles after 8 colours).
pub fn series_style(i: usize) -> SeriesStyle {
    SeriesStyle {
        color: SERIES_COLORS[i % SERIES_COLORS.len()],
        dash: DASHES[i % DASHES.len()],
        marker: MARKERS[i % MARKERS.len()],
    }
}

/// Mix `a` and `b`: `t` = 0 gives `a`, 1 gives `b`.
pub fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let f = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}

/// Light → dark sequential ramp (white, pale yellow, green, blue, dark purple:
/// a viridis-like path with monotonically falling luminance). `t` in 0..=1.
pub fn sequential(t: f64) -> RGBColor {
    const STOPS: [RGBColor; 6] = [
        RGBColor(255, 255, 255),
        RGBColor(253, 231, 37),
        RGBColor(94, 201, 98),
        RGBColor(33, 145, 140),
        RGBColor(59, 82, 139),
        RGBColor(68, 1, 84),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    mix(STOPS[i], STOPS[i + 1], x - i as f64)
}

/// Relative luminance (0 black … 1 white), for tests and for choosing text colour
/// on a filled cell.
pub fn luminance(c: RGBColor) -> f64 {
    (0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64) / 255.0
}
