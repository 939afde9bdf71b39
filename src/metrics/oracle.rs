//! The memberlist oracle's metrics, computed from a flapsim run.
//!
//! The oracle (`shared/oracle/`, README "Metrics") runs the real memberlist code
//! under a fault on one sick node S and reduces each run to counts over the
//! measured window. These are the same reductions, from the same raw material:
//! NotifyLeave/NotifyJoin events `(t, observer, subject)` and the log lines
//! `Suspect X has failed`, `Marking X as failed`, `Refuting a suspect|dead
//! message (from: Y)`. The definitions follow the oracle's `main.go` (`analyze`),
//! `aggregate.py` and `logtable.py` line by line:
//!
//! - **Healthy-subject NotifyLeave**: NotifyLeave whose subject is not S, summed
//!   over every observer (S included; the count with observer S on its own).
//! - **Incident**: one subject's NotifyLeave events from any observer, sorted by
//!   time, chained while each is at most `merge` (10 s) after the previous one
//!   (the gap is measured from the incident's last event, not its first).
//!   "Seen by a healthy observer" when some observer is not S; "cluster-wide"
//!   when it has at least N − 2 observers (30 at N = 32); an S incident is
//!   "declared by all" with at least N − 1 observers.
//! - **Flap**: NotifyLeave → the next NotifyJoin of the same subject at the same
//!   observer. A leave without a later join is "unresolved": it is left out of
//!   the flap statistics and counts as dead up to the end of the run in the
//!   dead observer-seconds.
//! - **Suspicion reach** (`trace_suspect_reach.py`, 2015): for each
//!   suspicion episode `suspect(X, inc)` on the wire (UDP), did X itself
//!   receive it (the only way it can refute before the timers fire, since 2015
//!   gossips to ALIVE nodes only), how long after its first send, and how many
//!   times it was sent (to X among them). From the collector's wire record
//!   ([`super::wire`]), when it was asked for one.
//! - **Log lines** are counted by writer: refutations by refuter (S or healthy)
//!   and by the accuser named in `(from: Y)`; `Suspect X has failed` by prober
//!   → subject; `Marking X as failed` by observer → subject.
//!
//! Times are measured from the start of the measured window (the scenario's
//! warm-up end), which plays the oracle's t = 0 (faults on).
//! Aggregation over runs ([`OracleSummary`]) is the oracle's: mean [min..max]
//! over runs for counts, pooled quantiles for flap durations, with its linear
//! interpolation between order statistics.

use std::collections::{BTreeMap, BTreeSet};

use super::{Metrics, What};
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, Nanos, NodeId};

/// The oracle's default incident chaining gap (`-merge 10`).
pub const MERGE_GAP: Nanos = 10 * crate::protocol::SEC;

/// One incident: a subject's chained NotifyLeave events.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub subject: NodeId,
    /// Seconds from the start of the measured window.
    pub start: f64,
    pub end: f64,
    pub declarations: u32,
    pub observers: BTreeSet<NodeId>,
}

/// One run reduced to the oracle's per-run figures (`per_run` in aggregate.py).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OracleRun {
    pub n: usize,
    pub sick: NodeId,
    /// Measured window in seconds.
    pub duration_s: f64,
    pub healthy_leaves: u64,
    pub healthy_leaves_by_s: u64,
    pub s_leaves: u64,
    pub incidents: Vec<Incident>,
    /// Flap durations (s) of healthy subjects and of S, in event order.
    pub flaps_healthy: Vec<f64>,
    pub flaps_s: Vec<f64>,
    pub unresolved: u64,
    pub healthy_dead_observer_s: f64,
    /// Observer-seconds healthy observers held S dead.
    pub s_dead_observer_s: f64,
    pub refute_suspect_by_s: u64,
    pub refute_suspect_by_healthy_from_s: u64,
    pub refute_suspect_by_healthy_from_healthy: u64,
    pub refute_dead_total: u64,
    pub refute_dead_by_s: u64,
    pub suspect_log_s_to_healthy: u64,
    pub suspect_log_healthy_to_s: u64,
    pub suspect_log_healthy_to_healthy: u64,
    pub mark_failed_by_s: u64,
    pub mark_failed_of_s: u64,
    pub mark_failed_healthy_of_healthy: u64,
    /// Phase (0..1) of S's probe ticker in the probe interval, as the oracle's
    /// `phase_check.py` measures it: the circular mean of S's `Suspect X has
    /// failed` instants mod 1 s (the ProbeInterval of every oracle scenario;
    /// None without such a line).
    pub s_probe_phase: Option<f64>,
    /// Suspicion reach (module doc), subject S: (episodes, reach latencies in s).
    pub s_suspect_reach: Reach,
    /// The same, healthy subjects.
    pub healthy_suspect_reach: Reach,
}

