//! Unit tests of the chart building blocks: each renders to SVG holding its text
//! and to a PNG of the right size that is not blank.

use super::*;

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut r = dec.read_info().expect("png header");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn distinct_colors(rgb: &[u8]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    for px in rgb.chunks(3) {
        seen.insert((px[0], px[1], px[2]));
        if seen.len() > 50 {
            break;
        }
    }
    seen.len()
}

fn check(fig: &Figure, texts: &[&str]) {
    let out = render(fig).expect("renders");
    for t in texts {
        assert!(out.svg.contains(t), "SVG lacks {t:?}");
    }
    let (w, h, px) = decode(&out.png);
    assert_eq!((w, h), fig.size);
    assert!(distinct_colors(&px) > 10, "PNG is (nearly) one colour");
    // Rendering is a pure function of the data.
    assert_eq!(render(fig).unwrap(), out);
}

fn frame() -> Frame {
    Frame::new(
        "Test title",
        Frame::run_subtitle("scn", "memberlist", 7, ""),
    )
}

#[test]
fn line_panel_with_band_and_steps() {
    let pts: Vec<(f64, f64)> = (0..50).map(|i| (i as f64, (i % 7) as f64)).collect();
    let band: Vec<(f64, f64, f64)> = pts.iter().map(|p| (p.0, p.1 * 0.5, p.1 * 1.5)).collect();
    let fig = Figure::new(frame()).panel(
        Panel::Line(
            LinePanel::new("time (min)", "flaps per minute")
                .line(Line::new("healthy subjects", pts.clone()).band(band))
                .line(Line::new("faulty subjects", pts).step())
                .mark(20.0, "restart"),
        ),
        1.0,
    );
    check(
        &fig,
        &[
            "Test title",
            "scn · preset memberlist · seed 7",
            "time (min)",
            "flaps per minute",
            "healthy subjects",
            "faulty subjects",
            "restart",
        ],
    );
}

#[test]
fn bars_both_orientations_with_errors() {
    let cats: Vec<String> = ["a-01", "a-02", "s-01"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let series = |p: BarPanel| {
        p.series(BarSeries::new("raised", vec![5.0, 2.0, 1.0]).errors(vec![
            (4.0, 6.0),
            (1.0, 3.0),
            (0.5, 1.5),
        ]))
        .series(BarSeries::new("naming", vec![3.0, 0.0, 7.0]))
    };
    for p in [
        series(BarPanel::new("node", "count", cats.clone())),
        series(BarPanel::new("node", "count", cats.clone()).horizontal()),
    ] {
        let fig = Figure::new(frame()).panel(Panel::Bars(p), 1.0);
        check(&fig, &["a-01", "s-01", "raised", "naming", "count", "node"]);
    }
}

/// A bar for 1 beside one for 724 is a sliver, and a bar for 0 is not drawn
/// at all: each bar carries its number, past its whisker, in both orientations.
#[test]
fn bars_carry_their_values_so_small_and_zero_bars_read() {
    let cats: Vec<String> = ["2015", "2016", "today"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // The value labels' font: that of the text reading 724.
    let label_font = |svg: &str| {
        let at = svg.find("\n724\n</text>")?;
        let tag = &svg[svg[..at].rfind("<text")?..at];
        let size = &tag[tag.find("font-size=")?..];
        Some(size[..size.find(' ')?].to_string())
    };
    for horizontal in [false, true] {
        let panel = |labelled: bool| {
            let s = BarSeries::new("flaps/h", vec![724.0, 1.0, 0.0]).errors(vec![
                (534.0, 902.0),
                (0.0, 19.5),
                (0.0, 0.0),
            ]);
            let s = if labelled {
                s.value_labels(vec!["724".into(), "1".into(), "0".into()])
            } else {
                s
            };
            let p = BarPanel::new("configuration", "flaps per hour", cats.clone()).series(s);
            let p = if horizontal { p.horizontal() } else { p };
            Figure::new(frame()).panel(Panel::Bars(p), 1.0)
        };
        check(&panel(true), &["\n724\n</text>", "flaps/h"]);
        let with = render(&panel(true)).unwrap().svg;
        let font = label_font(&with).expect("724 is written");
        assert_eq!(
            with.matches(&font).count(),
            3,
            "one number per bar, the 0 too"
        );
        let without = render(&panel(false)).unwrap().svg;
        assert!(!without.contains(&font), "no numbers unless asked");
    }
}

#[test]
fn heatmap_and_scatter() {
    let names: Vec<String> = (0..12).map(|i| format!("n-{i:02}")).collect();
    let values: Vec<Vec<f64>> = (0..12)
        .map(|r| (0..12).map(|c| ((r * c) % 5) as f64).collect())
        .collect();
    let fig = Figure::new(frame()).panel(
        Panel::Heatmap(HeatmapPanel::new(
            "accuser",
            "accused",
            names.clone(),
            names,
            values,
            "suspicions (count)",
        )),
        1.0,
    );
    check(&fig, &["accuser", "accused", "suspicions (count)", "n-00"]);
    let fig = Figure::new(frame()).panel(
        Panel::Scatter(
            ScatterPanel::new("x (s)", "y (s)")
                .series(ScatterSeries::new("one", vec![(1.0, 2.0), (2.0, 3.0)]))
                .series(ScatterSeries::new("two", vec![(1.5, 1.0)])),
        ),
        1.0,
    );
    check(&fig, &["x (s)", "y (s)", "one", "two"]);
}

#[test]
fn empty_panels_say_so() {
    let fig = Figure::new(frame())
        .panel(
            Panel::Line(LinePanel::new("t (s)", "v (count)").line(Line::new("nothing", vec![]))),
            1.0,
        )
        .panel(Panel::Bars(BarPanel::new("node", "count", vec![])), 1.0);
    let out = render(&fig).unwrap();
    assert!(out.svg.contains("no data"));
}

#[test]
fn palette_is_greyscale_ordered_for_states_and_ramp() {
    use palette::*;
    assert!(luminance(ALIVE) > luminance(SUSPECT));
    assert!(luminance(SUSPECT) > luminance(DEAD));
    let mut prev = 2.0;
    for k in 0..=20 {
        let l = luminance(sequential(k as f64 / 20.0));
        assert!(l < prev, "ramp luminance must fall monotonically");
        prev = l;
    }
    // Neighbouring series differ in at least two of colour, dash, marker.
    for i in 0..12 {
        let (a, b) = (series_style(i), series_style(i + 1));
        let diffs =
            (a.color != b.color) as u8 + (a.dash != b.dash) as u8 + (a.marker != b.marker) as u8;
        assert!(diffs >= 2);
    }
}

#[test]
fn nice_max_rounds_up() {
    assert_eq!(nice_max(0.0, 1.0), 1.0);
    assert_eq!(nice_max(7.3, 1.0), 8.0);
    assert_eq!(nice_max(101.0, 1.0), 120.0);
}

/// The `<text>` elements of an SVG as plotters writes them (attributes on the
/// opening tag's line, the text on the next): (attributes, text).
fn svg_texts(svg: &str) -> Vec<(String, String)> {
    let mut lines = svg.lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with("<text ") {
            let text = lines.next().unwrap_or_default().to_string();
            out.push((line.to_string(), text));
        }
    }
    out
}

/// The number in attribute `name="…"` of an opening tag.
fn svg_attr(tag: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).map(|i| i + key.len()).expect(name);
    let len = tag[start..].find('"').expect("closing quote");
    tag[start..start + len].parse().expect("a number")
}

