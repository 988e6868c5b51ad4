//! HTTP surface of the competency catalogue and positions.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::job_match::{JobMatch, job_match};
use super::model::*;
use super::store;
use crate::app::{AppState, CreateRequest};
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompetencyPage {
    pub items: Vec<CompetencyView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PositionPage {
    pub items: Vec<PositionView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompetencyListQuery {
    pub kind: Option<CompetencyKind>,
}

/// Create a competency: national (admin) or an agency's own (its HR officer).
#[utoipa::path(post, path = "/api/v1/competencies", tag = "positions", request_body = CreateCompetencyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = CompetencyView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_competency(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateCompetencyRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::CompetencyManage)?;
    let agency = policy::target_agency(&principal, body.value.agency_id)?;
    let new = body.value.into_new(agency);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/competencies",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            store::create_competency(conn, ctx, new).and_then(CompetencyView::try_from)
        })
        .await
}

/// The national catalogue and the caller's agency's own competencies.
#[utoipa::path(get, path = "/api/v1/competencies", tag = "positions", params(PageQuery, CompetencyListQuery),
    responses((status = 200, body = CompetencyPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_competencies(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    filter: web::Query<CompetencyListQuery>,
) -> Result<web::Json<CompetencyPage>, AppError> {
    policy::authorize(&principal, Permission::CompetencyRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<CompetencyId>()?;
    let scope = policy::list_scope(&principal);
    let kind = filter.kind;
    let rows = state
        .db
        .run(move |conn| store::list_competencies(conn, scope, kind, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |c| c.id);
    let items = rows
        .into_iter()
        .map(CompetencyView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(CompetencyPage { items, next_cursor }))
}

/// One competency with its level descriptions.
#[utoipa::path(get, path = "/api/v1/competencies/{id}", tag = "positions", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CompetencyView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_competency(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<CompetencyId>,
) -> Result<web::Json<CompetencyView>, AppError> {
    let id = id.into_inner();
    let competency = state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::CompetencyRead, |c| {
                store::find_competency(c, id)
            })
        })
        .await?;
    Ok(web::Json(competency.try_into()?))
}

/// Rename a competency or rewrite its level descriptions.
#[utoipa::path(patch, path = "/api/v1/competencies/{id}", tag = "positions", request_body = UpdateCompetencyRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CompetencyView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_competency(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<CompetencyId>,
    body: JsonBody<UpdateCompetencyRequest>,
) -> Result<web::Json<CompetencyView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = CompetencyChanges::from(body.value);
    let competency = state
        .db
        .write(move |conn| {
            let before = policy::load(conn, &principal, Permission::CompetencyManage, |c| {
                Ok(crate::find_for_update!(c, competencies, id)?)
            })?;
            store::update_competency(conn, &ctx, &before, changes)
        })
        .await?;
    Ok(web::Json(competency.try_into()?))
}

/// Create a position with its competency standard (HR officer, own agency).
#[utoipa::path(post, path = "/api/v1/positions", tag = "positions", request_body = CreatePositionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = PositionView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_position(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreatePositionRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::PositionManage)?;
    let agency = policy::target_agency(&principal, body.value.agency_id)?
        .ok_or_else(|| AppError::field("agency_id", "is required"))?;
    let new = body.value.into_new(agency);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/positions",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            let position = store::create_position(conn, ctx, new)?;
            store::position_view(conn, position)
        })
        .await
}

/// Positions of the caller's agency (every agency for national users), ordered by id.
#[utoipa::path(get, path = "/api/v1/positions", tag = "positions", params(PageQuery),
    responses((status = 200, body = PositionPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_positions(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<web::Json<PositionPage>, AppError> {
    policy::authorize(&principal, Permission::PositionRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<PositionId>()?;
    let scope = policy::list_scope(&principal);
    let (items, next_cursor) = state
        .db
        .run(move |conn| {
            let rows = store::list_positions(conn, scope, after, limit + 1)?;
            let (rows, next) = split_page(rows, limit, |p| p.id);
            let views = rows
                .into_iter()
                .map(|p| store::position_view(conn, p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        })
        .await?;
    Ok(web::Json(PositionPage { items, next_cursor }))
}

/// One position with its competency standard.
#[utoipa::path(get, path = "/api/v1/positions/{id}", tag = "positions", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PositionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_position(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PositionId>,
) -> Result<web::Json<PositionView>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let position = policy::load(conn, &principal, Permission::PositionRead, |c| {
                store::find_position(c, id)
            })?;
            store::position_view(conn, position)
        })
        .await?;
    Ok(web::Json(view))
}

/// Change a position's title, kind, grade or whole competency standard.
#[utoipa::path(patch, path = "/api/v1/positions/{id}", tag = "positions", request_body = UpdatePositionRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PositionView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_position(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PositionId>,
    body: JsonBody<UpdatePositionRequest>,
) -> Result<web::Json<PositionView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = PositionChanges::from(body.value);
    let view = state
        .db
        .write(move |conn| {
            policy::load::<Position>(conn, &principal, Permission::PositionManage, |c| {
                Ok(crate::find_for_update!(c, positions, id)?)
            })?;
            let position = store::update_position(conn, &ctx, id, changes)?;
            store::position_view(conn, position)
        })
        .await?;
    Ok(web::Json(view))
}

/// Job-person match: assessed competency levels against the position's standard.
#[utoipa::path(post, path = "/api/v1/positions/{id}/job-match", tag = "positions", request_body = JobMatchRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = JobMatch), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn match_position(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PositionId>,
    body: JsonBody<JobMatchRequest>,
) -> Result<web::Json<JobMatch>, AppError> {
    let id = id.into_inner();
    let standard = state
        .db
        .run(move |conn| {
            let position = policy::load(conn, &principal, Permission::PositionRead, |c| {
                store::find_position(c, id)
            })?;
            store::standard_of(conn, position.id)
        })
        .await?;
    let assessed: Vec<_> = body
        .value
        .assessed
        .iter()
        .map(|a| (a.competency_id, a.level))
        .collect();
    Ok(web::Json(job_match(&standard, &assessed)))
}
