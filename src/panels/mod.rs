//! Blind panel scoring (pansel): rubrics, the panel of each panel stage or part with its
//! members and their conflict-of-interest declarations, the random assignment of scorers with
//! recusals, independent scores under the rubric, aggregation into the stage result, the lock,
//! and rater analytics for auditors.

pub mod aggregation;
pub mod analytics;
pub mod assignment;
pub mod conflicts;
pub mod declarations;
pub mod events;
pub mod material;
pub mod model;
pub mod moderation;
pub mod oversight;
pub mod queue;
pub mod redaction;
pub mod reliability;
pub mod requests;
pub mod results;
pub mod routes;
pub mod rubrics;
pub mod rules;
pub mod scoring;
pub mod start;
pub mod store;
pub mod views;
