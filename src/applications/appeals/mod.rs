//! Appeals (sanggah) against administrative screening: publication of the results, the appeal
//! window in the agency's time zone, recording and deciding appeals.

pub mod model;
pub mod publication;
pub mod routes;
pub mod store;
pub mod window;
