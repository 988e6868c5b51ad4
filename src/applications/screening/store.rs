//! Runs administrative screening for an opening: every submitted application against the
//! opening's eligibility, stored with the failed requirements, audited as one event with a digest.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::applications::model::{ApplicationId, ApplicationStatus};
use crate::applications::screening::model::{
    ScreeningDecider, ScreeningDecision, ScreeningOutcome, ScreeningResult, ScreeningRun,
};
use crate::applications::screening::rules::{ApplicantFacts, FailedRequirement, check_eligibility};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{applications, persons, screening_results};
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::eligibility::{EducationLevel, PerformanceRating};
use crate::openings::model::{Opening, OpeningStatus};

/// Application facts as loaded for screening.
type FactsRow = (
    ApplicationId,
    String,
    String,
    String,
    i32,
    String,
    Option<i32>,
    Option<i32>,
    Option<String>,
);

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

/// Checks every submitted application of an opening in `screening` whose results are not locked.
pub fn run(
    conn: &mut Conn,
    ctx: &AuditContext,
    opening: &Opening,
) -> Result<ScreeningRun, AppError> {
    let current: Opening =
        crate::find_for_update!(conn, openings, opening.id)?.ok_or_else(AppError::not_found)?;
    if current.status != OpeningStatus::Screening || current.stage_locked {
        return Err(AppError::conflict(
            "opening_state_conflict",
            format!(
                "cannot run screening: the opening is {}{} (screening needs screening, not locked)",
                current.status.as_str(),
                if current.stage_locked {
                    ", results locked"
                } else {
                    ""
                }
            ),
        ));
    }
    crate::applications::appeals::publication::refuse_if_published(conn, current.id)?;
    let rules = current.parsed_eligibility()?;
    let rows: Vec<FactsRow> = applications::table
        .inner_join(persons::table)
        .filter(applications::opening_id.eq(current.id))
        .filter(applications::status.eq(ApplicationStatus::Submitted))
        .select((
            applications::id,
            persons::birth_date,
            applications::education_level,
            applications::education_field,
            applications::gpa_x100,
            applications::certificates,
            applications::current_grade,
            applications::years_in_grade,
            applications::last_rating,
        ))
        .order(applications::id.asc())
        .load(conn)?;
    let now = ctx.at;
    let mut digest = Sha256::new();
    let mut summary = ScreeningRun {
        checked: 0,
        eligible: 0,
        ineligible: 0,
    };
    for (id, birth, level, field, gpa, certificates, grade, years, rating) in rows {
        let facts = ApplicantFacts {
            birth_date: NaiveDate::parse_from_str(&birth, "%Y-%m-%d")
                .map_err(AppError::internal_from)?,
            education_level: parse::<EducationLevel>(&level)
                .ok_or_else(|| AppError::internal("stored education level"))?,
            education_field: field,
            gpa_x100: gpa,
            certificates: serde_json::from_str(&certificates).unwrap_or_default(),
            current_grade: grade,
            years_in_grade: years,
            last_rating: rating.as_deref().and_then(parse::<PerformanceRating>),
        };
        let failed = check_eligibility(&rules, &facts);
        let outcome = if failed.is_empty() {
            ScreeningOutcome::Eligible
        } else {
            ScreeningOutcome::Ineligible
        };
        let failed_json = serde_json::to_string(&failed).map_err(AppError::internal_from)?;
        digest.update(format!("{id}|{outcome}|{failed_json}\n"));
        record_result(
            conn,
            id,
            current.id,
            outcome,
            &failed_json,
            ScreeningDecider::Automatic,
            now,
        )?;
        summary.checked += 1;
        if failed.is_empty() {
            summary.eligible += 1;
        } else {
            summary.ineligible += 1;
        }
    }
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("screening.run", "opening", current.id).agency(Some(current.agency_id)).payload(json!({
            "checked": summary.checked, "eligible": summary.eligible, "ineligible": summary.ineligible,
            "results_sha256": hex::encode(digest.finalize())})),
    )?;
    Ok(summary)
}

