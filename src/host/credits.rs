//! AWS burstable-instance CPU credits (model.md §2, incidents.md §2).
//!
//! The balance is piecewise linear between events: between two background-load
//! steps the spend rate is constant, and the node's own work is deducted in
//! lumps as each work item runs. So the balance is advanced lazily to any instant
//! and the exhaustion instant is *predicted* and scheduled as one event, instead
//! of ticking every millisecond.
//!
//! Modelling choices (model.md leaves them open):
//! - A credit is one vCPU-minute; `earn_per_hour` accrues continuously into the
//!   earned balance (capped at `cap`); spending takes launch credits first.
//! - While running free, background load and node work do not compete for the CPU
//!   (a fair scheduler gives a tiny handler its share at once); only the credit
//!   spend of both is counted.
//! - Held to baseline (balance zero, Standard mode) the host runs `baseline·period`
//!   of every `period` (the Xen-style cap) and the node gets HALF of each run slice:
//!   the background hog is always runnable while throttled (throttling only
//!   happens when it wants at least the baseline), and a fair CPU scheduler splits
//!   the slice between the two runnable tasks. The balance stays at zero.
//! - Throttling ends when the background load steps below the baseline (earnings
//!   then exceed spending, so the balance turns positive at once). The node's own
//!   work is ignored for that decision: an idle agent is far below the baseline.
//! - `unlimited`: never throttled; the balance goes negative (surplus credits).

use crate::protocol::Nanos;
use crate::scenario::CreditSpec;

/// Nanoseconds in a minute: a credit is one vCPU for one minute.
const NS_PER_MINUTE: f64 = 60e9;
const NS_PER_HOUR: f64 = 3600e9;

#[derive(Clone, Debug)]
pub struct Credits {
    pub spec: CreditSpec,
    /// Launch credits left (spent first, not capped).
    pub launch: f64,
    /// Earned credits (capped at `spec.cap`; negative = surplus in unlimited mode).
    pub earned: f64,
    /// Instant the balance was last advanced to.
    pub at: Nanos,
    /// Current background demand, vCPUs.
    pub background: f64,
    /// Index of the next background step in `spec.background_load`.
    pub next_step: usize,
    /// Held to baseline right now.
    pub throttled: bool,
    /// The fault window ended: no more throttling.
    pub ended: bool,
}

impl Credits {
    /// A fresh instance at `now` (launch credits, and `initial_earned` if `first`).
    pub fn new(spec: &CreditSpec, now: Nanos, first: bool) -> Credits {
        let mut c = Credits {
            spec: spec.clone(),
            launch: spec.launch_credits,
            earned: if first {
                spec.initial_earned.min(spec.cap)
            } else {
                0.0
            },
            at: now,
            background: 0.0,
            next_step: 0,
            throttled: false,
            ended: false,
        };
        c.apply_steps(now);
        c
    }

    /// Catch up with background steps due at or before `t` (without accounting).
    fn apply_steps(&mut self, t: Nanos) {
        while let Some(&(from, load)) = self.spec.background_load.get(self.next_step) {
            if from > t {
                break;
            }
            self.background = load.max(0.0);
            self.next_step += 1;
        }
    }

    /// Instant of the next background step, if any.
    pub fn next_step_at(&self) -> Option<Nanos> {
        self.spec
            .background_load
            .get(self.next_step)
            .map(|&(t, _)| t)
    }

    fn earn_per_ns(&self) -> f64 {
        self.spec.earn_per_hour / NS_PER_HOUR
    }

    fn spend_per_ns(&self) -> f64 {
        self.background / NS_PER_MINUTE
    }

    /// The vCPU demand at which spending equals earning (baseline of the instance).
    pub fn baseline_vcpus(&self) -> f64 {
        self.spec.earn_per_hour / 60.0
    }

    pub fn balance(&self) -> f64 {
        self.launch + self.earned
    }

    /// Advance the balance to `t` at the current rates.
    pub fn advance(&mut self, t: Nanos) {
        if t <= self.at {
            return;
        }
        let dt = (t - self.at) as f64;
        self.at = t;
        if self.throttled {
            // Held at zero: spends exactly what it earns.
            return;
        }
        let (e, s) = (self.earn_per_ns(), self.spend_per_ns());
        let cap = self.spec.cap;
        if self.launch >= s * dt {
            self.launch -= s * dt;
            self.earned = (self.earned + e * dt).min(cap.max(self.earned));
        } else {
            let t1 = if s > 0.0 { self.launch / s } else { dt };
            self.earned = (self.earned + e * t1).min(cap.max(self.earned));
            self.launch = 0.0;
            self.earned = (self.earned + (e - s) * (dt - t1)).min(cap.max(self.earned));
        }
        if !self.spec.unlimited && self.earned < 0.0 {
            self.earned = 0.0;
        }
    }

