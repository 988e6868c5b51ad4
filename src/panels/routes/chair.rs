//! The chair's side of a panel: moderation notes on divergent applications and the lock.

use actix_web::{HttpResponse, web};

use super::queue::as_member;
use crate::app::AppState;
use crate::auth::policy::Principal;
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::panels::model::{Panel, PanelId};
use crate::panels::requests::*;
use crate::panels::views::*;
use crate::panels::{moderation, results, store};

fn as_chair(
    conn: &mut Conn,
    principal: &Principal,
    find: impl FnOnce(&mut Conn) -> Result<Option<Panel>, AppError>,
) -> Result<Panel, AppError> {
    let (panel, member) = as_member(conn, principal, find)?;
    if !member.chair {
        return Err(AppError::forbidden("only the panel's chair may do this"));
    }
    Ok(panel)
}

/// The divergent applications, by panel code, with the current scorers' weighted totals (the
/// chair): never one the chair was recused from, nor one they are to score before they have.
/// Seeing them freezes the chair's own score of those they score, as reading them in the queue
/// does, and keeps the chair from becoming a replacement scorer of the others.
#[utoipa::path(get, path = "/api/v1/panels/{id}/moderation", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ModerationList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_divergent(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
) -> Result<web::Json<ModerationList>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let panel = as_chair(conn, &principal, |c| store::find_by_id(c, id))?;
            let basis = results::basis(conn, &panel)?;
            Ok(ModerationList {
                divergence_spread_x100: panel.divergence_spread_x100,
                items: moderation::divergent(conn, &ctx, &panel, &basis, principal.user_id)?,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Record the chair's moderation note on a divergent application (the chair; 409
/// `not_divergent` otherwise, `own_score_missing` on one they are to score and have not, 404 on
/// one they were recused from); scores do not change.
#[utoipa::path(post, path = "/api/v1/panels/{id}/moderation/{code}", tag = "panels", request_body = ModerationRequest,
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = ModerationItem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn moderate(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, String)>,
    body: JsonBody<ModerationRequest>,
) -> Result<web::Json<ModerationItem>, AppError> {
    let (id, code) = path.into_inner();
    let note = body.value.note;
    let ctx = principal.audit_context(Some(request_id.0));
    let item = state
        .db
        .write(move |conn| {
            let panel = as_chair(conn, &principal, |c| store::find_for_update(c, id))?;
            let basis = results::basis(conn, &panel)?;
            moderation::moderate(conn, &ctx, &panel, &basis, principal.user_id, &code, &note)
        })
        .await?;
    Ok(web::Json(item))
}

/// Lock the panel's scores (the chair). With scores missing, a justification is required and
/// the lock is recorded as a deviation listing them. After the lock every write is 409.
#[utoipa::path(post, path = "/api/v1/panels/{id}/lock", tag = "panels", request_body = LockRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn lock_panel(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
    body: JsonBody<LockRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let justification = body.value.justification;
    let ctx = principal.audit_context(Some(request_id.0));
    state
        .db
        .write(move |conn| {
            let panel = as_chair(conn, &principal, |c| store::find_for_update(c, id))?;
            results::lock(
                conn,
                &ctx,
                &panel,
                principal.user_id,
                justification.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
