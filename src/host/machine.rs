//! The host as a state machine: the engine hands it inputs (its own timers
//! coming due, a process restart, a work item to run) and applies what comes
//! out (timers to queue, the CPU cap switching on or off); it never writes the
//! host's fields. Fault kinds (`scenario::fault`) install themselves through
//! the narrow hooks below (a park source, a sampled cost or delay, the credits
//! model), so the CPU state — credits, throttle, pauses, slow, starve — has
//! one owner.

use crate::protocol::Nanos;
use crate::random::Stream;
use crate::scenario::CreditSpec;

use super::{CreditHost, Credits, Host, ParkSource, Sampled};

/// A host's own timer: the engine queues it and hands it back when due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostTimer {
    /// Is the credit balance exhausted now? (stale unless `token` is current)
    CreditCheck { token: u32 },
    /// The background load of the credits model changes step.
    CreditStep,
    /// The credits fault's window ends.
    CreditEnd,
}

/// An input to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostInput {
    Timer(HostTimer),
    /// The process was restarted (a stopped and started T2 gets fresh launch credits).
    Restart,
}

/// What the host asks of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOutput {
    /// Hand this timer back at this instant.
    At(Nanos, HostTimer),
    /// The credit cap now holds the host to baseline (`true`) or no longer does.
    Throttled(bool),
}

impl Host {
    /// Add a source of parked time to the schedule (a fault's cap or
    /// pauses); returns its index.
    pub fn add_park_source(&mut self, source: ParkSource) -> usize {
        self.schedule.sources.push(source);
        self.schedule.sources.len() - 1
    }

    /// A `slow` cost over its window: it replaces the default cost of items.
    pub fn add_slow(&mut self, slow: Sampled) {
        self.slow.push(slow);
    }

    /// A `starve` delay over its window: received packets wait this long.
    pub fn add_starve(&mut self, starve: Sampled) {
        self.starve.push(starve);
    }

    /// Install the credits model over `[from, until)`, held to baseline at a
    /// random phase from `stream`; `out` gets the timers it needs.
    pub fn install_credits(
        &mut self,
        spec: &CreditSpec,
        from: Nanos,
        until: Nanos,
        mut stream: Stream,
        out: &mut Vec<HostOutput>,
    ) {
        if self.credit.is_some() {
            return; // one credit model per host: the first wins
        }
        let credits = Credits::new(spec, from, true);
        let phase = stream.duration_below(spec.period.max(1));
        // With a contention fault the neighbour is modelled: the two tasks
        // share the VM's whole baseline slice.
        let run = match self.contention.is_empty() {
            false => credits.vm_run_slice(),
            true => credits.node_run_slice(),
        };
        let source = self.add_park_source(ParkSource::periodic(spec.period, run, phase, None));
        if let Some(step) = credits.next_step_at() {
            out.push(HostOutput::At(step, HostTimer::CreditStep));
        }
        let check = credits.predict_exhaustion();
        self.credit = Some(Box::new(CreditHost {
            credits,
            source,
            from,
            until,
            check_token: 0,
            check_at: check.unwrap_or(Nanos::MAX),
        }));
        if let Some(at) = check {
            out.push(HostOutput::At(at, HostTimer::CreditCheck { token: 0 }));
        }
        if until != Nanos::MAX {
            out.push(HostOutput::At(until, HostTimer::CreditEnd));
        }
    }

    /// A timeline pause parks the host over `[start, end)` (known in advance, so a
    /// work item in progress is stretched by it too).
    pub fn add_pause(&mut self, start: Nanos, end: Nanos) {
        let idx = *self.pause_source.get_or_insert_with(|| {
            self.schedule.sources.push(ParkSource::Intervals {
                list: Default::default(),
                gen: None,
            });
            self.schedule.sources.len() - 1
        });
        self.schedule.add_interval(idx, start, end);
    }

