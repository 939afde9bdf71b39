//! The protocol's formulas (memberlist.md §3.1, §4.1, §5): suspicion timeout,
//! retransmit limit, push/pull scaling. Pure functions of n and the config.

use super::Nanos;

/// Base suspicion timeout `min` (memberlist `suspicionTimeout`).
/// `smooth`: today's `SuspicionMult · trunc(max(1, log10(max(1, n))) · 1000) · PI / 1000`;
/// otherwise the stepwise 2015/2016 `SuspicionMult · ceil(log10(n+1)) · PI`.
pub fn suspicion_timeout(suspicion_mult: u32, n: usize, probe_interval: Nanos, smooth: bool) -> Nanos {
    let _ = (suspicion_mult, n, probe_interval, smooth);
    todo!("H1")
}

/// `RetransmitMult · ceil(log10(n + 1))` (memberlist `retransmitLimit`).
pub fn retransmit_limit(retransmit_mult: u32, n: usize) -> u32 {
    let _ = (retransmit_mult, n);
    todo!("H1")
}

/// memberlist `pushPullScale`: the interval itself up to 32 nodes, then
/// `interval · (ceil(log2 n − log2 32) + 1)`.
pub fn push_pull_scale(interval: Nanos, n: usize) -> Nanos {
    let _ = (interval, n);
    todo!("H1")
}