/// Width in pixels of `text` in the labels' font, as the chart measures it.
fn label_width(text: &str) -> f64 {
    let mut buf = String::new();
    let area = plotters::prelude::SVGBackend::with_string(&mut buf, (10, 10)).into_drawing_area();
    let (w, _) = area
        .estimate_text_size(text, &frame::label_style())
        .expect("measured");
    w as f64
}

/// Rule: a heatmap's labels fit their areas however long they are: every row
/// label ends right of the row axis's title and starts inside the image, and
/// every column label ends above the column axis's title. (With a fixed area,
/// a 1,000-node cluster's `node-00061 (17)` ran under the title and off the
/// image's left edge.)
#[test]
fn heatmap_labels_clear_the_axis_titles() {
    let rows: Vec<String> = (0..40)
        .map(|i| format!("node-{:05} ({})", i * 25 + 11, 40 - i))
        .collect();
    let cols: Vec<String> = (0..40).map(|i| format!("node-{:05}", i * 25 + 3)).collect();
    let values: Vec<Vec<f64>> = (0..40)
        .map(|r| (0..40).map(|c| ((r + c) % 3) as f64).collect())
        .collect();
    let (row_desc, col_desc) = (
        "accuser (raised the suspicion), with its total",
        "accused (the suspect)",
    );
    let fig = Figure::new(frame())
        .panel(
            Panel::Heatmap(HeatmapPanel::new(
                row_desc,
                col_desc,
                rows.clone(),
                cols.clone(),
                values,
                "suspicions (count)",
            )),
            1.0,
        )
        .size(1200, 900);
    let texts = svg_texts(&render(&fig).expect("renders").svg);
    let find = |t: &str| {
        let found: Vec<&String> = texts.iter().filter(|x| x.1 == t).map(|x| &x.0).collect();
        assert!(!found.is_empty(), "no text {t:?}");
        found
    };
    // The row title is turned a quarter and hangs right of its `x` by about
    // its font size; the column title sits on its `y`, its top a font size up.
    let row_title = find(row_desc)[0];
    let row_title_right = svg_attr(row_title, "x") + svg_attr(row_title, "font-size");
    let col_title = find(col_desc)[0];
    let col_title_top = svg_attr(col_title, "y") - svg_attr(col_title, "font-size");
    let mut checked = 0;
    for row in &rows {
        for tag in find(row) {
            // Right-aligned on `x`.
            let left = svg_attr(tag, "x") - label_width(row);
            assert!(left >= 0.0, "{row:?} starts off the image at x {left}");
            assert!(
                left > row_title_right,
                "{row:?} starts at x {left}, under the title (which ends at {row_title_right})"
            );
            checked += 1;
        }
    }
    for col in &cols {
        for tag in find(col) {
            // Turned a quarter, reading down from `y`.
            let bottom = svg_attr(tag, "y") + label_width(col);
            assert!(
                bottom < col_title_top,
                "{col:?} ends at y {bottom}, under the title (which starts at {col_title_top})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} labels drawn");
}

/// Rule: a heatmap's column labels run across when each fits its column (a
/// sweep's few values), and turn a quarter only when they do not (a cluster's
/// node names, above); a cell's value is written in it when the panel asks and
/// the cells hold it, and never for an accusation matrix (mostly zeros).
#[test]
fn few_wide_columns_read_across_with_their_values() {
    let rows: Vec<String> = ["1", "4", "32"].iter().map(|s| s.to_string()).collect();
    let cols: Vec<String> = ["none", "local-health", "dynamic-suspicion", "all"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let values = vec![
        vec![60.0, 0.0, 0.0, 0.0],
        vec![252.0, 24.0, 6.0, 0.0],
        vec![2328.0, 156.0, 42.0, 0.5],
    ];
    let panel = HeatmapPanel::new(
        "anomalous",
        "lifeguard",
        rows,
        cols.clone(),
        values,
        "median",
    );
    let draw = |panel: HeatmapPanel| {
        let fig = Figure::new(frame())
            .panel(Panel::Heatmap(panel), 1.0)
            .size(1200, 600);
        svg_texts(&render(&fig).expect("renders").svg)
    };
    let texts = draw(panel.clone());
    for col in &cols {
        let tag = &texts.iter().find(|t| t.1 == *col).expect("label drawn").0;
        assert!(!tag.contains("rotate"), "{col:?} runs across: {tag}");
    }
    assert!(
        !texts.iter().any(|t| t.1 == "2328"),
        "no values unless asked"
    );
    let mut asked = panel;
    asked.value_text = Some(|v| format!("{v}"));
    let texts = draw(asked);
    for v in ["60", "2328", "0.5", "0"] {
        assert!(texts.iter().any(|t| t.1 == v), "cell value {v} written");
    }
    // Every median 0 (no flap at any point) is data, not "no data".
    let mut zeros = HeatmapPanel::new(
        "anomalous",
        "lifeguard",
        vec!["1".into()],
        cols.clone(),
        vec![vec![0.0; 4]],
        "median",
    );
    zeros.value_text = Some(|v| format!("{v}"));
    let texts = draw(zeros);
    assert_eq!(
        texts.iter().filter(|t| t.1 == "0").count(),
        4 + 1,
        "4 cells and the colour bar's 0"
    );
    assert!(!texts.iter().any(|t| t.1 == "no data"));
}

/// Rule: an axis number names its tick exactly, as briefly as it can: no
/// trailing zeros (a time axis read `0`, `0.50`, `1`, `1.5`), and no decimal
/// dropped (its 1.25 tick read `1.2`, a 12.5 tick `12`); large values in k and M.
#[test]
fn axis_numbers_name_their_ticks_exactly_and_briefly() {
    let labels: Vec<String> = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
        .map(axis_number)
        .to_vec();
    assert_eq!(
        labels,
        ["0", "0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"]
    );
    assert_eq!(axis_number(12.5), "12.5");
    assert_eq!(axis_number(37.5), "37.5");
    assert_eq!(axis_number(0.05), "0.05");
    assert_eq!(axis_number(1.2500000001), "1.25");
    assert_eq!(axis_number(-0.0001), "0");
    assert_eq!(axis_number(-2.5), "-2.5");
    assert_eq!(axis_number(120.0), "120");
    assert_eq!(axis_number(25_000.0), "25k");
    assert_eq!(axis_number(12_500.0), "12.5k");
    assert_eq!(axis_number(2_500_000.0), "2.5M");
    assert_eq!(axis_number(1_250_000.0), "1.25M");
}

/// (median, lo, hi) of one metric at one point.
type Med = (f64, f64, f64);
/// One made-up sweep point: its label on each axis, and its metrics.
type FixturePoint<'a> = (Vec<&'a str>, Vec<(&'a str, Med)>);

/// A finished sweep made up for the sweep charts' tests: `points` are (labels
/// of each axis, [(metric, (median, lo, hi))]); numeric labels are numbers.
fn sweep_fixture(
    axes: &[&str],
    conditions: &[&str],
    points: &[FixturePoint],
) -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    use crate::batch::aggregate::{pareto_grouped, PointStats, Spread, FLAPS_VS_DETECTION};
    use crate::batch::row::{metric_index, METRICS};
    use crate::batch::store::{condition_groups, Finished, Manifest, PointMeta};
    let m = Manifest {
        flapsim: "test".into(),
        sweep: "fixture".into(),
        fingerprint: "0".into(),
        axes: axes.iter().map(|a| a.to_string()).collect(),
        seeds: vec![1, 2, 3],
        runs: points.len() * 3,
        points: points
            .iter()
            .map(|(labels, _)| PointMeta {
                labels: labels.iter().map(|l| l.to_string()).collect(),
                values: labels
                    .iter()
                    .map(|l| {
                        l.parse::<f64>()
                            .map_or_else(|_| serde_json::json!(l), |v| serde_json::json!(v))
                    })
                    .collect(),
            })
            .collect(),
        shard: None,
        conditions: conditions.iter().map(|a| a.to_string()).collect(),
        windows: None,
    };
    let stats: Vec<PointStats> = points
        .iter()
        .enumerate()
        .map(|(point, (_, metrics))| {
            let mut values = vec![None; METRICS.len()];
            for (name, (median, lo, hi)) in metrics {
                values[metric_index(name).expect("a metric")] = Some(Spread {
                    median: *median,
                    lo: *lo,
                    hi: *hi,
                    n: 3,
                });
            }
            PointStats {
                point,
                runs: 3,
                metrics: values,
            }
        })
        .collect();
    let front = pareto_grouped(stats.as_slice(), FLAPS_VS_DETECTION, &condition_groups(&m));
    let f = Finished {
        stats: crate::batch::aggregate::KeptStats::from(&stats[..]),
        front,
        tradeoff: FLAPS_VS_DETECTION,
    };
    (m, f)
}

/// The auditor's `tenrev` sweep: suspicion_mult 10 down to 1, detection and
/// flaps of healthy nodes as its summary.txt gives them.
fn tenrev() -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    let rows: [(&str, Med, Med); 10] = [
        ("10", (12.6, 11.4, 12.6), (0.0, 0.0, 0.0)),
        ("9", (11.7, 9.94, 12.6), (0.0, 0.0, 0.0)),
        ("8", (10.4, 10.3, 11.1), (0.0, 0.0, 0.0)),
        ("7", (9.24, 9.08, 9.32), (0.0, 0.0, 0.0)),
        ("6", (8.42, 7.82, 8.78), (0.0, 0.0, 0.0)),
        ("5", (8.04, 7.02, 8.17), (0.0, 0.0, 0.0)),
        ("4", (5.88, 5.81, 7.59), (0.0, 0.0, 0.0)),
        ("3", (5.10, 4.90, 5.36), (10.9, 0.0, 10.9)),
        ("2", (3.74, 3.42, 3.74), (273.0, 251.0, 338.0)),
        ("1", (2.74, 2.43, 4.23), (589.0, 535.0, 676.0)),
    ];
    let points: Vec<FixturePoint> = rows
        .iter()
        .map(|(v, detect, flaps)| {
            (
                vec![*v],
                vec![
                    ("detect_dead_p50_s", *detect),
                    ("flaps_healthy_per_hour", *flaps),
                    ("fp_healthy_per_hour", *flaps),
                    ("msgs_per_node_s", (10.0, 9.5, 10.5)),
                ],
            )
        })
        .collect();
    sweep_fixture(&["suspicion_mult"], &[], &points)
}

/// Rule: the trade-off chart draws every configuration, however many values
/// its axis has, and its ranges hold every point's whiskers and the whole
/// front. (With ten suspicion multipliers only the first eight got a marker:
/// the two fastest front points, 1 and 2, were missing, and the cost axis,
/// scaled from the drawn points, ended at 15 while the front ran up to 589.)
#[test]
fn tradeoff_draws_every_configuration_and_fits_every_point_and_the_front() {
    let (m, f) = tenrev();
    let c = sweep::tradeoff_chart(&m, &f);
    let drawn: Vec<&str> = c
        .panels
        .iter()
        .flat_map(|p| p.series.iter().flat_map(|s| s.1.iter()))
        .map(|p| p.2.as_str())
        .collect();
    assert_eq!(drawn.len(), 10, "every configuration drawn: {drawn:?}");
    let panel = &c.panels[0];
    let (x1, y1) = (c.x_top(), c.y_top(panel));
    for (x, y, label) in panel.fronts.iter().flatten() {
        assert!(*x <= x1 && *y <= y1, "front point {label} off the axes");
    }
    for p in panel.series.iter().flat_map(|s| s.1.iter()) {
        assert!(p.0.hi <= x1 && p.1.hi <= y1, "{} off the axes", p.2);
    }
    let svg = render(&c).expect("renders").svg;
    let texts = svg_texts(&svg);
    for front in ["suspicion_mult=1", "suspicion_mult=2", "suspicion_mult=3"] {
        // Once in the legend (the series of that value), once by the point.
        assert_eq!(
            texts.iter().filter(|t| t.1 == front).count(),
            2,
            "front point {front} labelled"
        );
    }
    // Ten values: ten series, each its own style, each in the legend.
    assert_eq!(panel.series.len(), 10);
    let styles: std::collections::BTreeSet<String> =
        (0..10).map(|i| format!("{:?}", series_style(i))).collect();
    assert_eq!(styles.len(), 10, "ten distinct styles");
    // Forty values: one series, every point drawn.
    let many: Vec<(String, f64)> = (1..=40).map(|i| (i.to_string(), i as f64)).collect();
    let points: Vec<FixturePoint> = many
        .iter()
        .map(|(label, v)| {
            (
                vec![label.as_str()],
                vec![
                    ("detect_dead_p50_s", (*v, *v, *v)),
                    ("flaps_healthy_per_hour", (800.0 / v, 800.0 / v, 900.0 / v)),
                ],
            )
        })
        .collect();
    let (m, f) = sweep_fixture(&["suspicion_mult"], &[], &points);
    let c = sweep::tradeoff_chart(&m, &f);
    let n: usize = c.panels[0].series.iter().map(|s| s.1.len()).sum();
    assert_eq!(n, 40, "every configuration drawn");
    assert!(c.panels[0].label_every_point);
    let y1 = c.y_top(&c.panels[0]);
    assert!(
        y1 >= 900.0,
        "the cost axis holds the top whisker, ends at {y1}"
    );
}

/// Rule: a legend that does not fit its row wraps onto more rows, each entry
/// inside the image, and the plot starts below the last row. (Six series of
/// a two-axis sweep's metrics chart ran off the right edge: the fifth label
/// cut, the sixth off the canvas.)
#[test]
fn a_legend_too_wide_for_its_row_wraps_inside_the_image() {
    let names: Vec<String> = ["2", "3", "5"]
        .iter()
        .flat_map(|m| {
            ["none", "all"]
                .iter()
                .map(move |l| format!("suspicion_mult={m}, lifeguard={l}"))
        })
        .collect();
    for caption in [None, Some("flaps of healthy nodes")] {
        let mut panel = LinePanel::new("probe_timeout", "flaps/h");
        panel.caption = caption.map(String::from);
        for (i, n) in names.iter().enumerate() {
            panel = panel.line(Line::new(
                n.clone(),
                vec![(0.1, i as f64), (0.5, i as f64 + 1.0)],
            ));
        }
        let fig = Figure::new(frame())
            .panel(Panel::Line(panel), 1.0)
            .size(1200, 500);
        let texts = svg_texts(&render(&fig).expect("renders").svg);
        let mut rows = std::collections::BTreeSet::new();
        let mut bottom: f64 = 0.0;
        for n in &names {
            let tag = &texts.iter().find(|t| t.1 == *n).expect("entry drawn").0;
            let (x, y) = (svg_attr(tag, "x"), svg_attr(tag, "y"));
            assert!(x >= 0.0, "{n} starts at {x}");
            assert!(
                x + label_width(n) <= 1200.0,
                "{n} ends at {} past the image's right edge",
                x + label_width(n)
            );
            rows.insert(y as i64);
            bottom = bottom.max(y);
        }
        assert!(rows.len() >= 2, "wrapped onto more rows: {rows:?}");
        // The y axis' top tick label is below the legend's last row.
        let top_tick = texts
            .iter()
            .filter(|t| t.1 == "8" || t.1 == "7")
            .map(|t| svg_attr(&t.0, "y"))
            .fold(f64::INFINITY, f64::min);
        assert!(top_tick.is_finite(), "the y axis is labelled");
        assert!(top_tick > bottom + 8.0, "plot under the legend");
    }
}

/// Rule: a numeric axis with a single value gets a range around it whose ticks
/// read as distinct numbers, and the spread across seeds at that lone x is
/// drawn as a whisker. (`values: [4]` wrote "4" under every tick, the range
/// being 4 ± 1e-9, and the band, needing two x, was not drawn.)
#[test]
fn a_lone_axis_value_gets_distinct_ticks_and_its_spread_drawn() {
    let points: Vec<FixturePoint> = vec![(
        vec!["4"],
        vec![
            ("detect_dead_p50_s", (5.8, 4.9, 7.1)),
            ("flaps_healthy_per_hour", (10.0, 2.0, 30.0)),
            ("fp_healthy_per_hour", (10.0, 2.0, 30.0)),
            ("msgs_per_node_s", (2.4, 2.3, 2.6)),
        ],
    )];
    let (m, f) = sweep_fixture(&["suspicion_mult"], &[], &points);
    let fig = sweep::metrics_chart(&m, &f.stats);
    let mut without_spread = fig.clone();
    for (panel, _) in &mut without_spread.panels {
        let Panel::Line(p) = panel else {
            panic!("a numeric axis draws lines")
        };
        let (x0, x1) = p.x_range.expect("a fixed x range");
        assert!(x0 < 4.0 && 4.0 < x1, "4 inside ({x0}, {x1})");
        assert!(x1 - x0 >= 0.5, "a readable range around 4: ({x0}, {x1})");
        assert_ne!(axis_number(x0), axis_number(x1), "distinct end ticks");
        for l in &mut p.lines {
            l.band = None;
        }
    }
    let with = render(&fig).expect("renders").svg;
    let without = render(&without_spread).expect("renders").svg;
    let polylines = |svg: &str| svg.matches("<polyline").count();
    assert!(
        polylines(&with) >= polylines(&without) + 4 * 3,
        "a whisker with two caps per panel: {} vs {}",
        polylines(&with),
        polylines(&without)
    );
    // The x tick labels under the plot: several, all different.
    let texts = svg_texts(&with);
    let fours = texts.iter().filter(|t| t.1 == "4").count();
    assert!(fours <= 4 * 2, "\"4\" written {fours} times");
}

/// Rule: a heatmap draws a missing cell (NaN: a combination never run, a
/// metric no seed measured) grey and hatched with a "–", never like 0 (white,
/// the scale's 0 end), and names it under the colour bar.
#[test]
fn heatmap_missing_cells_are_grey_and_named_never_white_like_zero() {
    let rows: Vec<String> = ["2", "4"].iter().map(|s| s.to_string()).collect();
    let cols: Vec<String> = ["100ms", "300ms"].iter().map(|s| s.to_string()).collect();
    let values = vec![vec![251.0, f64::NAN], vec![f64::NAN, 0.0]];
    let mut panel = HeatmapPanel::new(
        "suspicion_mult",
        "probe_timeout",
        rows,
        cols,
        values,
        "median",
    );
    panel.value_text = Some(|v| format!("{v}"));
    let fig = Figure::new(frame())
        .panel(Panel::Heatmap(panel), 1.0)
        .size(800, 600);
    let out = render(&fig).expect("renders");
    let texts = svg_texts(&out.svg);
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.1 == heatmap::MISSING_TEXT)
            .count(),
        2 + 1,
        "a dash in each missing cell and in the key"
    );
    assert!(texts.iter().any(|t| t.1 == "no value"), "the key names it");
    assert!(
        texts.iter().any(|t| t.1 == "0"),
        "the 0 cell keeps its number"
    );
    // Two grey cells of the 800×600 image: thousands of grey pixels.
    let (_, _, px) = decode(&out.png);
    let m = heatmap::MISSING;
    let grey = px
        .chunks(3)
        .filter(|p| (p[0], p[1], p[2]) == (m.0, m.1, m.2))
        .count();
    assert!(grey > 20_000, "missing cells filled grey ({grey} pixels)");
    assert_ne!(
        (m.0, m.1, m.2),
        {
            let z = palette::sequential(0.0);
            (z.0, z.1, z.2)
        },
        "grey is not the colour of 0"
    );
    // Nothing measured at all (no crash, so no detection): still "no data".
    let none = HeatmapPanel::new(
        "suspicion_mult",
        "probe_timeout",
        vec!["2".into()],
        vec!["100ms".into()],
        vec![vec![f64::NAN]],
        "median",
    );
    let fig = Figure::new(frame())
        .panel(Panel::Heatmap(none), 1.0)
        .size(800, 600);
    let texts = svg_texts(&render(&fig).expect("renders").svg);
    assert!(texts.iter().any(|t| t.1 == "no data"));
}

