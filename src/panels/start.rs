//! Starting a panel with its stage: the readiness and (for JPT openings) composition rules, a
//! panel code for every application in the stage's roster, the random balanced assignment with
//! a recorded seed, and the recusals the declarations already call for.

use std::collections::BTreeSet;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::assignment;
use super::conflicts::{self, Match};
use super::events::PanelEvent;
use super::model::*;
use super::rules::{self, Composition, Readiness};
use super::store;
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{panel_entries, panels};
use crate::error::AppError;

/// What the stage start knows about the opening.
pub struct StageStart<'a> {
    pub opening: OpeningId,
    pub stage_code: &'a str,
    /// The applications that take this stage, in any order.
    pub roster: &'a [ApplicationId],
    /// A high-leadership (JPT) opening: the composition rules apply.
    pub high_leadership: bool,
    /// Panel parts the stage needs a panel for ('' for a panel stage).
    pub parts: Vec<String>,
}

/// Starts every panel the stage needs; 409 when one is missing or not ready, 422 when a JPT
/// panel breaks the composition rules.
pub fn start_stage_panels(
    conn: &mut Conn,
    ctx: &AuditContext,
    start: &StageStart,
) -> Result<(), AppError> {
    for part in &start.parts {
        let id: Option<PanelId> = panels::table
            .filter(panels::opening_id.eq(start.opening))
            .filter(panels::stage_code.eq(start.stage_code))
            .filter(panels::part_code.eq(part))
            .select(panels::id)
            .first(conn)
            .optional()?;
        let target = if part.is_empty() {
            start.stage_code.to_string()
        } else {
            format!("{}/{part}", start.stage_code)
        };
        let id = id.ok_or_else(|| {
            AppError::conflict("panel_missing", format!("{target} has no panel yet"))
        })?;
        let panel = store::find_for_update(conn, id)?.ok_or_else(AppError::not_found)?;
        start_panel(conn, ctx, &panel, start)?;
    }
    Ok(())
}

fn start_panel(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    start: &StageStart,
) -> Result<(), AppError> {
    if panel.status != PanelStatus::Forming {
        return Err(AppError::conflict(
            "panel_started",
            format!("the panel of {} has started", panel.target()),
        ));
    }
    let members = store::members(conn, panel.id)?;
    let declared: BTreeSet<UserId> = super::declarations::declarations(conn, panel.id)?
        .into_iter()
        .map(|d| d.user_id)
        .collect();
    rules::check_ready(&Readiness {
        target: &panel.target(),
        members: members.len(),
        chairs: members.iter().filter(|m| m.chair).count(),
        min_scorers: panel.min_scorers,
        undeclared: members
            .iter()
            .filter(|m| !declared.contains(&m.user_id))
            .map(|m| m.user_id.to_string())
            .collect(),
    })?;
    if start.high_leadership {
        rules::check_jpt_composition(Composition {
            members: members.len(),
            internal: members.iter().filter(|m| m.internal).count(),
            party_members: members.iter().filter(|m| m.political_party_member).count(),
        })?;
    }
    let mut roster = start.roster.to_vec();
    roster.sort();
    roster.dedup();
    ensure_entries(conn, panel, &roster)?;
    let matches: Vec<Match> = conflicts::declared_matches(conn, panel, None)?
        .into_iter()
        .filter(|m| roster.binary_search(&m.application).is_ok())
        .collect();
    let excluded: BTreeSet<(ApplicationId, UserId)> =
        matches.iter().map(|m| (m.application, m.user)).collect();
    let member_ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
    let seed = random_seed()?;
    let plan = assignment::assign(&roster, &member_ids, panel.min_scorers as usize, &excluded, seed as u64)
        .map_err(|short| {
            AppError::conflict(
                "panel_cannot_cover",
                format!(
                    "{} application(s) would have fewer than {} scorers once recusals are applied; add members",
                    short.applications.len(),
                    panel.min_scorers
                ),
            )
        })?;
    let rows = assignment_rows(ctx, panel.id, &plan, &matches);
    crate::bulk_insert!(conn, panel_assignments, &rows)?;
    diesel::update(panels::table.find(panel.id))
        .set((
            panels::status.eq(PanelStatus::Scoring),
            panels::assignment_seed.eq(Some(seed)),
            panels::started_at.eq(Some(ctx.at)),
            panels::updated_at.eq(ctx.at),
        ))
        .execute(conn)?;
    let event = PanelEvent::Assigned {
        seed,
        scorers_per_application: panel.min_scorers,
        applications: roster.len(),
        members: member_ids,
        excluded_pairs: excluded.len(),
        assignment_sha256: digest_of(&plan),
    };
    audit::append(conn, ctx, event.of("panel.assigned", panel)?)?;
    for m in &matches {
        let event = PanelEvent::Recused {
            application_id: m.application,
            user_id: m.user,
            basis: RecusalBasis::DeclaredRelation,
            relation: Some(m.relation),
            reason_sha256: None,
            replaced_by: None,
        };
        audit::append(conn, ctx, event.of("panel.recused", panel)?)?;
    }
    Ok(())
}

