//! The run's charts built from the generic panels: flap rate with the faulty
//! hosts' CPU and health beneath, the accuser × accused heatmap, the blame bars
//! and the detection-latency CDFs.

use super::super::palette::{series_style, Dash, Marker, SeriesStyle, BLUE, VERMILLION};
use super::super::{BarPanel, BarSeries, Figure, Frame, HeatmapPanel, Line, LinePanel, Panel};
use super::RunChartData;

/// Healthy subjects: blue, solid; faulty subjects: vermillion, dashed.
const HEALTHY: SeriesStyle = SeriesStyle {
    color: BLUE,
    dash: Dash::Solid,
    marker: Marker::Circle,
};
const FAULTY: SeriesStyle = SeriesStyle {
    color: VERMILLION,
    dash: Dash::Dashed { on: 10, off: 5 },
    marker: Marker::Square,
};

fn time_panel(d: &RunChartData, y_desc: &str) -> LinePanel {
    let mut p = LinePanel::new("time since start (min)", y_desc).x_range(0.0, d.end_min.max(1e-9));
    p.y_label_area = 90;
    if d.warmup_min > 0.0 {
        p = p.mark(d.warmup_min, "warm-up ends");
    }
    for m in d.marks.iter().take(6) {
        p = p.mark(m.t_min, m.label.clone());
    }
    p
}

/// Pair bucket starts with values, dropping missing ones.
fn series<T: Copy + Into<f64>>(t: &[f64], v: &[Option<T>]) -> Vec<(f64, f64)> {
    t.iter()
        .zip(v)
        .filter_map(|(x, y)| y.map(|y| (*x, y.into())))
        .collect()
}

/// Flaps per minute (healthy vs faulty subjects) over time, with a panel per
/// faulty-host measure beneath on the same time axis.
pub fn flap_rate_figure(d: &RunChartData) -> Figure {
    let f = &d.flap_rate;
    let frame = Frame::new(
        "Flap rate over time, and the faulty hosts beneath",
        format!("{} · {} buckets", d.subtitle(), bucket_width(f.bucket_min)),
    );
    // Step lines hold each bucket's value to the bucket's end: one more point at
    // the end of the last bucket.
    let last_end = f.t_min.last().map(|t| (t + f.bucket_min).min(d.end_min));
    let close = |mut p: Vec<(f64, f64)>| {
        if let (Some(&(_, y)), Some(end)) = (p.last(), last_end) {
            p.push((end, y));
        }
        p
    };
    let pts = |v: &[f64]| -> Vec<(f64, f64)> {
        close(f.t_min.iter().copied().zip(v.iter().copied()).collect())
    };
    let rate = time_panel(d, "flaps per minute")
        .caption("Serf flaps (EventMemberFailed then EventMemberJoin within 60 s), all observers")
        .line(
            Line::new("healthy subjects", pts(&f.healthy_per_min))
                .step()
                .style(HEALTHY),
        )
        .line(
            Line::new("faulty or down subjects", pts(&f.faulty_per_min))
                .step()
                .style(FAULTY),
        );

    // Hosts: colours after the two flap lines'; the first host solid, then dashed,
    // dotted (greyscale tells hosts apart by pattern).
    let host_style = |i: usize| SeriesStyle {
        dash: [Dash::Solid, Dash::Dashed { on: 10, off: 5 }, Dash::Dotted][i % 3],
        ..series_style(i + 2)
    };
    let any_credits = f
        .hosts
        .iter()
        .any(|h| h.credits.iter().any(Option::is_some));
    let mut cpu = time_panel(d, "parked by CPU cap (%)")
        .caption("Faulty hosts' CPU: share of time parked by the throttle or credit cap")
        .y_range(0.0, 100.0);
    cpu.empty_note = "no faulty host with a CPU model in this run".into();
    let mut credits =
        time_panel(d, "CPU credits (credits)").caption("Faulty hosts' CPU credit balance");
    credits.empty_note = "no host on a credit model".into();
    let mut health = time_panel(d, "local-health score")
        .caption("Faulty hosts' Lifeguard local-health score (0 = healthy; presets without Lifeguard stay 0)");
    health.empty_note = "no faulty host".into();
    for (i, h) in f.hosts.iter().enumerate() {
        let style = host_style(i);
        if h.parked_pct.iter().any(Option::is_some) {
            cpu = cpu.line(
                Line::new(h.node.clone(), close(series(&f.t_min, &h.parked_pct)))
                    .step()
                    .style(style),
            );
        }
        if h.credits.iter().any(Option::is_some) {
            credits =
                credits.line(Line::new(h.node.clone(), series(&f.t_min, &h.credits)).style(style));
        }
        let hp: Vec<(f64, f64)> = f
            .t_min
            .iter()
            .copied()
            .zip(h.health.iter().map(|&s| s as f64))
            .collect();
        health = health.line(Line::new(h.node.clone(), close(hp)).step().style(style));
    }
    let hmax = f
        .hosts
        .iter()
        .flat_map(|h| h.health.iter().copied())
        .max()
        .unwrap_or(0);
    health = health.y_range(0.0, (hmax.max(1) as f64 + 1.0).max(4.0));

    let mut fig = Figure::new(frame)
        .panel(Panel::Line(rate), 1.6)
        .panel(Panel::Line(cpu), 1.0);
    if any_credits {
        fig = fig.panel(Panel::Line(credits), 1.0);
    }
    let h = if any_credits { 1250 } else { 1050 };
    fig.panel(Panel::Line(health), 1.0).size(1200, h)
}