/// Rule: every Pareto-front point of the trade-off chart is labelled, however
/// close the front points lie (further from the point, with a leader line,
/// when the places beside it are taken). (In a crowded corner a front point
/// whose label would overlap another was left unlabelled.)
#[test]
fn every_pareto_front_point_is_labelled_even_in_a_crowded_corner() {
    // Eight front points within a few pixels of each other, and one slow,
    // flappy configuration that sets the scales.
    let rows: Vec<(String, Med, Med)> = (0..8)
        .map(|i| {
            let x = 3.0 + 0.02 * i as f64;
            let y = 16.0 - 2.0 * i as f64;
            (format!("{}", i + 2), (x, x, x), (y, y, y))
        })
        .chain(std::iter::once((
            "20".to_string(),
            (9.0, 9.0, 9.0),
            (2000.0, 2000.0, 2000.0),
        )))
        .collect();
    let (m, f) = suspicion_mult_tradeoff(&rows);
    assert_eq!(f.front.points.len(), 8);
    let c = sweep::tradeoff_chart(&m, &f);
    let texts = svg_texts(&render(&c).expect("renders").svg);
    for (_, _, label) in c.panels[0].fronts.iter().flatten() {
        // Once in the legend (the series of that value), once by the point.
        assert_eq!(
            texts.iter().filter(|t| t.1 == *label).count(),
            2,
            "front point {label} labelled"
        );
    }
    assert!(!texts.iter().any(|t| t.1.contains("not labelled")));
}

