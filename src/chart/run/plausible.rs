//! What a run could have written to `chart-data.json`, checked field by field.
//!
//! Why: `flapsim chart DIR` draws whatever the file says, and a tampered or
//! damaged file is still well typed: an `end_min` of 1e308, a negative time, a
//! mark after the end, 2 million flap-episode marks, rows whose members add
//! up to more nodes than the run had. Each was drawn (absurd axes, seconds of
//! drawing and hundreds of MB, or a wrong picture) and the command exited 0.
//! Every rule here restates how `report::charts` builds the data, so a file a
//! run wrote always passes (`flapsim run` checks its own file on the way to
//! drawing it) and anything else is refused with the field's path.
//!
//! Times are written rounded to 1e-4 min ([`ROUNDING_MIN`]); comparisons
//! between fields allow that much per rounded value, and no more.

use super::{RunChartData, TimelineRow};
use super::{
    MAX_BLAME_BARS, MAX_EPISODE_MARKS, MAX_FLAP_BUCKETS, MAX_HEATMAP_NODES, MAX_HOSTS, MAX_MARKS,
    MAX_ROWS, TIMELINE_COLUMNS,
};

/// A field no run writes: its path (`timeline.rows[3].episodes_min[0]`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub message: String,
}

type Check = Result<(), Refusal>;

fn refuse(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal {
        field: field.into(),
        message: message.into(),
    }
}

/// Times are written in minutes rounded to four decimals: each rounded value
/// is off by up to half of this.
const ROUNDING_MIN: f64 = 1e-4;

/// The longest run there can be: its end is a `u64` of nanoseconds (~584
/// years), whatever `--limit duration` allows.
pub const MAX_END_MIN: f64 = u64::MAX as f64 / 60e9 + ROUNDING_MIN;

/// Node ids are `u32`.
pub const MAX_NODES: usize = u32::MAX as usize;

/// The most flaps per minute a bucket can hold: a bin counts its flaps in a
/// `u32`, and a bin is at least the finest time step flapsim accepts.
pub const MAX_FLAPS_PER_MIN: f64 =
    u32::MAX as f64 * (60e9 / crate::scenario::resolve::MIN_GRANULARITY as f64);

/// The longest name a run writes: a scenario's names (node, scenario,
/// partition, hold) are at most this long.
pub const MAX_NAME_BYTES: usize = crate::scenario::resolve::MAX_IDENT_BYTES;

/// The longest timeline row label: a node's name, or a band's
/// `first…last (members)` (`report::charts::timeline`).
pub const MAX_ROW_LABEL_BYTES: usize = 2 * MAX_NAME_BYTES + "… ()".len() + 20;

/// The longest mark label: the longest action (`partition `) and two nodes'
/// names with `, …` after them (`report::charts::marks`).
pub const MAX_MARK_LABEL_BYTES: usize = "partition ".len() + 2 * MAX_NAME_BYTES + ", , …".len();

/// The highest Lifeguard health score: it stays below
/// `awareness_max_multiplier`, a `u32`.
pub const MAX_HEALTH: u32 = u32::MAX - 1;

/// The highest mean credit balance: launch credits plus the earned ones,
/// each at most [`MAX_CREDITS`](crate::scenario::fault::host::credits::MAX_CREDITS).
pub const MAX_CREDIT_BALANCE: f64 = 2.0 * crate::scenario::fault::host::credits::MAX_CREDITS;

/// The deepest surplus (a negative balance, unlimited mode) a run of
/// `end_min` minutes reaches: the background load spends at most every vCPU
/// and the node's own work one more, each minute; twice that, and a minute
/// more, for the work charged when an item starts rather than as it runs.
fn deepest_surplus(end_min: f64) -> f64 {
    let per_min = f64::from(crate::scenario::fault::host::credits::MAX_VCPUS) + 1.0;
    -2.0 * per_min * (end_min + 1.0)
}

