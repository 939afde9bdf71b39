//! Seeded randomness: ChaCha streams and the distributions scenarios use.
//!
//! Why this module exists: flapsim's results must be byte-identical for a given
//! scenario and seed on any machine. So every draw comes from a [`Stream`] derived
//! from the scenario seed and a [`StreamId`] (one stream per node, per link and per
//! fault source, so adding a fault does not reshuffle unrelated draws), and the
//! transcendental functions used to shape draws (`ln`, `exp`) are implemented here
//! with plain IEEE arithmetic instead of the platform's libm.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Nanoseconds of virtual time (re-exported from the protocol's vocabulary).
pub type Nanos = u64;

/// What a stream is for. Each id maps to its own ChaCha stream number, so two ids
/// never share draws, whatever order they are used in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamId {
    /// Protocol choices of node `i` (shuffles, random peers, staggers, Serf coin).
    /// A restarted process gets `generation + 1` so it does not replay its past.
    Protocol { node: u32, generation: u32 },
    /// Network draws (latency, loss, duplication, spikes) for packets sent by node `i`.
    NetworkFrom(u32),
    /// Host-fault draws for fault source `j` (its index in the scenario) on node `i`.
    Fault { fault: u32, node: u32 },
    /// Scenario resolution draws (random fractions of nodes, random phases).
    Scenario(u32),
    /// Anything else a component needs, by a fixed small tag.
    Misc(u32),
    /// Host `i`'s packet-handler scheduling (`host.other_core_idle`).
    Handler(u32),
}

impl StreamId {
    fn number(self) -> u64 {
        let (kind, a, b) = match self {
            StreamId::Protocol { node, generation } => (1u64, node, generation),
            StreamId::NetworkFrom(node) => (2, node, 0),
            StreamId::Fault { fault, node } => (3, node, fault),
            StreamId::Scenario(tag) => (4, tag, 0),
            StreamId::Misc(tag) => (5, tag, 0),
            StreamId::Handler(node) => (6, node, 0),
        };
        // 8 bits of kind, 24 bits of `b`, 32 bits of `a`: collision-free for any
        // realistic scenario (fewer than 16 M restarts or fault sources).
        (kind << 56) | ((u64::from(b) & 0xff_ffff) << 32) | u64::from(a)
    }
}

/// One deterministic random stream.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha8Rng,
}

impl Stream {
    /// The stream `id` of the run seeded with `seed`.
    pub fn new(seed: u64, id: StreamId) -> Self {
        let mut key = [0u8; 32];
        let mut s = seed;
        for chunk in key.chunks_mut(8) {
            s = splitmix64(s);
            chunk.copy_from_slice(&s.to_le_bytes());
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(id.number());
        Stream { rng }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform integer in `[0, n)`; `n` must be positive. Unbiased (Lemire's method).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0, "below(0)");
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// Uniform index in `[0, n)` for slices.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform f64 in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (p ≤ 0 never, p ≥ 1 always, and draws nothing then).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            self.unit() < p
        }
    }

    /// Uniform duration in `[0, span)`; 0 when `span` is 0.
    pub fn duration_below(&mut self, span: Nanos) -> Nanos {
        if span == 0 {
            0
        } else {
            self.below(span)
        }
    }

    /// Fisher–Yates shuffle (uniform).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    /// A standard normal draw by inverse CDF (deterministic arithmetic only).
    pub fn standard_normal(&mut self) -> f64 {
        // Avoid exactly 0, whose quantile is -inf.
        let u = (((self.next_u64() >> 11) as f64) + 0.5) * (1.0 / (1u64 << 53) as f64);
        normal_quantile(u)
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A distribution of non-negative durations (latencies, pauses, costs, gaps).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Fixed(Nanos),
    /// Uniform in `[lo, hi]`.
    Uniform { lo: Nanos, hi: Nanos },
    /// Normal with `mean` and `sd`, truncated at 0 (negative draws become 0).
    Normal { mean: Nanos, sd: Nanos },
    /// Log-normal given by the natural-log parameters (`mu` of ln(seconds), `sigma`).
    /// Build it with [`Dist::lognormal_from_quantile`].
    LogNormal { mu: f64, sigma: f64 },
    /// `min` plus an exponential with mean `mean`.
    Exponential { mean: Nanos, min: Nanos },
}

/// z-scores of the 95th and 99th percentiles of the standard normal.
pub const Z95: f64 = 1.644_853_626_951_472_2;
pub const Z99: f64 = 2.326_347_874_040_840_8;

impl Dist {
    /// A log-normal with the given median whose quantile at z-score `z` is `q`.
    /// Requires `0 < median <= q`.
    pub fn lognormal_from_quantile(median: Nanos, q: Nanos, z: f64) -> Dist {
        let m = median as f64 / 1e9;
        let mu = ln(m);
        let sigma = if q > median {
            (ln(q as f64 / 1e9) - mu) / z
        } else {
            0.0
        };
        Dist::LogNormal { mu, sigma }
    }

    /// Draw one value.
    pub fn sample(&self, s: &mut Stream) -> Nanos {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { lo, hi } => lo + s.below(hi - lo + 1),
            Dist::Normal { mean, sd } => {
                let v = mean as f64 + sd as f64 * s.standard_normal();
                if v <= 0.0 {
                    0
                } else {
                    v as Nanos
                }
            }
            Dist::LogNormal { mu, sigma } => {
                let secs = exp(mu + sigma * s.standard_normal());
                let ns = secs * 1e9;
                if ns >= u64::MAX as f64 / 2.0 {
                    u64::MAX / 2
                } else {
                    ns as Nanos
                }
            }
            Dist::Exponential { mean, min } => {
                let u = 1.0 - s.unit(); // (0, 1]
                min + (-(mean as f64) * ln(u)) as Nanos
            }
        }
    }

    /// The distribution's mean, used for reports and sanity checks.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v as f64,
            Dist::Uniform { lo, hi } => (lo as f64 + hi as f64) / 2.0,
            Dist::Normal { mean, .. } => mean as f64,
            Dist::LogNormal { mu, sigma } => exp(mu + sigma * sigma / 2.0) * 1e9,
            Dist::Exponential { mean, min } => (mean + min) as f64,
        }
    }
}