    /// One input at `now`.
    pub fn handle(&mut self, now: Nanos, input: HostInput, out: &mut Vec<HostOutput>) {
        match input {
            HostInput::Timer(HostTimer::CreditCheck { token }) => {
                self.credit_check(now, token, out)
            }
            HostInput::Timer(HostTimer::CreditStep) => self.credit_step(now, out),
            HostInput::Timer(HostTimer::CreditEnd) => {
                self.set_throttled(now, false, out);
                if let Some(ch) = self.credit.as_deref_mut() {
                    ch.credits.advance(now);
                    ch.credits.ended = true;
                    ch.check_token = ch.check_token.wrapping_add(1);
                }
            }
            HostInput::Restart => self.restart_credits(now, out),
        }
    }

    /// Start an item of `cost` at `now` (charged to the credits); returns its
    /// finish instant.
    #[inline]
    pub fn begin(&mut self, now: Nanos, cost: Nanos, out: &mut Vec<HostOutput>) -> Nanos {
        let finish = match self.contention.iter_mut().find(|q| q.until > now) {
            Some(q) => q.finish(&mut self.schedule, now, cost),
            None => self.schedule.finish(now, cost),
        };
        self.busy_until = finish;
        if self.credit.is_some() {
            self.spend_credits(now, cost, out);
        }
        finish
    }

    /// Charge an item's CPU to the credits; an earlier exhaustion is rechecked.
    fn spend_credits(&mut self, now: Nanos, cost: Nanos, out: &mut Vec<HostOutput>) {
        if let Some(ch) = self.credit.as_deref_mut().filter(|ch| now >= ch.from) {
            ch.credits.spend(now, cost);
            let earlier = ch
                .credits
                .predict_exhaustion()
                .is_some_and(|p| p.saturating_add(1_000_000) < ch.check_at);
            if earlier {
                self.credit_reschedule(now, out);
            }
        }
    }

    /// The earliest instant a host timer is pending for (the credit check; the
    /// background steps and the window's end are handed out once, when known).
    pub fn next_deadline(&self) -> Option<Nanos> {
        self.credit
            .as_deref()
            .map(|ch| ch.check_at)
            .filter(|&t| t != Nanos::MAX)
    }

    /// For a host sample over `[from, now)`: the credit balance (None without a
    /// credits fault) and the time parked; forgets schedule history before `from`.
    pub fn sample(&mut self, now: Nanos, from: Nanos) -> (Option<f64>, Nanos) {
        let credits = self.credit.as_deref_mut().map(|ch| {
            ch.credits.advance(now);
            ch.credits.balance()
        });
        let parked = self.schedule.parked_between(from, now);
        self.schedule.prune(from);
        (credits, parked)
    }

    /// Schedule-walk steps since the last call, and whether a walk was truncated.
    pub fn take_steps(&mut self) -> (u64, bool) {
        let (mut steps, mut truncated) = (self.schedule.take_steps(), self.schedule.truncated);
        for q in self.contention.iter_mut() {
            steps += q.take_steps();
            truncated |= q.truncated;
        }
        (steps, truncated)
    }

    /// (Re)schedule the credit exhaustion check from the current state.
    fn credit_reschedule(&mut self, now: Nanos, out: &mut Vec<HostOutput>) {
        let Some(ch) = self.credit.as_deref_mut() else {
            return;
        };
        ch.check_token = ch.check_token.wrapping_add(1);
        match ch.credits.predict_exhaustion() {
            Some(at) => {
                ch.check_at = at.max(now);
                let token = ch.check_token;
                out.push(HostOutput::At(
                    at.max(now),
                    HostTimer::CreditCheck { token },
                ));
            }
            None => ch.check_at = Nanos::MAX,
        }
    }

    fn set_throttled(&mut self, now: Nanos, on: bool, out: &mut Vec<HostOutput>) {
        let Some(ch) = self.credit.as_deref_mut() else {
            return;
        };
        if ch.credits.throttled == on {
            return;
        }
        ch.credits.throttled = on;
        if on {
            ch.credits.launch = 0.0;
            ch.credits.earned = 0.0;
            self.schedule.open_window(ch.source, now);
        } else {
            self.schedule.close_window(ch.source, now);
        }
        out.push(HostOutput::Throttled(on));
    }

