//! The assessment plan of an opening (ordered stages with nested weights) and its seat groups,
//! validated against the rule set of the round and the agency's level. Pure: no database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rounds::rules::{PartKind, RuleSetRules};
use crate::agencies::model::AgencyLevel;

mod validation;
pub use validation::{validate_plan, validate_seat_groups};

/// Seats reserved for one applicant group (`general`, `cum_laude`, `disability`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatGroup {
    pub group: String,
    #[schema(minimum = 1, maximum = 100000)]
    pub seats: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentPlan {
    #[schema(min_items = 1)]
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Seleksi administrasi: eligibility screening, no score.
    Administrative,
    /// A computer-based test with imported scores (CAT).
    Objective,
    /// Rubric-scored by a panel (interview, practical test, paper review).
    Panel,
    /// A stage made of weighted parts, e.g. SKB = CAT SKB + interview.
    Composite,
}

impl StageKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            StageKind::Administrative => "administrative",
            StageKind::Objective => "objective",
            StageKind::Panel => "panel",
            StageKind::Composite => "composite",
        }
    }
}

/// One step of the plan (tahap seleksi).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    #[schema(
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub code: String,
    #[schema(
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: String,
    pub kind: StageKind,
    /// Weight in the final score, in percent; all stages sum to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub weight_percent: i32,
    /// `skd` for the rule set's basic competency test (range, subtests and thresholds from it).
    // Any other value is refused, on every kind of stage (`SKD` is the only test).
    #[serde(default)]
    #[schema(pattern = "^skd$")]
    pub test: Option<String>,
    #[serde(default)]
    pub score_min: Option<i32>,
    #[serde(default)]
    pub score_max: Option<i32>,
    /// A minimum stage score on top of (or instead of) the threshold sets.
    #[serde(default)]
    pub total_minimum: Option<i32>,
    #[serde(default)]
    pub advance: Option<Advance>,
    /// Tie-break chain at the cut-off; the SKD stage defaults to the rule set's.
    #[serde(default)]
    pub tie_break: Vec<String>,
    /// Parts of a composite stage; their weights sum to 100 (percent of the stage).
    #[serde(default)]
    pub parts: Vec<StagePart>,
    /// How a panel stage is scored.
    #[serde(default)]
    pub panel: Option<PanelSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePart {
    pub code: String,
    pub name: String,
    pub kind: PartKind,
    /// Percent of the stage's score.
    #[schema(minimum = 0, maximum = 100)]
    pub weight_percent: i32,
    #[schema(minimum = 0)]
    pub score_min: i32,
    /// Above `score_min` (so at least 1).
    #[schema(minimum = 1)]
    pub score_max: i32,
    #[serde(default)]
    pub panel: Option<PanelSpec>,
}

/// Who goes on from a stage; ties with the last place always go on too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Advance {
    // A struct variant, not a unit one: serde checks `deny_unknown_fields` only on fields.
    AllPassers {},
    /// `multiplier` × the seat group's seats (3 × quota for SKD in 2024).
    MultipleOfQuota {
        #[schema(minimum = 1, maximum = 100)]
        multiplier: i32,
    },
    Absolute {
        #[schema(minimum = 1)]
        count: i32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Mean,
    /// Drops the highest and the lowest score first (needs at least 3 scorers).
    TrimmedMean,
}

/// The scoring of a panel stage or part; rubrics themselves come with blind panel scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub rubric_id: Option<uuid::Uuid>,
    /// 2 to 15 independent scorers (at least 3 for a trimmed mean).
    #[schema(minimum = 2, maximum = 15)]
    pub min_scorers: i32,
    pub blind: bool,
    pub aggregate: Aggregate,
}

/// What the plan is checked against.
pub struct PlanContext<'a> {
    pub rules: &'a RuleSetRules,
    pub agency_level: AgencyLevel,
    pub seat_groups: &'a [SeatGroup],
}

const SKD: &str = "skd";

/// What `lock-stage` calls administrative screening; no scored stage may take it as its code.
pub const SCREENING: &str = "screening";

impl Stage {
    /// The score range: the rule set's SKD total, or the stage's own.
    pub fn range(&self, rules: &RuleSetRules) -> Option<(i32, i32)> {
        if self.test.as_deref() == Some(SKD) {
            return Some((0, rules.skd_max_total()));
        }
        Some((self.score_min?, self.score_max?))
    }
}
