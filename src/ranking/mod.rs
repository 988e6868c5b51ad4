//! Ranking and selection: the pure, deterministic engine (rules, scores, applicant facts in;
//! ordered, explained results out), the score imports it reads and its HTTP surface.

pub mod engine;
pub mod routes;
pub mod scores;
pub mod stages;
