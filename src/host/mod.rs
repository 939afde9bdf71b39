//! The CPU each node runs on (model.md §2): one work item at a time, each costing
//! CPU time; running or parked; a bounded receive buffer while it cannot keep up.
//!
//! The host knows nothing of the event queue: the engine offers it work and asks
//! what to do next ([`Host::next`]): start an item now, wake up later, or idle.
//!
//! Ordering rule (fixed by the model): among pending work, local items (expired
//! timers, failed TCP sends) run before received packets — the Go runtime checks
//! timers before polling the network — and each class runs in arrival order. So
//! after a parked stretch a probe timer observes its deadline passed even if the
//! ack it awaited sits in the buffer.
//!
//! The receive buffer bound applies to every packet waiting for the handler,
//! whether the host is parked or merely busy (both are the kernel socket buffer
//! filling up); overflow drops the arriving packet.

pub mod cfs;
pub mod contention;
pub mod credits;
pub mod handler;
mod machine;
mod park;
pub mod schedule;

use std::collections::VecDeque;

use crate::protocol::{Nanos, Packet, Timer};
use crate::random::{Dist, Stream};

pub use contention::{CfsQueue, ContentionSpec};
pub use credits::Credits;
pub use handler::{HandlerStage, Listen, Stage};
pub use machine::{HostInput, HostOutput, HostTimer};
pub use park::{ParkSource, PauseGen};
pub use schedule::Schedule;

/// Something local for the node to do: not subject to the receive buffer.
#[derive(Debug)]
pub enum Local {
    Timer(Timer),
    /// A TCP message could not be delivered (handed back to the sender).
    SendFailed(Packet),
}

/// A work item picked for execution.
#[derive(Debug)]
pub enum Work {
    Local(Local),
    Packet(Packet),
}

/// What the host wants next.
#[derive(Debug)]
pub enum Next {
    /// Start this item now.
    Start(Work),
    /// Work is pending but the host is busy or parked until this instant.
    WakeAt(Nanos),
    /// Nothing pending.
    Idle,
}

/// A sampled per-item effect (slow, starve) with its window and random stream.
#[derive(Clone, Debug)]
pub struct Sampled {
    pub from: Nanos,
    pub until: Nanos,
    pub dist: Dist,
    pub stream: Stream,
}

impl Sampled {
    fn active(&self, t: Nanos) -> bool {
        self.from <= t && t < self.until
    }
}

/// The credits model attached to a host, with its throttle source.
#[derive(Clone, Debug)]
pub struct CreditHost {
    pub credits: Credits,
    /// Index of its periodic source in the schedule.
    pub source: usize,
    /// Window of the fault (the model starts at `from`).
    pub from: Nanos,
    pub until: Nanos,
    /// Token of the currently valid exhaustion check (older ones are stale).
    pub check_token: u32,
    /// When the valid check is scheduled.
    pub check_at: Nanos,
}

/// One node's CPU. Its fields are its own: the engine drives it through
/// [`Host::handle`], the install hooks that fault kinds call ([`Host::add_park_source`],
/// [`Host::install_credits`], …) and the work-queue methods below.
#[derive(Debug, Default)]
pub struct Host {
    schedule: Schedule,
    slow: Vec<Sampled>,
    starve: Vec<Sampled>,
    credit: Option<Box<CreditHost>>,
    /// A neighbour process sharing the vCPU under CFS (guest contention).
    /// One run queue per contention window, sorted by window.
    contention: Vec<CfsQueue>,
    /// The schedule source of the timeline's pauses, once there is one.
    pause_source: Option<usize>,
    /// Last starve delivery instant: starved packets keep their order.
    starve_last: Nanos,
    local: VecDeque<Local>,
    packets: VecDeque<Packet>,
    buffered_bytes: u32,
    capacity: u32,
    busy_until: Nanos,
    wake_at: Option<Nanos>,
    /// When memberlist's packet handler runs relative to the listener.
    handler: HandlerStage,
}

impl Host {
    pub fn new(recv_buffer_bytes: u32) -> Host {
        Host {
            capacity: recv_buffer_bytes,
            ..Host::default()
        }
    }

    /// True when some fault can change this host's timing (it gets host samples).
    pub fn has_cpu_model(&self) -> bool {
        !self.schedule.always_runs()
            || !self.slow.is_empty()
            || !self.starve.is_empty()
            || self.credit.is_some()
            || !self.contention.is_empty()
    }

    /// Drop all pending work (the process died); the host is free at `now`.
    pub fn reset(&mut self, now: Nanos) {
        self.local.clear();
        self.packets.clear();
        self.buffered_bytes = 0;
        self.busy_until = now;
        self.wake_at = None;
        self.starve_last = now;
        self.handler.reset();
        for q in self.contention.iter_mut() {
            q.restart(now);
        }
    }

    pub fn push_local(&mut self, item: Local) {
        self.local.push_back(item);
    }

