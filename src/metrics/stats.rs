//! Small order statistics used by every latency distribution in the reports.
//!
//! Quantiles use the nearest-rank method on exact nanosecond samples: the answer is
//! always a value that was actually observed, and it involves no interpolation, so it
//! is the same on every platform.

use std::collections::BTreeMap;

use crate::protocol::Nanos;

/// Median and 99th percentile of a distribution, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantiles {
    pub median: f64,
    pub p99: f64,
    pub count: usize,
}

/// The 1-based nearest rank of quantile `q` in [0, 1] among `n` > 0 samples.
fn rank(q: f64, n: u64) -> u64 {
    ((q * n as f64).ceil() as u64).clamp(1, n)
}

/// Nearest-rank quantile `q` in [0, 1] of `sorted` (ascending); None when empty.
pub fn nearest_rank(sorted: &[Nanos], q: f64) -> Option<Nanos> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[rank(q, sorted.len() as u64) as usize - 1])
}

/// Median and p99 of `sorted` (ascending) in seconds; None when empty.
pub fn quantiles(sorted: &[Nanos]) -> Option<Quantiles> {
    Some(Quantiles {
        median: secs(nearest_rank(sorted, 0.5)?),
        p99: secs(nearest_rank(sorted, 0.99)?),
        count: sorted.len(),
    })
}

// Shared with the protocol's config table (summary.json's effective parameters).
pub use crate::units::{round, secs};

/// Exact counts of durations at millisecond resolution, for the latency
/// distributions that grow with the run (rejoin times, suspicion-to-clear).
///
/// Why not the samples themselves: a sick cluster clears millions of suspicions
/// (4.2 M in 120 s on `scenarios/bench/starved-1000.yaml`), and a sorted sample
/// vector made memory grow with simulated time. Counting per millisecond keeps
/// it flat (a dense table up to the longest duration seen, at most
/// [`Durations::DENSE_MS`] entries, then a sparse map for longer ones), and the
/// nearest-rank quantiles stay exact at that resolution: truncating to the
/// millisecond is monotone, so the k-th smallest truncated sample is the
/// truncated k-th smallest sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Durations {
    /// `dense[ms]`: samples in `[ms, ms + 1)` milliseconds.
    dense: Vec<u64>,
    /// Samples of [`Durations::DENSE_MS`] milliseconds or more, by millisecond.
    long: BTreeMap<u64, u64>,
    count: u64,
}

impl Durations {
    /// The resolution every sample is truncated to.
    pub const RESOLUTION: Nanos = 1_000_000;
    /// Durations below this many milliseconds (about 8.7 minutes) are counted
    /// in the dense table (at most 4 MiB).
    pub const DENSE_MS: u64 = 1 << 19;

    pub fn new() -> Durations {
        Durations::default()
    }

    /// Count one duration, truncated to the millisecond.
    pub fn push(&mut self, d: Nanos) {
        let ms = d / Self::RESOLUTION;
        if ms < Self::DENSE_MS {
            let i = ms as usize;
            if i >= self.dense.len() {
                self.dense.resize(i + 1, 0);
            }
            self.dense[i] += 1;
        } else {
            *self.long.entry(ms).or_insert(0) += 1;
        }
        self.count += 1;
    }

    /// Number of durations counted.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// (duration truncated to the millisecond, in ns; how many), ascending.
    pub fn counts(&self) -> impl Iterator<Item = (Nanos, u64)> + '_ {
        let dense = (self.dense.iter().enumerate())
            .filter(|&(_, &c)| c > 0)
            .map(|(ms, &c)| (ms as u64, c));
        let long = self.long.iter().map(|(&ms, &c)| (ms, c));
        dense.chain(long).map(|(ms, c)| (ms * Self::RESOLUTION, c))
    }

    /// Every counted duration (truncated to the millisecond), ascending: for
    /// tests and small sets.
    pub fn to_vec(&self) -> Vec<Nanos> {
        self.counts()
            .flat_map(|(d, c)| std::iter::repeat_n(d, c as usize))
            .collect()
    }

    /// Nearest-rank quantile `q` in [0, 1] (truncated to the millisecond, in
    /// ns), the same rank [`nearest_rank`] takes of the sorted samples.
    pub fn nearest_rank(&self, q: f64) -> Option<Nanos> {
        if self.count == 0 {
            return None;
        }
        let rank = rank(q, self.count);
        let mut seen = 0;
        self.counts().find_map(|(d, c)| {
            seen += c;
            (seen >= rank).then_some(d)
        })
    }

    /// Median and p99 in seconds (millisecond resolution); None when empty.
    pub fn quantiles(&self) -> Option<Quantiles> {
        Some(Quantiles {
            median: secs(self.nearest_rank(0.5)?),
            p99: secs(self.nearest_rank(0.99)?),
            count: self.count as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: nearest-rank quantiles return an observed sample (no interpolation).
    #[test]
    fn nearest_rank_returns_observed_samples() {
        let v: Vec<Nanos> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(50));
        assert_eq!(nearest_rank(&v, 0.99), Some(99));
        assert_eq!(nearest_rank(&[7], 0.99), Some(7));
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[1, 2, 3], 0.0), Some(1));
    }

    /// Rule: a `Durations` quantile is the sorted samples' nearest-rank
    /// quantile truncated to the millisecond, for any mix of short and long
    /// (sparse) durations.
    #[test]
    fn durations_give_the_truncated_nearest_rank_of_the_samples() {
        let mut rng = crate::random::Stream::new(7, crate::random::StreamId::Misc(0));
        for len in [1usize, 2, 3, 99, 100, 101, 1000, 4321] {
            let mut samples: Vec<Nanos> = (0..len)
                .map(|i| match i % 5 {
                    0 => rng.below(2_000_000),
                    1 => rng.below(60_000_000_000),
                    2 => 1_000_000 * rng.below(4),
                    3 => (Durations::DENSE_MS - 1) * Durations::RESOLUTION + rng.below(3_000_000),
                    _ => rng.below(3_600_000_000_000),
                })
                .collect();
            let mut d = Durations::new();
            samples.iter().for_each(|&s| d.push(s));
            samples.sort_unstable();
            assert_eq!(d.len(), len as u64);
            let ms = |v: Nanos| v / Durations::RESOLUTION * Durations::RESOLUTION;
            for q in [0.0, 0.01, 0.5, 0.9, 0.99, 1.0] {
                assert_eq!(
                    d.nearest_rank(q),
                    nearest_rank(&samples, q).map(ms),
                    "{len} {q}"
                );
            }
            assert_eq!(
                d.to_vec(),
                samples.iter().map(|&v| ms(v)).collect::<Vec<_>>()
            );
        }
        assert_eq!(Durations::new().quantiles(), None);
    }

    /// Why `Durations` exists: its memory depends on the longest duration,
    /// not on how many were counted.
    #[test]
    fn durations_memory_does_not_grow_with_the_count() {
        let mut d = Durations::new();
        for i in 0..1_000_000u64 {
            d.push((i * 7919) % 30_000_000_000);
        }
        assert_eq!(d.len(), 1_000_000);
        assert!(d.dense.len() <= 30_000, "{}", d.dense.len());
        assert!(d.long.is_empty());
    }
}