/// Rule: a duration axis, plotted in seconds, says so in its label
/// (`probe_timeout (s)`); a plain number axis keeps its bare name. (The
/// metrics chart put 0.1 to 0.5 under a bare `probe_timeout`.)
#[test]
fn a_duration_axis_is_labelled_with_its_unit() {
    let metrics = |v: f64| {
        vec![
            ("detect_dead_p50_s", (v, v, v)),
            ("flaps_healthy_per_hour", (v, v, v)),
        ]
    };
    let points: Vec<FixturePoint> = ["100ms", "300ms", "500ms"]
        .iter()
        .enumerate()
        .map(|(i, v)| (vec![*v], metrics(i as f64)))
        .collect();
    let (m, f) = sweep_fixture(&["probe_timeout"], &[], &points);
    let fig = sweep::metrics_chart(&m, &f.stats);
    for (panel, _) in &fig.panels {
        let Panel::Line(p) = panel else {
            panic!("a duration axis is numeric")
        };
        assert_eq!(p.x_desc, "probe_timeout (s)");
        let (x0, x1) = p.x_range.expect("fixed");
        assert!(x0 < 0.1 && 0.5 < x1, "in seconds: ({x0}, {x1})");
    }
    let texts = svg_texts(&render(&fig).expect("renders").svg);
    assert!(texts.iter().any(|t| t.1 == "probe_timeout (s)"));
    let points: Vec<FixturePoint> = ["2", "3"]
        .iter()
        .enumerate()
        .map(|(i, v)| (vec![*v], metrics(i as f64)))
        .collect();
    let (m, f) = sweep_fixture(&["suspicion_mult"], &[], &points);
    let Panel::Line(p) = &sweep::metrics_chart(&m, &f.stats).panels[0].0 else {
        panic!("a number axis is numeric")
    };
    assert_eq!(p.x_desc, "suspicion_mult");
}

