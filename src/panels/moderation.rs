//! The chair's moderation of divergent applications: what the chair may see of them while the
//! panel scores, and a note on one; the scores themselves never change.

use diesel::prelude::*;

use super::aggregation::Aggregated;
use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::results::{Basis, Row, aggregate_row, rows};
use super::scoring;
use super::views::ModerationItem;
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::panel_entries;
use crate::error::AppError;

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
