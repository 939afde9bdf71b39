//! `flapsim diagnose`: real memberlist/Serf/Consul/Nomad logs → the blame table,
//! Serf flaps, flap episodes, rejoin times, a verdict, the charts of `run` that
//! apply, `summary.json` (a run's field names), and a scenario to replay.
//!
//! Data flow: [`input`] (files, directories, stdin, gzip; bounded lines) →
//! [`frame`] (timestamp with its zone, level, observer, message) →
//! [`message`] (the event table's own parser: the message is the event flapsim
//! itself would have logged) → [`analyze`] (a time-ordered merge of all inputs fed
//! to the run's metrics collector) → [`verdict`], [`report`], [`suggest`].
//!
//! Memory does not grow with the length of the logs: lines are streamed, one
//! pending line per input, and the collector keeps counts (no event list); what
//! grows is per node (names, counters), per accuser × accused pair, per minute
//! bin of the span, and per failure episode.

pub mod analyze;
pub mod frame;
pub mod input;
pub mod message;
pub mod page;
pub mod report;
pub mod suggest;
pub mod time;
pub mod verdict;
mod wan;
pub mod zones;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wan_tests;

use std::path::PathBuf;

use crate::metrics::BlameRow;

pub use analyze::{Analysis, InputError, Options};
pub use verdict::Verdict;

/// Everything `flapsim diagnose` reports.
pub struct Diagnosis {
    pub analysis: Analysis,
    pub blame: Vec<BlameRow>,
    pub verdict: Verdict,
    pub generation: suggest::GenerationGuess,
    pub options: Options,
}

/// Read `inputs` (paths, directories, `-`) and diagnose.
pub fn diagnose(inputs: &[PathBuf], options: Options) -> Result<Diagnosis, InputError> {
    let (sources, given_again) =
        input::expand(inputs, options.max_gzip_ratio).map_err(InputError)?;
    let mut analysis = analyze::analyze(&sources, &options)?;
    analysis.skipped.splice(0..0, given_again);
    let blame = analysis.metrics.blame(&analysis.names);
    let verdict = verdict::verdict(&analysis, &blame);
    let generation = suggest::guess_generation(&analysis);
    Ok(Diagnosis {
        analysis,
        blame,
        verdict,
        generation,
        options,
    })
}
