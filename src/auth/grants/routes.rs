//! HTTP surface of object grants: the admin, and HR officers for their agency's objects, give
//! and revoke them; auditors read them in scope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{CreateGrantRequest, GrantId, GrantView, NewGrant, ObjectId, UserId};
use super::store::{self, GrantFilter};
use crate::app::AppState;
use crate::auth::policy::{self, ObjectRef, Permission, Principal};
use crate::auth::store as users;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantPage {
    pub items: Vec<GrantView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantListQuery {
    #[param(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub object_id: Option<ObjectId>,
    /// Only grants not revoked (default true).
    pub active: Option<bool>,
}

/// Give a user access to one object beyond their role and agency (admin; HR officer for an
/// object of their agency). Grantable: `opening_read` on an `opening`.
#[utoipa::path(post, path = "/api/v1/grants", tag = "users", request_body = CreateGrantRequest,
    responses((status = 201, body = GrantView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_grant(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    body: JsonBody<CreateGrantRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::GrantManage)?;
    let request = body.value;
    let kind = policy::grantable_on(request.permission)
        .ok_or_else(|| AppError::field("permission", "this permission cannot be granted"))?;
    if kind != request.object_kind {
        return Err(AppError::field(
            "object_kind",
            format!(
                "a {} grant names an {}",
                request.permission.as_str(),
                kind.as_str()
            ),
        ));
    }
    let ctx = principal.audit_context(Some(request_id.0));
    let grant = state
        .db
        .write(move |conn| {
            let agency = store::object_agency(conn, kind, request.object_id)?
                .ok_or_else(AppError::not_found)?;
            let object = ObjectRef {
                kind,
                id: request.object_id.0,
                agency,
            };
            policy::authorize_object(conn, &principal, Permission::GrantManage, &object)?;
            users::find_by_id(conn, request.user_id)?
                .filter(|user| user.active)
                .ok_or_else(|| AppError::field("user_id", "no active user has this id"))?;
            let new = NewGrant {
                user_id: request.user_id,
                object,
                permission: request.permission,
                granted_by: Some(principal.user_id),
            };
            store::create(conn, &ctx, new)
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(GrantView::from(grant)))
}

/// Grants on objects in the caller's scope, oldest first.
#[utoipa::path(get, path = "/api/v1/grants", tag = "users", params(PageQuery, GrantListQuery),
    responses((status = 200, body = GrantPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_grants(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<GrantListQuery>,
) -> Result<web::Json<GrantPage>, AppError> {
    policy::authorize(&principal, Permission::GrantRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<GrantId>()?;
    let filter = GrantFilter {
        scope: policy::list_scope(&principal),
        user_id: query.user_id,
        object_id: query.object_id,
        active_only: query.active.unwrap_or(true),
    };
    let rows = state
        .db
        .run(move |conn| store::list(conn, &filter, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |g| g.id);
    let items = rows.into_iter().map(GrantView::from).collect();
    Ok(web::Json(GrantPage { items, next_cursor }))
}

/// One grant.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "users", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = GrantView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_grant(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<GrantId>,
) -> Result<web::Json<GrantView>, AppError> {
    let id = id.into_inner();
    let grant = state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::GrantRead, |c| {
                store::find_by_id(c, id)
            })
        })
        .await?;
    Ok(web::Json(grant.into()))
}

/// Revoke a grant: access ends at once (the row stays, with who revoked it and when).
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "users", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = GrantView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn revoke_grant(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<GrantId>,
) -> Result<web::Json<GrantView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let grant = state
        .db
        .write(move |conn| {
            let before = policy::load(conn, &principal, Permission::GrantManage, |c| {
                Ok(crate::find_for_update!(c, grants, id)?)
            })?;
            store::revoke(conn, &ctx, before)
        })
        .await?;
    Ok(web::Json(grant.into()))
}
