//! Applications (pendaftaran): persons per round, applications, imports, screening, appeals.

pub mod appeal_routes;
pub mod appeal_window;
pub mod appeals;
pub mod generator;
pub mod identity;
pub mod import_cli;
pub mod import_job;
pub mod import_model;
pub mod import_routes;
pub mod import_source;
pub mod model;
pub mod routes;
pub mod rows;
pub mod score_corrections;
pub mod score_routes;
pub mod scores;
pub mod screening;
pub mod screening_store;
pub mod store;
