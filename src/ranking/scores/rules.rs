//! Which verdict a score gets, as plain functions over data (no database, no HTTP): whether a
//! stage code names an SKD stage, whether an opening takes scores at it now, whether an
//! application may be scored, whether a row's scores fit the rule set, whether an
//! `all_or_nothing` file commits, and what the stage result of an absent applicant is.

use std::collections::BTreeMap;

use crate::applications::model::ApplicationStatus;
use crate::applications::screening::model::ScreeningOutcome;
use crate::bulk::model::RowError;
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningStatus};
use crate::openings::plan::{Advance, SeatGroup, Stage, StageKind};
use crate::openings::rounds::rules::RuleSetRules;
use crate::ranking::engine;

/// The screening outcome that admits an application to the scored stages.
pub const ADMITTED: ScreeningOutcome = ScreeningOutcome::Eligible;

/// Why something cannot take a score: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What a stage code names in one plan.
#[derive(Debug, Clone, PartialEq)]
pub enum StageLookup {
    /// An objective stage of test `skd`, at this index of the plan.
    Skd(usize, Stage),
    /// A stage of another kind (or another test): it has no imported SKD scores.
    NotSkd(Stage),
    /// No stage with this code (codes are compared exactly, case included).
    Missing,
}

/// The stage with this code in the opening's plan, and what kind it is.
pub fn stage_lookup(opening: &Opening, code: &str) -> Result<StageLookup, AppError> {
    Ok(lookup_stage(&opening.parsed_plan()?.stages, code))
}

/// The SKD stage of an opening's plan with this code, and its index.
pub fn skd_stage(opening: &Opening, code: &str) -> Result<(usize, Stage), AppError> {
    match stage_lookup(opening, code)? {
        StageLookup::Skd(index, stage) => Ok((index, stage)),
        StageLookup::NotSkd(_) | StageLookup::Missing => Err(AppError::field(
            "stage",
            "no SKD stage (objective, test skd) with this code in the plan",
        )),
    }
}

pub fn lookup_stage(stages: &[Stage], code: &str) -> StageLookup {
    match stages.iter().enumerate().find(|(_, s)| s.code == code) {
        None => StageLookup::Missing,
        Some((index, stage)) if is_skd(stage) => StageLookup::Skd(index, stage.clone()),
        Some((_, stage)) => StageLookup::NotSkd(stage.clone()),
    }
}

fn is_skd(stage: &Stage) -> bool {
    stage.kind == StageKind::Objective && stage.test.as_deref() == Some("skd")
}

/// Whether an import's `stage` names an SKD stage of at least one of the plans it may reach;
/// otherwise the sentence that says what is wrong with the parameter (the request is refused
/// whole). A stage that is SKD in some plans and not in others is judged per row.
pub fn import_stage<'a>(
    code: &str,
    plans: impl IntoIterator<Item = &'a [Stage]>,
) -> Result<(), String> {
    let mut other_kind: Option<&Stage> = None;
    let mut other_case: Option<&str> = None;
    for stages in plans {
        for stage in stages {
            if stage.code == code {
                if is_skd(stage) {
                    return Ok(());
                }
                other_kind.get_or_insert(stage);
            } else if stage.code.eq_ignore_ascii_case(code) && is_skd(stage) {
                other_case.get_or_insert(&stage.code);
            }
        }
    }
    if let Some(stage) = other_kind {
        return Err(format!(
            "stage {code} is not an objective test (its kind is {}); only SKD scores are imported",
            serde_json::to_value(stage.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
    }
    Err(match other_case {
        Some(known) => {
            format!("no stage {code} in the round's plans; stage codes are exact: {known}")
        }
        None => format!("no opening of the round (in your scope) has a stage {code}"),
    })
}

/// Whether an opening takes scores at stage `code` now: the stage is SKD, under way and not
/// locked (locked results change only as a deviation).
pub fn opening_takes_scores(
    opening: &Opening,
    code: &str,
    lookup: &StageLookup,
) -> Result<(), Refusal> {
    match lookup {
        StageLookup::Missing | StageLookup::NotSkd(_) => Err(Refusal::new(
            "not_an_skd_stage",
            format!("opening {} has no SKD stage {code}", opening.code),
        )),
        StageLookup::Skd(index, _)
            if opening.status != OpeningStatus::Assessing
                || opening.current_stage != Some(*index as i32) =>
        {
            Err(Refusal::new(
                "stage_not_under_way",
                format!("stage {code} of opening {} is not under way", opening.code),
            ))
        }
        StageLookup::Skd(..) if opening.stage_locked => Err(Refusal::new(
            RESULTS_LOCKED,
            format!(
                "stage {code} of opening {} is locked; a change is a deviation",
                opening.code
            ),
        )),
        StageLookup::Skd(..) => Ok(()),
    }
}

/// The refusal code of a row whose stage is locked.
pub const RESULTS_LOCKED: &str = "results_locked";

/// Whether an application may be scored: not withdrawn, and admitted by screening
/// (`screening` is its screening outcome, `None` if it has none).
pub fn application_takes_scores(
    status: ApplicationStatus,
    screening: Option<ScreeningOutcome>,
) -> Result<(), Refusal> {
    if status == ApplicationStatus::Withdrawn {
        return Err(Refusal::new(
            "application_withdrawn",
            "the application is withdrawn",
        ));
    }
    if screening != Some(ADMITTED) {
        return Err(Refusal::new(
            "not_admitted",
            "the application did not pass administrative screening",
        ));
    }
    Ok(())
}

/// The verdict on one row: its scores must fit the rule set (range and point scheme of every
/// subtest, no unknown subtest), then its registration number must resolve to an application
/// that takes scores (`target`; `None` when no application has the number in the round and
/// scope). Returns the target, or every error of the row.
pub fn row_verdict<'t, T>(
    rules: &RuleSetRules,
    number: u64,
    scores: &BTreeMap<String, i32>,
    target: Option<&'t Result<T, Refusal>>,
) -> Result<&'t T, Vec<RowError>> {
    let problems = engine::check_scores(rules, scores);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(field, message)| RowError::new(number, &field, "invalid_score", message))
            .collect());
    }
    let refusal = match target {
        Some(Ok(target)) => return Ok(target),
        Some(Err(refusal)) => refusal.clone(),
        None => Refusal::new(
            "unknown_registration_number",
            "no application with this number in the round (and your scope)",
        ),
    };
    Err(vec![RowError::new(
        number,
        "registration_number",
        refusal.code,
        refusal.message,
    )])
}

