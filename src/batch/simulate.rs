//! One run of one scenario, from resolved [`Scenario`] to [`Metrics`]: the single
//! place that wires the engine to the metrics collector, shared by `flapsim run`
//! and every batch run (compare, sweep), so they cannot drift apart.

use std::sync::atomic::AtomicBool;

use crate::engine::{RunStats, Simulation, Stopped};
use crate::metrics::{Collector, Metrics};
use crate::protocol::Nanos;
use crate::scenario::Scenario;

/// A finished run: what was measured and what the engine did.
pub struct Measured {
    pub metrics: Metrics,
    pub stats: RunStats,
}

/// Run `scenario` to its duration with an event budget; `progress` is called
/// with the simulated time about once per simulated second. Over budget, on a
/// raised `stop` flag (SIGINT/SIGTERM) or a truncated host-schedule walk nothing
/// is returned (a partial run would look complete); [`Stopped`] says which.
pub fn simulate(
    scenario: &Scenario,
    max_events: u64,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Nanos),
) -> Result<Measured, Stopped> {
    let mut sim = Simulation::new(scenario);
    let mut collector = Collector::new(scenario);
    let stats = sim.run_limited(&mut collector, progress, max_events, stop)?;
    let metrics = collector.finish(stats.simulated, stats.digest);
    Ok(Measured { metrics, stats })
}
