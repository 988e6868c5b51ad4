//! Administrative screening (seleksi administrasi): the eligibility rules, runs over an opening,
//! and HR officers' individual decisions.

pub mod model;
pub mod routes;
pub mod rules;
pub mod store;
