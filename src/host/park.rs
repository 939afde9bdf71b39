//! The sources that park a host (model.md §2): a periodic cap (hypervisor
//! throttle, a credit-exhausted T2 held to its baseline) and listed or randomly
//! generated stop-the-world pauses. Each answers "am I parking the host at t?"
//! and "when do I next start to?" by arithmetic; [`super::Schedule`] combines
//! them.

use std::collections::VecDeque;

use crate::protocol::Nanos;
use crate::random::{Dist, Stream};

/// A random pause generator: gaps from `every` between the end of one pause and
/// the start of the next (so pauses never overlap), lengths from `duration`.
#[derive(Clone, Debug)]
pub struct PauseGen {
    pub every: Dist,
    pub duration: Dist,
    /// Start of the next pause not yet materialised.
    pub next_start: Nanos,
    /// No pause starts at or after this instant.
    pub until: Nanos,
    pub stream: Stream,
}

/// One source of parking.
#[derive(Clone, Debug)]
pub enum ParkSource {
    /// Runs `run` out of every `period` inside its windows, at a phase offset:
    /// at time `t` of a window starting at `from` the cycle position is
    /// `(t - from + phase) mod period`, running while it is below `run`.
    Periodic {
        period: Nanos,
        run: Nanos,
        phase: Nanos,
        /// Active windows `[from, until)`, sorted, disjoint.
        windows: VecDeque<(Nanos, Nanos)>,
    },
    /// Explicit parked intervals `[start, end)`, sorted by start and disjoint
    /// (overlapping ones are merged: only their union parks the host),
    /// optionally extended lazily by a random generator.
    Intervals {
        list: VecDeque<(Nanos, Nanos)>,
        gen: Option<Box<PauseGen>>,
    },
}

impl ParkSource {
    /// A periodic source with one window.
    pub fn periodic(
        period: Nanos,
        run: Nanos,
        phase: Nanos,
        window: Option<(Nanos, Nanos)>,
    ) -> Self {
        ParkSource::Periodic {
            period: period.max(1),
            run,
            phase: phase % period.max(1),
            windows: window.into_iter().collect(),
        }
    }

    /// Materialise generated pauses so every pause starting at or before `t` is
    /// listed; returns how many were generated (work for the budget).
    pub(super) fn generate_to(&mut self, t: Nanos) -> u64 {
        let mut made = 0;
        if let ParkSource::Intervals { list, gen: Some(g) } = self {
            while g.next_start <= t && g.next_start < g.until {
                let start = g.next_start;
                let len = g.duration.sample(&mut g.stream);
                let end = start.saturating_add(len.max(1));
                push_merged(list, start, end);
                let gap = g.every.sample(&mut g.stream).max(1);
                g.next_start = end.saturating_add(gap);
                made += 1;
            }
        }
        made
    }

    /// The window of a periodic source active at `t`, by binary search (windows
    /// are sorted and disjoint).
    pub(super) fn window_at(
        windows: &VecDeque<(Nanos, Nanos)>,
        t: Nanos,
    ) -> Option<(Nanos, Nanos)> {
        let i = windows.partition_point(|&(_, u)| u <= t);
        windows.get(i).copied().filter(|&(f, _)| f <= t)
    }

    /// If this source parks the host at `t`, the end of that parked stretch.
    pub(super) fn parked_at(&mut self, t: Nanos, steps: &mut u64) -> Option<Nanos> {
        *steps += self.generate_to(t);
        match self {
            ParkSource::Periodic {
                period,
                run,
                phase,
                windows,
            } => {
                let (from, until) = Self::window_at(windows, t)?;
                if *run >= *period {
                    return None;
                }
                if *run == 0 {
                    return Some(until);
                }
                let pos = (t - from + *phase) % *period;
                (pos >= *run).then(|| (t + (*period - pos)).min(until))
            }
            ParkSource::Intervals { list, .. } => {
                // Disjoint and sorted: only the last interval starting at or
                // before `t` can contain it.
                let i = list.partition_point(|&(s, _)| s <= t);
                let &(_, end) = list.get(i.checked_sub(1)?)?;
                (t < end).then_some(end)
            }
        }
    }

