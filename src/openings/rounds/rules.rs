//! A selection year's national rules (e.g. "CASN 2024") as data, and their validation; which
//! openings a round holds.
//! The figures change every year, so nothing here is a constant: a new year is a new rule set.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::RoundKind;
use crate::agencies::model::AgencyLevel;
use crate::error::FieldError;
use crate::openings::model::OpeningKind;

/// The rules of one selection year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSetRules {
    /// The basic competency test (SKD) and its subtests.
    pub skd: SkdRules,
    /// Passing thresholds (nilai ambang batas), one set per group of seat groups.
    #[schema(min_items = 1)]
    pub threshold_sets: Vec<ThresholdSet>,
    /// Weights of the final score in percent (SKD 40 / SKB 60 in 2024).
    pub final_weights: FinalWeights,
    /// Bounds on the weight of each SKB part kind, per agency level (PermenPANRB 27/2021 art. 48).
    pub skb_part_bounds: Vec<PartBound>,
    /// How many go on from SKD: this many times the quota of each seat group.
    #[schema(minimum = 1, maximum = 100)]
    pub advance_multiplier: i32,
    /// Tie-break chain of the final ranking, e.g. `skd_total`, `TKP`, `TIU`, `TWK`, `gpa`, `older`.
    pub final_tie_break: Vec<String>,
    /// Days an applicant has to appeal a published administrative result.
    #[schema(minimum = 1, maximum = 30)]
    pub appeal_window_days: i32,
    /// Whether one person may apply to only one opening of the round's selection year.
    pub one_opening_per_year: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkdRules {
    #[schema(min_items = 1)]
    pub subtests: Vec<Subtest>,
    /// Tie-break chain at the SKD cut-off: `total`, then subtest codes (TKP, TIU, TWK in 2024).
    pub tie_break: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subtest {
    /// e.g. `TWK`, `TIU`, `TKP`.
    #[schema(
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub code: String,
    pub name: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub questions: i32,
    pub max_points: i32,
    pub scoring: Scoring,
}

/// How one question is scored, which fixes which totals are possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scoring {
    /// Right or wrong: `points_correct` or 0 (TWK, TIU: 5 or 0), so totals are multiples of it.
    RightWrong {
        #[schema(minimum = 1)]
        points_correct: i32,
    },
    /// Every option scores between the bounds (TKP: 1 to 5); an unanswered question scores 0.
    Graded {
        #[schema(minimum = 0)]
        min_per_question: i32,
        /// Above `min_per_question` (so at least 1).
        #[schema(minimum = 1)]
        max_per_question: i32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSet {
    /// e.g. `general`, `cum_laude_diaspora`, `affirmative`.
    pub code: String,
    pub name: String,
    /// Seat groups this set applies to (`general`, `cum_laude`, `disability`, ...).
    #[schema(min_items = 1)]
    pub seat_groups: Vec<String>,
    /// Minimum per subtest, each separately: 0 to the subtest's `max_points`.
    #[serde(default)]
    #[schema(schema_with = subtest_minimums_schema)]
    pub subtest_minimums: BTreeMap<String, i32>,
    /// Minimum SKD total, for the special groups: 0 to the sum of the subtests' `max_points`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub total_minimum: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinalWeights {
    /// Percent; with `skb` it sums to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub skd: i32,
    /// Percent; with `skd` it sums to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub skb: i32,
}

/// Kinds of SKB parts the bounds speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// The computer-based field test (CAT SKB).
    CatSkb,
    Interview,
    /// A competency certificate.
    Certificate,
    /// Another test that is not an interview (e.g. a practical test).
    OtherTest,
}

impl PartKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PartKind::CatSkb => "cat_skb",
            PartKind::Interview => "interview",
            PartKind::Certificate => "certificate",
            PartKind::OtherTest => "other_test",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartBound {
    pub agency_level: AgencyLevel,
    pub part_kind: PartKind,
    /// At most `max_percent`.
    #[schema(minimum = 0, maximum = 100)]
    pub min_percent: i32,
    #[schema(minimum = 0, maximum = 100)]
    pub max_percent: i32,
    /// At most this many parts of the kind (regional agencies: one extra test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_count: Option<i32>,
}

/// Points per subtest code, each at least 0, as the document states them (the derive puts no
/// bound on a map's values): threshold minimums here, corrected scores in `ranking`. The upper
/// bound, the subtest's `max_points`, lies in the rule set and is not in the document.
pub fn points_by_subtest_schema(description: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property_names(Some(ObjectBuilder::new().schema_type(Type::String)))
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(0)),
        ))
        .build()
}

