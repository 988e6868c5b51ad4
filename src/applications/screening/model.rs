//! Screening types: the outcome and who decided it as stored, the results and run summary as
//! answered, and an HR officer's decision as requested and as the store takes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::ApplicationId;
use crate::applications::screening::rules::FailedRequirement;
use crate::db::types::Timestamp;

/// Memenuhi syarat (MS) or tidak memenuhi syarat (TMS).
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
pub enum ScreeningOutcome {
    Eligible,
    Ineligible,
}

crate::text_enum!(ScreeningOutcome { Eligible => "eligible", Ineligible => "ineligible" });

/// Who set a screening result: the eligibility check, an HR officer, or a granted appeal.
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
pub enum ScreeningDecider {
    Automatic,
    HrOfficer,
    Appeal,
}

crate::text_enum!(ScreeningDecider {
    Automatic => "automatic", HrOfficer => "hr_officer", Appeal => "appeal",
});

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScreeningResult {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub outcome: ScreeningOutcome,
    pub failed: Vec<FailedRequirement>,
    pub decided_by: ScreeningDecider,
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScreeningRun {
    pub checked: usize,
    pub eligible: usize,
    pub ineligible: usize,
}

/// Why an HR officer decided an application differently from (or in addition to) the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    DocumentsIncomplete,
    DocumentsInvalid,
    RequirementNotMet,
    RequirementMetOnReview,
    DuplicateRegistration,
    Other,
}

crate::text_enum!(ReasonCode {
    DocumentsIncomplete => "documents_incomplete", DocumentsInvalid => "documents_invalid",
    RequirementNotMet => "requirement_not_met", RequirementMetOnReview => "requirement_met_on_review",
    DuplicateRegistration => "duplicate_registration", Other => "other",
});

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub outcome: ScreeningOutcome,
    pub reason_code: ReasonCode,
    /// What the officer found, in a sentence (shown to auditors; never personal data).
    #[validate(
        length(min = 5, max = 2000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 5,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: String,
}

/// An HR officer's decision on one application, as the store records it.
#[derive(Debug, Clone)]
pub struct ScreeningDecision {
    pub outcome: ScreeningOutcome,
    pub reason_code: ReasonCode,
    /// Trimmed.
    pub note: String,
}

impl From<DecisionRequest> for ScreeningDecision {
    fn from(request: DecisionRequest) -> Self {
        Self {
            outcome: request.outcome,
            reason_code: request.reason_code,
            note: request.note.trim().to_string(),
        }
    }
}
