//! Objective test scores (CAT SKD): the import job of one file for a round's stage, with the
//! same row modes as application imports, and the batched writes of accepted scores. Which
//! verdict a row gets is decided in [`super::rules`]; the file is read by [`super::source`].

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::agencies::model::AgencyId;
use crate::applications::model::{ApplicationId, ApplicationStatus};
use crate::applications::screening::model::ScreeningOutcome;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::bulk::driver::{self, Batch, BatchSink, Reading};
use crate::bulk::model::{FileProblem, ImportFormat, ImportMode, RowError};
use crate::bulk::reader::RowReader;
use crate::db::Conn;
use crate::db::Outcome;
use crate::db::schema::{applications, objective_scores, openings, screening_results};
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningId};
use crate::openings::plan::Stage;
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::rules::RuleSetRules;
use crate::ranking::scores::rules::{self, RESULTS_LOCKED, Refusal};
use crate::ranking::scores::source::{ScoreRow, ScoreShape};

/// Rows per batch (and per transaction in `valid_rows` mode).
const BATCH: usize = 1000;
/// The response lists at most this many row errors (the count is always complete).
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreImportReport {
    pub stage_code: String,
    pub mode: ImportMode,
    /// SHA-256 of the uploaded file, as recorded in the audit chain.
    pub file_sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// `false` when no row was written: an `all_or_nothing` file with bad rows, or a
    /// `valid_rows` file none of whose rows was accepted.
    pub recorded: bool,
    /// The first 1,000 row errors, in row order.
    pub errors: Vec<RowError>,
}

/// An import's report, and how many of its rows were refused because their stage is locked
/// (an attempt to change locked results, which the caller records in the audit chain).
pub struct ImportOutcome {
    pub report: ScoreImportReport,
    pub rows_locked: u64,
}

/// Refuses the whole request when `stage_code` names no SKD stage in any plan of the round's
/// openings in scope (unknown, wrongly cased, or a stage that is not an objective test).
pub fn check_import_stage(
    conn: &mut Conn,
    round: RoundId,
    scope: Option<AgencyId>,
    stage_code: &str,
) -> Result<(), AppError> {
    let mut query = openings::table
        .filter(openings::round_id.eq(round))
        .select(openings::plan)
        .distinct()
        .into_boxed();
    if let Some(agency) = scope {
        query = query.filter(openings::agency_id.eq(agency));
    }
    let plans: Vec<String> = query.load(conn)?;
    let plans: Vec<Vec<Stage>> = plans
        .iter()
        .map(|p| {
            serde_json::from_str::<crate::openings::plan::AssessmentPlan>(p)
                .map(|plan| plan.stages)
                .map_err(AppError::internal_from)
        })
        .collect::<Result<_, _>>()?;
    rules::import_stage(stage_code, plans.iter().map(Vec::as_slice))
        .map_err(|message| AppError::field("stage", message))
}

/// What a row's application must satisfy to take a score now.
struct Target {
    application: ApplicationId,
    opening: OpeningId,
}

/// Resolves registration numbers of a batch to applications whose opening has this stage under
/// way and unlocked (locked results change only as a deviation).
fn resolve(
    conn: &mut Conn,
    round: RoundId,
    scope: Option<AgencyId>,
    stage_code: &str,
    numbers: &[String],
    openings_seen: &mut HashMap<OpeningId, Result<(), Refusal>>,
) -> Result<HashMap<String, Result<Target, Refusal>>, AppError> {
    let mut query = applications::table
        .left_join(screening_results::table)
        .filter(applications::round_id.eq(round))
        .filter(applications::registration_number.eq_any(numbers))
        .into_boxed();
    if let Some(agency) = scope {
        query = query.filter(applications::agency_id.eq(agency));
    }
    let rows: Vec<(
        ApplicationId,
        String,
        OpeningId,
        ApplicationStatus,
        Option<ScreeningOutcome>,
    )> = query
        .select((
            applications::id,
            applications::registration_number,
            applications::opening_id,
            applications::status,
            screening_results::outcome.nullable(),
        ))
        .load(conn)?;
    let mut found = HashMap::new();
    for (id, number, opening_id, status, screening) in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = openings_seen.entry(opening_id) {
            let opening: Opening = openings::table.find(opening_id).first(conn)?;
            let lookup = rules::stage_lookup(&opening, stage_code)?;
            slot.insert(rules::opening_takes_scores(&opening, stage_code, &lookup));
        }
        let verdict = openings_seen[&opening_id]
            .clone()
            .and_then(|()| rules::application_takes_scores(status, screening))
            .map(|()| Target {
                application: id,
                opening: opening_id,
            });
        found.insert(number, verdict);
    }
    Ok(found)
}

