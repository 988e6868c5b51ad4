//! Openings (formasi): the competency catalogue and positions, national rule sets and selection
//! rounds, openings with their assessment plans and lifecycle, and the public view of them.

pub mod catalogue;
pub mod eligibility;
pub mod lifecycle;
pub mod model;
pub mod plan;
pub mod public;
pub mod rounds;
pub mod routes;
pub mod rules;
pub mod store;