    /// The earliest instant `> t` at which this source starts parking the host,
    /// given it does not park it at `t`; `Nanos::MAX` if never.
    pub(super) fn next_park_start(&mut self, t: Nanos, steps: &mut u64) -> Nanos {
        *steps += self.generate_to(t);
        match self {
            ParkSource::Periodic {
                period,
                run,
                phase,
                windows,
            } => {
                if *run >= *period {
                    return Nanos::MAX;
                }
                let first = windows.partition_point(|&(_, u)| u <= t);
                for &(from, until) in windows.iter().skip(first) {
                    *steps += 1;
                    let candidate = if from <= t {
                        let pos = (t - from + *phase) % *period;
                        if pos >= *run {
                            t // not expected: caller checked parked_at
                        } else {
                            t + (*run - pos)
                        }
                    } else {
                        let pos0 = *phase % *period;
                        if pos0 >= *run {
                            from
                        } else {
                            from + (*run - pos0)
                        }
                    };
                    if candidate < until {
                        return candidate;
                    }
                }
                Nanos::MAX
            }
            ParkSource::Intervals { list, gen } => {
                let i = list.partition_point(|&(s, _)| s <= t);
                let listed = list.get(i).map(|&(s, _)| s);
                let generated = gen
                    .as_ref()
                    .filter(|g| g.next_start < g.until)
                    .map(|g| g.next_start);
                listed
                    .unwrap_or(Nanos::MAX)
                    .min(generated.unwrap_or(Nanos::MAX))
            }
        }
    }

    /// Forget parked stretches that ended before `before` (they can no longer matter).
    pub(super) fn prune(&mut self, before: Nanos) {
        match self {
            ParkSource::Periodic { windows, .. } => {
                while windows.front().is_some_and(|&(_, u)| u < before) {
                    windows.pop_front();
                }
            }
            ParkSource::Intervals { list, .. } => {
                // Disjoint and sorted by start, so also sorted by end.
                while list.front().is_some_and(|&(_, e)| e < before) {
                    list.pop_front();
                }
            }
        }
    }
}

/// Parked time of a periodic cycle within `[x, y)` of its window (offsets from
/// the window start): position `(t + phase) mod period` parks at `>= run`.
pub(super) fn periodic_parked(
    x: Nanos,
    y: Nanos,
    period: Nanos,
    run: Nanos,
    phase: Nanos,
) -> Nanos {
    if run >= period {
        return 0;
    }
    let park = period - run;
    // Parked time over cycle positions [0, u).
    let g = |u: u128| -> u128 {
        let (p, r) = (u128::from(period), u128::from(run));
        (u / p) * u128::from(park) + (u % p).saturating_sub(r)
    };
    let (x, y) = (
        u128::from(x) + u128::from(phase),
        u128::from(y) + u128::from(phase),
    );
    (g(y) - g(x)) as Nanos
}

/// Insert `[start, end)` into a sorted list of disjoint intervals, merging it
/// with those it overlaps or touches. O(log n) to find the place; appending in
/// time order (the common case) is O(1).
pub(super) fn push_merged(list: &mut VecDeque<(Nanos, Nanos)>, start: Nanos, end: Nanos) {
    if end <= start {
        return;
    }
    let mut i = list.partition_point(|&(s, _)| s <= start);
    let (mut lo, mut hi) = (start, end);
    if i > 0 && list[i - 1].1 >= start {
        i -= 1;
        lo = list[i].0;
        hi = hi.max(list[i].1);
        list.remove(i);
    }
    while i < list.len() && list[i].0 <= hi {
        hi = hi.max(list[i].1);
        list.remove(i);
    }
    list.insert(i, (lo, hi));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: pauses are kept merged and sorted, whatever order they arrive in.
    #[test]
    fn listed_pauses_merge() {
        let mut l = VecDeque::new();
        for (a, b) in [(50, 60), (10, 20), (15, 30), (30, 40), (70, 80), (0, 100)] {
            push_merged(&mut l, a, b);
        }
        assert_eq!(l, VecDeque::from(vec![(0, 100)]));
        let mut l = VecDeque::new();
        for (a, b) in [(50, 60), (10, 20), (25, 30)] {
            push_merged(&mut l, a, b);
        }
        assert_eq!(l, VecDeque::from(vec![(10, 20), (25, 30), (50, 60)]));
    }
}
