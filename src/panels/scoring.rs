//! The panelist's scores: submitting and amending their own, and reading the others' scores
//! of an application only after submitting their own (which freezes theirs). A panelist
//! reaches an application only through an active assignment, by its panel code; the queue is
//! in `queue`, stepping back from an application in `conflicts`.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::conflicts;
use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::requests::{AmendScoreRequest, ScoreRequest};
use super::rubrics::{model::Rubric, store as rubrics};
use super::rules;
use super::views::ScoreView;
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{panel_assignments, panel_entries, panel_scores, panels};
use crate::error::AppError;

/// The panel, held against a concurrent lock until the transaction ends (a shared row lock on
/// PostgreSQL, so that scores of one panel go in side by side; SQLite serialises writes anyway).
pub fn find_for_scoring(conn: &mut Conn, id: PanelId) -> Result<Option<Panel>, AppError> {
    Ok(match conn {
        crate::db::AnyConnection::Postgresql(c) => {
            panels::table.find(id).for_share().first(c).optional()?
        }
        crate::db::AnyConnection::Sqlite(c) => panels::table.find(id).first(c).optional()?,
    })
}

/// One application as the panelist reaches it: the entry and their active assignment.
pub struct Seat {
    pub entry: Entry,
    pub assignment: Assignment,
}

/// The panelist's active assignment for `code`; 404 for any other code (unknown, another
/// panelist's, or one they were recused from), so a code reveals nothing.
pub fn seat(conn: &mut Conn, panel: PanelId, user: UserId, code: &str) -> Result<Seat, AppError> {
    let entry = entry_by_code(conn, panel, code)?;
    let assignment: Assignment = active_assignment(panel, entry.application_id, user)
        .first(conn)
        .optional()?
        .ok_or_else(AppError::not_found)?;
    Ok(Seat { entry, assignment })
}

/// [`seat`] with the assignment row locked until the transaction ends (PostgreSQL; SQLite
/// serialises writes anyway), so that amending one's score and reading the others' scores of
/// the same application happen one after the other: whichever comes second sees the first.
pub fn seat_for_update(
    conn: &mut Conn,
    panel: PanelId,
    user: UserId,
    code: &str,
) -> Result<Seat, AppError> {
    let entry = entry_by_code(conn, panel, code)?;
    let query = active_assignment(panel, entry.application_id, user);
    let assignment: Option<Assignment> = match conn {
        crate::db::AnyConnection::Postgresql(c) => query.for_update().first(c).optional()?,
        crate::db::AnyConnection::Sqlite(c) => query.first(c).optional()?,
    };
    let assignment = assignment.ok_or_else(AppError::not_found)?;
    Ok(Seat { entry, assignment })
}

fn entry_by_code(conn: &mut Conn, panel: PanelId, code: &str) -> Result<Entry, AppError> {
    panel_entries::table
        .filter(panel_entries::panel_id.eq(panel))
        .filter(panel_entries::panel_code.eq(code))
        .first(conn)
        .optional()?
        .ok_or_else(AppError::not_found)
}

type AssignmentKey = (PanelId, ApplicationId, UserId);
type ActiveAssignment = diesel::dsl::Filter<
    diesel::dsl::Find<panel_assignments::table, AssignmentKey>,
    diesel::dsl::IsNull<panel_assignments::recused_at>,
>;

fn active_assignment(panel: PanelId, application: ApplicationId, user: UserId) -> ActiveAssignment {
    panel_assignments::table
        .find((panel, application, user))
        .filter(panel_assignments::recused_at.is_null())
}

pub fn rubric_of(conn: &mut Conn, panel: &Panel) -> Result<Rubric, AppError> {
    rubrics::find_by_id(conn, panel.rubric_id)?
        .ok_or_else(|| AppError::internal("a panel's rubric is missing"))
}

