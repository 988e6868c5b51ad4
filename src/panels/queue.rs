//! The panelist's queue: their active assignments by panel code, with the redacted stage
//! material, their own current score, and (at a stage that is not blind) the candidate's name.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::model::*;
use super::requests::Material;
use super::scoring::{current, score_view};
use super::views::QueueItem;
use crate::db::Conn;
use crate::db::schema::{applications, panel_assignments, panel_entries, panel_scores, persons};
use crate::error::AppError;

/// The panelist's queue by panel code: their active assignments, with the redacted material.
pub fn queue(
    conn: &mut Conn,
    panel: &Panel,
    user: UserId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<QueueItem>, AppError> {
    let mut query = panel_assignments::table
        .inner_join(
            panel_entries::table.on(panel_entries::panel_id
                .eq(panel_assignments::panel_id)
                .and(panel_entries::application_id.eq(panel_assignments::application_id))),
        )
        .filter(panel_assignments::panel_id.eq(panel.id))
        .filter(panel_assignments::user_id.eq(user))
        .filter(panel_assignments::recused_at.is_null())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(panel_entries::panel_code.gt(after.to_string()));
    }
    let rows: Vec<(
        ApplicationId,
        String,
        Option<String>,
        Option<crate::db::types::Timestamp>,
    )> = query
        .select((
            panel_entries::application_id,
            panel_entries::panel_code,
            panel_entries::material_redacted,
            panel_assignments::conflict_cleared_at,
        ))
        .order(panel_entries::panel_code.asc())
        .limit(limit)
        .load(conn)?;
    let ids: Vec<ApplicationId> = rows.iter().map(|r| r.0).collect();
    let mine = current(
        panel_scores::table
            .filter(panel_scores::panel_id.eq(panel.id))
            .filter(panel_scores::user_id.eq(user))
            .filter(panel_scores::application_id.eq_any(&ids))
            .order(panel_scores::version.asc())
            .load(conn)?,
    );
    let names = if panel.blind {
        BTreeMap::new()
    } else {
        candidate_names(conn, &ids)?
    };
    rows.into_iter()
        .map(|(application, code, material, cleared)| {
            let material: Option<Material> = material
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(AppError::internal_from)?;
            Ok(QueueItem {
                my_score: mine
                    .get(&(application, user))
                    .map(|v| score_view(&code, v))
                    .transpose()?,
                panel_code: code,
                material,
                candidate_name: names.get(&application).cloned(),
                conflict_cleared: (!panel.blind).then_some(cleared.is_some()),
            })
        })
        .collect()
}

/// Names of candidates at a stage that is not blind (a face-to-face interview).
fn candidate_names(
    conn: &mut Conn,
    ids: &[ApplicationId],
) -> Result<BTreeMap<ApplicationId, String>, AppError> {
    Ok(applications::table
        .inner_join(persons::table)
        .filter(applications::id.eq_any(ids))
        .select((applications::id, persons::full_name))
        .load::<(ApplicationId, String)>(conn)?
        .into_iter()
        .collect())
}

/// Whether any of the panelist's assignments on this panel was recused.
pub fn recusals_happened(conn: &mut Conn, panel: PanelId, user: UserId) -> Result<bool, AppError> {
    let found: Option<ApplicationId> = panel_assignments::table
        .filter(panel_assignments::panel_id.eq(panel))
        .filter(panel_assignments::user_id.eq(user))
        .filter(panel_assignments::recused_at.is_not_null())
        .select(panel_assignments::application_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
