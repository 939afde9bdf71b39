//! Batches of runs: one runner behind `flapsim compare` and `flapsim sweep`.
//!
//! A [`plan::Plan`] lists points (configurations) and the seeds each runs under;
//! [`exec::execute`] runs them across cores and delivers one [`row::Row`] per run
//! in canonical order (point-major, then seed), whatever the number of workers;
//! [`aggregate`] turns rows into medians and spreads per point, the Pareto front
//! and the recommendation; [`store`] keeps a sweep's files resumable and
//! mergeable across shards, and [`tally`] aggregates a whole sweep's rows as
//! its files take them; [`sweepfile`] reads sweep files into plans.

pub mod aggregate;
pub mod compare;
pub mod compare_check;
pub mod dirlock;
pub mod exec;
pub mod finish;
pub mod lines;
pub mod manifest;
pub mod merge;
pub mod plan;
pub mod point_windows;
pub mod row;
pub mod runner;
pub mod simulate;
pub mod space;
pub mod store;
pub mod sweepfile;
pub mod tally;

pub use exec::{execute, BatchError, Progress};
pub use plan::{Plan, Point, PointInput, Points};
pub use simulate::{simulate, Measured};
