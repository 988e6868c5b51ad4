//! Bulk application imports: streamed CSV/JSONL uploads, jobs with progress and error reports,
//! and the same job from the command line.

mod batches;
pub mod cli;
pub mod job;
pub mod model;
pub mod routes;
pub mod source;
