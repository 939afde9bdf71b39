//! A shard's record of its sweep's run windows (`windows` in a shard's
//! `manifest.json`): each point's length and warm-up, what its rows' per-hour
//! rates are counted over.
//!
//! Why: `flapsim merge` reads shard directories only, never the sweep file,
//! so without this it could not tell whether a row's `flaps_per_hour` is what
//! its `flaps` make it, and a rate edited apart from its count was merged and
//! aggregated silently (a resumed sweep refuses it, [`super::store`]).
//!
//! The record is a pattern of `period` points, as spans of consecutive points
//! that share a window, and point `p` takes the window of point `p mod
//! period`. Why: a manifest holds each axis's values once, not every point
//! (10⁶ points were 130 MB), and so must this. A grid's windows move only
//! with the axes that edit `duration` or `warmup`, so they repeat every
//! `length × stride` points of the slowest such axis: a sweep whose axes move
//! no window records one span, and a grid whose last axis is `warmup` records
//! one span per warm-up, however many points the axes before it make. An
//! unsharded
//! sweep's manifest records none: it is read back with its sweep file, and
//! the merged manifest is the unsharded one, byte for byte.

use std::fmt;
use std::path::Path;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::lines::Lines;
use super::plan::{Plan, Windows, MAX_RUNS};
use crate::scenario::{RunWindow, ScenarioError};
use crate::units::format_duration;

/// The key of the record in a manifest.
pub const FIELD: &str = "windows";

/// Consecutive points that share a run window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSpan {
    /// How many points, from the point after the previous span's last.
    pub points: usize,
    pub duration_ns: u64,
    pub warmup_ns: u64,
}

impl WindowSpan {
    fn window(&self) -> RunWindow {
        RunWindow {
            duration: self.duration_ns,
            warmup: self.warmup_ns,
        }
    }
}

/// Every point's run window: point `p` takes the window of point `p mod
/// period`, which `spans` give, in point order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointWindows {
    period: usize,
    spans: Spans,
}

/// A pattern's spans (read capped, [`Spans::deserialize`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
struct Spans(Vec<WindowSpan>);

impl PointWindows {
    /// The windows of every point of `plan`, by the rules its runs resolve
    /// them with ([`Windows`]: a text is parsed again only when it moved).
    /// Holds every point's window (16 bytes a point) while the pattern is
    /// found.
    pub fn of(plan: &Plan) -> Result<PointWindows, ScenarioError> {
        let mut windows = Windows::new(plan);
        let all = (0..plan.point_count())
            .map(|p| windows.of(p))
            .collect::<Result<Vec<RunWindow>, ScenarioError>>()?;
        let period = shortest_period(&all);
        let mut spans: Vec<WindowSpan> = Vec::new();
        for w in &all[..period] {
            match spans.last_mut() {
                Some(s) if s.window() == *w => s.points += 1,
                _ => spans.push(WindowSpan {
                    points: 1,
                    duration_ns: w.duration,
                    warmup_ns: w.warmup,
                }),
            }
        }
        Ok(PointWindows {
            period,
            spans: Spans(spans),
        })
    }

    /// Why the record cannot be a sweep of `points` points' windows, if it
    /// cannot: the pattern's points divide the sweep's, every span holds a
    /// point, the spans hold the pattern's points, and each warm-up is
    /// shorter than its run (a run refuses any other).
    pub fn check(&self, points: usize) -> Result<(), String> {
        let period = self.period;
        if !points.is_multiple_of(period) {
            return Err(format!(
                "period {period} does not divide the sweep's {points} points"
            ));
        }
        let mut total = 0usize;
        for (i, s) in self.spans.0.iter().enumerate() {
            if s.points == 0 {
                return Err(format!("entry {i} holds no point"));
            }
            if s.duration_ns == 0 || s.warmup_ns >= s.duration_ns {
                return Err(format!(
                    "entry {i}: warm-up {} is not shorter than the run's {} (a run's duration includes its warm-up)",
                    format_duration(s.warmup_ns),
                    format_duration(s.duration_ns)
                ));
            }
            total = total.saturating_add(s.points);
        }
        if total != period {
            return Err(format!(
                "its entries hold {total} points, but its period is {period}"
            ));
        }
        Ok(())
    }

    /// A reader of the points' windows, asked point after point.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            period: self.period,
            spans: &self.spans.0,
            index: 0,
            start: 0,
        }
    }
}

/// The fewest points after which `all` repeats itself (a divisor of its
/// length; the length when it does not repeat). At most one pass over `all`
/// per divisor of its length (240 at most, for up to 10⁶ points), and most
/// stop at once: a grid's windows differ early where they differ at all.
fn shortest_period(all: &[RunWindow]) -> usize {
    let n = all.len();
    (1..=n)
        .filter(|p| n.is_multiple_of(*p))
        .find(|&p| (p..n).all(|i| all[i] == all[i - p]))
        .unwrap_or(n)
}

/// Reads [`PointWindows`] point after point (a sweep's rows, in run order,
/// ask for their points in ascending order), from the start again if asked
/// for an earlier point.
pub struct Cursor<'a> {
    period: usize,
    spans: &'a [WindowSpan],
    /// The span at hand, and its first point.
    index: usize,
    start: usize,
}

