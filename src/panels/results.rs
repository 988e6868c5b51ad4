//! The panel's results and its end: each application's aggregate (what the ranking reads), the
//! lock (with missing scores listed as a deviation) and the unlock (always a deviation, by the
//! appointing official). The chair's moderation of divergent applications is in `moderation`.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::json;

use super::aggregation::{self, Aggregated, ScoreInput, StageRange};
use super::conflicts;
use super::events::PanelEvent;
use super::model::*;
use super::scoring::{self, current, rubric_of};
use super::views::PanelResultRow;
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{applications, panel_entries, panels};
use crate::deviations::model::{DeviationKind, NewDeviation, check_justification};
use crate::deviations::store as deviations;
use crate::error::AppError;

/// One roster application with its active scorers and their current scores.
pub(super) struct Row {
    pub(super) application: ApplicationId,
    pub(super) registration_number: String,
    pub(super) entry: Entry,
    pub(super) assigned: Vec<UserId>,
    pub(super) recused: Vec<UserId>,
    pub(super) scores: Vec<ScoreVersion>,
}

pub(super) fn rows(conn: &mut Conn, panel: &Panel) -> Result<Vec<Row>, AppError> {
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

pub(super) fn aggregate_row(
    panel: &Panel,
    basis: &Basis,
    row: &Row,
) -> Result<Option<Aggregated>, AppError> {
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
