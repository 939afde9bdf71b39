//! Guest CPU contention: a neighbour process inside the same VM shares the
//! vCPU with the agent under the Linux scheduler ([`super::cfs`]), so the
//! agent's work waits its turn — inside whatever share of a physical CPU the
//! hypervisor gives the VM ([`Schedule`]: throttle, credit cap, pauses).
//!
//! The model is a per-host state machine of two CFS tasks, the agent and the
//! neighbour: their vruntimes, `min_vruntime`, which one runs and for how long
//! since it was picked, and what the neighbour still wants in its current work
//! cycle. It is advanced lazily, only when the agent starts a work item
//! ([`CfsQueue::finish`]): first over the agent's sleep since its last item
//! (the neighbour alone on the CPU), then through the item itself, cut into
//! segments at every instant where something can change — the VM parks or
//! resumes, the neighbour wakes or sleeps, a scheduler tick may preempt, the
//! item completes. Time in a parked stretch gives CPU to nobody, and neither
//! vruntimes nor `min_vruntime` move in it, as in a guest whose vCPU is not
//! scheduled (steal time).
//!
//! The neighbour: `demand` 1 (busy) is always runnable, like a CPU hog. Below
//! 1 it wants `demand × cycle` of CPU in every `cycle` of wall-clock time (from
//! a random phase per host) and sleeps once it got it; what it could not get
//! within its cycle is dropped, not carried (a periodic job that skips a beat),
//! so its state is one cycle deep. In a VM held to 10 % it therefore still
//! wants more than the VM gets, and the two tasks split what there is.
//!
//! Cost: a work item walks O(1) segments plus one per park, neighbour cycle
//! boundary and preemption it spans (a 20 µs handler: a few steps; a 100 ms
//! item against a busy neighbour: ~2 per slice). The agent's sleep with a busy
//! neighbour is crossed in closed form ([`Schedule::parked_between`]); with a
//! partial neighbour it costs one step per cycle and park crossed. Every step
//! is counted in [`CfsQueue::steps`] and charged to the run's event budget
//! like the schedule's; a walk that reaches [`MAX_WALK`] steps stops and sets
//! [`CfsQueue::truncated`], which fails the run.
//!
//! Known simplifications: a process restart keeps the scheduler state up to the
//! instant the crashed item would have finished (an item in progress is not
//! rewound); the agent's own CPU spend for credits is what it ran, the
//! neighbour's spend is the credits fault's `background_load` (say the same
//! demand in both); with the credits model the VM's whole baseline slice goes
//! to the two tasks (the credits model alone gives the agent a fixed half).

use crate::protocol::Nanos;
use crate::random::Stream;

use super::cfs::{self, Policy};
use super::schedule::{Schedule, MAX_WALK};

/// A contention fault as the scenario gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentionSpec {
    /// Fraction of one vCPU the neighbour wants, in (0, 1]; 1 = always runnable.
    pub demand: f64,
    /// The neighbour's work cycle when `demand < 1`.
    pub cycle: Nanos,
    /// The neighbour's CFS weight (from its nice value, or given).
    pub neighbour_weight: u32,
    /// The agent's CFS weight.
    pub agent_weight: u32,
    pub policy: Policy,
}

impl Default for ContentionSpec {
    fn default() -> Self {
        ContentionSpec {
            demand: 1.0,
            cycle: 100_000_000,
            neighbour_weight: cfs::NICE_0_LOAD,
            agent_weight: cfs::NICE_0_LOAD,
            policy: Policy::default(),
        }
    }
}

/// One of the two tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    Agent = 0,
    Neighbour = 1,
}

impl Task {
    fn other(self) -> Task {
        match self {
            Task::Agent => Task::Neighbour,
            Task::Neighbour => Task::Agent,
        }
    }
}

/// What a walk is for: cross the agent's sleep up to an instant, or run the
/// agent until it has had `need` of CPU.
#[derive(Clone, Copy, Debug)]
enum Goal {
    Sleep { to: Nanos },
    Run { need: Nanos },
}

