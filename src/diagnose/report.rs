//! The diagnosis's files: `summary.json` (a run's field names for what a log can
//! tell, plus what only a diagnosis has: inputs, skew, verdict), `diagnosis.txt`
//! (what is printed), the charts of `run` that apply, and `diagnosed.yaml`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::analyze::{ObserverFrom, BIN};
use super::time::format_utc;
use super::Diagnosis;
use crate::chart::palette::{SeriesStyle, BLUE, VERMILLION};
use crate::chart::run::{accusations_figure_of, blame_figure_of, BlameBar};
use crate::chart::{self, Figure, Frame, Line, LinePanel, Panel};
use crate::metrics::stats::{round, secs};
use crate::protocol::SEC;
use crate::report::human::{blame_table, q};
use crate::report::summary::{Accusation, BlameJson, RefutationKinds, Q};

/// What a log cannot say, and so what `summary.json` leaves out of a run's fields.
pub const NOT_RECOVERABLE: &[&str] = &[
    "fp_total, fp_healthy, fp_both_healthy, flaps_healthy: ground truth (was the node up, was it faulty) is not in a log",
    "declarations: memberlist's NotifyLeave is not logged; serf.member_failed counts Serf's EventMemberFailed lines instead",
    "warmup: a log has none; lines before --since set up state and are not counted (warmup_s is the span from the origin, the first line's hour, to --since or else the first line: the measured window starts there)",
    "detection: real crashes are not in a log",
    "load, drops, per-node packet rates: not in a log",
    "suspicion_to_clear_s, memberlist.msg_suspect, confirmations seen: not logged",
    "suspicion_timers.degraded: memberlist.degraded.timeout is a metric, not a log line",
    "health_score_max: a metric (memberlist.health.score), not a log line",
    "serf.flap_metric: serf.member.flap is a metric; flaps is computed from the lines with Serf's rule",
];

#[derive(Serialize)]
struct Window {
    first_line: String,
    last_line: String,
    /// Virtual time 0 of the charts and bins: the first line's hour.
    origin: String,
    since: Option<String>,
    until: Option<String>,
    /// Timestamp precision of the coarsest input (1 for Go's log).
    precision_s: f64,
    /// Zone-less timestamps were read at this offset (seconds east of UTC).
    zone_offset_s: i64,
}

#[derive(Serialize)]
struct Timers {
    expired: u64,
    by_confirmations: BTreeMap<u32, u64>,
}

#[derive(Serialize)]
struct Serf {
    member_failed: u64,
    member_join: u64,
}

#[derive(Serialize)]
struct Memberlist {
    failed_udp_pings: u64,
    tcp_fallback_rescues: u64,
    push_pull_failures: u64,
}

#[derive(Serialize)]
struct Node {
    node: String,
    ip: Option<String>,
    /// Its own log was among the inputs.
    logged: bool,
    suspicions_raised: u64,
    refutations_naming: u64,
    refutations_made: u64,
    flaps: u64,
}

#[derive(Serialize)]
struct Hour {
    hour: String,
    flaps: u64,
    suspicions: u64,
}

#[derive(Serialize)]
struct Episode {
    subject: String,
    first: String,
    declarations: u32,
    flaps: u32,
}

#[derive(Serialize)]
struct CulpritJson {
    node: String,
    shape: &'static str,
    /// How it was found (`stands_out`, `accuses_widely`, `two_way`, `flaps`).
    found_by: &'static str,
    suspicion_share: f64,
    refutation_share: f64,
    accused_share: f64,
    peers: usize,
}

#[derive(Serialize)]
struct VerdictJson {
    text: String,
    culprits: Vec<CulpritJson>,
}

#[derive(Serialize)]
struct Generation {
    preset: &'static str,
    evidence: String,
    lines_2015: u64,
    lines_2016: u64,
    lines_today: u64,
}

#[derive(Serialize)]
struct SkewJson {
    observer: String,
    /// Mean offset of its Serf member events from the other observers' median
    /// for the same event (s; positive = its clock is ahead).
    offset_s: f64,
    matched: u64,
}

