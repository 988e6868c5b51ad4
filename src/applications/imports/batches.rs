//! What an application import does with each batch the driver hands it: `valid_rows` commits
//! each batch with its errors, counts and audit event; `all_or_nothing` writes every batch into
//! the file's one transaction, spills the errors to disk, and commits only a file without one.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use diesel::prelude::*;
use serde_json::json;

use super::job::{self, finish, insert_errors};
use crate::applications::imports::model::{ApplicationImport, ImportStatus, Progress};
use crate::applications::intake::batch::{self as store, BatchOutcome, Intake};
use crate::applications::intake::prepared::PreparedRow;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::bulk::driver::{Batch, BatchSink};
use crate::bulk::model::RowError;
use crate::clock::Clock;
use crate::db::schema::application_imports;
use crate::db::{self, Conn, Outcome};
use crate::error::AppError;

/// What one import's batches share.
pub struct Run<'a> {
    pub import: &'a mut ApplicationImport,
    pub intake: &'a Intake,
    pub ctx: &'a AuditContext,
    pub clock: &'a dyn Clock,
    pub progress: &'a Progress,
}

/// `valid_rows`: each batch is its own transaction.
pub struct ValidRows<'a>(pub Run<'a>);

/// A committed batch's counts, applied to the job once its transaction stands.
pub struct Committed {
    after: ApplicationImport,
    outcome: BatchOutcome,
    rejected: usize,
}

impl BatchSink<Vec<PreparedRow>> for ValidRows<'_> {
    type Applied = Committed;

    fn apply(
        &mut self,
        conn: &mut Conn,
        batch: Batch<Vec<PreparedRow>>,
    ) -> Result<Committed, AppError> {
        let run = &self.0;
        let ctx = &run.ctx.at_time(run.clock.now());
        let outcome = store::apply_batch(conn, run.intake, batch.rows, ctx.at)?;
        let mut errors = batch.errors;
        errors.extend(outcome.errors.iter().cloned());
        errors.sort_by_key(|e| e.row);
        insert_errors(conn, run.import.id, &errors)?;
        let rejected = distinct_rows(&errors);
        let mut after = run.import.clone();
        count(&mut after, batch.read, &outcome, rejected);
        after.committed_batches += 1;
        diesel::update(application_imports::table.find(after.id))
            .set((
                application_imports::rows_read.eq(after.rows_read),
                application_imports::rows_accepted.eq(after.rows_accepted),
                application_imports::rows_unchanged.eq(after.rows_unchanged),
                application_imports::rows_rejected.eq(after.rows_rejected),
                application_imports::committed_batches.eq(after.committed_batches),
            ))
            .execute(conn)?;
        audit::append(conn, ctx, batch_event(&after, batch.number, &outcome))?;
        Ok(Committed {
            after,
            outcome,
            rejected,
        })
    }

    fn applied(&mut self, committed: Committed) {
        // Counted only once the batch is committed.
        self.0.progress.add(&committed.outcome, committed.rejected);
        *self.0.import = committed.after;
    }

    fn close_file(&mut self, _: &mut Conn) -> Result<Outcome<(), ()>, AppError> {
        Ok(Outcome::Commit(()))
    }
}

fn batch_event(import: &ApplicationImport, batch: u32, outcome: &BatchOutcome) -> NewAuditEvent {
    NewAuditEvent::new("application_import.batch_committed", "application_import", import.id)
        .agency(import.agency_id)
        .payload(json!({"batch": batch, "rows_accepted": outcome.accepted.len(), "rows_unchanged": outcome.unchanged,
            "rows_rejected_by_checks": outcome.errors.len(), "applications_sha256": outcome.digest()}))
}

/// `all_or_nothing`: one transaction for the whole file. Errors go to a spill file so that a
/// file full of bad rows does not fill memory; they are reported after the roll-back.
pub struct WholeFile<'a> {
    run: Run<'a>,
    spill_path: PathBuf,
    spill: BufWriter<File>,
    digests: Vec<String>,
    batches: u32,
}