/// An `all_or_nothing` file commits only when no row was rejected.
pub fn whole_file_commits(rows_rejected: u64) -> bool {
    rows_rejected == 0
}

/// Whether a score correction may change stage `index` of the opening: only once the stage's
/// results are locked (its own lock, or a later stage under way); before that the score is
/// imported, and a stage not yet started has nothing to correct.
pub fn correction_allowed(opening: &Opening, index: usize) -> Result<(), Refusal> {
    let index = index as i32;
    let status = opening.status;
    let past_it = matches!(status, OpeningStatus::Ranked | OpeningStatus::Finalized)
        || (status == OpeningStatus::Assessing && opening.current_stage.is_some_and(|c| c > index));
    let at_it = status == OpeningStatus::Assessing && opening.current_stage == Some(index);
    if past_it || (at_it && opening.stage_locked) {
        Ok(())
    } else if at_it {
        Err(Refusal::new(
            "results_not_locked",
            "the stage's results are not locked; import the score instead",
        ))
    } else {
        Err(Refusal::new(
            "stage_not_under_way",
            "the stage has not started for this opening",
        ))
    }
}

/// Whether stage `index` has results to show: it is under way or behind the opening.
pub fn stage_has_results(opening: &Opening, index: usize) -> bool {
    let index = index as i32;
    match opening.status {
        OpeningStatus::Ranked | OpeningStatus::Finalized => true,
        OpeningStatus::Assessing => opening.current_stage.is_some_and(|c| c >= index),
        _ => false,
    }
}

/// How many go on from a stage: the multiplier and the seats it multiplies, per seat group. A
/// plan without an `advance` rule uses the rule set's multiplier of each group's seats.
pub fn advance_quota(
    advance: Option<&Advance>,
    groups: &[SeatGroup],
    default_multiplier: i32,
) -> (i32, BTreeMap<String, i32>) {
    let seats_each = |n: &dyn Fn(&SeatGroup) -> i32| -> BTreeMap<String, i32> {
        groups.iter().map(|g| (g.group.clone(), n(g))).collect()
    };
    match advance {
        Some(Advance::MultipleOfQuota { multiplier }) => (*multiplier, seats_each(&|g| g.seats)),
        Some(Advance::Absolute { count }) => (1, seats_each(&|_| *count)),
        // Everyone who passes goes on: a cut-off no seat group reaches.
        Some(Advance::AllPassers {}) => (1, seats_each(&|_| i32::MAX / 2)),
        None => (default_multiplier, seats_each(&|g| g.seats)),
    }
}

/// The reason given for an admitted applicant with no recorded score: absent, so not passed,
/// not ranked and not going on.
pub const ABSENT: &str = "absent: no score recorded";

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