    /// Whether a packet of `bytes` fits the receive buffer beside what it holds.
    pub fn fits(&self, bytes: u32) -> bool {
        u64::from(self.buffered_bytes) + u64::from(bytes) <= u64::from(self.capacity)
    }

    /// Whether an item arriving at `now` would start at once: nothing is
    /// queued ahead of it, the CPU is free, and the schedule never parks the
    /// host, so [`Self::next`] would hand it straight back. The engine then
    /// runs it without the round trip through the queue, whose slot is a cold
    /// cache line in a large cluster (reading it back was most of `next`'s
    /// time in a profile of a starved 1,000-node run). The same item starts
    /// at the same instant, and a schedule that can park the host is not
    /// asked here (asking walks it), so nothing a run computes changes.
    pub fn starts_at_once(&self, now: Nanos) -> bool {
        self.local.is_empty()
            && self.packets.is_empty()
            && self.busy_until <= now
            && self.schedule.always_runs()
    }

    /// Ask for the lines that handing this host its next input reads first
    /// (its queues, CPU and schedule, which tell whether the input starts at
    /// once; its starvation windows; its pending wake-up; its handler
    /// stage), without reading them ([`crate::prefetch`]): the
    /// engine calls this one event ahead, as a large cluster's hosts do not
    /// stay in cache. The fields, not fixed offsets, so that it follows the
    /// layout the compiler picks.
    #[inline(always)]
    pub fn warm(&self) {
        use crate::prefetch::prefetch;
        prefetch(&self.local);
        prefetch(&self.packets);
        prefetch(&self.busy_until);
        prefetch(&self.schedule);
        prefetch(&self.starve);
        prefetch(&self.wake_at);
        prefetch(&self.handler);
    }

    /// Queue a received packet; hands it back if the receive buffer is full.
    pub fn push_packet(&mut self, packet: Packet) -> Result<(), Packet> {
        if !self.fits(packet.bytes) {
            return Err(packet);
        }
        self.buffered_bytes += packet.bytes;
        self.packets.push_back(packet);
        Ok(())
    }

    pub fn pending(&self) -> usize {
        self.local.len() + self.packets.len()
    }

    pub fn buffered_bytes(&self) -> u32 {
        self.buffered_bytes
    }

    /// What to do at `now`: local items before packets, each in arrival order.
    ///
    /// [`Self::starts_at_once`] answers, without taking anything, when this
    /// would hand a newly arrived item straight back: a new condition here
    /// that holds an item back must hold it back there too.
    pub fn next(&mut self, now: Nanos) -> Next {
        if self.local.is_empty() && self.packets.is_empty() {
            return Next::Idle;
        }
        if self.busy_until > now {
            return Next::WakeAt(self.busy_until);
        }
        if !self.schedule.always_runs() && !self.schedule.is_running(now) {
            return Next::WakeAt(self.schedule.next_running(now));
        }
        if let Some(l) = self.local.pop_front() {
            return Next::Start(Work::Local(l));
        }
        match self.packets.pop_front() {
            Some(p) => {
                self.buffered_bytes -= p.bytes;
                Next::Start(Work::Packet(p))
            }
            None => Next::Idle,
        }
    }

    /// Give the packet handler goroutine its scheduling (`host.other_core_idle`).
    pub fn install_handler(&mut self, handler: HandlerStage) {
        self.handler = handler;
    }

    /// False when the packet handler always keeps up with the listener
    /// (`other_core_idle` 1), so every packet is applied as it is read.
    pub fn handler_may_lag(&self) -> bool {
        self.handler.may_lag()
    }

    /// The listener starts a packet just taken from the buffer: does the
    /// handler apply its state messages (`wakes`: it has some) right after, or
    /// queue them behind the packets still waiting? See [`handler`].
    pub fn listen(&mut self, now: Nanos, wakes: bool) -> Listen {
        let backlog = !self.packets.is_empty();
        self.handler.listen(now, backlog, wakes)
    }

    /// The CPU cost of an item at `now`: a `slow` fault replaces the default cost.
    pub fn cost(&mut self, now: Nanos, default: Nanos) -> Nanos {
        match self.slow.iter_mut().find(|s| s.active(now)) {
            Some(s) => s.dist.sample(&mut s.stream),
            None => default,
        }
    }

    /// The starve delay of a packet arriving at `now` (None when not starved); the
    /// delivery instant never precedes an earlier starved packet's (FIFO).
    pub fn starve_until(&mut self, now: Nanos) -> Option<Nanos> {
        let s = self.starve.iter_mut().find(|s| s.active(now))?;
        let at = now
            .saturating_add(s.dist.sample(&mut s.stream))
            .max(self.starve_last);
        self.starve_last = at;
        Some(at)
    }

    /// Record that a wake-up at `t` is wanted; true if the engine must schedule
    /// one (none already scheduled at or before `t`).
    pub fn want_wake(&mut self, t: Nanos) -> bool {
        match self.wake_at {
            Some(w) if w <= t => false,
            _ => {
                self.wake_at = Some(t);
                true
            }
        }
    }