/// A number for a message: plain, or in `1e308` form when plain would be
/// hundreds of digits.
fn number(v: f64) -> String {
    if v == 0.0 || (1e-4..1e12).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Refuse `d` unless a run could have written it.
pub fn check(d: &RunChartData) -> Check {
    check_sizes(d)?;
    check_labels(d)?;
    check_run(d)?;
    check_timeline(d)?;
    check_flap_rate(d)?;
    check_accusations(d)?;
    check_blame(d)?;
    check_detection(d)
}

/// Sizes first: the drawing work follows them, and `timeline.columns` is a
/// count, not an array, so a hostile file could ask for any amount of memory
/// (10^15 columns aborted `flapsim chart` with a failed allocation; 10^8 took
/// 16 s and 1 GB; 2 million episode marks on one row 6 s and 600 MB).
fn check_sizes(d: &RunChartData) -> Check {
    let t = &d.timeline;
    let a = &d.accusations;
    let counts = [("timeline.columns", t.columns, 1, TIMELINE_COLUMNS)];
    for (field, value, min, max) in counts {
        if !(min..=max).contains(&value) {
            return Err(refuse(
                field,
                format!("{value} is outside {min}..={max} (flapsim writes no more)"),
            ));
        }
    }
    let mut lists = vec![
        ("timeline.rows".to_string(), t.rows.len(), 1, MAX_ROWS),
        (
            "accusations.rows".to_string(),
            a.rows.len(),
            0,
            MAX_HEATMAP_NODES,
        ),
        (
            "accusations.cols".to_string(),
            a.cols.len(),
            0,
            MAX_HEATMAP_NODES,
        ),
        ("marks".to_string(), d.marks.len(), 0, MAX_MARKS),
        (
            "flap_rate.t_min".to_string(),
            d.flap_rate.t_min.len(),
            1,
            MAX_FLAP_BUCKETS,
        ),
        (
            "flap_rate.hosts".to_string(),
            d.flap_rate.hosts.len(),
            0,
            MAX_HOSTS,
        ),
        ("blame".to_string(), d.blame.len(), 0, MAX_BLAME_BARS),
    ];
    for (r, row) in t.rows.iter().enumerate() {
        lists.push((
            format!("timeline.rows[{r}].episodes_min"),
            row.episodes_min.len(),
            0,
            MAX_EPISODE_MARKS,
        ));
    }
    for (field, len, min, max) in lists {
        if !(min..=max).contains(&len) {
            return Err(refuse(
                field,
                format!("{len} entries, outside {min}..={max} (flapsim writes no more)"),
            ));
        }
    }
    Ok(())
}

/// Every name and label within what a run writes: a label is drawn (a
/// 100 KB one took a second to lay out on every chart) and a run's names
/// are short.
fn check_labels(d: &RunChartData) -> Check {
    let mut labels: Vec<(String, &str, usize)> = vec![
        ("scenario".into(), &d.scenario, MAX_NAME_BYTES),
        ("preset".into(), &d.preset, MAX_NAME_BYTES),
    ];
    for (i, m) in d.marks.iter().enumerate() {
        labels.push((format!("marks[{i}].label"), &m.label, MAX_MARK_LABEL_BYTES));
    }
    for (r, row) in d.timeline.rows.iter().enumerate() {
        labels.push((
            format!("timeline.rows[{r}].label"),
            &row.label,
            MAX_ROW_LABEL_BYTES,
        ));
    }
    for (h, host) in d.flap_rate.hosts.iter().enumerate() {
        labels.push((
            format!("flap_rate.hosts[{h}].node"),
            &host.node,
            MAX_NAME_BYTES,
        ));
    }
    let a = &d.accusations;
    for (side, names) in [("rows", &a.rows), ("cols", &a.cols)] {
        for (i, n) in names.iter().enumerate() {
            labels.push((format!("accusations.{side}[{i}]"), n, MAX_NAME_BYTES));
        }
    }
    for (i, b) in d.blame.iter().enumerate() {
        labels.push((format!("blame[{i}].node"), &b.node, MAX_NAME_BYTES));
    }
    for (field, text, max) in labels {
        if text.len() > max {
            return Err(refuse(
                field,
                format!(
                    "`{}` is {} bytes, longer than the {max} a run writes here",
                    crate::quote::short(text),
                    text.len()
                ),
            ));
        }
    }
    Ok(())
}

/// A finite number in `lo..=hi`, or the refusal naming `field`.
fn within(field: &str, v: f64, lo: f64, hi: f64, range: &str) -> Check {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(refuse(field, format!("{} is outside {range}", number(v))))
    }
}

