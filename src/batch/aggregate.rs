//! Across seeds: per point, the median and a 95 % interval of every metric; the
//! Pareto front of a trade-off; the recommendation under a budget.
//!
//! Quantiles are nearest-rank (like every latency in the reports): always a value
//! some seed produced, no interpolation, identical on every platform. The 95 %
//! interval is the 2.5th and 97.5th percentile across seeds, so with fewer than 40
//! seeds it is the min–max range; it describes the spread of the simulated
//! outcomes, not a confidence interval of the median.

use super::row::{csv_cell, fmt_num, metric_index, Row, METRICS};

/// A metric across the seeds of one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// Seeds that had a value (detection needs a crash, rejoin needs a flap).
    pub n: usize,
}

/// Nearest-rank quantile of ascending `sorted` (non-empty).
fn rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let r = (q * n as f64).ceil() as usize;
    sorted[r.clamp(1, n) - 1]
}

/// Median and 95 % interval of `values` (None when empty).
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(Spread {
        median: rank(&v, 0.5),
        lo: rank(&v, 0.025),
        hi: rank(&v, 0.975),
        n: v.len(),
    })
}

/// One point's aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStats {
    pub point: usize,
    /// Runs (seeds) aggregated.
    pub runs: usize,
    /// One per [`METRICS`] entry.
    pub metrics: Vec<Option<Spread>>,
}

impl PointStats {
    pub fn get(&self, metric: &str) -> Option<Spread> {
        metric_index(metric).and_then(|i| self.metrics[i])
    }
}

/// Aggregate `rows` (any order) into one [`PointStats`] per point of the plan.
pub fn aggregate(points: usize, rows: &[Row]) -> Vec<PointStats> {
    let mut by_point: Vec<Vec<&Row>> = vec![Vec::new(); points];
    for r in rows {
        if let Some(v) = by_point.get_mut(r.point) {
            v.push(r);
        }
    }
    by_point
        .into_iter()
        .enumerate()
        .map(|(point, rows)| PointStats {
            point,
            runs: rows.len(),
            metrics: (0..METRICS.len())
                .map(|m| spread(&rows.iter().filter_map(|r| r.values[m]).collect::<Vec<_>>()))
                .collect(),
        })
        .collect()
}

