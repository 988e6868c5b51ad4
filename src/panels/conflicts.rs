//! Conflict-of-interest matching and recusal: declared relatives' keyed hashes against the
//! applicants' NIK/KK hashes (no clear number is ever compared or shown), and taking a panelist
//! off one application with a replacement chosen by the assignment rule, whether by a match,
//! by the panelist's own choice, or by declining at the reveal of a stage that is not blind.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use super::assignment;
use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::scoring;
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{applications, panel_assignments, panel_members, panel_scores, persons};
use crate::error::AppError;

/// A declared relation that matched an applicant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub application: ApplicationId,
    pub user: UserId,
    pub relation: RelationKind,
}

/// Every (application, member) pair of the opening where a member's declared relative has the
/// applicant's NIK or KK (only `user`'s declaration when given).
pub fn declared_matches(
    conn: &mut Conn,
    panel: &Panel,
    only_user: Option<UserId>,
) -> Result<Vec<Match>, AppError> {
    let mut by_hash: BTreeMap<String, Vec<(UserId, RelationKind)>> = BTreeMap::new();
    for declaration in super::declarations::declarations(conn, panel.id)? {
        if only_user.is_some_and(|u| u != declaration.user_id) {
            continue;
        }
        let relations: Vec<StoredRelation> =
            serde_json::from_str(&declaration.relations).map_err(AppError::internal_from)?;
        for r in relations {
            for hash in [r.nik_hash, r.kk_hash].into_iter().flatten() {
                by_hash
                    .entry(hash)
                    .or_default()
                    .push((declaration.user_id, r.relation));
            }
        }
    }
    if by_hash.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<&String> = by_hash.keys().collect();
    let applicants: Vec<(ApplicationId, String, String)> = applications::table
        .inner_join(persons::table)
        .filter(applications::opening_id.eq(panel.opening_id))
        .filter(
            persons::nik_hash
                .eq_any(&hashes)
                .or(persons::kk_hash.eq_any(&hashes)),
        )
        .select((applications::id, persons::nik_hash, persons::kk_hash))
        .load(conn)?;
    let mut found = BTreeSet::new();
    for (application, nik, kk) in applicants {
        for hash in [nik, kk] {
            for (user, relation) in by_hash.get(&hash).into_iter().flatten() {
                found.insert(Match {
                    application,
                    user: *user,
                    relation: *relation,
                });
            }
        }
    }
    Ok(dedup_pairs(found))
}

/// One match per pair (the first relation kind in order).
fn dedup_pairs(found: BTreeSet<Match>) -> Vec<Match> {
    let mut seen = BTreeSet::new();
    found
        .into_iter()
        .filter(|m| seen.insert((m.application, m.user)))
        .collect()
}

pub fn assignments(conn: &mut Conn, panel: PanelId) -> Result<Vec<Assignment>, AppError> {
    Ok(panel_assignments::table
        .filter(panel_assignments::panel_id.eq(panel))
        .order((
            panel_assignments::application_id.asc(),
            panel_assignments::user_id.asc(),
        ))
        .load(conn)?)
}

/// The assignment rows, active and recused, of some applications of the panel (one page).
pub fn assignments_of(
    conn: &mut Conn,
    panel: PanelId,
    applications: &[ApplicationId],
) -> Result<Vec<Assignment>, AppError> {
    Ok(panel_assignments::table
        .filter(panel_assignments::panel_id.eq(panel))
        .filter(panel_assignments::application_id.eq_any(applications))
        .order((
            panel_assignments::application_id.asc(),
            panel_assignments::user_id.asc(),
        ))
        .load(conn)?)
}

/// The active assignment map and the pairs no one may be assigned (recused).
/// Who scores each application now, and the pairs never to assign again.
pub type AssignmentState = (
    BTreeMap<ApplicationId, Vec<UserId>>,
    BTreeSet<(ApplicationId, UserId)>,
);

pub fn current_state(rows: &[Assignment]) -> AssignmentState {
    let mut active: BTreeMap<ApplicationId, Vec<UserId>> = BTreeMap::new();
    let mut excluded = BTreeSet::new();
    for row in rows {
        if row.recused_at.is_some() {
            excluded.insert((row.application_id, row.user_id));
        } else {
            active
                .entry(row.application_id)
                .or_default()
                .push(row.user_id);
        }
    }
    (active, excluded)
}

/// Why and how a panelist leaves one application.
pub struct Recusal<'a> {
    pub application: ApplicationId,
    pub user: UserId,
    pub basis: RecusalBasis,
    pub relation: Option<RelationKind>,
    pub reason: Option<&'a str>,
}