pub fn scoring_open(panel: &Panel) -> Result<(), AppError> {
    match panel.status {
        PanelStatus::Forming => Err(AppError::conflict(
            "panel_not_started",
            "the panel's stage has not started",
        )),
        PanelStatus::Locked => Err(AppError::conflict(
            "panel_locked",
            "the panel's scores are locked",
        )),
        PanelStatus::Scoring => Ok(()),
    }
}

/// Versions of scores by (application, scorer), newest last.
pub fn versions(
    conn: &mut Conn,
    panel: PanelId,
    application: Option<ApplicationId>,
    user: Option<UserId>,
) -> Result<Vec<ScoreVersion>, AppError> {
    let mut query = panel_scores::table
        .filter(panel_scores::panel_id.eq(panel))
        .into_boxed();
    if let Some(application) = application {
        query = query.filter(panel_scores::application_id.eq(application));
    }
    if let Some(user) = user {
        query = query.filter(panel_scores::user_id.eq(user));
    }
    Ok(query
        .order((
            panel_scores::application_id.asc(),
            panel_scores::user_id.asc(),
            panel_scores::version.asc(),
        ))
        .load(conn)?)
}

/// The newest version of each (application, scorer).
pub fn current(versions: Vec<ScoreVersion>) -> BTreeMap<(ApplicationId, UserId), ScoreVersion> {
    let mut out = BTreeMap::new();
    for v in versions {
        out.insert((v.application_id, v.user_id), v);
    }
    out
}

pub fn score_view(code: &str, v: &ScoreVersion) -> Result<ScoreView, AppError> {
    Ok(ScoreView {
        panel_code: code.to_string(),
        scorer: v.user_id,
        version: v.version,
        levels: v.parsed_levels()?,
        justifications: v.parsed_justifications()?,
        weighted_x100: v.weighted_x100,
        amendment_reason: v.amendment_reason.clone(),
        submitted_at: v.submitted_at,
    })
}

/// Submits the panelist's score (version 1) of the application with panel code `code`.
pub fn submit(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
    code: &str,
    request: &ScoreRequest,
) -> Result<ScoreView, AppError> {
    scoring_open(panel)?;
    let seat = seat(conn, panel.id, user, code)?;
    if !panel.blind && seat.assignment.conflict_cleared_at.is_none() {
        return Err(AppError::conflict(
            "conflict_check_pending",
            "confirm that you have no conflict with this candidate before scoring",
        ));
    }
    let existing = versions(conn, panel.id, Some(seat.entry.application_id), Some(user))?;
    if !existing.is_empty() {
        return Err(AppError::conflict(
            "score_exists",
            "you have scored this application; amend it with a reason instead",
        ));
    }
    write_version(
        conn,
        ctx,
        panel,
        &seat,
        user,
        1,
        &request.levels,
        &request.justifications,
        None,
    )
}

/// A new version of the panelist's own score, with a reason; refused once they have read the
/// others' scores of this application (a score may not follow the others').
pub fn amend(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
    code: &str,
    request: &AmendScoreRequest,
) -> Result<ScoreView, AppError> {
    scoring_open(panel)?;
    let seat = seat_for_update(conn, panel.id, user, code)?;
    let latest = versions(conn, panel.id, Some(seat.entry.application_id), Some(user))?
        .pop()
        .ok_or_else(|| {
            AppError::conflict("score_missing", "you have not scored this application yet")
        })?;
    if seat.assignment.others_seen_at.is_some() {
        return Err(AppError::conflict(
            "others_scores_seen",
            "you have read the other scores of this application; your score can no longer change",
        ));
    }
    let reason = request.reason.trim();
    write_version(
        conn,
        ctx,
        panel,
        &seat,
        user,
        latest.version + 1,
        &request.levels,
        &request.justifications,
        Some(reason),
    )
}

