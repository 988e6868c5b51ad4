//! Rubric rows, their criteria, the request that writes a version and its checks.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::rubrics;
use crate::db::types::Timestamp;
use crate::error::{AppError, FieldError};
pub use crate::ids::{AgencyId, RubricId, UserId};

/// One level of a criterion's anchored scale and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDescriptor {
    pub level: i32,
    #[schema(min_length = 1, max_length = 1000)]
    pub descriptor: String,
}

/// One criterion: its weight (relative to the others) and a descriptor for every scale level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    #[schema(min_length = 1, max_length = 40)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(minimum = 1, maximum = 100)]
    pub weight: i32,
    pub levels: Vec<LevelDescriptor>,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = rubrics)]
pub struct Rubric {
    pub id: RubricId,
    pub agency_id: AgencyId,
    pub code: String,
    pub version: i32,
    pub name: String,
    pub scale_min: i32,
    pub scale_max: i32,
    pub criteria: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

crate::guarded!(Rubric, Rubric, |r| Some(r.agency_id));

impl Rubric {
    pub fn parsed_criteria(&self) -> Result<Vec<Criterion>, AppError> {
        serde_json::from_str(&self.criteria).map_err(AppError::internal_from)
    }

    /// The criteria weights and level range that scores on this rubric are weighted with.
    pub fn scale(&self) -> Result<crate::panels::aggregation::Scale, AppError> {
        Ok(crate::panels::aggregation::Scale {
            weights: self
                .parsed_criteria()?
                .into_iter()
                .map(|c| (c.code, i64::from(c.weight)))
                .collect(),
            min: i64::from(self.scale_min),
            max: i64::from(self.scale_max),
        })
    }
}

/// Writes version 1 of a rubric (`code` new in the agency).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateRubricRequest {
    #[validate(
        length(min = 1, max = 40),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_.-]+$")]
    pub code: String,
    #[serde(flatten)]
    #[validate(nested)]
    pub content: RubricContent,
}

/// What a version holds: its name, scale and criteria.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RubricContent {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The lowest level of every criterion (0 to 9).
    #[schema(minimum = 0, maximum = 9)]
    pub scale_min: i32,
    /// The highest level (scale_min + 1 to 10): e.g. 1–5 or 1–7.
    #[schema(minimum = 1, maximum = 10)]
    pub scale_max: i32,
    #[schema(min_items = 1, max_items = 20)]
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricView {
    pub id: RubricId,
    pub agency_id: AgencyId,
    pub code: String,
    pub version: i32,
    pub name: String,
    pub scale_min: i32,
    pub scale_max: i32,
    pub criteria: Vec<Criterion>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl TryFrom<Rubric> for RubricView {
    type Error = AppError;
    fn try_from(r: Rubric) -> Result<Self, AppError> {
        Ok(RubricView {
            criteria: r.parsed_criteria()?,
            id: r.id,
            agency_id: r.agency_id,
            code: r.code,
            version: r.version,
            name: r.name,
            scale_min: r.scale_min,
            scale_max: r.scale_max,
            created_at: r.created_at,
        })
    }
}

/// The checks serde and `validator` cannot say: the scale, unique criteria, one descriptor per
/// level of the scale.
pub fn check_content(content: &RubricContent) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let (min, max) = (content.scale_min, content.scale_max);
    if !(0..=9).contains(&min) {
        errors.push(FieldError::new("scale_min", "must be between 0 and 9"));
    }
    if max <= min || max > 10 {
        errors.push(FieldError::new(
            "scale_max",
            "must be above scale_min and at most 10",
        ));
    }
    if content.criteria.is_empty() || content.criteria.len() > 20 {
        errors.push(FieldError::new("criteria", "1 to 20 criteria"));
    }
    let mut codes = BTreeSet::new();
    for (i, criterion) in content.criteria.iter().enumerate() {
        let field = |f: &str| format!("criteria[{i}].{f}");
        check_criterion(criterion, min, max, &mut codes, &field, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

fn check_criterion<'a>(
    criterion: &'a Criterion,
    min: i32,
    max: i32,
    codes: &mut BTreeSet<&'a str>,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    let code_ok = !criterion.code.is_empty()
        && criterion.code.len() <= 40
        && criterion
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !code_ok {
        errors.push(FieldError::new(
            field("code"),
            "1 to 40 letters, digits, '_', '.' or '-'",
        ));
    } else if !codes.insert(&criterion.code) {
        errors.push(FieldError::new(field("code"), "appears twice"));
    }
    if criterion.name.trim().is_empty() || criterion.name.chars().count() > 200 {
        errors.push(FieldError::new(field("name"), "1 to 200 characters"));
    }
    if !(1..=100).contains(&criterion.weight) {
        errors.push(FieldError::new(
            field("weight"),
            "must be between 1 and 100",
        ));
    }
    let levels: Vec<i32> = criterion.levels.iter().map(|l| l.level).collect();
    let expected: Vec<i32> = (min..=max).collect();
    if levels != expected {
        errors.push(FieldError::new(
            field("levels"),
            format!("one descriptor for each level {min} to {max}, in order"),
        ));
    }
    for (j, level) in criterion.levels.iter().enumerate() {
        if level.descriptor.trim().is_empty() || level.descriptor.chars().count() > 1000 {
            errors.push(FieldError::new(
                field(&format!("levels[{j}].descriptor")),
                "1 to 1000 characters",
            ));
        }
    }
}
