//! The panel's results and its end: each application's aggregate (what the ranking reads), the
//! chair's moderation notes on divergent applications, the lock (with missing scores listed as
//! a deviation) and the unlock (always a deviation, by the appointing official).

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::json;

use super::aggregation::{self, Aggregated, ScoreInput, StageRange};
use super::conflicts;
use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::scoring::{self, current, rubric_of};
use super::views::{ModerationItem, PanelResultRow};
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{applications, panel_entries, panels};
use crate::deviations::model::{DeviationKind, NewDeviation, check_justification};
use crate::deviations::store as deviations;
use crate::error::AppError;

/// One roster application with its active scorers and their current scores.
struct Row {
    application: ApplicationId,
    registration_number: String,
    entry: Entry,
    assigned: Vec<UserId>,
    recused: Vec<UserId>,
    scores: Vec<ScoreVersion>,
}

fn rows(conn: &mut Conn, panel: &Panel) -> Result<Vec<Row>, AppError> {
    let entries: Vec<(Entry, String)> = panel_entries::table
        .inner_join(applications::table)
        .filter(panel_entries::panel_id.eq(panel.id))
        .filter(panel_entries::in_roster.eq(true))
        .select((
            panel_entries::all_columns,
            applications::registration_number,
        ))
        .order(applications::registration_number.asc())
        .load(conn)?;
    let (active, excluded) = conflicts::current_state(&conflicts::assignments(conn, panel.id)?);
    let mut recused_by_application: BTreeMap<ApplicationId, Vec<UserId>> = BTreeMap::new();
    for (application, user) in excluded {
        recused_by_application
            .entry(application)
            .or_default()
            .push(user);
    }
    let mut scores = current(scoring::versions(conn, panel.id, None, None)?);
    Ok(entries
        .into_iter()
        .map(|(entry, registration_number)| {
            let assigned = active
                .get(&entry.application_id)
                .cloned()
                .unwrap_or_default();
            let scores = assigned
                .iter()
                .filter_map(|u| scores.remove(&(entry.application_id, *u)))
                .collect();
            let recused = recused_by_application
                .remove(&entry.application_id)
                .unwrap_or_default();
            Row {
                application: entry.application_id,
                registration_number,
                entry,
                assigned,
                recused,
                scores,
            }
        })
        .collect())
}

/// The scale and range the aggregate is computed on.
pub struct Basis {
    pub scale: aggregation::Scale,
    pub range: StageRange,
}

/// The panel's rubric scale and the stage's score range in the opening's plan.
pub fn basis(conn: &mut Conn, panel: &Panel) -> Result<Basis, AppError> {
    let opening = crate::openings::store::find_by_id(conn, panel.opening_id)?
        .ok_or_else(AppError::not_found)?;
    let target = super::store::target_of(&opening, panel)?;
    let score_range = (target.score_min, target.score_max);
    let rubric = rubric_of(conn, panel)?;
    Ok(Basis {
        scale: rubric.scale()?,
        range: StageRange {
            min: i64::from(score_range.0),
            max: i64::from(score_range.1),
        },
    })
}

