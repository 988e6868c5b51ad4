//! The result of an SKD stage for one opening: its recorded scores read from the database and
//! judged by the pure selection engine (pass/fail per the seat group's threshold set, rank, who
//! goes on); admitted applicants without a score are listed as absent.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::{ApplicationId, ApplicationStatus};
use crate::db::Conn;
use crate::db::schema::{applications, objective_scores, screening_results};
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningId};
use crate::openings::plan::Stage;
use crate::openings::rounds::rules::RuleSetRules;
use crate::ranking::engine::{self, FailedRule, SkdEntry};
use crate::ranking::scores::rules::{self, ADMITTED};

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
        .filter(applications::status.ne(ApplicationStatus::Withdrawn))
        .filter(screening_results::outcome.eq(ADMITTED))
        .select((
            applications::id,
            applications::registration_number,
            applications::seat_group,
            objective_scores::scores.nullable(),
        ))
        .load(conn)?;
    let groups = opening.parsed_seat_groups()?;
    let (multiplier, seats) =
        rules::advance_quota(stage.advance.as_ref(), &groups, rules.advance_multiplier);
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
                reason: rules::ABSENT.into(),
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

/// The SKD stage of the opening whose results are asked for: 404 when the plan has no stage
/// with this code, 409 `stage_results_unavailable` when the stage has no SKD results (another
/// kind of stage, or one not started yet).
pub fn results_stage(opening: &Opening, code: &str) -> Result<Stage, AppError> {
    let unavailable = |detail: String| AppError::conflict("stage_results_unavailable", detail);
    match rules::stage_lookup(opening, code)? {
        rules::StageLookup::Missing => Err(AppError::NotFound {
            code: "stage_not_found",
            detail: format!("the opening's plan has no stage {code}"),
        }),
        rules::StageLookup::NotSkd(_) => Err(unavailable(format!(
            "stage {code} is not an SKD test: it has no imported test results"
        ))),
        rules::StageLookup::Skd(index, _) if !rules::stage_has_results(opening, index) => Err(
            unavailable(format!("stage {code} has not started for this opening")),
        ),
        rules::StageLookup::Skd(_, stage) => Ok(stage),
    }
}
