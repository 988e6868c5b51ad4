//! Publication of screening results and appeals (sanggah) against them. Publishing starts the
//! appeal window; an appeal is recorded with the applicant's reason, decided by HR with an answer,
//! and a granted appeal re-admits the application. Each step is audited in its transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::agencies::model::{AgencyId, TimeZone};
use crate::agencies::store as agencies;
use crate::applications::appeals::window;
use crate::applications::model::{Application, ApplicationId, ApplicationStatus};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::model::UserId;
use crate::db::Conn;
use crate::db::schema::{appeals, applications, screening_publications, screening_results};
use crate::db::types::Timestamp;
use crate::error::AppError;
pub use crate::ids::AppealId;
use crate::openings::model::{Opening, OpeningId, OpeningStatus};
use crate::openings::rounds::store as rounds;

/// When an opening's screening results were published and until when appeals are on time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Publication {
    #[schema(value_type = String, format = DateTime)]
    pub published_at: Timestamp,
    /// Appeals submitted before this instant are on time (local midnight after the last day).
    #[schema(value_type = String, format = DateTime)]
    pub appeal_deadline: Timestamp,
    /// The same instant in the agency's time zone, e.g. `2024-10-11T00:00:00+09:00`.
    pub appeal_deadline_local: String,
    pub time_zone: TimeZone,
    pub window_days: i32,
}

type PublicationRow = (Timestamp, Timestamp, String, i32);

fn publication_of(
    (published_at, appeal_deadline, zone, window_days): PublicationRow,
) -> Publication {
    let time_zone = TimeZone::parse(&zone);
    Publication {
        published_at,
        appeal_deadline,
        appeal_deadline_local: window::local_rfc3339(appeal_deadline.as_datetime(), time_zone),
        time_zone,
        window_days,
    }
}

pub fn find_publication(
    conn: &mut Conn,
    opening: OpeningId,
) -> Result<Option<Publication>, AppError> {
    let row: Option<PublicationRow> = screening_publications::table
        .find(opening)
        .select((
            screening_publications::published_at,
            screening_publications::appeal_deadline,
            screening_publications::time_zone,
            screening_publications::window_days,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(publication_of))
}

fn screening_open(opening: &Opening, what: &str) -> Result<(), AppError> {
    if opening.status() == OpeningStatus::Screening && !opening.stage_locked {
        return Ok(());
    }
    Err(AppError::conflict(
        "opening_state_conflict",
        format!(
            "cannot {what}: the opening is {}{} (needs screening, not locked)",
            opening.status().as_str(),
            if opening.stage_locked { ", locked" } else { "" }
        ),
    ))
}

/// Refuses changes to screening results once they are published: from then on only appeals
/// change them.
pub fn refuse_if_published(conn: &mut Conn, opening: OpeningId) -> Result<(), AppError> {
    match find_publication(conn, opening)? {
        Some(p) => Err(AppError::conflict(
            "screening_published",
            format!(
                "screening results were published at {}; they change only through appeals",
                p.published_at.to_rfc3339()
            ),
        )),
        None => Ok(()),
    }
}

/// Publishes an opening's screening results by registration number: every submitted
/// application must have a result. Starts the appeal window of the round's rule set, counted in
/// the agency's time zone.
pub fn publish(
    conn: &mut Conn,
    ctx: &AuditContext,
    publisher: UserId,
    opening: OpeningId,
) -> Result<Publication, AppError> {
    let opening: Opening =
        crate::find_for_update!(conn, openings, opening)?.ok_or_else(AppError::not_found)?;
    screening_open(&opening, "publish screening results")?;
    refuse_if_published(conn, opening.id)?;
    let undecided: i64 = applications::table
        .left_join(screening_results::table)
        .filter(applications::opening_id.eq(opening.id))
        .filter(applications::status.eq(ApplicationStatus::Submitted.as_str()))
        .filter(screening_results::application_id.is_null())
        .count()
        .get_result(conn)?;
    if undecided > 0 {
        return Err(AppError::conflict(
            "screening_incomplete",
            format!(
                "{undecided} submitted applications have no screening result yet; run screening first"
            ),
        ));
    }
    let rule_set_id = opening
        .rule_set_id
        .ok_or_else(|| AppError::internal("a screened opening has no rule set"))?;
    let rules = rounds::find_rule_set(conn, rule_set_id)?
        .ok_or_else(AppError::not_found)?
        .parsed_rules()?;
    let agency = agencies::find_by_id(conn, opening.agency_id)?.ok_or_else(AppError::not_found)?;
    let zone = TimeZone::parse(&agency.time_zone);
    let now = ctx.at;
    let deadline = Timestamp::from_datetime(window::deadline(
        now.as_datetime(),
        rules.appeal_window_days,
        zone,
    ));
    diesel::insert_into(screening_publications::table)
        .values((
            screening_publications::opening_id.eq(opening.id),
            screening_publications::published_at.eq(now),
            screening_publications::appeal_deadline.eq(deadline),
            screening_publications::time_zone.eq(zone.as_str()),
            screening_publications::window_days.eq(rules.appeal_window_days),
            screening_publications::published_by.eq(publisher),
        ))
        .execute(conn)?;
    let (count, digest) = published_digest(conn, opening.id)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("screening.published", "opening", opening.id)
            .agency(Some(opening.agency_id))
            .payload(json!({"results": count, "results_sha256": digest,
                "appeal_deadline": deadline.to_rfc3339(), "time_zone": zone.as_str(),
                "window_days": rules.appeal_window_days})),
    )?;
    Ok(publication_of((
        now,
        deadline,
        zone.as_str().into(),
        rules.appeal_window_days,
    )))
}

