//! Grant queries: the two lookups the policy makes, and giving, revoking and listing grants.

use diesel::prelude::*;
use serde_json::json;

use super::model::{Grant, GrantId, NewGrant, ObjectId, UserId};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::policy::{ObjectKind, ObjectRef, Permission};
use crate::db::Conn;
use crate::db::schema::{grants, openings};
use crate::error::AppError;
use crate::ids::AgencyId;

/// Does `user` hold an active `permission` grant on any object of `kind`?
pub fn holds_any(
    conn: &mut Conn,
    user: UserId,
    permission: Permission,
    kind: ObjectKind,
) -> Result<bool, AppError> {
    let found: Option<GrantId> = grants::table
        .filter(grants::user_id.eq(user))
        .filter(grants::permission.eq(permission))
        .filter(grants::object_kind.eq(kind))
        .filter(grants::revoked_at.is_null())
        .select(grants::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Does `user` hold an active `permission` grant on this very object?
pub fn holds(
    conn: &mut Conn,
    user: UserId,
    permission: Permission,
    object: &ObjectRef,
) -> Result<bool, AppError> {
    let found: Option<GrantId> = grants::table
        .filter(grants::user_id.eq(user))
        .filter(grants::permission.eq(permission))
        .filter(grants::object_kind.eq(object.kind))
        .filter(grants::object_id.eq(ObjectId(object.id)))
        .filter(grants::revoked_at.is_null())
        .select(grants::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The agency owning an object a grant may name: `None` when there is no such object,
/// `Some(None)` for a national one.
pub fn object_agency(
    conn: &mut Conn,
    kind: ObjectKind,
    id: ObjectId,
) -> Result<Option<Option<AgencyId>>, AppError> {
    match kind {
        ObjectKind::Opening => Ok(openings::table
            .find(id)
            .select(openings::agency_id)
            .first::<AgencyId>(conn)
            .optional()?
            .map(Some)),
        _ => Ok(None),
    }
}

pub fn find_by_id(conn: &mut Conn, id: GrantId) -> Result<Option<Grant>, AppError> {
    Ok(grants::table.find(id).first(conn).optional()?)
}

/// Gives a grant; the same active grant twice is 409 `grant_exists`.
pub fn create(conn: &mut Conn, ctx: &AuditContext, new: NewGrant) -> Result<Grant, AppError> {
    let grant = Grant {
        id: GrantId::generate(),
        user_id: new.user_id,
        object_kind: new.object.kind,
        object_id: ObjectId(new.object.id),
        permission: new.permission,
        object_agency: new.object.agency,
        granted_by: new.granted_by,
        granted_at: ctx.at,
        revoked_by: None,
        revoked_at: None,
    };
    diesel::insert_into(grants::table)
        .values(&grant)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => AppError::conflict(
                "grant_exists",
                "the user already holds this grant on this object",
            ),
            other => other,
        })?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("grant.created", "grant", grant.id)
            .agency(grant.object_agency)
            .payload(
                json!({"user_id": grant.user_id, "object_kind": grant.object_kind,
                "object_id": grant.object_id, "permission": grant.permission}),
            ),
    )?;
    Ok(grant)
}

/// Revokes an active grant (the row stays); revoking twice is 409 `grant_revoked`.
pub fn revoke(conn: &mut Conn, ctx: &AuditContext, before: Grant) -> Result<Grant, AppError> {
    if before.revoked_at.is_some() {
        return Err(AppError::conflict(
            "grant_revoked",
            "the grant has already been revoked",
        ));
    }
    let revoker = ctx.actor.user_id();
    diesel::update(grants::table.find(before.id))
        .set((
            grants::revoked_at.eq(Some(ctx.at)),
            grants::revoked_by.eq(revoker),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("grant.revoked", "grant", before.id)
            .agency(before.object_agency)
            .payload(
                json!({"user_id": before.user_id, "object_kind": before.object_kind,
                "object_id": before.object_id, "permission": before.permission}),
            ),
    )?;
    Ok(Grant {
        revoked_at: Some(ctx.at),
        revoked_by: revoker,
        ..before
    })
}

/// Filters of the grant list; `scope` is the caller's agency (`None`: every agency).
pub struct GrantFilter {
    pub scope: Option<AgencyId>,
    pub user_id: Option<UserId>,
    pub object_id: Option<ObjectId>,
    pub active_only: bool,
}

pub fn list(
    conn: &mut Conn,
    filter: &GrantFilter,
    after: Option<GrantId>,
    limit: i64,
) -> Result<Vec<Grant>, AppError> {
    let mut query = grants::table.order(grants::id).limit(limit).into_boxed();
    if let Some(agency) = filter.scope {
        query = query.filter(grants::object_agency.eq(agency));
    }
    if let Some(user) = filter.user_id {
        query = query.filter(grants::user_id.eq(user));
    }
    if let Some(object) = filter.object_id {
        query = query.filter(grants::object_id.eq(object));
    }
    if filter.active_only {
        query = query.filter(grants::revoked_at.is_null());
    }
    if let Some(after) = after {
        query = query.filter(grants::id.gt(after));
    }
    Ok(query.load(conn)?)
}
