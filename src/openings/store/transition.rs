//! Lifecycle writes of an opening: one state-machine action under a row lock, with the caller's
//! guard, publish's freeze of the plan under the round's rule set, and the audit event.

use diesel::prelude::*;
use serde_json::json;

use super::{agency_level, check_content};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::policy::{self, Permission, Principal};
use crate::db::Conn;
use crate::db::schema::openings;
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::lifecycle::{self, Action};
use crate::openings::model::{Opening, OpeningId};
use crate::openings::plan::AssessmentPlan;
use crate::openings::rounds::store as rounds;
use crate::openings::rules::Content;

/// One lifecycle step as a caller's guard sees it: the locked row before the action, its plan, and
/// the position before and after.
pub struct Transition<'a> {
    pub opening: &'a Opening,
    pub plan: &'a AssessmentPlan,
    pub action: Action,
    pub from: lifecycle::Position,
    pub to: lifecycle::Position,
    /// When the action happens (the audit context's time).
    pub at: Timestamp,
}

/// A precondition the caller adds to a lifecycle action (e.g. that screening's appeals are all
/// decided, which only a later domain knows). It runs inside the action's transaction, on the
/// locked row, after the state machine has allowed the step and before anything is written.
pub type Guard<'a> = &'a dyn Fn(&mut Conn, &Transition) -> Result<(), AppError>;

/// The guard of actions that need nothing beyond the opening's own rules.
pub fn no_guard(_: &mut Conn, _: &Transition) -> Result<(), AppError> {
    Ok(())
}

/// Runs one lifecycle action under a row lock; publishing validates and freezes the plan under the
/// round's rule set, which is locked too so it cannot change in between. `guard` is the caller's
/// extra precondition, checked in the same transaction.
/// [`transition`] of an opening the caller may manage: the row is loaded for update and
/// authorized in the same transaction as the write.
pub fn transition_managed(
    conn: &mut Conn,
    principal: &Principal,
    ctx: &AuditContext,
    id: OpeningId,
    action: Action,
    stage: Option<&str>,
    guard: Guard,
) -> Result<Opening, AppError> {
    policy::load(conn, principal, Permission::OpeningManage, |c| {
        super::find_for_update(c, id)
    })?;
    transition(conn, ctx, id, action, stage, guard)
}

pub fn transition(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: OpeningId,
    action: Action,
    stage: Option<&str>,
    guard: Guard,
) -> Result<Opening, AppError> {
    let before: Opening =
        crate::find_for_update!(conn, openings, id)?.ok_or_else(AppError::not_found)?;
    let plan = before.parsed_plan()?;
    let from = before.position();
    let refused = |r: lifecycle::Refusal| AppError::conflict(r.code, r.detail);
    let to = lifecycle::apply(action, from, &plan).map_err(refused)?;
    if action.is_stage_action() {
        let named = stage
            .ok_or_else(|| AppError::field("stage", "name the stage this action is meant for"))?;
        lifecycle::check_named(action, to, &plan, named).map_err(refused)?;
    }
    guard(
        conn,
        &Transition {
            opening: &before,
            plan: &plan,
            action,
            from,
            to,
            at: ctx.at,
        },
    )?;
    let now = ctx.at;
    let mut after = before.clone();
    let stage_code = lifecycle::step_at(to, &plan).map(|step| step.code().to_string());
    let mut payload = json!({"action": action.as_str(), "from": from.status, "to": to.status,
        "current_stage": to.current_stage, "current_stage_code": stage_code,
        "stage_locked": to.stage_locked});
    match action {
        Action::Publish => {
            let round =
                rounds::find_round(conn, before.round_id)?.ok_or_else(AppError::not_found)?;
            let rule_set: crate::openings::rounds::model::RuleSet =
                crate::find_for_update!(conn, rule_sets, round.rule_set_id)?
                    .ok_or_else(AppError::not_found)?;
            let content = Content {
                kind: before.kind,
                seat_groups: &before.parsed_seat_groups()?,
                eligibility: &before.parsed_eligibility()?,
                plan: &plan,
                opens: before.application_opens_at,
                closes: before.application_closes_at,
            };
            check_content(
                &content,
                &rule_set.parsed_rules()?,
                agency_level(conn, before.agency_id)?,
            )?;
            if before.application_closes_at <= now {
                return Err(AppError::field(
                    "application_closes_at",
                    "the application window has already ended",
                ));
            }
            after.rule_set_id = Some(rule_set.id);
            after.published_at = Some(now);
            payload["rule_set_id"] = json!(rule_set.id);
            payload["rule_set_code"] = json!(rule_set.code);
        }
        Action::Close if now < before.application_closes_at => {
            return Err(AppError::conflict(
                "application_window_open",
                format!(
                    "applications are open until {}; close after that",
                    before.application_closes_at.to_rfc3339()
                ),
            ));
        }
        _ => {}
    }
    after.status = to.status;
    after.current_stage = to.current_stage;
    after.stage_locked = to.stage_locked;
    after.updated_at = now;
    diesel::update(openings::table.find(id))
        .set((
            openings::status.eq(&after.status),
            openings::current_stage.eq(after.current_stage),
            openings::stage_locked.eq(after.stage_locked),
            openings::rule_set_id.eq(after.rule_set_id),
            openings::published_at.eq(after.published_at),
            openings::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    let action_name = match action {
        Action::Publish => "opening.published",
        Action::Close => "opening.closed",
        Action::StartScreening => "opening.screening_started",
        Action::StartStage => "opening.stage_started",
        Action::LockStage => "opening.stage_locked",
    };
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new(action_name, "opening", id)
            .agency(Some(before.agency_id))
            .payload(payload),
    )?;
    Ok(after)
}
