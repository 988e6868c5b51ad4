//! The opening's state machine: each action checks the state it starts from. Pure: no database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::OpeningStatus;
use super::plan::{AssessmentPlan, StageKind};

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
}