/// `points.csv`: per point, every axis value, the run count, and per metric its
/// median and 95 % interval; `pareto` is 1 for configurations on the trade-off's
/// Pareto front (empty when the sweep measured no detection latency).
pub fn points_csv(
    plan_axes: &[String],
    plan: &[Vec<String>],
    stats: &[PointStats],
    front: &Front,
) -> String {
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(plan_axes.iter().map(|a| csv_cell(a)));
    head.push("runs".into());
    for m in METRICS {
        for s in ["median", "lo95", "hi95"] {
            head.push(format!("{}_{s}", m.name));
        }
    }
    head.push("pareto".into());
    let mut out = head.join(",");
    out.push('\n');
    let on_front = front.members();
    for (p, labels) in stats.iter().zip(plan) {
        let mut cells = vec![p.point.to_string()];
        cells.extend(labels.iter().map(|l| csv_cell(l)));
        cells.push(p.runs.to_string());
        for s in &p.metrics {
            match s {
                Some(s) => cells.extend([fmt_num(s.median), fmt_num(s.lo), fmt_num(s.hi)]),
                None => cells.extend([String::new(), String::new(), String::new()]),
            }
        }
        cells.push(if front.measured {
            u8::from(on_front.contains(&p.point)).to_string()
        } else {
            String::new()
        });
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// What a trade-off compares: a cost to keep low (flap rate or FP at healthy) and
/// the detection latency of real crashes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tradeoff {
    /// Metric name of the cost (y of the trade-off chart).
    pub cost: &'static str,
    /// Metric name of the latency (x).
    pub latency: &'static str,
}

/// The default trade-off: flaps of healthy nodes per hour against the time until
/// a crashed node is first declared dead.
pub const FLAPS_VS_DETECTION: Tradeoff = Tradeoff {
    cost: "flaps_healthy_per_hour",
    latency: "detect_dead_p50_s",
};

/// FP at healthy nodes per hour against detection.
pub const FP_VS_DETECTION: Tradeoff = Tradeoff {
    cost: "fp_healthy_per_hour",
    latency: "detect_dead_p50_s",
};

/// The Pareto front of a trade-off.
#[derive(Clone, Debug, PartialEq)]
pub struct Front {
    /// False when no point has both metrics (no crash in the sweep).
    pub measured: bool,
    /// Points on the front, by increasing latency (every group's, in group order).
    pub points: Vec<usize>,
    /// Per combination of condition values (one unnamed group without
    /// conditions): its label and its front, by increasing latency.
    pub groups: Vec<(String, Vec<usize>)>,
}

impl Front {
    /// The front's points as a set: tables ask of every point whether it is
    /// on the front, and a search of the front for each grew with their
    /// product.
    pub fn members(&self) -> std::collections::BTreeSet<usize> {
        self.points.iter().copied().collect()
    }
}

/// Points no other point beats on both medians (lower cost and lower latency,
/// strictly better on one).
pub fn pareto(stats: &[PointStats], t: Tradeoff) -> Front {
    pareto_grouped(stats, t, &[(String::new(), (0..stats.len()).collect())])
}

/// [`pareto`] within each group of points (`(label, point indices)`): points
/// are only compared with points under the same conditions.
///
/// Each group's front is found by a sort and one sweep, O(n log n): the
/// comparison of every point with every other (O(n²)) did not finish for a
/// sweep of 10⁶ points. Nothing is cloned per group.
pub fn pareto_grouped(stats: &[PointStats], t: Tradeoff, groups: &[(String, Vec<usize>)]) -> Front {
    let mut front = Front {
        measured: false,
        points: Vec::new(),
        groups: Vec::new(),
    };
    for (label, members) in groups {
        let xy: Vec<(usize, f64, f64)> = members
            .iter()
            .filter_map(|&p| stats.get(p))
            .filter_map(|p| Some((p.point, p.get(t.latency)?.median, p.get(t.cost)?.median)))
            .collect();
        front.measured |= !xy.is_empty();
        let points = front_of(xy);
        front.points.extend(&points);
        front.groups.push((label.clone(), points));
    }
    front
}

/// The points of `xy` (point, latency, cost) that no other beats: none has
/// `x2 <= x && y2 <= y` with one strictly lower (IEEE comparisons, so a point
/// with a NaN coordinate is never beaten and beats none), by increasing
/// latency, then cost, then point.
///
/// Sorted by latency, a point is beaten exactly when an earlier point with a
/// strictly lower latency has a cost at most its own, or a point with the
/// same latency has a strictly lower cost: one sweep keeps the lowest cost
/// seen so far.
fn front_of(mut xy: Vec<(usize, f64, f64)>) -> Vec<usize> {
    let (mut points, mut rest): (Vec<_>, Vec<_>) = xy
        .drain(..)
        .partition(|&(_, x, y)| x.is_nan() || y.is_nan());
    // No NaN left: `partial_cmp` is a total order up to 0.0 == -0.0, which
    // the comparisons of the definition treat alike.
    rest.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    let mut lowest_before = f64::INFINITY;
    let mut seen_any = false;
    for same_x in rest.chunk_by(|a, b| a.1 == b.1) {
        let lowest_here = same_x.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
        points.extend(
            same_x
                .iter()
                .filter(|&&(_, _, y)| y <= lowest_here && (!seen_any || y < lowest_before)),
        );
        lowest_before = lowest_before.min(lowest_here);
        seen_any = true;
    }
    points.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(a.2.total_cmp(&b.2))
            .then(a.0.cmp(&b.0))
    });
    points.into_iter().map(|p| p.0).collect()
}

/// A limit on a cost metric, met when the upper end of its 95 % interval is within it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub metric: &'static str,
    pub max: f64,
}

/// The fastest-detecting point whose cost stays within the budget on (nearly)
/// every seed; ties go to the lower cost, then the lower point index.
pub fn within_budget<'a>(
    stats: impl IntoIterator<Item = &'a PointStats>,
    t: Tradeoff,
    b: Budget,
) -> Option<usize> {
    stats
        .into_iter()
        .filter_map(|p| {
            let cost = p.get(b.metric)?;
            let lat = p.get(t.latency)?;
            (cost.hi <= b.max).then_some((p.point, lat.median, cost.median))
        })
        .min_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.2.total_cmp(&b.2))
                .then(a.0.cmp(&b.0))
        })
        .map(|p| p.0)
}

