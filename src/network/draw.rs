//! The random draws of one packet on one link, in the order the sender's
//! stream makes them (loss, latency, spike, duplicate): the order is part of
//! the result, so it lives in one place.

use crate::protocol::Nanos;
use crate::random::{Dist, Stream};
use crate::scenario::Spike;

use super::{Fate, Link};

/// A link's parameters, copied out so the sender's stream can be borrowed.
pub(super) struct LinkDraw {
    latency: Dist,
    spike: Option<Spike>,
    loss: f64,
    duplicate: f64,
    refused: bool,
}

impl LinkDraw {
    pub(super) fn of(link: &Link<'_>) -> LinkDraw {
        LinkDraw {
            latency: link.latency.clone(),
            spike: link.spike.cloned(),
            loss: link.loss,
            duplicate: link.duplicate,
            refused: link.tcp_refused,
        }
    }

    /// `l` plus a latency spike, when one is drawn.
    fn spiked(&self, s: &mut Stream, l: Nanos) -> Nanos {
        match &self.spike {
            Some(sp) if s.chance(sp.probability) => l.saturating_add(sp.extra.sample(s)),
            _ => l,
        }
    }

    /// One one-way latency, spike included.
    fn one_way(&self, s: &mut Stream) -> Nanos {
        let l = self.latency.sample(s);
        self.spiked(s, l)
    }

    /// A UDP datagram: cut, lost, held, or delivered (maybe twice).
    pub(super) fn datagram(
        &self,
        s: &mut Stream,
        depart: Nanos,
        cut: bool,
        held: Option<usize>,
    ) -> Fate {
        if cut {
            return Fate::Cut;
        }
        if s.chance(self.loss) {
            return Fate::Lost;
        }
        let latency = self.one_way(s);
        if let Some(hold) = held {
            return Fate::Held { hold, latency };
        }
        let dup = s.chance(self.duplicate).then(|| depart + self.one_way(s));
        Fate::Deliver {
            at: depart + latency,
            dup,
        }
    }

    /// When the sender of a TCP request that cannot connect learns it: a reset
    /// after a round trip when the link refuses, else its dial timeout.
    pub(super) fn connect_failed(
        &self,
        s: &mut Stream,
        depart: Nanos,
        tcp_timeout: Nanos,
    ) -> Nanos {
        if self.refused {
            depart + 2 * self.latency.sample(s)
        } else {
            depart + tcp_timeout
        }
    }

    /// A TCP message taking `trips` one-way latencies (one spike on the whole).
    pub(super) fn tcp_latency(&self, s: &mut Stream, trips: u32) -> Nanos {
        let mut latency: Nanos = 0;
        for _ in 0..trips {
            latency = latency.saturating_add(self.latency.sample(s));
        }
        self.spiked(s, latency)
    }
}