#[derive(Serialize)]
struct InputJson {
    file: String,
    gzip: bool,
    formats: Vec<&'static str>,
    observer: Option<String>,
    observer_from: &'static str,
    prefixed_observers: usize,
    lines: u64,
    understood: u64,
    unknown: u64,
    unframed: u64,
    bad_timestamps: u64,
    first_bad_timestamp: Option<String>,
    cut: u64,
    out_of_order: u64,
    /// Nodes whose lines were read each in its own order, the file holding
    /// its nodes' logs one after the other (0: read as one time-ordered file).
    read_per_node: usize,
    /// Lines whose only time is a syslog header's, which has no year: read in
    /// the latest year that puts them no later than `year_reference`.
    header_time: u64,
    /// The file's last modification (now, for standard input), when
    /// `header_time` is not 0.
    year_reference: Option<String>,
    wan: u64,
    /// The zone its zone-less stamps were read in (`+09:00`), and from what
    /// (`--log-zone`, `--log-zone FILE=ZONE`, found from shared Serf
    /// events); null when every stamp carried its zone.
    zone: Option<String>,
    zone_from: Option<&'static str>,
    /// Seconds its stamps were read earlier than written: its host's
    /// clock's error, found from its shared Serf events and taken out,
    /// whether its zone was found, given or stamped (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    clock_corrected_s: Option<i64>,
    first: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct Restart {
    node: String,
    at: String,
}

/// `summary.json` of a diagnosis. Fields named as in a run's `summary.json` mean
/// the same thing, computed by the same code.
#[derive(Serialize)]
struct Summary {
    kind: &'static str,
    nodes: usize,
    observers: usize,
    warmup_s: f64,
    measured_s: f64,
    window: Window,
    flaps: u64,
    flap_episodes: u64,
    flaps_per_hour: f64,
    flaps_per_node_hour: f64,
    /// Flaps whose failed → join interval is within one timestamp step of FlapTimeout.
    flaps_ambiguous: u64,
    rejoin_s: Option<Q>,
    suspicions: u64,
    refutations: u64,
    refutations_by_kind: RefutationKinds,
    suspicion_timers: Timers,
    blame: Vec<BlameJson>,
    accusations: Vec<Accusation>,
    serf: Serf,
    memberlist: Memberlist,
    per_node: Vec<Node>,
    flaps_by_hour: Vec<Hour>,
    episodes: Vec<Episode>,
    restarts: Vec<Restart>,
    /// Nodes whose last Serf event is a failure, FlapTimeout or more before
    /// the logs' end: gone (crashed, stopped), not flapping.
    down_at_end: Vec<String>,
    verdict: VerdictJson,
    generation: Generation,
    skew: Vec<SkewJson>,
    inputs: Vec<InputJson>,
    /// Inputs not read: a file given twice, a byte-identical copy of one node's file.
    skipped_inputs: Vec<String>,
    /// How the inputs were read where it is not what they say (a node named
    /// from its file read as the logs name it, `nomad-2` as `nomad-2.global`).
    notes: Vec<String>,
    lines_by_kind: BTreeMap<&'static str, u64>,
    serf_flap_timeout_s: f64,
    not_recoverable: &'static [&'static str],
}

/// Episodes listed in summary.json at most (all are counted).
const MAX_EPISODES: usize = 2000;
/// Skew worth a line in the text report.
pub const SKEW_NOTE_S: f64 = 2.0;

