//! What HR officers, appointing officials and auditors read of a panel (assignments,
//! recusals, results, rater analytics) and the unlock; a sitting member reaches none of it
//! until the lock.

use actix_web::web;

use super::setup::{as_overseer, panel_view, read_as_overseer};
use crate::app::AppState;
use crate::auth::policy::{Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::openings::store as openings;
use crate::panels::analytics::{self, Divergence, RaterAnalytics};
use crate::panels::model::{ApplicationId, PanelId};
use crate::panels::requests::UnlockRequest;
use crate::panels::views::*;
use crate::panels::{conflicts, oversight, results, store};

/// Who scores which application (HR officers, auditors), with the assignment's seed.
#[utoipa::path(get, path = "/api/v1/panels/{id}/assignments", tag = "panels",
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = AssignmentPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<AssignmentPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<ApplicationId>()?;
    let (seed, rows) = state
        .db
        .run(move |conn| {
            let panel = read_as_overseer(conn, &principal, id)?;
            let rows = oversight::assignment_views(conn, &panel, after, limit + 1)?;
            Ok((panel.assignment_seed, rows))
        })
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |a| a.application_id);
    Ok(web::Json(AssignmentPage {
        assignment_seed: seed,
        items,
        next_cursor,
    }))
}

/// Every recusal with its basis (HR officers, auditors): the relation kind of a matched
/// declaration or the panelist's own reason; never the relative's name or numbers.
#[utoipa::path(get, path = "/api/v1/panels/{id}/recusals", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RecusalList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_recusals(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<RecusalList>, AppError> {
    let id = id.into_inner();
    let items = state
        .db
        .run(move |conn| {
            let panel = read_as_overseer(conn, &principal, id)?;
            oversight::recusal_views(conn, &panel)
        })
        .await?;
    Ok(web::Json(RecusalList { items }))
}

/// Each application's stage result (HR officers, auditors): per criterion, the weighted total
/// and the stage score as integer × 100, the number of scorers and the divergence flag.
#[utoipa::path(get, path = "/api/v1/panels/{id}/results", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_panel_results(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<PanelResults>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let panel = read_as_overseer(conn, &principal, id)?;
            let basis = results::basis(conn, &panel)?;
            let items = results::results(conn, &panel, &basis)?;
            Ok(PanelResults {
                panel_id: panel.id,
                part_code: (!panel.part_code.is_empty()).then(|| panel.part_code.clone()),
                stage_code: panel.stage_code.clone(),
                status: panel.status,
                scale_min: basis.scale.min as i32,
                scale_max: basis.scale.max as i32,
                score_min: basis.range.min as i32,
                score_max: basis.range.max as i32,
                items,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Rater analytics (auditors, HR officers): each panelist's leniency or severity and score
/// distribution, inter-rater reliability (ICC) with its band, divergences and recusals.
#[utoipa::path(get, path = "/api/v1/panels/{id}/analytics", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RaterAnalytics), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_rater_analytics(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<RaterAnalytics>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let panel = read_as_overseer(conn, &principal, id)?;
            let basis = results::basis(conn, &panel)?;
            let scores = results::scores_by_application(conn, &panel)?;
            let divergences = results::results(conn, &panel, &basis)?
                .into_iter()
                .filter_map(|r| {
                    let spread = r.result.as_ref().filter(|a| a.divergent)?.spread_x100;
                    Some(Divergence {
                        application_id: r.application_id,
                        panel_code: r.panel_code,
                        spread_x100: spread,
                        moderated: r.moderation_note.is_some(),
                    })
                })
                .collect();
            let recusals = conflicts::assignments(conn, panel.id)?
                .iter()
                .filter(|a| a.recused_at.is_some())
                .count();
            Ok(RaterAnalytics {
                panel_id: panel.id,
                raters: analytics::rater_stats(&scores)?,
                reliability: analytics::reliability_of(&scores),
                divergences,
                recusals,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Re-open a locked panel (appointing official): a deviation with its justification, while
/// the opening's stage is neither locked nor behind it (409 `stage_locked` then).
#[utoipa::path(post, path = "/api/v1/panels/{id}/unlock", tag = "panels", request_body = UnlockRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn unlock_panel(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
    body: JsonBody<UnlockRequest>,
) -> Result<web::Json<PanelView>, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::OpeningDeviate, |c| {
                store::find_for_update(c, id)
            })?;
            let opening = openings::find_for_update(conn, panel.opening_id)?
                .ok_or_else(AppError::not_found)?;
            let index = store::target_of(&opening, &panel)?.stage_index as i32;
            let current = opening.current_stage.unwrap_or(-1);
            let stage_settled = current > index || (current == index && opening.stage_locked);
            results::unlock(
                conn,
                &ctx,
                &panel,
                principal.user_id,
                stage_settled,
                &request.justification,
            )?;
            let panel = store::find_by_id(conn, id)?.ok_or_else(AppError::not_found)?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(web::Json(view))
}