/// A time in minutes within the run.
fn in_run(field: &str, v: f64, d: &RunChartData) -> Check {
    within(
        field,
        v,
        0.0,
        d.end_min,
        &format!("the run (0 to end_min {} min)", d.end_min),
    )
}

/// `values` in ascending order (the writer sorts them).
fn ascending(field: &str, values: &[f64]) -> Check {
    match values.windows(2).position(|w| w[1] < w[0]) {
        Some(i) => Err(refuse(
            format!("{field}[{}]", i + 1),
            format!(
                "{} comes after {}: flapsim writes these in ascending order",
                number(values[i + 1]),
                number(values[i])
            ),
        )),
        None => Ok(()),
    }
}

fn check_run(d: &RunChartData) -> Check {
    if !(1..=MAX_NODES).contains(&d.nodes) {
        return Err(refuse(
            "nodes",
            format!("{} is outside 1..={MAX_NODES}", d.nodes),
        ));
    }
    within(
        "end_min",
        d.end_min,
        0.0,
        MAX_END_MIN,
        &format!("0..={MAX_END_MIN:.0} min (a run's end is at most u64::MAX ns)"),
    )?;
    within(
        "warmup_min",
        d.warmup_min,
        0.0,
        d.end_min,
        &format!("0..=end_min {} (the warm-up is part of the run)", d.end_min),
    )?;
    for (i, m) in d.marks.iter().enumerate() {
        in_run(&format!("marks[{i}].t_min"), m.t_min, d)?;
    }
    Ok(())
}

fn check_timeline(d: &RunChartData) -> Check {
    let t = &d.timeline;
    // The columns cover the run exactly: `columns` of `ceil(end / columns)` ns.
    let span = t.column_min * t.columns as f64;
    let tolerance = ROUNDING_MIN + d.end_min * 1e-9;
    if !(t.column_min.is_finite() && t.column_min > 0.0 && (span - d.end_min).abs() <= tolerance) {
        return Err(refuse(
            "timeline.column_min",
            format!(
                "{} min: its {} columns would span {} min, not the run's end_min {}",
                number(t.column_min),
                t.columns,
                number(span),
                d.end_min
            ),
        ));
    }
    let mut members: usize = 0;
    for (r, row) in t.rows.iter().enumerate() {
        check_row(d, r, row)?;
        members = members.saturating_add(row.members);
    }
    if members != d.nodes {
        return Err(refuse(
            "timeline.rows",
            format!(
                "the rows' members add up to {members}, not the run's {} nodes (every node is in one row)",
                d.nodes
            ),
        ));
    }
    if t.banded_nodes > d.nodes {
        return Err(refuse(
            "timeline.banded_nodes",
            format!(
                "{} is more than the run's {} nodes",
                t.banded_nodes, d.nodes
            ),
        ));
    }
    Ok(())
}

fn check_row(d: &RunChartData, r: usize, row: &TimelineRow) -> Check {
    let at = |field: &str| format!("timeline.rows[{r}].{field}");
    if row.members == 0 {
        return Err(refuse(at("members"), "0: a row holds at least one node"));
    }
    let columns = d.timeline.columns;
    for (field, text) in [
        ("suspect", &row.suspect),
        ("dead", &row.dead),
        ("down", &row.down),
    ] {
        check_percent_runs(text, columns).map_err(|m| refuse(at(field), m))?;
    }
    for (i, &t) in row.episodes_min.iter().enumerate() {
        in_run(&at(&format!("episodes_min[{i}]")), t, d)?;
    }
    ascending(&at("episodes_min"), &row.episodes_min)?;
    // The marks are the episodes themselves, thinned to at most
    // MAX_EPISODE_MARKS.
    let kept = row.episodes_total.min(MAX_EPISODE_MARKS);
    if row.episodes_min.len() != kept {
        return Err(refuse(
            at("episodes_total"),
            format!(
                "{} episodes, but {} marks (flapsim keeps {kept} of them)",
                row.episodes_total,
                row.episodes_min.len()
            ),
        ));
    }
    Ok(())
}

