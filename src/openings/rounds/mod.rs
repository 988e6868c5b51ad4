//! National rule sets per selection year and the selection rounds that use them.

pub mod model;
pub mod routes;
pub mod rules;
pub mod store;
