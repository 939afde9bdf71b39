//! Lifeguard suspicion timers (memberlist suspicion.go, memberlist.md §3.2).
//!
//! A suspicion starts long (`max`) and every *independent* confirmation — a
//! `suspect` message about the same node from an accuser not yet seen — pulls the
//! deadline in towards `min` on a log curve, reaching `min` at `k` confirmations.
//! This is Lifeguard's "dogpile" suspicion (ml@1e4a809, PR #82; unchanged at
//! ml@HEAD suspicion.go). The object is pure data: it reports its deadline and the
//! node arms a [`super::Timer::Suspicion`] for it; nothing here reads a clock.

use std::sync::OnceLock;

use super::{Nanos, NodeId, MS};

/// One suspicion about one node: a deadline that independent confirmations pull
/// in from `max` towards `min`.
///
/// Fields in this order (`repr(C)`): what every suspect message received
/// about the node reads (`k`, `n`, the accusers) first, what only a counted
/// confirmation reads (the times) after. Why: a
/// sick cluster's nodes look their suspicions up cold for most messages, and
/// the node's table keeps the member and the timer's token right before the
/// suspicion (see `node::SuspicionTimer`), so they and these fields lie in
/// the entry's first 40 bytes.
///
/// 56 bytes, so that with the member and the token a table entry is one
/// cache line: the deadline is not kept (the node arms a timer for it when
/// it changes, and nothing reads it later), and the accusers take 24 bytes.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Suspicion {
    /// Confirmations wanted to reach `min` (`SuspicionMult − 2`, or 0 in small clusters).
    k: u32,
    /// Independent confirmations counted so far (never more than `k`).
    n: u32,
    /// Accusers already seen, the originator first. A few entries at most
    /// (k + 1), so a linear scan beats any set.
    seen: Accusers,
    /// When the suspicion started (memberlist captures it right after arming).
    start: Nanos,
    min: Nanos,
    max: Nanos,
}

const _: () = assert!(std::mem::size_of::<Suspicion>() == 56);

/// Accusers seen by one suspicion, inline up to [`INLINE_ACCUSERS`] (k + 1 is 3
/// with every preset but WAN's 5): a suspect message that confirms or repeats a
/// suspicion then reads no memory beyond the suspicion itself, and starting one
/// allocates nothing. Larger `k` (a `suspicion_mult` override) spills to a
/// boxed `Vec`: boxed, so the list is 24 bytes (a `Vec` beside the inline ids
/// made it 32).
#[derive(Clone, Debug)]
enum Accusers {
    Inline {
        len: u8,
        ids: [NodeId; INLINE_ACCUSERS],
    },
    // A thin pointer, for the list's size (not the extra allocation clippy
    // warns of): a `Vec` here made every suspicion 8 bytes longer.
    #[allow(clippy::box_collection)]
    Spilled(Box<Vec<NodeId>>),
}

const INLINE_ACCUSERS: usize = 5;

const _: () = assert!(std::mem::size_of::<Accusers>() == 24);

impl Accusers {
    #[inline]
    fn new(first: NodeId, capacity: usize) -> Accusers {
        if capacity <= INLINE_ACCUSERS {
            let mut ids = [0; INLINE_ACCUSERS];
            ids[0] = first;
            Accusers::Inline { len: 1, ids }
        } else {
            Accusers::spilled(first, capacity)
        }
    }

    /// A list for a `k` beyond every preset's (out of line: it allocates).
    #[cold]
    #[inline(never)]
    fn spilled(first: NodeId, capacity: usize) -> Accusers {
        let mut v = Vec::with_capacity(capacity);
        v.push(first);
        Accusers::Spilled(Box::new(v))
    }

    fn as_slice(&self) -> &[NodeId] {
        match self {
            Accusers::Inline { len, ids } => &ids[..usize::from(*len)],
            Accusers::Spilled(v) => v,
        }
    }

    fn push(&mut self, id: NodeId) {
        match self {
            Accusers::Inline { len, ids } if usize::from(*len) < INLINE_ACCUSERS => {
                ids[usize::from(*len)] = id;
                *len += 1;
            }
            Accusers::Inline { .. } => {
                let mut v = self.as_slice().to_vec();
                v.push(id);
                *self = Accusers::Spilled(Box::new(v));
            }
            Accusers::Spilled(v) => v.push(id),
        }
    }
}