/// Takes `user` off `application` (their scores of it no longer count) and assigns the
/// least-loaded eligible member in their place, if there is one. Returns the replacement.
pub fn recuse(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    members: &[UserId],
    recusal: Recusal,
) -> Result<Option<UserId>, AppError> {
    let rows = assignments(conn, panel.id)?;
    let (active, mut excluded) = current_state(&rows);
    excluded.insert((recusal.application, recusal.user));
    if let Some(chair) = chair_who_may_have_seen(conn, panel.id, recusal.application)? {
        excluded.insert((recusal.application, chair));
    }
    let replacement = assignment::replacement(
        &active,
        &recusal.application,
        &recusal.user,
        members,
        &excluded,
        panel.assignment_seed.unwrap_or(0) as u64,
    );
    diesel::update(panel_assignments::table.find((panel.id, recusal.application, recusal.user)))
        .set((
            panel_assignments::recused_at.eq(Some(ctx.at)),
            panel_assignments::recusal_basis.eq(Some(recusal.basis)),
            panel_assignments::recusal_reason.eq(recusal
                .reason
                .map(str::to_string)
                .or(recusal.relation.map(|r| r.as_str().to_string()))),
        ))
        .execute(conn)?;
    if let Some(next) = replacement {
        insert_assignment(conn, ctx, panel.id, recusal.application, next)?;
    }
    let event = PanelEvent::Recused {
        application_id: recusal.application,
        user_id: recusal.user,
        basis: recusal.basis,
        relation: recusal.relation,
        reason_sha256: recusal.reason.map(text_digest),
        replaced_by: replacement,
    };
    audit::append(conn, ctx, event.of("panel.recused", panel)?)?;
    Ok(replacement)
}

/// The chair, if they may have read this application's scores in moderation (it has had
/// scores from two members, the least that can diverge): they never become its scorer then.
fn chair_who_may_have_seen(
    conn: &mut Conn,
    panel: PanelId,
    application: ApplicationId,
) -> Result<Option<UserId>, AppError> {
    let chair: Option<UserId> = panel_members::table
        .filter(panel_members::panel_id.eq(panel))
        .filter(panel_members::chair.eq(true))
        .filter(panel_members::removed_at.is_null())
        .select(panel_members::user_id)
        .first(conn)
        .optional()?;
    let scorers: Vec<UserId> = panel_scores::table
        .filter(panel_scores::panel_id.eq(panel))
        .filter(panel_scores::application_id.eq(application))
        .select(panel_scores::user_id)
        .distinct()
        .load(conn)?;
    Ok(chair.filter(|_| scorers.len() >= 2))
}

pub fn insert_assignment(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: PanelId,
    application: ApplicationId,
    user: UserId,
) -> Result<(), AppError> {
    diesel::insert_into(panel_assignments::table)
        .values(&Assignment {
            panel_id: panel,
            application_id: application,
            user_id: user,
            assigned_at: ctx.at,
            conflict_cleared_at: None,
            others_seen_at: None,
            recused_at: None,
            recusal_basis: None,
            recusal_reason: None,
        })
        .execute(conn)?;
    Ok(())
}

/// The panelist steps back from one application, with a reason; another member takes it over.
pub fn recuse_self(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
    code: &str,
    reason: &str,
) -> Result<(), AppError> {
    scoring::scoring_open(panel)?;
    let seat = scoring::seat(conn, panel.id, user, code)?;
    let members: Vec<UserId> = super::store::members(conn, panel.id)?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let recusal = Recusal {
        application: seat.entry.application_id,
        user,
        basis: RecusalBasis::SelfDeclared,
        relation: None,
        reason: Some(reason.trim()),
    };
    recuse(conn, ctx, panel, &members, recusal)?;
    Ok(())
}

/// At a stage that is not blind: "no conflict" clears the panelist to score the candidate;
/// declining recuses them.
pub fn check_conflict(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
    code: &str,
    no_conflict: bool,
) -> Result<(), AppError> {
    scoring::scoring_open(panel)?;
    if panel.blind {
        return Err(AppError::conflict(
            "stage_is_blind",
            "a blind stage reveals no candidate, so there is nothing to confirm",
        ));
    }
    let seat = scoring::seat(conn, panel.id, user, code)?;
    let application = seat.entry.application_id;
    if no_conflict {
        diesel::update(panel_assignments::table.find((panel.id, application, user)))
            .set(panel_assignments::conflict_cleared_at.eq(Some(ctx.at)))
            .execute(conn)?;
        let event = PanelEvent::Pair {
            application_id: application,
            user_id: user,
        };
        return audit::append(conn, ctx, event.of("panel.conflict_cleared", panel)?);
    }
    let members: Vec<UserId> = super::store::members(conn, panel.id)?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let recusal = Recusal {
        application,
        user,
        basis: RecusalBasis::DeclinedAtReveal,
        relation: None,
        reason: None,
    };
    recuse(conn, ctx, panel, &members, recusal)?;
    Ok(())
}