/// Suspicion episodes of one class of subjects on the wire, and how each
/// reached its subject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reach {
    pub episodes: u64,
    /// Seconds from each reached episode's first send to the subject's receipt.
    pub latencies: Vec<f64>,
    /// Sends of the episodes' messages, and of them to the subject.
    pub sends: u64,
    pub sends_to_subject: u64,
}

impl Reach {
    /// Sends per episode (NaN without episodes).
    pub fn sends_per_episode(&self) -> f64 {
        self.per_episode(self.sends)
    }

    /// Sends to the subject per episode (NaN without episodes).
    pub fn sends_to_subject_per_episode(&self) -> f64 {
        self.per_episode(self.sends_to_subject)
    }

    fn per_episode(&self, n: u64) -> f64 {
        if self.episodes == 0 {
            return f64::NAN;
        }
        n as f64 / self.episodes as f64
    }

    /// Share of the episodes that reached their subject (NaN without episodes).
    pub fn share(&self) -> f64 {
        self.per_episode(self.latencies.len() as u64)
    }

    /// `trace_suspect_reach.py`'s median: the upper one (`lat[len // 2]`).
    pub fn median_latency(&self) -> f64 {
        let mut v = self.latencies.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leave,
    Join,
}

impl OracleRun {
    /// Reduce the measured window of `m` (events at or after the warm-up end) with
    /// sick node `sick` in a cluster of `n`, chaining incidents with `merge`.
    pub fn from_metrics(m: &Metrics, sick: NodeId, n: usize, merge: Nanos) -> OracleRun {
        let t0 = m.warmup;
        let secs = |at: Nanos| (at - t0) as f64 / 1e9;
        let mut r = OracleRun {
            n,
            sick,
            duration_s: secs(m.end.max(t0)),
            ..OracleRun::default()
        };
        // (subject) -> [(t, observer)] of NotifyLeave; (observer, subject) -> events.
        let mut leaves: BTreeMap<NodeId, Vec<(Nanos, NodeId)>> = BTreeMap::new();
        let mut seq: BTreeMap<(NodeId, NodeId), Vec<(Nanos, Kind)>> = BTreeMap::new();
        let (mut cos, mut sin) = (0.0f64, 0.0f64);
        for rec in m.events.iter().filter(|e| e.at >= t0) {
            let What::Protocol(ev) = rec.what else {
                continue;
            };
            let me = rec.node;
            match ev {
                Event::MemberDown { subject, .. } => {
                    if subject == sick {
                        r.s_leaves += 1;
                    } else {
                        r.healthy_leaves += 1;
                        if me == sick {
                            r.healthy_leaves_by_s += 1;
                        }
                    }
                    leaves.entry(subject).or_default().push((rec.at, me));
                    seq.entry((me, subject))
                        .or_default()
                        .push((rec.at, Kind::Leave));
                }
                Event::MemberUp { subject, .. } => {
                    seq.entry((me, subject))
                        .or_default()
                        .push((rec.at, Kind::Join));
                }
                Event::Refuted { kind, from, .. } => match kind {
                    RefuteKind::Suspect if me == sick => r.refute_suspect_by_s += 1,
                    RefuteKind::Suspect if from == sick => r.refute_suspect_by_healthy_from_s += 1,
                    RefuteKind::Suspect => r.refute_suspect_by_healthy_from_healthy += 1,
                    RefuteKind::Dead => {
                        r.refute_dead_total += 1;
                        if me == sick {
                            r.refute_dead_by_s += 1;
                        }
                    }
                    RefuteKind::Alive => {}
                },
                Event::SuspectNoAcks { subject, .. } => {
                    if me == sick {
                        r.suspect_log_s_to_healthy += 1;
                        let pi = crate::protocol::SEC;
                        let angle = ((rec.at - t0) % pi) as f64 / pi as f64 * std::f64::consts::TAU;
                        cos += angle.cos();
                        sin += angle.sin();
                    } else if subject == sick {
                        r.suspect_log_healthy_to_s += 1;
                    } else {
                        r.suspect_log_healthy_to_healthy += 1;
                    }
                }
                Event::SuspicionExpired { subject, .. } => {
                    if me == sick {
                        r.mark_failed_by_s += 1;
                    } else if subject == sick {
                        r.mark_failed_of_s += 1;
                    } else {
                        r.mark_failed_healthy_of_healthy += 1;
                    }
                }
                _ => {}
            }
        }
        if r.suspect_log_s_to_healthy > 0 {
            r.s_probe_phase =
                Some(sin.atan2(cos).rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU);
        }
        let wire = m.wire_suspicions.iter().flat_map(|w| &w.episodes);
        for (&(subject, _), e) in wire {
            let class = if subject == sick {
                &mut r.s_suspect_reach
            } else {
                &mut r.healthy_suspect_reach
            };
            class.episodes += 1;
            class.sends += e.sends;
            class.sends_to_subject += e.sends_to_subject;
            if let Some(at) = e.reached {
                class.latencies.push((at - e.first_send) as f64 / 1e9);
            }
        }
        // Incidents (main.go `analyze`): chain while the gap to the last event <= merge.
        for (subject, mut evs) in leaves {
            evs.sort_by_key(|&(t, _)| t); // stable: equal times keep report order
            let mut cur: Option<Incident> = None;
            let mut last = 0;
            for (t, obs) in evs {
                if let Some(c) = cur.as_mut() {
                    if t - last <= merge {
                        c.end = secs(t);
                        c.declarations += 1;
                        c.observers.insert(obs);
                        last = t;
                        continue;
                    }
                }
                r.incidents.extend(cur.take());
                cur = Some(Incident {
                    subject,
                    start: secs(t),
                    end: secs(t),
                    declarations: 1,
                    observers: BTreeSet::from([obs]),
                });
                last = t;
            }
            r.incidents.extend(cur);
        }
        // Flaps: each leave to the next join at the same observer.
        let dur = r.duration_s;
        for ((obs, subject), mut evs) in seq {
            evs.sort_by_key(|&(t, _)| t);
            for (i, &(t, kind)) in evs.iter().enumerate() {
                if kind != Kind::Leave {
                    continue;
                }
                let next_join = evs[i + 1..].iter().find(|e| e.1 == Kind::Join);
                match next_join {
                    Some(&(tj, _)) => {
                        let d = (tj - t) as f64 / 1e9;
                        if subject == sick {
                            r.flaps_s.push(d);
                            if obs != sick {
                                r.s_dead_observer_s += d;
                            }
                        } else {
                            r.flaps_healthy.push(d);
                            r.healthy_dead_observer_s += d;
                        }
                    }
                    None => {
                        r.unresolved += 1;
                        let d = dur - secs(t);
                        if subject == sick {
                            r.s_dead_observer_s += d;
                        } else {
                            r.healthy_dead_observer_s += d;
                        }
                    }
                }
            }
        }
        r
    }

