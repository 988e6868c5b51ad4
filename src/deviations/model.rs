//! Deviation records and the justification rule.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agencies::model::AgencyId;
use crate::auth::model::UserId;
use crate::db::schema::deviations;
use crate::db::types::Timestamp;
use crate::error::AppError;
pub use crate::ids::DeviationId;

/// Kinds of deviation; later issues add more (skipping an applicant, unlocking scores, ...).
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
pub enum DeviationKind {
    /// A published opening's plan, eligibility, seats or window changed.
    PublishedOpeningChanged,
    /// A score of a locked stage changed (or was added) after its results were locked.
    LockedScoreChanged,
    /// A panel's scores were locked with scores missing.
    PanelLockedIncomplete,
    /// A panel's locked scores were re-opened.
    PanelUnlocked,
}

crate::text_enum!(DeviationKind {
    PublishedOpeningChanged => "published_opening_changed",
    LockedScoreChanged => "locked_score_changed",
    PanelLockedIncomplete => "panel_locked_incomplete",
    PanelUnlocked => "panel_unlocked",
});

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = deviations)]
pub struct Deviation {
    pub id: DeviationId,
    pub agency_id: Option<AgencyId>,
    pub kind: DeviationKind,
    pub object_type: String,
    pub object_id: String,
    pub justification: String,
    pub official_id: UserId,
    pub details: String,
    pub created_at: Timestamp,
}

crate::guarded!(Deviation, Deviation, |d| d.agency_id);

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviationView {
    pub id: DeviationId,
    pub agency_id: Option<AgencyId>,
    pub kind: DeviationKind,
    pub object_type: String,
    pub object_id: String,
    pub justification: String,
    /// The official who made the decision.
    pub official_id: UserId,
    /// What changed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Sequence number of the `deviation.recorded` event in the audit chain.
    pub audit_seq: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// What a deviation needs from its caller.
pub struct NewDeviation {
    pub agency_id: Option<AgencyId>,
    pub kind: DeviationKind,
    pub object_type: &'static str,
    pub object_id: String,
    pub justification: String,
    pub official_id: UserId,
    pub details: serde_json::Value,
}

/// Shortest justification accepted: a real sentence, not "ok" or "typo".
pub const MIN_JUSTIFICATION_CHARS: usize = 30;
pub const MIN_JUSTIFICATION_WORDS: usize = 5;

/// A justification must be at least a sentence: 30 characters and 5 words.
pub fn check_justification(text: Option<&str>) -> Result<String, AppError> {
    let text = text.map(str::trim).unwrap_or("");
    let words = text.split_whitespace().count();
    if text.chars().count() < MIN_JUSTIFICATION_CHARS || words < MIN_JUSTIFICATION_WORDS {
        return Err(AppError::Invalid {
            code: "justification_required",
            detail: "this change is a deviation and needs a written justification".into(),
            errors: vec![crate::error::FieldError::new(
                "justification",
                format!(
                    "give at least a sentence ({MIN_JUSTIFICATION_CHARS} characters, {MIN_JUSTIFICATION_WORDS} words) saying why"
                ),
            )],
        });
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_justification_must_be_a_sentence() {
        assert!(check_justification(None).is_err());
        assert!(check_justification(Some("typo")).is_err());
        assert!(check_justification(Some("                 ok                     ")).is_err());
        assert!(check_justification(Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).is_err());
        assert_eq!(
            check_justification(Some(
                "  The ministry raised the quota by letter B-123/2024 today. "
            ))
            .unwrap(),
            "The ministry raised the quota by letter B-123/2024 today."
        );
    }
}
