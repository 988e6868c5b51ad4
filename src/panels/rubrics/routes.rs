//! HTTP surface of rubrics: HR officers write versions for their agency; HR, appointing
//! officials, auditors and the admin read them in scope.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{CreateRubricRequest, RubricContent, RubricId, RubricView, check_content};
use super::store;
use crate::app::{AppState, CreateRequest};
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

/// Write version 1 of a rubric of the caller's agency (HR officer): criteria with weights and a
/// descriptor for every level of the scale. 409 `rubric_exists` for a code already written.
#[utoipa::path(post, path = "/api/v1/rubrics", tag = "panels", request_body = CreateRubricRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = RubricView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_rubric(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateRubricRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::RubricManage)?;
    let agency = policy::target_agency(&principal, None)?
        .ok_or_else(|| AppError::forbidden("you belong to no agency"))?;
    let request = body.value.clone();
    check_content(&request.content)?;
    let create = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/rubrics",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(create, idempotency::keep_all, move |conn, ctx| {
            let code = request.code.trim().to_string();
            store::write_version(conn, ctx, agency, &code, request.content, true)
                .and_then(RubricView::try_from)
        })
        .await
}

/// Write the next version of a rubric (HR officer of its agency). Earlier versions never
/// change, so a panel keeps scoring with the version it started with.
#[utoipa::path(post, path = "/api/v1/rubrics/{id}/versions", tag = "panels", request_body = RubricContent,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = RubricView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_rubric_version(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<RubricId>,
    body: JsonBody<RubricContent>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let content = body.value;
    check_content(&content)?;
    let ctx = principal.audit_context(Some(request_id.0));
    let rubric = state
        .db
        .write(move |conn| {
            let base = policy::load(conn, &principal, Permission::RubricManage, |c| {
                store::find_by_id(c, id)
            })?;
            store::write_version(conn, &ctx, base.agency_id, &base.code, content, false)
        })
        .await?;
    Ok(HttpResponse::Created().json(RubricView::try_from(rubric)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RubricListQuery {
    /// Only the versions of this rubric code.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RubricPage {
    pub items: Vec<RubricView>,
    pub next_cursor: Option<String>,
}

/// Rubric versions in the caller's scope, ordered by id.
#[utoipa::path(get, path = "/api/v1/rubrics", tag = "panels", params(PageQuery, RubricListQuery),
    responses((status = 200, body = RubricPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_rubrics(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<RubricListQuery>,
) -> Result<web::Json<RubricPage>, AppError> {
    policy::authorize(&principal, Permission::RubricRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<RubricId>()?;
    let scope = policy::list_scope(&principal);
    let code = query.into_inner().code;
    let rows = state
        .db
        .run(move |conn| store::list(conn, scope, code.as_deref(), after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.id);
    let items = rows
        .into_iter()
        .map(RubricView::try_from)
        .collect::<Result<_, _>>()?;
    Ok(web::Json(RubricPage { items, next_cursor }))
}

/// One rubric version.
#[utoipa::path(get, path = "/api/v1/rubrics/{id}", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RubricView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_rubric(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RubricId>,
) -> Result<web::Json<RubricView>, AppError> {
    let id = id.into_inner();
    let rubric = state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::RubricRead, |c| {
                store::find_by_id(c, id)
            })
        })
        .await?;
    Ok(web::Json(rubric.try_into()?))
}
