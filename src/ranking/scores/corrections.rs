//! Changing a score after its stage's results were locked: only the appointing official (PPK), with
//! a justification, recorded as a deviation (`locked_score_changed`) with the before and after.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::applications::model::{Application, ApplicationId};
use crate::applications::screening::model::ScreeningOutcome;
use crate::audit::model::AuditContext;
use crate::auth::model::UserId;
use crate::db::Conn;
use crate::db::schema::{objective_scores, screening_results};
use crate::deviations::model::{DeviationId, DeviationKind, NewDeviation, check_justification};
use crate::deviations::store as deviations;
use crate::error::{AppError, FieldError};
use crate::openings::model::Opening;
use crate::openings::rounds::store as rounds;
use crate::ranking::engine;
use crate::ranking::scores::import::{self as scores, RecordedScore};
use crate::ranking::scores::rules::{self, Refusal};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ScoreCorrectionRequest {
    /// The stage's code in the opening's plan, e.g. `SKD`.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub stage: String,
    /// The corrected score of every subtest, e.g. `{"TWK": 100, "TIU": 120, "TKP": 200}`.
    #[schema(schema_with = scores_schema)]
    pub scores: BTreeMap<String, i32>,
    /// Why the locked result changes, in at least a sentence (e.g. the BKN correction letter):
    /// at least 30 characters and 5 words, white space around it aside.
    // `check_justification`: MIN_JUSTIFICATION_CHARS (30) after trimming, as the first look-ahead
    // says (two non-blank characters 29 apart), and MIN_JUSTIFICATION_WORDS (5), the second.
    #[schema(
        min_length = 30,
        pattern = "^(?=[\\s\\S]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][\\s\\S]{28,}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])(?=[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+(?:[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+){4})"
    )]
    pub justification: String,
}

fn scores_schema() -> utoipa::openapi::Object {
    crate::openings::rounds::rules::points_by_subtest_schema(
        "The corrected score of every subtest, e.g. `{\"TWK\": 100, \"TIU\": 120, \"TKP\": 200}`: \
         each 0 to the subtest's `max_points`.",
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreCorrection {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub stage: String,
    /// `null` when the application had no score at this stage.
    pub before: Option<BTreeMap<String, i32>>,
    pub after: BTreeMap<String, i32>,
    /// The deviation record (listed at `GET /api/v1/deviations`).
    pub deviation_id: DeviationId,
}

fn conflict(refusal: Refusal) -> AppError {
    AppError::conflict(refusal.code, refusal.message)
}

fn invalid_scores(problems: Vec<(String, String)>) -> AppError {
    AppError::Invalid {
        code: "validation_failed",
        detail: "the scores do not fit the rule set".into(),
        errors: problems
            .into_iter()
            .map(|(field, message)| FieldError::new(format!("scores.{field}"), message))
            .collect(),
    }
}

/// Replaces (or adds) one application's score at a locked stage, as a deviation by `official`.
pub fn correct(
    conn: &mut Conn,
    ctx: &AuditContext,
    official: UserId,
    application: ApplicationId,
    request: &ScoreCorrectionRequest,
) -> Result<ScoreCorrection, AppError> {
    let justification = check_justification(Some(&request.justification))?;
    let app: Application = crate::find_for_update!(conn, applications, application)?
        .ok_or_else(AppError::not_found)?;
    let opening: Opening =
        crate::find_for_update!(conn, openings, app.opening_id)?.ok_or_else(AppError::not_found)?;
    let (index, stage) = rules::skd_stage(&opening, &request.stage)?;
    rules::correction_allowed(&opening, index).map_err(conflict)?;
    let rule_set_id = opening
        .rule_set_id
        .ok_or_else(|| AppError::internal("an assessed opening has no rule set"))?;
    let rules = rounds::find_rule_set(conn, rule_set_id)?
        .ok_or_else(AppError::not_found)?
        .parsed_rules()?;
    let problems = engine::check_scores(&rules, &request.scores);
    if !problems.is_empty() {
        return Err(invalid_scores(problems));
    }
    let screening: Option<ScreeningOutcome> = screening_results::table
        .find(application)
        .select(screening_results::outcome)
        .first(conn)
        .optional()?;
    rules::application_takes_scores(app.status, screening).map_err(conflict)?;
    let before: Option<String> = objective_scores::table
        .find((application, &stage.code))
        .select(objective_scores::scores)
        .first(conn)
        .optional()?;
    let before: Option<BTreeMap<String, i32>> = before
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(AppError::internal_from)?;
    if before.as_ref() == Some(&request.scores) {
        return Err(AppError::conflict(
            "no_change",
            "the scores are already recorded as given",
        ));
    }
    let after_json = serde_json::to_string(&request.scores).map_err(AppError::internal_from)?;
    let score = RecordedScore {
        application,
        opening: opening.id,
        stage_code: &stage.code,
        scores: &after_json,
        total: request.scores.values().sum(),
    };
    scores::record_score(conn, &score, ctx.at)?;
    let deviation = deviations::record(
        conn,
        ctx,
        NewDeviation {
            agency_id: Some(app.agency_id),
            kind: DeviationKind::LockedScoreChanged,
            object_type: "application",
            object_id: application.to_string(),
            justification,
            official_id: official,
            details: json!({"opening_id": opening.id, "registration_number": app.registration_number,
                "stage": stage.code, "before": before, "after": request.scores}),
        },
    )?;
    Ok(ScoreCorrection {
        application_id: application,
        registration_number: app.registration_number,
        stage: stage.code,
        before,
        after: request.scores.clone(),
        deviation_id: deviation.id,
    })
}
