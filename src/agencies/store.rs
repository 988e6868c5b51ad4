//! Agency queries, each change audited in the caller's transaction.

use diesel::prelude::*;
use serde_json::json;

use super::model::{Agency, AgencyChanges, AgencyId, NewAgency};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{agencies, competencies, positions, users};
use crate::db::types::Timestamp;
use crate::error::AppError;

pub fn find_by_id(conn: &mut Conn, id: AgencyId) -> Result<Option<Agency>, AppError> {
    Ok(agencies::table.find(id).first(conn).optional()?)
}

/// Agencies ordered by id; `scope` restricts to one agency, `after` is the cursor.
pub fn list(
    conn: &mut Conn,
    scope: Option<AgencyId>,
    after: Option<AgencyId>,
    limit: i64,
) -> Result<Vec<Agency>, AppError> {
    let mut query = agencies::table.into_boxed();
    if let Some(agency) = scope {
        query = query.filter(agencies::id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(agencies::id.gt(after));
    }
    Ok(query.order(agencies::id.asc()).limit(limit).load(conn)?)
}

pub fn create(conn: &mut Conn, ctx: &AuditContext, new: NewAgency) -> Result<Agency, AppError> {
    let agency = insert(conn, new, ctx.at)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("agency.created", "agency", agency.id)
            .agency(Some(agency.id))
            .payload(json!({"code": agency.code, "name": agency.name, "level": agency.level, "time_zone": agency.time_zone})),
    )?;
    Ok(agency)
}

/// The insert alone; every caller but the benchmark baseline goes through [`create`].
pub fn insert(conn: &mut Conn, new: NewAgency, now: Timestamp) -> Result<Agency, AppError> {
    let agency = Agency {
        id: AgencyId::generate(),
        code: new.code,
        name: new.name.trim().to_string(),
        level: new.level,
        time_zone: new.time_zone,
        created_at: now,
        updated_at: now,
    };
    let code_taken = agencies::table
        .filter(agencies::code.eq(&agency.code))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if code_taken {
        return Err(AppError::conflict(
            "agency_code_taken",
            "an agency with this code already exists",
        ));
    }
    diesel::insert_into(agencies::table)
        .values(&agency)
        .execute(conn)?;
    Ok(agency)
}

pub fn update(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: AgencyId,
    changes: AgencyChanges,
) -> Result<Agency, AppError> {
    let before: Agency =
        crate::find_for_update!(conn, agencies, id)?.ok_or_else(AppError::not_found)?;
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        after.name = name.trim().to_string();
    }
    if let Some(level) = changes.level {
        after.level = level;
    }
    if let Some(tz) = changes.time_zone {
        after.time_zone = tz;
    }
    let mut diff = serde_json::Map::new();
    for (field, old, new) in [
        ("name", json!(before.name), json!(after.name)),
        ("level", json!(before.level), json!(after.level)),
        ("time_zone", json!(before.time_zone), json!(after.time_zone)),
    ] {
        if old != new {
            diff.insert(field.into(), json!({"from": old, "to": new}));
        }
    }
    if diff.is_empty() {
        return Ok(before);
    }
    after.updated_at = ctx.at;
    diesel::update(agencies::table.find(id))
        .set((
            agencies::name.eq(&after.name),
            agencies::level.eq(&after.level),
            agencies::time_zone.eq(&after.time_zone),
            agencies::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("agency.updated", "agency", id)
            .agency(Some(id))
            .payload(json!({"changes": diff})),
    )?;
    Ok(after)
}

/// Deletes an agency that nothing refers to yet; one with users, positions or competencies is
/// 409 (openings need a position, so they are covered).
pub fn delete(conn: &mut Conn, ctx: &AuditContext, id: AgencyId) -> Result<(), AppError> {
    let agency: Agency = agencies::table.find(id).first(conn)?;
    let members = users::table
        .filter(users::agency_id.eq(id))
        .count()
        .get_result::<i64>(conn)?;
    if members > 0 {
        return Err(AppError::conflict(
            "agency_in_use",
            "the agency still has users; disable them instead",
        ));
    }
    let catalogue = positions::table
        .filter(positions::agency_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        + competencies::table
            .filter(competencies::agency_id.eq(id))
            .count()
            .get_result::<i64>(conn)?;
    if catalogue > 0 {
        return Err(AppError::conflict(
            "agency_in_use",
            "the agency has positions or competencies; it is part of the record",
        ));
    }
    diesel::delete(agencies::table.find(id)).execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("agency.deleted", "agency", id)
            .agency(Some(id))
            .payload(json!({"code": agency.code})),
    )?;
    Ok(())
}
