//! HTTP surface of screening publication and appeals (sanggah).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::applications::appeals::model::{
    AppealDecision, AppealDecisionRequest, AppealId, AppealRequest, AppealStatus, AppealView,
    NewAppeal, PublicScreeningResult, Publication,
};
use crate::applications::appeals::publication;
use crate::applications::appeals::store as appeals;
use crate::applications::model::ApplicationId;
use crate::applications::store as applications;
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::openings::model::{OpeningId, OpeningStatus};
use crate::openings::store as openings;

/// Publish an opening's screening results by registration number (HR officer). Every submitted
/// application needs a result; from now on results change only through appeals, which are open
/// for the rule set's window counted in the agency's time zone.
#[utoipa::path(post, path = "/api/v1/openings/{id}/screening/publish", tag = "applications",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Publication), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn publish_screening(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
) -> Result<web::Json<Publication>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let publication = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                openings::find_for_update(c, id)
            })?;
            publication::publish(conn, &ctx, principal.user_id, id)
        })
        .await?;
    Ok(web::Json(publication))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicScreeningPage {
    pub publication: Publication,
    pub items: Vec<PublicScreeningResult>,
    pub next_cursor: Option<String>,
}

/// Published screening results of an opening (no login): registration number, outcome and the
/// codes of unmet requirements, never names. 404 until they are published.
#[utoipa::path(get, path = "/api/v1/public/openings/{id}/screening-results", tag = "public",
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = PublicScreeningPage), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn list_public_screening_results(
    state: web::Data<AppState>,
    id: web::Path<OpeningId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<PublicScreeningPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor.clone();
    let page = state
        .db
        .run(move |conn| {
            let opening = openings::find_by_id(conn, id)?
                .filter(|o| o.status != OpeningStatus::Draft)
                .ok_or_else(AppError::not_found)?;
            let publication =
                publication::find_publication(conn, opening.id)?.ok_or_else(AppError::not_found)?;
            let rows = publication::public_results(conn, opening.id, after, limit + 1)?;
            let (items, next_cursor) = split_page(rows, limit, |r| r.registration_number.clone());
            Ok(PublicScreeningPage {
                publication,
                items,
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(page))
}

/// Record an applicant's appeal against an `ineligible` screening result (HR officer), with the
/// applicant's reason and submission time. 409 `appeal_window_closed` when it was submitted
/// after the window (judged in the agency's time zone); one appeal per application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/appeals", tag = "applications", request_body = AppealRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = AppealView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_appeal(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<ApplicationId>,
    body: JsonBody<AppealRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let new = NewAppeal::from_request(id, principal.user_id, body.value);
    let appeal = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                applications::find_for_update(c, id)
            })?;
            appeals::record(conn, &ctx, &new)
        })
        .await?;
    Ok(HttpResponse::Created().json(appeal))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppealListQuery {
    pub status: Option<AppealStatus>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppealPage {
    pub items: Vec<AppealView>,
    pub next_cursor: Option<String>,
}

/// The appeals of an opening, ordered by id; filter by status.
#[utoipa::path(get, path = "/api/v1/openings/{id}/appeals", tag = "applications",
    params(("id" = String, Path, format = Uuid), PageQuery, AppealListQuery),
    responses((status = 200, body = AppealPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_appeals(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<OpeningId>,
    page: web::Query<PageQuery>,
    query: web::Query<AppealListQuery>,
) -> Result<web::Json<AppealPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<AppealId>()?;
    let status = query.status;
    let rows = state
        .db
        .run(move |conn| {
            let opening = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                openings::find_by_id(c, id)
            })?;
            appeals::list(conn, &opening, status, after, limit + 1)
        })
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |a| a.id);
    Ok(web::Json(AppealPage { items, next_cursor }))
}

/// One appeal.
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "applications", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AppealView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_appeal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<AppealId>,
) -> Result<web::Json<AppealView>, AppError> {
    let id = id.into_inner();
    let appeal = state
        .db
        .run(move |conn| {
            let appeal = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                appeals::find_row(c, id)
            })?;
            appeals::view_of(conn, appeal)
        })
        .await?;
    Ok(web::Json(appeal))
}

/// Decide a pending appeal with an answer (HR officer); `granted` re-admits the application
/// (its screening result becomes `eligible`). 409 once decided or once screening is locked.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/decision", tag = "applications", request_body = AppealDecisionRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AppealView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn decide_appeal(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<AppealId>,
    body: JsonBody<AppealDecisionRequest>,
) -> Result<web::Json<AppealView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let decision = AppealDecision::from_request(id, principal.user_id, body.value);
    let appeal = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                appeals::find_row(c, id)
            })?;
            appeals::decide(conn, &ctx, &decision)
        })
        .await?;
    Ok(web::Json(appeal))
}
