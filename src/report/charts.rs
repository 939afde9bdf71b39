//! `chart-data.json`, the run's charts and `report.html`: metrics → the
//! aggregated [`RunChartData`] that every chart and the report draw from.
//!
//! The charts are drawn from the data *after* a JSON round trip
//! ([`run_chart_data_parsed`]), exactly as `flapsim chart DIR` draws them from the
//! file, so the redraw reproduces the run's SVGs byte for byte whatever the
//! float formatting does.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::chart::run::{
    rle_encode, AccusationData, BlameBar, DetectionData, FlapRateData, HostSeries, Mark,
    RunChartData, TimelineData, TimelineRow, KIND_RUN, MAX_BLAME_BARS, MAX_EPISODE_MARKS,
    MAX_FLAP_BUCKETS, MAX_HEATMAP_NODES, MAX_MARKS, MAX_ROWS, TIMELINE_COLUMNS, VERSION,
};
use crate::metrics::stats::{round, secs};
use crate::metrics::timeline::{health_by_bucket, membership_grid, RowMap};
use crate::metrics::Metrics;
use crate::protocol::{Nanos, NodeId, SEC};
use crate::scenario::Scenario;

/// Flap-rate buckets at most (1-minute buckets up to ~5 h runs).
pub const MAX_BUCKETS: u64 = MAX_FLAP_BUCKETS as u64;
/// Flap-rate buckets at least, where the run's bins allow: a run shorter
/// than this many minutes gets buckets under a minute, so that a short run
/// (a 2-minute bench of a sick cluster) still draws a course, not two steps.
pub const MIN_BUCKETS: u64 = 12;
/// Faulty hosts drawn under the flap rate.
pub const MAX_HOSTS: usize = crate::chart::run::MAX_HOSTS;
/// Bars in the blame chart.
pub const BLAME_TOP: usize = MAX_BLAME_BARS;

const MIN: f64 = 60.0 * SEC as f64;

fn minutes(t: Nanos) -> f64 {
    round(t as f64 / MIN, 4)
}

/// Build the chart data of a finished run.
pub fn run_chart_data(s: &Scenario, m: &Metrics) -> RunChartData {
    let names: Vec<String> = s.nodes.iter().map(|n| n.name.clone()).collect();
    let faulty = faulty_nodes(s, m);
    // The timeline and the flap rate each make one pass over the run's
    // records, which a sick run keeps on disk (5 M of them, 0.2 s a pass):
    // independent reads of the same file, so they go side by side, and the
    // run's wait after the engine shrinks. Each computes what it computed
    // alone, so the bytes do not depend on the threads.
    let (timeline, flap_rate) = std::thread::scope(|scope| {
        let timeline = scope.spawn(|| timeline(s, m, &names, &faulty));
        let flap_rate = flap_rate(m, &names, &faulty);
        let timeline = timeline
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (timeline, flap_rate)
    });
    RunChartData {
        kind: KIND_RUN.into(),
        version: VERSION,
        scenario: s.name.clone(),
        description: s.description.clone(),
        preset: s.preset.clone(),
        seed: s.seed,
        nodes: m.nodes,
        end_min: minutes(m.end),
        warmup_min: minutes(m.warmup),
        marks: marks(s, &names),
        timeline,
        flap_rate,
        accusations: accusations(m, &names),
        blame: m
            .blame(&names)
            .into_iter()
            .take(BLAME_TOP)
            .map(|b| BlameBar {
                node: names[b.node as usize].clone(),
                suspicions_raised: b.suspicions_raised,
                refutations_naming: b.refutations_naming,
            })
            .collect(),
        detection: detection(m),
        scenario_text: scenario_text(s),
    }
}

