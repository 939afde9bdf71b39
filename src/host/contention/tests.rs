use super::*;
use crate::host::ParkSource;
use crate::protocol::{MS, SEC};
use crate::random::StreamId;

const US: Nanos = 1_000;

fn spec(demand: f64, tick: Nanos) -> ContentionSpec {
    ContentionSpec {
        demand,
        policy: Policy {
            tick,
            ..Policy::default()
        },
        ..ContentionSpec::default()
    }
}

fn model(spec: &ContentionSpec, from: Nanos, until: Nanos) -> CfsQueue {
    let mut stream = Stream::new(5, StreamId::Fault { fault: 0, node: 0 });
    let mut c = CfsQueue::new(spec, from, until, &mut stream);
    // Fixed grids so the arithmetic below is exact.
    c.cycle_phase = 0;
    c.tick_phase = 0;
    c
}

fn free() -> Schedule {
    Schedule::default()
}

/// A VM capped to `run` of every `period` (phase 0).
fn throttled(period: Nanos, run: Nanos) -> Schedule {
    Schedule {
        sources: vec![ParkSource::periodic(period, run, 0, Some((0, Nanos::MAX)))],
        ..Default::default()
    }
}

/// Rule: an agent that slept wakes half a latency behind the neighbour and
/// preempts it at once: a 20 µs handler is not delayed at all.
#[test]
fn a_sleeping_agent_preempts_the_neighbour_on_wakeup() {
    let mut c = model(&spec(1.0, 4 * MS), 0, Nanos::MAX);
    let mut s = free();
    let now = 100 * MS;
    assert_eq!(c.finish(&mut s, now, 20 * US), now + 20 * US);
    assert_eq!(c.curr, Some(Task::Agent));
    // And again after a 10 ms sleep: the credit is renewed.
    let later = now + 10 * MS;
    assert_eq!(c.finish(&mut s, later, 20 * US), later + 20 * US);
}

/// Rule: two runnable nice-0 tasks alternate 3 ms slices (6 ms latency shared
/// by weight): a 30 ms item takes its 30 ms plus the neighbour's slices in
/// between — 3 ms up front on the sleeper credit, then 9 more turns each way.
#[test]
fn a_long_work_item_alternates_slices_with_a_busy_neighbour() {
    let mut c = model(&spec(1.0, 0), 0, Nanos::MAX);
    let mut s = free();
    let now = SEC;
    let took = c.finish(&mut s, now, 30 * MS) - now;
    assert!(
        (56 * MS..=58 * MS).contains(&took),
        "took {took} ns: 30 ms of own CPU + 9 neighbour slices of 3 ms"
    );
    // With the 4 ms tick of HZ=250 slices end on ticks: still about half the CPU.
    let mut c = model(&spec(1.0, 4 * MS), 0, Nanos::MAX);
    let took = c.finish(&mut s, now, 30 * MS) - now;
    assert!((50 * MS..=66 * MS).contains(&took), "took {took}");
}

/// Rule: a neighbour that wants half a vCPU sleeps part of each cycle, so a
/// long item waits less than against a busy one (and more than alone).
#[test]
fn a_neighbour_at_half_load_delays_less() {
    let mut total = [0; 2];
    for (i, demand) in [1.0, 0.5].into_iter().enumerate() {
        let mut c = model(&spec(demand, 4 * MS), 0, Nanos::MAX);
        let mut s = free();
        for k in 1..=20 {
            let now = k * 1_037 * MS;
            total[i] += c.finish(&mut s, now, 30 * MS) - now;
        }
    }
    let alone = 20 * 30 * MS;
    assert!(
        total[1] < total[0],
        "half {} vs busy {}",
        total[1],
        total[0]
    );
    assert!(total[1] > alone, "half {} vs alone {alone}", total[1]);
}

/// Rule: an agent that has just had its share gets no sleeper credit back
/// after a short sleep: it does not preempt on wake-up and waits for the
/// neighbour's slice to end on a tick.
#[test]
fn an_agent_that_just_ran_waits_for_the_next_tick() {
    let mut c = model(&spec(1.0, 4 * MS), 0, Nanos::MAX);
    let mut s = free();
    let first = c.finish(&mut s, SEC, 20 * MS);
    // Wake 100 µs after the item: the agent is level with the neighbour.
    let now = first + 100 * US;
    let done = c.finish(&mut s, now, 20 * US);
    assert!(done > now + 20 * US, "waited its turn: {}", done - now);
    assert!(
        done <= now + 4 * MS + 20 * US,
        "within one tick: {}",
        done - now
    );
    assert_eq!(done - 20 * US, cfs::tick_at_or_after(now, 4 * MS, 0));
}

