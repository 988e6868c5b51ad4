//! Test scores of objective stages: streamed imports and corrections after the lock.

pub mod corrections;
pub mod import;