/// A SHA-256 over the published list (registration number, outcome, failed codes), so the
/// audit chain fixes what the public saw.
fn published_digest(conn: &mut Conn, opening: OpeningId) -> Result<(usize, String), AppError> {
    let rows = public_results(conn, opening, None, i64::MAX)?;
    let mut digest = Sha256::new();
    for row in &rows {
        digest.update(format!(
            "{}|{}|{}\n",
            row.registration_number,
            row.outcome,
            row.failed_codes.join(",")
        ));
    }
    Ok((rows.len(), hex::encode(digest.finalize())))
}

/// One line of the published screening results: no names, no ids, no personal values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicScreeningResult {
    pub registration_number: String,
    /// `eligible` (MS) or `ineligible` (TMS).
    pub outcome: String,
    /// Codes of the requirements not met (e.g. `gpa_below_minimum`); reasons stay internal.
    pub failed_codes: Vec<String>,
    /// The outcome was changed by a granted appeal.
    pub changed_on_appeal: bool,
}

/// Published results of an opening, ordered by registration number.
pub fn public_results(
    conn: &mut Conn,
    opening: OpeningId,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<PublicScreeningResult>, AppError> {
    let mut query = screening_results::table
        .inner_join(applications::table)
        .filter(screening_results::opening_id.eq(opening))
        .filter(applications::status.ne(ApplicationStatus::Withdrawn.as_str()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(applications::registration_number.gt(after));
    }
    let rows: Vec<(String, String, String, String)> = query
        .select((
            applications::registration_number,
            screening_results::outcome,
            screening_results::failed,
            screening_results::decided_by,
        ))
        .order(applications::registration_number.asc())
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|(registration_number, outcome, failed, decided_by)| {
            let failed: Vec<crate::applications::screening::rules::FailedRequirement> =
                serde_json::from_str(&failed).map_err(AppError::internal_from)?;
            Ok(PublicScreeningResult {
                registration_number,
                outcome,
                failed_codes: failed.into_iter().map(|f| f.code).collect(),
                changed_on_appeal: decided_by == APPEAL,
            })
        })
        .collect()
}

/// `decided_by` of a screening result changed by a granted appeal.
const APPEAL: &str = "appeal";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    Pending,
    Granted,
    Rejected,
}

crate::text_enum!(AppealStatus { Pending => "pending", Granted => "granted", Rejected => "rejected" });

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = appeals)]
pub struct Appeal {
    pub id: AppealId,
    pub application_id: ApplicationId,
    pub opening_id: OpeningId,
    pub agency_id: AgencyId,
    pub reason: String,
    pub submitted_at: Timestamp,
    pub recorded_by: UserId,
    pub recorded_at: Timestamp,
    pub status: String,
    pub answer: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

crate::guarded!(Appeal, Appeal, |a| Some(a.agency_id));

/// An appeal as HR and auditors see it: the application by id and registration number only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppealView {
    pub id: AppealId,
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub opening_id: OpeningId,
    pub reason: String,
    /// When the applicant submitted it (judged against the deadline in the agency's time zone).
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Timestamp,
    pub submitted_at_local: String,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    pub status: AppealStatus,
    pub answer: Option<String>,
    pub decided_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
}

fn view(appeal: Appeal, registration_number: String, zone: TimeZone) -> AppealView {
    AppealView {
        id: appeal.id,
        application_id: appeal.application_id,
        registration_number,
        opening_id: appeal.opening_id,
        reason: appeal.reason,
        submitted_at_local: window::local_rfc3339(appeal.submitted_at.as_datetime(), zone),
        submitted_at: appeal.submitted_at,
        recorded_at: appeal.recorded_at,
        recorded_by: appeal.recorded_by,
        status: AppealStatus::parse(&appeal.status).unwrap_or(AppealStatus::Pending),
        answer: appeal.answer,
        decided_by: appeal.decided_by,
        decided_at: appeal.decided_at,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The applicant's grounds, as submitted.
    #[validate(
        length(min = 10, max = 4000),
        custom(function = "crate::http::extract::not_blank")
    )]
    pub reason: String,
    /// When the applicant submitted the appeal (e.g. on the national portal); defaults to now.
    /// Judged against the deadline in the agency's time zone; may not lie in the future.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<DateTime<chrono::FixedOffset>>,
}