/// The two-task CFS run queue of one host.
#[derive(Clone, Debug)]
pub struct CfsQueue {
    spec: ContentionSpec,
    /// The neighbour exists over `[from, until)`.
    pub(super) from: Nanos,
    pub(super) until: Nanos,
    cycle_phase: Nanos,
    tick_phase: Nanos,
    /// The state below is as of this instant.
    at: Nanos,
    vruntime: [i64; 2],
    weight: [u32; 2],
    runnable: [bool; 2],
    min_vruntime: i64,
    curr: Option<Task>,
    /// CPU the running task has had since it was picked (`sum_exec_runtime −
    /// prev_sum_exec_runtime`).
    delta_exec: Nanos,
    /// CPU the neighbour still wants in its current cycle (`Nanos::MAX`: busy).
    neighbour_left: Nanos,
    /// The neighbour's next event (joins, new cycle, exits); `Nanos::MAX` if none.
    neighbour_next: Nanos,
    /// A tick fell while the VM was parked with both tasks runnable: it is
    /// delivered when the vCPU runs again.
    tick_owed: bool,
    /// The agent's next wake-up is a new process (after a restart).
    agent_fresh: bool,
    /// Walk steps since the engine last took them.
    pub steps: u64,
    /// A walk gave up after [`MAX_WALK`] steps.
    pub truncated: bool,
}

impl CfsQueue {
    /// The model for a fault over `[from, until)`; phases of the neighbour's
    /// cycle and of the tick grid are drawn from `stream`.
    pub fn new(spec: &ContentionSpec, from: Nanos, until: Nanos, stream: &mut Stream) -> Self {
        let cycle_phase = stream.duration_below(spec.cycle.max(1));
        let tick_phase = stream.duration_below(spec.policy.tick.max(1));
        CfsQueue {
            spec: spec.clone(),
            from,
            until,
            cycle_phase,
            tick_phase,
            at: 0,
            vruntime: [0; 2],
            weight: [spec.agent_weight, spec.neighbour_weight],
            runnable: [false; 2],
            min_vruntime: 0,
            curr: None,
            delta_exec: 0,
            neighbour_left: 0,
            neighbour_next: if from < until { from } else { Nanos::MAX },
            tick_owed: false,
            agent_fresh: false,
            steps: 0,
            truncated: false,
        }
    }

    fn busy(&self) -> bool {
        self.spec.demand >= 1.0
    }

    /// When an agent work item of `cost` CPU, started at `now` (a running
    /// instant, at or after the previous item's finish), completes.
    pub fn finish(&mut self, schedule: &mut Schedule, now: Nanos, cost: Nanos) -> Nanos {
        if now > self.at || !self.runnable[Task::Agent as usize] {
            // The agent slept since its last item finished (or never ran).
            self.dequeue(Task::Agent);
            self.walk(schedule, Goal::Sleep { to: now });
            self.wake_agent();
        }
        self.walk(schedule, Goal::Run { need: cost })
    }

    /// The agent's process died at `now`: it wakes as a new task next time.
    pub fn restart(&mut self, now: Nanos) {
        self.dequeue(Task::Agent);
        self.at = self.at.min(now);
        self.agent_fresh = true;
    }

    /// Walk steps since the last call (and reset the count).
    pub fn take_steps(&mut self) -> u64 {
        std::mem::take(&mut self.steps)
    }

    fn total_weight(&self) -> u64 {
        (0..2)
            .filter(|&i| self.runnable[i])
            .map(|i| u64::from(self.weight[i]))
            .sum()
    }

    fn v(&self, t: Task) -> i64 {
        self.vruntime[t as usize]
    }

    /// `update_min_vruntime`: never backwards, follows the smallest vruntime
    /// among the running and the waiting task.
    fn update_min_vruntime(&mut self) {
        let least = [Task::Agent, Task::Neighbour]
            .into_iter()
            .filter(|&t| self.runnable[t as usize])
            .map(|t| self.v(t))
            .min();
        if let Some(v) = least {
            self.min_vruntime = self.min_vruntime.max(v);
        }
    }

    fn dequeue(&mut self, t: Task) {
        self.runnable[t as usize] = false;
        if self.curr == Some(t) {
            self.curr = None;
        }
        self.update_min_vruntime();
    }