fn subtest_minimums_schema() -> utoipa::openapi::Object {
    points_by_subtest_schema(
        "Minimum per subtest, each separately: 0 to the subtest's `max_points`.",
    )
}

/// Which openings a round holds: CPNS and PPPK rounds recruit, a promotion round promotes.
pub fn round_allows(round: RoundKind, kind: OpeningKind) -> Result<(), FieldError> {
    let allowed = matches!(
        (round, kind),
        (RoundKind::Cpns | RoundKind::Pppk, OpeningKind::Recruitment)
            | (RoundKind::Promotion, OpeningKind::Promotion)
    );
    if allowed {
        Ok(())
    } else {
        Err(FieldError::new(
            "kind",
            format!(
                "a {} round holds no {} openings",
                round.as_str(),
                kind.as_str()
            ),
        ))
    }
}

/// Keys the final tie-break chain may name besides subtest codes.
const FINAL_TIE_BREAK_KEYS: [&str; 3] = ["skd_total", "gpa", "older"];

impl RuleSetRules {
    pub fn subtest(&self, code: &str) -> Option<&Subtest> {
        self.skd.subtests.iter().find(|s| s.code == code)
    }

    /// Saturating, so that an invalid rule set (whose errors `validate` reports) cannot overflow.
    pub fn skd_max_total(&self) -> i32 {
        self.skd
            .subtests
            .iter()
            .fold(0i32, |total, s| total.saturating_add(s.max_points))
    }

    /// The threshold set that applies to a seat group, if the rules name one.
    pub fn threshold_set_for(&self, seat_group: &str) -> Option<&ThresholdSet> {
        self.threshold_sets
            .iter()
            .find(|t| t.seat_groups.iter().any(|g| g == seat_group))
    }

    /// The bounds for a part kind at an agency level; `None` if the level has no bounds at all.
    pub fn part_bounds(&self, level: AgencyLevel) -> Option<Vec<&PartBound>> {
        let bounds: Vec<&PartBound> = self
            .skb_part_bounds
            .iter()
            .filter(|b| b.agency_level == level)
            .collect();
        (!bounds.is_empty()).then_some(bounds)
    }

    /// Every inconsistency, each naming its field under `prefix`.
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(FieldError::new(field, message));
        let p = |rest: &str| format!("{prefix}.{rest}");

