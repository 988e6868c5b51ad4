//! Application reads and withdrawal (the batch engine that records them is `intake::batch`).

use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::*;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{applications, persons};
use crate::error::AppError;
use crate::openings::model::OpeningId;

pub fn find_by_id(conn: &mut Conn, id: ApplicationId) -> Result<Option<Application>, AppError> {
    Ok(applications::table.find(id).first(conn).optional()?)
}

/// The application, locked until the transaction ends.
pub fn find_for_update(
    conn: &mut Conn,
    id: ApplicationId,
) -> Result<Option<Application>, AppError> {
    Ok(crate::find_for_update!(conn, applications, id)?)
}

pub fn find_person(conn: &mut Conn, id: PersonId) -> Result<Option<Person>, AppError> {
    Ok(persons::table.find(id).first(conn).optional()?)
}

pub fn list_for_opening(
    conn: &mut Conn,
    opening: OpeningId,
    status: Option<ApplicationStatus>,
    after: Option<ApplicationId>,
    limit: i64,
) -> Result<Vec<Application>, AppError> {
    let mut query = applications::table
        .filter(applications::opening_id.eq(opening))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(applications::status.eq(status.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(applications::id.gt(after));
    }
    Ok(query
        .order(applications::id.asc())
        .limit(limit)
        .load(conn)?)
}

pub fn withdraw(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: ApplicationId,
    reason: &str,
) -> Result<Application, AppError> {
    let mut application: Application =
        crate::find_for_update!(conn, applications, id)?.ok_or_else(AppError::not_found)?;
    if application.status == ApplicationStatus::Withdrawn {
        return Err(AppError::conflict(
            "application_withdrawn",
            "the application is already withdrawn",
        ));
    }
    let now = ctx.at;
    let from = application.status;
    application.status = ApplicationStatus::Withdrawn;
    application.withdrawn_at = Some(now);
    application.withdrawal_reason = Some(reason.trim().to_string());
    application.updated_at = now;
    diesel::update(applications::table.find(id))
        .set((
            applications::status.eq(application.status),
            applications::withdrawn_at.eq(application.withdrawn_at),
            applications::withdrawal_reason.eq(&application.withdrawal_reason),
            applications::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("application.withdrawn", "application", id)
            .agency(Some(application.agency_id))
            .payload(json!({"from": from, "reason": application.withdrawal_reason})),
    )?;
    Ok(application)
}

/// The applications of an opening admitted by screening and not withdrawn, by id.
pub fn admitted_ids(conn: &mut Conn, opening: OpeningId) -> Result<Vec<ApplicationId>, AppError> {
    use crate::applications::screening::model::ScreeningOutcome;
    use crate::db::schema::screening_results;
    Ok(applications::table
        .inner_join(screening_results::table)
        .filter(applications::opening_id.eq(opening))
        .filter(applications::status.ne(ApplicationStatus::Withdrawn))
        .filter(screening_results::outcome.eq(ScreeningOutcome::Eligible))
        .select(applications::id)
        .order(applications::id.asc())
        .load(conn)?)
}