    fn healthy_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents
            .iter()
            .filter(move |i| i.subject != self.sick)
    }

    fn s_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents
            .iter()
            .filter(move |i| i.subject == self.sick)
    }

    pub fn healthy_incidents_count(&self) -> u64 {
        self.healthy_incidents().count() as u64
    }

    /// Healthy incidents with at least one observer other than S.
    pub fn healthy_incidents_seen_by_healthy(&self) -> u64 {
        let sick = self.sick;
        self.healthy_incidents()
            .filter(|i| i.observers.iter().any(|&o| o != sick))
            .count() as u64
    }

    pub fn distinct_healthy_subjects(&self) -> u64 {
        self.healthy_incidents()
            .map(|i| i.subject)
            .collect::<BTreeSet<_>>()
            .len() as u64
    }

    /// Healthy incidents whose observer count is in `lo..=hi`.
    pub fn healthy_incidents_sized(&self, lo: usize, hi: usize) -> u64 {
        self.healthy_incidents()
            .filter(|i| (lo..=hi).contains(&i.observers.len()))
            .count() as u64
    }

    /// Healthy incidents seen by at least N − 2 observers ("cluster-wide").
    pub fn healthy_incidents_cluster_wide(&self) -> u64 {
        self.healthy_incidents_sized(self.n.saturating_sub(2), usize::MAX)
    }

    pub fn s_incidents_count(&self) -> u64 {
        self.s_incidents().count() as u64
    }

    /// S incidents declared by every healthy node (at least N − 1 observers).
    pub fn s_incidents_declared_by_all(&self) -> u64 {
        let all = self.n.saturating_sub(1);
        self.s_incidents()
            .filter(|i| i.observers.len() >= all)
            .count() as u64
    }

    pub fn s_incidents_sized(&self, lo: usize, hi: usize) -> u64 {
        self.s_incidents()
            .filter(|i| (lo..=hi).contains(&i.observers.len()))
            .count() as u64
    }

    /// Fraction of (N − 1) × duration observer-time healthy nodes held S dead.
    pub fn s_dead_fraction(&self) -> f64 {
        super::per(
            self.s_dead_observer_s,
            (self.n.saturating_sub(1)) as f64 * self.duration_s,
        )
    }
}

