//! Objective test scores (CAT SKD): streamed import per round and stage with the same row rules
//! and modes as application imports, and the stage result (pass/fail per the seat group's
//! threshold set, rank, who goes on) computed by the pure selection engine.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::agencies::model::AgencyId;
use crate::applications::imports::model::{ImportFormat, ImportMode};
use crate::applications::intake::rows::RowError;
use crate::applications::model::{ApplicationId, ApplicationStatus};
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::schema::{applications, objective_scores, openings, screening_results};
use crate::db::types::Timestamp;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningId, OpeningStatus};
use crate::openings::plan::{Advance, Stage, StageKind};
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::rules::RuleSetRules;
use crate::ranking::engine::{self, FailedRule, SkdEntry};

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
    /// `false` when an `all_or_nothing` file had bad rows: nothing was recorded.
    pub recorded: bool,
    /// The first 1,000 row errors, in row order.
    pub errors: Vec<RowError>,
}

struct ScoreRow {
    number: u64,
    registration_number: String,
    scores: BTreeMap<String, i32>,
}

/// Reads score rows: CSV with `registration_number` and one column per subtest, or JSON Lines
/// with the same keys.
struct ScoreSource {
    format: ImportFormat,
    csv: Option<(csv::Reader<BufReader<File>>, Vec<String>)>,
    lines: Option<BufReader<File>>,
    number: u64,
}

impl ScoreSource {
    fn open(path: &Path, format: ImportFormat, rules: &RuleSetRules) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot open the upload: {e}"))?;
        let reader = BufReader::with_capacity(1 << 16, file);
        match format {
            ImportFormat::Jsonl => Ok(Self {
                format,
                csv: None,
                lines: Some(reader),
                number: 0,
            }),
            ImportFormat::Csv => {
                let mut csv = csv::ReaderBuilder::new().from_reader(reader);
                let header: Vec<String> = csv
                    .headers()
                    .map_err(|e| format!("the CSV header cannot be read: {e}"))?
                    .iter()
                    .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                    .collect();
                let expected: Vec<&str> = std::iter::once("registration_number")
                    .chain(rules.skd.subtests.iter().map(|s| s.code.as_str()))
                    .collect();
                let mut sorted_header: Vec<&str> = header.iter().map(String::as_str).collect();
                sorted_header.sort();
                let mut sorted_expected = expected.clone();
                sorted_expected.sort();
                if sorted_header != sorted_expected {
                    return Err(format!(
                        "the columns must be exactly: {}",
                        expected.join(", ")
                    ));
                }
                Ok(Self {
                    format,
                    csv: Some((csv, header)),
                    lines: None,
                    number: 0,
                })
            }
        }
    }

    fn next_row(&mut self) -> Option<Result<ScoreRow, RowError>> {
        self.number += 1;
        let n = self.number;
        match self.format {
            ImportFormat::Csv => {
                let (reader, header) = self.csv.as_mut()?;
                let mut record = csv::StringRecord::new();
                match reader.read_record(&mut record) {
                    Ok(false) => None,
                    Err(e) => Some(Err(RowError::new(
                        n,
                        "row",
                        "malformed_row",
                        format!("the row cannot be read: {e}"),
                    ))),
                    Ok(true) => {
                        let mut row = ScoreRow {
                            number: n,
                            registration_number: String::new(),
                            scores: BTreeMap::new(),
                        };
                        for (name, value) in header.iter().zip(record.iter()) {
                            let value = value.trim();
                            if name == "registration_number" {
                                row.registration_number = value.to_string();
                            } else if let Ok(points) = value.parse::<i32>() {
                                row.scores.insert(name.clone(), points);
                            } else if !value.is_empty() {
                                return Some(Err(RowError::new(
                                    n,
                                    name,
                                    "invalid_number",
                                    "must be a whole number",
                                )));
                            }
                        }
                        Some(Ok(row))
                    }
                }
            }
            ImportFormat::Jsonl => loop {
                let reader = self.lines.as_mut()?;
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => return None,
                    Ok(_) if line.trim().is_empty() => {
                        self.number += 1;
                        continue;
                    }
                    Ok(_) => return Some(json_score_row(&line, self.number)),
                    Err(e) => {
                        return Some(Err(RowError::new(
                            self.number,
                            "row",
                            "malformed_row",
                            e.to_string(),
                        )));
                    }
                }
            },
        }
    }
}

