//! The tamper-evident audit chain: events appended in the same transaction as each change,
//! verification (API, CLI, offline export), and Ed25519-signed checkpoints.

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod merkle;
pub mod model;
pub mod proofs;
pub mod routes;
pub mod sealer;
pub mod store;
pub mod tree;