/// The oracle's quantile (`mkStats` / `pct`): linear interpolation between the
/// order statistics around `p · (n − 1)`. None when empty.
pub fn interpolated_quantile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let idx = p * (v.len() - 1) as f64;
    let (lo, hi) = (idx.floor() as usize, idx.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (idx - lo as f64))
}

/// Mean, minimum and maximum of one figure over runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// Over the runs that have a value (NaN = none, as a run without flaps has
    /// no median); all NaN when none has.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            // No run has a value (e.g. no flap to take a median of): prints "-".
            return Spread {
                mean: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        Spread {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

impl std::fmt::Display for Spread {
    /// The oracle's cell format: one number when every run agrees, else
    /// `mean [min..max]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mean.is_nan() {
            return write!(f, "-");
        }
        // Counts print like aggregate.py; fractions and seconds keep decimals.
        let counts = self.min.fract() == 0.0 && self.max.fract() == 0.0;
        let (nd, nr) = if counts {
            (1, 0)
        } else if self.max.abs() < 1.0 {
            (4, 4)
        } else {
            (2, 2)
        };
        if self.min == self.max {
            let nd = if self.min.fract() == 0.0 { 0 } else { nd };
            write!(f, "{:.*}", nd, self.min)
        } else {
            write!(
                f,
                "{:.*} [{:.*}..{:.*}]",
                nd, self.mean, nr, self.min, nr, self.max
            )
        }
    }
}

/// Pooled flap durations: n, median, p90, max (seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pooled {
    pub n: usize,
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}

