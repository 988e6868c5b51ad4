//! The login throttle's rows: one per attempt, reserved (`in_flight`) under per-address and
//! per-email locks before the password is checked, then settled as a failure or deleted on
//! success. The rules that read the counts are in `auth::throttle_policy`. System clock (see
//! `clock`).

use diesel::prelude::*;

use crate::auth::model::LoginFailureId;
use crate::auth::throttle_policy::{
    self, Counts, Decision, IN_FLIGHT_STALE_SECONDS, Limits, Tally,
};
use crate::db::Conn;
use crate::db::schema::login_failures;
use crate::db::types::Timestamp;
use crate::error::AppError;

type Backend = <Conn as diesel::Connection>::Backend;

/// Who is logging in, as the throttle counts them: keyed digests, never the email or address.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    pub email: String,
    pub address: String,
}

/// The outcome of asking for a login attempt.
pub enum Attempt {
    /// Go ahead; the reservation counts as in flight until it is settled or forgiven.
    Granted(LoginFailureId),
    /// Attempts still being checked decide whether a limit is reached: ask again shortly.
    Busy,
    Refused {
        retry_after: chrono::Duration,
    },
}

#[derive(Clone, Copy)]
enum Scope<'a> {
    Email(&'a str),
    Address(&'a str),
    Pair(&'a ThrottleKey),
}

fn scoped(scope: Scope<'_>, since: Timestamp) -> login_failures::BoxedQuery<'_, Backend> {
    let query = login_failures::table
        .filter(login_failures::failed_at.gt(since))
        .into_boxed();
    match scope {
        Scope::Email(email) => query.filter(login_failures::email_digest.eq(email)),
        Scope::Address(address) => query.filter(login_failures::client_digest.eq(address)),
        Scope::Pair(key) => query
            .filter(login_failures::email_digest.eq(&key.email))
            .filter(login_failures::client_digest.eq(&key.address)),
    }
}

fn stale_cutoff(now: Timestamp) -> Timestamp {
    Timestamp::from_datetime(now.as_datetime() - chrono::Duration::seconds(IN_FLIGHT_STALE_SECONDS))
}

/// One statement, so one snapshot: counted in two, a reservation settling in between (settling
/// takes no lock) would be seen neither in flight nor failed, and one attempt too many would pass
/// (seen on PostgreSQL). The rows are few: refused attempts write none.
fn tally(
    conn: &mut Conn,
    scope: Scope<'_>,
    since: Timestamp,
    now: Timestamp,
) -> Result<Tally, AppError> {
    let stale = stale_cutoff(now);
    let rows: Vec<(bool, Timestamp)> = scoped(scope, since)
        .select((login_failures::in_flight, login_failures::failed_at))
        .load(conn)?;
    let mut tally = Tally {
        failures: 0,
        in_flight: 0,
        oldest_failure: None,
        latest_failure: None,
    };
    for (in_flight, at) in rows {
        if in_flight && at >= stale {
            tally.in_flight += 1;
            continue;
        }
        let at = at.as_datetime();
        tally.failures += 1;
        tally.oldest_failure = Some(tally.oldest_failure.map_or(at, |t| t.min(at)));
        tally.latest_failure = Some(tally.latest_failure.map_or(at, |t| t.max(at)));
    }
    Ok(tally)
}

/// Decides on an attempt under a per-address and a per-email lock (always taken in that order),
/// in the caller's write transaction, and reserves it when it may go ahead, so that parallel
/// attempts see each other.
pub fn reserve_attempt(
    conn: &mut Conn,
    key: &ThrottleKey,
    limits: &Limits,
) -> Result<Attempt, AppError> {
    crate::db::lock_key(conn, &format!("login-address:{}", key.address))?;
    crate::db::lock_key(conn, &format!("login-email:{}", key.email))?;
    let now = Timestamp::now();
    let since = Timestamp::from_datetime(now.as_datetime() - limits.window);
    let counts = Counts {
        address: tally(conn, Scope::Address(&key.address), since, now)?,
        email: tally(conn, Scope::Email(&key.email), since, now)?,
        pair: tally(conn, Scope::Pair(key), since, now)?,
    };
    match throttle_policy::decide(&counts, limits, now.as_datetime()) {
        Decision::Refuse { retry_after } => Ok(Attempt::Refused { retry_after }),
        Decision::Wait => Ok(Attempt::Busy),
        Decision::Go => {
            let id = LoginFailureId::generate();
            diesel::insert_into(login_failures::table)
                .values((
                    login_failures::id.eq(id),
                    login_failures::email_digest.eq(&key.email),
                    login_failures::client_digest.eq(&key.address),
                    login_failures::failed_at.eq(now),
                    login_failures::in_flight.eq(true),
                ))
                .execute(conn)?;
            Ok(Attempt::Granted(id))
        }
    }
}

/// The password was wrong: the reservation becomes a failure, dated now.
pub fn settle_failure(conn: &mut Conn, attempt: LoginFailureId) -> Result<(), AppError> {
    diesel::update(login_failures::table.find(attempt))
        .set((
            login_failures::in_flight.eq(false),
            login_failures::failed_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The password was right: the reservation goes, and so do this address's earlier failures for
/// this email (other addresses' failures stay).
pub fn forgive_attempt(
    conn: &mut Conn,
    attempt: LoginFailureId,
    key: &ThrottleKey,
) -> Result<(), AppError> {
    diesel::delete(login_failures::table.find(attempt)).execute(conn)?;
    diesel::delete(
        login_failures::table
            .filter(login_failures::email_digest.eq(&key.email))
            .filter(login_failures::client_digest.eq(&key.address))
            .filter(login_failures::in_flight.eq(false)),
    )
    .execute(conn)?;
    Ok(())
}

/// The check itself failed (e.g. the hashing queue was full): the attempt proved nothing.
pub fn release_attempt(conn: &mut Conn, attempt: LoginFailureId) -> Result<(), AppError> {
    diesel::delete(login_failures::table.find(attempt)).execute(conn)?;
    Ok(())
}

/// An operator lifts the throttle of one email: its failures from every address are deleted
/// (reservations still being checked settle as usual). Returns how many.
pub fn clear_failures_for_email(conn: &mut Conn, email_digest: &str) -> Result<usize, AppError> {
    crate::db::lock_key(conn, &format!("login-email:{email_digest}"))?;
    let stale = stale_cutoff(Timestamp::now());
    Ok(diesel::delete(
        login_failures::table
            .filter(login_failures::email_digest.eq(email_digest))
            .filter(
                login_failures::in_flight
                    .eq(false)
                    .or(login_failures::failed_at.lt(stale)),
            ),
    )
    .execute(conn)?)
}

/// Deletes attempts older than `cutoff` (they no longer count).
pub fn prune_failed_before(conn: &mut Conn, cutoff: Timestamp) -> Result<usize, AppError> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(cutoff)))
            .execute(conn)?,
    )
}
