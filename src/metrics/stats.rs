//! Small order statistics used by every latency distribution in the reports.
//!
//! Quantiles use the nearest-rank method on exact nanosecond samples: the answer is
//! always a value that was actually observed, and it involves no interpolation, so it
//! is the same on every platform.

use crate::protocol::Nanos;

/// Median and 99th percentile of a distribution, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantiles {
    pub median: f64,
    pub p99: f64,
    pub count: usize,
}

/// Nearest-rank quantile `q` in [0, 1] of `sorted` (ascending); None when empty.
pub fn nearest_rank(sorted: &[Nanos], q: f64) -> Option<Nanos> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (q * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
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
}
