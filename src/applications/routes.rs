//! HTTP surface of applications: HR officers record and withdraw them; readers in scope see the
//! assessment side, and only HR officers the identity.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::applications::identity::mask;
use crate::applications::intake::batch;
use crate::applications::intake::rows::{self};
use crate::applications::model::*;
use crate::applications::store;
use crate::auth::policy::{self, Permission, Principal};
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::openings::model::OpeningId;
use crate::openings::store as openings;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationListQuery {
    pub status: Option<ApplicationStatus>,
}

/// The identity block, decrypted and masked, for callers who may see it.
fn identity_of(
    state: &AppState,
    conn: &mut Conn,
    a: &Application,
) -> Result<IdentityView, AppError> {
    let p = store::find_person(conn, a.person_id)?.ok_or_else(AppError::not_found)?;
    Ok(IdentityView {
        person_id: p.id,
        nik_masked: mask(&state.identities.decrypt(&p.nik_enc)?),
        kk_masked: mask(&state.identities.decrypt(&p.kk_enc)?),
        full_name: p.full_name,
        birth_date: p.birth_date,
        sex: if p.sex == "female" {
            rows::Sex::Female
        } else {
            rows::Sex::Male
        },
        region_of_origin: p.region_of_origin,
        email: p.email,
        phone: p.phone,
    })
}

fn view(
    state: &AppState,
    conn: &mut Conn,
    a: Application,
    with_identity: bool,
) -> Result<ApplicationView, AppError> {
    let identity = if with_identity {
        Some(identity_of(state, conn, &a)?)
    } else {
        None
    };
    Ok(ApplicationView::new(a, identity))
}

/// Record one application to an opening (HR officer). The body has the fields of an import row;
/// it goes through the same validation and checks as a bulk import.
#[utoipa::path(post, path = "/api/v1/openings/{id}/applications", tag = "applications", request_body = CreateApplicationRequest,
    params(("id" = String, Path, format = Uuid),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = ApplicationView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_application(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    id: web::Path<OpeningId>,
    body: JsonBody<CreateApplicationRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let once = key.bind(
        principal.user_id,
        "POST /api/v1/openings/{id}/applications",
        &body.body_sha256,
    );
    let (request, today, app_state) = (
        body.value,
        principal.at.as_datetime().date_naive(),
        state.clone(),
    );
    idempotency::run_once_on(
        &state.db,
        once,
        StatusCode::CREATED,
        idempotency::keep_all,
        move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                openings::find_by_id(c, id)
            })
        },
        move |conn, opening| {
            let row = rows::validate_row(&request.to_row(&opening.code), today)
                .map_err(rows::row_problem)?;
            let application = batch::apply_one(conn, &ctx, &app_state.identities, &opening, row)?;
            view(&app_state, conn, application, true)
        },
    )
    .await
}

/// Applications to an opening, ordered by id; identity only for the agency's HR officers.
#[utoipa::path(get, path = "/api/v1/openings/{id}/applications", tag = "applications",
    params(("id" = String, Path, format = Uuid), PageQuery, ApplicationListQuery),
    responses((status = 200, body = ApplicationPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_applications(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<OpeningId>,
    page: web::Query<PageQuery>,
    query: web::Query<ApplicationListQuery>,
) -> Result<web::Json<ApplicationPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<ApplicationId>()?;
    let status = query.status;
    let with_identity = policy::authorize(&principal, Permission::IdentityRead).is_ok();
    let app_state = state.clone();
    let (items, next_cursor) = state
        .db
        .run(move |conn| {
            let opening = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                openings::find_by_id(c, id)
            })?;
            let rows = store::list_for_opening(conn, opening.id, status, after, limit + 1)?;
            let (rows, next) = split_page(rows, limit, |a| a.id);
            let views = rows
                .into_iter()
                .map(|a| view(&app_state, conn, a, with_identity))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        })
        .await?;
    Ok(web::Json(ApplicationPage { items, next_cursor }))
}

/// One application.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApplicationView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_application(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ApplicationId>,
) -> Result<web::Json<ApplicationView>, AppError> {
    let id = id.into_inner();
    let with_identity = policy::authorize(&principal, Permission::IdentityRead).is_ok();
    let app_state = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let application = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                store::find_by_id(c, id)
            })?;
            view(&app_state, conn, application, with_identity)
        })
        .await?;
    Ok(web::Json(view))
}

/// Withdraw an application on the applicant's request (HR officer); its history is kept.
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "applications", request_body = WithdrawRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApplicationView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn withdraw_application(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<ApplicationId>,
    body: JsonBody<WithdrawRequest>,
) -> Result<web::Json<ApplicationView>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let reason = body.value.reason;
    let app_state = state.clone();
    let view = state
        .db
        .write(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationManage, |c| {
                store::find_for_update(c, id)
            })?;
            let application = store::withdraw(conn, &ctx, id, &reason)?;
            view(&app_state, conn, application, true)
        })
        .await?;
    Ok(web::Json(view))
}