/// A sweep of `series` suspicion multipliers × five probe timeouts, made up
/// so that each multiplier's line sits apart from the next.
fn many_series(series: usize) -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    let timeouts = ["100ms", "200ms", "300ms", "400ms", "500ms"];
    let labels: Vec<(String, &str)> = (1..=series)
        .flat_map(|s| timeouts.iter().map(move |t| (s.to_string(), *t)))
        .collect();
    let points: Vec<FixturePoint> = labels
        .iter()
        .enumerate()
        .map(|(i, (s, t))| {
            let (sm, k) = (
                (i / timeouts.len()) as f64 + 1.0,
                (i % timeouts.len()) as f64,
            );
            let v = 40.0 / sm + 3.0 * k;
            (
                vec![*t, s.as_str()],
                vec![
                    ("flaps_healthy_per_hour", (v, v * 0.8, v * 1.2)),
                    ("fp_healthy_per_hour", (v / 2.0, v * 0.4, v * 0.6)),
                    ("detect_dead_p50_s", (sm + k, sm + k - 0.5, sm + k + 0.5)),
                    ("msgs_per_node_s", (10.0 + sm, 9.5 + sm, 10.5 + sm)),
                ],
            )
        })
        .collect();
    sweep_fixture(&["probe_timeout", "suspicion_mult"], &[], &points)
}

