//! The rules of Linux's Completely Fair Scheduler (CFS, kernels before 6.6)
//! for two tasks on one CPU: the agent and a busy neighbour process inside the
//! same VM. [`super::contention`] drives them through time; this file holds the
//! rules alone, each a small function with the kernel function it follows.
//!
//! Sources: `Documentation/scheduler/sched-design-CFS.rst` (virtual runtime,
//! `min_vruntime`, the leftmost task runs, `sched_latency_ns` /
//! `sched_min_granularity_ns` / `sched_wakeup_granularity_ns`) and
//! `kernel/sched/fair.c` of the 5.x series: `update_curr` / `calc_delta_fair`
//! (vruntime grows by `delta_exec · NICE_0_LOAD / weight`), `sched_slice` and
//! `__sched_period` (a period of `sched_latency` shared in proportion to
//! weight while at most `sched_nr_latency` = latency / min_granularity = 8 tasks
//! are runnable), `place_entity` (a waking task is placed at
//! `max(its vruntime, min_vruntime − thresh)`, `thresh` = `sched_latency / 2`
//! under `GENTLE_FAIR_SLEEPERS`; a new task at `min_vruntime + sched_vslice`
//! under `START_DEBIT`), `check_preempt_wakeup` / `wakeup_preempt_entity` /
//! `wakeup_gran` (a waking task preempts the running one at once if
//! `curr.vruntime − waking.vruntime > wakeup_granularity · NICE_0_LOAD /
//! waking.weight`), `check_preempt_tick` (on each scheduler tick with two
//! runnable tasks: reschedule when the running task has run more than its
//! `sched_slice` since it was picked, or when it has run at least
//! `min_granularity` and its vruntime leads the leftmost waiting task's by more
//! than that slice), `pick_next_entity` (the smallest vruntime runs) and
//! `sched_prio_to_weight` (nice 0 = 1024, each nice step ≈ ×1.25).
//!
//! Defaults are those of a 1-vCPU guest: the kernel scales the three
//! granularities by `1 + ilog2(ncpus)`, which is 1 here: latency 6 ms, minimum
//! granularity 0.75 ms, wakeup granularity 1 ms. The slice is floored at the
//! minimum granularity (the `BASE_SLICE` feature of late CFS kernels; with two
//! tasks it only matters for weights 7× apart or more). Buddies (`NEXT_BUDDY`,
//! `LAST_BUDDY`) need `nr_running >= sched_nr_latency`, never true with two
//! tasks, so they are not modelled.
//!
//! What EEVDF (Linux 6.6+, `kernel/sched/fair.c` after the EEVDF merge) would
//! change: `sched_latency`, `min_granularity` and `wakeup_granularity` are gone;
//! each task asks for a `base_slice` (0.75 ms by default, `sched/base_slice_ns`)
//! and gets a virtual deadline `vruntime + base_slice · NICE_0_LOAD / weight`.
//! The task to run is the *eligible* one (lag ≥ 0, i.e. vruntime not ahead of
//! the load-weighted average) with the earliest deadline. A waking task keeps
//! the lag it had when it slept (`PLACE_LAG`, decayed) instead of the flat
//! `sched_latency / 2` sleeper credit, so a mostly sleeping agent still wakes
//! eligible, but with at most one slice of credit; it preempts the hog when its
//! deadline is earlier (`check_preempt_wakeup_fair`, with `RUN_TO_PARITY` letting
//! the current task finish its slice first in 6.6–6.11). Slices are 0.75 ms
//! instead of 3 ms, so a long work item alternates four times as often with a
//! busy neighbour, in shorter waits. This model implements CFS only.

use crate::protocol::Nanos;

/// Weight of a nice-0 task (`NICE_0_LOAD` on 32-bit load resolution).
pub const NICE_0_LOAD: u32 = 1024;

/// `sched_prio_to_weight` (kernel/sched/core.c): nice −20 … 19.
const PRIO_TO_WEIGHT: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

/// The weight of a nice value (−20 … 19), or None outside that range.
pub fn weight_of_nice(nice: i64) -> Option<u32> {
    let i = usize::try_from(nice.checked_add(20)?).ok()?;
    PRIO_TO_WEIGHT.get(i).copied()
}