    /// Enqueue a waking (or new) task and apply wakeup preemption.
    fn enqueue(&mut self, t: Task, new: bool) {
        let i = t as usize;
        let total = self.total_weight() + u64::from(self.weight[i]);
        self.vruntime[i] = if new {
            self.spec
                .policy
                .place_new(self.min_vruntime, self.weight[i], total)
        } else {
            self.spec
                .policy
                .place_waking(self.vruntime[i], self.min_vruntime)
        };
        self.runnable[i] = true;
        if let Some(c) = self.curr {
            if c != t
                && self
                    .spec
                    .policy
                    .preempts_on_wakeup(self.v(c), self.v(t), self.weight[i])
            {
                self.switch_to(t);
            }
        }
    }

    fn wake_agent(&mut self) {
        let fresh = std::mem::take(&mut self.agent_fresh);
        self.enqueue(Task::Agent, fresh);
    }

    fn switch_to(&mut self, t: Task) {
        self.curr = Some(t);
        self.delta_exec = 0;
    }

    /// `pick_next_entity`: the smallest vruntime among the runnable tasks (on
    /// a tie the one not running, as the tree's leftmost wins over `curr`).
    fn pick(&mut self) {
        let candidates = [Task::Agent, Task::Neighbour];
        let mut best: Option<Task> = None;
        for t in candidates
            .into_iter()
            .filter(|&t| self.runnable[t as usize])
        {
            best = match best {
                None => Some(t),
                Some(b) if self.v(t) < self.v(b) => Some(t),
                Some(b) if self.v(t) == self.v(b) && self.curr == Some(b) => Some(t),
                keep => keep,
            };
        }
        match best {
            Some(t) => self.switch_to(t),
            None => self.curr = None,
        }
    }

    /// The neighbour's events due at or before `t`, in order.
    fn neighbour_events(&mut self, t: Nanos) {
        while self.neighbour_next <= t {
            let e = self.neighbour_next;
            self.steps += 1;
            if e >= self.until {
                self.dequeue(Task::Neighbour);
                self.neighbour_next = Nanos::MAX;
                continue;
            }
            let next = self.next_cycle_start(e).min(self.until);
            self.neighbour_left = if self.busy() {
                Nanos::MAX
            } else {
                ((next - e) as f64 * self.spec.demand) as Nanos
            };
            let joined = e == self.from && !self.runnable[Task::Neighbour as usize];
            if !self.runnable[Task::Neighbour as usize] && self.neighbour_left > 0 {
                self.enqueue(Task::Neighbour, joined);
            }
            self.neighbour_next = next;
        }
    }

    /// The first cycle boundary strictly after `t` (`Nanos::MAX` when busy).
    fn next_cycle_start(&self, t: Nanos) -> Nanos {
        if self.busy() {
            return Nanos::MAX;
        }
        let cycle = self.spec.cycle.max(1);
        let pos = (t - self.from + self.cycle_phase) % cycle;
        t.saturating_add(cycle - pos)
    }

    fn both_runnable(&self) -> bool {
        self.runnable[0] && self.runnable[1]
    }

    /// `check_preempt_tick` now, for the running task.
    fn tick_check(&mut self) {
        let Some(c) = self.curr else { return };
        if !self.both_runnable() {
            return;
        }
        let ideal = self
            .spec
            .policy
            .slice(self.weight[c as usize], self.total_weight());
        if self
            .spec
            .policy
            .tick_preempts(self.delta_exec, ideal, self.v(c), self.v(c.other()))
        {
            self.pick();
        }
    }

    /// The tick at which the running task will be preempted if it keeps running
    /// from `t` (None with one runnable task: the tick does not check then).
    fn tick_preemption(&self, t: Nanos) -> Option<Nanos> {
        let c = self.curr?;
        if !self.both_runnable() {
            return None;
        }
        let p = &self.spec.policy;
        let ideal = p.slice(self.weight[c as usize], self.total_weight());
        let cpu = p.cpu_until_tick_preempts(
            self.delta_exec,
            ideal,
            self.v(c),
            self.weight[c as usize],
            self.v(c.other()),
        );
        let due = t.saturating_add(cpu);
        Some(cfs::tick_at_or_after(due, p.tick, self.tick_phase))
    }