pub struct ScoreImport<'a> {
    pub round: RoundId,
    pub scope: Option<AgencyId>,
    pub stage_code: &'a str,
    pub rules: &'a RuleSetRules,
    pub mode: ImportMode,
    pub format: ImportFormat,
    pub file_sha256: String,
    /// `MAX_IMPORT_ROW_BYTES`: a longer row is a row error.
    pub max_row_bytes: usize,
}

/// Imports the spooled file; every row is checked (registration number of the round and scope,
/// stage under way and unlocked, each subtest within its range and point scheme). A file
/// without a data row, or whose header does not fit the stage, is refused whole (422).
pub fn import(
    conn: &mut Conn,
    ctx: &AuditContext,
    job: &ScoreImport,
    path: &Path,
) -> Result<ImportOutcome, AppError> {
    let file =
        File::open(path).map_err(|e| AppError::internal(format!("cannot open the upload: {e}")))?;
    let shape = ScoreShape {
        rules: job.rules,
        stage_code: job.stage_code,
    };
    let rows = RowReader::open(file, job.format, shape, job.max_row_bytes)?;
    let mut sink = ScoreSink {
        ctx,
        job,
        seen: HashMap::new(),
        rows_locked: 0,
        report: ScoreImportReport {
            stage_code: job.stage_code.to_string(),
            mode: job.mode,
            file_sha256: job.file_sha256.clone(),
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            recorded: false,
            errors: Vec::new(),
        },
    };
    // The rules need the database, so the reading thread only reads.
    let reading = Reading {
        rows,
        batch_rows: BATCH,
        check: Ok::<ScoreRow, Vec<RowError>>,
        prepare: Ok::<Vec<ScoreRow>, AppError>,
    };
    if let Outcome::RollBack(()) = driver::run(conn, job.mode, reading, &mut sink)? {
        // An all_or_nothing file with rejected rows: nothing of it stays, the report says why.
        sink.report.rows_accepted = 0;
    }
    finish(sink.report, sink.rows_locked)
}

/// Writes the batches of one score file and keeps its report.
struct ScoreSink<'a> {
    ctx: &'a AuditContext,
    job: &'a ScoreImport<'a>,
    /// Whether each opening met so far takes scores at the stage.
    seen: HashMap<OpeningId, Result<(), Refusal>>,
    report: ScoreImportReport,
    rows_locked: u64,
}

impl BatchSink<Vec<ScoreRow>> for ScoreSink<'_> {
    type Applied = ();

    fn apply(&mut self, conn: &mut Conn, batch: Batch<Vec<ScoreRow>>) -> Result<(), AppError> {
        for error in batch.errors {
            self.report.rows_read += 1;
            reject(&mut self.report, vec![error]);
        }
        if batch.rows.is_empty() {
            return Ok(());
        }
        apply_batch(
            conn,
            self.ctx,
            self.job,
            batch.number,
            batch.rows,
            &mut self.seen,
            &mut self.report,
            &mut self.rows_locked,
        )
    }

    fn applied(&mut self, (): ()) {}

    fn close_file(&mut self, _: &mut Conn) -> Result<Outcome<(), ()>, AppError> {
        Ok(match rules::whole_file_commits(self.report.rows_rejected) {
            true => Outcome::Commit(()),
            false => Outcome::RollBack(()),
        })
    }
}

/// The report of a file that was read to its end.
fn finish(mut report: ScoreImportReport, rows_locked: u64) -> Result<ImportOutcome, AppError> {
    if report.rows_read == 0 {
        return Err(FileProblem::empty().into());
    }
    report.recorded = report.rows_accepted > 0;
    Ok(ImportOutcome {
        report,
        rows_locked,
    })
}

