//! The opening's state machine: each action checks the state it starts from, and a stage action
//! checks that the caller named the step it acts on. Pure: no database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::OpeningStatus;
use super::plan::{AssessmentPlan, SCREENING, Stage, StageKind};

/// An explicit lifecycle action (`POST /api/v1/openings/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// draft → published: rules, plan and eligibility freeze.
    Publish,
    /// published → closed: no more applications.
    Close,
    /// closed → screening (seleksi administrasi).
    StartScreening,
    /// Starts the next scored stage; the previous step's results must be locked.
    StartStage,
    /// Locks the results of screening or of the current stage.
    LockStage,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Publish => "publish",
            Action::Close => "close",
            Action::StartScreening => "start-screening",
            Action::StartStage => "start-stage",
            Action::LockStage => "lock-stage",
        }
    }
    /// `start-stage` and `lock-stage`, which name the stage they mean.
    pub fn is_stage_action(&self) -> bool {
        matches!(self, Action::StartStage | Action::LockStage)
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Action::Publish,
            Action::Close,
            Action::StartScreening,
            Action::StartStage,
            Action::LockStage,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Where an opening stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub status: OpeningStatus,
    pub current_stage: Option<i32>,
    pub stage_locked: bool,
}

/// Why an action cannot run from here; rendered as 409 with the current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
}

fn refuse(action: Action, from: Position, needs: &str) -> Refusal {
    Refusal {
        code: "opening_state_conflict",
        detail: format!(
            "cannot {}: the opening is {}{} ({} needs {needs})",
            action.as_str(),
            from.status.as_str(),
            match (from.current_stage, from.stage_locked) {
                (Some(stage), locked) =>
                    format!(" at stage {stage}{}", if locked { ", locked" } else { "" }),
                (None, true) => ", results locked".to_string(),
                (None, false) => String::new(),
            },
            action.as_str()
        ),
    }
}

/// The next scored stage after `current` (administrative stages are screening itself).
fn next_scored_stage(plan: &AssessmentPlan, current: Option<i32>) -> Option<i32> {
    let start = current.map(|c| c as usize + 1).unwrap_or(0);
    plan.stages
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, s)| s.kind != StageKind::Administrative)
        .map(|(i, _)| i as i32)
}

/// The state after `action`, or why it cannot run.
pub fn apply(action: Action, from: Position, plan: &AssessmentPlan) -> Result<Position, Refusal> {
    use OpeningStatus::*;
    match (action, from.status) {
        (Action::Publish, Draft) => Ok(Position {
            status: Published,
            ..from
        }),
        (Action::Publish, _) => Err(refuse(action, from, "draft")),
        (Action::Close, Published) => Ok(Position {
            status: Closed,
            ..from
        }),
        (Action::Close, _) => Err(refuse(action, from, "published")),
        (Action::StartScreening, Closed) => Ok(Position {
            status: Screening,
            current_stage: None,
            stage_locked: false,
        }),
        (Action::StartScreening, _) => Err(refuse(action, from, "closed")),
        (Action::LockStage, Screening | Assessing) if !from.stage_locked => Ok(Position {
            stage_locked: true,
            ..from
        }),
        (Action::LockStage, _) => Err(refuse(
            action,
            from,
            "screening or a stage under way, not yet locked",
        )),
        (Action::StartStage, Screening | Assessing) if from.stage_locked => {
            match next_scored_stage(plan, from.current_stage) {
                Some(next) => Ok(Position {
                    status: Assessing,
                    current_stage: Some(next),
                    stage_locked: false,
                }),
                None => Err(Refusal {
                    code: "no_next_stage",
                    detail: "every stage of the plan has run; the opening is ready for ranking"
                        .into(),
                }),
            }
        }
        (Action::StartStage, _) => Err(refuse(
            action,
            from,
            "screening or the current stage locked",
        )),
    }
}

/// The step of the plan an opening stands at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step<'a> {
    /// Administrative screening (seleksi administrasi).
    Screening,
    /// A scored stage: its index in `plan.stages` and the stage.
    Stage { index: i32, stage: &'a Stage },
}

impl Step<'_> {
    /// `screening`, or the stage's code.
    pub fn code(&self) -> &str {
        match self {
            Step::Screening => SCREENING,
            Step::Stage { stage, .. } => &stage.code,
        }
    }
}

/// The step at `at`: screening, the stage under way (or the last one run, once ranked), or none
/// before screening.
pub fn step_at(at: Position, plan: &AssessmentPlan) -> Option<Step<'_>> {
    if at.status == OpeningStatus::Screening {
        return Some(Step::Screening);
    }
    let index = at.current_stage?;
    let stage = plan.stages.get(usize::try_from(index).ok()?)?;
    Some(Step::Stage { index, stage })
}

/// Whether `named` names `step`: a stage by its code; screening by `screening` or by the code of
/// an administrative stage of the plan (the step the plan calls e.g. `ADM`).
fn names(step: Step, plan: &AssessmentPlan, named: &str) -> bool {
    match step {
        Step::Stage { stage, .. } => stage.code == named,
        Step::Screening => {
            named == SCREENING
                || plan
                    .stages
                    .iter()
                    .any(|s| s.kind == StageKind::Administrative && s.code == named)
        }
    }
}