pub fn list(
    conn: &mut Conn,
    opening: &Opening,
    after: Option<ApplicationId>,
    limit: i64,
) -> Result<Vec<ScreeningResult>, AppError> {
    let mut query = screening_results::table
        .inner_join(applications::table)
        .filter(screening_results::opening_id.eq(opening.id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(screening_results::application_id.gt(after));
    }
    let rows: Vec<(
        ApplicationId,
        String,
        ScreeningOutcome,
        String,
        ScreeningDecider,
        Timestamp,
    )> = query
        .select((
            screening_results::application_id,
            applications::registration_number,
            screening_results::outcome,
            screening_results::failed,
            screening_results::decided_by,
            screening_results::decided_at,
        ))
        .order(screening_results::application_id.asc())
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(
            |(application_id, registration_number, outcome, failed, decided_by, decided_at)| {
                Ok(ScreeningResult {
                    application_id,
                    registration_number,
                    outcome,
                    failed: serde_json::from_str(&failed).map_err(AppError::internal_from)?,
                    decided_by,
                    decided_at,
                })
            },
        )
        .collect()
}

/// Records an HR officer's decision on one application while its opening is in screening and
/// not locked; the previous outcome and the reason go to the audit chain.
pub fn decide(
    conn: &mut Conn,
    ctx: &AuditContext,
    application: ApplicationId,
    decision: &ScreeningDecision,
) -> Result<ScreeningResult, AppError> {
    let app: crate::applications::model::Application =
        crate::find_for_update!(conn, applications, application)?
            .ok_or_else(AppError::not_found)?;
    let opening: Opening =
        crate::find_for_update!(conn, openings, app.opening_id)?.ok_or_else(AppError::not_found)?;
    if opening.status != OpeningStatus::Screening || opening.stage_locked {
        return Err(AppError::conflict(
            "opening_state_conflict",
            format!(
                "cannot decide: the opening is {} (decisions need screening, not locked)",
                opening.status.as_str()
            ),
        ));
    }
    crate::applications::appeals::publication::refuse_if_published(conn, opening.id)?;
    if app.status == ApplicationStatus::Withdrawn {
        return Err(AppError::conflict(
            "application_withdrawn",
            "the application is withdrawn",
        ));
    }
    let before: Option<ScreeningOutcome> = screening_results::table
        .find(application)
        .select(screening_results::outcome)
        .first(conn)
        .optional()?;
    let reason_code = decision.reason_code.as_str();
    let failed = match decision.outcome {
        ScreeningOutcome::Eligible => vec![],
        ScreeningOutcome::Ineligible => vec![FailedRequirement {
            code: reason_code.to_string(),
            reason: decision.note.clone(),
        }],
    };
    let failed_json = serde_json::to_string(&failed).map_err(AppError::internal_from)?;
    let now = ctx.at;
    let outcome = decision.outcome;
    record_result(
        conn,
        application,
        opening.id,
        outcome,
        &failed_json,
        ScreeningDecider::HrOfficer,
        now,
    )?;
    let mut event = NewAuditEvent::new("screening.decided", "application", application)
        .agency(Some(app.agency_id))
        .payload(
            json!({"opening_id": opening.id, "from": before.map(|o| o.as_str()),
            "to": outcome.as_str(), "reason_code": reason_code}),
        );
    event.justification = Some(decision.note.clone());
    audit::append(conn, ctx, event)?;
    Ok(ScreeningResult {
        application_id: application,
        registration_number: app.registration_number,
        outcome,
        failed,
        decided_by: ScreeningDecider::HrOfficer,
        decided_at: now,
    })
}

/// Writes (or overwrites) the screening result of one application of an opening.
fn record_result(
    conn: &mut Conn,
    application: ApplicationId,
    opening: crate::openings::model::OpeningId,
    outcome: ScreeningOutcome,
    failed_json: &str,
    decided_by: ScreeningDecider,
    at: Timestamp,
) -> Result<(), AppError> {
    crate::on_backend!(&mut *conn, |c| diesel::insert_into(
        screening_results::table
    )
    .values((
        screening_results::application_id.eq(application),
        screening_results::opening_id.eq(opening),
        screening_results::outcome.eq(outcome),
        screening_results::failed.eq(failed_json),
        screening_results::decided_by.eq(decided_by),
        screening_results::decided_at.eq(at),
    ))
    .on_conflict(screening_results::application_id)
    .do_update()
    .set((
        screening_results::outcome.eq(outcome),
        screening_results::failed.eq(failed_json),
        screening_results::decided_by.eq(decided_by),
        screening_results::decided_at.eq(at),
    ))
    .execute(c))?;
    Ok(())
}