/// Nodes a host fault is configured on, or that any fault touched during the
/// run (ground truth `degraded`): a credit-model host is faulty before its
/// balance runs out, and its balance is what the reader wants to see.
fn faulty_nodes(s: &Scenario, m: &Metrics) -> Vec<bool> {
    let mut f = m.ever_degraded.clone();
    for fault in &s.faults {
        for &n in &fault.nodes {
            if let Some(x) = f.get_mut(n as usize) {
                *x = true;
            }
        }
    }
    f
}

/// A row's episode starts, sorted, thinned evenly over the whole run to at most
/// [`MAX_EPISODE_MARKS`] (the row's total is kept beside them). Keeping the
/// first ones instead would stop the marks part-way through a long run, and on
/// a banded row keep only its first nodes' episodes.
pub(crate) fn thin_marks(mut marks: Vec<f64>) -> Vec<f64> {
    marks.sort_by(f64::total_cmp);
    let n = marks.len();
    if n <= MAX_EPISODE_MARKS {
        return marks;
    }
    (0..MAX_EPISODE_MARKS)
        .map(|i| marks[i * n / MAX_EPISODE_MARKS])
        .collect()
}

/// [`run_chart_data`] as `chart-data.json` parses it back: what the charts draw.
pub fn run_chart_data_parsed(s: &Scenario, m: &Metrics) -> RunChartData {
    last_run_chart_data(s, m).1.clone()
}

/// `chart-data.json`: [`run_chart_data`]'s JSON.
pub fn run_chart_data_json(s: &Scenario, m: &Metrics) -> Vec<u8> {
    last_run_chart_data(s, m).0.clone()
}

/// `chart-data.json`'s bytes and the data they parse back to.
type ChartDataOfRun = (Vec<u8>, RunChartData);

/// [`run_chart_data`]'s JSON and the data it parses back to, of the last run
/// this thread asked for.
///
/// Each file of a run's set is rendered on its own (`Format::render`), so the
/// data of the last run is kept per thread: `chart-data.json` and the chart
/// files reuse it instead of walking the event log again (two passes over
/// the records each; on a sick 1,000-node × 120 s run the records are 5 M
/// spilled to disk, and each pass decodes them all). The key is the run's
/// identity, including its event-log digest.
fn last_run_chart_data(s: &Scenario, m: &Metrics) -> Rc<ChartDataOfRun> {
    type Key = (u64, u64, usize, usize, String, u64, String);
    thread_local! {
        static LAST: RefCell<Option<(Key, Rc<ChartDataOfRun>)>> = const { RefCell::new(None) };
    }
    let key: Key = (
        m.digest,
        m.end,
        m.nodes,
        m.record_count(),
        s.name.clone(),
        s.seed,
        s.preset.clone(),
    );
    if let Some(d) = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, d)| Rc::clone(d))
    }) {
        return d;
    }
    let bytes = run_chart_data(s, m).to_json();
    // The checks restate how this file is built: a refusal is a bug here.
    let parsed = RunChartData::from_json(&bytes)
        .unwrap_or_else(|e| panic!("BUG! a run's own chart-data.json is refused{e}"));
    let d = Rc::new((bytes, parsed));
    LAST.with(|l| *l.borrow_mut() = Some((key, Rc::clone(&d))));
    d
}

/// The scenario as the user wrote it (comments and all); a scenario built in code
/// has no file and gets a one-line note.
fn scenario_text(s: &Scenario) -> String {
    s.source
        .as_ref()
        .map(|f| f.text.to_string())
        .unwrap_or_else(|| format!("# scenario `{}` was built in code (no file)\n", s.name))
}

fn marks(s: &Scenario, names: &[String]) -> Vec<Mark> {
    let who = |ids: &[NodeId]| -> String {
        let mut v: Vec<&str> = ids
            .iter()
            .take(2)
            .map(|&i| names[i as usize].as_str())
            .collect();
        if ids.len() > 2 {
            v.push("…");
        }
        v.join(", ")
    };
    s.timeline
        .iter()
        .filter_map(|e| {
            let label = e.action.mark(&who)?;
            Some(Mark {
                t_min: minutes(e.at),
                label,
            })
        })
        .take(MAX_MARKS)
        .collect()
}