    /// Give `cpu` to the running task.
    fn account(&mut self, c: Task, cpu: Nanos) {
        let i = c as usize;
        self.vruntime[i] = self.vruntime[i].saturating_add(cfs::vdelta(cpu, self.weight[i]));
        self.delta_exec = self.delta_exec.saturating_add(cpu);
        if c == Task::Neighbour && self.neighbour_left != Nanos::MAX {
            self.neighbour_left -= cpu.min(self.neighbour_left);
        }
        self.update_min_vruntime();
    }

    /// True when a tick of the grid falls in `(a, b]`.
    fn tick_between(&self, a: Nanos, b: Nanos) -> bool {
        let tick = self.spec.policy.tick;
        b > a && (tick == 0 || cfs::tick_at_or_after(a + 1, tick, self.tick_phase) <= b)
    }

    /// Advance the state from `self.at` towards the goal; returns the instant
    /// reached (the item's finish for [`Goal::Run`]).
    fn walk(&mut self, schedule: &mut Schedule, goal: Goal) -> Nanos {
        let mut need = match goal {
            Goal::Run { need } => need,
            Goal::Sleep { .. } => 0,
        };
        let to = match goal {
            Goal::Sleep { to } => to,
            Goal::Run { .. } => Nanos::MAX,
        };
        for _ in 0..MAX_WALK {
            self.steps += 1;
            let t = self.at;
            if matches!(goal, Goal::Run { .. }) && need == 0 && self.curr == Some(Task::Agent) {
                return t;
            }
            self.neighbour_events(t);
            if matches!(goal, Goal::Sleep { .. }) && t >= to {
                return t;
            }
            if !schedule.is_running(t) {
                let resume = schedule.next_running(t);
                let stop = resume.min(self.neighbour_next).min(to);
                if stop == Nanos::MAX {
                    self.at = stop;
                    return stop;
                }
                if self.both_runnable() && self.tick_between(t, stop) {
                    self.tick_owed = true;
                }
                self.at = stop;
                continue;
            }
            if self.curr.is_none() {
                self.pick();
            }
            if std::mem::take(&mut self.tick_owed) {
                self.tick_check();
            }
            let Some(c) = self.curr else {
                // Nothing runnable (the agent asleep, the neighbour too).
                self.at = self.neighbour_next.min(to);
                continue;
            };
            if c == Task::Neighbour && !self.runnable[Task::Agent as usize] && self.busy() {
                // The busy neighbour alone until `to` or its window's edge:
                // it gets all the running time, counted in closed form.
                let end = to.min(self.neighbour_next);
                let ran = (end - t) - schedule.parked_between(t, end);
                self.account(c, ran);
                self.at = end;
                continue;
            }
            let limit = match c {
                Task::Agent => need,
                Task::Neighbour => self.neighbour_left,
            };
            let preempt = self.tick_preemption(t);
            let end = schedule
                .running_until(t)
                .min(self.neighbour_next)
                .min(to)
                .min(t.saturating_add(limit))
                .min(preempt.unwrap_or(Nanos::MAX));
            let ran = end - t;
            self.account(c, ran);
            if c == Task::Agent {
                need -= ran;
            }
            self.at = end;
            if c == Task::Neighbour && self.neighbour_left == 0 {
                self.dequeue(Task::Neighbour);
            } else if preempt == Some(end) && !(c == Task::Agent && need == 0) {
                self.tick_check();
            }
        }
        self.truncated = true;
        self.at
    }
}

#[cfg(test)]
mod tests;

impl super::Host {
    /// Install a contention fault over `[from, until)`. A node may have several
    /// with disjoint windows (the scenario refuses overlapping ones); each is
    /// its own run queue, used for the items that start before its window ends.
    /// With a credits model on the same host, the credit cap's run slice
    /// becomes the VM's whole baseline slice, which the neighbour and the agent
    /// now share under CFS.
    pub fn install_contention(
        &mut self,
        spec: &ContentionSpec,
        from: Nanos,
        until: Nanos,
        mut stream: Stream,
    ) {
        let queue = CfsQueue::new(spec, from, until, &mut stream);
        let at = self.contention.partition_point(|q| q.from < from);
        self.contention.insert(at, queue);
        if let Some(ch) = self.credit.as_deref() {
            let full = ch.credits.vm_run_slice();
            if let Some(super::ParkSource::Periodic { run, .. }) =
                self.schedule.sources.get_mut(ch.source)
            {
                *run = full;
            }
        }
    }
}