/// Accuser × accused heatmap of suspicions raised.
pub fn accusations_figure(d: &RunChartData) -> Figure {
    accusations_figure_of(&d.accusations, d.subtitle())
}

/// The accuser × accused heatmap of `a` under subtitle `sub` (also drawn by
/// `flapsim diagnose` from real logs).
pub fn accusations_figure_of(a: &super::AccusationData, mut sub: String) -> Figure {
    if a.involved > a.rows.len().max(a.cols.len()) {
        sub.push_str(&format!(
            " · top {} accusers × top {} accused of {} nodes involved",
            a.rows.len(),
            a.cols.len(),
            a.involved
        ));
    }
    let frame = Frame::new(
        "Who accused whom: suspicions raised, accuser × accused",
        sub,
    );
    let values: Vec<Vec<f64>> = a
        .counts
        .iter()
        .map(|r| r.iter().map(|&c| c as f64).collect())
        .collect();
    // Row labels carry the accuser's total: the culprit's suspicions spread over
    // many columns, so its cells can be pale while its total stands out.
    let rows: Vec<String> = a
        .rows
        .iter()
        .zip(&a.row_totals)
        .map(|(n, t)| format!("{n} ({t})"))
        .collect();
    let mut p = HeatmapPanel::new(
        "accuser (raised the suspicion), with its total",
        "accused (the suspect)",
        rows,
        a.cols.clone(),
        values,
        "suspicions (count)",
    );
    p.empty_note = "no suspicion raised in the measured window".into();
    let n = a.rows.len() as u32;
    let h = (300 + n * 15).clamp(560, 1100);
    Figure::new(frame)
        .panel(Panel::Heatmap(p), 1.0)
        .size(1200, h)
}

/// Suspicions raised and refutations naming, per node, top 20.
pub fn blame_figure(d: &RunChartData) -> Figure {
    blame_figure_of(&d.blame, &d.subtitle())
}

/// The blame bars of `blame` under subtitle `sub` (also drawn by `flapsim diagnose`).
pub fn blame_figure_of(blame: &[super::BlameBar], sub: &str) -> Figure {
    let frame = Frame::new(
        "Blame: suspicions raised, and refutations naming the node as accuser",
        format!("{} · top {} nodes", sub, blame.len()),
    );
    let names: Vec<String> = blame.iter().map(|b| b.node.clone()).collect();
    let mut p = BarPanel::new("node", "count (measured window)", names)
        .horizontal()
        .series(
            BarSeries::new(
                "suspicions raised",
                blame.iter().map(|b| b.suspicions_raised as f64).collect(),
            )
            .value_labels(
                blame
                    .iter()
                    .map(|b| b.suspicions_raised.to_string())
                    .collect(),
            )
            .style(HEALTHY),
        )
        .series(
            BarSeries::new(
                "refutations naming it (from: node)",
                blame.iter().map(|b| b.refutations_naming as f64).collect(),
            )
            .value_labels(
                blame
                    .iter()
                    .map(|b| b.refutations_naming.to_string())
                    .collect(),
            )
            .style(SeriesStyle {
                color: VERMILLION,
                dash: Dash::Solid,
                marker: Marker::Square,
            }),
        );
    p.empty_note = "no suspicion raised and no refutation in the measured window".into();
    p.category_label_area = 120;
    let n = blame.len() as u32;
    Figure::new(frame)
        .panel(Panel::Bars(p), 1.0)
        .size(1200, (260 + n * 34).clamp(420, 1000))
}