/// Percent, rounded, for the run-length-coded rows.
fn pct(v: &[f64]) -> Vec<u8> {
    v.iter()
        .map(|x| (x * 100.0).round().clamp(0.0, 100.0) as u8)
        .collect()
}

fn timeline(s: &Scenario, m: &Metrics, names: &[String], faulty: &[bool]) -> TimelineData {
    let n = m.nodes;
    let flaps: Vec<u64> = m.per_node.iter().map(|p| p.flaps_as_subject).collect();
    // Rows: every node when they fit; otherwise the faulty and most-flapped nodes
    // as rows (on top), the rest in bands of consecutive nodes.
    let (map, kept): (RowMap, Vec<Option<NodeId>>) = if n <= MAX_ROWS {
        (RowMap::identity(n), (0..n as NodeId).map(Some).collect())
    } else {
        // Nodes that really crashed, then faulty ones, then the most flapped.
        let mut keep: Vec<NodeId> = Vec::new();
        for c in &m.crashes {
            if !keep.contains(&c.subject) && keep.len() < MAX_ROWS / 6 {
                keep.push(c.subject);
            }
        }
        keep.sort_unstable();
        let crashed = keep.clone();
        keep.extend(
            (0..n as NodeId)
                .filter(|&i| faulty[i as usize] && !crashed.contains(&i))
                .take(MAX_ROWS / 3),
        );
        let mut by_flaps: Vec<NodeId> = (0..n as NodeId)
            .filter(|&i| flaps[i as usize] > 0 && !keep.contains(&i))
            .collect();
        by_flaps.sort_by(|a, b| flaps[*b as usize].cmp(&flaps[*a as usize]).then(a.cmp(b)));
        keep.extend(by_flaps.into_iter().take(MAX_ROWS / 3));
        let mut row_of = vec![u32::MAX; n];
        for (r, &k) in keep.iter().enumerate() {
            row_of[k as usize] = r as u32;
        }
        let rest: Vec<NodeId> = (0..n as NodeId)
            .filter(|&i| row_of[i as usize] == u32::MAX)
            .collect();
        let bands = (MAX_ROWS - keep.len()).min(rest.len()).max(1);
        let per = rest.len().div_ceil(bands).max(1);
        let mut kept: Vec<Option<NodeId>> = keep.iter().map(|&k| Some(k)).collect();
        for (j, &i) in rest.iter().enumerate() {
            let r = keep.len() + j / per;
            row_of[i as usize] = r as u32;
        }
        let rows = keep.len() + rest.len().div_ceil(per);
        kept.resize(rows, None);
        (RowMap { row_of, rows }, kept)
    };
    let starts: Vec<bool> = s.nodes.iter().map(|x| x.starts).collect();
    let grid = membership_grid(m, &starts, &map, TIMELINE_COLUMNS);
    let mut members: Vec<Vec<NodeId>> = vec![Vec::new(); map.rows];
    for (i, &r) in map.row_of.iter().enumerate() {
        members[r as usize].push(i as NodeId);
    }
    let mut episodes: Vec<Vec<f64>> = vec![Vec::new(); map.rows];
    let mut episodes_total = vec![0usize; map.rows];
    for (&crate::metrics::EpisodeKey { subject, .. }, e) in &m.episodes {
        if !e.is_flap() {
            continue;
        }
        let r = map.row_of[subject as usize] as usize;
        episodes_total[r] += 1;
        episodes[r].push(minutes(e.first_at));
    }
    let rows = (0..map.rows)
        .map(|r| {
            let mem = &members[r];
            let label = match kept[r] {
                Some(i) => names[i as usize].clone(),
                None => match (mem.first(), mem.last()) {
                    (Some(&a), Some(&b)) if a != b => format!(
                        "{}…{} ({})",
                        names[a as usize],
                        short_tail(&names[a as usize], &names[b as usize]),
                        mem.len()
                    ),
                    (Some(&a), _) => names[a as usize].clone(),
                    _ => String::new(),
                },
            };
            let ep = thin_marks(std::mem::take(&mut episodes[r]));
            let g = &grid.rows[r];
            TimelineRow {
                label,
                members: mem.len(),
                faulty: mem.iter().any(|&i| faulty[i as usize]),
                flaps: mem.iter().map(|&i| flaps[i as usize]).sum(),
                suspect: rle_encode(&pct(&g.suspect)),
                dead: rle_encode(&pct(&g.dead)),
                down: rle_encode(&pct(&g.down)),
                episodes_min: ep,
                episodes_total: episodes_total[r],
            }
        })
        .collect();
    TimelineData {
        column_min: grid.column as f64 / MIN,
        columns: grid.columns,
        rows,
        banded_nodes: (0..map.rows)
            .filter(|r| kept[*r].is_none())
            .map(|r| members[r].len())
            .sum(),
    }
}