/// A run-length-coded row ([`super::rle_encode`]): percentages 0..=100, in
/// runs of at least one, exactly `columns` of them. Stops at the first token
/// past `columns`, so a long text costs no more than a short one.
fn check_percent_runs(text: &str, columns: usize) -> Result<(), String> {
    let mut total: usize = 0;
    for token in text.split_ascii_whitespace() {
        let (value, run) = token.split_once('*').unwrap_or((token, "1"));
        let percent = value.parse::<u8>().is_ok_and(|v| v <= 100);
        let Some(run) = run.parse::<usize>().ok().filter(|&k| percent && k >= 1) else {
            return Err(format!(
                "`{}` is not a percentage 0..=100 or a run of one (`40*3`)",
                crate::quote::short(token)
            ));
        };
        total = total.saturating_add(run);
        if total > columns {
            return Err(format!(
                "more than the timeline's {columns} columns of values"
            ));
        }
    }
    if total != columns {
        return Err(format!(
            "{total} values, not the timeline's {columns} columns"
        ));
    }
    Ok(())
}

fn check_flap_rate(d: &RunChartData) -> Check {
    let f = &d.flap_rate;
    let n = f.t_min.len();
    if !(f.bucket_min.is_finite() && f.bucket_min >= 0.0) {
        return Err(refuse(
            "flap_rate.bucket_min",
            format!("{} is not a width in minutes >= 0", number(f.bucket_min)),
        ));
    }
    // Bucket k starts at k buckets, each rounded on its own; the buckets
    // cover the run, and the last one starts inside it.
    for (k, &t) in f.t_min.iter().enumerate() {
        let grid = k as f64 * f.bucket_min;
        let tolerance = (k + 1) as f64 * ROUNDING_MIN + grid * 1e-9;
        if !(t.is_finite() && (t - grid).abs() <= tolerance) {
            return Err(refuse(
                format!("flap_rate.t_min[{k}]"),
                format!(
                    "{} is not bucket {k}'s start, {k} × bucket_min {} min",
                    number(t),
                    number(f.bucket_min)
                ),
            ));
        }
        in_run(&format!("flap_rate.t_min[{k}]"), t, d)?;
    }
    let cover = n as f64 * f.bucket_min;
    if cover < d.end_min - (n + 1) as f64 * ROUNDING_MIN - d.end_min * 1e-9 {
        return Err(refuse(
            "flap_rate.bucket_min",
            format!(
                "{n} buckets of {} min end at {} min, before the run's end_min {}",
                number(f.bucket_min),
                number(cover),
                d.end_min
            ),
        ));
    }
    for (field, values) in [
        ("healthy_per_min", &f.healthy_per_min),
        ("faulty_per_min", &f.faulty_per_min),
    ] {
        let field = format!("flap_rate.{field}");
        same_length(&field, values.len(), n)?;
        for (k, &v) in values.iter().enumerate() {
            within(
                &format!("{field}[{k}]"),
                v,
                0.0,
                MAX_FLAPS_PER_MIN,
                &format!("0..={MAX_FLAPS_PER_MIN:e} (a bin counts its flaps in a u32)"),
            )?;
        }
    }
    if f.hosts.len() > d.nodes {
        return Err(refuse(
            "flap_rate.hosts",
            format!(
                "{} hosts, more than the run's {} nodes",
                f.hosts.len(),
                d.nodes
            ),
        ));
    }
    for (h, host) in f.hosts.iter().enumerate() {
        let at = |field: &str| format!("flap_rate.hosts[{h}].{field}");
        same_length(&at("credits"), host.credits.len(), n)?;
        same_length(&at("parked_pct"), host.parked_pct.len(), n)?;
        same_length(&at("health"), host.health.len(), n)?;
        // Negative is a surplus (unlimited mode), spent at most at every
        // vCPU's rate; positive, launch plus earned credits.
        let deepest = deepest_surplus(d.end_min);
        for (k, c) in host.credits.iter().enumerate() {
            if let Some(c) = c {
                within(
                    &at(&format!("credits[{k}]")),
                    *c,
                    deepest,
                    MAX_CREDIT_BALANCE,
                    &format!(
                        "{}..={MAX_CREDIT_BALANCE:e} credits (what a run of end_min {} min can hold)",
                        number(deepest),
                        d.end_min
                    ),
                )?;
            }
        }
        if let Some(k) = host.health.iter().position(|&v| v > MAX_HEALTH) {
            return Err(refuse(
                at(&format!("health[{k}]")),
                format!(
                    "{} is above {MAX_HEALTH}: the score stays below awareness_max_multiplier, a u32",
                    host.health[k]
                ),
            ));
        }
        for (k, p) in host.parked_pct.iter().enumerate() {
            if let Some(p) = p {
                within(
                    &at(&format!("parked_pct[{k}]")),
                    *p,
                    0.0,
                    100.0,
                    "0..=100 %",
                )?;
            }
        }
    }
    Ok(())
}