    /// Deduct `cpu` ns of the node's own work at `t`.
    pub fn spend(&mut self, t: Nanos, cpu: Nanos) {
        self.advance(t);
        if self.throttled {
            return;
        }
        let mut c = cpu as f64 / NS_PER_MINUTE;
        let from_launch = c.min(self.launch);
        self.launch -= from_launch;
        c -= from_launch;
        self.earned -= c;
        if !self.spec.unlimited && self.earned < 0.0 {
            self.earned = 0.0;
        }
    }

    /// Standard mode: the balance is gone (so the host must be held to baseline).
    pub fn exhausted(&self) -> bool {
        !self.spec.unlimited && !self.ended && self.balance() <= 1e-12
    }

    /// Standard mode: when the balance reaches zero at the current rates
    /// (`None` if it never does, or while already throttled).
    pub fn predict_exhaustion(&self) -> Option<Nanos> {
        if self.throttled || self.ended || self.spec.unlimited {
            return None;
        }
        let (e, s) = (self.earn_per_ns(), self.spend_per_ns());
        let mut dt = 0.0;
        let mut earned = self.earned;
        if self.launch > 0.0 {
            if s <= 0.0 {
                return None;
            }
            let t1 = self.launch / s;
            earned = (earned + e * t1).min(self.spec.cap.max(earned));
            dt += t1;
        }
        if s <= e {
            return None;
        }
        dt += earned / (s - e);
        let at = self.at as f64 + dt.ceil();
        Some(if at >= Nanos::MAX as f64 {
            Nanos::MAX
        } else {
            at as Nanos
        })
    }

    /// Apply the background step due at `t`; returns true if the load changed.
    pub fn step(&mut self, t: Nanos) -> bool {
        self.advance(t);
        let before = self.background;
        self.apply_steps(t);
        before != self.background
    }

    /// The background demand leaves room for earnings (throttling should end).
    pub fn below_baseline(&self) -> bool {
        self.background < self.baseline_vcpus()
    }

    /// Run slice of the node per `period` while throttled (half the baseline slice).
    pub fn node_run_slice(&self) -> Nanos {
        let per_vcpu = self.spec.baseline.clamp(0.0, 1.0);
        ((self.spec.period as f64) * per_vcpu * 0.5) as Nanos
    }

    /// Run slice of the whole VM per `period` while throttled (the baseline
    /// slice), for a host whose neighbour is modelled by a contention fault.
    pub fn vm_run_slice(&self) -> Nanos {
        let per_vcpu = self.spec.baseline.clamp(0.0, 1.0);
        ((self.spec.period as f64) * per_vcpu) as Nanos
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::SEC;

    pub(crate) fn t2_micro(background: f64, unlimited: bool) -> CreditSpec {
        CreditSpec {
            instance: "t2.micro".into(),
            vcpus: 1,
            baseline: 0.10,
            earn_per_hour: 6.0,
            cap: 144.0,
            launch_credits: 30.0,
            initial_earned: 0.0,
            background_load: vec![(0, background)],
            unlimited,
            period: 300_000_000,
        }
    }

    /// Rule: a t2.micro with 30 launch credits and a 100 % hog drains at
    /// 1 − 0.1 credit/min net: the balance is gone after 30 + 3/0.9 ≈ 33.3 min.
    #[test]
    fn credits_drain_at_the_computed_rate() {
        let c = Credits::new(&t2_micro(1.0, false), 0, true);
        let at = c.predict_exhaustion().expect("drains") as f64 / 60e9;
        assert!(
            (at - (30.0 + 3.0 / 0.9)).abs() < 1e-6,
            "exhausted at {at} min"
        );
        let mut c2 = c.clone();
        c2.advance(10 * 60 * SEC);
        assert!(
            (c2.balance() - (30.0 - 10.0 + 1.0)).abs() < 1e-9,
            "{}",
            c2.balance()
        );
    }

    /// Rule: at or below the baseline the balance never runs out.
    #[test]
    fn credits_do_not_drain_at_baseline() {
        let c = Credits::new(&t2_micro(0.05, false), 0, true);
        assert_eq!(c.predict_exhaustion(), None);
    }

    /// Rule: unlimited mode never throttles and reports surplus as a negative balance.
    #[test]
    fn unlimited_goes_negative() {
        let mut c = Credits::new(&t2_micro(1.0, true), 0, true);
        assert_eq!(c.predict_exhaustion(), None);
        c.advance(3600 * SEC);
        assert!(c.balance() < 0.0 && !c.exhausted(), "{}", c.balance());
    }
}
