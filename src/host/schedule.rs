//! When a host runs and when it is parked (model.md §2).
//!
//! Every source of parking (a hypervisor throttle, a credit-exhausted T2 held to
//! its baseline, random stop-the-world pauses, timeline pauses) is described as a
//! function of time, not as a stream of tick events: the host asks "am I running
//! at t?", "when do I run again?", "when do I next park?". A work item's finish
//! time is then computed by walking the running stretches, so a 20 µs handler on a
//! host throttled to 10 ms per 100 ms costs a handful of arithmetic steps, never a
//! per-millisecond tick.
//!
//! A host runs only when no source parks it; sources are combined by walking until
//! all of them agree.
//!
//! Cost: every query is O(log n) in the listed pauses and windows (binary
//! search; listed pauses are kept sorted and merged), and every step of a walk is
//! counted in [`Schedule::steps`] so the engine charges it to the run's event
//! budget: a throttle of 1 µs slices costs what it costs, and is paid for. A
//! walk that reaches [`MAX_WALK`] steps for one query stops and sets
//! [`Schedule::truncated`]: the run must then fail, never report a number
//! computed from a partial walk.

use crate::protocol::Nanos;

use super::park::ParkSource;
use super::park::{periodic_parked, push_merged};

/// Upper bound on the alternations walked in one query. Pathological combinations
/// (fine throttle slices against fine pauses that rarely line up) would otherwise
/// loop for a very long time; past this bound the query gives up and marks the
/// schedule [`Schedule::truncated`].
pub const MAX_WALK: usize = 1_000_000;

/// The combination of a host's parking sources.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    pub sources: Vec<ParkSource>,
    /// Walk steps and generated pauses since the engine last took them
    /// ([`Schedule::take_steps`]), charged to the event budget.
    pub steps: u64,
    /// A query gave up after [`MAX_WALK`] steps: its answer is not to be trusted.
    pub truncated: bool,
}

impl Schedule {
    /// True when nothing can ever park this host (the fast path for healthy hosts).
    pub fn always_runs(&self) -> bool {
        self.sources.is_empty()
    }

    /// The steps counted since the last call (and reset the count).
    pub fn take_steps(&mut self) -> u64 {
        std::mem::take(&mut self.steps)
    }

    pub fn is_running(&mut self, t: Nanos) -> bool {
        let steps = &mut self.steps;
        self.sources
            .iter_mut()
            .all(|s| s.parked_at(t, steps).is_none())
    }

    /// The earliest instant `>= t` at which the host runs.
    pub fn next_running(&mut self, mut t: Nanos) -> Nanos {
        for _ in 0..MAX_WALK {
            self.steps += 1;
            let mut moved = false;
            for s in self.sources.iter_mut() {
                if let Some(end) = s.parked_at(t, &mut self.steps) {
                    t = end;
                    moved = true;
                }
            }
            if !moved || t == Nanos::MAX {
                return t;
            }
        }
        self.truncated = true;
        t
    }

    /// Given the host runs at `t`, the instant it next parks (`Nanos::MAX` if never).
    pub fn running_until(&mut self, t: Nanos) -> Nanos {
        let steps = &mut self.steps;
        self.sources
            .iter_mut()
            .map(|s| s.next_park_start(t, steps))
            .min()
            .unwrap_or(Nanos::MAX)
    }

    /// When a work item that needs `cost` of CPU and starts at `start` (a running
    /// instant) finishes: parked stretches in between do not count as CPU time.
    pub fn finish(&mut self, start: Nanos, cost: Nanos) -> Nanos {
        if self.sources.is_empty() {
            return start.saturating_add(cost);
        }
        let mut t = self.next_running(start);
        let mut left = cost;
        for _ in 0..MAX_WALK {
            self.steps += 1;
            let stop = self.running_until(t);
            if stop == Nanos::MAX || t.saturating_add(left) <= stop {
                return t.saturating_add(left);
            }
            left -= stop - t;
            t = self.next_running(stop);
            if t == Nanos::MAX {
                return t;
            }
        }
        self.truncated = true;
        t.saturating_add(left)
    }

    /// Parked time within `[a, b)`. In closed form when the periodic sources'
    /// windows do not overlap (always, for scenarios: a node has one CPU cap at
    /// a time): |P ∪ I| = |P| + |I| − |P ∩ I|, with P the periodic parked set
    /// and I the union of listed pauses, each term by arithmetic over windows
    /// and intervals, never per period. Otherwise by walking.
    pub fn parked_between(&mut self, a: Nanos, b: Nanos) -> Nanos {
        if self.sources.is_empty() || b <= a {
            return 0;
        }
        for s in self.sources.iter_mut() {
            self.steps += s.generate_to(b);
        }
        match self.parked_closed_form(a, b) {
            Some(p) => p,
            None => self.parked_by_walking(a, b),
        }
    }

