//! HTTP surface of objective test scores: import for a round's SKD stage, and stage results.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::applications::imports::model::ImportFormat;
use crate::applications::imports::model::ImportMode;
use crate::auth::model::Role;
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::middleware::RequestId;
use crate::http::upload;
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::store as rounds;
use crate::openings::routes::load_opening;
use crate::ranking::scores::corrections::{
    self as score_corrections, ScoreCorrection, ScoreCorrectionRequest,
};
use crate::ranking::scores::import::{
    self as scores, ScoreImport, ScoreImportReport, StageResults,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreImportQuery {
    /// The code of the SKD stage in the openings' plans, e.g. `SKD`.
    pub stage: String,
    /// `all_or_nothing` (default) or `valid_rows`.
    pub mode: Option<ImportMode>,
}

/// Import SKD subtest scores (CSV: `registration_number` and one column per subtest of the rule
/// set; or JSON Lines with the same keys). Each row's opening must have the stage under way and
/// unlocked, and its application must have passed screening (`not_admitted` otherwise); each score must lie in its range and fit its point scheme (TWK and TIU in steps of
/// 5). One audit event per batch with a digest of the rows it changed. HR officers import for
/// their agency's applications, the admin for the whole round.
#[utoipa::path(post, path = "/api/v1/selection-rounds/{id}/scores", tag = "applications",
    params(("id" = String, Path, format = Uuid), ScoreImportQuery),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header (or application/x-ndjson)"),
    responses((status = 200, body = ScoreImportReport), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn import_scores(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    req: HttpRequest,
    id: web::Path<RoundId>,
    query: web::Query<ScoreImportQuery>,
    payload: web::Payload,
) -> Result<web::Json<ScoreImportReport>, AppError> {
    policy::authorize(&principal, Permission::ApplicationImport)?;
    let scope = if principal.role == Role::Admin {
        None
    } else {
        principal.agency
    };
    let round_id = id.into_inner();
    let round = state
        .db
        .run(move |conn| rounds::find_round(conn, round_id))
        .await?
        .ok_or_else(AppError::not_found)?;
    let format = ImportFormat::from_media_type(&upload::media_type(&req))?;
    let path = state
        .config
        .import_dir
        .join(format!("scores-{}.upload", uuid::Uuid::now_v7()));
    let (sha256, _) = upload::spool(payload, path.clone(), state.config.max_import_bytes).await?;
    let ctx = principal.audit_context(Some(request_id.0));
    let query = query.into_inner();
    let spooled = path.clone();
    let result = state
        .db
        .run(move |conn| {
            let rule_set =
                rounds::find_rule_set(conn, round.rule_set_id)?.ok_or_else(AppError::not_found)?;
            let rules = rule_set.parsed_rules()?;
            let job = ScoreImport {
                round: round.id,
                scope,
                stage_code: &query.stage,
                rules: &rules,
                mode: query.mode.unwrap_or(ImportMode::AllOrNothing),
                format,
                file_sha256: sha256,
            };
            scores::import(conn, &ctx, &job, &spooled)
        })
        .await;
    let _ = std::fs::remove_file(&path);
    let report = result?;
    if let Some(header) = report.errors.first().filter(|e| e.row == 0) {
        return Err(AppError::Invalid {
            code: "invalid_file",
            detail: header.message.clone(),
            errors: vec![],
        });
    }
    Ok(web::Json(report))
}

/// The result of an SKD stage: pass/fail per the seat group's threshold set with the reason,
/// rank among passers, and who goes on (multiplier × seats per seat group, ties at the cut-off
/// included). Identified by registration number only.
#[utoipa::path(get, path = "/api/v1/openings/{id}/stages/{code}/results", tag = "applications",
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = StageResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_stage_results(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(OpeningId, String)>,
) -> Result<web::Json<StageResults>, AppError> {
    let (id, code) = path.into_inner();
    let opening = load_opening(&state, &principal, id, Permission::ApplicationRead).await?;
    let results = state
        .db
        .run(move |conn| {
            let (_, stage) = scores::skd_stage(&opening, &code)?;
            let rule_set_id = opening
                .rule_set_id
                .ok_or_else(|| AppError::field("stage", "the opening is not published"))?;
            let rules = rounds::find_rule_set(conn, rule_set_id)?
                .ok_or_else(AppError::not_found)?
                .parsed_rules()?;
            scores::stage_results(conn, &opening, &stage, &rules)
        })
        .await?;
    Ok(web::Json(results))
}

/// Change a score after its stage's results were locked (appointing official only): a deviation
/// with a justification of at least a sentence, listed at `GET /api/v1/deviations` with the
/// before and after. 409 `results_not_locked` while the stage is open (import instead).
#[utoipa::path(post, path = "/api/v1/applications/{id}/score-corrections", tag = "applications",
    request_body = ScoreCorrectionRequest, params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ScoreCorrection), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn correct_score(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<crate::applications::model::ApplicationId>,
    body: crate::http::extract::JsonBody<ScoreCorrectionRequest>,
) -> Result<web::Json<ScoreCorrection>, AppError> {
    let id = id.into_inner();
    let reader = principal.clone();
    state
        .db
        .run(move |conn| {
            policy::load(conn, &reader, Permission::OpeningDeviate, |c| {
                crate::applications::store::find_by_id(c, id)
            })
        })
        .await?;
    let ctx = principal.audit_context(Some(request_id.0));
    let official = principal.user_id;
    let request = body.value;
    let correction = state
        .db
        .write(move |conn| score_corrections::correct(conn, &ctx, official, id, &request))
        .await?;
    Ok(web::Json(correction))
}
