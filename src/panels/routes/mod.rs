//! HTTP surface of blind panel scoring: `setup` for HR officers (panels, members, material),
//! `oversight` for HR officers and auditors (assignments, recusals, results, analytics,
//! unlock), `queue` for panel members (declaration, queue, scores, recusal) and `chair` for
//! the chair (moderation and the lock).

pub mod chair;
pub mod oversight;
pub mod queue;
pub mod setup;