    /// A restarted T2 starts over with fresh launch credits (accrued ones are lost).
    fn restart_credits(&mut self, now: Nanos, out: &mut Vec<HostOutput>) {
        if self.credit.is_none() {
            return;
        }
        self.set_throttled(now, false, out);
        if let Some(ch) = self.credit.as_deref_mut() {
            if now >= ch.from && now < ch.until {
                let spec = ch.credits.spec.clone();
                ch.credits = Credits::new(&spec, now, false);
            }
        }
        self.credit_reschedule(now, out);
    }

    fn credit_check(&mut self, now: Nanos, token: u32, out: &mut Vec<HostOutput>) {
        let Some(ch) = self.credit.as_deref_mut() else {
            return;
        };
        if ch.check_token != token {
            return;
        }
        ch.credits.advance(now);
        if ch.credits.exhausted() && !ch.credits.below_baseline() {
            ch.check_at = Nanos::MAX;
            self.set_throttled(now, true, out);
        } else {
            self.credit_reschedule(now, out);
        }
    }

    fn credit_step(&mut self, now: Nanos, out: &mut Vec<HostOutput>) {
        let Some(ch) = self.credit.as_deref_mut() else {
            return;
        };
        ch.credits.step(now);
        let next = ch.credits.next_step_at();
        let recover = ch.credits.throttled && ch.credits.below_baseline();
        if let Some(t) = next {
            out.push(HostOutput::At(t.max(now), HostTimer::CreditStep));
        }
        if recover {
            self.set_throttled(now, false, out);
        }
        self.credit_reschedule(now, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::credits::tests::t2_micro;
    use crate::protocol::SEC;
    use crate::random::StreamId;

    /// Drive `host`'s own timers until `until` (as the engine would).
    fn run_timers(
        host: &mut Host,
        mut pending: Vec<HostOutput>,
        until: Nanos,
    ) -> Vec<(Nanos, bool)> {
        let mut throttles = Vec::new();
        loop {
            pending.sort_by_key(|o| match o {
                HostOutput::At(t, _) => *t,
                HostOutput::Throttled(_) => 0,
            });
            let Some(i) = pending
                .iter()
                .position(|o| matches!(o, HostOutput::At(t, _) if *t <= until))
            else {
                return throttles;
            };
            let HostOutput::At(at, timer) = pending.remove(i) else {
                unreachable!()
            };
            let mut out = Vec::new();
            host.handle(at, HostInput::Timer(timer), &mut out);
            for o in out {
                match o {
                    HostOutput::Throttled(on) => throttles.push((at, on)),
                    at => pending.push(at),
                }
            }
        }
    }

    /// Rule: the host alone decides when its credits run out and caps itself
    /// (`Throttled(true)` at ≈ 33.3 min for a t2.micro with a 100 % hog); a
    /// restart gives fresh launch credits and lifts the cap at once.
    #[test]
    fn credit_cap_is_the_hosts_own_decision_and_a_restart_lifts_it() {
        let mut host = Host::new(1 << 20);
        let mut out = Vec::new();
        let stream = Stream::new(1, StreamId::Fault { fault: 0, node: 0 });
        host.install_credits(&t2_micro(1.0, false), 0, Nanos::MAX, stream, &mut out);
        assert!(
            host.next_deadline().is_some(),
            "an exhaustion check is pending"
        );
        let throttles = run_timers(&mut host, out, 40 * 60 * SEC);
        assert_eq!(throttles.len(), 1, "{throttles:?}");
        let (at, on) = throttles[0];
        assert!(
            on && (at as f64 / 60e9 - 33.33).abs() < 0.1,
            "capped at {at}"
        );
        let mut out = Vec::new();
        host.handle(40 * 60 * SEC, HostInput::Restart, &mut out);
        assert_eq!(out.first(), Some(&HostOutput::Throttled(false)));
        assert!(out
            .iter()
            .any(|o| matches!(o, HostOutput::At(_, HostTimer::CreditCheck { .. }))));
    }
}
