//! Runs one bulk import: reads the spooled file row by row, validates, applies batches through
//! the same engine as single applications, and records progress, errors and audit events.
//! `valid_rows` commits batch by batch; `all_or_nothing` runs in one transaction.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use diesel::prelude::*;
use serde_json::json;

use crate::applications::identity::IdentityVault;
use crate::applications::imports::model::*;
use crate::applications::imports::source::{Counting, RowSource};
use crate::applications::intake::batch::{self as store, BatchOutcome, Intake};
use crate::applications::intake::rows::{self, RowError, ValidRow};
use crate::applications::model::ImportId;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::clock::{Clock, SharedClock};
use crate::db::Outcome;
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
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ImportErrorRow>, AppError> {
    let mut query = import_errors::table
        .filter(import_errors::import_id.eq(id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(import_errors::row_number.gt(after));
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

fn finish(
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

fn insert_errors(conn: &mut Conn, id: ImportId, errors: &[RowError]) -> Result<(), AppError> {
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

/// Reads rows into batches of valid rows, handing each (with the errors found meanwhile) to `apply`.
fn for_each_batch(
    source: &mut RowSource<Counting<BufReader<File>>>,
    default_code: Option<&str>,
    today: chrono::NaiveDate,
    progress: &Progress,
    mut apply: impl FnMut(Vec<ValidRow>, Vec<RowError>, u64) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let (mut batch, mut errors, mut read) = (Vec::with_capacity(BATCH_ROWS), Vec::new(), 0u64);
    while let Some(item) = source.next_row() {
        read += 1;
        progress.read.fetch_add(1, Ordering::Relaxed);
        let checked = item.map_err(|e| vec![e]).and_then(|mut raw| {
            if let Some(code) = default_code
                && raw.values[0].is_none()
            {
                raw.values[0] = Some(code.to_string());
            }
            rows::validate_row(&raw, today)
        });
        match checked {
            Ok(row) => batch.push(row),
            Err(row_errors) => errors.extend(row_errors),
        }
        if batch.len() >= BATCH_ROWS {
            apply(
                std::mem::take(&mut batch),
                std::mem::take(&mut errors),
                std::mem::take(&mut read),
            )?;
        }
    }
    if !batch.is_empty() || !errors.is_empty() || read > 0 {
        apply(batch, errors, read)?;
    }
    Ok(())
}

/// Rows with at least one error (a row can have several); `errors` is in row order.
fn distinct_rows(errors: &[RowError]) -> usize {
    let mut rows: Vec<u64> = errors.iter().map(|e| e.row).collect();
    rows.dedup();
    rows.len()
}

fn count(import: &mut ApplicationImport, read: u64, outcome: &BatchOutcome, rejected: usize) {
    import.rows_read += read as i64;
    import.rows_accepted += outcome.accepted.len() as i64;
    import.rows_unchanged += outcome.unchanged as i64;
    import.rows_rejected += rejected as i64;
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
        spool,
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
    spool: &Path,
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
    let format = import.format;
    let file = File::open(spool)
        .map_err(|e| AppError::internal(format!("the import file is gone: {e}")))?;
    let counting = Counting::new(BufReader::with_capacity(1 << 16, file), progress.clone());
    let mut source = match RowSource::open(counting, format, default_code.is_some()) {
        Ok(source) => source,
        Err(problem) => {
            let header_error = RowError::new(0, "header", "invalid_file", problem.0.clone());
            db::write_transaction(conn, |conn| {
                insert_errors(conn, import.id, std::slice::from_ref(&header_error))?;
                finish(
                    conn,
                    &ctx.at_time(clock.now()),
                    import,
                    ImportStatus::Rejected,
                    Some(problem.0.clone()),
                )
            })?;
            return Ok(ImportStatus::Rejected);
        }
    };
    match import.mode {
        ImportMode::ValidRows => {
            let mut batch_number = 0;
            for_each_batch(
                &mut source,
                default_code,
                clock.today(),
                progress,
                |valid, mut errors, read| {
                    batch_number += 1;
                    let ctx = &ctx.at_time(clock.now());
                    db::write_transaction(conn, |conn| {
                        let outcome = store::apply_batch(conn, vault, &intake, valid, ctx.at)?;
                        errors.extend(outcome.errors.iter().cloned());
                        errors.sort_by_key(|e| e.row);
                        insert_errors(conn, import.id, &errors)?;
                        let rejected = distinct_rows(&errors);
                        let mut after = import.clone();
                        count(&mut after, read, &outcome, rejected);
                        after.committed_batches += 1;
                        diesel::update(application_imports::table.find(import.id))
                            .set((
                                application_imports::rows_read.eq(after.rows_read),
                                application_imports::rows_accepted.eq(after.rows_accepted),
                                application_imports::rows_unchanged.eq(after.rows_unchanged),
                                application_imports::rows_rejected.eq(after.rows_rejected),
                                application_imports::committed_batches.eq(after.committed_batches),
                            ))
                            .execute(conn)?;
                        audit::append(conn, ctx, batch_event(import, batch_number, &outcome))?;
                        Ok((after, outcome, rejected))
                    })
                    .map(|(after, outcome, rejected)| {
                        // Counted only once the batch is committed.
                        *import = after;
                        progress.add(&outcome, rejected);
                    })
                },
            )?;
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
        ImportMode::AllOrNothing => all_or_nothing(
            conn,
            vault,
            &intake,
            &mut source,
            import,
            default_code,
            ctx,
            clock,
            progress,
            spool,
        ),
    }
}

fn batch_event(import: &ApplicationImport, batch: u32, outcome: &BatchOutcome) -> NewAuditEvent {
    NewAuditEvent::new("application_import.batch_committed", "application_import", import.id)
        .agency(import.agency_id)
        .payload(json!({"batch": batch, "rows_accepted": outcome.accepted.len(), "rows_unchanged": outcome.unchanged,
            "rows_rejected_by_checks": outcome.errors.len(), "applications_sha256": outcome.digest()}))
}

#[allow(clippy::too_many_arguments)]
fn all_or_nothing(
    conn: &mut Conn,
    vault: &IdentityVault,
    intake: &Intake,
    source: &mut RowSource<Counting<BufReader<File>>>,
    import: &mut ApplicationImport,
    default_code: Option<&str>,
    ctx: &AuditContext,
    clock: &dyn Clock,
    progress: &Progress,
    spool: &Path,
) -> Result<ImportStatus, AppError> {
    // Errors go to a spill file so that a file full of bad rows does not fill memory.
    let spill_path = spool.with_extension("errors");
    let mut spill = BufWriter::new(File::create(&spill_path).map_err(AppError::internal_from)?);
    let mut digests = Vec::new();
    let mut batch_number = 0u32;
    let outcome = db::write_transaction_with_outcome(conn, |conn| {
        for_each_batch(
            source,
            default_code,
            clock.today(),
            progress,
            |valid, errors, read| {
                batch_number += 1;
                let outcome = store::apply_batch(conn, vault, intake, valid, clock.now())?;
                let rejected = distinct_rows(&errors) + distinct_rows(&outcome.errors);
                for e in errors.iter().chain(&outcome.errors) {
                    let line = serde_json::to_string(&(e.row, &e.field, &e.code, &e.message))
                        .map_err(AppError::internal_from)?;
                    writeln!(spill, "{line}").map_err(AppError::internal_from)?;
                }
                digests.push(outcome.digest());
                count(import, read, &outcome, rejected);
                progress.add(&outcome, rejected);
                Ok(())
            },
        )?;
        if import.rows_rejected > 0 {
            // The file had bad rows: nothing of it is recorded.
            return Ok(Outcome::RollBack(()));
        }
        import.committed_batches = batch_number as i32;
        let mut event = NewAuditEvent::new(
            "application_import.batch_committed",
            "application_import",
            import.id,
        )
        .agency(import.agency_id);
        event.payload = json!({"batches": batch_number, "rows_accepted": import.rows_accepted,
            "rows_unchanged": import.rows_unchanged, "batch_sha256": digests});
        let ctx = &ctx.at_time(clock.now());
        audit::append(conn, ctx, event)?;
        finish(conn, ctx, import, ImportStatus::Completed, None)?;
        Ok(Outcome::Commit(()))
    });
    spill.flush().map_err(AppError::internal_from)?;
    drop(spill);
    let status = match outcome {
        Ok(Outcome::Commit(())) => ImportStatus::Completed,
        Ok(Outcome::RollBack(())) => {
            // Nothing was recorded: the counts say what was found, the report says why.
            import.rows_accepted = 0;
            import.committed_batches = 0;
            let reader = BufReader::new(File::open(&spill_path).map_err(AppError::internal_from)?);
            db::write_transaction(conn, |conn| {
                let mut chunk = Vec::with_capacity(1000);
                for line in reader.lines() {
                    let line = line.map_err(AppError::internal_from)?;
                    let (row, field, code, message): (u64, String, String, String) =
                        serde_json::from_str(&line).map_err(AppError::internal_from)?;
                    chunk.push(RowError {
                        row,
                        field,
                        code,
                        message,
                    });
                    if chunk.len() == 1000 {
                        insert_errors(conn, import.id, &std::mem::take(&mut chunk))?;
                    }
                }
                insert_errors(conn, import.id, &chunk)?;
                let detail = format!(
                    "{} rows rejected; nothing was recorded (all_or_nothing)",
                    import.rows_rejected
                );
                finish(
                    conn,
                    &ctx.at_time(clock.now()),
                    import,
                    ImportStatus::Rejected,
                    Some(detail),
                )
            })?;
            ImportStatus::Rejected
        }
        Err(e) => {
            let _ = std::fs::remove_file(&spill_path);
            return Err(e);
        }
    };
    let _ = std::fs::remove_file(&spill_path);
    Ok(status)
}
