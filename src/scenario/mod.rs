//! Scenario files: YAML → validated [`Scenario`]. Errors name file, line and field.

pub mod model;

pub use model::*;