fn json_score_row(line: &str, n: u64) -> Result<ScoreRow, RowError> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| RowError::new(n, "row", "malformed_row", format!("not JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(RowError::new(
            n,
            "row",
            "malformed_row",
            "each line must be a JSON object",
        ));
    };
    let mut row = ScoreRow {
        number: n,
        registration_number: String::new(),
        scores: BTreeMap::new(),
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            ("registration_number", serde_json::Value::String(s)) => row.registration_number = s,
            ("registration_number", _) => {
                return Err(RowError::new(n, &key, "invalid_value", "must be a string"));
            }
            (_, serde_json::Value::Number(points)) => {
                match points.as_i64().and_then(|p| i32::try_from(p).ok()) {
                    Some(p) => {
                        row.scores.insert(key, p);
                    }
                    None => {
                        return Err(RowError::new(
                            n,
                            &key,
                            "invalid_number",
                            "must be a whole number",
                        ));
                    }
                }
            }
            _ => {
                return Err(RowError::new(
                    n,
                    &key,
                    "invalid_number",
                    "must be a whole number",
                ));
            }
        }
    }
    Ok(row)
}

/// The SKD stage of an opening's plan with this code, and its index.
pub fn skd_stage(opening: &Opening, code: &str) -> Result<(usize, Stage), AppError> {
    let plan = opening.parsed_plan()?;
    plan.stages
        .into_iter()
        .enumerate()
        .find(|(_, s)| {
            s.code == code && s.kind == StageKind::Objective && s.test.as_deref() == Some("skd")
        })
        .ok_or_else(|| {
            AppError::field(
                "stage",
                "no SKD stage (objective, test skd) with this code in the plan",
            )
        })
}

/// Why a row cannot take a score: an error code and message.
type Refusal = (&'static str, String);
type Verdict = Result<Target, Refusal>;

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
) -> Result<HashMap<String, Verdict>, AppError> {
    let mut query = applications::table
        .left_join(screening_results::table)
        .filter(applications::round_id.eq(round))
        .filter(applications::registration_number.eq_any(numbers))
        .into_boxed();
    if let Some(agency) = scope {
        query = query.filter(applications::agency_id.eq(agency));
    }
    let rows: Vec<(ApplicationId, String, OpeningId, String, Option<String>)> = query
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
            let verdict = match skd_stage(&opening, stage_code) {
                Err(_) => Err((
                    "not_an_skd_stage",
                    format!("opening {} has no SKD stage {stage_code}", opening.code),
                )),
                Ok((index, _))
                    if opening.status() != OpeningStatus::Assessing
                        || opening.current_stage != Some(index as i32) =>
                {
                    Err((
                        "stage_not_under_way",
                        format!(
                            "stage {stage_code} of opening {} is not under way",
                            opening.code
                        ),
                    ))
                }
                Ok(_) if opening.stage_locked => Err((
                    "results_locked",
                    format!(
                        "stage {stage_code} of opening {} is locked; a change is a deviation",
                        opening.code
                    ),
                )),
                Ok(_) => Ok(()),
            };
            slot.insert(verdict);
        }
        let verdict = match (&openings_seen[&opening_id], status.as_str()) {
            (Err(e), _) => Err(e.clone()),
            (Ok(()), s) if s == ApplicationStatus::Withdrawn.as_str() => Err((
                "application_withdrawn",
                "the application is withdrawn".to_string(),
            )),
            (Ok(()), _) if screening.as_deref() != Some(ADMITTED) => Err((
                "not_admitted",
                "the application did not pass administrative screening".to_string(),
            )),
            (Ok(()), _) => Ok(Target {
                application: id,
                opening: opening_id,
            }),
        };
        found.insert(number, verdict);
    }
    Ok(found)
}

/// The screening outcome that admits an application to the scored stages.
pub const ADMITTED: &str = "eligible";

pub struct ScoreImport<'a> {
    pub round: RoundId,
    pub scope: Option<AgencyId>,
    pub stage_code: &'a str,
    pub rules: &'a RuleSetRules,
    pub mode: ImportMode,
    pub format: ImportFormat,
    pub file_sha256: String,
}