/// The last name of a band, shortened to its number when it shares the first
/// name's prefix (`n-0001`…`0025`), in full otherwise (`s-01`…`n-0022`).
fn short_tail(first: &str, last: &str) -> String {
    match (first.rfind('-'), last.rfind('-')) {
        (Some(i), Some(j)) if first[..i] == last[..j] => last[j + 1..].to_string(),
        _ => last.to_string(),
    }
}

fn flap_rate(m: &Metrics, names: &[String], faulty: &[bool]) -> FlapRateData {
    let bin = m.bin.max(1);
    // Bucket: a whole number of bins, at most MAX_BUCKETS buckets; a minute,
    // or less in a run shorter than MIN_BUCKETS minutes.
    let min_bucket = (60 * SEC)
        .min(m.end.div_ceil(MIN_BUCKETS))
        .max(m.end.div_ceil(MAX_BUCKETS))
        .max(1);
    let bucket = min_bucket.div_ceil(bin) * bin;
    let buckets = (m.end.div_ceil(bucket) as usize).max(1);
    let per_min = bucket as f64 / MIN;
    let mut healthy = vec![0u64; buckets];
    let mut all = vec![0u64; buckets];
    for (i, b) in m.bins.iter().enumerate() {
        let k = ((i as u64 * bin) / bucket) as usize;
        if k < buckets {
            healthy[k] += u64::from(b.flaps_healthy);
            all[k] += u64::from(b.flaps);
        }
    }
    let rate = |v: u64| round(v as f64 / per_min, 4);
    // Faulty hosts: degraded nodes, most suspicions raised first.
    let mut hosts: Vec<NodeId> = (0..m.nodes as NodeId)
        .filter(|&i| faulty[i as usize])
        .collect();
    hosts.sort_by(|a, b| {
        m.per_node[*b as usize]
            .suspicions_raised
            .cmp(&m.per_node[*a as usize].suspicions_raised)
            .then(a.cmp(b))
    });
    hosts.truncate(MAX_HOSTS);
    let health = health_by_bucket(m, &hosts, bucket, buckets);
    let host_series = hosts
        .iter()
        .zip(health)
        .map(|(&h, health)| {
            let mut credits: Vec<(f64, u32)> = vec![(0.0, 0); buckets];
            let mut parked: Vec<(f64, u32)> = vec![(0.0, 0); buckets];
            for p in m.host[h as usize].iter().flatten() {
                let k = ((u64::from(p.bin) * bin) / bucket) as usize;
                if k < buckets {
                    if let Some(c) = p.credits {
                        credits[k].0 += c;
                        credits[k].1 += 1;
                    }
                    parked[k].0 += p.parked_fraction;
                    parked[k].1 += 1;
                }
            }
            let mean = |v: &[(f64, u32)], scale: f64, digits: i32| -> Vec<Option<f64>> {
                v.iter()
                    .map(|(s, k)| (*k > 0).then(|| round(s / *k as f64 * scale, digits)))
                    .collect()
            };
            HostSeries {
                node: names[h as usize].clone(),
                credits: mean(&credits, 1.0, 3),
                parked_pct: mean(&parked, 100.0, 2),
                health,
            }
        })
        .collect();
    FlapRateData {
        bucket_min: round(per_min, 4),
        t_min: (0..buckets).map(|k| minutes(k as u64 * bucket)).collect(),
        healthy_per_min: healthy.iter().map(|&v| rate(v)).collect(),
        faulty_per_min: all
            .iter()
            .zip(&healthy)
            .map(|(&a, &h)| rate(a - h))
            .collect(),
        hosts: host_series,
    }
}

