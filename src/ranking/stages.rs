//! The stage actions of an opening's lifecycle (`start-stage`, `lock-stage`). They live here, after
//! openings and applications, because their preconditions need both: the opening's state machine,
//! and the screening publication and appeals that decide when screening may lock.

use actix_web::web;

use crate::app::AppState;
use crate::applications::appeals::store as appeals;
use crate::auth::policy::{Permission, Principal};
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::middleware::RequestId;
use crate::openings::lifecycle::Action;
use crate::openings::model::{OpeningId, OpeningStatus, OpeningView};
use crate::openings::routes::load_opening;
use crate::openings::store::{self as openings, Transition};

/// Screening may lock only once its results are published, the appeal window has ended and every
/// appeal is decided; a scored stage locks on the opening's own rules.
fn lock_guard(conn: &mut Conn, step: &Transition) -> Result<(), AppError> {
    if step.from.status == OpeningStatus::Screening {
        appeals::check_screening_can_lock(conn, step.opening.id)?;
    }
    Ok(())
}

async fn run_stage_action(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: OpeningId,
    action: Action,
) -> Result<web::Json<OpeningView>, AppError> {
    load_opening(&state, &principal, id, Permission::OpeningManage).await?;
    let ctx = principal.audit_context(Some(request_id.0));
    let opening = state
        .db
        .write(move |conn| {
            let guard: openings::Guard = match action {
                Action::LockStage => &lock_guard,
                _ => &openings::no_guard,
            };
            openings::transition(conn, &ctx, id, action, guard)
        })
        .await?;
    Ok(web::Json(opening.try_into()?))
}

/// Start the next scored stage of the plan (409 unless the previous step's results are locked).
#[utoipa::path(post, path = "/api/v1/openings/{id}/start-stage", tag = "openings", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn start_stage(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
) -> Result<web::Json<OpeningView>, AppError> {
    run_stage_action(
        state,
        principal,
        request_id,
        id.into_inner(),
        Action::StartStage,
    )
    .await
}

/// Lock the results of screening or of the current stage (409 if already locked or not under way).
#[utoipa::path(post, path = "/api/v1/openings/{id}/lock-stage", tag = "openings", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn lock_stage(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
) -> Result<web::Json<OpeningView>, AppError> {
    run_stage_action(
        state,
        principal,
        request_id,
        id.into_inner(),
        Action::LockStage,
    )
    .await
}