/// How far a stated submission time may run ahead of the server clock.
const CLOCK_SKEW_SECONDS: i64 = 120;

fn submission_time(
    requested: Option<DateTime<chrono::FixedOffset>>,
    now: Timestamp,
    publication: &Publication,
) -> Result<Timestamp, AppError> {
    let submitted = requested
        .map(|t| Timestamp::from_datetime(t.with_timezone(&Utc)))
        .unwrap_or(now);
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
    recorder: UserId,
    application: ApplicationId,
    request: &AppealRequest,
) -> Result<AppealView, AppError> {
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
    let submitted = submission_time(request.submitted_at, now, &publication)?;
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
    if app.status == ApplicationStatus::Withdrawn.as_str() {
        return Err(AppError::conflict(
            "application_withdrawn",
            "the application is withdrawn",
        ));
    }
    let outcome: Option<String> = screening_results::table
        .find(application)
        .select(screening_results::outcome)
        .first(conn)
        .optional()?;
    if outcome.as_deref() != Some("ineligible") {
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
        reason: request.reason.trim().to_string(),
        submitted_at: submitted,
        recorded_by: recorder,
        recorded_at: now,
        status: AppealStatus::Pending.as_str().into(),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// The application is re-admitted (screening result becomes `eligible`).
    Granted,
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionRequest {
    pub outcome: AppealOutcome,
    /// The official answer to the applicant (published to them; never other people's data).
    #[validate(
        length(min = 10, max = 4000),
        custom(function = "crate::http::extract::not_blank")
    )]
    pub answer: String,
}

/// Decides a pending appeal with an answer; a granted appeal makes the screening result
/// `eligible` again. Screening must still be open (it cannot lock with appeals pending).
pub fn decide(
    conn: &mut Conn,
    ctx: &AuditContext,
    decider: UserId,
    id: AppealId,
    request: &AppealDecisionRequest,
) -> Result<AppealView, AppError> {
    let mut appeal: Appeal =
        crate::find_for_update!(conn, appeals, id)?.ok_or_else(AppError::not_found)?;
    if appeal.status != AppealStatus::Pending.as_str() {
        return Err(AppError::conflict(
            "appeal_decided",
            format!("the appeal was already decided: {}", appeal.status),
        ));
    }
    let opening: Opening = crate::find_for_update!(conn, openings, appeal.opening_id)?
        .ok_or_else(AppError::not_found)?;
    screening_open(&opening, "decide an appeal")?;
    let now = ctx.at;
    let status = match request.outcome {
        AppealOutcome::Granted => AppealStatus::Granted,
        AppealOutcome::Rejected => AppealStatus::Rejected,
    };
    appeal.status = status.as_str().into();
    appeal.answer = Some(request.answer.trim().to_string());
    appeal.decided_by = Some(decider);
    appeal.decided_at = Some(now);
    diesel::update(appeals::table.find(id))
        .set((
            appeals::status.eq(&appeal.status),
            appeals::answer.eq(&appeal.answer),
            appeals::decided_by.eq(appeal.decided_by),
            appeals::decided_at.eq(appeal.decided_at),
        ))
        .execute(conn)?;
    if status == AppealStatus::Granted {
        diesel::update(screening_results::table.find(appeal.application_id))
            .set((
                screening_results::outcome.eq("eligible"),
                screening_results::failed.eq("[]"),
                screening_results::decided_by.eq(APPEAL),
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
    Ok(TimeZone::parse(&agency.time_zone))
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
        query = query.filter(appeals::status.eq(status.as_str()));
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

/// Screening may lock only after its results were published, the appeal window has ended and
/// every appeal is decided.
pub fn check_screening_can_lock(
    conn: &mut Conn,
    opening: OpeningId,
    now: Timestamp,
) -> Result<(), AppError> {
    let publication = find_publication(conn, opening)?.ok_or_else(|| {
        AppError::conflict(
            "screening_not_published",
            "publish the screening results (which opens the appeal window) before locking",
        )
    })?;
    if now.as_datetime() < publication.appeal_deadline.as_datetime() {
        return Err(AppError::conflict(
            "appeal_window_open",
            format!(
                "appeals are open until {}; lock after that",
                publication.appeal_deadline_local
            ),
        ));
    }
    let pending: i64 = appeals::table
        .filter(appeals::opening_id.eq(opening))
        .filter(appeals::status.eq(AppealStatus::Pending.as_str()))
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Err(AppError::conflict(
            "appeals_pending",
            format!("{pending} appeals are not decided yet"),
        ));
    }
    Ok(())
}
