//! Test scores of objective stages: streamed imports and corrections after the lock.

pub mod corrections;
pub mod import;
pub mod refusals;
pub mod results;
pub mod rules;
pub mod source;