/// A number for people: whole numbers plain, others to 3 significant-ish digits.
pub fn human(x: f64) -> String {
    if (x == x.trunc() && x.abs() < 1e9) || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `median [lo–hi]`, or `–` without samples; `(k of n)` after it when only
/// `k` of the point's `runs` seeds had a value (a crash detected in 6 seeds
/// of 8: the median and interval say nothing of the other 2).
pub fn human_spread(s: Option<Spread>, runs: usize) -> String {
    let Some(s) = s else {
        return "–".into();
    };
    let spread = if s.lo == s.hi {
        human(s.median)
    } else {
        format!("{} [{}–{}]", human(s.median), human(s.lo), human(s.hi))
    };
    if s.n < runs {
        format!("{spread} ({} of {runs})", s.n)
    } else {
        spread
    }
}

/// The table heading's note for `(k of n)` cells, when any of `metrics` in
/// `stats` has one (empty otherwise).
pub fn partial_note(stats: &[PointStats], metrics: &[&str]) -> &'static str {
    let partial = stats.iter().any(|p| {
        metrics
            .iter()
            .any(|m| p.get(m).is_some_and(|s| s.n < p.runs))
    });
    if partial {
        "; (k of n): only k of the n seeds had a value (no crash detected, no flap to time)"
    } else {
        ""
    }
}

