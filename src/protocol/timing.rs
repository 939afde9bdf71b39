//! The protocol's formulas (memberlist.md §3.1, §4.1, §5): suspicion timeout,
//! retransmit limit, push/pull scaling. Pure functions of n and the config.
//!
//! `n` is always memberlist's `numNodes`: the length of the probe list, which
//! includes the local node and dead/left nodes not yet reaped (memberlist.md §2.2).
//! Callers re-read it at every use, as memberlist does.

use std::cell::Cell;

use super::Nanos;

/// `ceil(log10(n + 1))` computed exactly as the number of decimal digits of `n`
/// (0 for n = 0, since log10(1) = 0). Go's `math.Log10` is exact on powers of
/// ten, so the float and integer forms agree at every step (memberlist.md §3.1).
pub fn decimal_digits(n: usize) -> u32 {
    if n == 0 {
        0
    } else {
        n.ilog10() + 1
    }
}

/// Base suspicion timeout `min` (memberlist `suspicionTimeout`, ml@HEAD util.go).
///
/// `smooth` (since b339ecf, 2016-12): `SuspicionMult · trunc(max(1, log10(max(1, n))) · 1000) · PI / 1000`,
/// evaluated in integer nanoseconds in that order, as Go's `time.Duration`
/// arithmetic does (the multiplication happens before the division, so no
/// precision is lost for whole-millisecond intervals).
///
/// Stepwise (ml@6025015 util.go, and the first Lifeguard releases):
/// `SuspicionMult · ceil(log10(n + 1)) · PI`, with the ceiling taken as the digit
/// count of `n` so it steps exactly at 10, 100, 1000.
pub fn suspicion_timeout(
    suspicion_mult: u32,
    n: usize,
    probe_interval: Nanos,
    smooth: bool,
) -> Nanos {
    // Remembered for the last arguments this thread asked about. Why: every
    // suspicion a node raises computes it (a sick cluster raises millions),
    // and the member count changes far less often than that; worked out,
    // it costs an f64 log10 and 128-bit multiplications and a division.
    thread_local! {
        static LAST: Cell<Option<(TimeoutArgs, Nanos)>> = const { Cell::new(None) };
    }
    LAST.with(|last| {
        let args = (suspicion_mult, n, probe_interval, smooth);
        match last.get() {
            Some((seen, value)) if seen == args => value,
            _ => {
                let value = compute_suspicion_timeout(suspicion_mult, n, probe_interval, smooth);
                last.set(Some((args, value)));
                value
            }
        }
    })
}

/// [`suspicion_timeout`]'s arguments, in order.
type TimeoutArgs = (u32, usize, Nanos, bool);

/// [`suspicion_timeout`], worked out.
fn compute_suspicion_timeout(
    suspicion_mult: u32,
    n: usize,
    probe_interval: Nanos,
    smooth: bool,
) -> Nanos {
    let mult = u128::from(suspicion_mult);
    let pi = u128::from(probe_interval);
    let ns = if smooth {
        // f64 log10 is part of the protocol; trunc toward zero like Go's conversion.
        let node_scale = (n.max(1) as f64).log10().max(1.0);
        let scale_milli = (node_scale * 1000.0) as u128;
        mult * scale_milli * pi / 1000
    } else {
        mult * u128::from(decimal_digits(n)) * pi
    };
    Nanos::try_from(ns).unwrap_or(Nanos::MAX)
}

/// `RetransmitMult · ceil(log10(n + 1))` (memberlist `retransmitLimit`, unchanged
/// since 2013). n = 0 gives 0, like memberlist (log10(1) = 0); in practice n ≥ 1
/// because the local node is always in its own list.
pub fn retransmit_limit(retransmit_mult: u32, n: usize) -> u32 {
    retransmit_mult.saturating_mul(decimal_digits(n))
}

/// Below or at this many nodes the push/pull interval is not scaled
/// (memberlist `pushPullScaleThreshold`).
pub const PUSH_PULL_SCALE_THRESHOLD: usize = 32;