    fn parked_closed_form(&mut self, a: Nanos, b: Nanos) -> Option<Nanos> {
        // Periodic windows clipped to [a, b), from every periodic source.
        let mut windows: Vec<(Nanos, Nanos, Nanos, Nanos, Nanos)> = Vec::new();
        let mut pauses: Vec<(Nanos, Nanos)> = Vec::new();
        for s in &self.sources {
            match s {
                ParkSource::Periodic {
                    period,
                    run,
                    phase,
                    windows: ws,
                } => {
                    let first = ws.partition_point(|&(_, u)| u <= a);
                    for &(f, u) in ws.iter().skip(first) {
                        if f >= b {
                            break;
                        }
                        self.steps += 1;
                        windows.push((f, u, *period, *run, *phase));
                    }
                }
                ParkSource::Intervals { list, .. } => {
                    let first = list.partition_point(|&(_, e)| e <= a);
                    for &(st, e) in list.iter().skip(first) {
                        if st >= b {
                            break;
                        }
                        self.steps += 1;
                        pauses.push((st.max(a), e.min(b)));
                    }
                }
            }
        }
        windows.sort_unstable();
        if windows.windows(2).any(|w| w[1].0 < w[0].1) {
            return None;
        }
        pauses.sort_unstable();
        let mut union: Vec<(Nanos, Nanos)> = Vec::with_capacity(pauses.len());
        for (st, e) in pauses {
            match union.last_mut() {
                Some(last) if st <= last.1 => last.1 = last.1.max(e),
                _ => union.push((st, e)),
            }
        }
        // Periodic parked time within [x, y), summed over the windows it meets.
        let periodic = |x: Nanos, y: Nanos, steps: &mut u64| -> Nanos {
            let first = windows.partition_point(|w| w.1 <= x);
            let mut sum = 0;
            for &(f, u, period, run, phase) in &windows[first..] {
                if f >= y {
                    break;
                }
                *steps += 1;
                let (lo, hi) = (x.max(f), y.min(u));
                if lo < hi {
                    sum += periodic_parked(lo - f, hi - f, period, run, phase);
                }
            }
            sum
        };
        let mut steps = 0;
        let mut total = periodic(a, b, &mut steps);
        for &(st, e) in &union {
            total += (e - st) - periodic(st, e, &mut steps);
        }
        self.steps += steps;
        Some(total)
    }

    fn parked_by_walking(&mut self, a: Nanos, b: Nanos) -> Nanos {
        let mut parked = 0;
        let mut t = a;
        for _ in 0..MAX_WALK {
            if t >= b {
                return parked;
            }
            self.steps += 1;
            if self.is_running(t) {
                t = self.running_until(t).min(b);
            } else {
                let r = self.next_running(t).min(b);
                parked += r - t;
                t = r;
            }
        }
        if t < b {
            self.truncated = true;
        }
        parked
    }

    pub fn prune(&mut self, before: Nanos) {
        for s in self.sources.iter_mut() {
            s.prune(before);
        }
    }

    /// Open an (open-ended) window of periodic source `idx` at `t`.
    pub fn open_window(&mut self, idx: usize, t: Nanos) {
        if let Some(ParkSource::Periodic { windows, .. }) = self.sources.get_mut(idx) {
            windows.push_back((t, Nanos::MAX));
        }
    }

    /// Close the open window of periodic source `idx` at `t`.
    pub fn close_window(&mut self, idx: usize, t: Nanos) {
        if let Some(ParkSource::Periodic { windows, .. }) = self.sources.get_mut(idx) {
            if let Some(last) = windows.back_mut() {
                if last.1 > t {
                    last.1 = t.max(last.0);
                }
            }
        }
    }

