//! One applicant row as imported (CSV or JSON Lines) or posted, and its validation. Pure: the
//! checks that need the database (opening, person, duplicates) live in the store.

use crate::error::{AppError, FieldError};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidateEmail;

use crate::bulk::model::RowError;
use crate::openings::eligibility::{EducationLevel, PerformanceRating};

/// The columns of an import file, in the order the generator writes them.
pub const COLUMNS: [&str; 17] = [
    "opening_code",
    "nik",
    "kk",
    "full_name",
    "birth_date",
    "sex",
    "region_of_origin",
    "email",
    "phone",
    "seat_group",
    "education_level",
    "education_field",
    "gpa_x100",
    "certificates",
    "current_grade",
    "years_in_grade",
    "last_rating",
];

/// Columns a CSV header must have (the rest are optional).
pub const REQUIRED_COLUMNS: [&str; 13] = [
    "opening_code",
    "nik",
    "kk",
    "full_name",
    "birth_date",
    "sex",
    "region_of_origin",
    "email",
    "seat_group",
    "education_level",
    "education_field",
    "gpa_x100",
    "certificates",
];

/// A row as text, column by column (`None` = absent or empty).
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    pub number: u64,
    pub values: [Option<String>; COLUMNS.len()],
}

impl RawRow {
    fn get(&self, column: &str) -> Option<&str> {
        let i = COLUMNS.iter().position(|c| *c == column)?;
        self.values[i]
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, column: &str, value: String) -> bool {
        match COLUMNS.iter().position(|c| *c == column) {
            Some(i) => {
                self.values[i] = Some(value);
                true
            }
            None => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

impl Sex {
    pub fn as_str(&self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
        }
    }
}

/// A row that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRow {
    pub number: u64,
    pub opening_code: String,
    pub nik: String,
    pub kk: String,
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub region_of_origin: String,
    pub email: String,
    pub phone: Option<String>,
    pub seat_group: String,
    pub education_level: EducationLevel,
    pub education_field: String,
    pub gpa_x100: i32,
    pub certificates: Vec<String>,
    pub current_grade: Option<i32>,
    pub years_in_grade: Option<i32>,
    pub last_rating: Option<PerformanceRating>,
}

/// The NIK's date part for a birth date: DDMMYY, with DD + 40 for women.
pub fn nik_date_part(birth: NaiveDate, sex: Sex) -> String {
    let day = birth.day() + if sex == Sex::Female { 40 } else { 0 };
    format!(
        "{day:02}{:02}{:02}",
        birth.month(),
        birth.year().rem_euclid(100)
    )
}

fn digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

fn parse_level(value: &str) -> Option<EducationLevel> {
    serde_json::from_value(serde_json::Value::String(value.to_ascii_uppercase())).ok()
}

fn parse_rating(value: &str) -> Option<PerformanceRating> {
    serde_json::from_value(serde_json::Value::String(value.to_ascii_lowercase())).ok()
}

struct Checker<'a> {
    row: &'a RawRow,
    errors: Vec<RowError>,
}

impl Checker<'_> {
    fn fail(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors
            .push(RowError::new(self.row.number, field, code, message));
    }

    fn required(&mut self, field: &str, max_chars: usize) -> Option<String> {
        match self.row.get(field) {
            None => {
                self.fail(field, "required", "is required");
                None
            }
            Some(v) if v.chars().count() > max_chars => {
                self.fail(field, "too_long", format!("at most {max_chars} characters"));
                None
            }
            Some(v) => Some(v.to_string()),
        }
    }

    fn number(
        &mut self,
        field: &str,
        range: std::ops::RangeInclusive<i32>,
        required: bool,
    ) -> Option<i32> {
        let Some(text) = self.row.get(field) else {
            if required {
                self.fail(field, "required", "is required");
            }
            return None;
        };
        match text.parse::<i32>() {
            Err(_) => {
                self.fail(field, "invalid_number", "must be a whole number");
                None
            }
            Ok(n) if !range.contains(&n) => {
                self.fail(
                    field,
                    "out_of_range",
                    format!("must be between {} and {}", range.start(), range.end()),
                );
                None
            }
            Ok(n) => Some(n),
        }
    }
}