/// Rule: the metrics chart draws every series, each named in the legend;
/// past the palette's eight colours the styles come round with another dash
/// and marker. (It drew the first eight and said so in its subtitle: twelve
/// suspicion multipliers lost four lines.)
#[test]
fn the_metrics_chart_draws_every_series() {
    let (m, f) = many_series(12);
    let fig = sweep::metrics_chart(&m, &f.stats);
    assert!(
        !fig.frame.subtitle.contains("first"),
        "{}",
        fig.frame.subtitle
    );
    for (panel, _) in &fig.panels {
        let Panel::Line(p) = panel else {
            panic!("probe_timeout is numeric")
        };
        assert_eq!(p.lines.len(), 12);
        assert!(p
            .lines
            .iter()
            .all(|l| l.points.len() == 5 && l.band.is_some()));
    }
    let r = render(&fig).expect("renders");
    let texts = svg_texts(&r.svg);
    for s in 1..=12 {
        let key = format!("suspicion_mult={s}");
        // In the legend of each of the four panels.
        assert_eq!(texts.iter().filter(|t| t.1 == key).count(), 4, "{key}");
    }
    let styles: Vec<_> = (0..12).map(crate::chart::palette::series_style).collect();
    for (i, a) in styles.iter().enumerate() {
        assert!(
            !styles[..i].contains(a),
            "series {i} drawn like an earlier one"
        );
    }
}

