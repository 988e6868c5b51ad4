//! Queries for users, and the housekeeping of their credentials. Activation tokens, sessions and
//! the login throttle have a module each.

pub mod activation;
pub mod sessions;
pub mod throttle;

use diesel::prelude::*;
use serde_json::json;

use super::model::{NewUser, Role, User, UserChanges, UserId};
use crate::agencies::model::AgencyId;
use crate::audit::model::{AuditContext, NewAuditEvent, PersonalDigester};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::users;
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
        .filter(users::role.eq(Role::Admin))
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
        query = query.filter(users::role.eq(role));
    }
    if let Some(after) = filter.after {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.order(users::id.asc()).limit(limit).load(conn)?)
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
    let now = ctx.at;
    let user = User {
        id: UserId::generate(),
        email: new.email,
        full_name: new.full_name,
        role: new.role,
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
    if let Some(role) = changes.role.filter(|r| *r != before.role) {
        diff.insert("role".into(), json!({"from": before.role, "to": role}));
        after.role = role;
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
    after.updated_at = ctx.at;
    diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(&after.full_name),
            users::role.eq(after.role),
            users::active.eq(after.active),
            users::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    let revoked = if diff.contains_key("role") || (diff.contains_key("active") && !after.active) {
        sessions::revoke_user_sessions(conn, id)?
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

/// A reset: the current password stops working and every session of the user is revoked (the
/// caller evicts the user from the session cache after commit). Returns the sessions revoked.
pub fn end_credentials(conn: &mut Conn, id: UserId, at: Timestamp) -> Result<usize, AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(None::<String>),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    sessions::revoke_user_sessions(conn, id)
}

/// Rows that no longer decide anything: sessions expired a week ago, failed logins older than
/// the throttling window, activation tokens used or expired a month ago. Returns the counts.
pub fn prune_expired(
    conn: &mut Conn,
    login_window: chrono::Duration,
) -> Result<(usize, usize, usize), AppError> {
    let now = Timestamp::now().as_datetime();
    let sessions = sessions::prune_expired_before(
        conn,
        Timestamp::from_datetime(now - chrono::Duration::days(7)),
    )?;
    let failures =
        throttle::prune_failed_before(conn, Timestamp::from_datetime(now - login_window))?;
    let tokens = activation::prune_finished_before(
        conn,
        Timestamp::from_datetime(now - chrono::Duration::days(30)),
    )?;
    Ok((sessions, failures, tokens))
}
