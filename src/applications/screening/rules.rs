//! Administrative screening (seleksi administrasi): an application's facts against the opening's
//! eligibility requirements, with a reason per failed rule. Pure: no database.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::openings::eligibility::{EducationLevel, Eligibility, PerformanceRating};

/// What screening knows of an application.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicantFacts {
    pub birth_date: NaiveDate,
    pub education_level: EducationLevel,
    pub education_field: String,
    pub gpa_x100: i32,
    pub certificates: Vec<String>,
    pub current_grade: Option<i32>,
    pub years_in_grade: Option<i32>,
    pub last_rating: Option<PerformanceRating>,
}

/// One requirement the application does not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailedRequirement {
    /// Stable code, e.g. `age_above_maximum`.
    pub code: String,
    pub reason: String,
}

fn fail(code: &str, reason: String) -> FailedRequirement {
    FailedRequirement {
        code: code.into(),
        reason,
    }
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Every requirement the facts fail, in a fixed order; empty = eligible.
pub fn check_eligibility(rules: &Eligibility, facts: &ApplicantFacts) -> Vec<FailedRequirement> {
    let mut failed = Vec::new();
    if !rules.education_levels.is_empty()
        && !rules.education_levels.contains(&facts.education_level)
    {
        failed.push(fail(
            "education_level_not_accepted",
            format!(
                "education level {:?} is not among {:?}",
                facts.education_level, rules.education_levels
            ),
        ));
    }
    if !rules.education_fields.is_empty()
        && !rules
            .education_fields
            .iter()
            .any(|f| same_text(f, &facts.education_field))
    {
        failed.push(fail(
            "education_field_not_accepted",
            format!("the field {} is not accepted", facts.education_field),
        ));
    }
    if let Some(on) = rules.age_reference_date {
        let age = age_on(facts.birth_date, on);
        if let Some(min) = rules.min_age.filter(|m| age < *m) {
            failed.push(fail(
                "age_below_minimum",
                format!("aged {age} on {on}, the minimum is {min}"),
            ));
        }
        if let Some(max) = rules.max_age.filter(|m| age > *m) {
            failed.push(fail(
                "age_above_maximum",
                format!("aged {age} on {on}, the maximum is {max}"),
            ));
        }
    }
    if let Some(min) = rules.min_gpa_x100.filter(|m| facts.gpa_x100 < *m) {
        failed.push(fail(
            "gpa_below_minimum",
            format!(
                "GPA {:.2} is below {:.2}",
                f64::from(facts.gpa_x100) / 100.0,
                f64::from(min) / 100.0
            ),
        ));
    }
    for required in &rules.required_certificates {
        if !facts.certificates.iter().any(|c| same_text(c, required)) {
            failed.push(fail(
                "certificate_missing",
                format!("the certificate {required} is required"),
            ));
        }
    }
    if let Some(min) = rules.min_grade {
        match facts.current_grade {
            Some(grade) if grade >= min => {}
            Some(grade) => failed.push(fail(
                "grade_below_minimum",
                format!("grade {grade} is below {min}"),
            )),
            None => failed.push(fail(
                "grade_unknown",
                format!("grade {min} or higher is required; none was given"),
            )),
        }
    }
    if let Some(min) = rules.min_years_in_grade {
        match facts.years_in_grade {
            Some(years) if years >= min => {}
            Some(years) => failed.push(fail(
                "years_in_grade_below_minimum",
                format!("{years} years in grade, {min} required"),
            )),
            None => failed.push(fail(
                "years_in_grade_unknown",
                format!("{min} years in grade are required; none were given"),
            )),
        }
    }
    if let Some(min) = rules.min_performance_rating {
        match facts.last_rating {
            Some(rating) if rating >= min => {}
            Some(rating) => failed.push(fail(
                "performance_below_minimum",
                format!("the last rating {rating:?} is below {min:?}"),
            )),
            None => failed.push(fail(
                "performance_unknown",
                format!("a last rating of at least {min:?} is required"),
            )),
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rules() -> Eligibility {
        Eligibility {
            education_levels: vec![EducationLevel::S1, EducationLevel::D4],
            education_fields: vec!["Teknik Informatika".into()],
            min_age: Some(18),
            max_age: Some(35),
            age_reference_date: Some(date(2024, 8, 1)),
            min_gpa_x100: Some(300),
            required_certificates: vec!["TOEFL 450".into()],
            ..Default::default()
        }
    }

    fn facts() -> ApplicantFacts {
        ApplicantFacts {
            birth_date: date(1999, 6, 5),
            education_level: EducationLevel::S1,
            education_field: "teknik informatika ".into(),
            gpa_x100: 352,
            certificates: vec!["TOEFL 450".into()],
            current_grade: None,
            years_in_grade: None,
            last_rating: None,
        }
    }

    #[test]
    fn an_applicant_meeting_every_requirement_is_eligible() {
        assert_eq!(check_eligibility(&rules(), &facts()), vec![]);
    }

    #[test]
    fn age_is_measured_in_whole_years_on_the_reference_date() {
        assert_eq!(age_on(date(1989, 8, 1), date(2024, 8, 1)), 35);
        assert_eq!(age_on(date(1989, 8, 2), date(2024, 8, 1)), 34);
        let mut old = facts();
        old.birth_date = date(1988, 7, 31); // 36 on 2024-08-01
        let failed = check_eligibility(&rules(), &old);
        assert_eq!(
            failed.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
            ["age_above_maximum"]
        );
        assert_eq!(failed[0].reason, "aged 36 on 2024-08-01, the maximum is 35");
    }

    #[test]
    fn every_failed_requirement_is_given_with_its_reason() {
        let mut weak = facts();
        weak.education_level = EducationLevel::D3;
        weak.education_field = "Akuntansi".into();
        weak.gpa_x100 = 275;
        weak.certificates.clear();
        let codes: Vec<String> = check_eligibility(&rules(), &weak)
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(
            codes,
            [
                "education_level_not_accepted",
                "education_field_not_accepted",
                "gpa_below_minimum",
                "certificate_missing"
            ]
        );
    }

    #[test]
    fn promotion_requirements_need_grade_years_and_rating() {
        let promotion = Eligibility {
            min_grade: Some(9),
            min_years_in_grade: Some(2),
            min_performance_rating: Some(PerformanceRating::Meeting),
            ..Default::default()
        };
        let mut employee = facts();
        let codes = |f: &ApplicantFacts| -> Vec<String> {
            check_eligibility(&promotion, f)
                .into_iter()
                .map(|r| r.code)
                .collect()
        };
        assert_eq!(
            codes(&employee),
            [
                "grade_unknown",
                "years_in_grade_unknown",
                "performance_unknown"
            ]
        );
        employee.current_grade = Some(9);
        employee.years_in_grade = Some(1);
        employee.last_rating = Some(PerformanceRating::Above);
        assert_eq!(codes(&employee), ["years_in_grade_below_minimum"]);
        employee.last_rating = Some(PerformanceRating::Below);
        employee.years_in_grade = Some(3);
        assert_eq!(codes(&employee), ["performance_below_minimum"]);
    }
}
