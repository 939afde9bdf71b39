//! When memberlist's packet handler goroutine runs (memberlist.md §4.4).
//!
//! memberlist receives on two goroutines: the packet listener reads each
//! datagram, handles ping, ack and nack inline, and queues its state messages
//! for the packet handler, which it wakes (0.2.2 net.go `handleCommand` →
//! `handoffCh` → `packetHandler`). Whether the handler applies a packet's
//! messages before the listener reads the next packet is up to Go's
//! scheduler (runtime/proc.go):
//! - The woken handler goes to the listener's P's `runnext` slot, and `ready`
//!   calls `wakep`, which starts an idle P, if the process has one, to steal
//!   it and run it alongside the listener. It then keeps up: each packet's
//!   messages are applied as they are read.
//! - With no idle P (GOMAXPROCS 1, or the other P busy) the handler waits in
//!   `runnext` until the listener blocks on an empty socket, so a backlog is
//!   read whole before any of its state messages is applied, and the serving
//!   order (newest first since 2018) decides which comes first. Go preempts
//!   a goroutine after `forcePreemptNS` = 10 ms, so under a flood the
//!   handler still runs every 10 ms.
//!
//! Only a backlog (packets still waiting when the listener starts one) can
//! make the handler lag; a packet read from an otherwise empty buffer is
//! applied at once. `host.other_core_idle` is the share of such wake-ups
//! that find another core idle, drawn once per backlog from the host's own
//! stream. At its default 1 the handler always keeps up, which is what the
//! engine did before this stage existed, and nothing is drawn.
//!
//! Cost: unchanged. The listener's item still costs `packet_cost` plus
//! `per_part_cost` per state message; messages applied later cost nothing
//! more (their CPU was charged as they were read).

use crate::protocol::{Nanos, MS};
use crate::random::Stream;

/// Go's `forcePreemptNS` (runtime/proc.go `sysmon` → `retake`): a goroutine
/// running this long is preempted, so a waiting handler gets the CPU.
pub const PREEMPT_SLICE: Nanos = 10 * MS;

/// What becomes of the state messages of the packet the listener starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Applied right after the listener's part (the handler keeps up).
    Apply,
    /// Queued: the handler waits for the listener.
    Queue,
    /// Queued, then the handler applies everything queued: this was the last
    /// packet of the backlog, and the listener blocks.
    QueueThenServe,
}

/// The handler's turn for one packet the listener starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    /// The waiting handler was given the CPU by preemption before this packet:
    /// apply what is queued first.
    pub serve_first: bool,
    pub stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    /// Nothing queued; the next wake-up decides.
    Idle,
    /// Running on another core through this backlog.
    Alongside,
    /// Waiting on the listener's core since this instant.
    Waiting { since: Nanos },
}

/// The packet handler goroutine, as the host schedules it.
#[derive(Clone, Debug)]
pub struct HandlerStage {
    /// `host.other_core_idle`, and the stream that draws it when it is
    /// strictly between 0 and 1.
    other_core_idle: f64,
    stream: Option<Stream>,
    turn: Turn,
}

impl Default for HandlerStage {
    fn default() -> Self {
        HandlerStage {
            other_core_idle: 1.0,
            stream: None,
            turn: Turn::Idle,
        }
    }
}

impl HandlerStage {
    pub fn new(other_core_idle: f64, stream: Stream) -> HandlerStage {
        let draws = other_core_idle > 0.0 && other_core_idle < 1.0;
        HandlerStage {
            other_core_idle,
            stream: draws.then_some(stream),
            turn: Turn::Idle,
        }
    }

    /// False at `other_core_idle` 1: every wake-up finds an idle core.
    pub fn may_lag(&self) -> bool {
        self.other_core_idle < 1.0
    }

