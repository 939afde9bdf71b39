//! Lifeguard suspicion timers (memberlist suspicion.go, memberlist.md §3.2).

use super::{Nanos, NodeId};

/// One suspicion about one node: a deadline that independent confirmations pull
/// in from `max` towards `min`.
#[derive(Clone, Debug)]
pub struct Suspicion {
    _todo: (),
}

impl Suspicion {
    /// `from` is the originator (never counts as a confirmation); `k` confirmations
    /// are expected; with `k < 1` the timer runs at `min` from the start.
    pub fn new(from: NodeId, k: u32, min: Nanos, max: Nanos, now: Nanos) -> Suspicion {
        let _ = (from, k, min, max, now);
        todo!("H1")
    }
    /// When the timer fires.
    pub fn deadline(&self) -> Nanos {
        todo!("H1")
    }
    /// Count a confirmation from `from`; true if it was new (the caller re-gossips).
    pub fn confirm(&mut self, from: NodeId, now: Nanos) -> bool {
        let _ = (from, now);
        todo!("H1")
    }
    /// Independent confirmations so far (excluding the originator).
    pub fn confirmations(&self) -> u32 {
        todo!("H1")
    }
    /// Confirmations expected (k).
    pub fn k(&self) -> u32 {
        todo!("H1")
    }
}
