//! One run of one scenario, from resolved [`Scenario`] to [`Metrics`]: the single
//! place that wires the engine to the metrics collector, shared by `flapsim run`
//! and every batch run (compare, sweep), so they cannot drift apart.
//!
//! Why a tee: the collector turns each protocol event and truth change into a
//! [`Record`]; a run that writes `events.jsonl`/`memberlist.log` hands each one to
//! the streaming writers at once ([`Streams`]) and keeps in memory only what the
//! end-of-run outputs still read ([`Keep`]), so memory does not grow with the
//! size of those files.

use std::sync::atomic::AtomicBool;

use crate::engine::{
    DropReason, HostSample, Observer, PacketKind, RunStats, Simulation, Stopped, Truth,
};
use crate::metrics::{timeline, Collector, Metrics, Record};
use crate::protocol::{Event, Nanos, NodeId, Packet};
use crate::report::stream::Streams;
use crate::scenario::Scenario;

/// A finished run: what was measured and what the engine did.
pub struct Measured {
    pub metrics: Metrics,
    pub stats: RunStats,
}

/// Which records stay in [`Metrics::events`] after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every record (the in-memory writers, the oracle, tests).
    All,
    /// What the charts' post-passes read ([`timeline::reads`]).
    ChartInputs,
    /// None: summaries and time series need no records.
    Nothing,
}

impl Keep {
    fn keeps(self, r: &Record) -> bool {
        match self {
            Keep::All => true,
            Keep::ChartInputs => timeline::reads(r),
            Keep::Nothing => false,
        }
    }
}

/// Run `scenario` to its duration with an event budget, keeping every record;
/// `progress` is called with the simulated time about once per simulated
/// second. Over budget, on a raised `stop` flag (SIGINT/SIGTERM) or a truncated
/// host-schedule walk nothing is returned (a partial run would look complete);
/// [`Stopped`] says which.
pub fn simulate(
    scenario: &Scenario,
    max_events: u64,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Nanos),
) -> Result<Measured, Stopped> {
    simulate_streaming(
        scenario,
        max_events,
        stop,
        progress,
        &mut Streams::none(),
        Keep::All,
    )
}

/// [`simulate`] that hands every record to `streams` as it arrives and keeps
/// only the records `keep` says in [`Metrics::events`].
pub fn simulate_streaming(
    scenario: &Scenario,
    max_events: u64,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Nanos),
    streams: &mut Streams,
    keep: Keep,
) -> Result<Measured, Stopped> {
    let mut sim = Simulation::new(scenario);
    let mut collector = Collector::new(scenario);
    if keep == Keep::Nothing && streams.reads_no_records() {
        collector = collector.without_records();
    }
    let mut tee = Tee {
        collector,
        streams,
        keep,
        kept: Vec::new(),
    };
    let stats = sim.run_limited(&mut tee, progress, max_events, stop)?;
    let Tee {
        collector, kept, ..
    } = tee;
    let mut metrics = collector.finish(stats.simulated, stats.digest);
    metrics.events = kept;
    Ok(Measured { metrics, stats })
}

/// The collector, with each new record passed on to the streams.
struct Tee<'a> {
    collector: Collector,
    streams: &'a mut Streams,
    keep: Keep,
    kept: Vec<Record>,
}

impl Tee<'_> {
    /// Every protocol event and truth change asks this; with no record kept
    /// (a run writing summaries only) there is nothing to pass on, and the
    /// check is all it costs.
    #[inline(always)]
    fn pass_on(&mut self) {
        if self.collector.has_records() {
            self.pass_on_records();
        }
    }

    fn pass_on_records(&mut self) {
        for r in self.collector.drain_records() {
            self.streams.record(&r);
            if self.keep.keeps(&r) {
                self.kept.push(r);
            }
        }
    }
}

impl Observer for Tee<'_> {
    fn protocol(&mut self, at: Nanos, observer: NodeId, event: &Event) {
        self.collector.protocol(at, observer, event);
        self.pass_on();
    }

    fn truth(&mut self, at: Nanos, node: NodeId, truth: Truth) {
        self.collector.truth(at, node, truth);
        self.pass_on();
    }

    #[inline]
    fn sent(&mut self, at: Nanos, from: NodeId, to: NodeId, kind: PacketKind, bytes: u32) {
        self.collector.sent(at, from, to, kind, bytes);
    }

    #[inline]
    fn received(&mut self, at: Nanos, to: NodeId, kind: PacketKind, bytes: u32) {
        self.collector.received(at, to, kind, bytes);
    }

    #[inline]
    fn wire(&mut self, at: Nanos, packet: &Packet, sent: bool) {
        self.collector.wire(at, packet, sent);
        self.streams.wire(at, packet, sent);
    }

    #[inline]
    fn dropped(&mut self, at: Nanos, from: NodeId, to: NodeId, reason: DropReason) {
        self.collector.dropped(at, from, to, reason);
    }

    fn host_sample(&mut self, at: Nanos, node: NodeId, sample: HostSample) {
        self.collector.host_sample(at, node, sample);
    }
}
