//! Membership timeline: for each display row (one node, or a band of nodes) and
//! each time column, the share of up observers that held the row's node(s)
//! SUSPECT, and DEAD (or LEFT), and the share of time the node itself was down.
//!
//! Why a post-pass over the retained events rather than more collector state: the
//! collector's hot path stays untouched, and the result is already aggregated to
//! what a chart can show (`rows × columns`, time-weighted), so memory is bounded by
//! the picture, not by the cluster (a 10,000-node run grouped into 60 bands costs
//! 60 rows). The only per-pair state is a sparse map of pairs that are *not* alive,
//! which the run itself already implies.
//!
//! Shares are time-weighted: a column holds the integral of "observers holding it
//! suspect" over the column, divided by the integral of "up observers other than
//! itself". So a node declared dead for 6 s of a 20 s column by every observer
//! shows 0.3 dead. A node that is down has every up node as an observer (one
//! more than an up node has), so its shares are worked out per row: `k` members
//! see `k · up − (their own up time)` observer-seconds.

use std::collections::BTreeMap;

use crate::engine::Truth;
use crate::protocol::idmap::IdMap;
use crate::protocol::{Event, Nanos, NodeId, State};

use super::{Metrics, What};

/// How an observer holds a subject (alive pairs are not stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    Suspect,
    Dead,
}

/// The time-weighted shares of one row, one value per column, each in 0..=1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowShares {
    pub suspect: Vec<f64>,
    pub dead: Vec<f64>,
    /// Share of the column the row's node(s) were themselves not running.
    pub down: Vec<f64>,
}

/// Rows × columns of [`RowShares`].
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipGrid {
    pub columns: usize,
    /// Column width.
    pub column: Nanos,
    pub rows: Vec<RowShares>,
}

/// Which display row each node goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowMap {
    /// `row_of[node]`.
    pub row_of: Vec<u32>,
    pub rows: usize,
}

impl RowMap {
    /// One row per node.
    pub fn identity(n: usize) -> RowMap {
        RowMap {
            row_of: (0..n as u32).collect(),
            rows: n,
        }
    }
    fn members(&self) -> Vec<f64> {
        let mut m = vec![0.0; self.rows];
        for &r in &self.row_of {
            m[r as usize] += 1.0;
        }
        m
    }
}

/// Accumulates `value × time` into columns.
struct Acc {
    column: Nanos,
    columns: usize,
    sums: Vec<f64>,
}

impl Acc {
    /// Add `value` over `[from, to)` to row `row`.
    fn add(&mut self, row: usize, from: Nanos, to: Nanos, value: f64) {
        if value == 0.0 || to <= from {
            return;
        }
        let base = row * self.columns;
        let mut t = from;
        while t < to {
            let c = ((t / self.column) as usize).min(self.columns - 1);
            let col_end = if c == self.columns - 1 {
                to
            } else {
                ((c as Nanos + 1) * self.column).min(to)
            };
            self.sums[base + c] += value * (col_end - t) as f64;
            t = col_end;
        }
    }
}

/// Whether the post-passes of this module ([`membership_grid`],
/// [`health_by_bucket`]) read `rec`: a run that streams its
/// records to disk keeps only these in memory for the charts.
pub fn reads(rec: &super::Record) -> bool {
    match rec.what {
        What::Truth(_) => true,
        What::Protocol(ev) => matches!(
            ev,
            Event::Suspected { .. }
                | Event::MemberDown { .. }
                | Event::MemberUp { .. }
                | Event::SuspicionCleared { .. }
                | Event::HealthScore { .. }
        ),
    }
}

