//! Ranking and selection: pure, deterministic functions of (rules, scores, applicant facts).

pub mod selection;
