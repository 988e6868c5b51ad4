//! Agencies (instansi): ministries, agencies and regional governments that scope all data.

pub mod model;
pub mod routes;
pub mod store;
