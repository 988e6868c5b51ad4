//! HTTP surface of bulk imports: upload (spooled to disk, 202), status, and the error report.

use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::applications::imports::job::{self as import_job, JobSpec};
use crate::applications::imports::model::*;
use crate::applications::model::ImportId;
use crate::auth::policy::{self, Permission, Principal};
use crate::bulk::model::RowError;
use crate::bulk::model::{ImportFormat, ImportMode};
use crate::error::{AppError, Problem};
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::http::upload;
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::store as rounds;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all_or_nothing` (default) or `valid_rows`.
    pub mode: Option<ImportMode>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorPageQuery {
    /// Page size, 1 to 1000 (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (opaque; it names the last error returned, so
    /// following it returns every error exactly once, however a page ends).
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportErrorPage {
    pub items: Vec<RowError>,
    /// Opaque; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Upload a CSV or JSON Lines file of applications for a round; each row names its opening by
/// code. The file is spooled to disk and imported by a job: 202 with the import, whose status and
/// error report are at `/api/v1/application-imports/{id}`. HR officers import for their agency's
/// openings; an admin imports a whole round. Uploads running at once are bounded: 429
/// `too_many_uploads` over the caller's own limit, 503 `uploads_busy` when the server is full; a
/// body that stops arriving gets 408 `body_timeout`.
#[utoipa::path(post, path = "/api/v1/selection-rounds/{id}/application-imports", tag = "applications",
    params(("id" = String, Path, format = Uuid), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header (or application/x-ndjson)"),
    responses((status = 202, body = ImportView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 408, body = Problem),
        (status = 429, body = Problem), (status = 503, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_import(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    req: HttpRequest,
    id: web::Path<RoundId>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::ApplicationImport)?;
    // The admin imports a whole round (rows of every agency), an HR officer for their agency.
    let agency = policy::target_agency(&principal, None)?;
    let round_id = id.into_inner();
    state
        .db
        .run(move |conn| rounds::find_round(conn, round_id))
        .await?
        .ok_or_else(AppError::not_found)?;
    let format = ImportFormat::from_media_type(&upload::media_type(&req))?;
    // Held from the first byte of the upload to the end of its job.
    let slot = state.uploads.acquire(principal.user_id)?;
    let import_id = ImportId::generate();
    let path = state.config.import_dir.join(format!("{import_id}.upload"));
    let spooled = upload::spool(
        payload,
        path,
        state.config.max_import_bytes,
        state.config.body_timeout,
    )
    .await?;
    let ctx = principal.audit_context(Some(request_id.0));
    let import = ApplicationImport::queued(
        NewImport {
            id: import_id,
            round_id,
            agency_id: agency,
            mode: query.mode.unwrap_or(ImportMode::AllOrNothing),
            format,
            file_sha256: spooled.sha256.clone(),
            file_bytes: spooled.bytes,
        },
        &ctx,
    );
    let (record, job_ctx) = (import.clone(), ctx.clone());
    state
        .db
        .write(move |conn| import_job::create(conn, &ctx, &record))
        .await?;
    start_job(&state, import.clone(), spooled.keep(), slot, job_ctx)?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/application-imports/{import_id}"),
        ))
        .json(ImportView::new(import, None)))
}

/// Runs the job on a thread of its own (it reads a file and holds one connection of its own).
fn start_job(
    state: &AppState,
    import: ApplicationImport,
    spool: PathBuf,
    slot: upload::UploadSlot,
    ctx: crate::audit::model::AuditContext,
) -> Result<(), AppError> {
    let progress = state.imports.start(import.id);
    let max_row_bytes = state.config.max_import_row_bytes;
    let (url, vault, registry, id, clock) = (
        state.config.database_url.clone(),
        state.identities.clone(),
        state.imports.clone(),
        import.id,
        state.clock.clone(),
    );
    std::thread::Builder::new()
        .name(format!("import-{id}"))
        .spawn(move || {
            let spec = JobSpec {
                import,
                only_opening_code: None,
                ctx,
                clock,
                remove_file: true,
                max_row_bytes,
            };
            match import_job::run(&url, &vault, &spool, spec, progress) {
                Ok(status) => {
                    tracing::info!(import = %id, status = status.as_str(), "import finished")
                }
                Err(e) => {
                    tracing::error!(import = %id, error = %e, "import could not record its end")
                }
            }
            registry.finish(id);
            drop(slot);
        })
        .map(|_| ())
        .map_err(AppError::internal_from)
}

/// The import, if the caller may read it.
async fn load_import(
    state: &AppState,
    principal: &Principal,
    id: ImportId,
) -> Result<ApplicationImport, AppError> {
    let principal = principal.clone();
    state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::ApplicationRead, |c| {
                import_job::find(c, id)
            })
        })
        .await
}

/// An import's status and row counts (live while it runs).
#[utoipa::path(get, path = "/api/v1/application-imports/{id}", tag = "applications", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ImportView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_import(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ImportId>,
) -> Result<web::Json<ImportView>, AppError> {
    let id = id.into_inner();
    let import = load_import(&state, &principal, id).await?;
    let live = state.imports.get(id);
    Ok(web::Json(ImportView::new(import, live.as_deref())))
}

/// The per-row error report (row number, field, code), by row and by field within a row.
///
/// Pages follow `next_cursor` and never lose or repeat an error.
#[utoipa::path(get, path = "/api/v1/application-imports/{id}/errors", tag = "applications",
    params(("id" = String, Path, format = Uuid), ErrorPageQuery),
    responses((status = 200, body = ImportErrorPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_import_errors(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ImportId>,
    query: web::Query<ErrorPageQuery>,
) -> Result<web::Json<ImportErrorPage>, AppError> {
    let id = id.into_inner();
    load_import(&state, &principal, id).await?;
    let limit = match query.limit {
        None => 200,
        Some(n) if (1..=1000).contains(&n) => n,
        Some(_) => return Err(AppError::field("limit", "must be between 1 and 1000")),
    };
    let after = PageQuery {
        limit: None,
        cursor: query.cursor.clone(),
    }
    .cursor::<ErrorCursor>()?;
    let rows = state
        .db
        .run(move |conn| import_job::list_errors(conn, id, after, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, ErrorCursor::after);
    let items = rows
        .into_iter()
        .map(|r| RowError {
            row: r.row_number as u64,
            field: r.field,
            code: r.code,
            message: r.message,
        })
        .collect();
    Ok(web::Json(ImportErrorPage { items, next_cursor }))
}
