//! The panel member's side: declaration, queue, scores, recusal; the chair's moderation and
//! lock. Every route is admitted only by the caller's `panel_score` grant on this panel, and
//! reaches applications only by panel code through the caller's own assignments.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::auth::policy::{self, Permission, Principal};
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::middleware::RequestId;
use crate::panels::model::{Panel, PanelId, PanelMember};
use crate::panels::requests::*;
use crate::panels::rubrics::model::RubricView;
use crate::panels::views::*;
use crate::panels::{conflicts, declarations, queue, scoring, store};

/// The panel as its member reaches it (404 for a panel they do not sit on), with their
/// membership.
pub(super) fn as_member(
    conn: &mut Conn,
    principal: &Principal,
    find: impl FnOnce(&mut Conn) -> Result<Option<Panel>, AppError>,
) -> Result<(Panel, PanelMember), AppError> {
    let panel = policy::load(conn, principal, Permission::PanelScore, find)?;
    let member =
        store::find_member(conn, panel.id, principal.user_id)?.ok_or_else(AppError::not_found)?;
    Ok((panel, member))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (a panel code).
    #[param(pattern = "^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")]
    pub cursor: Option<String>,
}

/// The caller's queue on this panel (panel member): their assignments by panel code with the
/// redacted stage material and their own score, the rubric, and whether some of their
/// assignments were recused (never which).
#[utoipa::path(get, path = "/api/v1/panels/{id}/queue", tag = "panels", params(("id" = String, Path, format = Uuid), QueueQuery),
    responses((status = 200, body = QueueView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_queue(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
    query: web::Query<QueueQuery>,
) -> Result<web::Json<QueueView>, AppError> {
    let id = id.into_inner();
    let query = query.into_inner();
    let limit = crate::http::pagination::PageQuery {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let cursor = query.cursor;
    let view = state
        .db
        .run(move |conn| {
            let (panel, member) = as_member(conn, &principal, |c| store::find_by_id(c, id))?;
            let mut items = queue::queue(
                conn,
                &panel,
                principal.user_id,
                cursor.as_deref(),
                limit + 1,
            )?;
            let next_cursor = (items.len() as i64 > limit).then(|| {
                items.truncate(limit as usize);
                items
                    .last()
                    .map(|i| i.panel_code.clone())
                    .unwrap_or_default()
            });
            let declared = declarations::has_declared(conn, panel.id, principal.user_id)?;
            Ok(QueueView {
                panel_id: panel.id,
                stage_code: panel.stage_code.clone(),
                part_code: (!panel.part_code.is_empty()).then(|| panel.part_code.clone()),
                blind: panel.blind,
                status: panel.status,
                chair: member.chair,
                declared,
                recusals_happened: queue::recusals_happened(conn, panel.id, principal.user_id)?,
                rubric: RubricView::try_from(scoring::rubric_of(conn, &panel)?)?,
                items,
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Declare relatives, close relations and prior ties for this panel (panel member), before the
/// stage starts (declaring again replaces it; 409 `panel_started` once it has started, so that a
/// number cannot be tried against the roster). NIK/KK numbers are kept only as keyed hashes; at
/// the start a match recuses the member from that application without telling them which.
#[utoipa::path(put, path = "/api/v1/panels/{id}/declaration", tag = "panels", request_body = DeclarationRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeclarationReceipt), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn declare_conflicts(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
    body: JsonBody<DeclarationRequest>,
) -> Result<web::Json<DeclarationReceipt>, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let vault = state.identities.clone();
    let receipt = state
        .db
        .write(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| store::find_for_update(c, id))?;
            let declaration =
                declarations::declare(conn, &ctx, &vault, &panel, principal.user_id, &request)?;
            Ok(DeclarationReceipt {
                panel_id: panel.id,
                version: declaration.version,
                relations: request.relations.len(),
                ties: request.ties.len(),
                declared_at: declaration.declared_at,
            })
        })
        .await?;
    Ok(web::Json(receipt))
}

/// Submit one's score of an application (panel member): a level per criterion and a
/// justification for any level at either end of the scale. Once only: a retry with the same
/// `Idempotency-Key` and body returns the first response; otherwise 409 `score_exists`.
#[utoipa::path(post, path = "/api/v1/panels/{id}/queue/{code}/score", tag = "panels", request_body = ScoreRequest,
    params(("id" = String, Path, format = Uuid), ("code" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = ScoreView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn submit_score(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    path: web::Path<(PanelId, String)>,
    body: JsonBody<ScoreRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = path.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let once = key.bind(
        principal.user_id,
        "POST /api/v1/panels/{id}/queue/{code}/score",
        &format!("{id} {code} {}", body.body_sha256),
    );
    let user = principal.user_id;
    idempotency::run_once_on(
        &state.db,
        once,
        actix_web::http::StatusCode::CREATED,
        idempotency::keep_all,
        move |conn| {
            as_member(conn, &principal, |c| scoring::find_for_scoring(c, id)).map(|(p, _)| p)
        },
        move |conn, panel| scoring::submit(conn, &ctx, &panel, user, &code, &request),
    )
    .await
}

/// Amend one's own score before the lock (panel member): a new version with the reason; every
/// version is kept. 409 `others_scores_seen` once one has read the others' scores.
#[utoipa::path(put, path = "/api/v1/panels/{id}/queue/{code}/score", tag = "panels", request_body = AmendScoreRequest,
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = ScoreView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn amend_score(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, String)>,
    body: JsonBody<AmendScoreRequest>,
) -> Result<web::Json<ScoreView>, AppError> {
    let (id, code) = path.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| scoring::find_for_scoring(c, id))?;
            scoring::amend(conn, &ctx, &panel, principal.user_id, &code, &request)
        })
        .await?;
    Ok(web::Json(view))
}

/// Every version of one's own score of the application (panel member).
#[utoipa::path(get, path = "/api/v1/panels/{id}/queue/{code}/score", tag = "panels",
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = ScoreList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_own_score(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(PanelId, String)>,
) -> Result<web::Json<ScoreList>, AppError> {
    let (id, code) = path.into_inner();
    let items = state
        .db
        .run(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| store::find_by_id(c, id))?;
            scoring::own_versions(conn, &panel, principal.user_id, &code)
        })
        .await?;
    Ok(web::Json(ScoreList { items }))
}

