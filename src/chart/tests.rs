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
