//! HTTP surface of administrative screening: HR officers run the automatic check and decide
//! applications by hand; readers in scope see the results by registration number.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{DecisionRequest, ScreeningDecision, ScreeningResult, ScreeningRun};
use super::store as screening;
use crate::app::AppState;
use crate::applications::appeals::model::Publication;
use crate::applications::appeals::publication::find_publication;
use crate::applications::model::ApplicationId;
use crate::applications::store as applications;
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::openings::model::OpeningId;
use crate::openings::store as openings;

/// Run the automatic eligibility check over every submitted application of an opening in
/// screening (HR officer): each gets `eligible` or `ineligible` with the requirements it failed.
/// Running again replaces the automatic results; once screening is locked, 409.
#[utoipa::path(post, path = "/api/v1/openings/{id}/screening/run", tag = "applications",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ScreeningRun), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn run_screening(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
) -> Result<web::Json<ScreeningRun>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let run = state
        .db
        .write(move |conn| {
            let opening = policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                openings::find_for_update(c, id)
            })?;
            screening::run(conn, &ctx, &opening)
        })
        .await?;
    Ok(web::Json(run))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScreeningPage {
    /// Set once the results are published (the appeal window runs from then).
    pub publication: Option<Publication>,
    pub items: Vec<ScreeningResult>,
    pub next_cursor: Option<String>,
}

/// Screening results of an opening by registration number, with the failed requirements.
#[utoipa::path(get, path = "/api/v1/openings/{id}/screening", tag = "applications",
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = ScreeningPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_screening(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<OpeningId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<ScreeningPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<ApplicationId>()?;
    let (publication, rows) = state
        .db
        .run(move |conn| {
            let opening = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                openings::find_by_id(c, id)
            })?;
            let publication = find_publication(conn, opening.id)?;
            let rows = screening::list(conn, &opening, after, limit + 1)?;
            Ok((publication, rows))
        })
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |r| r.application_id);
    Ok(web::Json(ScreeningPage {
        publication,
        items,
        next_cursor,
    }))
}

/// Decide one application's screening by hand (HR officer), with a reason code and a note; the
/// opening must be in screening and not locked. Audited with the previous outcome.
#[utoipa::path(post, path = "/api/v1/applications/{id}/screening-decision", tag = "applications",
    request_body = DecisionRequest, params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ScreeningResult), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn decide_screening(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<ApplicationId>,
    body: JsonBody<DecisionRequest>,
) -> Result<web::Json<ScreeningResult>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let decision = ScreeningDecision::from(body.value);
    let result = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                applications::find_for_update(c, id)
            })?;
            screening::decide(conn, &ctx, id, &decision)
        })
        .await?;
    Ok(web::Json(result))
}
