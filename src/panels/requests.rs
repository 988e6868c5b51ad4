//! What HR officers, panelists and chairs send: panel setup, declarations, stage material,
//! scores, recusals, moderation, lock and unlock. Checked here, before any row is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::model::{RelationKind, RubricId, TieKind, UserId};

/// Sets up the panel of a panel stage (or of a panel part of a composite stage).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreatePanelRequest {
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub stage_code: String,
    /// The part of a composite stage; absent for a panel stage.
    #[serde(default)]
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub part_code: Option<String>,
    /// A rubric of the opening's agency; when the plan names one, it must be that one.
    pub rubric_id: RubricId,
    /// Weighted totals of one application further apart than this (x100 on the rubric's
    /// scale, e.g. 150 = 1.5 levels) are flagged as divergent. Default 150.
    #[serde(default)]
    #[validate(range(min = 0, max = 1000))]
    #[schema(minimum = 0, maximum = 1000)]
    pub divergence_spread_x100: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// A user with role `panelist`, or an HR officer or appointing official acting as one.
    pub user_id: UserId,
    #[serde(default)]
    pub chair: bool,
    /// Recorded by HR from the member's statement; a JPT panel may have none.
    #[serde(default)]
    pub political_party_member: bool,
}

/// A relative or close relation: the name, and the NIK and/or KK number where known (stored
/// only as keyed hashes; the name encrypted).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DeclaredRelation {
    pub relation: RelationKind,
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: String,
    /// 16 digits.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    /// 16 digits.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{16}$")]
    pub kk: Option<String>,
}

/// A prior tie: a former employer, a school, an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTie {
    pub kind: TieKind,
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub name: String,
}

/// A panelist's conflict-of-interest declaration for one panel (empty lists: nothing to declare).
/// Declaring again replaces it (a new version).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub relations: Vec<DeclaredRelation>,
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub ties: Vec<DeclaredTie>,
}

pub fn is_identity_number(value: &str) -> bool {
    value.len() == 16 && value.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WrittenAnswer {
    #[validate(
        length(min = 1, max = 1000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub prompt: String,
    #[validate(
        length(min = 1, max = 20000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WorkSample {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub title: String,
    /// Where the panel finds it (a document number, a file reference).
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reference: String,
}

/// The stage material of one application: the only applicant content a panelist sees (after
/// redaction of the applicant's own identifiers).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Material {
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub answers: Vec<WrittenAnswer>,
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub work_samples: Vec<WorkSample>,
}

/// One panelist's score of one application: a level per criterion of the rubric, and a
/// justification per criterion (required for a level at either end of the scale).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    pub levels: BTreeMap<String, i32>,
    #[serde(default)]
    pub justifications: BTreeMap<String, String>,
}

/// A new version of one's own score before the lock, with the reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AmendScoreRequest {
    pub levels: BTreeMap<String, i32>,
    #[serde(default)]
    pub justifications: BTreeMap<String, String>,
    #[validate(
        length(min = 10, max = 2000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 10,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RecusalRequest {
    #[validate(
        length(min = 10, max = 2000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 10,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
}

/// At a stage that is not blind: the panelist, now seeing who the candidate is, confirms that
/// they have no conflict with them (`true`), or declines (`false`), which recuses them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConflictCheckRequest {
    pub no_conflict: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    #[validate(
        length(min = 10, max = 4000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 10,
        max_length = 4000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: String,
}

/// Locks the panel's scores. With scores missing, the justification is required and the lock
/// is recorded as a deviation listing what is missing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
    /// At least a sentence: 30 characters and 5 words, white space around it aside.
    #[serde(default)]
    #[validate(length(max = 4000))]
    #[schema(
        min_length = 30,
        max_length = 4000,
        pattern = "^(?=[\\s\\S]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][\\s\\S]{28,}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])(?=[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+(?:[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+){4})"
    )]
    pub justification: Option<String>,
}

/// Re-opens locked scores: a deviation by the appointing official.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    /// At least a sentence: 30 characters and 5 words, white space around it aside.
    #[validate(length(max = 4000))]
    #[schema(
        min_length = 30,
        max_length = 4000,
        pattern = "^(?=[\\s\\S]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][\\s\\S]{28,}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])(?=[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+(?:[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+){4})"
    )]
    pub justification: String,
}
