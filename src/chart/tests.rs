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
