//! Scoring rubrics: criteria with weights and an anchored scale (a written descriptor for every
//! level), versioned. A version is never changed once written; a change is the next version, so
//! a rubric a started panel scores with cannot move under it.

pub mod model;
pub mod routes;
pub mod store;