/// The assignment rows: the scorers of each application, and the recused pairs (recorded so HR
/// and auditors see each recusal with its basis).
fn assignment_rows(
    ctx: &AuditContext,
    panel: PanelId,
    plan: &std::collections::BTreeMap<ApplicationId, Vec<UserId>>,
    matches: &[Match],
) -> Vec<Assignment> {
    let row = |application, user| Assignment {
        panel_id: panel,
        application_id: application,
        user_id: user,
        assigned_at: ctx.at,
        conflict_cleared_at: None,
        others_seen_at: None,
        recused_at: None,
        recusal_basis: None,
        recusal_reason: None,
    };
    let mut rows: Vec<Assignment> = plan
        .iter()
        .flat_map(|(application, users)| users.iter().map(|u| row(*application, *u)))
        .collect();
    rows.extend(matches.iter().map(|m| Assignment {
        recused_at: Some(ctx.at),
        recusal_basis: Some(RecusalBasis::DeclaredRelation),
        recusal_reason: Some(m.relation.as_str().to_string()),
        ..row(m.application, m.user)
    }));
    rows
}

/// SHA-256 over `application:member,member` lines in order: what the seed produced.
fn digest_of(plan: &std::collections::BTreeMap<ApplicationId, Vec<UserId>>) -> String {
    let mut hasher = Sha256::new();
    for (application, users) in plan {
        let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        hasher.update(format!("{application}:{}\n", users.join(",")));
    }
    hex::encode(hasher.finalize())
}

fn random_seed() -> Result<i64, AppError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    // Positive, so that it reads the same in every tool.
    Ok(i64::from_le_bytes(bytes) & i64::MAX)
}

/// An entry (with a fresh panel code) for every roster application; entries made for material
/// of applications outside the roster stay out of it.
fn ensure_entries(
    conn: &mut Conn,
    panel: &Panel,
    roster: &[ApplicationId],
) -> Result<(), AppError> {
    let existing: BTreeSet<ApplicationId> = panel_entries::table
        .filter(panel_entries::panel_id.eq(panel.id))
        .select(panel_entries::application_id)
        .load::<ApplicationId>(conn)?
        .into_iter()
        .collect();
    let mut fresh = Vec::new();
    for application in roster.iter().filter(|a| !existing.contains(a)) {
        fresh.push(Entry {
            panel_id: panel.id,
            application_id: *application,
            panel_code: store::new_panel_code()?,
            material: None,
            material_redacted: None,
            material_updated_at: None,
            in_roster: true,
            moderation_note: None,
            moderated_by: None,
            moderated_at: None,
        });
    }
    crate::bulk_insert!(conn, panel_entries, &fresh)?;
    let in_roster: Vec<ApplicationId> = roster
        .iter()
        .filter(|a| existing.contains(a))
        .copied()
        .collect();
    for chunk in in_roster.chunks(500) {
        diesel::update(
            panel_entries::table
                .filter(panel_entries::panel_id.eq(panel.id))
                .filter(panel_entries::application_id.eq_any(chunk)),
        )
        .set(panel_entries::in_roster.eq(true))
        .execute(conn)?;
    }
    Ok(())
}
