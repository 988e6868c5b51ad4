use serde_json::{Value, json};

use super::*;
use crate::agencies::model::AgencyLevel;

fn casn_2024() -> RuleSetRules {
    let file: Value =
        serde_json::from_str(include_str!("../../../seed/rule-sets/casn-2024.json")).unwrap();
    serde_json::from_value(file["rules"].clone()).unwrap()
}

fn interview(weight: i32) -> Value {
    json!({"code": "WWN", "name": "Wawancara", "kind": "interview", "weight_percent": weight,
        "score_min": 0, "score_max": 100, "panel": {"min_scorers": 2, "blind": false, "aggregate": "mean"}})
}

fn part(code: &str, kind: &str, weight: i32) -> Value {
    json!({"code": code, "name": code, "kind": kind, "weight_percent": weight, "score_min": 0, "score_max": 500})
}

/// ADM, SKD (40) and SKB (60) made of `parts`: the 2024 shape.
fn plan_with(parts: Vec<Value>) -> Value {
    json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40},
        {"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60,
         "score_min": 0, "score_max": 100, "parts": parts}
    ]})
}

/// Every error of `plan` at `level`, as (field, message).
fn errors_at(plan: Value, level: AgencyLevel) -> Vec<(String, String)> {
    let rules = casn_2024();
    let plan: AssessmentPlan = serde_json::from_value(plan).unwrap();
    let groups = [SeatGroup {
        group: "general".into(),
        seats: 1,
    }];
    let ctx = PlanContext {
        rules: &rules,
        agency_level: level,
        seat_groups: &groups,
    };
    validate_plan(&plan, &ctx)
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn errors(plan: Value) -> Vec<(String, String)> {
    errors_at(plan, AgencyLevel::Central)
}

fn one(field: &str, message: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), message.to_string())]
}

#[test]
fn the_2024_central_plan_is_valid() {
    let plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    assert_eq!(errors(plan), vec![]);
}

#[test]
fn stage_weights_sum_to_100() {
    // SKD 40 + SKB 55 = 95.
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][2]["weight_percent"] = json!(55);
    assert_eq!(
        errors(plan),
        one(
            "plan.stages",
            "stage weights must sum to 100 percent, not 95"
        )
    );
    assert_eq!(
        errors(json!({"stages": []})),
        one("plan.stages", "at least one stage is required")
    );
}

#[test]
fn part_weights_sum_to_100_percent_of_their_stage() {
    // CAT SKB 70 + interview 20 = 90 percent of SKB; the stage weights still sum to 100.
    let plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(20)]);
    assert_eq!(
        errors(plan),
        one(
            "plan.stages[2].parts",
            "part weights must sum to 100 percent of the stage, not 90"
        )
    );
    let empty = plan_with(vec![]);
    assert_eq!(
        errors(empty),
        one(
            "plan.stages[2].parts",
            "a composite stage needs at least one part"
        )
    );
}

#[test]
fn central_bounds_are_cat_at_least_50_interview_at_most_30_certificate_at_most_20() {
    // The bounds themselves are allowed: 50 + 30 + 20.
    let edge = plan_with(vec![
        part("CAT-SKB", "cat_skb", 50),
        interview(30),
        part("SERT", "certificate", 20),
    ]);
    assert_eq!(errors(edge), vec![]);
    // 45 + 30 + 25: CAT below 50, certificate above 20.
    let outside = plan_with(vec![
        part("CAT-SKB", "cat_skb", 45),
        interview(30),
        part("SERT", "certificate", 25),
    ]);
    assert_eq!(
        errors(outside),
        vec![
            (
                "plan.stages[2].parts[0].weight_percent".to_string(),
                "a cat_skb part of a central agency must weigh 50 to 100 percent of the stage"
                    .to_string()
            ),
            (
                "plan.stages[2].parts[2].weight_percent".to_string(),
                "a certificate part of a central agency must weigh 0 to 20 percent of the stage"
                    .to_string()
            ),
        ]
    );
    // 65 + 35: the interview above 30.
    let long_interview = plan_with(vec![part("CAT-SKB", "cat_skb", 65), interview(35)]);
    assert_eq!(
        errors(long_interview),
        one(
            "plan.stages[2].parts[1].weight_percent",
            "a interview part of a central agency must weigh 0 to 30 percent of the stage"
        )
    );
    // Without a CAT SKB part: it is required, and interview 30 + certificate 20 make 50.
    let no_cat = plan_with(vec![interview(30), part("SERT", "certificate", 20)]);
    assert_eq!(
        errors(no_cat),
        vec![
            (
                "plan.stages[2].parts".to_string(),
                "a cat_skb part of at least 50 percent is required".to_string()
            ),
            (
                "plan.stages[2].parts".to_string(),
                "part weights must sum to 100 percent of the stage, not 50".to_string()
            ),
        ]
    );
}