    /// The listener starts a packet at `now`; `backlog`: more packets are
    /// waiting behind it; `wakes`: it carries state messages (queueing one
    /// wakes the handler).
    pub fn listen(&mut self, now: Nanos, backlog: bool, wakes: bool) -> Listen {
        let mut serve_first = false;
        if let Turn::Waiting { since } = self.turn {
            if now.saturating_sub(since) >= PREEMPT_SLICE {
                serve_first = true;
                self.turn = Turn::Idle;
            }
        }
        let stage = match self.turn {
            Turn::Idle if backlog && wakes => {
                if self.other_core_is_idle() {
                    self.turn = Turn::Alongside;
                    Stage::Apply
                } else {
                    self.turn = Turn::Waiting { since: now };
                    Stage::Queue
                }
            }
            Turn::Idle => Stage::Apply,
            Turn::Alongside => {
                if !backlog {
                    self.turn = Turn::Idle;
                }
                Stage::Apply
            }
            Turn::Waiting { .. } if backlog => Stage::Queue,
            Turn::Waiting { .. } => {
                self.turn = Turn::Idle;
                Stage::QueueThenServe
            }
        };
        Listen { serve_first, stage }
    }

    /// The process stopped: its goroutines are gone.
    pub fn reset(&mut self) {
        self.turn = Turn::Idle;
    }

    fn other_core_is_idle(&mut self) -> bool {
        match &mut self.stream {
            Some(s) => s.chance(self.other_core_idle),
            None => self.other_core_idle >= 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::StreamId;

    fn stage(other_core_idle: f64) -> HandlerStage {
        HandlerStage::new(other_core_idle, Stream::new(1, StreamId::Misc(0)))
    }

    fn apply() -> Listen {
        Listen {
            serve_first: false,
            stage: Stage::Apply,
        }
    }

    /// Rule (Go `wakep`): with another core idle the handler runs alongside
    /// the listener and keeps up with a backlog.
    #[test]
    fn with_an_idle_core_the_handler_keeps_up() {
        let mut h = stage(1.0);
        for (backlog, t) in [(true, 0), (true, 20_000), (false, 40_000)] {
            assert_eq!(h.listen(t, backlog, true), apply());
        }
    }

    /// Rule (Go `runnext`): with no idle core the handler waits until the
    /// listener has read the whole backlog, then applies everything queued.
    #[test]
    fn with_no_idle_core_the_handler_waits_for_the_backlog_to_drain() {
        let mut h = stage(0.0);
        let got: Vec<Stage> = [(true, 0), (true, 20_000), (false, 40_000)]
            .iter()
            .map(|&(backlog, t)| h.listen(t, backlog, true).stage)
            .collect();
        assert_eq!(got, vec![Stage::Queue, Stage::Queue, Stage::QueueThenServe]);
        assert_eq!(
            h.listen(60_000, false, true),
            apply(),
            "no backlog: at once"
        );
    }

    /// Rule: a packet read from an otherwise empty buffer is applied at once,
    /// whatever the cores (the listener blocks right after it).
    #[test]
    fn without_a_backlog_messages_are_applied_at_once() {
        let mut h = stage(0.0);
        assert_eq!(h.listen(0, false, true), apply());
        assert_eq!(
            h.listen(1, true, false),
            apply(),
            "nothing queued, nothing woken"
        );
    }

    /// Rule (Go `forcePreemptNS`): a handler kept waiting 10 ms gets the CPU.
    #[test]
    fn a_waiting_handler_runs_after_the_preemption_slice() {
        let mut h = stage(0.0);
        assert_eq!(h.listen(0, true, true).stage, Stage::Queue);
        assert_eq!(h.listen(PREEMPT_SLICE - 1, true, true).stage, Stage::Queue);
        let l = h.listen(PREEMPT_SLICE, true, true);
        assert!(l.serve_first);
        assert_eq!(l.stage, Stage::Queue, "a new wake-up, still no idle core");
    }

    /// The share of backlogs whose handler finds an idle core is the setting.
    #[test]
    fn other_core_idle_is_the_share_of_backlogs_kept_up_with() {
        let mut h = stage(0.3);
        let n = 20_000;
        let alongside = (0..n)
            .filter(|&i| {
                let t = i * 100_000;
                let first = h.listen(t, true, true).stage;
                h.listen(t + 1, false, false);
                first == Stage::Apply
            })
            .count();
        let share = alongside as f64 / n as f64;
        assert!((share - 0.3).abs() < 0.015, "{share}");
    }
}
