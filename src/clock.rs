//! The time the server acts at. Every business rule and record takes "now" from the clock in
//! the state (through the request's principal or audit context), never from the system directly,
//! so that tests move time forward instead of sleeping or editing timestamps in the database.
//!
//! Credential lifetimes are the exception on purpose: token `exp` (checked by jsonwebtoken),
//! sessions, activation tokens and the login throttle run on the system clock, so no clock
//! shift can lengthen or shorten the life of a credential.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::types::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Timestamp;

    /// Today's date in UTC.
    fn today(&self) -> chrono::NaiveDate {
        self.now().as_datetime().date_naive()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock: what production uses. Nothing over HTTP or in the
/// configuration can replace it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The system clock plus an offset that its owner moves forward (tests: "three days later").
/// Time keeps flowing between moves, so records keep their order.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_micros: AtomicI64,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (a negative duration is ignored: time never runs back).
    pub fn advance(&self, by: chrono::Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX).max(0);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        let offset = chrono::Duration::microseconds(self.offset_micros.load(Ordering::SeqCst));
        Timestamp::from_datetime(chrono::Utc::now() + offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_moves_forward_only() {
        let clock = ShiftedClock::new();
        let before = clock.now();
        clock.advance(chrono::Duration::days(3));
        let later = clock.now();
        assert!(later.as_datetime() - before.as_datetime() >= chrono::Duration::days(3));
        clock.advance(chrono::Duration::days(-10));
        assert!(clock.now() >= later);
    }
}