/// Rule: more series than the legend can name are all drawn, alike and
/// without a legend, and the subtitle says so.
#[test]
fn a_metrics_chart_with_too_many_series_draws_them_alike() {
    let (m, f) = many_series(20);
    let fig = sweep::metrics_chart(&m, &f.stats);
    assert!(
        fig.frame.subtitle.contains("20 series"),
        "{}",
        fig.frame.subtitle
    );
    let Panel::Line(p) = &fig.panels[0].0 else {
        panic!("probe_timeout is numeric")
    };
    assert_eq!(p.lines.len(), 20);
    assert!(p
        .lines
        .iter()
        .all(|l| l.label.is_empty() && l.style.is_some()));
    let r = render(&fig).expect("renders");
    assert!(!svg_texts(&r.svg)
        .iter()
        .any(|t| t.1.starts_with("suspicion_mult=")));
}

/// Ten configurations in two tight clumps: the front's five along a short
/// staircase, four dominated ones just above and right of them, and a slow,
/// flappy one that sets the scales.
fn crowded_ten() -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    let rows: Vec<(String, Med, Med)> = (0..10)
        .map(|i| {
            let (x, y) = match i {
                0..=4 => (3.0 + 0.35 * i as f64, 30.0 - 6.0 * i as f64),
                5..=8 => (3.2 + 0.35 * (i - 5) as f64, 34.0 - 6.0 * (i - 5) as f64),
                _ => (9.6, 118.0),
            };
            (
                format!("{}", i + 1),
                (x, x * 0.95, x * 1.05),
                (y, y * 0.9, y * 1.1),
            )
        })
        .collect();
    suspicion_mult_tradeoff(&rows)
}

/// A one-axis `suspicion_mult` sweep whose points are `(value, detection p50,
/// flaps of healthy nodes/h)`: the trade-off chart's two metrics only.
fn suspicion_mult_tradeoff(
    rows: &[(String, Med, Med)],
) -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    let points: Vec<FixturePoint> = rows
        .iter()
        .map(|(v, detect, flaps)| {
            (
                vec![v.as_str()],
                vec![
                    ("detect_dead_p50_s", *detect),
                    ("flaps_healthy_per_hour", *flaps),
                ],
            )
        })
        .collect();
    sweep_fixture(&["suspicion_mult"], &[], &points)
}

/// The labels of `c`'s first panel laid out on a plot of 1000 × 620 pixels,
/// as the chart lays them out (7 px a character).
fn layout_of(c: &sweep::TradeoffChart) -> (sweep::LabelLayout, Option<sweep::Rect>) {
    let panel = &c.panels[0];
    let (x1, y1) = (c.x_top(), c.y_top(panel));
    let plot = (100..1100, 80..700);
    let pixel = |x: f64, y: f64| {
        (
            100 + (x / x1 * 1000.0).round() as i32,
            700 - (y / y1 * 620.0).round() as i32,
        )
    };
    let width = |t: &str| 7 * t.chars().count() as i32;
    let legend = sweep::legend_rect(&sweep::legend_names(panel), &plot);
    (
        sweep::label_layout(panel, &pixel, &plot, &width, legend),
        legend,
    )
}

fn overlap(a: sweep::Rect, b: sweep::Rect) -> bool {
    a.0 < b.1 && b.0 < a.1 && a.2 < b.3 && b.2 < a.3
}

/// Rule: a trade-off label covers no marker (nor the legend box), only its
/// own place: in a crowded front the labels of `suspicion_mult=1`, `=2` and
/// `=4` lay on the markers of other configurations.
#[test]
fn trade_off_labels_keep_clear_of_every_marker() {
    let (m, f) = crowded_ten();
    let c = sweep::tradeoff_chart(&m, &f);
    let (layout, legend) = layout_of(&c);
    // Ten markers and the legend box.
    assert_eq!(layout.obstacles.len(), 11);
    assert!(legend.is_some_and(|l| layout.obstacles.contains(&l)));
    assert_eq!(layout.placed.len(), 5, "every front point labelled");
    assert!(layout.unlabelled.is_empty());
    for (i, l) in layout.placed.iter().enumerate() {
        for o in &layout.obstacles {
            assert!(!overlap(l.rect, *o), "{} on {o:?}", l.text);
        }
        for k in &layout.placed[..i] {
            assert!(!overlap(l.rect, k.rect), "{} on {}", l.text, k.text);
        }
    }
}

