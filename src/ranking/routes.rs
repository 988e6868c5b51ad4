//! HTTP surface of objective test scores: import for a round's SKD stage, and stage results.

use actix_web::{HttpRequest, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::auth::policy::{self, Permission, Principal};
use crate::bulk::model::{ImportFormat, ImportMode};
use crate::error::{AppError, Problem};
use crate::http::middleware::RequestId;
use crate::http::upload;
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::store as rounds;
use crate::openings::store as openings;
use crate::ranking::scores::corrections::{
    self as score_corrections, ScoreCorrection, ScoreCorrectionRequest,
};
use crate::ranking::scores::import::{self as scores, ScoreImport, ScoreImportReport};
use crate::ranking::scores::refusals::{self, RefusalKey};
use crate::ranking::scores::results::{self, StageResults};

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
/// unlocked, and its application must have passed screening (`not_admitted` otherwise); each
/// score must lie in its range and fit its point scheme (TWK and TIU in steps of 5). One audit
/// event per batch with a digest of the rows it changed. HR officers import for their agency's
/// applications, the admin for the whole round. A whole-request mistake is one 422: a `stage`
/// that names no objective SKD stage of the round's plans (codes are exact, case included;
/// `errors[0].field` = `stage`), a CSV header that does not fit the stage (`invalid_file`), a
/// file without data rows (`empty_file`). Rows refused because their stage is locked are
/// recorded in the audit chain (`objective_scores.refused`, at most one event per caller,
/// stage and minute). Uploads are bounded as for application imports (429 `too_many_uploads`,
/// 503 `uploads_busy`, 408 `body_timeout`).
#[utoipa::path(post, path = "/api/v1/selection-rounds/{id}/scores", tag = "applications",
    params(("id" = String, Path, format = Uuid), ScoreImportQuery),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header (or application/x-ndjson)"),
    responses((status = 200, body = ScoreImportReport), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 408, body = Problem),
        (status = 429, body = Problem), (status = 503, body = Problem)),
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
    // The admin imports for a whole round, an HR officer for their agency's applications.
    let scope = policy::target_agency(&principal, None)?;
    let round_id = id.into_inner();
    let round = state
        .db
        .run(move |conn| rounds::find_round(conn, round_id))
        .await?
        .ok_or_else(AppError::not_found)?;
    let format = ImportFormat::from_media_type(&upload::media_type(&req))?;
    let query = query.into_inner();
    // The stage names the whole request: a wrong one is refused before the file is read.
    let stage = query.stage.clone();
    state
        .db
        .run(move |conn| scores::check_import_stage(conn, round_id, scope, &stage))
        .await?;
    // Held for the upload and the import that follows it in this request.
    let _slot = state.uploads.acquire(principal.user_id)?;
    let path = state
        .config
        .import_dir
        .join(format!("scores-{}.upload", uuid::Uuid::now_v7()));
    let spool = upload::spool(
        payload,
        path,
        state.config.max_import_bytes,
        state.config.body_timeout,
    )
    .await?;
    let ctx = principal.audit_context(Some(request_id.0));
    let job_ctx = ctx.clone();
    let max_row_bytes = state.config.max_import_row_bytes;
    let (sha256, spooled) = (spool.sha256.clone(), spool.path().to_path_buf());
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
                max_row_bytes,
            };
            scores::import(conn, &job_ctx, &job, &spooled)
        })
        .await;
    drop(spool);
    let outcome = result?;
    if outcome.rows_locked > 0 {
        audit_refused_import(&state, principal.user_id, ctx, round_id, scope, &outcome).await;
    }
    Ok(web::Json(outcome.report))
}