/// One value per flap-rate bucket.
fn same_length(field: &str, len: usize, buckets: usize) -> Check {
    if len == buckets {
        Ok(())
    } else {
        Err(refuse(
            field,
            format!("{len} values, not one per flap_rate.t_min bucket ({buckets})"),
        ))
    }
}

fn check_accusations(d: &RunChartData) -> Check {
    let a = &d.accusations;
    if a.involved > d.nodes {
        return Err(refuse(
            "accusations.involved",
            format!("{} is more than the run's {} nodes", a.involved, d.nodes),
        ));
    }
    for (field, len) in [
        ("accusations.rows", a.rows.len()),
        ("accusations.cols", a.cols.len()),
    ] {
        if len > a.involved {
            return Err(refuse(
                field,
                format!(
                    "{len} nodes, more than the {} involved in any accusation",
                    a.involved
                ),
            ));
        }
    }
    for (field, len) in [
        ("accusations.row_totals", a.row_totals.len()),
        ("accusations.counts", a.counts.len()),
    ] {
        if len != a.rows.len() {
            return Err(refuse(
                field,
                format!("{len} entries, not one per accuser row ({})", a.rows.len()),
            ));
        }
    }
    for (r, (counts, &total)) in a.counts.iter().zip(&a.row_totals).enumerate() {
        if counts.len() != a.cols.len() {
            return Err(refuse(
                format!("accusations.counts[{r}]"),
                format!(
                    "{} entries, not one per accused column ({})",
                    counts.len(),
                    a.cols.len()
                ),
            ));
        }
        let shown = counts.iter().fold(0u64, |s, &c| s.saturating_add(c));
        if shown > total {
            return Err(refuse(
                format!("accusations.counts[{r}]"),
                format!(
                    "add up to {shown}, more than the accuser's total of {total} (accusations.row_totals[{r}])"
                ),
            ));
        }
    }
    Ok(())
}

fn check_blame(d: &RunChartData) -> Check {
    if d.blame.len() > d.nodes {
        return Err(refuse(
            "blame",
            format!("{} nodes, more than the run's {}", d.blame.len(), d.nodes),
        ));
    }
    Ok(())
}

fn check_detection(d: &RunChartData) -> Check {
    let Some(det) = &d.detection else {
        return Ok(());
    };
    if det.crashes == 0 {
        return Err(refuse(
            "detection.crashes",
            "0: a run writes detection only when a crash was measured (else null)",
        ));
    }
    // A latency is from a crash in the measured window to a moment of the run.
    // Both ends are rounded: allow each its rounding.
    let longest_s = (d.end_min - d.warmup_min + 2.0 * ROUNDING_MIN) * 60.0;
    for (field, values) in [
        ("first_suspect_s", &det.first_suspect_s),
        ("first_dead_s", &det.first_dead_s),
        ("full_dissemination_s", &det.full_dissemination_s),
    ] {
        let field = format!("detection.{field}");
        if values.len() > det.crashes {
            return Err(refuse(
                &field,
                format!(
                    "{} latencies, more than the {} crashes (detection.crashes)",
                    values.len(),
                    det.crashes
                ),
            ));
        }
        for (i, &v) in values.iter().enumerate() {
            within(
                &format!("{field}[{i}]"),
                v,
                0.0,
                longest_s,
                &format!("0..={} s (the measured part of the run)", number(longest_s)),
            )?;
        }
        ascending(&field, values)?;
    }
    Ok(())
}
