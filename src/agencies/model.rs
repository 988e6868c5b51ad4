//! Agency types and validation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::agencies;
use crate::db::types::Timestamp;
pub use crate::ids::AgencyId;

/// Central (instansi pusat) or regional (instansi daerah); SKB weight bounds differ between them.
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
pub enum AgencyLevel {
    Central,
    Regional,
}

/// Indonesian time zones; deadlines such as appeal windows are judged in the agency's zone.
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
pub enum TimeZone {
    /// UTC+7
    #[serde(rename = "WIB")]
    Wib,
    /// UTC+8
    #[serde(rename = "WITA")]
    Wita,
    /// UTC+9
    #[serde(rename = "WIT")]
    Wit,
}

crate::text_enum!(AgencyLevel { Central => "central", Regional => "regional" });
crate::text_enum!(TimeZone { Wib => "WIB", Wita => "WITA", Wit => "WIT" });

impl TimeZone {
    /// Hours ahead of UTC (no daylight saving in Indonesia).
    pub fn utc_offset_hours(&self) -> i32 {
        match self {
            TimeZone::Wib => 7,
            TimeZone::Wita => 8,
            TimeZone::Wit => 9,
        }
    }
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: AgencyId,
    pub code: String,
    pub name: String,
    pub level: AgencyLevel,
    pub time_zone: TimeZone,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgencyView {
    pub id: AgencyId,
    /// Short unique code, e.g. `BKN` or `PEMPROV-JABAR`.
    pub code: String,
    pub name: String,
    pub level: AgencyLevel,
    pub time_zone: TimeZone,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Agency> for AgencyView {
    fn from(a: Agency) -> Self {
        Self {
            id: a.id,
            level: a.level,
            time_zone: a.time_zone,
            code: a.code,
            name: a.name,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    #[validate(length(min = 2, max = 40), custom(function = "validate_code"))]
    #[schema(min_length = 2, max_length = 40, pattern = "^[A-Z0-9-]*$")]
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
    pub level: AgencyLevel,
    pub time_zone: TimeZone,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgencyRequest {
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
    pub level: Option<AgencyLevel>,
    pub time_zone: Option<TimeZone>,
}

/// The fields of a new agency, taken from a validated [`CreateAgencyRequest`].
#[derive(Debug, Clone)]
pub struct NewAgency {
    pub code: String,
    pub name: String,
    pub level: AgencyLevel,
    pub time_zone: TimeZone,
}

impl From<CreateAgencyRequest> for NewAgency {
    fn from(req: CreateAgencyRequest) -> Self {
        Self {
            code: req.code,
            name: req.name,
            level: req.level,
            time_zone: req.time_zone,
        }
    }
}

/// Changes to an agency, taken from a validated [`UpdateAgencyRequest`]; `None` keeps a field.
#[derive(Debug, Clone)]
pub struct AgencyChanges {
    pub name: Option<String>,
    pub level: Option<AgencyLevel>,
    pub time_zone: Option<TimeZone>,
}

impl From<UpdateAgencyRequest> for AgencyChanges {
    fn from(req: UpdateAgencyRequest) -> Self {
        Self {
            name: req.name,
            level: req.level,
            time_zone: req.time_zone,
        }
    }
}

fn validate_code(code: &str) -> Result<(), validator::ValidationError> {
    if code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("code")
            .with_message("must contain only upper-case letters, digits and '-'".into()))
    }
}
