//! Lifeguard local health ("awareness", memberlist awareness.go, memberlist.md §2.5).

use super::Nanos;

#[derive(Clone, Debug)]
pub struct Awareness {
    _todo: (),
}

impl Awareness {
    /// Score clamped to `[0, max_multiplier - 1]`.
    pub fn new(max_multiplier: u32) -> Awareness {
        let _ = max_multiplier;
        todo!("H1")
    }
    pub fn score(&self) -> u32 {
        todo!("H1")
    }
    /// Apply a delta; returns the new score if it changed (the gauge is set then).
    pub fn apply_delta(&mut self, delta: i32) -> Option<u32> {
        let _ = delta;
        todo!("H1")
    }
    /// `t · (score + 1)`.
    pub fn scale_timeout(&self, t: Nanos) -> Nanos {
        let _ = t;
        todo!("H1")
    }
}