fn aggregate_row(panel: &Panel, basis: &Basis, row: &Row) -> Result<Option<Aggregated>, AppError> {
    let inputs = row
        .scores
        .iter()
        .map(|v| {
            Ok(ScoreInput {
                scorer: v.user_id,
                levels: v.parsed_levels()?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(aggregation::aggregate(
        &basis.scale,
        basis.range,
        panel.aggregate(),
        i64::from(panel.divergence_spread_x100),
        &inputs,
    ))
}

/// Every roster application's result, by registration number.
pub fn results(
    conn: &mut Conn,
    panel: &Panel,
    basis: &Basis,
) -> Result<Vec<PanelResultRow>, AppError> {
    rows(conn, panel)?
        .iter()
        .map(|row| {
            Ok(PanelResultRow {
                application_id: row.application,
                registration_number: row.registration_number.clone(),
                panel_code: row.entry.panel_code.clone(),
                assigned: row.assigned.len() as u32,
                result: aggregate_row(panel, basis, row)?,
                moderation_note: row.entry.moderation_note.clone(),
            })
        })
        .collect()
}

/// What the chair may see of one application's scores while the panel scores: nothing of one
/// they were recused from (404, like a code that is not theirs), and nothing of one they are
/// to score until they have scored it.
fn chair_may_see(row: &Row, chair: UserId) -> Result<(), AppError> {
    if row.recused.contains(&chair) {
        return Err(AppError::not_found());
    }
    if row.assigned.contains(&chair) && !row.scores.iter().any(|s| s.user_id == chair) {
        return Err(AppError::conflict(
            "own_score_missing",
            "submit your own score of this application before moderating it",
        ));
    }
    Ok(())
}

/// The current scorers' weighted totals of a divergent application, by panel code only.
fn moderation_item(row: &Row, aggregated: &Aggregated) -> ModerationItem {
    let mut totals: Vec<i32> = row.scores.iter().map(|s| s.weighted_x100).collect();
    totals.sort();
    ModerationItem {
        panel_code: row.entry.panel_code.clone(),
        weighted_totals_x100: totals,
        spread_x100: aggregated.spread_x100,
        note: row.entry.moderation_note.clone(),
    }
}

/// The chair has now seen the other scores of an application they score themselves: their
/// own score of it freezes, as when they read them in their queue.
fn chair_has_seen(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    row: &Row,
    chair: UserId,
) -> Result<(), AppError> {
    if row.assigned.contains(&chair) {
        scoring::mark_others_seen(conn, ctx, panel, row.application, chair)?;
    }
    Ok(())
}

/// The divergent applications the chair may see, by panel code only.
pub fn divergent(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    basis: &Basis,
    chair: UserId,
) -> Result<Vec<ModerationItem>, AppError> {
    let mut items = Vec::new();
    for row in rows(conn, panel)? {
        if chair_may_see(&row, chair).is_err() {
            continue;
        }
        if let Some(a) = aggregate_row(panel, basis, &row)?.filter(|a| a.divergent) {
            chair_has_seen(conn, ctx, panel, &row, chair)?;
            items.push(moderation_item(&row, &a));
        }
    }
    items.sort_by(|a, b| a.panel_code.cmp(&b.panel_code));
    Ok(items)
}

/// The chair's note on a divergent application; the scores themselves do not change.
pub fn moderate(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    basis: &Basis,
    chair: UserId,
    code: &str,
    note: &str,
) -> Result<ModerationItem, AppError> {
    if panel.status != PanelStatus::Scoring {
        return Err(AppError::conflict(
            "panel_not_scoring",
            "moderation happens while the panel scores",
        ));
    }
    let mut row = rows(conn, panel)?
        .into_iter()
        .find(|r| r.entry.panel_code == code)
        .ok_or_else(AppError::not_found)?;
    chair_may_see(&row, chair)?;
    let aggregated = aggregate_row(panel, basis, &row)?
        .filter(|a| a.divergent)
        .ok_or_else(|| {
            AppError::conflict(
                "not_divergent",
                "the scorers of this application do not diverge beyond the panel's spread",
            )
        })?;
    chair_has_seen(conn, ctx, panel, &row, chair)?;
    let note = note.trim();
    diesel::update(panel_entries::table.find((panel.id, row.application)))
        .set((
            panel_entries::moderation_note.eq(Some(note)),
            panel_entries::moderated_by.eq(Some(chair)),
            panel_entries::moderated_at.eq(Some(ctx.at)),
        ))
        .execute(conn)?;
    let event = PanelEvent::Moderated {
        application_id: row.application,
        note_sha256: text_digest(note),
    };
    audit::append(conn, ctx, event.of("panel.moderated", panel)?)?;
    row.entry.moderation_note = Some(note.to_string());
    Ok(moderation_item(&row, &aggregated))
}

/// Scores still missing: (application, scorers assigned without a score).
fn missing(rows: &[Row], min_scorers: i32) -> Vec<(ApplicationId, usize)> {
    rows.iter()
        .filter_map(|r| {
            let short = (min_scorers as usize).saturating_sub(r.scores.len());
            (short > 0).then_some((r.application, short))
        })
        .collect()
}

/// The chair locks the scores. With scores missing the lock needs a justification and is
/// recorded as a deviation listing them.
pub fn lock(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    chair: UserId,
    justification: Option<&str>,
) -> Result<(), AppError> {
    if panel.status != PanelStatus::Scoring {
        return Err(AppError::conflict(
            "panel_not_scoring",
            "only a panel that is scoring can lock",
        ));
    }
    let missing = missing(&rows(conn, panel)?, panel.min_scorers);
    let deviation = if missing.is_empty() {
        if justification.is_some() {
            check_justification(justification)?;
        }
        None
    } else {
        let justification = check_justification(justification).map_err(|_| AppError::Invalid {
            code: "justification_required",
            detail: format!(
                "{} application(s) lack scores; locking anyway is a deviation and needs a justification",
                missing.len()
            ),
            errors: vec![crate::error::FieldError::new("justification", "at least a sentence: 30 characters, 5 words")],
        })?;
        let details = json!({"panel_id": panel.id, "stage_code": panel.stage_code, "part_code": panel.part_code,
            "missing": missing.iter().map(|(a, n)| json!({"application_id": a, "scores_missing": n})).collect::<Vec<_>>()});
        Some(deviations::record(
            conn,
            ctx,
            NewDeviation {
                agency_id: Some(panel.agency_id),
                kind: DeviationKind::PanelLockedIncomplete,
                object_type: "panel",
                object_id: panel.id.to_string(),
                justification,
                official_id: chair,
                details,
            },
        )?)
    };
    set_status(conn, ctx, panel, PanelStatus::Locked, Some(ctx.at))?;
    let event = PanelEvent::Lock {
        complete: missing.is_empty(),
        missing_scores: missing.iter().map(|(_, n)| n).sum(),
        deviation_id: deviation.map(|d| d.id),
    };
    audit::append(conn, ctx, event.of("panel.locked", panel)?)
}

/// Re-opens a locked panel: a deviation by the appointing official, while the opening's stage
/// itself is not settled (locked, or left behind).
pub fn unlock(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    official: UserId,
    stage_settled: bool,
    justification: &str,
) -> Result<(), AppError> {
    if panel.status != PanelStatus::Locked {
        return Err(AppError::conflict(
            "panel_not_locked",
            "the panel's scores are not locked",
        ));
    }
    if stage_settled {
        return Err(AppError::conflict(
            "stage_locked",
            "the opening's stage was locked on these scores (or the opening has moved past it); \
             they can no longer re-open",
        ));
    }
    let justification = check_justification(Some(justification))?;
    let deviation = deviations::record(
        conn,
        ctx,
        NewDeviation {
            agency_id: Some(panel.agency_id),
            kind: DeviationKind::PanelUnlocked,
            object_type: "panel",
            object_id: panel.id.to_string(),
            justification,
            official_id: official,
            details: json!({"panel_id": panel.id, "stage_code": panel.stage_code, "part_code": panel.part_code,
            "locked_at": panel.locked_at.map(|t| t.to_rfc3339())}),
        },
    )?;
    set_status(conn, ctx, panel, PanelStatus::Scoring, None)?;
    let event = PanelEvent::Lock {
        complete: false,
        missing_scores: 0,
        deviation_id: Some(deviation.id),
    };
    audit::append(conn, ctx, event.of("panel.unlocked", panel)?)
}

fn set_status(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    status: PanelStatus,
    locked_at: Option<crate::db::types::Timestamp>,
) -> Result<(), AppError> {
    diesel::update(panels::table.find(panel.id))
        .set((
            panels::status.eq(status),
            panels::locked_at.eq(locked_at),
            panels::updated_at.eq(ctx.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Panels of the stage that are not locked (the opening's stage locks only after them).
pub fn unlocked_panels(
    conn: &mut Conn,
    opening: OpeningId,
    stage_code: &str,
) -> Result<Vec<String>, AppError> {
    let open: Vec<Panel> = panels::table
        .filter(panels::opening_id.eq(opening))
        .filter(panels::stage_code.eq(stage_code))
        .filter(panels::status.ne(PanelStatus::Locked))
        .load(conn)?;
    Ok(open.iter().map(Panel::target).collect())
}

/// Current scores of the panel by application (for analytics).
pub fn scores_by_application(
    conn: &mut Conn,
    panel: &Panel,
) -> Result<BTreeMap<ApplicationId, Vec<ScoreVersion>>, AppError> {
    let mut out: BTreeMap<ApplicationId, Vec<ScoreVersion>> = BTreeMap::new();
    for row in rows(conn, panel)? {
        out.insert(row.application, row.scores);
    }
    Ok(out)
}
