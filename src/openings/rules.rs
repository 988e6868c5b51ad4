//! What an opening's content must satisfy under its round's rule set and its agency's level.
//! Pure: the store loads the rule set and the agency, these functions judge.

use super::eligibility::Eligibility;
use super::model::OpeningKind;
use super::plan::{self, AssessmentPlan, PlanContext, SeatGroup};
use super::rounds::rules::RuleSetRules;
use crate::agencies::model::AgencyLevel;
use crate::db::types::Timestamp;
use crate::error::FieldError;

/// The parts of an opening that the rules judge, on create, on every change and at publish.
pub struct Content<'a> {
    pub kind: OpeningKind,
    pub seat_groups: &'a [SeatGroup],
    pub eligibility: &'a Eligibility,
    pub plan: &'a AssessmentPlan,
    pub opens: Timestamp,
    pub closes: Timestamp,
}

/// Every problem with the content under `rules`, each naming its field; empty when it is valid.
pub fn check_content(
    content: &Content,
    rules: &RuleSetRules,
    level: AgencyLevel,
) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    errors.extend(plan::validate_seat_groups(content.seat_groups, rules));
    errors.extend(content.eligibility.validate(content.kind));
    errors.extend(plan::validate_plan(
        content.plan,
        &PlanContext {
            rules,
            agency_level: level,
            seat_groups: content.seat_groups,
        },
    ));
    if content.closes <= content.opens {
        errors.push(FieldError::new(
            "application_closes_at",
            "must be after application_opens_at",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn casn_2024() -> RuleSetRules {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../seed/rule-sets/casn-2024.json")).unwrap();
        serde_json::from_value(file["rules"].clone()).unwrap()
    }

    fn plan_skd_skb() -> AssessmentPlan {
        serde_json::from_value(serde_json::json!({"stages": [
            {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
            {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40},
            {"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60, "score_min": 0, "score_max": 100,
             "parts": [{"code": "CAT-SKB", "name": "CAT SKB", "kind": "cat_skb", "weight_percent": 100, "score_min": 0, "score_max": 500}]}
        ]}))
        .unwrap()
    }

    fn at(day: u32) -> Timestamp {
        use chrono::TimeZone;
        Timestamp::from_datetime(chrono::Utc.with_ymd_and_hms(2024, 8, day, 0, 0, 0).unwrap())
    }

    #[test]
    fn valid_content_has_no_errors_and_each_part_reports_its_own_fields() {
        let rules = casn_2024();
        let plan = plan_skd_skb();
        let eligibility = Eligibility::default();
        let groups = [SeatGroup {
            group: "general".into(),
            seats: 2,
        }];
        let mut content = Content {
            kind: OpeningKind::Recruitment,
            seat_groups: &groups,
            eligibility: &eligibility,
            plan: &plan,
            opens: at(1),
            closes: at(15),
        };
        assert_eq!(
            check_content(&content, &rules, AgencyLevel::Central),
            vec![]
        );

        // A window that ends when it opens, and a seat group the rules have no thresholds for.
        let unknown = [SeatGroup {
            group: "veterans".into(),
            seats: 1,
        }];
        content.seat_groups = &unknown;
        content.closes = at(1);
        let fields: Vec<String> = check_content(&content, &rules, AgencyLevel::Central)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["seat_groups[0].group", "application_closes_at"]);
    }
}