/// The result of an SKD stage: pass/fail per the seat group's threshold set with the reason,
/// rank among passers, and who goes on (multiplier × seats per seat group, ties at the cut-off
/// included). Identified by registration number only. 404 `stage_not_found` when the plan has
/// no stage with this code; 409 `stage_results_unavailable` when the stage has no test results
/// (an administrative, panel or composite stage, or an SKD stage not started yet).
#[utoipa::path(get, path = "/api/v1/openings/{id}/stages/{code}/results", tag = "applications",
    params(("id" = String, Path, format = Uuid), ("code" = String, Path)),
    responses((status = 200, body = StageResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_stage_results(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(OpeningId, String)>,
) -> Result<web::Json<StageResults>, AppError> {
    let (id, code) = path.into_inner();
    let results = state
        .db
        .run(move |conn| {
            let opening = policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                openings::find_by_id(c, id)
            })?;
            let stage = results::results_stage(&opening, &code)?;
            let rule_set_id = opening
                .rule_set_id
                .ok_or_else(|| AppError::internal("an opening under assessment has no rule set"))?;
            let rules = rounds::find_rule_set(conn, rule_set_id)?
                .ok_or_else(AppError::not_found)?
                .parsed_rules()?;
            results::stage_results(conn, &opening, &stage, &rules)
        })
        .await?;
    Ok(web::Json(results))
}

/// Change a score after its stage's results were locked (appointing official only): a deviation
/// with a justification of at least a sentence, listed at `GET /api/v1/deviations` with the
/// before and after. 409 `results_not_locked` while the stage is open (import instead). A caller
/// who may not correct scores gets 403, and the attempt is recorded in the audit chain
/// (`score_correction.refused`, at most one event per caller, stage and minute).
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
    let ctx = principal.audit_context(Some(request_id.0));
    if let Err(refused) = policy::authorize(&principal, Permission::OpeningDeviate) {
        audit_refused_correction(&state, &principal, &ctx, id, &body.value.stage).await;
        return Err(refused);
    }
    let reader = principal.clone();
    state
        .db
        .run(move |conn| {
            policy::load(conn, &reader, Permission::OpeningDeviate, |c| {
                crate::applications::store::find_by_id(c, id)
            })
        })
        .await?;
    let official = principal.user_id;
    let request = body.value;
    let correction = state
        .db
        .write(move |conn| score_corrections::correct(conn, &ctx, official, id, &request))
        .await?;
    Ok(web::Json(correction))
}

/// Audits an import whose rows for a locked stage were refused (at most one event per caller,
/// stage and minute). The import's own outcome stands whatever happens here: a `valid_rows` file
/// may have committed other rows.
async fn audit_refused_import(
    state: &AppState,
    actor: crate::auth::model::UserId,
    ctx: crate::audit::model::AuditContext,
    round: RoundId,
    scope: Option<crate::agencies::model::AgencyId>,
    outcome: &scores::ImportOutcome,
) {
    let key = RefusalKey {
        actor,
        object: format!("selection_round:{round}"),
        stage: outcome.report.stage_code.clone(),
    };
    let Some(attempts) = state.refusals.admit(key, ctx.at.as_datetime()) else {
        return;
    };
    let (report, rows_locked) = (outcome.report.clone(), outcome.rows_locked);
    let recorded = state
        .db
        .run(move |conn| {
            refusals::record_refused_import(
                conn,
                &ctx,
                round,
                scope,
                &report,
                rows_locked,
                attempts,
            )
        })
        .await;
    if let Err(error) = recorded {
        tracing::error!(%error, "the refused score import could not be audited");
    }
}

/// Audits a score correction refused to a caller who may not make one (at most one event per
/// caller, stage and minute). The refusal is answered whatever happens here.
async fn audit_refused_correction(
    state: &AppState,
    principal: &Principal,
    ctx: &crate::audit::model::AuditContext,
    application: crate::applications::model::ApplicationId,
    stage_code: &str,
) {
    let (ctx, stage_code, actor) = (ctx.clone(), stage_code.to_string(), principal.user_id);
    let limiter = state.refusals.clone();
    let recorded = state
        .db
        .run(move |conn| {
            let Some(refused) = refusals::refused_correction(conn, application, &stage_code)?
            else {
                return Ok(());
            };
            let key = RefusalKey {
                actor,
                object: format!("opening:{}", refused.opening),
                stage: stage_code.clone(),
            };
            match limiter.admit(key, ctx.at.as_datetime()) {
                Some(attempts) => {
                    refusals::record_refused_correction(conn, &ctx, &refused, attempts)
                }
                None => Ok(()),
            }
        })
        .await;
    if let Err(error) = recorded {
        tracing::error!(%error, "the refused score correction could not be audited");
    }
}
