//! `flapsim bench`: engine speed on a synthetic healthy cluster.
//!
//! Why a command and not a timed test: speed depends on the machine, so it is
//! measured and reported (events per wall second, simulated seconds per wall
//! second), never asserted. The wall clock is read here only, around whole runs;
//! it never reaches the simulation.

use std::time::Instant;

use crate::engine::{
    DropReason, EventBudgetExceeded, HostSample, Observer, PacketKind, Simulation, Truth,
};
use crate::protocol::{Event, Nanos, NodeId};
use crate::scenario::Scenario;

/// An observer that ignores everything: the bench measures the engine and the
/// protocol, not the metrics.
struct Discard;

impl Observer for Discard {
    fn protocol(&mut self, _: Nanos, _: NodeId, _: &Event) {}
    fn truth(&mut self, _: Nanos, _: NodeId, _: Truth) {}
    fn sent(&mut self, _: Nanos, _: NodeId, _: NodeId, _: PacketKind, _: u32) {}
    fn received(&mut self, _: Nanos, _: NodeId, _: PacketKind, _: u32) {}
    fn dropped(&mut self, _: Nanos, _: NodeId, _: NodeId, _: DropReason) {}
    fn host_sample(&mut self, _: Nanos, _: NodeId, _: HostSample) {}
}

/// One measured run.
pub struct BenchRun {
    pub setup_s: f64,
    pub run_s: f64,
    pub events: u64,
    /// Budget units beyond the events ([`crate::engine::RunStats::work`]).
    pub work: u64,
    pub packets: u64,
    pub simulated_s: f64,
    pub digest: u64,
}

/// Most runs one bench may repeat.
pub const MAX_REPEAT: usize = 100;

/// One run, within the event budget `max_events` (as `flapsim run`).
pub fn run_once(scenario: &Scenario, max_events: u64) -> Result<BenchRun, EventBudgetExceeded> {
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario);
    let t1 = Instant::now();
    let stats = sim.run_budgeted(&mut Discard, &mut |_| {}, max_events)?;
    let t2 = Instant::now();
    Ok(BenchRun {
        setup_s: (t1 - t0).as_secs_f64(),
        run_s: (t2 - t1).as_secs_f64(),
        events: stats.events,
        work: stats.work,
        packets: stats.packets,
        simulated_s: stats.simulated as f64 / 1e9,
        digest: stats.digest,
    })
}
