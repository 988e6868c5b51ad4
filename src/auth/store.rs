//! Queries for users, sessions, activation tokens and login throttling.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{LoginFailureId, Role, User, UserId};
use crate::agencies::model::AgencyId;
use crate::audit::model::{AuditContext, NewAuditEvent, PersonalDigester};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{activation_tokens, login_failures, sessions, users};
use crate::db::types::Timestamp;
use crate::error::AppError;

pub fn find_by_id(conn: &mut Conn, id: UserId) -> Result<Option<User>, AppError> {
    Ok(users::table.find(id).first(conn).optional()?)
}

/// The user row, locked until the transaction ends (PostgreSQL `FOR UPDATE`; on SQLite the
/// write transaction already holds the database's write lock).
pub fn find_for_update(conn: &mut Conn, id: UserId) -> Result<Option<User>, AppError> {
    Ok(crate::find_for_update!(conn, users, id)?)
}

pub fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>, AppError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .first(conn)
        .optional()?)
}

pub fn admin_exists(conn: &mut Conn) -> Result<bool, AppError> {
    let count: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub agency: Option<AgencyId>,
    pub role: Option<Role>,
    pub after: Option<UserId>,
}

pub fn list(conn: &mut Conn, filter: &UserFilter, limit: i64) -> Result<Vec<User>, AppError> {
    let mut query = users::table.into_boxed();
    if let Some(agency) = filter.agency {
        query = query.filter(users::agency_id.eq(agency));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(after) = filter.after {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.order(users::id.asc()).limit(limit).load(conn)?)
}

/// The fields of a new account; the password is set later by its owner.
pub struct NewUser {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    /// Only the CLI's `create-admin` sets a password directly (the operator is the admin).
    pub password_hash: Option<String>,
}

pub fn create(
    conn: &mut Conn,
    ctx: &AuditContext,
    digester: &PersonalDigester,
    new: NewUser,
) -> Result<User, AppError> {
    if find_by_email(conn, &new.email)?.is_some() {
        return Err(AppError::conflict(
            "email_taken",
            "a user with this email already exists",
        ));
    }
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        email: new.email,
        full_name: new.full_name,
        role: new.role.as_str().into(),
        agency_id: new.agency_id,
        password_hash: new.password_hash,
        active: true,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values(&user)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("user.created", "user", user.id)
            .agency(user.agency_id)
            .payload(json!({
                "role": user.role,
                "agency_id": user.agency_id,
                "email": digester.digest(&user.email),
                "full_name": digester.digest(&user.full_name),
                "password_set": user.password_hash.is_some(),
            })),
    )?;
    Ok(user)
}

pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Applies changes; a role change or a disable revokes the user's sessions in the same transaction.
pub fn update(
    conn: &mut Conn,
    ctx: &AuditContext,
    digester: &PersonalDigester,
    before: User,
    changes: UserChanges,
) -> Result<User, AppError> {
    let id = before.id;
    let mut after = before.clone();
    let mut diff = serde_json::Map::new();
    if let Some(name) = changes
        .full_name
        .map(|n| n.trim().to_string())
        .filter(|n| *n != before.full_name)
    {
        diff.insert(
            "full_name".into(),
            json!({"from": digester.digest(&before.full_name), "to": digester.digest(&name)}),
        );
        after.full_name = name;
    }
    if let Some(role) = changes.role.filter(|r| r.as_str() != before.role) {
        diff.insert(
            "role".into(),
            json!({"from": before.role, "to": role.as_str()}),
        );
        after.role = role.as_str().into();
    }
    if let Some(active) = changes.active.filter(|a| *a != before.active) {
        diff.insert(
            "active".into(),
            json!({"from": before.active, "to": active}),
        );
        after.active = active;
    }
    if diff.is_empty() {
        return Ok(before);
    }
    after.updated_at = Timestamp::now();
    diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(&after.full_name),
            users::role.eq(&after.role),
            users::active.eq(after.active),
            users::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    let revoked = if diff.contains_key("role") || (diff.contains_key("active") && !after.active) {
        revoke_user_sessions(conn, id)?
    } else {
        0
    };
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("user.updated", "user", id)
            .agency(after.agency_id)
            .payload(json!({"changes": diff, "sessions_revoked": revoked})),
    )?;
    Ok(after)
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh one-time token (returned once) stored only as its SHA-256; earlier unused tokens of the
/// user are invalidated.
pub fn issue_activation_token(
    conn: &mut Conn,
    user: UserId,
    purpose: &'static str,
    ttl: std::time::Duration,
) -> Result<(String, Timestamp), AppError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let token = hex::encode(random);
    let now = Timestamp::now();
    let expires_at = Timestamp::from_datetime(
        now.as_datetime() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(72)),
    );
    diesel::update(
        activation_tokens::table
            .filter(activation_tokens::user_id.eq(user))
            .filter(activation_tokens::used_at.is_null()),
    )
    .set(activation_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    diesel::insert_into(activation_tokens::table)
        .values((
            activation_tokens::token_hash.eq(token_digest(&token)),
            activation_tokens::user_id.eq(user),
            activation_tokens::purpose.eq(purpose),
            activation_tokens::expires_at.eq(expires_at),
            activation_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok((token, expires_at))
}

/// The user a still-valid activation token belongs to.
pub fn find_activation_token(
    conn: &mut Conn,
    token: &str,
) -> Result<Option<(UserId, String)>, AppError> {
    let now = Timestamp::now();
    Ok(activation_tokens::table
        .filter(activation_tokens::token_hash.eq(token_digest(token)))
        .filter(activation_tokens::used_at.is_null())
        .filter(activation_tokens::expires_at.gt(now))
        .select((activation_tokens::user_id, activation_tokens::purpose))
        .first(conn)
        .optional()?)
}

/// Consumes the token and sets the password; fails with 409 if another request consumed it first.
pub fn set_password_with_token(
    conn: &mut Conn,
    token: &str,
    user: &User,
    purpose: &str,
    password_hash: String,
    request_id: Option<String>,
) -> Result<(), AppError> {
    let now = Timestamp::now();
    let consumed = diesel::update(
        activation_tokens::table
            .filter(activation_tokens::token_hash.eq(token_digest(token)))
            .filter(activation_tokens::used_at.is_null()),
    )
    .set(activation_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if consumed != 1 {
        return Err(AppError::conflict(
            "token_used",
            "the activation token has already been used",
        ));
    }
    diesel::update(users::table.find(user.id))
        .set((
            users::password_hash.eq(Some(password_hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    let revoked = revoke_user_sessions(conn, user.id)?;
    let ctx = AuditContext {
        actor: crate::audit::model::Actor::User {
            id: user.id,
            role: user.role(),
            agency: user.agency_id,
        },
        request_id,
        at: now,
    };
    audit::append(
        conn,
        &ctx,
        NewAuditEvent::new("user.password_set", "user", user.id)
            .agency(user.agency_id)
            .payload(json!({"purpose": purpose, "sessions_revoked": revoked})),
    )?;
    Ok(())
}

pub fn create_session(
    conn: &mut Conn,
    jti: Uuid,
    user: UserId,
    issued_at: Timestamp,
    expires_at: Timestamp,
) -> Result<(), AppError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::jti.eq(crate::auth::model::SessionId(jti)),
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
    let row: Option<(String, Option<AgencyId>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::jti.eq(crate::auth::model::SessionId(jti)))
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((users::role, users::agency_id))
        .first(conn)
        .optional()?;
    Ok(matches!(row, Some((r, a)) if r == role.as_str() && a == agency))
}

pub fn revoke_session(conn: &mut Conn, jti: Uuid) -> Result<usize, AppError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::jti.eq(crate::auth::model::SessionId(jti)))
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

/// Rows that no longer decide anything: sessions expired a week ago, failed logins older than
/// the throttling window, activation tokens used or expired a month ago. Returns the counts.
pub fn prune_expired(
    conn: &mut Conn,
    login_window: chrono::Duration,
) -> Result<(usize, usize, usize), AppError> {
    let now = Timestamp::now().as_datetime();
    let sessions = diesel::delete(sessions::table.filter(
        sessions::expires_at.lt(Timestamp::from_datetime(now - chrono::Duration::days(7))),
    ))
    .execute(conn)?;
    let failures = diesel::delete(
        login_failures::table
            .filter(login_failures::failed_at.lt(Timestamp::from_datetime(now - login_window))),
    )
    .execute(conn)?;
    let month_ago = Timestamp::from_datetime(now - chrono::Duration::days(30));
    let tokens = diesel::delete(
        activation_tokens::table.filter(
            activation_tokens::expires_at
                .lt(month_ago)
                .or(activation_tokens::used_at.lt(month_ago)),
        ),
    )
    .execute(conn)?;
    Ok((sessions, failures, tokens))
}
