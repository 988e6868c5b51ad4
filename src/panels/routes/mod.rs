//! HTTP surface of blind panel scoring: `setup` for HR officers and auditors (panels, members,
//! material, assignments, recusals, results, analytics, unlock), `queue` for panel members
//! (declaration, queue, scores, recusal, and for the chair moderation and the lock).

pub mod queue;
pub mod setup;