/// A text table of points: one row per point, the axis values and the given
/// metrics as `median [lo–hi]`.
///
/// A heading wider than its column's values wraps onto a second line at a
/// space (`flaps of` over `healthy nodes/h`), so the column is as wide as its
/// values: the Lifeguard ablation's table was 190 characters wide with
/// one-line headings, and a terminal narrower than that wrapped every row.
pub fn text_table(
    axes: &[String],
    labels: &[Vec<String>],
    stats: &[PointStats],
    metrics: &[&str],
    mark: &dyn Fn(usize) -> &'static str,
) -> String {
    let mut head: Vec<String> = axes.to_vec();
    head.extend(metrics.iter().map(|m| {
        metric_index(m)
            .map(|i| METRICS[i].label.to_string())
            .unwrap_or_else(|| m.to_string())
    }));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (p, l) in stats.iter().zip(labels) {
        let mut r = l.clone();
        if let Some(first) = r.first_mut() {
            *first = format!("{}{first}", mark(p.point));
        }
        r.extend(metrics.iter().map(|m| human_spread(p.get(m), p.runs)));
        rows.push(r);
    }
    let chars = |s: &str| s.chars().count();
    let values: Vec<usize> = (0..head.len())
        .map(|c| rows.iter().map(|r| chars(&r[c])).max().unwrap_or(0))
        .collect();
    // Each heading as (top line, bottom line); one-line headings sit at the
    // bottom, next to the values.
    let heading: Vec<(String, String)> = head
        .iter()
        .zip(&values)
        .map(|(h, &w)| wrap_heading(h, w))
        .collect();
    let width: Vec<usize> = heading
        .iter()
        .zip(&values)
        .map(|((top, bottom), &w)| w.max(chars(top)).max(chars(bottom)))
        .collect();
    let mut lines: Vec<Vec<String>> = Vec::new();
    if heading.iter().any(|(top, _)| !top.is_empty()) {
        lines.push(heading.iter().map(|(top, _)| top.clone()).collect());
    }
    lines.push(heading.into_iter().map(|(_, bottom)| bottom).collect());
    lines.extend(rows);
    let mut out = String::new();
    for r in &lines {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = " ".repeat(width[c] - chars(s));
                if c < axes.len() {
                    format!("{s}{pad}")
                } else {
                    format!("{pad}{s}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A heading as (top, bottom) lines for a column whose values are `values`
/// characters wide: one line (top empty) when it fits, else split at the space
/// that makes the wider line narrowest, when that is narrower than the
/// heading.
fn wrap_heading(heading: &str, values: usize) -> (String, String) {
    let chars = |s: &str| s.chars().count();
    let whole = chars(heading);
    if whole <= values {
        return (String::new(), heading.to_string());
    }
    let split = heading
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| (&heading[..i], &heading[i + 1..]))
        .min_by_key(|(top, bottom)| chars(top).max(chars(bottom)));
    match split {
        Some((top, bottom)) if chars(top).max(chars(bottom)) < whole => {
            (top.to_string(), bottom.to_string())
        }
        _ => (String::new(), heading.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(point: usize, lat: f64, cost: f64) -> PointStats {
        let mut metrics = vec![None; METRICS.len()];
        let s = |v: f64| {
            Some(Spread {
                median: v,
                lo: v,
                hi: v * 2.0,
                n: 3,
            })
        };
        metrics[metric_index("detect_dead_p50_s").unwrap()] = s(lat);
        metrics[metric_index("flaps_healthy_per_hour").unwrap()] = s(cost);
        PointStats {
            point,
            runs: 3,
            metrics,
        }
    }

    #[test]
    fn nearest_rank_spread_uses_observed_values() {
        let s = spread(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.median, s.lo, s.hi, s.n), (3.0, 1.0, 5.0, 5));
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = spread(&many).unwrap();
        assert_eq!((s.median, s.lo, s.hi), (50.0, 3.0, 98.0));
        assert_eq!(spread(&[]), None);
    }

    /// Rule: a spread taken over fewer seeds than the point ran says how many
    /// (a crash detected in 6 seeds of 8), and the table's heading explains it;
    /// a full one reads as before.
    #[test]
    fn a_spread_over_some_seeds_says_how_many() {
        let six = spread(&[8.0, 8.29, 8.5, 7.99, 8.74, 8.3]).unwrap();
        assert_eq!(human_spread(Some(six), 8), "8.29 [7.99–8.74] (6 of 8)");
        assert_eq!(human_spread(Some(six), 6), "8.29 [7.99–8.74]");
        assert_eq!(human_spread(None, 8), "–");
        let mut p = stats(0, 1.0, 2.0);
        assert_eq!(
            partial_note(std::slice::from_ref(&p), &["detect_dead_p50_s"]),
            ""
        );
        p.runs = 4;
        assert!(partial_note(&[p], &["detect_dead_p50_s"]).contains("(k of n)"));
    }

    /// Rule: a Pareto-optimal point is one no other point beats on both objectives.
    #[test]
    fn pareto_front_keeps_only_undominated_points() {
        let s = vec![
            stats(0, 1.0, 10.0), // fastest, flappiest: on the front
            stats(1, 2.0, 5.0),  // on the front
            stats(2, 3.0, 5.0),  // dominated by 1
            stats(3, 4.0, 0.0),  // on the front
            stats(4, 5.0, 1.0),  // dominated by 3
        ];
        let f = pareto(&s, FLAPS_VS_DETECTION);
        assert!(f.measured);
        assert_eq!(f.points, vec![0, 1, 3]);
        // Budget on the upper end (2 × median here): 5 → hi 10 fails a budget of 6.
        let b = |max| Budget {
            metric: "flaps_healthy_per_hour",
            max,
        };
        assert_eq!(within_budget(&s, FLAPS_VS_DETECTION, b(10.0)), Some(1));
        assert_eq!(within_budget(&s, FLAPS_VS_DETECTION, b(6.0)), Some(3));
        assert_eq!(within_budget(&s, FLAPS_VS_DETECTION, b(-1.0)), None);
    }

    /// The definition, point against point (O(n²), as the front was found
    /// before): what the sweep must reproduce.
    fn front_by_definition(xy: &[(usize, f64, f64)]) -> Vec<usize> {
        let mut points: Vec<(usize, f64, f64)> = xy
            .iter()
            .copied()
            .filter(|&(_, x, y)| {
                !xy.iter()
                    .any(|&(_, x2, y2)| x2 <= x && y2 <= y && (x2 < x || y2 < y))
            })
            .collect();
        points.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.2.total_cmp(&b.2))
                .then(a.0.cmp(&b.0))
        });
        points.into_iter().map(|p| p.0).collect()
    }

    /// Rule: the front found by one sweep over the points sorted by latency
    /// is the front of the definition, the same points in the same order,
    /// with ties, repeated points, zeros of both signs, infinities and NaN.
    #[test]
    fn the_swept_pareto_front_is_the_front_of_the_definition() {
        use rand_core::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let odd = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1.0,
            2.0,
        ];
        for case in 0..2000 {
            let n = (rng.next_u32() % 40) as usize;
            // Few distinct values, so ties are common; sometimes odd ones.
            let value = |rng: &mut rand_chacha::ChaCha8Rng| {
                if rng.next_u32().is_multiple_of(8) {
                    odd[(rng.next_u32() % odd.len() as u32) as usize]
                } else {
                    f64::from(rng.next_u32() % (1 + case % 12))
                }
            };
            let xy: Vec<(usize, f64, f64)> = (0..n)
                .map(|p| (p * 3 % 41, value(&mut rng), value(&mut rng)))
                .collect();
            assert_eq!(
                front_of(xy.clone()),
                front_by_definition(&xy),
                "case {case}: {xy:?}"
            );
        }
    }

    /// Rule: a front of many points is found in O(n log n): 2·10⁵ points on
    /// one staircase (all on the front) would take 4·10¹⁰ comparisons by the
    /// definition; the sweep takes well under a second.
    #[test]
    fn a_front_of_many_points_is_found_by_one_sweep() {
        let n = 200_000;
        let xy: Vec<(usize, f64, f64)> = (0..n).map(|p| (p, p as f64, (n - p) as f64)).collect();
        let front = front_of(xy);
        assert_eq!(front.len(), n);
        assert!(front.windows(2).all(|w| w[0] < w[1]));
    }

    /// Rule: under condition axes, a configuration competes only with the
    /// configurations run under the same conditions.
    #[test]
    fn grouped_fronts_compare_within_a_condition_only() {
        let s = vec![
            stats(0, 1.0, 1.0), // condition A: dominates 1
            stats(1, 2.0, 2.0),
            stats(2, 3.0, 30.0), // condition B: dominated globally by 0 and 1, best in B
            stats(3, 4.0, 40.0),
        ];
        let groups = vec![
            ("c=A".to_string(), vec![0, 1]),
            ("c=B".to_string(), vec![2, 3]),
        ];
        let f = pareto_grouped(&s, FLAPS_VS_DETECTION, &groups);
        assert_eq!(
            f.groups,
            vec![("c=A".to_string(), vec![0]), ("c=B".to_string(), vec![2])]
        );
        assert_eq!(f.points, vec![0, 2]);
        assert_eq!(pareto(&s, FLAPS_VS_DETECTION).points, vec![0]);
    }

    /// A heading wider than its values wraps at a space; one that fits, or
    /// has no space, stays on one line, next to the values.
    #[test]
    fn wide_headings_wrap_onto_two_lines() {
        assert_eq!(
            wrap_heading("flaps of healthy nodes/h", 16),
            ("flaps of".into(), "healthy nodes/h".into())
        );
        assert_eq!(
            wrap_heading("detection p50 (s)", 16),
            ("detection".into(), "p50 (s)".into())
        );
        assert_eq!(
            wrap_heading("msgs per node-s", 16),
            ("".into(), "msgs per node-s".into())
        );
        assert_eq!(
            wrap_heading("protocol.suspicion_mult", 4),
            ("".into(), "protocol.suspicion_mult".into())
        );
        let axes = vec!["lifeguard".to_string()];
        let labels = vec![vec!["none".to_string()], vec!["all".to_string()]];
        let s = vec![stats(0, 11.6, 60.0), stats(1, 12.4, 0.0)];
        let table = text_table(
            &axes,
            &labels,
            &s,
            &["flaps_healthy_per_hour", "detect_dead_p50_s"],
            &|p| if p == 1 { "*" } else { " " },
        );
        assert_eq!(
            table,
            "                  flaps of         detection\n\
             lifeguard  healthy nodes/h           p50 (s)\n\
             \x20none          60 [60–120]  11.6 [11.6–23.2]\n\
             *all                     0  12.4 [12.4–24.8]\n"
        );
    }
}
