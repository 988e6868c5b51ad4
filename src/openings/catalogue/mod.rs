//! The competency catalogue (kompetensi) and positions (jabatan) with their competency standard.

pub mod job_match;
pub mod model;
pub mod routes;
pub mod store;