impl Pooled {
    pub fn of(values: &[f64]) -> Option<Pooled> {
        Some(Pooled {
            n: values.len(),
            median: interpolated_quantile(values, 0.5)?,
            p90: interpolated_quantile(values, 0.9)?,
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

impl std::fmt::Display for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {:.2} / {:.2} / {:.2}",
            self.n, self.median, self.p90, self.max
        )
    }
}

/// Every figure of the oracle's tables over a set of runs of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleSummary {
    pub runs: usize,
    /// (label, spread) in the order of the oracle's main table, then its log table.
    pub rows: Vec<(&'static str, Spread)>,
    pub flap_healthy: Option<Pooled>,
    pub flap_s: Option<Pooled>,
}

/// The figures reported per run, with the oracle's labels.
pub const FIGURES: &[&str] = &[
    "healthy-subject NotifyLeave (sum over observers)",
    "of which observer = S",
    "healthy-subject incidents",
    "healthy-subject incidents seen by a healthy observer",
    "distinct healthy subjects",
    "S NotifyLeave",
    "S incidents",
    "S incidents declared by all N-1 healthy observers",
    "refutes by S",
    "refutes by healthy from S",
    "refutes by healthy from healthy",
    "'Suspect X has failed' S->healthy",
    "'Suspect X has failed' healthy->S",
    "'Suspect' healthy->healthy",
    "'Marking X as failed' by S (X healthy)",
    "'Marking X as failed' of S (by healthy)",
    "'Marking X as failed' healthy of healthy",
    "'Refuting a dead message' (all)",
    "'Refuting a dead message' by S",
    "NotifyLeave without rejoin by end of run",
    "healthy-subject dead observer-seconds",
    "healthy incidents with 1 observer",
    "healthy incidents with 2-(N-3) observers",
    "healthy incidents with >=N-2 observers (cluster-wide)",
    "S incidents with 1 observer",
    "S incidents with 2-(N-3) observers",
    "S incidents with >=N-2 observers",
    "S dead fraction of (N-1) x duration",
    "median flap healthy (s, per run)",
    "median flap S (s, per run)",
    "S as subject: share of suspect(X,inc) episodes that reached S",
    "S as subject: median reach latency (s)",
    "S as subject: wire sends per episode",
    "S as subject: wire sends to S per episode",
    "healthy X: share of suspect(X,inc) episodes that reached X",
    "healthy X: median reach latency (s)",
    "healthy X: wire sends per episode",
    "healthy X: wire sends to X per episode",
];

impl OracleRun {
    /// The per-run values of [`FIGURES`], in order.
    pub fn figures(&self) -> Vec<f64> {
        let wide = self.n.saturating_sub(2);
        let mid = wide.saturating_sub(1);
        [
            self.healthy_leaves,
            self.healthy_leaves_by_s,
            self.healthy_incidents_count(),
            self.healthy_incidents_seen_by_healthy(),
            self.distinct_healthy_subjects(),
            self.s_leaves,
            self.s_incidents_count(),
            self.s_incidents_declared_by_all(),
            self.refute_suspect_by_s,
            self.refute_suspect_by_healthy_from_s,
            self.refute_suspect_by_healthy_from_healthy,
            self.suspect_log_s_to_healthy,
            self.suspect_log_healthy_to_s,
            self.suspect_log_healthy_to_healthy,
            self.mark_failed_by_s,
            self.mark_failed_of_s,
            self.mark_failed_healthy_of_healthy,
            self.refute_dead_total,
            self.refute_dead_by_s,
            self.unresolved,
        ]
        .into_iter()
        .map(|v| v as f64)
        .chain([self.healthy_dead_observer_s.round()])
        .chain(
            [
                self.healthy_incidents_sized(1, 1),
                self.healthy_incidents_sized(2, mid),
                self.healthy_incidents_sized(wide, usize::MAX),
                self.s_incidents_sized(1, 1),
                self.s_incidents_sized(2, mid),
                self.s_incidents_sized(wide, usize::MAX),
            ]
            .map(|v| v as f64),
        )
        .chain([self.s_dead_fraction()])
        .chain([&self.flaps_healthy, &self.flaps_s].map(|v| {
            // A run without flaps has no median (aggregate.py skips it).
            interpolated_quantile(v, 0.5).unwrap_or(f64::NAN)
        }))
        .chain(
            [&self.s_suspect_reach, &self.healthy_suspect_reach]
                .into_iter()
                .flat_map(|r| {
                    [
                        r.share(),
                        r.median_latency(),
                        r.sends_per_episode(),
                        r.sends_to_subject_per_episode(),
                    ]
                }),
        )
        .collect()
    }
}

impl OracleSummary {
    pub fn of(runs: &[OracleRun]) -> OracleSummary {
        let per_run: Vec<Vec<f64>> = runs.iter().map(OracleRun::figures).collect();
        let rows = FIGURES
            .iter()
            .enumerate()
            .map(|(i, &label)| (label, Spread::of(per_run.iter().map(|f| f[i]))))
            .collect();
        let pool = |f: fn(&OracleRun) -> &Vec<f64>| -> Vec<f64> {
            runs.iter().flat_map(|r| f(r).iter().copied()).collect()
        };
        OracleSummary {
            runs: runs.len(),
            rows,
            flap_healthy: Pooled::of(&pool(|r| &r.flaps_healthy)),
            flap_s: Pooled::of(&pool(|r| &r.flaps_s)),
        }
    }

    /// The spread of the figure labelled `label` (one of [`FIGURES`]).
    pub fn get(&self, label: &str) -> Spread {
        self.rows
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("no oracle figure {label:?}"))
    }