/// Total time from the start of a suspicion until it fires after `n` independent
/// confirmations out of `k` (memberlist `remainingSuspicionTime` plus `elapsed`).
///
/// `frac = ln(n+1)/ln(k+1)`, `raw = max − frac·(max − min)` in seconds, truncated
/// down to whole milliseconds and never below `min`. The float steps are those
/// of memberlist (f64 `ln`, seconds, `floor(1000·raw)`), so results match it to
/// the millisecond. With `n = 0` this is `max`; `k = 0` is handled by the caller
/// (the timer then runs at `min` and confirmations never count).
pub fn confirmed_timeout(n: u32, k: u32, min: Nanos, max: Nanos) -> Nanos {
    if k == 0 {
        return min;
    }
    let frac = ln_of_count(u64::from(n) + 1) / ln_of_count(u64::from(k) + 1);
    let max_s = max as f64 / 1e9;
    let min_s = min as f64 / 1e9;
    let raw = max_s - frac * (max_s - min_s);
    // `floor(1000·raw)` as a whole count: the float-to-integer cast truncates
    // toward zero, which is the floor for every positive value, and gives 0
    // for the rest (as the floor's `<= 0` did). No `floor` call: on x86-64
    // without SSE4.1 it is a libm call, once per confirmation.
    let millis = 1000.0 * raw;
    let timeout = if millis <= 0.0 {
        0
    } else {
        (millis as Nanos).saturating_mul(MS)
    };
    timeout.max(min)
}

/// `ln(c)` for a whole number `c` (at most 2^32, exact in an f64), as
/// `(c as f64).ln()` computes it, so bit for bit the same, from a table for the small counts a confirmation
/// uses. Why: a sick cluster confirms millions of suspicions, and each
/// confirmation took two `ln` calls (1.3 % of a starved run's instructions).
fn ln_of_count(c: u64) -> f64 {
    const TABLED: usize = 64;
    static TABLE: OnceLock<[f64; TABLED]> = OnceLock::new();
    let table = TABLE.get_or_init(|| std::array::from_fn(|i| (i as f64).ln()));
    match usize::try_from(c).ok().and_then(|i| table.get(i)) {
        Some(&v) => v,
        None => (c as f64).ln(),
    }
}

impl Suspicion {
    /// Bytes from the start of a suspicion up to the end of what a suspect
    /// message about its node reads (`k`, `n`, the accusers).
    #[cfg(test)]
    pub(super) const HOT_BYTES: usize = std::mem::offset_of!(Suspicion, start);

    /// `from` is the originator (never counts as a confirmation); `k` confirmations
    /// are expected; with `k < 1` the timer runs at `min` from the start.
    // Inlined: once per suspicion started (out of line it cost a call and
    // the moves of its result).
    #[inline]
    pub fn new(from: NodeId, k: u32, min: Nanos, max: Nanos, now: Nanos) -> Suspicion {
        let seen = Accusers::new(from, k as usize + 1);
        Suspicion {
            k,
            n: 0,
            min,
            max,
            start: now,
            seen,
        }
    }

    /// When the timer fires if no confirmation counts: `max` after the start,
    /// or `min` when `k < 1`.
    pub fn first_deadline(&self) -> Nanos {
        let first = if self.k >= 1 { self.max } else { self.min };
        self.start.saturating_add(first)
    }

    /// Count a confirmation from `from`: if it was new, the new deadline (the
    /// caller re-arms the timer and re-gossips).
    ///
    /// None once `k` confirmations are in (so always when `k == 0`), and
    /// for an accuser already seen, including the originator: our own suspect
    /// message gossiped back to us is not independent evidence; the deadline
    /// then stays. When the new total time has already elapsed the deadline
    /// is `now`: memberlist fires the callback at once in that case.
    pub fn confirm(&mut self, from: NodeId, now: Nanos) -> Option<Nanos> {
        if self.n >= self.k || self.seen.as_slice().contains(&from) {
            return None;
        }
        self.seen.push(from);
        self.n += 1;
        let total = confirmed_timeout(self.n, self.k, self.min, self.max);
        Some(self.start.saturating_add(total).max(now))
    }

    /// Independent confirmations so far (excluding the originator).
    pub fn confirmations(&self) -> u32 {
        self.n
    }

    /// Confirmations expected (k).
    pub fn k(&self) -> u32 {
        self.k
    }

    /// When the suspicion started.
    pub fn start(&self) -> Nanos {
        self.start
    }