        if self.skd.subtests.is_empty() {
            err(p("skd.subtests"), "at least one subtest is required".into());
        }
        let mut codes = BTreeSet::new();
        for (i, subtest) in self.skd.subtests.iter().enumerate() {
            let f = |rest: &str| p(&format!("skd.subtests[{i}].{rest}"));
            if !codes.insert(subtest.code.as_str()) {
                err(f("code"), format!("subtest {} appears twice", subtest.code));
            }
            if subtest.code.trim().is_empty() {
                err(f("code"), "must not be blank".into());
            }
            if !(1..=1000).contains(&subtest.questions) {
                err(f("questions"), "must be between 1 and 1000".into());
            }
            // Checked: a product beyond i32 must not wrap into a plausible `max_points`.
            let expected = match subtest.scoring {
                Scoring::RightWrong { points_correct } if points_correct >= 1 => {
                    Some(subtest.questions.checked_mul(points_correct))
                }
                Scoring::Graded {
                    min_per_question,
                    max_per_question,
                } if min_per_question >= 0 && max_per_question > min_per_question => {
                    Some(subtest.questions.checked_mul(max_per_question))
                }
                _ => {
                    err(
                        f("scoring"),
                        "points per question must be positive and ordered".into(),
                    );
                    None
                }
            };
            if expected == Some(None) {
                err(
                    f("max_points"),
                    "questions times the most points per question exceeds 2147483647".into(),
                );
            }
            if let Some(Some(expected)) = expected
                && expected != subtest.max_points
            {
                err(
                    f("max_points"),
                    format!("must be {expected}: questions times the most points per question"),
                );
            }
        }
        let checked_total =
            (self.skd.subtests.iter()).try_fold(0i32, |total, s| total.checked_add(s.max_points));
        if checked_total.is_none() {
            err(
                p("skd.subtests"),
                "the max_points of all subtests add up to more than 2147483647".into(),
            );
        }
        for (i, key) in self.skd.tie_break.iter().enumerate() {
            if key != "total" && !codes.contains(key.as_str()) {
                err(
                    p(&format!("skd.tie_break[{i}]")),
                    format!("{key} is neither `total` nor a subtest"),
                );
            }
        }
        let max_total = self.skd_max_total();
        let mut seen_groups = BTreeSet::new();
        let mut set_codes = BTreeSet::new();
        for (i, set) in self.threshold_sets.iter().enumerate() {
            let f = |rest: &str| p(&format!("threshold_sets[{i}].{rest}"));
            if !set_codes.insert(set.code.as_str()) {
                err(
                    f("code"),
                    format!("threshold set {} appears twice", set.code),
                );
            }
            if set.seat_groups.is_empty() {
                err(
                    f("seat_groups"),
                    "at least one seat group is required".into(),
                );
            }
            for group in &set.seat_groups {
                if !seen_groups.insert(group.as_str()) {
                    err(
                        f("seat_groups"),
                        format!("seat group {group} belongs to two threshold sets"),
                    );
                }
            }
            for (code, minimum) in &set.subtest_minimums {
                match self.subtest(code) {
                    None => err(
                        f(&format!("subtest_minimums.{code}")),
                        "no such subtest".into(),
                    ),
                    Some(s) if !(0..=s.max_points).contains(minimum) => err(
                        f(&format!("subtest_minimums.{code}")),
                        format!("must be between 0 and {}", s.max_points),
                    ),
                    Some(_) => {}
                }
            }
            if let Some(total) = set.total_minimum
                && !(0..=max_total).contains(&total)
            {
                err(
                    f("total_minimum"),
                    format!("must be between 0 and {max_total}"),
                );
            }
        }
        if self.threshold_sets.is_empty() {
            err(
                p("threshold_sets"),
                "at least one threshold set is required".into(),
            );
        }
        let weights = self.final_weights;
        if weights.skd < 0 || weights.skb < 0 || weights.skd.checked_add(weights.skb) != Some(100) {
            err(
                p("final_weights"),
                "SKD and SKB weights must be non-negative and sum to 100".into(),
            );
        }
        let mut bound_keys = BTreeSet::new();
        for (i, bound) in self.skb_part_bounds.iter().enumerate() {
            let f = |rest: &str| p(&format!("skb_part_bounds[{i}].{rest}"));
            if !bound_keys.insert((bound.agency_level.as_str(), bound.part_kind)) {
                err(
                    f("part_kind"),
                    "the same level and part kind appear twice".into(),
                );
            }
            if !(0..=100).contains(&bound.min_percent)
                || !(0..=100).contains(&bound.max_percent)
                || bound.min_percent > bound.max_percent
            {
                err(
                    f("max_percent"),
                    "bounds must satisfy 0 <= min_percent <= max_percent <= 100".into(),
                );
            }
            if bound.max_count.is_some_and(|n| n < 1) {
                err(f("max_count"), "must be at least 1".into());
            }
        }
        if !(1..=100).contains(&self.advance_multiplier) {
            err(p("advance_multiplier"), "must be between 1 and 100".into());
        }
        for (i, key) in self.final_tie_break.iter().enumerate() {
            if !FINAL_TIE_BREAK_KEYS.contains(&key.as_str()) && !codes.contains(key.as_str()) {
                err(
                    p(&format!("final_tie_break[{i}]")),
                    format!("{key} is not one of skd_total, gpa, older or a subtest code"),
                );
            }
        }
        if !(1..=30).contains(&self.appeal_window_days) {
            err(p("appeal_window_days"), "must be between 1 and 30".into());
        }
        errors
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