    /// A two-column markdown table (figure | value), then the pooled flaps.
    pub fn to_markdown(&self, title: &str) -> String {
        let mut out = format!("| figure ({} runs) | {title} |\n|---|---|\n", self.runs);
        for (label, s) in &self.rows {
            out.push_str(&format!("| {label} | {s} |\n"));
        }
        let pooled = |p: &Option<Pooled>| p.map_or("-".to_string(), |p| p.to_string());
        out.push_str(&format!(
            "| flap healthy subject: n / median / p90 / max (s, pooled) | {} |\n",
            pooled(&self.flap_healthy)
        ));
        out.push_str(&format!(
            "| flap S: n / median / p90 / max (s, pooled) | {} |\n",
            pooled(&self.flap_s)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Observer;
    use crate::metrics::testutil::scenario;
    use crate::metrics::Collector;
    use crate::protocol::{State, SEC};

    const S: NodeId = 1;

    /// A 5-node collector (warm-up 60 s) fed `(t since warm-up, observer, event)`.
    fn run(events: &[(f64, NodeId, Event)]) -> OracleRun {
        let names: Vec<String> = (0..5).map(|i| format!("n{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut c = Collector::new(&scenario(&refs, "memberlist-2015"));
        let t0 = 60 * SEC;
        for &(t, o, ev) in events {
            c.protocol(t0 + (t * 1e9) as Nanos, o, &ev);
        }
        let m = c.finish(t0 + 100 * SEC, 0);
        OracleRun::from_metrics(&m, S, 5, MERGE_GAP)
    }

    fn leave(subject: NodeId) -> Event {
        Event::MemberDown {
            subject,
            incarnation: 1,
            from: 0,
            state: State::Dead,
        }
    }

    fn join(subject: NodeId) -> Event {
        Event::MemberUp {
            subject,
            incarnation: 2,
            rejoin: true,
        }
    }

    /// Rule (oracle main.go `analyze`): one subject's NotifyLeave events chain into
    /// an incident while each is at most 10 s after the *previous* one; an
    /// incident seen only by S is not "seen by a healthy observer"; cluster-wide
    /// means at least N − 2 observers.
    #[test]
    fn incidents_chain_on_the_gap_to_the_last_event() {
        let r = run(&[
            (1.0, 0, leave(2)),
            (10.0, 3, leave(2)),
            (19.5, 4, leave(2)), // 9.5 s after the previous one: same incident
            (19.6, S, leave(2)),
            (40.0, S, leave(3)), // seen by S alone
        ]);
        assert_eq!(r.healthy_incidents_count(), 2);
        assert_eq!(r.healthy_incidents_seen_by_healthy(), 1);
        assert_eq!(r.healthy_leaves, 5);
        assert_eq!(r.healthy_leaves_by_s, 2);
        assert_eq!(r.incidents[0].observers.len(), 4);
        assert_eq!(
            r.healthy_incidents_cluster_wide(),
            1,
            ">= N-2 = 3 observers"
        );
        assert_eq!(r.distinct_healthy_subjects(), 2);
    }

    /// Rule (main.go `analyze`): a flap is a NotifyLeave to the next NotifyJoin of
    /// the same subject at the same observer; a leave without one is unresolved
    /// and counts as dead to the end of the run (100 s here); a healthy
    /// subject's flap counts whoever observed it, S's flap healthy observers.
    #[test]
    fn flaps_pair_each_leave_with_the_next_join_at_the_same_observer() {
        let r = run(&[
            (10.0, 0, leave(2)),
            (12.0, 3, join(2)), // another observer: not a rejoin for n00
            (15.0, 0, join(2)),
            (20.0, 3, leave(S)),
            (23.0, 3, join(S)),
            (30.0, S, leave(2)),
            (90.0, 4, leave(2)),
        ]);
        assert_eq!(r.flaps_healthy, vec![5.0]);
        assert_eq!(r.flaps_s, vec![3.0]);
        assert_eq!(r.unresolved, 2);
        assert!((r.healthy_dead_observer_s - (5.0 + 70.0 + 10.0)).abs() < 1e-9);
        assert!((r.s_dead_observer_s - 3.0).abs() < 1e-9);
    }

    /// Rule (main.go log counters): refutations split by refuter and accuser;
    /// `Suspect X has failed` and `Marking X as failed` by writer and subject.
    #[test]
    fn log_lines_are_counted_by_writer_and_subject() {
        use crate::protocol::event::RefuteKind;
        let refute = |kind, from| Event::Refuted {
            kind,
            from,
            accused_incarnation: 1,
            incarnation: 2,
        };
        let suspect = |subject| Event::SuspectNoAcks {
            subject,
            incarnation: 1,
            probe_started: 0,
        };
        let expired = |subject| Event::SuspicionExpired {
            subject,
            confirmations: None,
            degraded: false,
        };
        let r = run(&[
            (1.0, S, refute(RefuteKind::Suspect, 0)),
            (2.0, 0, refute(RefuteKind::Suspect, S)),
            (3.0, 0, refute(RefuteKind::Suspect, 0)),
            (4.0, S, refute(RefuteKind::Dead, 2)),
            (5.0, 2, refute(RefuteKind::Dead, S)),
            (6.0, S, suspect(2)),
            (7.0, 2, suspect(S)),
            (8.0, S, expired(3)),
            (9.0, 3, expired(S)),
            (9.5, 3, expired(4)),
        ]);
        assert_eq!(
            (
                r.refute_suspect_by_s,
                r.refute_suspect_by_healthy_from_s,
                r.refute_suspect_by_healthy_from_healthy
            ),
            (1, 1, 1)
        );
        assert_eq!((r.refute_dead_total, r.refute_dead_by_s), (2, 1));
        assert_eq!(
            (
                r.suspect_log_s_to_healthy,
                r.suspect_log_healthy_to_s,
                r.suspect_log_healthy_to_healthy
            ),
            (1, 1, 0)
        );
        assert_eq!(
            (
                r.mark_failed_by_s,
                r.mark_failed_of_s,
                r.mark_failed_healthy_of_healthy
            ),
            (1, 1, 1)
        );
    }

    /// Rule (oracle `pct`/`mkStats`): quantiles interpolate linearly between the
    /// order statistics around p·(n−1).
    #[test]
    fn quantiles_interpolate_like_the_oracle() {
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(interpolated_quantile(&v, 0.5), Some(2.5));
        assert_eq!(interpolated_quantile(&v, 0.9), Some(3.7));
        assert_eq!(interpolated_quantile(&[], 0.5), None);
    }

    /// Rule (aggregate.py `fmt`): one number when all runs agree, else mean [min..max].
    #[test]
    fn spread_prints_like_the_oracle() {
        assert_eq!(Spread::of([3.0, 3.0]).to_string(), "3");
        assert_eq!(
            Spread::of([f64::NAN]).to_string(),
            "-",
            "no run has a value"
        );
        assert_eq!(
            Spread::of([1926.0, 2081.0, 2186.0]).to_string(),
            "2064.3 [1926..2186]"
        );
    }

    /// Rule (`trace_suspect_reach.py`): per class of subject, the share of
    /// wire episodes that reached their subject, the upper median of the
    /// latencies from the first send, and sends (to the subject) per episode.
    #[test]
    fn suspicion_reach_comes_from_the_wire_record() {
        use crate::metrics::wire::{WireEpisode, WireSuspicions};
        let names: Vec<String> = (0..5).map(|i| format!("n{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut m = Collector::new(&scenario(&refs, "memberlist-2015")).finish(100 * SEC, 0);
        let ep = |first_send: f64, sends, to, reached: Option<f64>| WireEpisode {
            first_send: (first_send * 1e9) as Nanos,
            sends,
            sends_to_subject: to,
            reached: reached.map(|r| (r * 1e9) as Nanos),
        };
        let mut w = WireSuspicions::new(0);
        w.episodes.insert((2, 1), ep(1.0, 10, 1, Some(3.0)));
        w.episodes.insert((3, 1), ep(5.0, 20, 0, None));
        w.episodes.insert((4, 1), ep(10.0, 30, 2, Some(10.5)));
        w.episodes.insert((S, 7), ep(20.0, 40, 3, None));
        m.wire_suspicions = Some(w);
        let r = OracleRun::from_metrics(&m, S, 5, MERGE_GAP);
        let h = &r.healthy_suspect_reach;
        assert_eq!((h.episodes, h.sends, h.sends_to_subject), (3, 60, 3));
        assert_eq!(h.latencies, vec![2.0, 0.5]);
        assert!((h.share() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(h.median_latency(), 2.0, "upper median");
        assert_eq!(h.sends_per_episode(), 20.0);
        assert_eq!(r.s_suspect_reach.share(), 0.0);
        assert!(r.s_suspect_reach.median_latency().is_nan());
        assert_eq!(r.s_suspect_reach.sends_to_subject_per_episode(), 3.0);
    }
}