fn reject(report: &mut ScoreImportReport, errors: Vec<RowError>) {
    report.rows_rejected += 1;
    for e in errors {
        if report.errors.len() < MAX_REPORTED_ERRORS {
            report.errors.push(e);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_batch(
    conn: &mut Conn,
    ctx: &AuditContext,
    job: &ScoreImport,
    batch_number: u32,
    rows: Vec<ScoreRow>,
    seen: &mut HashMap<OpeningId, Result<(), Refusal>>,
    report: &mut ScoreImportReport,
    rows_locked: &mut u64,
) -> Result<(), AppError> {
    let numbers: Vec<String> = rows.iter().map(|r| r.registration_number.clone()).collect();
    let targets = resolve(conn, job.round, job.scope, job.stage_code, &numbers, seen)?;
    let now = ctx.at;
    let mut digest = Sha256::new();
    let mut accepted = Vec::with_capacity(rows.len());
    for row in rows {
        report.rows_read += 1;
        let target = targets.get(&row.registration_number);
        match rules::row_verdict(job.rules, row.number, &row.scores, target) {
            Err(errors) => {
                if errors.iter().any(|e| e.code == RESULTS_LOCKED) {
                    *rows_locked += 1;
                }
                reject(report, errors);
            }
            Ok(t) => {
                let scores = serde_json::to_string(&row.scores).map_err(AppError::internal_from)?;
                digest.update(format!("{}|{scores}\n", t.application));
                let total: i32 = row.scores.values().sum();
                accepted.push((t.application, t.opening, scores, total));
            }
        }
    }
    report.rows_accepted += accepted.len() as u64;
    let recorded: Vec<RecordedScore> = last_per_application(&accepted)
        .map(|(application, opening, scores, total)| RecordedScore {
            application: *application,
            opening: *opening,
            stage_code: job.stage_code,
            scores,
            total: *total,
        })
        .collect();
    record_scores(conn, &recorded, now)?;
    if !accepted.is_empty() {
        audit::append(
            conn,
            ctx,
            NewAuditEvent::new("objective_scores.recorded", "selection_round", job.round)
                .agency(job.scope)
                .payload(json!({"stage_code": job.stage_code, "batch": batch_number, "rows": accepted.len(),
                    "file_sha256": job.file_sha256, "scores_sha256": hex::encode(digest.finalize())})),
        )?;
    }
    Ok(())
}

/// One application's scores at one stage, as stored (`scores` is the JSON object by subtest).
pub struct RecordedScore<'a> {
    pub application: ApplicationId,
    pub opening: OpeningId,
    pub stage_code: &'a str,
    pub scores: &'a str,
    pub total: i32,
}

/// The accepted rows of a batch, one per application: a later row of the file for the same
/// application replaces an earlier one (as it would row by row), and one multi-row upsert may
/// touch a row only once.
fn last_per_application(
    accepted: &[(ApplicationId, OpeningId, String, i32)],
) -> impl Iterator<Item = &(ApplicationId, OpeningId, String, i32)> {
    let last: HashMap<ApplicationId, usize> = accepted
        .iter()
        .enumerate()
        .map(|(index, row)| (row.0, index))
        .collect();
    accepted
        .iter()
        .enumerate()
        .filter(move |(index, row)| last[&row.0] == *index)
        .map(|(_, row)| row)
}

/// Rows per multi-row upsert (6 bound parameters a row, under both databases' limits).
const UPSERT_CHUNK: usize = 1000;

/// Inserts or replaces one application's scores at a stage.
pub fn record_score(
    conn: &mut Conn,
    score: &RecordedScore,
    now: Timestamp,
) -> Result<(), AppError> {
    record_scores(conn, std::slice::from_ref(score), now)
}

/// Inserts or replaces the scores of distinct applications at a stage, a chunk per statement.
fn record_scores(
    conn: &mut Conn,
    scores: &[RecordedScore],
    now: Timestamp,
) -> Result<(), AppError> {
    use diesel::upsert::excluded;
    for chunk in scores.chunks(UPSERT_CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|score| {
                (
                    objective_scores::application_id.eq(score.application),
                    objective_scores::opening_id.eq(score.opening),
                    objective_scores::stage_code.eq(score.stage_code),
                    objective_scores::scores.eq(score.scores),
                    objective_scores::total.eq(score.total),
                    objective_scores::recorded_at.eq(now),
                )
            })
            .collect();
        crate::on_backend!(&mut *conn, |c| diesel::insert_into(objective_scores::table)
            .values(&values)
            .on_conflict((
                objective_scores::application_id,
                objective_scores::stage_code
            ))
            .do_update()
            .set((
                objective_scores::scores.eq(excluded(objective_scores::scores)),
                objective_scores::total.eq(excluded(objective_scores::total)),
                objective_scores::recorded_at.eq(excluded(objective_scores::recorded_at)),
            ))
            .execute(c))?;
    }
    Ok(())
}
