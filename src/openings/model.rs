//! Openings (formasi) as stored and as shown, and their requests.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::catalogue::model::PositionId;
use super::eligibility::Eligibility;
use super::lifecycle;
use super::plan::{AssessmentPlan, SeatGroup};
use super::rounds::model::{RoundId, RuleSetId};
use crate::agencies::model::AgencyId;
use crate::db::schema::openings;
use crate::db::types::Timestamp;
pub use crate::ids::OpeningId;

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
pub enum OpeningKind {
    /// New CPNS/PPPK.
    Recruitment,
    /// Internal, including JPT open selection.
    Promotion,
}

crate::text_enum!(OpeningKind { Recruitment => "recruitment", Promotion => "promotion" });

/// `draft → published → closed → screening → assessing → ranked → finalized`.
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
pub enum OpeningStatus {
    Draft,
    Published,
    Closed,
    Screening,
    Assessing,
    Ranked,
    Finalized,
}

crate::text_enum!(OpeningStatus {
    Draft => "draft", Published => "published", Closed => "closed", Screening => "screening",
    Assessing => "assessing", Ranked => "ranked", Finalized => "finalized",
});

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = openings)]
pub struct Opening {
    pub id: OpeningId,
    pub agency_id: AgencyId,
    pub round_id: RoundId,
    pub position_id: PositionId,
    pub rule_set_id: Option<RuleSetId>,
    pub code: String,
    pub unit: String,
    pub location: String,
    pub kind: OpeningKind,
    pub status: OpeningStatus,
    pub quota: i32,
    pub seat_groups: String,
    pub eligibility: String,
    pub plan: String,
    pub application_opens_at: Timestamp,
    pub application_closes_at: Timestamp,
    pub current_stage: Option<i32>,
    pub stage_locked: bool,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(Opening, Opening, |o| Some(o.agency_id));

impl Opening {
    /// Where the opening stands in its lifecycle.
    pub fn position(&self) -> lifecycle::Position {
        lifecycle::Position {
            status: self.status,
            current_stage: self.current_stage,
            stage_locked: self.stage_locked,
        }
    }
    pub fn parsed_plan(&self) -> Result<AssessmentPlan, crate::error::AppError> {
        serde_json::from_str(&self.plan).map_err(crate::error::AppError::internal_from)
    }
    pub fn parsed_seat_groups(&self) -> Result<Vec<SeatGroup>, crate::error::AppError> {
        serde_json::from_str(&self.seat_groups).map_err(crate::error::AppError::internal_from)
    }
    pub fn parsed_eligibility(&self) -> Result<Eligibility, crate::error::AppError> {
        serde_json::from_str(&self.eligibility).map_err(crate::error::AppError::internal_from)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpeningView {
    pub id: OpeningId,
    pub agency_id: AgencyId,
    pub round_id: RoundId,
    pub position_id: PositionId,
    /// The rule set the plan was frozen under; set at publish.
    pub rule_set_id: Option<RuleSetId>,
    pub code: String,
    pub unit: String,
    pub location: String,
    pub kind: OpeningKind,
    pub status: OpeningStatus,
    /// Total seats: the sum of the seat groups.
    pub quota: i32,
    pub seat_groups: Vec<SeatGroup>,
    pub eligibility: Eligibility,
    pub plan: AssessmentPlan,
    #[schema(value_type = String, format = DateTime)]
    pub application_opens_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub application_closes_at: Timestamp,
    /// Index into `plan.stages` of the stage under way, once assessing.
    pub current_stage: Option<i32>,
    /// The code of the step under way, as `lock-stage` and `start-stage` name it: `screening`
    /// while screening, then the code of `plan.stages[current_stage]` (e.g. `SKD`).
    pub current_stage_code: Option<String>,
    /// Whether the current step's results (screening or the current stage) are locked.
    pub stage_locked: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl TryFrom<Opening> for OpeningView {
    type Error = crate::error::AppError;
    fn try_from(o: Opening) -> Result<Self, Self::Error> {
        let plan = o.parsed_plan()?;
        let current_stage_code =
            lifecycle::step_at(o.position(), &plan).map(|step| step.code().to_string());
        Ok(Self {
            seat_groups: o.parsed_seat_groups()?,
            eligibility: o.parsed_eligibility()?,
            plan,
            current_stage_code,
            kind: o.kind,
            status: o.status,
            id: o.id,
            agency_id: o.agency_id,
            round_id: o.round_id,
            position_id: o.position_id,
            rule_set_id: o.rule_set_id,
            code: o.code,
            unit: o.unit,
            location: o.location,
            quota: o.quota,
            application_opens_at: o.application_opens_at,
            application_closes_at: o.application_closes_at,
            current_stage: o.current_stage,
            stage_locked: o.stage_locked,
            published_at: o.published_at,
            updated_at: o.updated_at,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateOpeningRequest {
    pub round_id: RoundId,
    pub position_id: PositionId,
    /// Unique within the round; bulk imports name openings by it.
    #[validate(
        length(min = 1, max = 60),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub code: String,
    /// The work unit (unit kerja).
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub unit: String,
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub location: String,
    pub kind: OpeningKind,
    #[schema(min_items = 1)]
    pub seat_groups: Vec<SeatGroup>,
    #[serde(default)]
    pub eligibility: Eligibility,
    #[schema(value_type = String, format = DateTime)]
    pub application_opens_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub application_closes_at: Timestamp,
    pub plan: AssessmentPlan,
}

/// Changes to an opening. In `draft` the HR officer changes it freely; after publish every change
/// is a deviation, made by the appointing official with a justification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateOpeningRequest {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub unit: Option<String>,
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub location: Option<String>,
    #[schema(min_items = 1)]
    pub seat_groups: Option<Vec<SeatGroup>>,
    pub eligibility: Option<Eligibility>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub application_opens_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub application_closes_at: Option<Timestamp>,
    pub plan: Option<AssessmentPlan>,
    /// Required after publish: why the published rules must change (at least a full sentence).
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub justification: Option<String>,
}

/// The fields of a new draft opening in `agency_id`, taken from a validated
/// [`CreateOpeningRequest`] and the agency the caller acts for.
#[derive(Debug, Clone)]
pub struct NewOpening {
    pub agency_id: AgencyId,
    pub round_id: RoundId,
    pub position_id: PositionId,
    pub code: String,
    pub unit: String,
    pub location: String,
    pub kind: OpeningKind,
    pub seat_groups: Vec<SeatGroup>,
    pub eligibility: Eligibility,
    pub application_opens_at: Timestamp,
    pub application_closes_at: Timestamp,
    pub plan: AssessmentPlan,
}

impl CreateOpeningRequest {
    pub fn into_new(self, agency_id: AgencyId) -> NewOpening {
        NewOpening {
            agency_id,
            round_id: self.round_id,
            position_id: self.position_id,
            code: self.code,
            unit: self.unit,
            location: self.location,
            kind: self.kind,
            seat_groups: self.seat_groups,
            eligibility: self.eligibility,
            application_opens_at: self.application_opens_at,
            application_closes_at: self.application_closes_at,
            plan: self.plan,
        }
    }
}

/// Changes to an opening, taken from a validated [`UpdateOpeningRequest`]; `None` keeps a field.
#[derive(Debug, Clone)]
pub struct OpeningChanges {
    pub unit: Option<String>,
    pub location: Option<String>,
    pub seat_groups: Option<Vec<SeatGroup>>,
    pub eligibility: Option<Eligibility>,
    pub application_opens_at: Option<Timestamp>,
    pub application_closes_at: Option<Timestamp>,
    pub plan: Option<AssessmentPlan>,
    /// Required after publish: why the published rules must change.
    pub justification: Option<String>,
}

impl From<UpdateOpeningRequest> for OpeningChanges {
    fn from(req: UpdateOpeningRequest) -> Self {
        Self {
            unit: req.unit,
            location: req.location,
            seat_groups: req.seat_groups,
            eligibility: req.eligibility,
            application_opens_at: req.application_opens_at,
            application_closes_at: req.application_closes_at,
            plan: req.plan,
            justification: req.justification,
        }
    }
}

/// The body of `start-stage` and `lock-stage`: the stage the caller means, so that a repeated
/// click cannot start or lock the one after it (409 `stage_mismatch`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StageActionRequest {
    /// `lock-stage`: `screening` (or the code of the plan's administrative stage, e.g. `ADM`)
    /// while screening, then the code of the stage under way; `start-stage`: the code of the
    /// next scored stage, e.g. `SKD`.
    #[validate(
        length(min = 1, max = 60),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 60,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub stage: String,
}
