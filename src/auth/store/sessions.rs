//! Sessions: one row per issued token (its `jti`), checked on every request and revoked on
//! logout, role change, disable and password change. System clock (see `clock`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::agencies::model::AgencyId;
use crate::auth::model::{Role, SessionId, UserId};
use crate::db::Conn;
use crate::db::schema::{sessions, users};
use crate::db::types::Timestamp;
use crate::error::AppError;

pub fn create_session(
    conn: &mut Conn,
    jti: Uuid,
    user: UserId,
    issued_at: Timestamp,
    expires_at: Timestamp,
) -> Result<(), AppError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::jti.eq(SessionId(jti)),
            sessions::user_id.eq(user),
            sessions::issued_at.eq(issued_at),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// True when the session is neither revoked nor expired and its user is still active with the
/// role and agency the token claims.
pub fn session_is_valid(
    conn: &mut Conn,
    jti: Uuid,
    user: UserId,
    role: Role,
    agency: Option<AgencyId>,
) -> Result<bool, AppError> {
    let now = Timestamp::now();
    let row: Option<(Role, Option<AgencyId>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::jti.eq(SessionId(jti)))
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((users::role, users::agency_id))
        .first(conn)
        .optional()?;
    Ok(matches!(row, Some((r, a)) if r == role && a == agency))
}

pub fn revoke_session(conn: &mut Conn, jti: Uuid) -> Result<usize, AppError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::jti.eq(SessionId(jti)))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(Timestamp::now())))
    .execute(conn)?)
}

pub fn revoke_user_sessions(conn: &mut Conn, user: UserId) -> Result<usize, AppError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(Timestamp::now())))
    .execute(conn)?)
}

/// Deletes sessions that expired before `cutoff`.
pub fn prune_expired_before(conn: &mut Conn, cutoff: Timestamp) -> Result<usize, AppError> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.lt(cutoff))).execute(conn)?)
}
