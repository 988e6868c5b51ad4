//! Rule sets and selection rounds (periode seleksi) as stored and as shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::rules::RuleSetRules;
use crate::db::schema::{rule_sets, selection_rounds};
use crate::db::types::Timestamp;
pub use crate::ids::{RoundId, RuleSetId};

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = rule_sets)]
pub struct RuleSet {
    pub id: RuleSetId,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub rules: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(RuleSet, RuleSet, |_r| None);

impl RuleSet {
    pub fn parsed_rules(&self) -> Result<RuleSetRules, crate::error::AppError> {
        serde_json::from_str(&self.rules).map_err(crate::error::AppError::internal_from)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetView {
    pub id: RuleSetId,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub rules: RuleSetRules,
    /// A published opening refers to it: it can no longer change.
    pub in_use: bool,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateRuleSetRequest {
    /// e.g. `casn-2024`.
    #[validate(length(min = 2, max = 40), custom(function = "lower_code"))]
    #[schema(min_length = 2, max_length = 40, pattern = "^[a-z0-9-]*$")]
    pub code: String,
    #[validate(
        length(min = 2, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: String,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    pub rules: RuleSetRules,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateRuleSetRequest {
    #[validate(
        length(min = 2, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: Option<String>,
    pub rules: Option<RuleSetRules>,
}

/// The fields of a new rule set, taken from a validated [`CreateRuleSetRequest`].
#[derive(Debug, Clone)]
pub struct NewRuleSet {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub rules: RuleSetRules,
}

impl From<CreateRuleSetRequest> for NewRuleSet {
    fn from(req: CreateRuleSetRequest) -> Self {
        Self {
            code: req.code,
            name: req.name,
            year: req.year,
            rules: req.rules,
        }
    }
}

/// Changes to a rule set, taken from a validated [`UpdateRuleSetRequest`]; `None` keeps a field.
#[derive(Debug, Clone)]
pub struct RuleSetChanges {
    pub name: Option<String>,
    pub rules: Option<RuleSetRules>,
}

impl From<UpdateRuleSetRequest> for RuleSetChanges {
    fn from(req: UpdateRuleSetRequest) -> Self {
        Self {
            name: req.name,
            rules: req.rules,
        }
    }
}

fn lower_code(code: &str) -> Result<(), validator::ValidationError> {
    if code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("code")
            .with_message("must contain only lower-case letters, digits and '-'".into()))
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    Cpns,
    Pppk,
    Promotion,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    Planning,
    Registration,
    Screening,
    Assessment,
    Announcement,
    Closed,
}

crate::text_enum!(RoundKind { Cpns => "cpns", Pppk => "pppk", Promotion => "promotion" });
crate::text_enum!(RoundPhase {
    Planning => "planning", Registration => "registration", Screening => "screening",
    Assessment => "assessment", Announcement => "announcement", Closed => "closed",
});

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = selection_rounds)]
pub struct SelectionRound {
    pub id: RoundId,
    pub name: String,
    pub year: i32,
    pub kind: RoundKind,
    pub phase: RoundPhase,
    pub rule_set_id: RuleSetId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(SelectionRound, SelectionRound, |_r| None);

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    pub id: RoundId,
    pub name: String,
    pub year: i32,
    pub kind: RoundKind,
    pub phase: RoundPhase,
    pub rule_set_id: RuleSetId,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<SelectionRound> for RoundView {
    fn from(r: SelectionRound) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            phase: r.phase,
            name: r.name,
            year: r.year,
            rule_set_id: r.rule_set_id,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateRoundRequest {
    #[validate(
        length(min = 2, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: String,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    pub kind: RoundKind,
    /// Defaults to `planning`.
    pub phase: Option<RoundPhase>,
    /// Must be a rule set of the same year.
    pub rule_set_id: RuleSetId,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoundRequest {
    #[validate(
        length(min = 2, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: Option<String>,
    pub phase: Option<RoundPhase>,
    /// Only while no opening of the round is published.
    pub rule_set_id: Option<RuleSetId>,
}

/// The fields of a new selection round, taken from a validated [`CreateRoundRequest`].
#[derive(Debug, Clone)]
pub struct NewRound {
    pub name: String,
    pub year: i32,
    pub kind: RoundKind,
    pub phase: RoundPhase,
    pub rule_set_id: RuleSetId,
}

impl From<CreateRoundRequest> for NewRound {
    fn from(req: CreateRoundRequest) -> Self {
        Self {
            name: req.name,
            year: req.year,
            kind: req.kind,
            phase: req.phase.unwrap_or(RoundPhase::Planning),
            rule_set_id: req.rule_set_id,
        }
    }
}

/// Changes to a selection round, taken from a validated [`UpdateRoundRequest`]; `None` keeps a
/// field.
#[derive(Debug, Clone)]
pub struct RoundChanges {
    pub name: Option<String>,
    pub phase: Option<RoundPhase>,
    pub rule_set_id: Option<RuleSetId>,
}

impl From<UpdateRoundRequest> for RoundChanges {
    fn from(req: UpdateRoundRequest) -> Self {
        Self {
            name: req.name,
            phase: req.phase,
            rule_set_id: req.rule_set_id,
        }
    }
}