fn summary(d: &Diagnosis) -> Summary {
    let a = &d.analysis;
    let m = &a.metrics;
    let t = &m.totals;
    let name = |n: u32| a.names[n as usize].clone();
    let at = |rel: u64| format_utc(a.t0 + rel as i64, a.precision < SEC as i64);
    let hours = m.bins.len().div_ceil(60);
    let flaps_by_hour = (0..hours)
        .filter(|h| (*h as u64 + 1) * 3600 * SEC > m.warmup)
        .map(|h| {
            // Minute bins that start at or after --since.
            let from = (h * 60).max(m.warmup.div_ceil(BIN) as usize);
            let bins = &m.bins[from.min(m.bins.len())..((h + 1) * 60).min(m.bins.len())];
            Hour {
                hour: at(h as u64 * 3600 * SEC),
                flaps: bins.iter().map(|b| u64::from(b.flaps)).sum(),
                suspicions: bins.iter().map(|b| u64::from(b.suspicions)).sum(),
            }
        })
        .collect();
    Summary {
        kind: "diagnosis",
        nodes: m.nodes,
        observers: a.observers.len(),
        warmup_s: round(secs(m.warmup), 9),
        measured_s: round(secs(m.measured()), 9),
        window: Window {
            first_line: format_utc(a.first, a.precision < SEC as i64),
            last_line: format_utc(a.last, a.precision < SEC as i64),
            origin: format_utc(a.t0, false),
            since: d.options.since.map(|s| format_utc(s, true)),
            until: d.options.until.map(|s| format_utc(s, true)),
            precision_s: a.precision as f64 / SEC as f64,
            zone_offset_s: d.options.zone,
        },
        flaps: t.flaps,
        flap_episodes: flap_episodes(d),
        flaps_per_hour: round(m.flaps_per_hour(), 4),
        flaps_per_node_hour: round(m.flaps_per_node_hour(), 6),
        flaps_ambiguous: a.flaps_ambiguous,
        rejoin_s: m.rejoin.quantiles().map(Q::from),
        suspicions: t.suspicions,
        refutations: t.refutations,
        refutations_by_kind: RefutationKinds::of(t),
        suspicion_timers: Timers {
            expired: t.suspicion_expired,
            by_confirmations: t.expired_confirmations.clone(),
        },
        blame: d
            .blame
            .iter()
            .map(|r| BlameJson {
                node: name(r.node),
                suspicions_raised: r.suspicions_raised,
                refutations_naming: r.refutations_naming,
                suspicion_share: round(r.suspicion_share, 4),
                refutation_share: round(r.refutation_share, 4),
            })
            .collect(),
        accusations: {
            // By name, as a run lists them.
            let mut v: Vec<Accusation> = m
                .accusations
                .iter()
                .map(|(&(x, y), &count)| Accusation {
                    accuser: name(x),
                    accused: name(y),
                    count,
                })
                .collect();
            v.sort_by(|p, q| (&p.accuser, &p.accused).cmp(&(&q.accuser, &q.accused)));
            v
        },
        serf: Serf {
            member_failed: t.serf_failed,
            member_join: t.serf_joins,
        },
        memberlist: Memberlist {
            failed_udp_pings: t.failed_udp_pings,
            tcp_fallback_rescues: t.tcp_fallback_rescues,
            push_pull_failures: t.push_pull_failures,
        },
        per_node: sorted_nodes(d)
            .into_iter()
            .map(|i| {
                let n = &m.per_node[i as usize];
                Node {
                    node: name(i),
                    ip: a.ip_of.get(&i).cloned(),
                    logged: a.observers.contains(&i),
                    suspicions_raised: n.suspicions_raised,
                    refutations_naming: n.refutations_naming,
                    refutations_made: n.refutations_made,
                    flaps: n.flaps_as_subject,
                }
            })
            .collect(),
        flaps_by_hour,
        episodes: a
            .episodes
            .iter()
            .filter(|e| e.flaps > 0 && e.first >= m.warmup)
            .take(MAX_EPISODES)
            .map(|e| Episode {
                subject: name(e.subject),
                first: at(e.first),
                declarations: e.declarations,
                flaps: e.flaps,
            })
            .collect(),
        restarts: a
            .restarts
            .iter()
            .map(|&(t, n)| Restart {
                node: name(n),
                at: at(t),
            })
            .collect(),
        down_at_end: a.down_at_end.iter().map(|&n| name(n)).collect(),
        verdict: VerdictJson {
            text: d.verdict.text.clone(),
            culprits: d
                .verdict
                .culprits
                .iter()
                .map(|c| CulpritJson {
                    node: name(c.node),
                    shape: c.shape.as_str(),
                    found_by: c.sign.as_str(),
                    suspicion_share: round(c.suspicion_share, 4),
                    refutation_share: round(c.refutation_share, 4),
                    accused_share: round(c.accused_share, 4),
                    peers: c.peers,
                })
                .collect(),
        },
        generation: Generation {
            preset: d.generation.preset,
            evidence: d.generation.evidence.clone(),
            lines_2015: d.generation.votes[0],
            lines_2016: d.generation.votes[1],
            lines_today: d.generation.votes[2],
        },
        skew: skew_list(d),
        inputs: a
            .files
            .iter()
            .map(|f| InputJson {
                file: f.label.clone(),
                gzip: f.gzip,
                formats: f.framings.iter().map(|x| x.name()).collect(),
                observer: f.observer.clone(),
                observer_from: f.observer_from.map_or("none", |o| o.as_str()),
                prefixed_observers: f.prefixed_observers.len(),
                lines: f.lines,
                understood: f.understood,
                unknown: f.unknown,
                unframed: f.unframed,
                bad_timestamps: f.bad_timestamps,
                first_bad_timestamp: f
                    .first_bad_timestamp
                    .as_ref()
                    .map(|(l, why)| format!("{}:{l}: {why}", f.label)),
                cut: f.cut,
                out_of_order: f.out_of_order,
                read_per_node: f.read_per_node,
                header_time: f.header_time,
                year_reference: (f.header_time > 0).then(|| format_utc(f.reference, false)),
                wan: f.wan,
                zone: f.zone.map(|z| super::time::format_zone(z.0)),
                zone_from: f.zone.map(|z| z.1.as_str()),
                clock_corrected_s: (f.clock_s != 0).then_some(f.clock_s),
                first: f.first.map(|t| format_utc(t, a.precision < SEC as i64)),
                last: f.last.map(|t| format_utc(t, a.precision < SEC as i64)),
            })
            .collect(),
        skipped_inputs: a.skipped.clone(),
        notes: a.notes.clone(),
        lines_by_kind: a.kinds.clone(),
        serf_flap_timeout_s: secs(d.options.flap_timeout),
        not_recoverable: NOT_RECOVERABLE,
    }
}