    /// The accuser whose message started this suspicion.
    pub fn originator(&self) -> NodeId {
        self.seen.as_slice()[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::timing::suspicion_timeout;
    use crate::protocol::SEC;

    /// Build a suspicion exactly as `suspectNode` does (memberlist.md §1.4):
    /// k = mult − 2 (0 when n − 2 < k), min from §3.1, max = max_mult · min.
    fn for_cluster(mult: u32, max_mult: u32, n: usize, pi: Nanos, smooth: bool) -> Suspicion {
        let mut k = mult.saturating_sub(2);
        if (n as i64 - 2) < i64::from(k) {
            k = 0;
        }
        let min = suspicion_timeout(mult, n, pi, smooth);
        Suspicion::new(1000, k, min, u64::from(max_mult) * min, 0)
    }

    /// Totals (in ms since start) after 0, 1, 2, … confirmations that all arrive at t = 0.
    fn totals(mut s: Suspicion) -> Vec<Nanos> {
        let mut out = vec![s.first_deadline() / MS];
        let mut from = 0;
        while let Some(deadline) = s.confirm(from, 0) {
            out.push(deadline / MS);
            from += 1;
        }
        out
    }

    /// The table of small logarithms is `ln` itself, bit for bit, so the
    /// remaining time is memberlist's to the millisecond whatever path computes it.
    #[test]
    fn tabled_logarithms_are_the_same_bits() {
        for c in (0..200u64).chain([1 << 20, u64::from(u32::MAX) + 1]) {
            assert_eq!(ln_of_count(c).to_bits(), (c as f64).ln().to_bits(), "{c}");
        }
        for (n, k) in [(0u32, 2u32), (1, 2), (2, 2), (3, 7), (1, u32::MAX)] {
            let old = (f64::from(n) + 1.0).ln() / (f64::from(k) + 1.0).ln();
            let new = ln_of_count(u64::from(n) + 1) / ln_of_count(u64::from(k) + 1);
            assert_eq!(old.to_bits(), new.to_bits(), "n={n} k={k}");
        }
    }

    // Rule §3.2 table: LAN today n=3 → k=0, fixed 4 s, confirmations ignored.
    #[test]
    fn lan_today_n3_is_fixed_at_min() {
        let s = for_cluster(4, 6, 3, SEC, true);
        assert_eq!(s.k(), 0);
        assert_eq!(totals(s), vec![4000]);
    }

    // Rule §3.2 table: LAN today n=4..10 → 24 s / 11.381 s / 4 s.
    #[test]
    fn lan_today_n4_to_10_runs_24s_11381ms_4s() {
        for n in 4..=10 {
            assert_eq!(
                totals(for_cluster(4, 6, n, SEC, true)),
                vec![24000, 11381, 4000],
                "n={n}"
            );
        }
    }

    // Rule §3.2 table: LAN today n=20 → 31.224 / 14.807 / 5.204 s.
    #[test]
    fn lan_today_n20_runs_31224ms_14807ms_5204ms() {
        assert_eq!(
            totals(for_cluster(4, 6, 20, SEC, true)),
            vec![31224, 14807, 5204]
        );
    }

    // Rule §3.2 table: LAN today n=100 → 48 / 22.762 / 8 s.
    #[test]
    fn lan_today_n100_runs_48s_22762ms_8s() {
        assert_eq!(
            totals(for_cluster(4, 6, 100, SEC, true)),
            vec![48000, 22762, 8000]
        );
    }

    // Rule §3.2 table: WAN today n=3..5 → k=0, fixed 30 s.
    #[test]
    fn wan_today_small_clusters_are_fixed_at_30s() {
        for n in 3..=5 {
            let s = for_cluster(6, 6, n, 5 * SEC, true);
            assert_eq!(s.k(), 0, "n={n}");
            assert_eq!(totals(s), vec![30000], "n={n}");
        }
    }

    // Rule §3.2 table: WAN today n=10 → 180 / 115.398 / 77.609 / 50.797 / 30 s.
    #[test]
    fn wan_today_n10_runs_180s_down_to_30s_over_4_confirmations() {
        let s = for_cluster(6, 6, 10, 5 * SEC, true);
        assert_eq!(s.k(), 4);
        assert_eq!(totals(s), vec![180000, 115398, 77609, 50797, 30000]);
    }

    // Rule §3.2 table: Local (mult 3) → k=1, 18 s then 3 s.
    #[test]
    fn local_runs_18s_then_3s() {
        for n in 3..=10 {
            assert_eq!(
                totals(for_cluster(3, 6, n, SEC, true)),
                vec![18000, 3000],
                "n={n}"
            );
        }
    }

    // Rule §3.2 table: Lifeguard 2016 LAN mult 5, stepwise min, n=5..9 → 30 / 17.5 / 10.187 / 5 s.
    #[test]
    fn lifeguard_2016_lan_runs_30s_17500ms_10187ms_5s() {
        for n in 5..=9 {
            assert_eq!(
                totals(for_cluster(5, 6, n, SEC, false)),
                vec![30000, 17500, 10187, 5000],
                "n={n}"
            );
        }
        // May–Dec 2016: stepwise min of 10 s at n = 10.
        assert_eq!(for_cluster(5, 6, 10, SEC, false).first_deadline(), 60 * SEC);
    }

    // Rule memberlist TestSuspicion_remainingSuspicionTime: k=3, min 2 s, max 30 s →
    // totals 30 s, 16 s, 7.81 s, then 2 s (floored at min) for n ≥ 3.
    #[test]
    fn remaining_suspicion_time_matches_memberlist_test_cases() {
        let (min, max) = (2 * SEC, 30 * SEC);
        assert_eq!(confirmed_timeout(0, 3, min, max), 30 * SEC);
        assert_eq!(confirmed_timeout(1, 3, min, max), 16 * SEC);
        assert_eq!(confirmed_timeout(2, 3, min, max), 7810 * MS);
        for n in 3..=5 {
            assert_eq!(confirmed_timeout(n, 3, min, max), 2 * SEC, "n={n}");
        }
        // And through the timer object: 2 confirmations at t=3 s → fires at 7.81 s.
        let mut s = Suspicion::new(0, 3, min, max, 0);
        assert_eq!(s.confirm(1, 2 * SEC), Some(16 * SEC));
        let deadline = s.confirm(2, 3 * SEC).expect("a new accuser");
        assert_eq!(deadline, 7810 * MS);
        assert_eq!(
            deadline - 3 * SEC,
            4810 * MS,
            "remaining time as in memberlist"
        );
    }

    // Rule memberlist TestSuspicion_Timer: k=3, min 500 ms, max 2 s → 1.25 s after one, ~0.81 s after two.
    // (memberlist's wall-clock test expects "810 ms" within a 25 ms fudge; the
    // formula gives floor(1000·(2 − 1.5·ln3/ln4)) = floor(811.28) = 811 ms.)
    #[test]
    fn timer_case_from_memberlist_tests() {
        let mut s = Suspicion::new(0, 3, 500 * MS, 2 * SEC, 0);
        assert_eq!(s.first_deadline(), 2 * SEC);
        assert_eq!(s.confirm(1, 25 * MS), Some(1250 * MS));
        assert_eq!(s.confirm(2, 50 * MS), Some(811 * MS));
        assert_eq!(s.confirm(3, 75 * MS), Some(500 * MS));
    }

    // Rule §3.2: a confirmation arriving after the recomputed total fires the timer immediately.
    #[test]
    fn late_confirmation_fires_immediately() {
        // memberlist TestSuspicion_Timer_Immediate: k=1, min 100 ms, max 30 s, confirm at 200 ms.
        let mut s = Suspicion::new(0, 1, 100 * MS, 30 * SEC, 1000 * SEC);
        assert_eq!(
            s.confirm(7, 1000 * SEC + 200 * MS),
            Some(1000 * SEC + 200 * MS)
        );
    }

    // Rule §3.2: the originator's own suspect message echoed back is not a confirmation.
    #[test]
    fn originator_echo_is_not_a_confirmation() {
        let mut s = Suspicion::new(5, 2, 4 * SEC, 24 * SEC, 0);
        assert_eq!(s.confirm(5, SEC), None, "the deadline stays");
        assert_eq!(s.confirmations(), 0);
        assert_eq!(s.first_deadline(), 24 * SEC);
        assert_eq!(s.originator(), 5);
    }

    // Rule §3.2: each accuser counts once, and no more than k confirmations count.
    #[test]
    fn at_most_k_distinct_confirmations_count() {
        let mut s = Suspicion::new(0, 2, 4 * SEC, 24 * SEC, 0);
        assert!(s.confirm(1, 0).is_some());
        assert_eq!(s.confirm(1, 0), None, "duplicate accuser");
        assert_eq!(s.confirm(2, 0), Some(4 * SEC));
        assert_eq!(s.confirm(3, 0), None, "k reached");
        assert_eq!(s.confirmations(), 2);
    }

    // Rule §3.2: with k = 0 the timer runs at min and no confirmation counts.
    #[test]
    fn k_zero_runs_at_min_and_ignores_confirmations() {
        let mut s = Suspicion::new(0, 0, 4 * SEC, 24 * SEC, 10 * SEC);
        assert_eq!(s.first_deadline(), 14 * SEC);
        assert_eq!(s.confirm(1, 11 * SEC), None, "the deadline stays");
    }

    // Rule §3.2: an accuser counts once, however many accusers came before it
    // (also past the inline capacity of the accuser list), and the originator never.
    #[test]
    fn each_accuser_confirms_once_even_with_many_accusers() {
        let mut s = Suspicion::new(1000, 12, SEC, 6 * SEC, 0);
        assert_eq!(
            s.confirm(1000, 0),
            None,
            "the originator is not a confirmation"
        );
        for from in 0..12 {
            assert!(s.confirm(from, 0).is_some(), "new accuser {from}");
            for again in 0..=from {
                assert_eq!(s.confirm(again, 0), None, "repeat accuser {again}");
            }
        }
        assert_eq!(s.confirmations(), 12);
        assert_eq!(s.originator(), 1000);
        assert_eq!(s.confirm(99, 0), None, "k reached");
    }
}
