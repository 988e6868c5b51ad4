//! The login throttle: failed attempts per email digest within the window, reserved before the
//! password is hashed so that parallel guesses cannot all slip under the limit. System clock
//! (see `clock`).

use diesel::prelude::*;

use crate::auth::model::LoginFailureId;
use crate::db::Conn;
use crate::db::schema::login_failures;
use crate::db::types::Timestamp;
use crate::error::AppError;

/// Failed logins for this email digest within the window, and the oldest one's time.
pub fn recent_failures(
    conn: &mut Conn,
    email_digest: &str,
    since: Timestamp,
) -> Result<(i64, Option<Timestamp>), AppError> {
    let rows: Vec<Timestamp> = login_failures::table
        .filter(login_failures::email_digest.eq(email_digest))
        .filter(login_failures::failed_at.gt(since))
        .select(login_failures::failed_at)
        .order(login_failures::failed_at.asc())
        .load(conn)?;
    Ok((rows.len() as i64, rows.first().copied()))
}

/// The outcome of asking for a login attempt.
pub enum Attempt {
    /// Go ahead; the attempt is already counted as a failure until [`forgive_attempt`].
    Granted(LoginFailureId),
    /// Too many failures in the window; the oldest of them.
    Refused { oldest: Option<Timestamp> },
}

/// Counts and records an attempt for this email under a per-email lock, in the caller's write
/// transaction, so parallel guesses cannot all slip under the limit while they are being hashed.
pub fn reserve_attempt(
    conn: &mut Conn,
    email_digest: &str,
    since: Timestamp,
    max: i64,
) -> Result<Attempt, AppError> {
    crate::db::lock_key(conn, email_digest)?;
    let (failures, oldest) = recent_failures(conn, email_digest, since)?;
    if failures >= max {
        return Ok(Attempt::Refused { oldest });
    }
    let id = LoginFailureId::generate();
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(id),
            login_failures::email_digest.eq(email_digest),
            login_failures::failed_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(Attempt::Granted(id))
}

/// The password was right: the reserved attempt does not count as a failure.
pub fn forgive_attempt(conn: &mut Conn, attempt: LoginFailureId) -> Result<(), AppError> {
    diesel::delete(login_failures::table.find(attempt)).execute(conn)?;
    Ok(())
}

/// Deletes failed attempts older than `cutoff` (they no longer count).
pub fn prune_failed_before(conn: &mut Conn, cutoff: Timestamp) -> Result<usize, AppError> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(cutoff)))
            .execute(conn)?,
    )
}