/// Node ids by name.
fn sorted_nodes(d: &Diagnosis) -> Vec<u32> {
    let names = &d.analysis.names;
    let mut v: Vec<u32> = (0..names.len() as u32).collect();
    v.sort_by(|x, y| names[*x as usize].cmp(&names[*y as usize]));
    v
}

fn skew_list(d: &Diagnosis) -> Vec<SkewJson> {
    let a = &d.analysis;
    let mut v: Vec<SkewJson> = a
        .skew
        .iter()
        .map(|(&o, s)| SkewJson {
            observer: a.names[o as usize].clone(),
            offset_s: round(s.mean_s(), 3),
            matched: s.matched,
        })
        .collect();
    v.sort_by(|x, y| {
        y.offset_s
            .abs()
            .total_cmp(&x.offset_s.abs())
            .then(x.observer.cmp(&y.observer))
    });
    v
}

/// Flap episodes (see `analyze::EPISODE_GAP`) with a flap, begun in the window.
pub fn flap_episodes(d: &Diagnosis) -> u64 {
    let m = &d.analysis.metrics;
    d.analysis
        .episodes
        .iter()
        .filter(|e| e.flaps > 0 && e.first >= m.warmup)
        .count() as u64
}

/// `summary.json` bytes.
pub fn summary_json(d: &Diagnosis) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&summary(d)).expect("summary serializes");
    v.push(b'\n');
    v
}