#[allow(clippy::too_many_arguments)]
fn write_version(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    seat: &Seat,
    user: UserId,
    version: i32,
    levels: &BTreeMap<String, i32>,
    justifications: &BTreeMap<String, String>,
    reason: Option<&str>,
) -> Result<ScoreView, AppError> {
    let rubric = rubric_of(conn, panel)?;
    rules::check_score(
        &rubric.parsed_criteria()?,
        (rubric.scale_min, rubric.scale_max),
        levels,
        justifications,
    )?;
    let justifications: BTreeMap<String, String> = justifications
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    let row = ScoreVersion {
        id: PanelScoreId::generate(),
        panel_id: panel.id,
        application_id: seat.entry.application_id,
        user_id: user,
        version,
        levels: serde_json::to_string(levels).map_err(AppError::internal_from)?,
        justifications: serde_json::to_string(&justifications).map_err(AppError::internal_from)?,
        weighted_x100: rubric.scale()?.weighted_x100(levels),
        amendment_reason: reason.map(str::to_string),
        submitted_at: ctx.at,
    };
    diesel::insert_into(panel_scores::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => {
                AppError::conflict("score_exists", "this score version was just written")
            }
            other => other,
        })?;
    let event = PanelEvent::Score {
        application_id: row.application_id,
        user_id: user,
        version,
        levels: levels.clone(),
        weighted_x100: row.weighted_x100,
        justifications_sha256: text_digest(&row.justifications),
        reason_sha256: reason.map(text_digest),
    };
    let action = if version == 1 {
        "panel.score_submitted"
    } else {
        "panel.score_amended"
    };
    audit::append(conn, ctx, event.of(action, panel)?)?;
    score_view(&seat.entry.panel_code, &row)
}

/// The panelist's own score versions of the application (every version, oldest first).
pub fn own_versions(
    conn: &mut Conn,
    panel: &Panel,
    user: UserId,
    code: &str,
) -> Result<Vec<ScoreView>, AppError> {
    let seat = seat(conn, panel.id, user, code)?;
    versions(conn, panel.id, Some(seat.entry.application_id), Some(user))?
        .iter()
        .map(|v| score_view(code, v))
        .collect()
}

/// Records, once and audited, that `user` has seen the other scores of `application`: from
/// then on their own score of it is frozen.
pub fn mark_others_seen(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    application: ApplicationId,
    user: UserId,
) -> Result<(), AppError> {
    let unseen = panel_assignments::table
        .find((panel.id, application, user))
        .filter(panel_assignments::others_seen_at.is_null());
    let marked = diesel::update(unseen)
        .set(panel_assignments::others_seen_at.eq(Some(ctx.at)))
        .execute(conn)?;
    if marked == 0 {
        return Ok(());
    }
    let event = PanelEvent::Pair {
        application_id: application,
        user_id: user,
    };
    audit::append(conn, ctx, event.of("panel.scores_seen", panel)?)
}

/// The current scores of every active scorer of the application, once the panelist has
/// submitted their own (409 `own_score_missing` before); from then on they cannot amend theirs.
pub fn others(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
    code: &str,
) -> Result<Vec<ScoreView>, AppError> {
    let seat = seat_for_update(conn, panel.id, user, code)?;
    let application = seat.entry.application_id;
    let all = current(versions(conn, panel.id, Some(application), None)?);
    if !all.contains_key(&(application, user)) {
        return Err(AppError::conflict(
            "own_score_missing",
            "submit your own score of this application before reading the others'",
        ));
    }
    // Read on a locked panel too: an unlock must not let them amend what they have compared.
    if seat.assignment.others_seen_at.is_none() {
        mark_others_seen(conn, ctx, panel, application, user)?;
    }
    let active: Vec<UserId> = conflicts::assignments_of(conn, panel.id, &[application])?
        .into_iter()
        .filter(|a| a.recused_at.is_none())
        .map(|a| a.user_id)
        .collect();
    all.values()
        .filter(|v| active.contains(&v.user_id))
        .map(|v| score_view(code, v))
        .collect()
}