/// The current scores of every scorer of the application (panel member), only after one has
/// submitted one's own (409 `own_score_missing` before); from then on one's own cannot change.
#[utoipa::path(get, path = "/api/v1/panels/{id}/queue/{code}/scores", tag = "panels",
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = ScoreList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_fellow_scores(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, String)>,
) -> Result<web::Json<ScoreList>, AppError> {
    let (id, code) = path.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let items = state
        .db
        .write(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| scoring::find_for_scoring(c, id))?;
            scoring::others(conn, &ctx, &panel, principal.user_id, &code)
        })
        .await?;
    Ok(web::Json(ScoreList { items }))
}

/// Step back from one application, with a reason (panel member); another member takes it over.
#[utoipa::path(post, path = "/api/v1/panels/{id}/queue/{code}/recuse", tag = "panels", request_body = RecusalRequest,
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn recuse_self(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, String)>,
    body: JsonBody<RecusalRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = path.into_inner();
    let reason = body.value.reason;
    let ctx = principal.audit_context(Some(request_id.0));
    state
        .db
        .write(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| store::find_for_update(c, id))?;
            conflicts::recuse_self(conn, &ctx, &panel, principal.user_id, &code, &reason)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// At a stage that is not blind (panel member): confirm having no conflict with the candidate
/// one now sees (needed before scoring), or decline, which recuses one.
#[utoipa::path(post, path = "/api/v1/panels/{id}/queue/{code}/conflict-check", tag = "panels", request_body = ConflictCheckRequest,
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn check_conflict(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, String)>,
    body: JsonBody<ConflictCheckRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = path.into_inner();
    let no_conflict = body.value.no_conflict;
    let ctx = principal.audit_context(Some(request_id.0));
    state
        .db
        .write(move |conn| {
            let (panel, _) = as_member(conn, &principal, |c| store::find_for_update(c, id))?;
            conflicts::check_conflict(conn, &ctx, &panel, principal.user_id, &code, no_conflict)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
