//! Applications (pendaftaran): persons per round, applications, imports, screening, appeals.

pub mod appeals;
pub mod identity;
pub mod imports;
pub mod intake;
pub mod model;
pub mod routes;
pub mod screening;
pub mod store;