/// Rule: with every point labelled (more settings than styles), no label
/// goes under the legend box, where points in the plot's upper right put
/// theirs.
#[test]
fn trade_off_labels_keep_clear_of_the_legend_box() {
    let rows: Vec<(String, f64, f64)> = (1..=20)
        .map(|i| {
            let x = i as f64;
            // The front down the left; eight dominated points climbing
            // into the upper right corner, the legend's.
            let (x, y) = if i <= 12 {
                (x, 240.0 / x)
            } else {
                (6.5 + x, 150.0 + 17.0 * (x - 13.0))
            };
            (i.to_string(), x, y)
        })
        .collect();
    let points: Vec<FixturePoint> = rows
        .iter()
        .map(|(v, x, y)| {
            (
                vec![v.as_str()],
                vec![
                    ("detect_dead_p50_s", (*x, *x, *x)),
                    ("flaps_healthy_per_hour", (*y, *y, *y)),
                ],
            )
        })
        .collect();
    let (m, f) = sweep_fixture(&["suspicion_mult"], &[], &points);
    let c = sweep::tradeoff_chart(&m, &f);
    assert!(c.panels[0].label_every_point);
    let (layout, legend) = layout_of(&c);
    let legend = legend.expect("a legend");
    assert!(
        layout.placed.len() >= 15,
        "{} labels placed",
        layout.placed.len()
    );
    for l in &layout.placed {
        assert!(!overlap(l.rect, legend), "{} under the legend", l.text);
    }
}

/// A made-up `rows` × `cols` sweep: latency rising and cost falling along
/// the points, so every point is on the Pareto front.
fn big_grid(
    rows: usize,
    cols: usize,
) -> (crate::batch::store::Manifest, crate::batch::store::Finished) {
    let labels: Vec<(String, String)> = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (r.to_string(), c.to_string())))
        .collect();
    let n = labels.len() as f64;
    let points: Vec<FixturePoint> = labels
        .iter()
        .enumerate()
        .map(|(i, (r, c))| {
            let (lat, cost) = (1.0 + i as f64, n - i as f64);
            (
                vec![r.as_str(), c.as_str()],
                vec![
                    ("detect_dead_p50_s", (lat, lat, lat)),
                    ("flaps_healthy_per_hour", (cost, cost, cost)),
                ],
            )
        })
        .collect();
    sweep_fixture(&["a", "b"], &[], &points)
}

/// Rule: a heatmap with more values on an axis than cells can show draws
/// every k-th value (at most MAX_HEATMAP_SIDE a side) and says so in its
/// subtitle; it is built in one pass over the points.
#[test]
fn a_heatmap_past_its_side_limit_draws_every_kth_value_and_says_so() {
    let (m, f) = big_grid(450, 120);
    let fig = sweep::heatmap_chart(&m, &f.stats, f.tradeoff).expect("two axes");
    let Panel::Heatmap(h) = &fig.panels[0].0 else {
        panic!("a heatmap panel")
    };
    assert_eq!(h.rows.len(), 150);
    assert_eq!(h.cols.len(), 120);
    assert_eq!(&h.rows[..3], ["0", "3", "6"]);
    // Row 3 (point 3·120), column 0: its cost.
    assert_eq!(
        h.values[1][0],
        crate::batch::aggregate::Stats::get(&f.stats, 360, "flaps_healthy_per_hour")
            .unwrap()
            .median
    );
    assert!(
        fig.frame
            .subtitle
            .contains("cell = median across seeds · 1 in 3 rows drawn"),
        "{}",
        fig.frame.subtitle
    );
    let (m, f) = big_grid(20, 10);
    let fig = sweep::heatmap_chart(&m, &f.stats, f.tradeoff).expect("two axes");
    assert!(!fig.frame.subtitle.contains("drawn"));
}

/// Rule: a trade-off of more configurations than markers can show draws at
/// most MAX_TRADEOFF_MARKERS of them per panel, labels at most
/// MAX_FRONT_LABELS front points, and says how many it drew.
#[test]
fn a_tradeoff_of_many_configurations_draws_a_bounded_number_of_markers() {
    let (m, f) = big_grid(300, 100);
    assert_eq!(f.front.points.len(), 30_000);
    let c = sweep::tradeoff_chart(&m, &f);
    let markers: usize = c.panels[0].series.iter().map(|s| s.1.len()).sum();
    assert!(markers <= sweep::MAX_TRADEOFF_MARKERS, "{markers}");
    assert!(!c.panels[0].label_every_point);
    assert!(
        c.frame
            .subtitle
            .contains(&format!("{markers} of 30000 configurations drawn")),
        "{}",
        c.frame.subtitle
    );
    let pixel = |x: f64, y: f64| ((x / 30.0) as i32, 800 - (y / 40.0) as i32);
    let layout = sweep::label_layout(
        &c.panels[0],
        &pixel,
        &(0..1100, 0..800),
        &|t| 7 * t.len() as i32,
        None,
    );
    assert!(layout.placed.len() <= sweep::MAX_FRONT_LABELS);
    assert_eq!(
        layout.placed.len() + layout.unlabelled.len() + layout.skipped,
        30_000
    );
}

/// Rule: past MAX_ALIKE_SERIES series, the metrics chart draws 1 in every
/// k of them and says so.
#[test]
fn a_metrics_chart_of_many_series_draws_one_in_k_and_says_so() {
    let (m, f) = big_grid(30, 450);
    let fig = sweep::metrics_chart(&m, &f.stats);
    let Panel::Line(l) = &fig.panels[0].0 else {
        panic!("a line panel")
    };
    assert_eq!(l.lines.len(), 150);
    assert!(
        fig.frame.subtitle.contains("1 in 3 of 450 series"),
        "{}",
        fig.frame.subtitle
    );
}
