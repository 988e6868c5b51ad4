//! Deviations: every decision that departs from merit order or from published rules, recorded
//! with its justification, the official who made it and its audit event, for auditors' reports.

pub mod model;
pub mod report;
pub mod routes;
pub mod store;
