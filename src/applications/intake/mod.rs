//! Intake of applications: validating one row (from a single `POST` or an import) and writing
//! batches of them through one engine.

pub mod batch;
mod lookups;
pub mod prepared;
pub mod rows;
