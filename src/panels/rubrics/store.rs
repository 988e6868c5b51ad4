//! Rubric queries: writing a version (audited), finding and listing them.

use diesel::prelude::*;

use super::model::{AgencyId, Rubric, RubricContent, RubricId};
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::rubrics;
use crate::error::AppError;
use crate::panels::events::PanelEvent;

/// Writes a version of rubric `code` in `agency`: 1 for a new code, else the next one.
/// `expect_new` refuses a code that exists (409 `rubric_exists`): a change is a new version.
pub fn write_version(
    conn: &mut Conn,
    ctx: &AuditContext,
    agency: AgencyId,
    code: &str,
    content: RubricContent,
    expect_new: bool,
) -> Result<Rubric, AppError> {
    let latest: Option<i32> = rubrics::table
        .filter(rubrics::agency_id.eq(agency))
        .filter(rubrics::code.eq(code))
        .select(diesel::dsl::max(rubrics::version))
        .first(conn)?;
    if expect_new && latest.is_some() {
        return Err(AppError::conflict(
            "rubric_exists",
            format!("rubric {code} exists; write its next version instead"),
        ));
    }
    let rubric = Rubric {
        id: RubricId::generate(),
        agency_id: agency,
        code: code.to_string(),
        version: latest.unwrap_or(0) + 1,
        name: content.name.trim().to_string(),
        scale_min: content.scale_min,
        scale_max: content.scale_max,
        criteria: serde_json::to_string(&content.criteria).map_err(AppError::internal_from)?,
        created_by: ctx.actor.user_id(),
        created_at: ctx.at,
    };
    diesel::insert_into(rubrics::table)
        .values(&rubric)
        .execute(conn)?;
    audit::append(conn, ctx, PanelEvent::rubric_written(&rubric)?)?;
    Ok(rubric)
}

pub fn find_by_id(conn: &mut Conn, id: RubricId) -> Result<Option<Rubric>, AppError> {
    Ok(rubrics::table.find(id).first(conn).optional()?)
}

pub fn list(
    conn: &mut Conn,
    scope: Option<AgencyId>,
    code: Option<&str>,
    after: Option<RubricId>,
    limit: i64,
) -> Result<Vec<Rubric>, AppError> {
    let mut query = rubrics::table.into_boxed();
    if let Some(agency) = scope {
        query = query.filter(rubrics::agency_id.eq(agency));
    }
    if let Some(code) = code {
        query = query.filter(rubrics::code.eq(code.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(rubrics::id.gt(after));
    }
    Ok(query.order(rubrics::id.asc()).limit(limit).load(conn)?)
}