/// The scheduler's tunables (sysctl `kernel.sched_*` before 6.6, debugfs
/// `sched/*` after 5.13) and the tick that enforces slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `sched_latency_ns`: the period two runnable tasks share.
    pub latency: Nanos,
    /// `sched_min_granularity_ns`: a task runs at least this long before the
    /// tick may preempt it for being ahead in vruntime.
    pub min_granularity: Nanos,
    /// `sched_wakeup_granularity_ns`: the vruntime lead a waking task needs to
    /// preempt the running one.
    pub wakeup_granularity: Nanos,
    /// Scheduler tick (1 / `CONFIG_HZ`): slice ends are noticed on ticks only
    /// (the `HRTICK` feature is off by default). 0 = checked continuously.
    pub tick: Nanos,
}

impl Default for Policy {
    /// A 1-vCPU guest with `CONFIG_HZ=250` (Debian, Ubuntu generic kernels).
    fn default() -> Self {
        Policy {
            latency: 6_000_000,
            min_granularity: 750_000,
            wakeup_granularity: 1_000_000,
            tick: 4_000_000,
        }
    }
}

/// `calc_delta_fair`: the vruntime a task of `weight` gains by running `cpu`.
pub fn vdelta(cpu: Nanos, weight: u32) -> i64 {
    let v = u128::from(cpu) * u128::from(NICE_0_LOAD) / u128::from(weight.max(1));
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The CPU a task of `weight` must run for its vruntime to gain at least `dv`.
pub fn cpu_for_vdelta(dv: i64, weight: u32) -> Nanos {
    if dv <= 0 {
        return 0;
    }
    let n = u128::from(dv as u64) * u128::from(weight.max(1));
    let cpu = n.div_ceil(u128::from(NICE_0_LOAD));
    // Flooring in `vdelta` may leave the gain a nanosecond short: add one.
    Nanos::try_from(cpu + 1).unwrap_or(Nanos::MAX)
}

impl Policy {
    /// `sched_slice`: the wall-clock share of the period of a task of `weight`
    /// when the runnable tasks weigh `total` (itself included).
    pub fn slice(&self, weight: u32, total: u64) -> Nanos {
        let s = u128::from(self.latency) * u128::from(weight) / u128::from(total.max(1));
        (s as Nanos).max(self.min_granularity)
    }

    /// `place_entity` for a wake-up: the sleeper credit of `GENTLE_FAIR_SLEEPERS`
    /// lets a task that slept long start half a latency behind `min_vruntime`,
    /// never further (and never behind its own vruntime: no gain from sleeping
    /// briefly).
    pub fn place_waking(&self, vruntime: i64, min_vruntime: i64) -> i64 {
        let thresh = (self.latency / 2) as i64;
        vruntime.max(min_vruntime.saturating_sub(thresh))
    }

    /// `place_entity` for a new task (`START_DEBIT`): one virtual slice after
    /// `min_vruntime`, so a fork cannot jump the queue.
    pub fn place_new(&self, min_vruntime: i64, weight: u32, total: u64) -> i64 {
        min_vruntime.saturating_add(vdelta(self.slice(weight, total), weight))
    }

    /// `wakeup_preempt_entity(curr, waking) == 1`: the waking task leads the
    /// running one by more than the wakeup granularity, scaled to its weight.
    pub fn preempts_on_wakeup(&self, curr_v: i64, waking_v: i64, waking_weight: u32) -> bool {
        let gran = vdelta(self.wakeup_granularity, waking_weight);
        curr_v.saturating_sub(waking_v) > gran
    }

    /// `check_preempt_tick`: the running task (`curr_v`, `delta_exec` since it
    /// was picked, slice `ideal`) gives way to the waiting one (`other_v`).
    pub fn tick_preempts(
        &self,
        delta_exec: Nanos,
        ideal: Nanos,
        curr_v: i64,
        other_v: i64,
    ) -> bool {
        if delta_exec > ideal {
            return true;
        }
        if delta_exec < self.min_granularity {
            return false;
        }
        curr_v.saturating_sub(other_v) > ideal as i64
    }

    /// The CPU the running task must still run before [`Policy::tick_preempts`]
    /// holds (the next tick at or after that instant then preempts it).
    pub fn cpu_until_tick_preempts(
        &self,
        delta_exec: Nanos,
        ideal: Nanos,
        curr_v: i64,
        curr_weight: u32,
        other_v: i64,
    ) -> Nanos {
        let by_slice = (ideal + 1).saturating_sub(delta_exec);
        let min_gran = self.min_granularity.saturating_sub(delta_exec);
        let lead = other_v
            .saturating_add(ideal as i64 + 1)
            .saturating_sub(curr_v);
        let by_lead = min_gran.max(cpu_for_vdelta(lead, curr_weight));
        by_slice.min(by_lead)
    }
}

/// The first scheduler tick at or after `t` (ticks at `phase + k·tick`).
pub fn tick_at_or_after(t: Nanos, tick: Nanos, phase: Nanos) -> Nanos {
    if tick == 0 {
        return t;
    }
    let phase = phase % tick;
    if t <= phase {
        return phase;
    }
    let k = (t - phase).div_ceil(tick);
    phase.saturating_add(k.saturating_mul(tick))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MS;

    /// Rule: nice 0 weighs 1024 and each nice step is ≈ 1.25× (the kernel table).
    #[test]
    fn nice_maps_to_the_kernel_weight_table() {
        assert_eq!(weight_of_nice(0), Some(1024));
        assert_eq!(weight_of_nice(-20), Some(88761));
        assert_eq!(weight_of_nice(19), Some(15));
        assert_eq!(weight_of_nice(5), Some(335));
        assert_eq!(weight_of_nice(20), None);
        assert_eq!(weight_of_nice(-21), None);
    }

    /// Rule: two runnable tasks share `sched_latency` in slices proportional to
    /// weight (3 ms each at nice 0), floored at the minimum granularity.
    #[test]
    fn two_tasks_share_the_latency_period_by_weight() {
        let p = Policy::default();
        assert_eq!(p.slice(1024, 2048), 3 * MS);
        // nice 0 against nice 5 (335): 6 ms · 1024 / 1359 = 4.52 ms.
        assert_eq!(p.slice(1024, 1359), 4_520_971);
        // nice 19 (15) against nice 0: 6 ms · 15 / 1039 = 87 µs → floored at 0.75 ms.
        assert_eq!(p.slice(15, 1039), 750_000);
    }

    /// Rule: a task that slept long wakes half a latency behind min_vruntime
    /// (GENTLE_FAIR_SLEEPERS); one that slept briefly keeps its own vruntime.
    #[test]
    fn a_sleeper_is_credited_half_a_latency_at_most() {
        let p = Policy::default();
        assert_eq!(p.place_waking(0, 100 * MS as i64), 97 * MS as i64);
        assert_eq!(
            p.place_waking(99 * MS as i64, 100 * MS as i64),
            99 * MS as i64
        );
    }

    /// Rule: a waking task preempts only with a lead above the wakeup
    /// granularity, scaled by its own weight.
    #[test]
    fn wakeup_preemption_needs_more_than_the_granularity() {
        let p = Policy::default();
        let ms = MS as i64;
        assert!(p.preempts_on_wakeup(10 * ms, 7 * ms, 1024));
        assert!(
            !p.preempts_on_wakeup(10 * ms, 9 * ms, 1024),
            "1 ms is not > 1 ms"
        );
        // A heavier waker (nice −5, 3121) needs a smaller vruntime lead.
        assert!(p.preempts_on_wakeup(10 * ms, 9_600_000, 3121));
    }

    /// Rule: the tick preempts after the slice, or after min_granularity when
    /// the running task leads by more than its slice.
    #[test]
    fn the_tick_preempts_after_the_slice_or_a_large_lead() {
        let p = Policy::default();
        let ms = MS as i64;
        assert!(!p.tick_preempts(3 * MS, 3 * MS, 0, 0));
        assert!(p.tick_preempts(3 * MS + 1, 3 * MS, 0, 0));
        assert!(
            !p.tick_preempts(MS / 2, 3 * MS, 10 * ms, 0),
            "below min_granularity"
        );
        assert!(p.tick_preempts(MS, 3 * MS, 10 * ms, 0));
        let cpu = p.cpu_until_tick_preempts(0, 3 * MS, 0, 1024, 0);
        assert_eq!(cpu, 3 * MS + 1);
        assert!(p.tick_preempts(cpu, 3 * MS, vdelta(cpu, 1024), 0));
    }

    /// Rule: ticks fall on a fixed grid.
    #[test]
    fn ticks_fall_on_their_grid() {
        assert_eq!(tick_at_or_after(0, 4 * MS, MS), MS);
        assert_eq!(tick_at_or_after(MS, 4 * MS, MS), MS);
        assert_eq!(tick_at_or_after(MS + 1, 4 * MS, MS), 5 * MS);
        assert_eq!(tick_at_or_after(7, 0, 3), 7);
    }
}
