//! Appeals (sanggah) against published screening results: recording an applicant's appeal
//! while the window is open, deciding it with an answer (a granted appeal re-admits the
//! application), finding and listing appeals. Each step is audited in its transaction.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::agencies::model::{AgencyId, TimeZone};
use crate::agencies::store as agencies;
use crate::applications::appeals::model::{
    Appeal, AppealDecision, AppealId, AppealStatus, AppealView, NewAppeal, Publication, view,
};
use crate::applications::appeals::publication::{find_publication, screening_open};
use crate::applications::appeals::window;
use crate::applications::model::{Application, ApplicationId, ApplicationStatus};
use crate::applications::screening::model::{ScreeningDecider, ScreeningOutcome};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{appeals, applications, screening_results};
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::model::Opening;

/// How far a stated submission time may run ahead of the server clock.
const CLOCK_SKEW_SECONDS: i64 = 120;

fn submission_time(
    requested: Option<Timestamp>,
    now: Timestamp,
    publication: &Publication,
) -> Result<Timestamp, AppError> {
    let submitted = requested.unwrap_or(now);
    if submitted.as_datetime() > now.as_datetime() + chrono::Duration::seconds(CLOCK_SKEW_SECONDS) {
        return Err(AppError::field("submitted_at", "lies in the future"));
    }
    if submitted.as_datetime() < publication.published_at.as_datetime() {
        return Err(AppError::field(
            "submitted_at",
            "lies before the results were published",
        ));
    }
    Ok(submitted)
}

/// Records an applicant's appeal against an `ineligible` screening result while the window is
/// open; one appeal per application.
pub fn record(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: &NewAppeal,
) -> Result<AppealView, AppError> {
    let application = new.application;
    let app: Application = crate::find_for_update!(conn, applications, application)?
        .ok_or_else(AppError::not_found)?;
    let opening: Opening =
        crate::find_for_update!(conn, openings, app.opening_id)?.ok_or_else(AppError::not_found)?;
    let publication = find_publication(conn, opening.id)?.ok_or_else(|| {
        AppError::conflict(
            "screening_not_published",
            "the screening results of this opening are not published; there is nothing to appeal yet",
        )
    })?;
    let now = ctx.at;
    let submitted = submission_time(new.submitted_at, now, &publication)?;
    if !window::on_time(
        submitted.as_datetime(),
        publication.appeal_deadline.as_datetime(),
    ) {
        return Err(AppError::conflict(
            "appeal_window_closed",
            format!(
                "appeals closed at {} ({}); this one was submitted at {}",
                publication.appeal_deadline_local,
                publication.time_zone.as_str(),
                window::local_rfc3339(submitted.as_datetime(), publication.time_zone)
            ),
        ));
    }
    screening_open(&opening, "record an appeal")?;
    if app.status == ApplicationStatus::Withdrawn {
        return Err(AppError::conflict(
            "application_withdrawn",
            "the application is withdrawn",
        ));
    }
    let outcome: Option<ScreeningOutcome> = screening_results::table
        .find(application)
        .select(screening_results::outcome)
        .first(conn)
        .optional()?;
    if outcome != Some(ScreeningOutcome::Ineligible) {
        return Err(AppError::conflict(
            "nothing_to_appeal",
            "only an ineligible screening result can be appealed",
        ));
    }
    let exists: i64 = appeals::table
        .filter(appeals::application_id.eq(application))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(AppError::conflict(
            "appeal_exists",
            "this application already has an appeal",
        ));
    }
    let appeal = Appeal {
        id: AppealId::generate(),
        application_id: application,
        opening_id: opening.id,
        agency_id: app.agency_id,
        reason: new.reason.clone(),
        submitted_at: submitted,
        recorded_by: new.recorded_by,
        recorded_at: now,
        status: AppealStatus::Pending,
        answer: None,
        decided_by: None,
        decided_at: None,
    };
    diesel::insert_into(appeals::table)
        .values(&appeal)
        .execute(conn)?;
    // The reason is the applicant's own words and may name people: the chain holds its digest.
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("appeal.recorded", "appeal", appeal.id)
            .agency(Some(app.agency_id))
            .payload(json!({"application_id": application, "opening_id": opening.id,
                "submitted_at": submitted.to_rfc3339(), "appeal_deadline": publication.appeal_deadline.to_rfc3339(),
                "reason_sha256": hex::encode(Sha256::digest(appeal.reason.as_bytes()))})),
    )?;
    Ok(view(appeal, app.registration_number, publication.time_zone))
}