    /// Add one parked interval to an `Intervals` source `idx` (kept sorted and
    /// merged).
    pub fn add_interval(&mut self, idx: usize, start: Nanos, end: Nanos) {
        if let Some(ParkSource::Intervals { list, .. }) = self.sources.get_mut(idx) {
            push_merged(list, start, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::park::PauseGen;
    use super::*;
    use crate::protocol::MS;
    use crate::random::{Dist, Stream, StreamId};
    use std::collections::VecDeque;

    /// Rule: a throttle `run r, park p` runs exactly r/(r+p) of the time.
    #[test]
    fn throttle_runs_the_configured_fraction() {
        let mut s = Schedule {
            sources: vec![ParkSource::periodic(
                100 * MS,
                10 * MS,
                37 * MS,
                Some((0, Nanos::MAX)),
            )],
            ..Default::default()
        };
        let span = 10_000 * MS;
        let parked = s.parked_between(0, span);
        assert_eq!(parked, span * 9 / 10);
    }

    /// Rule: CPU time only accrues while running — a 25 ms job on a 10/100 ms
    /// throttle needs three run slices.
    #[test]
    fn work_spans_run_slices() {
        let mut s = Schedule {
            sources: vec![ParkSource::periodic(
                100 * MS,
                10 * MS,
                0,
                Some((0, Nanos::MAX)),
            )],
            ..Default::default()
        };
        assert_eq!(s.finish(0, 25 * MS), 205 * MS);
        // Starting while parked waits for the next slice.
        assert_eq!(s.finish(50 * MS, MS), 101 * MS);
    }

    /// Rule: outside its window a fault does not park the host.
    #[test]
    fn windows_bound_the_throttle() {
        let mut s = Schedule {
            sources: vec![ParkSource::periodic(
                100 * MS,
                10 * MS,
                0,
                Some((1000 * MS, 2000 * MS)),
            )],
            ..Default::default()
        };
        assert!(s.is_running(500 * MS));
        assert!(!s.is_running(1050 * MS));
        assert!(s.is_running(2050 * MS));
        assert_eq!(s.parked_between(0, 3000 * MS), 900 * MS);
    }

    /// Rule: random pauses follow their gap and length distributions and never overlap.
    #[test]
    fn random_pauses_match_their_distributions() {
        let gen = PauseGen {
            every: Dist::Fixed(900 * MS),
            duration: Dist::Fixed(100 * MS),
            next_start: 0,
            until: Nanos::MAX,
            stream: Stream::new(1, StreamId::Misc(9)),
        };
        let mut s = Schedule {
            sources: vec![ParkSource::Intervals {
                list: VecDeque::new(),
                gen: Some(Box::new(gen)),
            }],
            ..Default::default()
        };
        assert_eq!(s.parked_between(0, 10_000 * MS), 1000 * MS);
        assert!(!s.is_running(50 * MS));
        assert_eq!(s.next_running(50 * MS), 100 * MS);
    }

    /// Rule: parked time is exact — the closed form, the walk and a count
    /// nanosecond by nanosecond agree on random throttles, windows and
    /// (overlapping) pauses.
    #[test]
    fn parked_time_closed_form_matches_walk_and_brute_force() {
        let mut r = Stream::new(7, StreamId::Misc(3));
        for case in 0..300 {
            let period = 2 + r.below(40);
            let run = r.below(period + 1);
            let phase = r.below(period);
            let from = r.below(100);
            let until = from + 1 + r.below(400);
            let mut list = VecDeque::new();
            for _ in 0..r.below(6) {
                let st = r.below(500);
                push_merged(&mut list, st, st + 1 + r.below(60));
            }
            let mut s = Schedule {
                sources: vec![
                    ParkSource::periodic(period, run, phase, Some((from, until))),
                    ParkSource::Intervals { list, gen: None },
                ],
                ..Default::default()
            };
            let (a, b) = (r.below(200), 200 + r.below(400));
            let brute = (a..b).filter(|&t| !s.is_running(t)).count() as Nanos;
            let closed = s.parked_closed_form(a, b).expect("windows disjoint");
            let walked = s.parked_by_walking(a, b);
            assert_eq!((closed, walked), (brute, brute), "case {case}");
            assert!(!s.truncated);
        }
    }

    /// Rule: sources combine — the host runs only when none parks it.
    #[test]
    fn sources_combine() {
        let mut s = Schedule {
            sources: vec![
                ParkSource::periodic(100 * MS, 50 * MS, 0, Some((0, Nanos::MAX))),
                ParkSource::Intervals {
                    list: VecDeque::from(vec![(0, 120 * MS)]),
                    gen: None,
                },
            ],
            ..Default::default()
        };
        // Parked by the pause until 120 ms, then by the throttle 50..100 of each 100 ms
        // (120 ms is inside run slice 100..150).
        assert_eq!(s.next_running(0), 120 * MS);
        assert_eq!(s.running_until(120 * MS), 150 * MS);
    }
}