    /// A wake-up event fired at `now`.
    pub fn woke(&mut self, now: Nanos) {
        if self.wake_at.is_some_and(|w| w <= now) {
            self.wake_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Body, PartsKind, Transport, MS};

    fn pkt(seq: u32, bytes: u32) -> Packet {
        Packet {
            from: 1,
            to: 0,
            transport: Transport::Udp,
            body: Body::Ack { seq },
            parts: Vec::new(),
            parts_kind: PartsKind::Broadcasts,
            bytes,
        }
    }

    fn drain(h: &mut Host, mut now: Nanos, cost: Nanos) -> Vec<String> {
        let mut order = Vec::new();
        loop {
            match h.next(now) {
                Next::Start(w) => {
                    order.push(match w {
                        Work::Local(Local::Timer(t)) => format!("timer {t:?}"),
                        Work::Local(Local::SendFailed(_)) => "failed".into(),
                        Work::Packet(p) => format!("packet {:?}", p.body),
                    });
                    now = h.begin(now, cost, &mut Vec::new());
                }
                Next::WakeAt(t) => now = t,
                Next::Idle => return order,
            }
        }
    }

    /// Rule: when a parked host resumes, expired timers run before buffered
    /// packets, then packets in arrival order.
    #[test]
    fn parked_host_runs_timers_before_buffered_packets() {
        let mut h = Host::new(212_992);
        h.schedule.sources.push(ParkSource::Intervals {
            list: VecDeque::from(vec![(0, 100 * MS)]),
            gen: None,
        });
        h.push_packet(pkt(1, 50)).expect("fits");
        h.push_local(Local::Timer(Timer::ProbeDirectTimeout { seq: 7 }));
        h.push_packet(pkt(2, 50)).expect("fits");
        h.push_local(Local::Timer(Timer::ProbeWindowEnd { seq: 7 }));
        assert!(matches!(h.next(10 * MS), Next::WakeAt(t) if t == 100 * MS));
        let order = drain(&mut h, 100 * MS, 10_000);
        assert_eq!(
            order,
            vec![
                "timer ProbeDirectTimeout { seq: 7 }",
                "timer ProbeWindowEnd { seq: 7 }",
                "packet Ack { seq: 1 }",
                "packet Ack { seq: 2 }",
            ]
        );
    }

    /// Rule: the receive buffer holds at most `recv_buffer_bytes`; overflow drops.
    #[test]
    fn receive_buffer_overflow_drops() {
        let mut h = Host::new(1000);
        for i in 0..10 {
            assert!(h.push_packet(pkt(i, 100)).is_ok(), "packet {i} fits");
        }
        assert!(h.push_packet(pkt(10, 1)).is_err(), "buffer full");
        assert!(matches!(h.next(0), Next::Start(_)));
        assert!(
            h.push_packet(pkt(11, 100)).is_ok(),
            "room after one was taken"
        );
    }

    /// Rule: a busy host queues new items until the running one finishes.
    #[test]
    fn busy_host_queues_work() {
        let mut h = Host::new(1000);
        h.push_packet(pkt(1, 10)).expect("fits");
        assert!(matches!(h.next(0), Next::Start(_)));
        assert_eq!(h.begin(0, 5 * MS, &mut Vec::new()), 5 * MS);
        h.push_packet(pkt(2, 10)).expect("fits");
        assert!(matches!(h.next(MS), Next::WakeAt(t) if t == 5 * MS));
        assert!(matches!(h.next(5 * MS), Next::Start(_)));
    }

    /// Rule: an item starts at once (the engine may skip the queue) exactly
    /// when `next` would hand it straight back: nothing queued ahead, the CPU
    /// free, and a schedule that never parks; any other host queues it.
    #[test]
    fn an_item_starts_at_once_only_when_next_would_start_it() {
        let mut h = Host::new(1000);
        assert!(h.starts_at_once(0), "an idle host");
        h.push_packet(pkt(1, 10)).expect("fits");
        assert!(!h.starts_at_once(0), "a packet is queued ahead");
        assert!(matches!(h.next(0), Next::Start(_)));
        assert!(h.starts_at_once(0), "the queue is empty again");
        h.push_local(Local::Timer(Timer::ProbeWindowEnd { seq: 1 }));
        assert!(!h.starts_at_once(0), "a timer is queued ahead");
        assert!(matches!(h.next(0), Next::Start(_)));
        assert_eq!(h.begin(0, 5 * MS, &mut Vec::new()), 5 * MS);
        assert!(!h.starts_at_once(MS), "the CPU is busy");
        assert!(h.starts_at_once(5 * MS), "free again when the item ends");
        h.schedule.sources.push(ParkSource::Intervals {
            list: VecDeque::from(vec![(10 * MS, 20 * MS)]),
            gen: None,
        });
        assert!(
            !h.starts_at_once(5 * MS),
            "a schedule that can park is asked by `next`, not here"
        );
        assert!(!h.fits(1001), "larger than the receive buffer");
        assert!(h.fits(1000));
    }
}