const REJECTED: &str = "score import: rows rejected";

/// Imports the spooled file; every row is checked (registration number of the round and scope,
/// stage under way and unlocked, each subtest within its range and point scheme).
pub fn import(
    conn: &mut Conn,
    ctx: &AuditContext,
    job: &ScoreImport,
    path: &Path,
) -> Result<ScoreImportReport, AppError> {
    let mut report = ScoreImportReport {
        stage_code: job.stage_code.to_string(),
        mode: job.mode,
        file_sha256: job.file_sha256.clone(),
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        recorded: false,
        errors: Vec::new(),
    };
    let mut source = match ScoreSource::open(path, job.format, job.rules) {
        Ok(source) => source,
        Err(problem) => {
            report
                .errors
                .push(RowError::new(0, "header", "invalid_file", problem));
            return Ok(report);
        }
    };
    let mut seen = HashMap::new();
    let mut batch_number = 0u32;
    let mut run = |conn: &mut Conn, report: &mut ScoreImportReport| -> Result<(), AppError> {
        loop {
            let mut rows = Vec::with_capacity(BATCH);
            while rows.len() < BATCH {
                match source.next_row() {
                    None => break,
                    Some(Ok(row)) => rows.push(row),
                    Some(Err(e)) => {
                        report.rows_read += 1;
                        reject(report, vec![e]);
                    }
                }
            }
            if rows.is_empty() {
                return Ok(());
            }
            batch_number += 1;
            let apply = |conn: &mut Conn, report: &mut ScoreImportReport| {
                apply_batch(conn, ctx, job, rows, batch_number, &mut seen, report)
            };
            match job.mode {
                ImportMode::ValidRows => db::write_transaction(conn, |conn| apply(conn, report))?,
                ImportMode::AllOrNothing => apply(conn, report)?,
            }
        }
    };
    match job.mode {
        ImportMode::ValidRows => run(conn, &mut report)?,
        ImportMode::AllOrNothing => {
            let outcome = db::write_transaction(conn, |conn| {
                run(conn, &mut report)?;
                if report.rows_rejected > 0 {
                    Err(AppError::internal(REJECTED))
                } else {
                    Ok(())
                }
            });
            match outcome {
                Ok(()) => {}
                Err(AppError::Internal { detail, .. }) if detail == REJECTED => {
                    report.rows_accepted = 0;
                    return Ok(report);
                }
                Err(e) => return Err(e),
            }
        }
    }
    report.recorded = true;
    Ok(report)
}

fn reject(report: &mut ScoreImportReport, errors: Vec<RowError>) {
    report.rows_rejected += 1;
    for e in errors {
        if report.errors.len() < MAX_REPORTED_ERRORS {
            report.errors.push(e);
        }
    }
}