/// The accuser × accused heatmap's data (also used by `flapsim diagnose`).
pub fn accusations(m: &Metrics, names: &[String]) -> AccusationData {
    let mut raised: BTreeMap<NodeId, u64> = BTreeMap::new();
    let mut accused: BTreeMap<NodeId, u64> = BTreeMap::new();
    for (&(a, b), &c) in &m.accusations {
        *raised.entry(a).or_insert(0) += c;
        *accused.entry(b).or_insert(0) += c;
    }
    let mut involved: Vec<NodeId> = raised.keys().chain(accused.keys()).copied().collect();
    involved.sort_unstable();
    involved.dedup();
    let total = involved.len();
    let get = |map: &BTreeMap<NodeId, u64>, k: NodeId| map.get(&k).copied().unwrap_or(0);
    // Rows by suspicions raised; columns the same nodes when all fit (a square
    // matrix reads both ways), else the most accused.
    let by = |primary: &BTreeMap<NodeId, u64>, secondary: &BTreeMap<NodeId, u64>| {
        let mut v = involved.clone();
        if total > MAX_HEATMAP_NODES {
            // Only nodes that are on this side at all.
            v.retain(|&n| get(primary, n) > 0);
        }
        v.sort_by(|a, b| {
            get(primary, *b)
                .cmp(&get(primary, *a))
                .then(get(secondary, *b).cmp(&get(secondary, *a)))
                .then(a.cmp(b))
        });
        v.truncate(MAX_HEATMAP_NODES);
        v
    };
    let rows = by(&raised, &accused);
    let cols = if total <= MAX_HEATMAP_NODES {
        rows.clone()
    } else {
        by(&accused, &raised)
    };
    let counts = rows
        .iter()
        .map(|&a| {
            cols.iter()
                .map(|&b| m.accusations.get(&(a, b)).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    AccusationData {
        rows: rows.iter().map(|&i| names[i as usize].clone()).collect(),
        row_totals: rows.iter().map(|&i| get(&raised, i)).collect(),
        cols: cols.iter().map(|&i| names[i as usize].clone()).collect(),
        counts,
        involved: total,
    }
}

fn detection(m: &Metrics) -> Option<DetectionData> {
    let measured: Vec<_> = m.crashes.iter().filter(|c| c.at >= m.warmup).collect();
    if measured.is_empty() {
        return None;
    }
    let lat = |f: &dyn Fn(&crate::metrics::CrashRecord) -> Option<Nanos>| {
        let mut v: Vec<Nanos> = measured
            .iter()
            .filter_map(|c| f(c).map(|t| t - c.at))
            .collect();
        v.sort_unstable();
        v.into_iter()
            .map(|t| round(secs(t), 6))
            .collect::<Vec<f64>>()
    };
    Some(DetectionData {
        crashes: measured.len(),
        first_suspect_s: lat(&|c| c.first_suspect),
        first_dead_s: lat(&|c| c.first_dead),
        full_dissemination_s: lat(&|c| c.full_dissemination),
    })
}