/// Decides a pending appeal with an answer; a granted appeal makes the screening result
/// `eligible` again. Screening must still be open (it cannot lock with appeals pending).
pub fn decide(
    conn: &mut Conn,
    ctx: &AuditContext,
    decision: &AppealDecision,
) -> Result<AppealView, AppError> {
    let id = decision.appeal;
    let mut appeal: Appeal =
        crate::find_for_update!(conn, appeals, id)?.ok_or_else(AppError::not_found)?;
    if appeal.status != AppealStatus::Pending {
        return Err(AppError::conflict(
            "appeal_decided",
            format!("the appeal was already decided: {}", appeal.status),
        ));
    }
    let opening: Opening = crate::find_for_update!(conn, openings, appeal.opening_id)?
        .ok_or_else(AppError::not_found)?;
    screening_open(&opening, "decide an appeal")?;
    let now = ctx.at;
    let status = decision.status;
    appeal.status = status;
    appeal.answer = Some(decision.answer.clone());
    appeal.decided_by = Some(decision.decided_by);
    appeal.decided_at = Some(now);
    diesel::update(appeals::table.find(id))
        .set((
            appeals::status.eq(appeal.status),
            appeals::answer.eq(&appeal.answer),
            appeals::decided_by.eq(appeal.decided_by),
            appeals::decided_at.eq(appeal.decided_at),
        ))
        .execute(conn)?;
    if status == AppealStatus::Granted {
        diesel::update(screening_results::table.find(appeal.application_id))
            .set((
                screening_results::outcome.eq(ScreeningOutcome::Eligible),
                screening_results::failed.eq("[]"),
                screening_results::decided_by.eq(ScreeningDecider::Appeal),
                screening_results::decided_at.eq(now),
            ))
            .execute(conn)?;
    }
    let mut event = NewAuditEvent::new("appeal.decided", "appeal", appeal.id)
        .agency(Some(appeal.agency_id))
        .payload(json!({"application_id": appeal.application_id, "opening_id": appeal.opening_id,
            "outcome": status.as_str(),
            "screening": {"from": "ineligible", "to": if status == AppealStatus::Granted { "eligible" } else { "ineligible" }}}));
    event.justification = appeal.answer.clone();
    audit::append(conn, ctx, event)?;
    let number = registration_number(conn, appeal.application_id)?;
    let zone = agency_zone(conn, appeal.agency_id)?;
    Ok(view(appeal, number, zone))
}

fn registration_number(conn: &mut Conn, id: ApplicationId) -> Result<String, AppError> {
    Ok(applications::table
        .find(id)
        .select(applications::registration_number)
        .first(conn)?)
}

fn agency_zone(conn: &mut Conn, agency: AgencyId) -> Result<TimeZone, AppError> {
    let agency = agencies::find_by_id(conn, agency)?.ok_or_else(AppError::not_found)?;
    Ok(agency.time_zone)
}

pub fn find_row(conn: &mut Conn, id: AppealId) -> Result<Option<Appeal>, AppError> {
    Ok(appeals::table
        .find(id)
        .select(Appeal::as_select())
        .first(conn)
        .optional()?)
}

/// The appeal as shown: with the registration number and local times in the agency's zone.
pub fn view_of(conn: &mut Conn, appeal: Appeal) -> Result<AppealView, AppError> {
    let number = registration_number(conn, appeal.application_id)?;
    let zone = agency_zone(conn, appeal.agency_id)?;
    Ok(view(appeal, number, zone))
}

pub fn list(
    conn: &mut Conn,
    opening: &Opening,
    status: Option<AppealStatus>,
    after: Option<AppealId>,
    limit: i64,
) -> Result<Vec<AppealView>, AppError> {
    let mut query = appeals::table
        .inner_join(applications::table)
        .filter(appeals::opening_id.eq(opening.id))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(appeals::status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(appeals::id.gt(after));
    }
    let rows: Vec<(Appeal, String)> = query
        .select((Appeal::as_select(), applications::registration_number))
        .order(appeals::id.asc())
        .limit(limit)
        .load(conn)?;
    let zone = agency_zone(conn, opening.agency_id)?;
    Ok(rows
        .into_iter()
        .map(|(appeal, number)| view(appeal, number, zone))
        .collect())
}