/// CDFs of first-suspicion, first-death and full-dissemination latency.
pub fn detection_figure(d: &RunChartData) -> Figure {
    let det = d.detection.clone().unwrap_or(super::DetectionData {
        crashes: 0,
        first_suspect_s: Vec::new(),
        first_dead_s: Vec::new(),
        full_dissemination_s: Vec::new(),
    });
    let frame = Frame::new(
        "Detection of real crashes: latency CDFs",
        format!(
            "{} · {} crashes in the measured window",
            d.subtitle(),
            det.crashes
        ),
    );
    let cdf = |v: &[f64]| -> Vec<(f64, f64)> {
        let n = det.crashes.max(1) as f64;
        let mut pts = vec![(0.0, 0.0)];
        for k in cdf_ranks(v.len()) {
            pts.push((v[k], 100.0 * (k + 1) as f64 / n));
        }
        pts
    };
    let xmax = det
        .first_suspect_s
        .iter()
        .chain(&det.first_dead_s)
        .chain(&det.full_dissemination_s)
        .copied()
        .fold(0.0, f64::max);
    let xmax = super::super::nice_max(xmax * 1.1, 1.0);
    let extend = |mut p: Vec<(f64, f64)>| {
        if let Some(&(_, y)) = p.last() {
            p.push((xmax, y));
        }
        p
    };
    let p = LinePanel::new("latency after the crash (s)", "crashes detected (%)")
        .x_range(0.0, xmax)
        .y_range(0.0, 100.0)
        .line(
            Line::new(
                "first suspicion anywhere",
                extend(cdf(&det.first_suspect_s)),
            )
            .step(),
        )
        .line(Line::new("first death declaration", extend(cdf(&det.first_dead_s))).step())
        .line(
            Line::new(
                "every up node holds it dead",
                extend(cdf(&det.full_dissemination_s)),
            )
            .step(),
        );
    Figure::new(frame)
        .panel(Panel::Line(p), 1.0)
        .size(1200, 620)
}

/// Corners drawn per latency CDF at most: more than the plot has pixels in
/// height, so a longer list draws the same curve.
pub const MAX_CDF_STEPS: usize = 1000;

/// The ranks (0-based) of a sorted list of `len` latencies whose corners the
/// CDF draws: every one up to [`MAX_CDF_STEPS`], else that many evenly spaced
/// ranks ending with the last, each at its exact share.
///
/// Why: a run writes one latency per crash, and crashes are bounded only by
/// the limits a user may raise; a million of them drew a million-point line
/// (1.2 s and 160 MB for a 10 MB file). The drawing now costs the same
/// whatever the count.
fn cdf_ranks(len: usize) -> impl Iterator<Item = usize> {
    let steps = len.min(MAX_CDF_STEPS);
    (1..=steps).map(move |j| (j * len).div_ceil(steps) - 1)
}

/// `1`, `2.5`: a bucket width without float noise.
/// A bucket's width for the subtitle: `1-min`, or `10-s` under a minute.
fn bucket_width(minutes: f64) -> String {
    if minutes < 1.0 {
        format!("{}-s", trim(minutes * 60.0))
    } else {
        format!("{}-min", trim(minutes))
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a latency CDF draws every crash up to MAX_CDF_STEPS, and at
    /// most that many corners, ending at the last, beyond it.
    #[test]
    fn a_latency_cdf_draws_at_most_max_cdf_steps_corners() {
        assert_eq!(cdf_ranks(3).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(cdf_ranks(0).count(), 0);
        let all: Vec<usize> = cdf_ranks(MAX_CDF_STEPS).collect();
        assert_eq!(all, (0..MAX_CDF_STEPS).collect::<Vec<_>>());
        let many: Vec<usize> = cdf_ranks(1_000_003).collect();
        assert_eq!(many.len(), MAX_CDF_STEPS);
        assert_eq!(*many.last().unwrap(), 1_000_002);
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }
}
