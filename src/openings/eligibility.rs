//! Eligibility requirements of an opening (persyaratan), frozen at publish.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::OpeningKind;
use crate::error::FieldError;

/// Education levels from primary school to doctorate, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum EducationLevel {
    SD,
    SMP,
    SMA,
    D1,
    D2,
    D3,
    D4,
    S1,
    S2,
    S3,
}

/// SKP rating (predikat kinerja).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PerformanceRating {
    Below,
    Meeting,
    Above,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// Accepted education levels; empty = any.
    #[serde(default)]
    pub education_levels: Vec<EducationLevel>,
    /// Accepted fields of study (program studi); empty = any.
    #[serde(default)]
    #[schema(
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub education_fields: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 15, maximum = 70)]
    pub min_age: Option<i32>,
    /// Not below `min_age`.
    #[serde(default)]
    #[schema(minimum = 15, maximum = 70)]
    pub max_age: Option<i32>,
    /// The date ages are measured at; required with an age limit.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub age_reference_date: Option<NaiveDate>,
    /// Minimum GPA (IPK) × 100, e.g. 300 for 3.00.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 400)]
    pub min_gpa_x100: Option<i32>,
    #[serde(default)]
    #[schema(
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub required_certificates: Vec<String>,
    /// Promotion only: minimum grade (kelas jabatan) held now.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 17)]
    pub min_grade: Option<i32>,
    /// Promotion only: minimum years in the current grade.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 40)]
    pub min_years_in_grade: Option<i32>,
    /// Promotion only: minimum last performance rating.
    #[serde(default)]
    pub min_performance_rating: Option<PerformanceRating>,
}

impl Eligibility {
    pub fn validate(&self, kind: OpeningKind) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err =
            |f: &str, m: &str| errors.push(FieldError::new(format!("eligibility.{f}"), m));
        for (name, age) in [("min_age", self.min_age), ("max_age", self.max_age)] {
            if age.is_some_and(|a| !(15..=70).contains(&a)) {
                err(name, "must be between 15 and 70");
            }
        }
        if let (Some(min), Some(max)) = (self.min_age, self.max_age)
            && min > max
        {
            err("max_age", "must not be below min_age");
        }
        if (self.min_age.is_some() || self.max_age.is_some()) && self.age_reference_date.is_none() {
            err(
                "age_reference_date",
                "an age limit needs the date ages are measured at",
            );
        }
        if self.min_gpa_x100.is_some_and(|g| !(0..=400).contains(&g)) {
            err(
                "min_gpa_x100",
                "must be between 0 and 400 (GPA 0.00 to 4.00)",
            );
        }
        if self.education_fields.iter().any(|t| t.trim().is_empty()) {
            err("education_fields", "entries must not be blank");
        }
        if self
            .required_certificates
            .iter()
            .any(|t| t.trim().is_empty())
        {
            err("required_certificates", "entries must not be blank");
        }
        if self.min_grade.is_some_and(|g| !(1..=17).contains(&g)) {
            err("min_grade", "must be between 1 and 17");
        }
        if self
            .min_years_in_grade
            .is_some_and(|y| !(0..=40).contains(&y))
        {
            err("min_years_in_grade", "must be between 0 and 40");
        }
        let promotion_only = self.min_grade.is_some()
            || self.min_years_in_grade.is_some()
            || self.min_performance_rating.is_some();
        if kind == OpeningKind::Recruitment && promotion_only {
            err(
                "min_grade",
                "grade, years in grade and performance apply to promotion openings only",
            );
        }
        errors
    }
}
