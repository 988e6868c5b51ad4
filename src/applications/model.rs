//! Persons (identity, per round), applications (the assessment side) and their views.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::agencies::model::AgencyId;
use crate::applications::intake::rows::{RawRow, Sex};
use crate::db::schema::{applications, persons};
use crate::db::types::Timestamp;
pub use crate::ids::{ApplicationId, ImportId, PersonId};
use crate::openings::eligibility::{EducationLevel, PerformanceRating};
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = persons, treat_none_as_default_value = false)]
pub struct Person {
    pub id: PersonId,
    pub round_id: RoundId,
    pub nik_hash: String,
    pub nik_enc: String,
    pub kk_hash: String,
    pub kk_enc: String,
    pub full_name: String,
    pub birth_date: String,
    pub sex: String,
    pub region_of_origin: String,
    pub email: String,
    pub phone: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = applications, treat_none_as_default_value = false)]
pub struct Application {
    pub id: ApplicationId,
    pub round_id: RoundId,
    pub opening_id: OpeningId,
    pub agency_id: AgencyId,
    pub person_id: PersonId,
    pub registration_number: String,
    pub seat_group: String,
    pub education_level: String,
    pub education_field: String,
    pub gpa_x100: i32,
    pub certificates: String,
    pub current_grade: Option<i32>,
    pub years_in_grade: Option<i32>,
    pub last_rating: Option<String>,
    pub status: ApplicationStatus,
    pub import_id: Option<ImportId>,
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawal_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(Application, Application, |a| Some(a.agency_id));

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
pub enum ApplicationStatus {
    Submitted,
    Withdrawn,
}

crate::text_enum!(ApplicationStatus { Submitted => "submitted", Withdrawn => "withdrawn" });

/// The identity side, shown to the agency's HR officers only. NIK and KK appear masked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityView {
    pub person_id: PersonId,
    pub full_name: String,
    pub nik_masked: String,
    pub kk_masked: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: String,
    pub sex: Sex,
    pub region_of_origin: String,
    pub email: String,
    pub phone: Option<String>,
}

/// An application: the assessment side, plus the identity for those who may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationView {
    pub id: ApplicationId,
    pub opening_id: OpeningId,
    pub round_id: RoundId,
    pub agency_id: AgencyId,
    /// Public number for the applicant and published results.
    pub registration_number: String,
    pub status: ApplicationStatus,
    pub seat_group: String,
    pub education_level: EducationLevel,
    pub education_field: String,
    pub gpa_x100: i32,
    pub certificates: Vec<String>,
    pub current_grade: Option<i32>,
    pub years_in_grade: Option<i32>,
    pub last_rating: Option<PerformanceRating>,
    /// The import the application came from, if any.
    pub import_id: Option<ImportId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawal_reason: Option<String>,
    /// `null` for roles that may not see identity.
    pub identity: Option<IdentityView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl ApplicationView {
    pub fn new(a: Application, identity: Option<IdentityView>) -> Self {
        Self {
            status: a.status,
            education_level: serde_json::from_value(serde_json::Value::String(
                a.education_level.clone(),
            ))
            .unwrap_or(EducationLevel::S1),
            certificates: serde_json::from_str(&a.certificates).unwrap_or_default(),
            last_rating: a
                .last_rating
                .as_deref()
                .and_then(|r| serde_json::from_value(serde_json::Value::String(r.into())).ok()),
            id: a.id,
            opening_id: a.opening_id,
            round_id: a.round_id,
            agency_id: a.agency_id,
            registration_number: a.registration_number,
            seat_group: a.seat_group,
            education_field: a.education_field,
            gpa_x100: a.gpa_x100,
            current_grade: a.current_grade,
            years_in_grade: a.years_in_grade,
            import_id: a.import_id,
            withdrawn_at: a.withdrawn_at,
            withdrawal_reason: a.withdrawal_reason,
            identity,
            created_at: a.created_at,
        }
    }
}

/// One application as posted by HR: the same fields as an import row, without the opening code
/// (the path names the opening). As in a file, white space around a text field is ignored.
// The checks are `intake::rows::validate_row`'s; the patterns say them with its trimming (the
// white space of `str::trim`, Unicode White_Space), so a length bound is on the trimmed text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateApplicationRequest {
    /// 16 digits, not starting with `00` (the region code); the date part must match the birth
    /// date (day + 40 for women).
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:0[1-9]|[1-9][0-9])[0-9]{14}[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub nik: String,
    /// Family card number (KK), 16 digits.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[0-9]{16}[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub kk: String,
    /// At most 200 characters.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[\\s\\S]{0,198}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub full_name: String,
    /// A past date, from 1900 on.
    #[schema(format = Date, pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:19|[2-9][0-9])[0-9]{2}-")]
    pub birth_date: String,
    pub sex: Sex,
    /// At most 100 characters.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[\\s\\S]{0,98}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub region_of_origin: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 16 digits, optionally after `+`; blank is none.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:\\+?[0-9]{8,16})?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub phone: Option<String>,
    /// One of the opening's seat groups; at most 40 characters.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[\\s\\S]{0,38}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub seat_group: String,
    pub education_level: EducationLevel,
    /// At most 200 characters.
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[\\s\\S]{0,198}[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub education_field: String,
    /// GPA × 100 (0 to 400).
    #[schema(minimum = 0, maximum = 400)]
    pub gpa_x100: i32,
    /// An entry may name several certificates separated by `;`, as a file does; blank ones are
    /// dropped. At most 50 certificates in all, each of at most 200 characters.
    #[serde(default)]
    #[schema(
        pattern = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:[^;\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^;]{0,198}[^;\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:;[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(?:[^;\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^;]{0,198}[^;\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*)*$"
    )]
    pub certificates: Vec<String>,
    #[schema(minimum = 1, maximum = 17)]
    pub current_grade: Option<i32>,
    #[schema(minimum = 0, maximum = 40)]
    pub years_in_grade: Option<i32>,
    pub last_rating: Option<PerformanceRating>,
}

impl CreateApplicationRequest {
    /// The same text row an import would carry, so both paths share one validation.
    pub fn to_row(&self, opening_code: &str) -> RawRow {
        let mut row = RawRow {
            number: 1,
            ..Default::default()
        };
        let level = serde_json::to_value(self.education_level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        let rating = self
            .last_rating
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let pairs: [(&str, Option<String>); 17] = [
            ("opening_code", Some(opening_code.into())),
            ("nik", Some(self.nik.clone())),
            ("kk", Some(self.kk.clone())),
            ("full_name", Some(self.full_name.clone())),
            ("birth_date", Some(self.birth_date.clone())),
            ("sex", Some(self.sex.as_str().into())),
            ("region_of_origin", Some(self.region_of_origin.clone())),
            ("email", Some(self.email.clone())),
            ("phone", self.phone.clone()),
            ("seat_group", Some(self.seat_group.clone())),
            ("education_level", level),
            ("education_field", Some(self.education_field.clone())),
            ("gpa_x100", Some(self.gpa_x100.to_string())),
            ("certificates", Some(self.certificates.join(";"))),
            ("current_grade", self.current_grade.map(|g| g.to_string())),
            ("years_in_grade", self.years_in_grade.map(|y| y.to_string())),
            ("last_rating", rating),
        ];
        for (column, value) in pairs {
            if let Some(value) = value {
                row.set(column, value);
            }
        }
        row
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// The applicant's request, as HR recorded it.
    #[validate(
        length(min = 5, max = 2000),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 5,
        max_length = 2000,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
}