/// Rule: while the VM is parked nobody runs and no vruntime moves: an item
/// that needs more than its share of a 30 ms run slice finishes in the next
/// slice, 270 ms later.
#[test]
fn parked_time_gives_cpu_to_nobody() {
    let mut c = model(&spec(1.0, 0), 0, Nanos::MAX);
    let mut s = throttled(300 * MS, 30 * MS);
    // Start of a run slice: the sleeper credit wins the first 3 ms.
    assert_eq!(c.finish(&mut s, 600 * MS, 100 * US), 600 * MS + 100 * US);
    // 20 ms of CPU at half the 30 ms slice cannot fit in this slice.
    let done = c.finish(&mut s, 1200 * MS, 20 * MS);
    assert!(
        (1500 * MS..1530 * MS).contains(&done),
        "finished in the next run slice: {done}"
    );
}

/// Rule: outside the fault's window there is no neighbour.
#[test]
fn the_neighbour_outside_its_window_takes_nothing() {
    let mut c = model(&spec(1.0, 4 * MS), SEC, 2 * SEC);
    let mut s = free();
    assert_eq!(c.finish(&mut s, 500 * MS, 10 * MS), 510 * MS);
    let during = c.finish(&mut s, 1500 * MS, 10 * MS) - 1500 * MS;
    assert!(during > 10 * MS, "contended inside: {during}");
    assert_eq!(c.finish(&mut s, 2500 * MS, 10 * MS), 2510 * MS);
}

/// Rule: weight sets the share: a nice −5 neighbour (3121) leaves a nice-0
/// agent about a quarter of the CPU, so a long item takes about 4× as long.
#[test]
fn a_heavier_neighbour_takes_a_larger_share() {
    let heavy = ContentionSpec {
        neighbour_weight: cfs::weight_of_nice(-5).expect("in range"),
        ..spec(1.0, 0)
    };
    let mut c = model(&heavy, 0, Nanos::MAX);
    let mut s = free();
    let took = c.finish(&mut s, SEC, 40 * MS) - SEC;
    let share = 40.0 * MS as f64 / took as f64;
    assert!((0.22..0.30).contains(&share), "agent share {share}");
}

/// Rule: a restarted agent is a new task, placed a slice after min_vruntime
/// (START_DEBIT): it does not preempt and waits for the neighbour's tick.
#[test]
fn a_restarted_agent_waits_like_a_new_task() {
    let mut c = model(&spec(1.0, 4 * MS), 0, Nanos::MAX);
    let mut s = free();
    c.finish(&mut s, SEC, 20 * US);
    c.restart(2 * SEC);
    let now = 3 * SEC + 100 * US;
    let done = c.finish(&mut s, now, 20 * US);
    assert_eq!(done, cfs::tick_at_or_after(now, 4 * MS, 0) + 20 * US);
}

/// Rule: the walk is bounded and counted: a short handler costs a few steps,
/// an hour of the agent asleep next to a busy neighbour on a throttled VM is
/// crossed in closed form.
#[test]
fn walk_steps_are_counted_and_stay_small() {
    let mut c = model(&spec(1.0, 4 * MS), 0, Nanos::MAX);
    let mut s = throttled(300 * MS, 30 * MS);
    c.finish(&mut s, 0, 20 * US);
    c.take_steps();
    c.finish(&mut s, 3600 * SEC, 20 * US);
    let steps = c.take_steps() + s.take_steps();
    assert!(steps < 50, "{steps} steps for an hour asleep");
    assert!(!c.truncated);
}

/// Rule: same inputs, same answers (no hidden state beyond the host's stream).
#[test]
fn the_model_is_deterministic() {
    let run = || {
        let mut stream = Stream::new(9, StreamId::Fault { fault: 1, node: 3 });
        let mut c = CfsQueue::new(&spec(0.7, 4 * MS), 0, Nanos::MAX, &mut stream);
        let mut s = throttled(100 * MS, 20 * MS);
        (1..50)
            .map(|k| c.finish(&mut s, k * 33 * MS + 20 * MS * (k % 3), 2 * MS))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// Rule: with a credits model on the host, a contention fault turns the credit
/// cap's run slice into the VM's whole baseline slice (30 ms of 300 ms for a
/// t2.micro), which the two tasks share; without one the agent keeps the
/// credits model's fixed half (15 ms).
#[test]
fn contention_shares_the_whole_credit_slice() {
    use crate::host::credits::tests::t2_micro;
    use crate::host::Host;
    let run_of = |host: &Host| match host.schedule.sources.first() {
        Some(ParkSource::Periodic { run, .. }) => *run,
        other => panic!("{other:?}"),
    };
    for contention_first in [false, true] {
        let mut host = Host::new(1 << 20);
        let stream = || Stream::new(1, StreamId::Fault { fault: 0, node: 0 });
        let mut out = Vec::new();
        if contention_first {
            host.install_contention(&spec(1.0, 4 * MS), 0, Nanos::MAX, stream());
        }
        host.install_credits(&t2_micro(1.0, false), 0, Nanos::MAX, stream(), &mut out);
        if !contention_first {
            assert_eq!(run_of(&host), 15 * MS, "credits alone: half the slice");
            host.install_contention(&spec(1.0, 4 * MS), 0, Nanos::MAX, stream());
        }
        assert_eq!(
            run_of(&host),
            30 * MS,
            "contention first: {contention_first}"
        );
    }
}