/// memberlist `pushPullScale` (ml@HEAD util.go; identical in 2015): the interval
/// itself up to 32 nodes, then `interval · (ceil(log2 n − log2 32) + 1)`, so that
/// push/pull traffic stays roughly flat as the cluster grows.
///
/// `ceil(log2 n − 5)` is computed exactly in integers as `ceil(log2 n) − 5`
/// (log2 32 = 5 exactly), i.e. the bit length of `n − 1` minus 5: 33–64 → 2×,
/// 65–128 → 3×, 129–256 → 4×, 1000 → 6×.
pub fn push_pull_scale(interval: Nanos, n: usize) -> Nanos {
    if n <= PUSH_PULL_SCALE_THRESHOLD {
        return interval;
    }
    let ceil_log2 = usize::BITS - (n - 1).leading_zeros();
    let multiplier = u64::from(ceil_log2 - 5 + 1);
    interval.saturating_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MS, SEC};

    // Rule: ceil(log10(n+1)) is the digit count of n, with n = 0 → 0.
    #[test]
    fn stepwise_scale_is_the_digit_count() {
        for (n, d) in [
            (0, 0),
            (1, 1),
            (9, 1),
            (10, 2),
            (99, 2),
            (100, 3),
            (999, 3),
            (1000, 4),
        ] {
            assert_eq!(decimal_digits(n), d, "n={n}");
            assert_eq!(d as f64, ((n + 1) as f64).log10().ceil(), "n={n}");
        }
    }

    // Rule §3.1: smooth min = mult · trunc(max(1, log10 n)·1000) · PI / 1000.
    #[test]
    fn smooth_suspicion_min_matches_the_lan_wan_local_table() {
        // LAN today, mult 4, PI 1 s.
        for n in 0..=10 {
            assert_eq!(suspicion_timeout(4, n, SEC, true), 4 * SEC, "n={n}");
        }
        assert_eq!(suspicion_timeout(4, 20, SEC, true), 5204 * MS);
        assert_eq!(suspicion_timeout(4, 100, SEC, true), 8 * SEC);
        // WAN today, mult 6, PI 5 s.
        assert_eq!(suspicion_timeout(6, 5, 5 * SEC, true), 30 * SEC);
        assert_eq!(suspicion_timeout(6, 10, 5 * SEC, true), 30 * SEC);
        // Local, mult 3, PI 1 s.
        assert_eq!(suspicion_timeout(3, 10, SEC, true), 3 * SEC);
    }

    // Rule §3.1/§7: stepwise 2015 timeout = mult · ceil(log10(n+1)) · PI.
    #[test]
    fn stepwise_suspicion_timeout_steps_at_powers_of_ten() {
        for n in 1..=9 {
            assert_eq!(suspicion_timeout(5, n, SEC, false), 5 * SEC, "n={n}");
        }
        for n in [10, 50, 99] {
            assert_eq!(suspicion_timeout(5, n, SEC, false), 10 * SEC, "n={n}");
        }
        for n in [100, 500, 999] {
            assert_eq!(suspicion_timeout(5, n, SEC, false), 15 * SEC, "n={n}");
        }
        // 2015 WAN: mult 6, PI 5 s.
        assert_eq!(suspicion_timeout(6, 9, 5 * SEC, false), 30 * SEC);
        assert_eq!(suspicion_timeout(6, 10, 5 * SEC, false), 60 * SEC);
        assert_eq!(suspicion_timeout(6, 99, 5 * SEC, false), 60 * SEC);
    }

    // Rule §4.1: limit = mult · ceil(log10(n+1)); LAN 4 / 8 / 12.
    #[test]
    fn retransmit_limit_steps_with_digits_of_n() {
        assert_eq!(retransmit_limit(4, 0), 0);
        for n in 1..=9 {
            assert_eq!(retransmit_limit(4, n), 4, "n={n}");
        }
        for n in [10, 39, 99] {
            assert_eq!(retransmit_limit(4, n), 8, "n={n}");
        }
        for n in [100, 999] {
            assert_eq!(retransmit_limit(4, n), 12, "n={n}");
        }
    }

    // Rule §5: ×1 up to 32, then ×(ceil(log2 n − log2 32) + 1).
    #[test]
    fn push_pull_scale_multiplies_per_doubling_above_32() {
        let i = 30 * SEC;
        for (n, m) in [
            (1, 1),
            (32, 1),
            (33, 2),
            (64, 2),
            (65, 3),
            (128, 3),
            (129, 4),
            (256, 4),
            (257, 5),
            (1000, 6),
        ] {
            assert_eq!(push_pull_scale(i, n), m * i, "n={n}");
            if n > 32 {
                let f = ((n as f64).log2() - 32f64.log2()).ceil() + 1.0;
                assert_eq!(f as u64, m, "float formula n={n}");
            }
        }
    }

    /// Rule: the suspicion timeout remembered for the last arguments is the
    /// one worked out for the arguments asked, whatever was asked before:
    /// arguments in a mixed order, each repeated and each changed alone.
    #[test]
    fn remembered_suspicion_timeout_is_the_one_worked_out() {
        let mut asked = Vec::new();
        for n in [1, 5, 9, 10, 11, 99, 100, 1000, 1001, 5000] {
            for mult in [1, 4, 6] {
                for pi in [SEC, 200 * MS, 1_234_567] {
                    for smooth in [true, false] {
                        asked.push((mult, n, pi, smooth));
                    }
                }
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..4 * asked.len() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (mult, n, pi, smooth) = asked[(x % asked.len() as u64) as usize];
            for _ in 0..2 {
                assert_eq!(
                    suspicion_timeout(mult, n, pi, smooth),
                    compute_suspicion_timeout(mult, n, pi, smooth),
                    "{mult} {n} {pi} {smooth}"
                );
            }
        }
    }
}