/// Checks one row; every problem is reported, not only the first.
pub fn validate_row(row: &RawRow, today: NaiveDate) -> Result<ValidRow, Vec<RowError>> {
    let mut c = Checker {
        row,
        errors: Vec::new(),
    };
    let opening_code = c.required("opening_code", 60);
    let nik = c.required("nik", 16);
    let kk = c.required("kk", 16);
    let full_name = c.required("full_name", 200);
    let region_of_origin = c.required("region_of_origin", 100);
    let email = c.required("email", 254);
    let seat_group = c.required("seat_group", 40);
    let education_field = c.required("education_field", 200);
    let birth_date = c
        .required("birth_date", 10)
        .and_then(|text| match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) if date <= today && date.year() >= 1900 => Some(date),
            _ => {
                c.fail(
                    "birth_date",
                    "invalid_date",
                    "must be a past date as YYYY-MM-DD",
                );
                None
            }
        });
    let sex = c
        .required("sex", 10)
        .and_then(|text| match text.to_ascii_lowercase().as_str() {
            "female" => Some(Sex::Female),
            "male" => Some(Sex::Male),
            _ => {
                c.fail("sex", "invalid_sex", "must be female or male");
                None
            }
        });
    let education_level = c.required("education_level", 3).and_then(|text| {
        let level = parse_level(&text);
        if level.is_none() {
            c.fail(
                "education_level",
                "invalid_education_level",
                "must be one of SD, SMP, SMA, D1-D4, S1-S3",
            );
        }
        level
    });
    let gpa_x100 = c.number("gpa_x100", 0..=400, true);
    let current_grade = c.number("current_grade", 1..=17, false);
    let years_in_grade = c.number("years_in_grade", 0..=40, false);
    let last_rating = row.get("last_rating").and_then(|text| {
        let rating = parse_rating(text);
        if rating.is_none() {
            c.fail(
                "last_rating",
                "invalid_rating",
                "must be above, meeting or below",
            );
        }
        rating
    });
    if let Some(nik) = &nik {
        if !digits(nik, 16) || nik.starts_with("00") {
            c.fail("nik", "invalid_nik", "must be 16 digits with a region code");
        } else if let (Some(birth), Some(sex)) = (birth_date, sex)
            && nik[6..12] != nik_date_part(birth, sex)
        {
            c.fail(
                "nik",
                "nik_birth_date_mismatch",
                "the NIK's date part (DDMMYY, day + 40 for women) does not match the birth date and sex",
            );
        }
    }
    if let Some(kk) = &kk
        && !digits(kk, 16)
    {
        c.fail("kk", "invalid_kk", "must be 16 digits");
    }
    if let Some(email) = &email
        && !email.validate_email()
    {
        c.fail("email", "invalid_email", "must be an email address");
    }
    let phone = row.get("phone").map(str::to_string);
    if let Some(p) = &phone {
        let rest = p.strip_prefix('+').unwrap_or(p);
        if !(8..=16).contains(&rest.len()) || !rest.bytes().all(|b| b.is_ascii_digit()) {
            c.fail(
                "phone",
                "invalid_phone",
                "must be 8 to 16 digits, optionally after +",
            );
        }
    }
    let certificates: Vec<String> = row
        .get("certificates")
        .map(|text| {
            text.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if certificates.iter().any(|s| s.chars().count() > 200) || certificates.len() > 50 {
        c.fail(
            "certificates",
            "too_long",
            "at most 50 certificates of 200 characters each",
        );
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    match (
        opening_code,
        nik,
        kk,
        full_name,
        birth_date,
        sex,
        region_of_origin,
        email,
        seat_group,
        education_level,
        education_field,
        gpa_x100,
    ) {
        (
            Some(opening_code),
            Some(nik),
            Some(kk),
            Some(full_name),
            Some(birth_date),
            Some(sex),
            Some(region_of_origin),
            Some(email),
            Some(seat_group),
            Some(education_level),
            Some(education_field),
            Some(gpa_x100),
        ) => Ok(ValidRow {
            number: row.number,
            opening_code,
            nik,
            kk,
            full_name,
            birth_date,
            sex,
            region_of_origin,
            email: email.to_ascii_lowercase(),
            phone,
            seat_group,
            education_level,
            education_field,
            gpa_x100,
            certificates,
            current_grade,
            years_in_grade,
            last_rating,
        }),
        _ => Err(vec![RowError::new(
            row.number,
            "row",
            "invalid_row",
            "the row is incomplete",
        )]),
    }
}

/// Row codes that mean a conflict with recorded data (409) rather than a bad field (422).
const CONFLICT_CODES: [&str; 4] = [
    "nik_conflict",
    "already_applied",
    "one_opening_per_year",
    "opening_not_accepting",
];

/// How a rejected single row answers: field problems 422, conflicts with recorded data 409.
pub fn row_problem(errors: Vec<RowError>) -> AppError {
    for e in &errors {
        if let Some(code) = CONFLICT_CODES.iter().find(|c| **c == e.code) {
            return AppError::conflict(code, e.message.clone());
        }
    }
    AppError::validation(
        errors
            .into_iter()
            .map(|e| FieldError::new(e.field, e.message))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> RawRow {
        let mut row = RawRow {
            number: 7,
            ..Default::default()
        };
        for (k, v) in pairs {
            assert!(row.set(k, v.to_string()), "{k}");
        }
        row
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("opening_code", "GEN-00001"),
            ("nik", "3201014506990001"),
            ("kk", "3201010101990001"),
            ("full_name", "Siti Rahmawati"),
            ("birth_date", "1999-06-05"),
            ("sex", "female"),
            ("region_of_origin", "Jawa Barat"),
            ("email", "Siti.R@Gmail.com"),
            ("phone", "081234567890"),
            ("seat_group", "general"),
            ("education_level", "S1"),
            ("education_field", "Teknik Informatika"),
            ("gpa_x100", "352"),
            ("certificates", "TOEFL 500; Sertifikat BNSP"),
        ]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 8, 1).unwrap()
    }

    #[test]
    fn a_good_row_passes_with_day_plus_40_for_a_woman() {
        let valid = validate_row(&row(&good()), today()).unwrap();
        assert_eq!(valid.email, "siti.r@gmail.com");
        assert_eq!(valid.certificates, ["TOEFL 500", "Sertifikat BNSP"]);
        assert_eq!(nik_date_part(valid.birth_date, Sex::Female), "450699");
        assert_eq!(nik_date_part(valid.birth_date, Sex::Male), "050699");
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_its_field_and_code() {
        let mut pairs = good();
        pairs.retain(|(k, _)| *k != "full_name");
        let mut bad = row(&pairs);
        bad.set("sex", "male".into()); // the NIK says female
        bad.set("gpa_x100", "450".into());
        bad.set("email", "siti.gmail.com".into());
        bad.set("education_level", "S9".into());
        let errors = validate_row(&bad, today()).unwrap_err();
        let codes: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("full_name", "required"),
                ("education_level", "invalid_education_level"),
                ("gpa_x100", "out_of_range"),
                ("nik", "nik_birth_date_mismatch"),
                ("email", "invalid_email"),
            ]
        );
        assert!(errors.iter().all(|e| e.row == 7));
        let mut short = row(&good());
        short.set("nik", "320101450699001".into());
        assert_eq!(
            validate_row(&short, today()).unwrap_err()[0].code,
            "invalid_nik"
        );
    }
}
