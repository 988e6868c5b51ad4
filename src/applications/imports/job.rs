//! Runs one bulk import: reads the spooled file row by row, validates, applies batches through
//! the same engine as single applications, and records progress, errors and audit events.
//! `valid_rows` commits batch by batch; `all_or_nothing` runs in one transaction.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use diesel::prelude::*;
use serde_json::json;

use crate::applications::identity::IdentityVault;
use crate::applications::imports::batches::{Run, ValidRows, WholeFile};
use crate::applications::imports::model::*;
use crate::applications::imports::source::{ApplicationShape, Counting};
use crate::applications::intake::batch::Intake;
use crate::applications::intake::prepared::PreparedRow;
use crate::applications::intake::rows::{self, RawRow};
use crate::applications::model::ImportId;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::bulk::driver::{self, Reading};
use crate::bulk::model::ImportMode;
use crate::bulk::model::RowError;
use crate::bulk::reader::RowReader;
use crate::clock::{Clock, SharedClock};
use crate::db::schema::{application_imports, import_errors};
use crate::db::types::Timestamp;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::openings::rounds::store as rounds;

/// Valid rows applied per batch (and per transaction in `valid_rows` mode).
pub const BATCH_ROWS: usize = 1000;

pub struct JobSpec {
    pub import: ApplicationImport,
    /// The CLI's `--opening`: rows go to this opening only (a missing code means this one).
    pub only_opening_code: Option<String>,
    pub ctx: AuditContext,
    /// Where the job reads the time of each batch and of its end.
    pub clock: SharedClock,
    /// The server's spooled upload is removed at the end; the CLI's own file is not.
    pub remove_file: bool,
    /// `MAX_IMPORT_ROW_BYTES`: a longer row is a row error.
    pub max_row_bytes: usize,
}

pub fn find(conn: &mut Conn, id: ImportId) -> Result<Option<ApplicationImport>, AppError> {
    Ok(application_imports::table.find(id).first(conn).optional()?)
}

/// Records a new job (queued) with its audit event; the file is already spooled and hashed.
pub fn create(
    conn: &mut Conn,
    ctx: &AuditContext,
    import: &ApplicationImport,
) -> Result<(), AppError> {
    diesel::insert_into(application_imports::table)
        .values(import)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("application_import.queued", "application_import", import.id)
            .agency(import.agency_id)
            .payload(
                json!({"round_id": import.round_id, "mode": import.mode, "format": import.format,
                "file_sha256": import.file_sha256, "file_bytes": import.file_bytes}),
            ),
    )
}