fn apply_batch(
    conn: &mut Conn,
    ctx: &AuditContext,
    job: &ScoreImport,
    rows: Vec<ScoreRow>,
    batch_number: u32,
    seen: &mut HashMap<OpeningId, Result<(), Refusal>>,
    report: &mut ScoreImportReport,
) -> Result<(), AppError> {
    let numbers: Vec<String> = rows.iter().map(|r| r.registration_number.clone()).collect();
    let targets = resolve(conn, job.round, job.scope, job.stage_code, &numbers, seen)?;
    let now = ctx.at;
    let mut digest = Sha256::new();
    let mut accepted = Vec::with_capacity(rows.len());
    for row in rows {
        report.rows_read += 1;
        let problems = engine::check_scores(job.rules, &row.scores);
        if !problems.is_empty() {
            let errors = problems
                .into_iter()
                .map(|(field, message)| RowError::new(row.number, &field, "invalid_score", message))
                .collect();
            reject(report, errors);
            continue;
        }
        let target = match targets.get(&row.registration_number) {
            None => Err((
                "unknown_registration_number",
                "no application with this number in the round (and your scope)".to_string(),
            )),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(t)) => Ok(t),
        };
        match target {
            Err((code, message)) => reject(
                report,
                vec![RowError::new(
                    row.number,
                    "registration_number",
                    code,
                    message,
                )],
            ),
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

/// One application's result at an SKD stage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StageResultRow {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub seat_group: String,
    /// `null` when no score was recorded (absent).
    pub scores: Option<BTreeMap<String, i32>>,
    pub total: Option<i32>,
    pub threshold_set: Option<String>,
    pub passed: bool,
    pub failed: Vec<FailedRule>,
    /// Among passers of the seat group (1 = best; equal on the whole tie-break chain = same rank).
    pub rank: Option<u32>,
    pub goes_on: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StageResults {
    pub opening_id: OpeningId,
    pub stage_code: String,
    /// N = multiplier × seats of each seat group go on (ties with the last place included).
    pub multiplier: i32,
    pub seats: BTreeMap<String, i32>,
    pub items: Vec<StageResultRow>,
}

/// Computes the stage result of one opening from its recorded scores.
pub fn stage_results(
    conn: &mut Conn,
    opening: &Opening,
    stage: &Stage,
    rules: &RuleSetRules,
) -> Result<StageResults, AppError> {
    let rows: Vec<(ApplicationId, String, String, Option<String>)> = applications::table
        .inner_join(screening_results::table)
        .left_join(
            objective_scores::table.on(objective_scores::application_id
                .eq(applications::id)
                .and(objective_scores::stage_code.eq(&stage.code))),
        )
        .filter(applications::opening_id.eq(opening.id))
        .filter(applications::status.ne(ApplicationStatus::Withdrawn.as_str()))
        .filter(screening_results::outcome.eq(ADMITTED))
        .select((
            applications::id,
            applications::registration_number,
            applications::seat_group,
            objective_scores::scores.nullable(),
        ))
        .load(conn)?;
    let groups = opening.parsed_seat_groups()?;
    let (multiplier, seats): (i32, BTreeMap<String, i32>) = match stage.advance {
        Some(Advance::MultipleOfQuota { multiplier }) => (
            multiplier,
            groups.iter().map(|g| (g.group.clone(), g.seats)).collect(),
        ),
        Some(Advance::Absolute { count }) => {
            (1, groups.iter().map(|g| (g.group.clone(), count)).collect())
        }
        Some(Advance::AllPassers) => (
            1,
            groups
                .iter()
                .map(|g| (g.group.clone(), i32::MAX / 2))
                .collect(),
        ),
        None => (
            rules.advance_multiplier,
            groups.iter().map(|g| (g.group.clone(), g.seats)).collect(),
        ),
    };
    let mut numbers = HashMap::new();
    let mut entries = Vec::new();
    let mut absent = Vec::new();
    for (id, number, seat_group, scores) in rows {
        numbers.insert(id, number.clone());
        match scores
            .map(|s| serde_json::from_str::<BTreeMap<String, i32>>(&s))
            .transpose()
            .map_err(AppError::internal_from)?
        {
            Some(scores) => entries.push(SkdEntry {
                id,
                seat_group,
                scores,
            }),
            None => absent.push((id, number, seat_group)),
        }
    }
    let mut by_id: HashMap<ApplicationId, BTreeMap<String, i32>> =
        entries.iter().map(|e| (e.id, e.scores.clone())).collect();
    let mut items: Vec<StageResultRow> = engine::evaluate_skd(rules, entries, &seats, multiplier)
        .into_iter()
        .map(|r| {
            let scores = by_id.remove(&r.id);
            StageResultRow {
                registration_number: numbers.get(&r.id).cloned().unwrap_or_default(),
                application_id: r.id,
                seat_group: r.seat_group,
                scores,
                total: Some(r.total),
                threshold_set: r.threshold_set,
                passed: r.passed,
                failed: r.failed,
                rank: r.rank,
                goes_on: r.goes_on,
                reason: r.reason,
            }
        })
        .collect();
    absent.sort();
    items.extend(
        absent
            .into_iter()
            .map(|(id, number, seat_group)| StageResultRow {
                application_id: id,
                registration_number: number,
                seat_group,
                scores: None,
                total: None,
                threshold_set: None,
                passed: false,
                failed: vec![],
                rank: None,
                goes_on: false,
                reason: "absent: no score recorded".into(),
            }),
    );
    Ok(StageResults {
        opening_id: opening.id,
        stage_code: stage.code.clone(),
        multiplier,
        seats,
        items,
    })
}
