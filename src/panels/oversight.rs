//! What HR and auditors read of a panel's assignments: who scores each roster application and
//! every recusal with its basis (never shown to panelists).

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::conflicts;
use super::model::*;
use super::views::{AssignmentView, RecusalView};
use crate::db::Conn;
use crate::db::schema::{applications, panel_entries};
use crate::error::AppError;

/// The scorers of each roster application, by application id (HR, auditors).
pub fn assignment_views(
    conn: &mut Conn,
    panel: &Panel,
    after: Option<ApplicationId>,
    limit: i64,
) -> Result<Vec<AssignmentView>, AppError> {
    let mut query = panel_entries::table
        .inner_join(applications::table)
        .filter(panel_entries::panel_id.eq(panel.id))
        .filter(panel_entries::in_roster.eq(true))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(panel_entries::application_id.gt(after));
    }
    let entries: Vec<(ApplicationId, String, String)> = query
        .select((
            panel_entries::application_id,
            panel_entries::panel_code,
            applications::registration_number,
        ))
        .order(panel_entries::application_id.asc())
        .limit(limit)
        .load(conn)?;
    let page: Vec<ApplicationId> = entries.iter().map(|(a, _, _)| *a).collect();
    let mut by_application: BTreeMap<ApplicationId, Vec<Assignment>> = BTreeMap::new();
    for row in conflicts::assignments_of(conn, panel.id, &page)? {
        by_application
            .entry(row.application_id)
            .or_default()
            .push(row);
    }
    Ok(entries
        .into_iter()
        .map(|(application, panel_code, registration_number)| {
            let of_app = by_application.remove(&application).unwrap_or_default();
            let (recused, active): (Vec<Assignment>, Vec<Assignment>) =
                of_app.into_iter().partition(|r| r.recused_at.is_some());
            AssignmentView {
                application_id: application,
                registration_number,
                panel_code,
                scorers: active.iter().map(|r| r.user_id).collect(),
                recused: recused.iter().map(|r| r.user_id).collect(),
            }
        })
        .collect())
}

/// Every recusal with its basis (HR, auditors).
pub fn recusal_views(conn: &mut Conn, panel: &Panel) -> Result<Vec<RecusalView>, AppError> {
    let entries: BTreeMap<ApplicationId, (String, String)> = panel_entries::table
        .inner_join(applications::table)
        .filter(panel_entries::panel_id.eq(panel.id))
        .select((
            panel_entries::application_id,
            panel_entries::panel_code,
            applications::registration_number,
        ))
        .load::<(ApplicationId, String, String)>(conn)?
        .into_iter()
        .map(|(a, code, number)| (a, (code, number)))
        .collect();
    Ok(conflicts::assignments(conn, panel.id)?
        .into_iter()
        .filter_map(|r| {
            let (recused_at, basis) = (r.recused_at?, r.recusal_basis?);
            let (code, number) = entries.get(&r.application_id).cloned().unwrap_or_default();
            Some(RecusalView {
                application_id: r.application_id,
                registration_number: number,
                panel_code: code,
                user_id: r.user_id,
                basis,
                detail: r.recusal_reason,
                recused_at,
            })
        })
        .collect())
}
