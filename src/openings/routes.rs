//! HTTP surface of openings: HR officers create and run them; changes after publish are
//! deviations by the appointing official; everyone in scope reads them. The stage actions
//! (`start-stage`, `lock-stage`) live in `ranking::stages`, which knows what can be scored and
//! when screening may lock.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::lifecycle::Action;
use super::model::*;
use super::rounds::model::RoundId;
use super::store::{self, Changer, OpeningFilter};
use crate::app::{AppState, CreateRequest};
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpeningPage {
    pub items: Vec<OpeningView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpeningListQuery {
    pub status: Option<OpeningStatus>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub round_id: Option<RoundId>,
}

/// Create a draft opening with its seat groups, eligibility and assessment plan (HR officer).
#[utoipa::path(post, path = "/api/v1/openings", tag = "openings", request_body = CreateOpeningRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_opening(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateOpeningRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::OpeningManage)?;
    let agency = policy::target_agency(&principal, None)?
        .ok_or_else(|| AppError::forbidden("you belong to no agency"))?;
    let new = body.value.into_new(agency);
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/openings",
        body_sha256: &body.body_sha256,
    };
    state
        .create_once(request, idempotency::keep_all, move |conn, ctx| {
            store::create(conn, ctx, new).and_then(OpeningView::try_from)
        })
        .await
}

/// Openings in the caller's scope, ordered by id.
#[utoipa::path(get, path = "/api/v1/openings", tag = "openings", params(PageQuery, OpeningListQuery),
    responses((status = 200, body = OpeningPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_openings(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<OpeningListQuery>,
) -> Result<web::Json<OpeningPage>, AppError> {
    policy::authorize(&principal, Permission::OpeningRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<OpeningId>()?;
    let filter = OpeningFilter {
        scope: policy::list_scope(&principal),
        status: query.status,
        round_id: query.round_id,
        published_only: false,
    };
    let rows = state
        .db
        .run(move |conn| store::list(conn, &filter, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |o| o.id);
    let items = rows
        .into_iter()
        .map(OpeningView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(OpeningPage { items, next_cursor }))
}

/// One opening with its plan.
#[utoipa::path(get, path = "/api/v1/openings/{id}", tag = "openings", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_opening(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<OpeningId>,
) -> Result<web::Json<OpeningView>, AppError> {
    let id = id.into_inner();
    let opening = state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::OpeningRead, |c| {
                store::find_by_id(c, id)
            })
        })
        .await?;
    Ok(web::Json(opening.try_into()?))
}

/// Change an opening. A draft is changed by the HR officer; after publish, every change is a
/// deviation: only the appointing official (PPK) may make it, with a justification of at least
/// a sentence, and it is listed at `/api/v1/deviations`.
#[utoipa::path(patch, path = "/api/v1/openings/{id}", tag = "openings", request_body = UpdateOpeningRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_opening(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
    body: JsonBody<UpdateOpeningRequest>,
) -> Result<web::Json<OpeningView>, AppError> {
    let changer = Changer {
        user: principal.user_id,
        may_edit_draft: policy::authorize(&principal, Permission::OpeningManage).is_ok(),
        may_deviate: policy::authorize(&principal, Permission::OpeningDeviate).is_ok(),
    };
    if !changer.may_edit_draft && !changer.may_deviate {
        return Err(AppError::forbidden("your role may not change openings"));
    }
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let changes = OpeningChanges::from(body.value);
    let opening = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::OpeningRead, |c| {
                store::find_for_update(c, id)
            })?;
            store::update(conn, &ctx, &changer, id, changes)
        })
        .await?;
    Ok(web::Json(opening.try_into()?))
}

async fn run_action(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: OpeningId,
    action: Action,
) -> Result<web::Json<OpeningView>, AppError> {
    let ctx = principal.audit_context(Some(request_id.0));
    let opening = state
        .db
        .write(move |conn| {
            store::transition_managed(conn, &principal, &ctx, id, action, None, &store::no_guard)
        })
        .await?;
    Ok(web::Json(opening.try_into()?))
}

macro_rules! lifecycle_route {
    ($name:ident, $action:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "openings", params(("id" = String, Path, format = Uuid)),
            responses((status = 200, body = OpeningView), (status = 401, body = Problem), (status = 403, body = Problem),
                (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
            security(("bearer" = [])))]
        #[tracing::instrument(skip_all)]
        pub async fn $name(
            state: web::Data<AppState>,
            principal: Principal,
            request_id: RequestId,
            id: web::Path<OpeningId>,
        ) -> Result<web::Json<OpeningView>, AppError> {
            run_action(state, principal, request_id, id.into_inner(), $action).await
        }
    };
}

lifecycle_route!(
    publish_opening,
    Action::Publish,
    "/api/v1/openings/{id}/publish",
    "Publish a draft: the plan is validated and frozen under the round's rule set (409 unless draft)."
);
lifecycle_route!(
    close_opening,
    Action::Close,
    "/api/v1/openings/{id}/close",
    "Close applications once the window has ended (409 unless published, or while the window is open)."
);
lifecycle_route!(
    start_screening,
    Action::StartScreening,
    "/api/v1/openings/{id}/start-screening",
    "Start administrative screening (409 unless closed)."
);