/// Compute the grid of `m` with `columns` columns over `[0, m.end)`. `starts` says
/// which nodes run from t = 0 (scenario `starts`); the others are down until their
/// first `Truth::Up`.
pub fn membership_grid(
    m: &Metrics,
    starts: &[bool],
    map: &RowMap,
    columns: usize,
) -> MembershipGrid {
    let n = m.nodes;
    let columns = columns.max(1);
    let column = m.end.div_ceil(columns as Nanos).max(1);
    let rows = map.rows;
    let acc = |k| Acc {
        column,
        columns,
        sums: vec![0.0; k * columns],
    };
    let mut sus = acc(rows);
    let mut dead = acc(rows);
    let mut down = acc(rows);
    let mut den = acc(1);

    let mut up: Vec<bool> = (0..n)
        .map(|i| starts.get(i).copied().unwrap_or(true))
        .collect();
    let mut up_count = up.iter().filter(|u| **u).count();
    let mut up_since: Nanos = 0;
    let mut down_since: Vec<Nanos> = vec![0; n];
    // The pairs held not alive, by observer: a hash map each, as a sick cluster
    // makes millions of suspicions and a sorted map of all pairs cost a second
    // of a 1,000-node run's charts; a crash enumerates its observer's pairs
    // in subject order, as before, so the sums add up in the same order.
    let mut held: Vec<IdMap<Held>> = (0..n).map(|_| IdMap::default()).collect();
    let holds = |held: &Vec<IdMap<Held>>, o: NodeId, s: NodeId| {
        held.get(o as usize).and_then(|m| m.get(&s)).copied()
    };
    let mut n_sus = vec![0u32; n];
    let mut n_dead = vec![0u32; n];
    let mut since: Vec<Nanos> = vec![0; n];
    let row = |s: NodeId| map.row_of[s as usize] as usize;

    // Close subject `s`'s counts up to `t`.
    macro_rules! flush {
        ($s:expr, $t:expr) => {{
            let s = $s as usize;
            sus.add(row($s), since[s], $t, n_sus[s] as f64);
            dead.add(row($s), since[s], $t, n_dead[s] as f64);
            since[s] = $t;
        }};
    }
    macro_rules! set {
        ($o:expr, $s:expr, $t:expr, $new:expr) => {{
            let (o, s, t): (NodeId, NodeId, Nanos) = ($o, $s, $t);
            if (s as usize) < n && (o as usize) < n && o != s {
                let old = holds(&held, o, s);
                let new: Option<Held> = $new;
                if old != new {
                    flush!(s, t);
                    match old {
                        Some(Held::Suspect) => n_sus[s as usize] -= 1,
                        Some(Held::Dead) => n_dead[s as usize] -= 1,
                        None => {}
                    }
                    match new {
                        Some(Held::Suspect) => {
                            n_sus[s as usize] += 1;
                            held[o as usize].insert(s, Held::Suspect);
                        }
                        Some(Held::Dead) => {
                            n_dead[s as usize] += 1;
                            held[o as usize].insert(s, Held::Dead);
                        }
                        None => {
                            held[o as usize].remove(&s);
                        }
                    }
                }
            }
        }};
    }

    m.for_each_record(|rec| {
        let t = rec.at.min(m.end);
        let o = rec.node;
        match rec.what {
            What::Protocol(ev) => match ev {
                Event::Suspected { subject, .. } => set!(o, subject, t, Some(Held::Suspect)),
                Event::MemberDown { subject, state, .. } => match state {
                    State::Dead | State::Left => set!(o, subject, t, Some(Held::Dead)),
                    State::Suspect => set!(o, subject, t, Some(Held::Suspect)),
                    State::Alive => set!(o, subject, t, None),
                },
                Event::MemberUp { subject, .. } => set!(o, subject, t, None),
                Event::SuspicionCleared { subject, .. }
                    if holds(&held, o, subject) == Some(Held::Suspect) =>
                {
                    set!(o, subject, t, None);
                }
                _ => {}
            },
            What::Truth(truth) => {
                let i = o as usize;
                if i >= n {
                    return;
                }
                let now_up = match truth {
                    Truth::Up => true,
                    Truth::Crashed | Truth::Left => false,
                    Truth::Degraded(_) => return,
                };
                if now_up == up[i] {
                    // A running process restarted: the fresh one holds nothing.
                    if now_up {
                        let mut mine: Vec<NodeId> = held[i].keys().copied().collect();
                        mine.sort_unstable();
                        for s in mine {
                            set!(o, s, t, None);
                        }
                    }
                    return;
                }
                // The observer count changes: close the denominator.
                den.add(0, up_since, t, up_count as f64);
                up_since = t;
                if now_up {
                    down.add(row(o), down_since[i], t, 1.0);
                    up_count += 1;
                } else {
                    down_since[i] = t;
                    up_count -= 1;
                }
                up[i] = now_up;
                // A fresh or gone process holds nothing.
                let mut mine: Vec<NodeId> = held[i].keys().copied().collect();
                mine.sort_unstable();
                for s in mine {
                    set!(o, s, t, None);
                }
            }
        }
    });
    let end = m.end;
    den.add(0, up_since, end, up_count as f64);
    for s in 0..n as NodeId {
        flush!(s, end);
        if !up[s as usize] {
            down.add(row(s), down_since[s as usize], end, 1.0);
        }
    }

    let members = map.members();
    let out_rows = (0..rows)
        .map(|r| {
            let k = members[r].max(1.0);
            let width = |c: usize| {
                let start = c as Nanos * column;
                (end.min(start + column).saturating_sub(start)) as f64
            };
            // Observer-seconds of the row's members in column c: each has
            // every up node but itself while up, every up node while down.
            let observers = |c: usize| {
                let own_up = k * width(c) - down.sums[r * columns + c];
                k * den.sums[c] - own_up
            };
            let share = |a: &Acc, c: usize, d: f64| {
                if d > 0.0 {
                    (a.sums[r * columns + c] / d).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            };
            RowShares {
                suspect: (0..columns).map(|c| share(&sus, c, observers(c))).collect(),
                dead: (0..columns)
                    .map(|c| share(&dead, c, observers(c)))
                    .collect(),
                down: (0..columns)
                    .map(|c| share(&down, c, k * width(c)))
                    .collect(),
            }
        })
        .collect();
    MembershipGrid {
        columns,
        column,
        rows: out_rows,
    }
}

/// Per bucket of `bucket` width over `[0, end)`, the highest Lifeguard health
/// score each of `nodes` reported (from `HealthScore` events and host samples:
/// the score holds between reports).
pub fn health_by_bucket(
    m: &Metrics,
    nodes: &[NodeId],
    bucket: Nanos,
    buckets: usize,
) -> Vec<Vec<u32>> {
    let mut out = vec![vec![0u32; buckets]; nodes.len()];
    let mut cur = vec![0u32; nodes.len()];
    let mut last = vec![0usize; nodes.len()];
    let idx: BTreeMap<NodeId, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let bucket = bucket.max(1);
    m.for_each_record(|rec| {
        let score = match rec.what {
            What::Protocol(Event::HealthScore { score }) => score,
            What::Truth(Truth::Up) => 0,
            _ => return,
        };
        let Some(&i) = idx.get(&rec.node) else {
            return;
        };
        let b = ((rec.at / bucket) as usize).min(buckets.saturating_sub(1));
        // The old score held from the last change up to this bucket.
        for x in &mut out[i][last[i]..=b] {
            *x = (*x).max(cur[i]);
        }
        cur[i] = score;
        out[i][b] = out[i][b].max(score);
        last[i] = b;
    });
    for (i, row) in out.iter_mut().enumerate() {
        for x in &mut row[last[i]..] {
            *x = (*x).max(cur[i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Observer;
    use crate::metrics::testutil::scenario;
    use crate::metrics::Collector;
    use crate::protocol::SEC;

    fn down(o: NodeId, s: NodeId) -> Event {
        Event::MemberDown {
            subject: s,
            incarnation: 1,
            from: o,
            state: State::Dead,
        }
    }
    fn up(s: NodeId) -> Event {
        Event::MemberUp {
            subject: s,
            incarnation: 2,
            rejoin: true,
        }
    }

    /// Rule: shares are time-weighted over the column and the up observers other
    /// than the subject: held dead by both other nodes for 6 s of a 20 s column
    /// is 0.3 dead.
    #[test]
    fn shares_are_time_weighted_over_up_observers() {
        let sc = scenario(&["a", "b", "c"], "memberlist");
        let mut c = Collector::new(&sc);
        for o in [1, 2] {
            c.protocol(4 * SEC, o, &down(o, 0));
        }
        c.protocol(
            7 * SEC,
            1,
            &Event::Suspected {
                subject: 2,
                incarnation: 1,
                from: 1,
            },
        );
        for o in [1, 2] {
            c.protocol(10 * SEC, o, &up(0));
        }
        c.protocol(
            9 * SEC,
            1,
            &Event::SuspicionCleared {
                subject: 2,
                incarnation: 1,
                suspected_at: 0,
            },
        );
        let m = c.finish(20 * SEC, 0);
        let g = membership_grid(&m, &[true; 3], &RowMap::identity(3), 1);
        assert!((g.rows[0].dead[0] - 0.3).abs() < 1e-9, "{:?}", g.rows[0]);
        assert_eq!(g.rows[0].suspect[0], 0.0);
        // c held suspect by one of two observers for 2 s of 20: 0.05.
        assert!(
            (g.rows[2].suspect[0] - 0.05).abs() < 1e-9,
            "{:?}",
            g.rows[2]
        );
        assert_eq!(
            g.rows[1],
            RowShares {
                suspect: vec![0.0],
                dead: vec![0.0],
                down: vec![0.0]
            }
        );
    }

    /// Rule: a crashed observer forgets what it held, and the crashed node's own
    /// row shows it down.
    #[test]
    fn a_crash_clears_the_observers_view_and_marks_the_node_down() {
        let sc = scenario(&["a", "b", "c"], "memberlist");
        let mut c = Collector::new(&sc);
        c.protocol(2 * SEC, 1, &down(1, 0));
        c.truth(5 * SEC, 1, Truth::Crashed);
        let m = c.finish(10 * SEC, 0);
        let g = membership_grid(&m, &[true; 3], &RowMap::identity(3), 2);
        // Column 0 (0–5 s): b held a dead for 3 s, 2 observers: 0.3.
        assert!((g.rows[0].dead[0] - 0.3).abs() < 1e-9, "{:?}", g.rows[0]);
        assert_eq!(g.rows[0].dead[1], 0.0, "b's view died with it");
        assert_eq!(g.rows[1].down, vec![0.0, 1.0]);
    }

    /// Rule: a node that is down is observed by every up node, one more than
    /// an up node is: held dead by both others for 7 s of a 10 s column, after
    /// crashing at 2 s, is 0.7 dead (two observers all along), not 1.
    #[test]
    fn a_down_nodes_shares_count_every_up_observer() {
        let sc = scenario(&["a", "b", "c"], "memberlist");
        let mut c = Collector::new(&sc);
        for o in 0..3 {
            c.truth(0, o, Truth::Up);
        }
        c.truth(2 * SEC, 0, Truth::Crashed);
        for o in [1, 2] {
            c.protocol(3 * SEC, o, &down(o, 0));
        }
        let m = c.finish(10 * SEC, 0);
        let g = membership_grid(&m, &[true; 3], &RowMap::identity(3), 1);
        assert!((g.rows[0].dead[0] - 0.7).abs() < 1e-9, "{:?}", g.rows[0]);
        assert!((g.rows[0].down[0] - 0.8).abs() < 1e-9, "{:?}", g.rows[0]);
    }

    /// Rule: a running process restarted (an `Up` with no `Crashed` before
    /// it) holds nothing: b held a dead from 2 s to its restart at 5 s, one of
    /// two observers for 3 s of 10: 0.15.
    #[test]
    fn a_restarted_observer_holds_nothing() {
        let sc = scenario(&["a", "b", "c"], "memberlist");
        let mut c = Collector::new(&sc);
        for o in 0..3 {
            c.truth(0, o, Truth::Up);
        }
        c.protocol(2 * SEC, 1, &down(1, 0));
        c.truth(5 * SEC, 1, Truth::Up);
        let m = c.finish(10 * SEC, 0);
        let g = membership_grid(&m, &[true; 3], &RowMap::identity(3), 1);
        assert!((g.rows[0].dead[0] - 0.15).abs() < 1e-9, "{:?}", g.rows[0]);
    }
}
