//! Competencies (kompetensi) and positions (jabatan) with their competency standard.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::agencies::model::AgencyId;
use crate::db::schema::{competencies, position_competencies, positions};
use crate::db::types::Timestamp;
pub use crate::ids::{CompetencyId, PositionId};

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
pub enum CompetencyKind {
    /// teknis
    Technical,
    /// manajerial
    Managerial,
    /// sosial kultural
    Sociocultural,
}

crate::text_enum!(CompetencyKind {
    Technical => "technical", Managerial => "managerial", Sociocultural => "sociocultural",
});

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
pub enum PositionKind {
    /// pelaksana
    Executive,
    /// fungsional
    Functional,
    Administrator,
    /// pengawas
    Supervisor,
    /// JPT, jabatan pimpinan tinggi
    HighLeadership,
}

crate::text_enum!(PositionKind {
    Executive => "executive", Functional => "functional", Administrator => "administrator",
    Supervisor => "supervisor", HighLeadership => "high_leadership",
});

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = competencies)]
pub struct Competency {
    pub id: CompetencyId,
    pub agency_id: Option<AgencyId>,
    pub code: String,
    pub kind: CompetencyKind,
    pub name: String,
    pub level_descriptions: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(Competency, Competency, |c| c.agency_id);

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompetencyView {
    pub id: CompetencyId,
    /// `null` for the national catalogue.
    pub agency_id: Option<AgencyId>,
    pub code: String,
    pub kind: CompetencyKind,
    pub name: String,
    /// What each level 1 to 5 means, in order.
    pub level_descriptions: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl TryFrom<Competency> for CompetencyView {
    type Error = crate::error::AppError;
    fn try_from(c: Competency) -> Result<Self, Self::Error> {
        Ok(Self {
            id: c.id,
            agency_id: c.agency_id,
            kind: c.kind,
            level_descriptions: serde_json::from_str(&c.level_descriptions)
                .map_err(crate::error::AppError::internal_from)?,
            code: c.code,
            name: c.name,
            updated_at: c.updated_at,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateCompetencyRequest {
    /// An agency's own (technical) competency; omitted by an admin for the national catalogue,
    /// by an HR officer for their own agency.
    pub agency_id: Option<AgencyId>,
    #[validate(
        length(min = 2, max = 40),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 40,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub code: String,
    pub kind: CompetencyKind,
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
    #[validate(
        length(equal = 5, message = "give one description per level, 1 to 5"),
        custom(function = "descriptions_not_blank")
    )]
    // Each item: not blank and at most 2000 *bytes* (`descriptions_not_blank`); maxLength counts
    // characters, so 2000 is the bound every accepted item keeps.
    #[schema(
        min_items = 5,
        max_items = 5,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub level_descriptions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateCompetencyRequest {
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
    #[validate(
        length(equal = 5, message = "give one description per level, 1 to 5"),
        custom(function = "descriptions_not_blank")
    )]
    #[schema(
        min_items = 5,
        max_items = 5,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub level_descriptions: Option<Vec<String>>,
}

/// The fields of a new competency, taken from a validated [`CreateCompetencyRequest`] and the
/// agency it belongs to (`None`: the national catalogue).
#[derive(Debug, Clone)]
pub struct NewCompetency {
    pub agency_id: Option<AgencyId>,
    pub code: String,
    pub kind: CompetencyKind,
    pub name: String,
    pub level_descriptions: Vec<String>,
}

impl CreateCompetencyRequest {
    pub fn into_new(self, agency_id: Option<AgencyId>) -> NewCompetency {
        NewCompetency {
            agency_id,
            code: self.code,
            kind: self.kind,
            name: self.name,
            level_descriptions: self.level_descriptions,
        }
    }
}

/// Changes to a competency, taken from a validated [`UpdateCompetencyRequest`]; `None` keeps a
/// field.
#[derive(Debug, Clone)]
pub struct CompetencyChanges {
    pub name: Option<String>,
    pub level_descriptions: Option<Vec<String>>,
}

impl From<UpdateCompetencyRequest> for CompetencyChanges {
    fn from(req: UpdateCompetencyRequest) -> Self {
        Self {
            name: req.name,
            level_descriptions: req.level_descriptions,
        }
    }
}

fn descriptions_not_blank(items: &[String]) -> Result<(), validator::ValidationError> {
    if items
        .iter()
        .any(|d| d.trim().is_empty() || d.chars().count() > 2000)
    {
        Err(validator::ValidationError::new("blank")
            .with_message("each level needs a description of 1 to 2000 characters".into()))
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = positions)]
pub struct Position {
    pub id: PositionId,
    pub agency_id: AgencyId,
    pub code: String,
    pub title: String,
    pub kind: PositionKind,
    pub grade: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(Position, Position, |p| Some(p.agency_id));

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = position_competencies)]
pub struct StandardRow {
    pub position_id: PositionId,
    pub competency_id: CompetencyId,
    pub required_level: i32,
}

/// One required level of a position's competency standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RequiredLevel {
    pub competency_id: CompetencyId,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub required_level: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StandardItem {
    pub competency_id: CompetencyId,
    pub code: String,
    pub kind: CompetencyKind,
    pub name: String,
    pub required_level: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PositionView {
    pub id: PositionId,
    pub agency_id: AgencyId,
    pub code: String,
    pub title: String,
    pub kind: PositionKind,
    /// Kelas jabatan, 1 to 17.
    pub grade: i32,
    /// The competency standard (standar kompetensi jabatan), ordered by competency code.
    pub standard: Vec<StandardItem>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreatePositionRequest {
    /// Defaults to the HR officer's own agency.
    pub agency_id: Option<AgencyId>,
    #[validate(
        length(min = 1, max = 40),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
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
    pub title: String,
    pub kind: PositionKind,
    #[validate(range(min = 1, max = 17))]
    #[schema(minimum = 1, maximum = 17)]
    pub grade: i32,
    #[validate(nested)]
    pub standard: Vec<RequiredLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdatePositionRequest {
    #[validate(
        length(min = 2, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub title: Option<String>,
    pub kind: Option<PositionKind>,
    #[validate(range(min = 1, max = 17))]
    #[schema(minimum = 1, maximum = 17)]
    pub grade: Option<i32>,
    /// Replaces the whole standard.
    #[validate(nested)]
    pub standard: Option<Vec<RequiredLevel>>,
}

/// The fields of a new position in `agency_id`, taken from a validated [`CreatePositionRequest`].
#[derive(Debug, Clone)]
pub struct NewPosition {
    pub agency_id: AgencyId,
    pub code: String,
    pub title: String,
    pub kind: PositionKind,
    pub grade: i32,
    pub standard: Vec<RequiredLevel>,
}

impl CreatePositionRequest {
    pub fn into_new(self, agency_id: AgencyId) -> NewPosition {
        NewPosition {
            agency_id,
            code: self.code,
            title: self.title,
            kind: self.kind,
            grade: self.grade,
            standard: self.standard,
        }
    }
}

/// Changes to a position, taken from a validated [`UpdatePositionRequest`]; `None` keeps a field.
#[derive(Debug, Clone)]
pub struct PositionChanges {
    pub title: Option<String>,
    pub kind: Option<PositionKind>,
    pub grade: Option<i32>,
    /// Replaces the whole standard.
    pub standard: Option<Vec<RequiredLevel>>,
}

impl From<UpdatePositionRequest> for PositionChanges {
    fn from(req: UpdatePositionRequest) -> Self {
        Self {
            title: req.title,
            kind: req.kind,
            grade: req.grade,
            standard: req.standard,
        }
    }
}

/// An applicant's or employee's assessed level in one competency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AssessedLevel {
    pub competency_id: CompetencyId,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub level: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct JobMatchRequest {
    #[validate(nested)]
    pub assessed: Vec<AssessedLevel>,
}
