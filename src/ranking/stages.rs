//! The stage actions of an opening's lifecycle (`start-stage`, `lock-stage`). They live here, after
//! openings and applications, because their preconditions need both: the opening's state machine,
//! the screening publication and appeals that decide when screening may lock, and what the
//! ranking can score.

use actix_web::web;

use crate::app::AppState;
use crate::applications::appeals::publication as appeals;
use crate::applications::model::ApplicationId;
use crate::applications::store as applications;
use crate::audit::model::AuditContext;
use crate::auth::policy::Principal;
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::openings::catalogue::model::PositionKind;
use crate::openings::catalogue::store as catalogue;
use crate::openings::lifecycle::{self, Action, Step};
use crate::openings::model::{OpeningId, OpeningStatus, OpeningView, StageActionRequest};
use crate::openings::plan::{Stage, StageKind};
use crate::openings::rounds::store as rounds;
use crate::openings::store::{self as openings, Transition};
use crate::panels::results as panel_results;
use crate::panels::start::{self as panels, StageStart};
use crate::ranking::scores::results;

/// The panels a stage runs, by part code: `''` for a panel stage, the codes of a composite
/// stage's parts scored by a panel (its interview), none for any other stage.
fn panel_parts(stage: &Stage) -> Vec<String> {
    match stage.kind {
        StageKind::Panel => vec![String::new()],
        StageKind::Composite => stage
            .parts
            .iter()
            .filter(|p| p.panel.is_some())
            .map(|p| p.code.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the system can score a stage yet: the rule set's SKD test (imported scores), panel
/// stages, and the panel parts of composite stages (blind panel scoring). Other stages (a
/// composite with no panel part, objective tests other than SKD) cannot be scored until their
/// scoring exists, so starting one would leave the opening stuck in it.
fn scorable(stage: &Stage) -> bool {
    (stage.kind == StageKind::Objective && stage.test.as_deref() == Some("skd"))
        || !panel_parts(stage).is_empty()
}

/// A stage starts only if it can be scored; a panel stage, or a composite one with panel parts,
/// starts their panels (readiness, JPT composition, the random assignment of the roster).
fn start_guard(conn: &mut Conn, ctx: &AuditContext, step: &Transition) -> Result<(), AppError> {
    match lifecycle::step_at(step.to, step.plan) {
        Some(Step::Stage { stage, .. }) if !panel_parts(stage).is_empty() => {
            start_panel_stage(conn, ctx, step, stage)
        }
        Some(Step::Stage { stage, .. }) if scorable(stage) => Ok(()),
        Some(Step::Stage { stage, .. }) => Err(AppError::conflict(
            "stage_not_scorable",
            format!(
                "stage {} is a {} stage{}, which the system cannot score yet (only the rule set's \
                 SKD test, panel stages and composite stages with a panel part can be scored)",
                stage.code,
                stage.kind.as_str(),
                stage
                    .test
                    .as_deref()
                    .map(|t| format!(" with test {t}"))
                    .unwrap_or_default()
            ),
        )),
        _ => Err(AppError::internal(
            "start-stage led to no stage of the plan",
        )),
    }
}

fn start_panel_stage(
    conn: &mut Conn,
    ctx: &AuditContext,
    step: &Transition,
    stage: &Stage,
) -> Result<(), AppError> {
    let roster = stage_roster(conn, step)?;
    let position = catalogue::find_position(conn, step.opening.position_id)?
        .ok_or_else(|| AppError::internal("an opening's position is missing"))?;
    let start = StageStart {
        opening: step.opening.id,
        stage_code: &stage.code,
        roster: &roster,
        high_leadership: position.kind == PositionKind::HighLeadership,
        parts: panel_parts(stage),
    };
    panels::start_stage_panels(conn, ctx, &start)
}

/// Who takes the stage: the applications admitted by screening and not withdrawn; after an SKD
/// stage, those its results send on. After any other stage nothing decides yet who goes on
/// (panel and composite stages have no pass marks so far): 409 rather than a guess.
fn stage_roster(conn: &mut Conn, step: &Transition) -> Result<Vec<ApplicationId>, AppError> {
    let previous = step
        .from
        .current_stage
        .and_then(|i| step.plan.stages.get(i as usize))
        .filter(|s| s.kind != StageKind::Administrative);
    if let Some(other) = previous.filter(|s| s.test.as_deref() != Some("skd")) {
        return Err(AppError::conflict(
            "roster_undecided",
            format!(
                "who goes on from the {} stage {} is not decided by the system yet; a panel stage \
                 can follow screening or the SKD",
                other.kind.as_str(),
                other.code
            ),
        ));
    }
    if let Some(skd) = previous {
        let rule_set = step
            .opening
            .rule_set_id
            .ok_or_else(|| AppError::internal("an opening under assessment has no rule set"))?;
        let rules = rounds::find_rule_set(conn, rule_set)?
            .ok_or_else(|| AppError::internal("an opening's rule set is missing"))?
            .parsed_rules()?;
        let results = results::stage_results(conn, step.opening, skd, &rules)?;
        return Ok(results
            .items
            .into_iter()
            .filter(|r| r.goes_on)
            .map(|r| r.application_id)
            .collect());
    }
    applications::admitted_ids(conn, step.opening.id)
}

/// Screening may lock only once its results are published, the appeal window has ended and every
/// appeal is decided; a scored stage locks on the opening's own rules.
fn lock_guard(conn: &mut Conn, step: &Transition) -> Result<(), AppError> {
    if step.from.status == OpeningStatus::Screening {
        appeals::check_screening_can_lock(conn, step.opening.id, step.at)?;
    }
    if let Some(Step::Stage { stage, .. }) = lifecycle::step_at(step.from, step.plan)
        && !panel_parts(stage).is_empty()
    {
        let open = panel_results::unlocked_panels(conn, step.opening.id, &stage.code)?;
        if !open.is_empty() {
            return Err(AppError::conflict(
                "panel_not_locked",
                format!(
                    "the panel of {} must lock its scores first",
                    open.join(", ")
                ),
            ));
        }
        unpaneled_parts_scored(stage)?;
    }
    Ok(())
}

/// A composite stage locks only when all its parts have scores; the parts no panel scores (CAT
/// SKB, certificates) have no import yet, so such a stage cannot lock: 409 rather than a stage
/// result that silently lacks them.
fn unpaneled_parts_scored(stage: &Stage) -> Result<(), AppError> {
    let unscored: Vec<&str> = stage
        .parts
        .iter()
        .filter(|p| p.panel.is_none())
        .map(|p| p.code.as_str())
        .collect();
    if unscored.is_empty() {
        return Ok(());
    }
    Err(AppError::conflict(
        "stage_parts_unscored",
        format!(
            "stage {} cannot lock: its part(s) {} have no scores, and the system cannot record \
             them yet",
            stage.code,
            unscored.join(", ")
        ),
    ))
}

async fn run_stage_action(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: OpeningId,
    action: Action,
    request: StageActionRequest,
) -> Result<web::Json<OpeningView>, AppError> {
    let ctx = principal.audit_context(Some(request_id.0));
    let opening = state
        .db
        .write(move |conn| {
            let start = |c: &mut Conn, step: &Transition| start_guard(c, &ctx, step);
            let guard: openings::Guard = match action {
                Action::StartStage => &start,
                _ => &lock_guard,
            };
            let stage = Some(request.stage.as_str());
            openings::transition_managed(conn, &principal, &ctx, id, action, stage, guard)
        })
        .await?;
    Ok(web::Json(opening.try_into()?))
}

/// Start the next scored stage of the plan, named in the body (`{"stage": "SKD"}`). 409
/// `opening_state_conflict` unless the previous step's results are locked, `no_next_stage` after
/// the last stage, `stage_mismatch` if the body names another stage, `stage_not_scorable` for a
/// stage the system cannot score yet (the rule set's SKD test, panel stages and composite stages
/// with a panel part can be); a stage with panels starts them (409 `panel_missing`,
/// `declaration_missing`, ... when one is not ready; 422 for a JPT panel that breaks the rules).
#[utoipa::path(post, path = "/api/v1/openings/{id}/start-stage", tag = "openings", params(("id" = String, Path, format = Uuid)),
    request_body = StageActionRequest,
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn start_stage(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
    body: JsonBody<StageActionRequest>,
) -> Result<web::Json<OpeningView>, AppError> {
    let (id, request) = (id.into_inner(), body.value);
    run_stage_action(
        state,
        principal,
        request_id,
        id,
        Action::StartStage,
        request,
    )
    .await
}

/// Lock the results of screening or of the current stage, named in the body: `{"stage":
/// "screening"}` (or the plan's administrative stage code) while screening, else the stage's code.
/// 409 `opening_state_conflict` if already locked or not under way, `stage_mismatch` if the body
/// names another step; screening locks only once its results are published, the appeal window has
/// ended and every appeal is decided; a stage with panels once they are locked (409
/// `panel_not_locked`), and a composite stage not while a part no panel scores has no scores
/// (409 `stage_parts_unscored`: CAT SKB and certificate parts cannot be recorded yet).
#[utoipa::path(post, path = "/api/v1/openings/{id}/lock-stage", tag = "openings", params(("id" = String, Path, format = Uuid)),
    request_body = StageActionRequest,
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn lock_stage(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
    body: JsonBody<StageActionRequest>,
) -> Result<web::Json<OpeningView>, AppError> {
    let (id, request) = (id.into_inner(), body.value);
    run_stage_action(state, principal, request_id, id, Action::LockStage, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(value: serde_json::Value) -> Stage {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_rule_sets_skd_test_panel_stages_and_panel_parts_can_be_scored() {
        let skd = stage(
            serde_json::json!({"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40}),
        );
        assert!(scorable(&skd));
        let other_test = stage(
            serde_json::json!({"code": "T", "name": "T", "kind": "objective", "weight_percent": 40, "score_min": 0, "score_max": 100}),
        );
        assert!(!scorable(&other_test));
        let panel = stage(
            serde_json::json!({"code": "WWN", "name": "W", "kind": "panel", "weight_percent": 30, "score_min": 0, "score_max": 100,
                "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}}),
        );
        assert!(scorable(&panel));
        let composite = stage(
            serde_json::json!({"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60}),
        );
        assert!(!scorable(&composite));
        let cat_only = stage(
            serde_json::json!({"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60,
            "parts": [{"code": "CAT", "name": "CAT", "kind": "cat_skb", "weight_percent": 100, "score_min": 0, "score_max": 500}]}),
        );
        assert!(!scorable(&cat_only));
        assert!(unpaneled_parts_scored(&cat_only).is_err());
        let with_interview = stage(
            serde_json::json!({"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60,
            "parts": [{"code": "CAT", "name": "CAT", "kind": "cat_skb", "weight_percent": 70, "score_min": 0, "score_max": 500},
                {"code": "WWN", "name": "W", "kind": "interview", "weight_percent": 30, "score_min": 0, "score_max": 100,
                 "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}}]}),
        );
        assert!(scorable(&with_interview));
        assert_eq!(panel_parts(&with_interview), vec!["WWN".to_string()]);
        assert_eq!(panel_parts(&panel), vec![String::new()]);
        assert!(unpaneled_parts_scored(&with_interview).is_err());
    }
}