impl<'a> WholeFile<'a> {
    pub fn new(run: Run<'a>, spill_path: PathBuf) -> Result<Self, AppError> {
        let spill = BufWriter::new(File::create(&spill_path).map_err(AppError::internal_from)?);
        Ok(Self {
            run,
            spill_path,
            spill,
            digests: Vec::new(),
            batches: 0,
        })
    }

    /// After the file's transaction: the final status. A rolled-back file records its errors
    /// and counts (nothing of it stays); the spill file is removed either way.
    pub fn end(
        self,
        conn: &mut Conn,
        outcome: Result<Outcome<(), ()>, AppError>,
    ) -> Result<ImportStatus, AppError> {
        let WholeFile {
            run,
            spill_path,
            spill,
            ..
        } = self;
        let flushed = spill
            .into_inner()
            .map_err(|e| AppError::internal_from(e.into_error()));
        let status = match (flushed, outcome) {
            (Ok(_), Ok(Outcome::Commit(()))) => Ok(ImportStatus::Completed),
            (Ok(_), Ok(Outcome::RollBack(()))) => report_rejected(conn, run, &spill_path),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let _ = std::fs::remove_file(&spill_path);
        status
    }
}

impl BatchSink<Vec<PreparedRow>> for WholeFile<'_> {
    type Applied = ();

    fn apply(&mut self, conn: &mut Conn, batch: Batch<Vec<PreparedRow>>) -> Result<(), AppError> {
        let run = &mut self.run;
        let outcome = store::apply_batch(conn, run.intake, batch.rows, run.clock.now())?;
        let rejected = distinct_rows(&batch.errors) + distinct_rows(&outcome.errors);
        for e in batch.errors.iter().chain(&outcome.errors) {
            let line = serde_json::to_string(&(e.row, &e.field, &e.code, &e.message))
                .map_err(AppError::internal_from)?;
            writeln!(self.spill, "{line}").map_err(AppError::internal_from)?;
        }
        self.digests.push(outcome.digest());
        self.batches = batch.number;
        count(run.import, batch.read, &outcome, rejected);
        run.progress.add(&outcome, rejected);
        Ok(())
    }

    fn applied(&mut self, (): ()) {}

    fn close_file(&mut self, conn: &mut Conn) -> Result<Outcome<(), ()>, AppError> {
        let run = &mut self.run;
        if run.import.rows_rejected > 0 {
            // The file had bad rows: nothing of it is recorded.
            return Ok(Outcome::RollBack(()));
        }
        run.import.committed_batches = self.batches as i32;
        let mut event = NewAuditEvent::new(
            "application_import.batch_committed",
            "application_import",
            run.import.id,
        )
        .agency(run.import.agency_id);
        event.payload = json!({"batches": self.batches, "rows_accepted": run.import.rows_accepted,
            "rows_unchanged": run.import.rows_unchanged, "batch_sha256": self.digests});
        let ctx = &run.ctx.at_time(run.clock.now());
        audit::append(conn, ctx, event)?;
        finish(conn, ctx, run.import, ImportStatus::Completed, None)?;
        Ok(Outcome::Commit(()))
    }
}

/// Nothing was recorded: the counts say what was found, the report says why.
fn report_rejected(
    conn: &mut Conn,
    run: Run,
    spill_path: &std::path::Path,
) -> Result<ImportStatus, AppError> {
    let import = run.import;
    import.rows_accepted = 0;
    import.committed_batches = 0;
    let reader = BufReader::new(File::open(spill_path).map_err(AppError::internal_from)?);
    db::write_transaction(conn, |conn| {
        let mut chunk = Vec::with_capacity(job::BATCH_ROWS);
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
            if chunk.len() == job::BATCH_ROWS {
                insert_errors(conn, import.id, &std::mem::take(&mut chunk))?;
            }
        }
        insert_errors(conn, import.id, &chunk)?;
        let detail = format!(
            "{} rows rejected; nothing was recorded (all_or_nothing)",
            import.rows_rejected
        );
        let ctx = &run.ctx.at_time(run.clock.now());
        finish(conn, ctx, import, ImportStatus::Rejected, Some(detail))
    })?;
    Ok(ImportStatus::Rejected)
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