#[test]
fn regional_bounds_are_cat_at_least_60_and_one_other_test_at_most_40() {
    let regional = |parts| errors_at(plan_with(parts), AgencyLevel::Regional);
    assert_eq!(
        regional(vec![
            part("CAT-SKB", "cat_skb", 60),
            part("PRAK", "other_test", 40)
        ]),
        vec![]
    );
    // 55 + 45: both outside.
    assert_eq!(
        regional(vec![
            part("CAT-SKB", "cat_skb", 55),
            part("PRAK", "other_test", 45)
        ]),
        vec![
            (
                "plan.stages[2].parts[0].weight_percent".to_string(),
                "a cat_skb part of a regional agency must weigh 60 to 100 percent of the stage"
                    .to_string()
            ),
            (
                "plan.stages[2].parts[1].weight_percent".to_string(),
                "a other_test part of a regional agency must weigh 0 to 40 percent of the stage"
                    .to_string()
            ),
        ]
    );
    // Two extra tests of 20 each: only one is allowed.
    assert_eq!(
        regional(vec![
            part("CAT-SKB", "cat_skb", 60),
            part("PRAK", "other_test", 20),
            part("TULIS", "other_test", 20)
        ]),
        one(
            "plan.stages[2].parts",
            "at most 1 other_test part(s) allowed"
        )
    );
    // The extra test must not be an interview: regional rules have no interview part.
    assert_eq!(
        regional(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]),
        one(
            "plan.stages[2].parts[1].kind",
            "the rule set allows no interview part for regional agencies"
        )
    );
    // The CAT part is required.
    assert_eq!(
        regional(vec![part("PRAK", "other_test", 100)]),
        vec![
            (
                "plan.stages[2].parts[0].weight_percent".to_string(),
                "a other_test part of a regional agency must weigh 0 to 40 percent of the stage"
                    .to_string()
            ),
            (
                "plan.stages[2].parts".to_string(),
                "a cat_skb part of at least 60 percent is required".to_string()
            ),
        ]
    );
}

#[test]
fn the_skd_stage_takes_its_weight_and_range_from_the_rule_set() {
    // SKD 50 + SKB 50 sums to 100 but the 2024 rules weigh SKD at 40.
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][1]["weight_percent"] = json!(50);
    plan["stages"][2]["weight_percent"] = json!(50);
    assert_eq!(
        errors(plan),
        one(
            "plan.stages[1].weight_percent",
            "the rule set weighs SKD at 40 percent"
        )
    );
    // TWK 150 + TIU 175 + TKP 225 = 550, not 500.
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][1]["score_max"] = json!(500);
    assert_eq!(
        errors(plan),
        one(
            "plan.stages[1].score_max",
            "the SKD range is 0 to 550 under the rule set"
        )
    );
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][1]["test"] = json!("toefl");
    assert_eq!(
        errors(plan)[0],
        (
            "plan.stages[1].test".to_string(),
            "unknown test toefl; only `skd` comes from the rule set".to_string()
        )
    );
}

#[test]
fn a_stage_threshold_lies_within_the_stage_range() {
    let at = |stage: usize, minimum: i32| {
        let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
        plan["stages"][stage]["total_minimum"] = json!(minimum);
        errors(plan)
    };
    // SKD ranges 0 to 550, SKB 0 to 100; both ends are allowed.
    assert_eq!(at(1, 550), vec![]);
    assert_eq!(at(2, 0), vec![]);
    assert_eq!(at(2, 100), vec![]);
    assert_eq!(
        at(1, 551),
        one(
            "plan.stages[1].total_minimum",
            "must lie within the stage's range 0 to 550"
        )
    );
    assert_eq!(
        at(2, -1),
        one(
            "plan.stages[2].total_minimum",
            "must lie within the stage's range 0 to 100"
        )
    );
    assert_eq!(
        at(0, 10),
        one(
            "plan.stages[0].total_minimum",
            "an administrative stage has no score"
        )
    );
}

#[test]
fn a_panel_needs_at_least_two_independent_scorers() {
    let panel_stage = |min_scorers: i32, aggregate: &str| {
        json!({"stages": [
            {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40},
            {"code": "WWN", "name": "Wawancara", "kind": "panel", "weight_percent": 60, "score_min": 0, "score_max": 100,
             "panel": {"min_scorers": min_scorers, "blind": true, "aggregate": aggregate}}
        ]})
    };
    assert_eq!(errors(panel_stage(2, "mean")), vec![]);
    assert_eq!(errors(panel_stage(3, "trimmed_mean")), vec![]);
    assert_eq!(
        errors(panel_stage(1, "mean")),
        one(
            "plan.stages[1].panel.min_scorers",
            "at least 2 independent scorers, at most 15"
        )
    );
    assert_eq!(
        errors(panel_stage(16, "mean")),
        one(
            "plan.stages[1].panel.min_scorers",
            "at least 2 independent scorers, at most 15"
        )
    );
    assert_eq!(
        errors(panel_stage(2, "trimmed_mean")),
        one(
            "plan.stages[1].panel.aggregate",
            "a trimmed mean needs at least 3 scorers"
        )
    );
    let mut no_spec = panel_stage(2, "mean");
    no_spec["stages"][1]
        .as_object_mut()
        .unwrap()
        .remove("panel");
    assert_eq!(
        errors(no_spec),
        one(
            "plan.stages[1].panel",
            "a panel stage needs its scoring (min_scorers, blind, aggregate)"
        )
    );
    // An interview part is scored by a panel too, with the same minimum.
    let mut lone = interview(30);
    lone["panel"]["min_scorers"] = json!(1);
    assert_eq!(
        errors(plan_with(vec![part("CAT-SKB", "cat_skb", 70), lone])),
        one(
            "plan.stages[2].parts[1].panel.min_scorers",
            "at least 2 independent scorers, at most 15"
        )
    );
    let mut unscored = interview(30);
    unscored.as_object_mut().unwrap().remove("panel");
    assert_eq!(
        errors(plan_with(vec![part("CAT-SKB", "cat_skb", 70), unscored])),
        one(
            "plan.stages[2].parts[1].panel",
            "an interview is scored by a panel: give min_scorers, blind and aggregate"
        )
    );
}

#[test]
fn screening_is_no_code_for_a_scored_stage() {
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][1]["code"] = json!("screening");
    assert_eq!(
        errors(plan),
        one(
            "plan.stages[1].code",
            "`screening` names administrative screening; a scored stage needs another code"
        )
    );
    let mut plan = plan_with(vec![part("CAT-SKB", "cat_skb", 70), interview(30)]);
    plan["stages"][0]["code"] = json!("screening");
    assert_eq!(errors(plan), vec![]);
}