/// A stage action acts on the step it leads to (`to`): `lock-stage` on the step under way,
/// `start-stage` on the next scored stage. The caller must have named that step, so that a
/// repeated click cannot lock or start the one after it.
pub fn check_named(
    action: Action,
    to: Position,
    plan: &AssessmentPlan,
    named: &str,
) -> Result<(), Refusal> {
    let Some(step) = step_at(to, plan) else {
        return Err(Refusal {
            code: "stage_mismatch",
            detail: format!("{} acts on no stage here", action.as_str()),
        });
    };
    if names(step, plan, named) {
        return Ok(());
    }
    let what = match action {
        Action::StartStage => "the next stage to start",
        _ => "the step under way",
    };
    Err(Refusal {
        code: "stage_mismatch",
        detail: format!(
            "{what} is {}, not {named}; {} acts only on the stage it names",
            step.code(),
            action.as_str()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openings::plan::Stage;

    fn stage(kind: StageKind) -> Stage {
        serde_json::from_value(serde_json::json!({"code": format!("{kind:?}"), "name": "x", "kind": kind, "weight_percent": 0}))
            .unwrap()
    }

    fn at(status: OpeningStatus) -> Position {
        Position {
            status,
            current_stage: None,
            stage_locked: false,
        }
    }

    #[test]
    fn the_whole_path_runs_in_order_and_skips_the_administrative_stage() {
        let plan = AssessmentPlan {
            stages: vec![
                stage(StageKind::Administrative),
                stage(StageKind::Objective),
                stage(StageKind::Composite),
            ],
        };
        let mut p = at(OpeningStatus::Draft);
        for action in [
            Action::Publish,
            Action::Close,
            Action::StartScreening,
            Action::LockStage,
            Action::StartStage,
        ] {
            p = apply(action, p, &plan).unwrap();
        }
        assert_eq!(
            p,
            Position {
                status: OpeningStatus::Assessing,
                current_stage: Some(1),
                stage_locked: false
            }
        );
        assert_eq!(
            apply(Action::StartStage, p, &plan).unwrap_err().code,
            "opening_state_conflict"
        );
        p = apply(Action::LockStage, p, &plan).unwrap();
        p = apply(Action::StartStage, p, &plan).unwrap();
        assert_eq!(p.current_stage, Some(2));
        p = apply(Action::LockStage, p, &plan).unwrap();
        assert_eq!(
            apply(Action::StartStage, p, &plan).unwrap_err().code,
            "no_next_stage"
        );
    }

    #[test]
    fn a_refusal_names_the_current_state() {
        let plan = AssessmentPlan {
            stages: vec![stage(StageKind::Objective)],
        };
        let refusal = apply(Action::Close, at(OpeningStatus::Draft), &plan).unwrap_err();
        assert_eq!(
            refusal.detail,
            "cannot close: the opening is draft (close needs published)"
        );
        let published = apply(Action::Publish, at(OpeningStatus::Published), &plan).unwrap_err();
        assert!(published.detail.contains("the opening is published"));
    }

    fn plan_2024() -> AssessmentPlan {
        let mut stages = vec![
            stage(StageKind::Administrative),
            stage(StageKind::Objective),
            stage(StageKind::Composite),
        ];
        for (stage, code) in stages.iter_mut().zip(["ADM", "SKD", "SKB"]) {
            stage.code = code.into();
        }
        AssessmentPlan { stages }
    }

    #[test]
    fn a_stage_action_must_name_the_step_it_acts_on() {
        let plan = plan_2024();
        let screening = at(OpeningStatus::Screening);
        // Locking screening: `screening` or the administrative stage's code, nothing else.
        let locked = apply(Action::LockStage, screening, &plan).unwrap();
        for named in ["screening", "ADM"] {
            assert_eq!(check_named(Action::LockStage, locked, &plan, named), Ok(()));
        }
        let refusal = check_named(Action::LockStage, locked, &plan, "SKD").unwrap_err();
        assert_eq!(refusal.code, "stage_mismatch");
        assert_eq!(
            refusal.detail,
            "the step under way is screening, not SKD; lock-stage acts only on the stage it names"
        );
        // Starting: the next scored stage's code only.
        let started = apply(Action::StartStage, locked, &plan).unwrap();
        assert_eq!(
            check_named(Action::StartStage, started, &plan, "SKD"),
            Ok(())
        );
        for wrong in ["SKB", "screening", "ADM", "skd"] {
            assert_eq!(
                check_named(Action::StartStage, started, &plan, wrong)
                    .unwrap_err()
                    .detail,
                format!(
                    "the next stage to start is SKD, not {wrong}; start-stage acts only on the stage it names"
                )
            );
        }
        // A second lock meant for screening cannot lock SKD.
        assert_eq!(
            check_named(Action::LockStage, started, &plan, "screening")
                .unwrap_err()
                .code,
            "stage_mismatch"
        );
        assert_eq!(
            check_named(Action::LockStage, started, &plan, "SKD"),
            Ok(())
        );
    }

    #[test]
    fn the_step_code_is_screening_or_the_stage_under_way() {
        let plan = plan_2024();
        assert_eq!(step_at(at(OpeningStatus::Closed), &plan), None);
        assert_eq!(
            step_at(at(OpeningStatus::Screening), &plan).map(|s| s.code().to_string()),
            Some("screening".into())
        );
        let assessing = Position {
            status: OpeningStatus::Assessing,
            current_stage: Some(2),
            stage_locked: true,
        };
        assert_eq!(
            step_at(assessing, &plan).map(|s| s.code().to_string()),
            Some("SKB".into())
        );
        let out_of_plan = Position {
            current_stage: Some(7),
            ..assessing
        };
        assert_eq!(step_at(out_of_plan, &plan), None);
    }
}
