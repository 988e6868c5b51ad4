//! The appeal and publication types: appeals (sanggah) with their status and outcome, the
//! requests that record and decide them, the publication of screening results and its public
//! lines, and the view HR and auditors see.

use chrono::DateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agencies::model::{AgencyId, TimeZone};
use crate::applications::appeals::window;
use crate::applications::model::ApplicationId;
use crate::applications::screening::model::ScreeningOutcome;
use crate::auth::model::UserId;
use crate::db::schema::appeals;
use crate::db::types::Timestamp;
pub use crate::ids::AppealId;
use crate::openings::model::OpeningId;

/// When an opening's screening results were published and until when appeals are on time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Publication {
    #[schema(value_type = String, format = DateTime)]
    pub published_at: Timestamp,
    /// Appeals submitted before this instant are on time (local midnight after the last day).
    #[schema(value_type = String, format = DateTime)]
    pub appeal_deadline: Timestamp,
    /// The same instant in the agency's time zone, e.g. `2024-10-11T00:00:00+09:00`.
    pub appeal_deadline_local: String,
    pub time_zone: TimeZone,
    pub window_days: i32,
}

/// One line of the published screening results: no names, no ids, no personal values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicScreeningResult {
    pub registration_number: String,
    pub outcome: ScreeningOutcome,
    /// Codes of the requirements not met (e.g. `gpa_below_minimum`); reasons stay internal.
    pub failed_codes: Vec<String>,
    /// The outcome was changed by a granted appeal.
    pub changed_on_appeal: bool,
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
pub enum AppealStatus {
    Pending,
    Granted,
    Rejected,
}

crate::text_enum!(AppealStatus { Pending => "pending", Granted => "granted", Rejected => "rejected" });

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = appeals)]
pub struct Appeal {
    pub id: AppealId,
    pub application_id: ApplicationId,
    pub opening_id: OpeningId,
    pub agency_id: AgencyId,
    pub reason: String,
    pub submitted_at: Timestamp,
    pub recorded_by: UserId,
    pub recorded_at: Timestamp,
    pub status: AppealStatus,
    pub answer: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

crate::guarded!(Appeal, Appeal, |a| Some(a.agency_id));

/// An appeal as HR and auditors see it: the application by id and registration number only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppealView {
    pub id: AppealId,
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub opening_id: OpeningId,
    pub reason: String,
    /// When the applicant submitted it (judged against the deadline in the agency's time zone).
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Timestamp,
    pub submitted_at_local: String,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    pub status: AppealStatus,
    pub answer: Option<String>,
    pub decided_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
}

pub(super) fn view(appeal: Appeal, registration_number: String, zone: TimeZone) -> AppealView {
    AppealView {
        id: appeal.id,
        application_id: appeal.application_id,
        registration_number,
        opening_id: appeal.opening_id,
        reason: appeal.reason,
        submitted_at_local: window::local_rfc3339(appeal.submitted_at.as_datetime(), zone),
        submitted_at: appeal.submitted_at,
        recorded_at: appeal.recorded_at,
        recorded_by: appeal.recorded_by,
        status: appeal.status,
        answer: appeal.answer,
        decided_by: appeal.decided_by,
        decided_at: appeal.decided_at,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The applicant's grounds, as submitted.
    #[validate(
        length(min = 10, max = 4000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 10,
        max_length = 4000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
    /// When the applicant submitted the appeal (e.g. on the national portal); defaults to now.
    /// Judged against the deadline in the agency's time zone; may not lie in the future.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<DateTime<chrono::FixedOffset>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// The application is re-admitted (screening result becomes `eligible`).
    Granted,
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionRequest {
    pub outcome: AppealOutcome,
    /// The official answer to the applicant (published to them; never other people's data).
    #[validate(
        length(min = 10, max = 4000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 10,
        max_length = 4000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub answer: String,
}

/// An appeal as the store records it: the applicant's grounds (trimmed) and when they were
/// submitted, if stated.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub application: ApplicationId,
    pub recorded_by: UserId,
    pub reason: String,
    pub submitted_at: Option<Timestamp>,
}

impl NewAppeal {
    pub fn from_request(
        application: ApplicationId,
        recorded_by: UserId,
        request: AppealRequest,
    ) -> Self {
        Self {
            application,
            recorded_by,
            reason: request.reason.trim().to_string(),
            submitted_at: request
                .submitted_at
                .map(|t| Timestamp::from_datetime(t.with_timezone(&chrono::Utc))),
        }
    }
}

/// A decision on a pending appeal as the store records it (answer trimmed).
#[derive(Debug, Clone)]
pub struct AppealDecision {
    pub appeal: AppealId,
    pub decided_by: UserId,
    pub status: AppealStatus,
    pub answer: String,
}

impl AppealDecision {
    pub fn from_request(
        appeal: AppealId,
        decided_by: UserId,
        request: AppealDecisionRequest,
    ) -> Self {
        Self {
            appeal,
            decided_by,
            status: match request.outcome {
                AppealOutcome::Granted => AppealStatus::Granted,
                AppealOutcome::Rejected => AppealStatus::Rejected,
            },
            answer: request.answer.trim().to_string(),
        }
    }
}
