//! Lifeguard local health ("awareness", memberlist awareness.go, memberlist.md §2.5).
//!
//! A node that misses acks or has to refute accusations is more likely to be the
//! slow one itself, so it stretches its own probe window by `score + 1` instead
//! of accusing others quickly (Lifeguard "Local Health Multiplier", ml@7003fd4,
//! unchanged at ml@HEAD awareness.go). Only the probe window is scaled.

use super::Nanos;

#[derive(Clone, Debug)]
pub struct Awareness {
    /// `AwarenessMaxMultiplier`; the score stays in `[0, max − 1]`.
    max: u32,
    score: u32,
}

impl Awareness {
    /// Score clamped to `[0, max_multiplier - 1]`.
    pub fn new(max_multiplier: u32) -> Awareness {
        Awareness {
            max: max_multiplier,
            score: 0,
        }
    }

    pub fn score(&self) -> u32 {
        self.score
    }

    /// Apply a delta; returns the new score if it changed (the gauge is set then).
    ///
    /// memberlist clamps to `[0, max − 1]` and only emits `memberlist.health.score`
    /// when the clamped value differs from the old one.
    pub fn apply_delta(&mut self, delta: i32) -> Option<u32> {
        let top = i64::from(self.max.saturating_sub(1));
        let new = (i64::from(self.score) + i64::from(delta)).clamp(0, top) as u32;
        if new == self.score {
            None
        } else {
            self.score = new;
            Some(new)
        }
    }

    /// `t · (score + 1)`.
    pub fn scale_timeout(&self, t: Nanos) -> Nanos {
        t.saturating_mul(u64::from(self.score) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SEC;

    // Rule §2.5: the score is clamped to [0, max − 1].
    #[test]
    fn score_is_clamped_to_zero_and_max_minus_one() {
        let mut a = Awareness::new(8);
        assert_eq!(a.apply_delta(-1), None, "already at 0");
        assert_eq!(a.apply_delta(100), Some(7));
        assert_eq!(a.score(), 7);
        assert_eq!(a.apply_delta(1), None, "already at max − 1");
        assert_eq!(a.apply_delta(-100), Some(0));
    }

    // Rule §2.5: apply_delta reports the new score only when it changes.
    #[test]
    fn delta_reported_only_on_change() {
        let mut a = Awareness::new(8);
        assert_eq!(a.apply_delta(0), None);
        assert_eq!(a.apply_delta(3), Some(3));
        assert_eq!(a.apply_delta(-1), Some(2));
        assert_eq!(a.apply_delta(0), None);
    }

    // Rule §2.5: ScaleTimeout(t) = t · (score + 1).
    #[test]
    fn scale_timeout_multiplies_by_score_plus_one() {
        let mut a = Awareness::new(8);
        assert_eq!(a.scale_timeout(SEC), SEC);
        a.apply_delta(3);
        assert_eq!(a.scale_timeout(SEC), 4 * SEC);
        a.apply_delta(10);
        assert_eq!(a.scale_timeout(SEC), 8 * SEC);
    }

    // Rule §2.5: a multiplier of 1 pins the score at 0 (awareness disabled).
    #[test]
    fn max_multiplier_one_pins_score_at_zero() {
        let mut a = Awareness::new(1);
        assert_eq!(a.apply_delta(5), None);
        assert_eq!(a.scale_timeout(SEC), SEC);
    }
}
