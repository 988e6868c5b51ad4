//! HTTP surface of agencies: admin manages them; everyone reads the agencies in their scope.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{
    AgencyChanges, AgencyId, AgencyView, CreateAgencyRequest, NewAgency, UpdateAgencyRequest,
};
use super::store;
use crate::app::{AppState, CreateRequest};
use crate::auth::policy::{self, ObjectKind, ObjectRef, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgencyPage {
    pub items: Vec<AgencyView>,
    pub next_cursor: Option<String>,
}

/// An agency is its own scope: known from its id, without loading it.
fn agency_object(id: AgencyId) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Agency,
        id: id.0,
        agency: Some(id),
    }
}

/// Create an agency (admin).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "agencies", request_body = CreateAgencyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = AgencyView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_agency(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateAgencyRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::AgencyManage)?;
    let new = NewAgency::from(body.value);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/agencies",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            store::create(conn, ctx, new).map(AgencyView::from)
        })
        .await
}

/// List the agencies in the caller's scope, ordered by id.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "agencies", params(PageQuery),
    responses((status = 200, body = AgencyPage), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_agencies(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<PageQuery>,
) -> Result<web::Json<AgencyPage>, AppError> {
    policy::authorize(&principal, Permission::AgencyRead)?;
    let limit = query.limit()?;
    let after = query.cursor::<AgencyId>()?;
    let scope = policy::list_scope(&principal);
    if scope.is_none() && !principal.is_national() {
        return Ok(web::Json(AgencyPage {
            items: vec![],
            next_cursor: None,
        }));
    }
    let rows = state
        .db
        .run(move |conn| store::list(conn, scope, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |a| a.id);
    Ok(web::Json(AgencyPage {
        items: rows.into_iter().map(AgencyView::from).collect(),
        next_cursor,
    }))
}

/// One agency.
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "agencies",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AgencyView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_agency(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AgencyId>,
) -> Result<web::Json<AgencyView>, AppError> {
    let id = id.into_inner();
    let agency = state
        .db
        .run(move |conn| {
            policy::authorize_object(conn, &principal, Permission::AgencyRead, &agency_object(id))?;
            store::find_by_id(conn, id)
        })
        .await?;
    agency
        .map(|a| web::Json(a.into()))
        .ok_or_else(AppError::not_found)
}

/// Change an agency's name, level or time zone (admin).
#[utoipa::path(patch, path = "/api/v1/agencies/{id}", tag = "agencies", request_body = UpdateAgencyRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AgencyView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_agency(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<AgencyId>,
    body: JsonBody<UpdateAgencyRequest>,
) -> Result<web::Json<AgencyView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = AgencyChanges::from(body.value);
    let agency = state
        .db
        .write(move |conn| {
            policy::authorize_object(
                conn,
                &principal,
                Permission::AgencyManage,
                &agency_object(id),
            )?;
            store::update(conn, &ctx, id, changes)
        })
        .await?;
    Ok(web::Json(agency.into()))
}

/// Delete an agency that has no users yet (admin); otherwise 409.
#[utoipa::path(delete, path = "/api/v1/agencies/{id}", tag = "agencies",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn delete_agency(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<AgencyId>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    state
        .db
        .write(move |conn| {
            policy::authorize_object(
                conn,
                &principal,
                Permission::AgencyManage,
                &agency_object(id),
            )?;
            store::delete(conn, &ctx, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