pub fn list_errors(
    conn: &mut Conn,
    id: ImportId,
    after: Option<ErrorCursor>,
    limit: i64,
) -> Result<Vec<ImportErrorRow>, AppError> {
    let mut query = import_errors::table
        .filter(import_errors::import_id.eq(id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(
            import_errors::row_number
                .gt(after.row)
                .or(import_errors::row_number
                    .eq(after.row)
                    .and(import_errors::field.gt(after.field))),
        );
    }
    Ok(query
        .order((import_errors::row_number.asc(), import_errors::field.asc()))
        .limit(limit)
        .load(conn)?)
}

/// Marks jobs left `queued` or `running` by a stopped server (created before `started`, when
/// this server started) as `interrupted`, audited.
pub fn mark_interrupted(
    conn: &mut Conn,
    started: Timestamp,
    now: Timestamp,
) -> Result<usize, AppError> {
    db::write_transaction(conn, |conn| {
        let stale: Vec<ApplicationImport> = application_imports::table
            .filter(application_imports::status.eq_any([
                ImportStatus::Queued.as_str(),
                ImportStatus::Running.as_str(),
            ]))
            .filter(application_imports::created_at.lt(started))
            .load(conn)?;
        let ctx = AuditContext::system("startup", now);
        for import in &stale {
            finish(
                conn,
                &ctx,
                import,
                ImportStatus::Interrupted,
                Some("the server stopped during the import".into()),
            )?;
        }
        Ok(stale.len())
    })
}

pub(super) fn finish(
    conn: &mut Conn,
    ctx: &AuditContext,
    import: &ApplicationImport,
    status: ImportStatus,
    detail: Option<String>,
) -> Result<(), AppError> {
    let now = ctx.at;
    diesel::update(application_imports::table.find(import.id))
        .set((
            application_imports::status.eq(status.as_str()),
            application_imports::rows_read.eq(import.rows_read),
            application_imports::rows_accepted.eq(import.rows_accepted),
            application_imports::rows_unchanged.eq(import.rows_unchanged),
            application_imports::rows_rejected.eq(import.rows_rejected),
            application_imports::committed_batches.eq(import.committed_batches),
            application_imports::detail.eq(&detail),
            application_imports::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    let action = match status {
        ImportStatus::Completed => "application_import.completed",
        ImportStatus::Rejected => "application_import.rejected",
        ImportStatus::Interrupted => "application_import.interrupted",
        _ => "application_import.failed",
    };
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new(action, "application_import", import.id).agency(import.agency_id).payload(json!({
            "file_sha256": import.file_sha256, "mode": import.mode, "rows_read": import.rows_read,
            "rows_accepted": import.rows_accepted, "rows_unchanged": import.rows_unchanged,
            "rows_rejected": import.rows_rejected, "committed_batches": import.committed_batches, "detail": detail})),
    )
}

pub(super) fn insert_errors(
    conn: &mut Conn,
    id: ImportId,
    errors: &[RowError],
) -> Result<(), AppError> {
    // One report line per row and field: the first problem found.
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<ImportErrorRow> = errors
        .iter()
        .filter(|e| seen.insert((e.row, e.field.as_str())))
        .map(|e| ImportErrorRow {
            import_id: id,
            row_number: e.row as i64,
            field: e.field.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
        })
        .collect();
    crate::bulk_insert!(&mut *conn, import_errors, &rows[..])?;
    Ok(())
}

/// Runs the job to its end on a connection of its own; returns the final status.
pub fn run(
    url: &str,
    vault: &IdentityVault,
    spool: &Path,
    spec: JobSpec,
    progress: Arc<Progress>,
) -> Result<ImportStatus, AppError> {
    let mut conn = db::establish(url)?;
    let mut import = spec.import;
    let ctx = spec.ctx;
    let clock = spec.clock.as_ref();
    db::write_transaction(&mut conn, |conn| {
        diesel::update(application_imports::table.find(import.id))
            .set((
                application_imports::status.eq(ImportStatus::Running.as_str()),
                application_imports::started_at.eq(Some(clock.now())),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    let result = run_rows(
        &mut conn,
        vault,
        (spool, spec.max_row_bytes),
        &mut import,
        spec.only_opening_code.as_deref(),
        &ctx,
        clock,
        &progress,
    );
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            tracing::error!(import = %import.id, error = %e, "the import failed");
            let detail =
                Some("an internal error stopped the import; see the server log".to_string());
            db::write_transaction(&mut conn, |conn| {
                finish(
                    conn,
                    &ctx.at_time(clock.now()),
                    &import,
                    ImportStatus::Failed,
                    detail.clone(),
                )
            })?;
            ImportStatus::Failed
        }
    };
    if spec.remove_file {
        let _ = std::fs::remove_file(spool);
    }
    if import.rows_accepted > 0
        && let Err(e) = db::refresh_planner_statistics(&mut conn, &["persons", "applications"])
    {
        tracing::warn!(import = %import.id, error = %e, "planner statistics not refreshed");
    }
    Ok(status)
}

#[allow(clippy::too_many_arguments)]
fn run_rows(
    conn: &mut Conn,
    vault: &IdentityVault,
    (spool, max_row_bytes): (&Path, usize),
    import: &mut ApplicationImport,
    default_code: Option<&str>,
    ctx: &AuditContext,
    clock: &dyn Clock,
    progress: &Arc<Progress>,
) -> Result<ImportStatus, AppError> {
    let round = rounds::find_round(conn, import.round_id)?.ok_or_else(AppError::not_found)?;
    let intake = Intake::load(
        conn,
        &round,
        import.agency_id,
        default_code,
        Some(import.id),
    )?;
    let file = File::open(spool)
        .map_err(|e| AppError::internal(format!("the import file is gone: {e}")))?;
    let counting = Counting::new(BufReader::with_capacity(1 << 16, file), progress.clone());
    let shape = ApplicationShape::new(default_code.is_some());
    let rows = match RowReader::open(counting, import.format, shape, max_row_bytes) {
        Ok(rows) => rows,
        Err(problem) => {
            let header_error = RowError::new(0, "header", "invalid_file", problem.detail.clone());
            db::write_transaction(conn, |conn| {
                insert_errors(conn, import.id, std::slice::from_ref(&header_error))?;
                finish(
                    conn,
                    &ctx.at_time(clock.now()),
                    import,
                    ImportStatus::Rejected,
                    Some(problem.detail.clone()),
                )
            })?;
            return Ok(ImportStatus::Rejected);
        }
    };
    let today = clock.today();
    let reading = Reading {
        rows: rows.inspect(|_| {
            progress.read.fetch_add(1, Ordering::Relaxed);
        }),
        batch_rows: BATCH_ROWS,
        check: |mut raw: RawRow| {
            if let Some(code) = default_code
                && raw.values[0].is_none()
            {
                raw.values[0] = Some(code.to_string());
            }
            rows::validate_row(&raw, today)
        },
        prepare: |valid| PreparedRow::all(vault, valid),
    };
    let mode = import.mode;
    let run = Run {
        import,
        intake: &intake,
        ctx,
        clock,
        progress,
    };
    match mode {
        ImportMode::ValidRows => {
            let mut sink = ValidRows(run);
            driver::run(conn, mode, reading, &mut sink)?;
            let import = &*sink.0.import;
            db::write_transaction(conn, |conn| {
                finish(
                    conn,
                    &ctx.at_time(clock.now()),
                    import,
                    ImportStatus::Completed,
                    None,
                )
            })?;
            Ok(ImportStatus::Completed)
        }
        ImportMode::AllOrNothing => {
            let mut sink = WholeFile::new(run, spool.with_extension("errors"))?;
            let outcome = driver::run(conn, mode, reading, &mut sink);
            sink.end(conn, outcome)
        }
    }
}
