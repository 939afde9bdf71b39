//! The comparison chart: grouped bars per configuration with the 95% interval
//! across seeds as error bars, one panel per unit (rates, counts, seconds, load).

use crate::batch::aggregate::{human, Spread};
use crate::batch::compare::Comparison;
use crate::batch::row::{metric_index, METRICS};

use super::{BarPanel, BarSeries, Figure, Frame, LegendAt, Panel};

/// Panels: (value axis, metrics sharing it).
const PANELS: &[(&str, &[&str])] = &[
    (
        "flaps per hour",
        &["flaps_per_hour", "flaps_healthy_per_hour"],
    ),
    (
        "count per run",
        &["fp_total", "fp_healthy", "flap_episodes"],
    ),
    (
        "seconds",
        &["rejoin_p50_s", "detect_dead_p50_s", "detect_dead_p99_s"],
    ),
    ("msgs per node-s", &["msgs_per_node_s"]),
    ("bytes per node-s", &["bytes_per_node_s"]),
];

pub fn comparison_chart(c: &Comparison) -> Figure {
    let m = &c.manifest;
    let names = c.names();
    let seeds = match (m.seeds.first(), m.seeds.last()) {
        (Some(a), Some(b)) if a != b => format!("seeds {a}–{b}"),
        (Some(a), _) => format!("seed {a}"),
        _ => String::new(),
    };
    let mut fig = Figure::new(Frame::new(
        format!("{}: {}", c.meta.scenario, names.join(" vs ")),
        format!(
            "{} nodes · {} simulated · {} · bars = median, whiskers = 95% interval across seeds",
            c.meta.nodes, c.meta.simulated, seeds
        ),
    ));
    let mut panels = Vec::new();
    for (unit, metrics) in PANELS {
        let mut panel =
            BarPanel::new("configuration", *unit, names.clone()).legend_at(LegendAt::UpperRight);
        let mut any = false;
        for metric in *metrics {
            let i = metric_index(metric).expect("known metric");
            let vals: Vec<Option<Spread>> = c.stats.iter().map(|s| s.metrics[i]).collect();
            if vals.iter().all(Option::is_none) {
                continue;
            }
            any = true;
            panel = panel.series(
                BarSeries::new(
                    METRICS[i].label,
                    vals.iter()
                        .map(|s| s.map_or(f64::NAN, |s| s.median))
                        .collect(),
                )
                .errors(
                    vals.iter()
                        .map(|s| s.map_or((f64::NAN, f64::NAN), |s| (s.lo, s.hi)))
                        .collect(),
                )
                .value_labels(median_labels(&vals)),
            );
        }
        if any {
            panels.push(panel);
        }
    }
    let n = panels.len().max(1) as u32;
    fig = fig.size(1200, 110 + 280 * n);
    for p in panels {
        fig = fig.panel(Panel::Bars(p), 1.0);
    }
    fig
}

/// Each bar's median as the comparison table writes it (none without samples).
pub(super) fn median_labels(vals: &[Option<Spread>]) -> Vec<String> {
    vals.iter()
        .map(|s| s.map_or(String::new(), |s| human(s.median)))
        .collect()
}
