//! Object grants: access to one object beyond a user's base role and agency (panel membership,
//! an inspector of another agency reading one opening). Rows the policy reads on every object
//! decision; giving and revoking them is audited.

pub mod model;
pub mod routes;
pub mod store;
