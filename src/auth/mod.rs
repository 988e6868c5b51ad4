//! Accounts, roles, login, tokens, sessions and the authorization layer.

pub mod extract;
pub mod grants;
pub mod jwt;
pub mod login;
pub mod model;
pub mod password;
pub mod policy;
pub mod routes;
pub mod rules;
pub mod session_cache;
pub mod store;
pub mod throttle_policy;