/// What is printed (and written to `diagnosis.txt`).
pub fn text(d: &Diagnosis) -> String {
    let s = summary(d);
    let a = &d.analysis;
    let mut o = String::new();
    let lines: u64 = a.files.iter().map(|f| f.lines).sum();
    let understood: u64 = a.files.iter().map(|f| f.understood).sum();
    let unknown: u64 = a.files.iter().map(|f| f.unknown).sum();
    let unframed: u64 = a.files.iter().map(|f| f.unframed).sum();
    let wan: u64 = a.files.iter().map(|f| f.wan).sum();
    let _ = writeln!(
        o,
        "inputs     {}, {} lines: {} understood, {} other log lines, {} unframed{}",
        crate::units::count(a.files.len(), "file"),
        lines,
        understood,
        unknown,
        unframed,
        if wan > 0 {
            format!(", {wan} of Consul's WAN pool (servers across datacenters) left out")
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "window     {} .. {}  (measured {:.1} h{}; {} nodes named, {} logged)",
        s.window.first_line,
        s.window.last_line,
        s.measured_s / 3600.0,
        if s.window.since.is_some() {
            format!(
                ", from --since {}",
                s.window.since.as_deref().unwrap_or("?")
            )
        } else {
            String::new()
        },
        s.nodes,
        s.observers
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "flaps            {}  ({:.2}/h, {} episodes)  rejoin {}",
        s.flaps,
        s.flaps_per_hour,
        s.flap_episodes,
        q(&s.rejoin_s)
    );
    if s.flaps_ambiguous > 0 {
        let _ = writeln!(
            o,
            "                 {} failed -> join intervals are within one timestamp step ({} s) of FlapTimeout and were not counted: the true count is {} to {}",
            s.flaps_ambiguous,
            s.window.precision_s,
            s.flaps,
            s.flaps + s.flaps_ambiguous
        );
    }
    let _ = writeln!(
        o,
        "suspicions       {}  refutations {} (suspect {}, dead {}, alive {})  suspicion timers fired {}",
        s.suspicions,
        s.refutations,
        s.refutations_by_kind.suspect,
        s.refutations_by_kind.dead,
        s.refutations_by_kind.alive,
        s.suspicion_timers.expired
    );
    let _ = writeln!(o);
    if s.blame.is_empty() {
        let _ = writeln!(o, "blame: no suspicions raised, no refutations");
    } else {
        let _ = writeln!(o, "blame (suspicions raised; refuted-from = `Refuting a suspect message (from: X)` naming it)");
        blame_table(&mut o, &s.blame, 10);
        if s.blame.len() > 10 {
            let _ = writeln!(o, "  … {} more in summary.json", s.blame.len() - 10);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "verdict    {}", d.verdict.text);
    let _ = writeln!(
        o,
        "generation {} ({})",
        d.generation.preset, d.generation.evidence
    );
    for sk in s.skew.iter().filter(|x| x.offset_s.abs() >= SKEW_NOTE_S) {
        // Its file's clock error taken out already: what is left.
        let corrected = (s.inputs.iter())
            .filter(|i| i.observer.as_deref() == Some(sk.observer.as_str()))
            .find_map(|i| i.clock_corrected_s);
        let read = match corrected {
            Some(c) => format!(
                "once its lines were read {} s {} than stamped",
                c.abs(),
                if c > 0 { "earlier" } else { "later" }
            ),
            None => "its lines were read as stamped".to_string(),
        };
        let _ = writeln!(
            o,
            "skew       {}'s clock looks {:+.1} s off the others' (from {} shared Serf events): {read}",
            sk.observer, sk.offset_s, sk.matched
        );
    }
    for n in &a.notes {
        let _ = writeln!(o, "note       {n}");
    }
    for w in &a.skipped {
        let _ = writeln!(o, "warning    {w}");
    }
    for f in &a.files {
        if let Some((line, node, after)) = &f.unsorted_at {
            let _ = writeln!(
                o,
                "note       {}: its nodes' logs are one after the other, not merged by time (line {line}: {node}'s line stamped more than {} before {after}'s above it): each of its {} nodes' lines read in their own order",
                f.label,
                crate::units::format_duration(super::analyze::UNSORTED_MARGIN),
                f.read_per_node
            );
        }
        if f.header_time > 0 {
            let _ = writeln!(
                o,
                "note       {}: {} no time but the syslog header's, which has no year (Consul's enable_syslog): read in the latest year that puts them no later than {} ({})",
                f.label,
                if f.header_time == 1 { "1 line has".to_string() } else { format!("{} lines have", f.header_time) },
                if f.label == "-" { "now" } else { "the file's last modification" },
                format_utc(f.reference, false),
            );
        }
        if let Some((line, why)) = &f.first_bad_timestamp {
            let _ = writeln!(
                o,
                "warning    {}:{line}: bad timestamp ({why}); {} of this kind skipped",
                f.label,
                crate::units::count(f.bad_timestamps as usize, "line")
            );
        }
        if f.before_since > 0 {
            let _ = writeln!(
                o,
                "warning    {}: {} stamped more than {} before --since, skipped (a clock not yet set?)",
                f.label,
                crate::units::count(f.before_since as usize, "line"),
                crate::units::format_duration(super::analyze::lookback(&d.options) as u64),
            );
        }
        if f.out_of_order > 0 {
            let _ = writeln!(
                o,
                "warning    {}: {} stamped earlier than a line before them (read at that earlier line's time)",
                f.label,
                crate::units::count(f.out_of_order as usize, "line")
            );
        }
        if f.cut > 0 {
            let _ = writeln!(
                o,
                "warning    {}: {} longer than 64 KiB, read in part",
                f.label,
                crate::units::count(f.cut as usize, "line")
            );
        }
        if let (Some(ObserverFrom::FileName), Some(name)) = (f.observer_from, &f.observer) {
            if f.unprefixed > 0 && super::input::program_stem(name) {
                let _ = writeln!(
                    o,
                    "warning    {}: its lines are read as node `{name}`, the program's name in the file's; pass --observer NAME (or FILE=NAME) with the node's name",
                    f.label
                );
            }
        }
        if f.understood == 0 && f.lines > 0 {
            let _ = writeln!(
                o,
                "warning    {}: no memberlist or Serf line understood in {}",
                f.label,
                crate::units::count(f.lines as usize, "line")
            );
        }
    }
    o
}

fn minutes(t: u64) -> f64 {
    round(t as f64 / (60.0 * SEC as f64), 4)
}

/// Flaps and suspicions per minute over the logs' time: Serf's flaps (all
/// observers), and beneath, suspicions raised and refutations.
fn flap_rate_figure(d: &Diagnosis, sub: &str) -> Figure {
    let m = &d.analysis.metrics;
    // Time axis in minutes, or in hours beyond six hours (a day of logs).
    let (unit, scale) = if m.end > 6 * 3600 * SEC {
        ("hours", 60.0)
    } else {
        ("minutes", 1.0)
    };
    let axis = |t: u64| round(minutes(t) / scale, 4);
    let end = axis(m.end).max(1e-9);
    // Buckets of whole minutes, at most 300.
    let per = (m.bins.len().div_ceil(300)).max(1);
    let bucket_min = (per as u64 * BIN) as f64 / (60.0 * SEC as f64);
    let series = |f: &dyn Fn(&crate::metrics::Bin) -> u32| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = m
            .bins
            .chunks(per)
            .enumerate()
            .map(|(k, c)| {
                let sum: u64 = c.iter().map(|b| u64::from(f(b))).sum();
                (
                    axis(k as u64 * per as u64 * BIN),
                    round(sum as f64 / bucket_min, 4),
                )
            })
            .collect();
        if let Some(&(_, y)) = pts.last() {
            pts.push((end, y));
        }
        pts
    };
    let x_desc = format!("{unit} since {}", format_utc(d.analysis.t0, false));
    let mark = |p: LinePanel| {
        if d.options.since.is_some() && m.warmup > 0 {
            p.mark(axis(m.warmup), "--since")
        } else {
            p
        }
    };
    let blue = SeriesStyle {
        color: BLUE,
        dash: chart::palette::Dash::Solid,
        marker: chart::palette::Marker::Circle,
    };
    let red = SeriesStyle {
        color: VERMILLION,
        dash: chart::palette::Dash::Dashed { on: 10, off: 5 },
        marker: chart::palette::Marker::Square,
    };
    let mut rate = mark(LinePanel::new(x_desc.clone(), "flaps per minute").x_range(0.0, end))
        .caption(
            "Serf flaps (EventMemberFailed then EventMemberJoin within FlapTimeout), all observers",
        )
        .line(Line::new("flaps", series(&|b| b.flaps)).step().style(blue));
    rate.y_label_area = 90;
    let mut acc = mark(LinePanel::new(x_desc, "per minute").x_range(0.0, end))
        .caption("Suspicions raised (`Suspect X has failed, no acks received`) and refutations")
        .line(
            Line::new("suspicions raised", series(&|b| b.suspicions))
                .step()
                .style(blue),
        )
        .line(
            Line::new("refutations", series(&|b| b.refutations))
                .step()
                .style(red),
        );
    acc.y_label_area = 90;
    let frame = Frame::new(
        "Flap rate over time (from the logs)",
        format!("{sub} · {}-min buckets", bucket_min),
    );
    Figure::new(frame)
        .panel(Panel::Line(rate), 1.4)
        .panel(Panel::Line(acc), 1.0)
        .size(1200, 800)
}

/// Chart files: (name, bytes).
pub fn charts(d: &Diagnosis) -> Result<Vec<(String, Vec<u8>)>, chart::ChartError> {
    let a = &d.analysis;
    let sub = format!(
        "diagnosed from {} · {} nodes · {} .. {}",
        crate::units::count(a.files.len(), "log file"),
        a.names.len(),
        format_utc(a.first, false),
        format_utc(a.last, false)
    );
    let acc = crate::report::charts::accusations(&a.metrics, &a.names);
    let bars: Vec<BlameBar> = d
        .blame
        .iter()
        .take(crate::report::charts::BLAME_TOP)
        .map(|b| BlameBar {
            node: a.names[b.node as usize].clone(),
            suspicions_raised: b.suspicions_raised,
            refutations_naming: b.refutations_naming,
        })
        .collect();
    let figures = [
        ("chart-flap-rate", flap_rate_figure(d, &sub)),
        (
            "chart-accusations",
            accusations_figure_of(&acc, sub.clone()),
        ),
        ("chart-blame", blame_figure_of(&bars, &sub)),
    ];
    let mut out = Vec::new();
    for (stem, fig) in figures {
        out.push((format!("{stem}.svg"), chart::to_svg(&fig)?.into_bytes()));
        out.push((format!("{stem}.png"), chart::to_png(&fig)?));
    }
    Ok(out)
}
