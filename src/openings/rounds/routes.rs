//! HTTP surface of rule sets and selection rounds: admin manages them, every user reads them.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
pub struct RuleSetPage {
    pub items: Vec<RuleSetView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundPage {
    pub items: Vec<RoundView>,
    pub next_cursor: Option<String>,
}

/// Load a rule set (admin). The 2024 national figures ship as `seed/rule-sets/casn-2024.json`,
/// which is a valid body for this call.
#[utoipa::path(post, path = "/api/v1/rule-sets", tag = "rounds", request_body = CreateRuleSetRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = RuleSetView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_rule_set(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateRuleSetRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::RuleSetManage)?;
    let new = NewRuleSet::from(body.value);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/rule-sets",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            let rule_set = store::create_rule_set(conn, ctx, new)?;
            store::rule_set_view(conn, rule_set)
        })
        .await
}

/// Every rule set, ordered by id.
#[utoipa::path(get, path = "/api/v1/rule-sets", tag = "rounds", params(PageQuery),
    responses((status = 200, body = RuleSetPage), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_rule_sets(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<web::Json<RuleSetPage>, AppError> {
    policy::authorize(&principal, Permission::RuleSetRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<RuleSetId>()?;
    let (items, next_cursor) = state
        .db
        .run(move |conn| {
            let rows = store::list_rule_sets(conn, after, limit + 1)?;
            let (rows, next) = split_page(rows, limit, |r| r.id);
            let views = rows
                .into_iter()
                .map(|r| store::rule_set_view(conn, r))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        })
        .await?;
    Ok(web::Json(RuleSetPage { items, next_cursor }))
}

/// One rule set.
#[utoipa::path(get, path = "/api/v1/rule-sets/{id}", tag = "rounds", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RuleSetView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_rule_set(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RuleSetId>,
) -> Result<web::Json<RuleSetView>, AppError> {
    policy::authorize(&principal, Permission::RuleSetRead)?;
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| match store::find_rule_set(conn, id)? {
            Some(rule_set) => store::rule_set_view(conn, rule_set),
            None => Err(AppError::not_found()),
        })
        .await?;
    Ok(web::Json(view))
}

/// Change a rule set that no published opening uses yet (409 `rule_set_in_use` otherwise).
#[utoipa::path(patch, path = "/api/v1/rule-sets/{id}", tag = "rounds", request_body = UpdateRuleSetRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RuleSetView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_rule_set(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<RuleSetId>,
    body: JsonBody<UpdateRuleSetRequest>,
) -> Result<web::Json<RuleSetView>, AppError> {
    policy::authorize(&principal, Permission::RuleSetManage)?;
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = RuleSetChanges::from(body.value);
    let view = state
        .db
        .write(move |conn| {
            let rule_set = store::update_rule_set(conn, &ctx, id, changes)?;
            store::rule_set_view(conn, rule_set)
        })
        .await?;
    Ok(web::Json(view))
}

/// Open a selection round under a rule set of its year (admin).
#[utoipa::path(post, path = "/api/v1/selection-rounds", tag = "rounds", request_body = CreateRoundRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = RoundView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_round(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateRoundRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::RuleSetManage)?;
    let new = NewRound::from(body.value);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/selection-rounds",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            store::create_round(conn, ctx, new).map(RoundView::from)
        })
        .await
}

/// Every selection round, ordered by id.
#[utoipa::path(get, path = "/api/v1/selection-rounds", tag = "rounds", params(PageQuery),
    responses((status = 200, body = RoundPage), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_rounds(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<web::Json<RoundPage>, AppError> {
    policy::authorize(&principal, Permission::RuleSetRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<RoundId>()?;
    let rows = state
        .db
        .run(move |conn| store::list_rounds(conn, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.id);
    Ok(web::Json(RoundPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One selection round.
#[utoipa::path(get, path = "/api/v1/selection-rounds/{id}", tag = "rounds", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoundView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_round(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RoundId>,
) -> Result<web::Json<RoundView>, AppError> {
    policy::authorize(&principal, Permission::RuleSetRead)?;
    let id = id.into_inner();
    let round = state
        .db
        .run(move |conn| store::find_round(conn, id))
        .await?;
    round
        .map(|r| web::Json(r.into()))
        .ok_or_else(AppError::not_found)
}

/// Rename a round, move its phase, or (before any opening is published) change its rule set.
#[utoipa::path(patch, path = "/api/v1/selection-rounds/{id}", tag = "rounds", request_body = UpdateRoundRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RoundView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_round(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<RoundId>,
    body: JsonBody<UpdateRoundRequest>,
) -> Result<web::Json<RoundView>, AppError> {
    policy::authorize(&principal, Permission::RuleSetManage)?;
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = RoundChanges::from(body.value);
    let round = state
        .db
        .write(move |conn| store::update_round(conn, &ctx, id, changes))
        .await?;
    Ok(web::Json(round.into()))
}
