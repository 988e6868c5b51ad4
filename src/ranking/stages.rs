//! The stage actions of an opening's lifecycle (`start-stage`, `lock-stage`). They live here, after
//! openings and applications, because their preconditions need both: the opening's state machine,
//! the screening publication and appeals that decide when screening may lock, and what the
//! ranking can score.

use actix_web::web;

use crate::app::AppState;
use crate::applications::appeals::publication as appeals;
use crate::auth::policy::Principal;
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::openings::lifecycle::{self, Action, Step};
use crate::openings::model::{OpeningId, OpeningStatus, OpeningView, StageActionRequest};
use crate::openings::plan::{Stage, StageKind};
use crate::openings::store::{self as openings, Transition};

/// Whether the system can score a stage yet: only the rule set's SKD test has a score import and
/// stage results. Panel and composite stages (and objective tests other than SKD) cannot be scored
/// until their scoring exists, so starting one would leave the opening stuck in it.
fn scorable(stage: &Stage) -> bool {
    stage.kind == StageKind::Objective && stage.test.as_deref() == Some("skd")
}

/// A stage starts only if it can be scored.
fn start_guard(_: &mut Conn, step: &Transition) -> Result<(), AppError> {
    match lifecycle::step_at(step.to, step.plan) {
        Some(Step::Stage { stage, .. }) if scorable(stage) => Ok(()),
        Some(Step::Stage { stage, .. }) => Err(AppError::conflict(
            "stage_not_scorable",
            format!(
                "stage {} is a {} stage{}, which the system cannot score yet (only the rule set's \
                 SKD test can be imported and ranked)",
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

/// Screening may lock only once its results are published, the appeal window has ended and every
/// appeal is decided; a scored stage locks on the opening's own rules.
fn lock_guard(conn: &mut Conn, step: &Transition) -> Result<(), AppError> {
    if step.from.status == OpeningStatus::Screening {
        appeals::check_screening_can_lock(conn, step.opening.id, step.at)?;
    }
    Ok(())
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
            let guard: openings::Guard = match action {
                Action::StartStage => &start_guard,
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
/// stage the system cannot score yet (today only the rule set's SKD test can be).
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
/// ended and every appeal is decided.
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
    fn only_the_rule_sets_skd_test_can_be_scored_yet() {
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
        assert!(!scorable(&panel));
        let composite = stage(
            serde_json::json!({"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60}),
        );
        assert!(!scorable(&composite));
    }
}
