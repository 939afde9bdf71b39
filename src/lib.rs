//! flapsim: a deterministic discrete-event simulator of SWIM gossip membership
//! clusters (hashicorp/memberlist and the thin Serf layer above it).
//!
//! Data flows one way:
//! `scenario` → `engine` ⇄ (`protocol`, `network`, `host`) → `metrics` → `report`.
//! `cli` ties them together for the `flapsim` binary.
//!
//! - [`protocol`]: the sans-IO memberlist + Serf state machine. It knows nothing of
//!   the simulator: it is fed `(now, input)` and reaches the world only through
//!   [`protocol::Runtime`].
//! - [`engine`]: virtual time, the (time, seq) event queue, RNG streams, the run loop.
//! - [`network`]: links, latency, loss, partitions, holds, TCP.
//! - [`host`]: the CPU each node runs on (throttle, credits, pauses, slow, starve).
//! - [`scenario`]: YAML scenarios, validated into a resolved [`scenario::Scenario`].
//! - [`metrics`]: false positives, flaps, blame, detection latency, load, time series.
//! - [`report`]: summary.json, events.jsonl, memberlist.log, timeseries.csv, stdout.
//! - [`diagnose`]: real memberlist/Serf/Consul logs → the same metrics and charts.
//! - [`random`]: seeded ChaCha streams and the latency/duration distributions.
//! - [`input_file`]: opening a file the user named (a pipe or a FIFO too) without hanging.

pub mod batch;
pub mod chart;
pub mod cli;
pub mod diagnose;
pub mod engine;
pub mod host;
pub mod input_file;
pub mod metrics;
pub mod network;
pub mod prefetch;
pub mod protocol;
pub mod quote;
pub mod random;
pub mod report;
pub mod scenario;
pub mod units;