impl Cursor<'_> {
    /// Point `point`'s window (`None` for a record without points: the
    /// record was checked against the manifest's points first).
    pub fn of(&mut self, point: usize) -> Option<RunWindow> {
        let point = point.checked_rem(self.period)?;
        if point < self.start {
            (self.index, self.start) = (0, 0);
        }
        loop {
            let span = self.spans.get(self.index)?;
            if point < self.start + span.points {
                return Some(span.window());
            }
            self.start += span.points;
            self.index += 1;
        }
    }
}

/// Read as a list, refused once it holds more spans than a sweep has points
/// (a hostile list is never stored whole).
impl<'de> Deserialize<'de> for Spans {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Spans, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Spans;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of {points, duration_ns, warmup_ns}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spans, A::Error> {
                let mut spans = Vec::new();
                while let Some(s) = seq.next_element::<WindowSpan>()? {
                    if spans.len() == MAX_RUNS {
                        return Err(serde::de::Error::custom(format!(
                            "`{FIELD}` has more entries than a sweep has points (at most {MAX_RUNS})"
                        )));
                    }
                    spans.push(s);
                }
                Ok(Spans(spans))
            }
        }
        d.deserialize_seq(List)
    }
}

/// `path:LINE:COL: windows: message` where the manifest at `path` has its
/// `"windows"` key (`path: windows: message` when it cannot be found: a
/// manifest is read a line at a time, each capped, to find it).
pub fn locate(path: &Path, message: &str) -> String {
    locate_key(path, FIELD, message)
}

/// `path:line:col: KEY: message` at the first line of the file naming
/// `"KEY"` (just `path: KEY: message` when none does): where a manifest's
/// field is, for a refusal to point at.
pub fn locate_key(path: &Path, field: &str, message: &str) -> String {
    let shown = crate::quote::path(path);
    let key = format!("\"{field}\"");
    let at = Lines::open(path, 64 * 1024).ok().and_then(|mut lines| {
        while let Ok(Some(l)) = lines.next_line() {
            let col = l.windows(key.len()).position(|w| w == key.as_bytes());
            if let Some(c) = col {
                return Some((lines.line(), c + 1));
            }
        }
        None
    });
    match at {
        Some((line, col)) => format!("{shown}:{line}:{col}: {field}: {message}"),
        None => format!("{shown}: {field}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(points: usize, duration_ns: u64, warmup_ns: u64) -> WindowSpan {
        WindowSpan {
            points,
            duration_ns,
            warmup_ns,
        }
    }

    fn windows(period: usize, spans: Vec<WindowSpan>) -> PointWindows {
        PointWindows {
            period,
            spans: Spans(spans),
        }
    }

    /// Rule: the cursor gives each point the window of the span holding it
    /// (point `p` as point `p mod period`), asked in order or not.
    #[test]
    fn each_point_takes_the_window_of_the_span_that_holds_it() {
        let w = windows(6, vec![span(2, 10, 1), span(1, 20, 0), span(3, 30, 5)]);
        assert_eq!(w.check(12), Ok(()));
        let mut c = w.cursor();
        let got: Vec<u64> = [0, 1, 2, 3, 5, 0, 4, 6, 8, 11, 7]
            .iter()
            .map(|&p| c.of(p).unwrap().duration)
            .collect();
        assert_eq!(got, [10, 10, 20, 30, 30, 10, 30, 10, 20, 30, 10]);
    }

    /// Rule: windows are recorded as the shortest pattern they repeat, so a
    /// grid whose last axis moves the window records one span per window.
    #[test]
    fn windows_are_recorded_as_the_pattern_they_repeat() {
        let w = |d: u64| RunWindow {
            duration: d,
            warmup: 0,
        };
        let grid: Vec<RunWindow> = (0..1000).flat_map(|_| [w(1), w(2), w(3)]).collect();
        assert_eq!(shortest_period(&grid), 3);
        let first_axis: Vec<RunWindow> = [1, 2].iter().flat_map(|&d| [w(d); 500]).collect();
        assert_eq!(shortest_period(&first_axis), 1000);
        assert_eq!(shortest_period(&[w(1); 7]), 1);
        assert_eq!(shortest_period(&[]), 0);
    }

    /// Rule: a record that cannot be a sweep's windows is refused, saying why.
    #[test]
    fn a_record_no_sweep_writes_is_refused() {
        let bad = [
            (
                3,
                vec![span(2, 10, 1)],
                3,
                "hold 2 points, but its period is 3",
            ),
            (2, vec![span(2, 10, 1)], 3, "period 2 does not divide"),
            (0, vec![], 3, "period 0 does not divide"),
            (
                3,
                vec![span(0, 10, 1), span(3, 10, 1)],
                3,
                "entry 0 holds no point",
            ),
            (3, vec![span(3, 10, 10)], 3, "entry 0: warm-up"),
            (1, vec![span(usize::MAX, 10, 1), span(2, 10, 1)], 1, "hold"),
        ];
        for (period, spans, points, says) in bad {
            let e = windows(period, spans).check(points).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