const LN2: f64 = std::f64::consts::LN_2;

/// Natural logarithm with deterministic arithmetic (no libm). Accurate to ~1e-15
/// relative; returns -inf for 0 and NaN for negative input.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if e == -1023 {
        // Subnormal: normalise first.
        return ln(x * (1u64 << 54) as f64) - 54.0 * LN2;
    }
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN2
}

/// e^x with deterministic arithmetic (no libm).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    let k = (x / LN2).round();
    let r = x - k * LN2;
    // Taylor series of e^r, |r| <= 0.35.
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..20 {
        term *= r / i as f64;
        sum += term;
    }
    // Scale by 2^k in two steps to stay in range.
    let k = k as i32;
    let half = k / 2;
    sum * pow2(half) * pow2(k - half)
}

fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Inverse CDF of the standard normal (Acklam's rational approximation, relative
/// error below 1.2e-9), using only [`ln`] and `sqrt` (IEEE-exact).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if p < LOW {
        let q = (-2.0 * ln(p)).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * ln(1.0 - p)).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_and_exp_match_std_closely() {
        for &x in &[
            1e-300, 1e-9, 0.001, 0.5, 0.7, 1.0, 1.5, 2.0, 10.0, 1234.5, 1e300,
        ] {
            let rel = (ln(x) - x.ln()).abs() / x.ln().abs().max(1e-300);
            assert!(rel < 1e-13 || (ln(x) - x.ln()).abs() < 1e-15, "ln({x})");
        }
        for &x in &[-700.0, -20.0, -1.0, -0.1, 0.0, 0.3, 1.0, 5.0, 100.0, 700.0] {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-13, "exp({x}) {} vs {}", exp(x), x.exp());
        }
    }

    #[test]
    fn normal_quantiles_are_the_textbook_ones() {
        assert!((normal_quantile(0.95) - Z95).abs() < 1e-8);
        assert!((normal_quantile(0.99) - Z99).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let mut a = Stream::new(
            7,
            StreamId::Protocol {
                node: 1,
                generation: 0,
            },
        );
        let mut b = Stream::new(
            7,
            StreamId::Protocol {
                node: 1,
                generation: 0,
            },
        );
        let mut c = Stream::new(
            7,
            StreamId::Protocol {
                node: 2,
                generation: 0,
            },
        );
        let va: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn lognormal_from_quantile_hits_median_and_p95() {
        let d = Dist::lognormal_from_quantile(1_500_000_000, 6_000_000_000, Z95);
        let mut s = Stream::new(1, StreamId::Misc(0));
        let mut v: Vec<Nanos> = (0..20_000).map(|_| d.sample(&mut s)).collect();
        v.sort_unstable();
        let median = v[v.len() / 2] as f64 / 1e9;
        let p95 = v[v.len() * 95 / 100] as f64 / 1e9;
        assert!((median - 1.5).abs() < 0.06, "median {median}");
        assert!((p95 - 6.0).abs() < 0.4, "p95 {p95}");
    }

    #[test]
    fn below_is_in_range() {
        let mut s = Stream::new(3, StreamId::Misc(1));
        for n in 1..50u64 {
            for _ in 0..20 {
                assert!(s.below(n) < n);
            }
        }
    }
}
