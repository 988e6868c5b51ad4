//! The tamper-evident audit chain: events appended in the same transaction as each change,
//! verification (API, CLI, offline export), Ed25519-signed checkpoints, and offline checks of
//! inclusion and consistency proofs against them.

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod merkle;
pub mod model;
pub mod offline;
pub mod proofs;
pub mod routes;
pub mod sealer;
pub mod store;
pub mod tree;
