//! Publication of screening results: publishing them (which starts the appeal window), the
//! published list and its digest in the audit chain, and the guards that follow from it (no
//! changes after publication, no lock before the window closes and every appeal is decided).

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::agencies::model::TimeZone;
use crate::agencies::store as agencies;
use crate::applications::appeals::model::{AppealStatus, PublicScreeningResult, Publication};
use crate::applications::appeals::window;
use crate::applications::model::ApplicationStatus;
use crate::applications::screening::model::{ScreeningDecider, ScreeningOutcome};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::model::UserId;
use crate::db::Conn;
use crate::db::schema::{appeals, applications, screening_publications, screening_results};
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningId, OpeningStatus};
use crate::openings::rounds::store as rounds;

type PublicationRow = (Timestamp, Timestamp, TimeZone, i32);

fn publication_of(
    (published_at, appeal_deadline, time_zone, window_days): PublicationRow,
) -> Publication {
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

pub(super) fn screening_open(opening: &Opening, what: &str) -> Result<(), AppError> {
    if opening.status == OpeningStatus::Screening && !opening.stage_locked {
        return Ok(());
    }
    Err(AppError::conflict(
        "opening_state_conflict",
        format!(
            "cannot {what}: the opening is {}{} (needs screening, not locked)",
            opening.status.as_str(),
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
        .filter(applications::status.eq(ApplicationStatus::Submitted))
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
    let zone = agency.time_zone;
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
        zone,
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
        .filter(applications::status.ne(ApplicationStatus::Withdrawn))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(applications::registration_number.gt(after));
    }
    let rows: Vec<(String, ScreeningOutcome, String, ScreeningDecider)> = query
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
                changed_on_appeal: decided_by == ScreeningDecider::Appeal,
            })
        })
        .collect()
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
        .filter(appeals::status.eq(AppealStatus::Pending))
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
