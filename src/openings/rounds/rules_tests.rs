//! The shipped 2024 rules are consistent, inconsistent rules name their fields, and which round
//! holds which openings.
use super::*;

fn casn_2024() -> RuleSetRules {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../../seed/rule-sets/casn-2024.json")).unwrap();
    serde_json::from_value(file["rules"].clone()).unwrap()
}

#[test]
fn the_shipped_2024_rules_are_consistent() {
    let rules = casn_2024();
    assert_eq!(rules.validate("rules"), vec![]);
    assert_eq!(rules.skd_max_total(), 550);
    assert_eq!(
        rules.threshold_set_for("disability").unwrap().total_minimum,
        Some(286)
    );
}

#[test]
fn inconsistent_rules_name_each_field() {
    let mut rules = casn_2024();
    rules.skd.subtests[0].max_points = 151;
    rules.threshold_sets[1].seat_groups.push("general".into());
    rules.final_weights.skb = 70;
    rules.final_tie_break.push("height".into());
    let fields: Vec<String> = rules
        .validate("rules")
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "rules.skd.subtests[0].max_points",
            "rules.threshold_sets[1].seat_groups",
            "rules.final_weights",
            "rules.final_tie_break[6]",
        ]
    );
}

#[test]
fn recruitment_rounds_hold_recruitment_and_promotion_rounds_promotion() {
    use OpeningKind::*;
    for (round, kind, allowed) in [
        (RoundKind::Cpns, Recruitment, true),
        (RoundKind::Pppk, Recruitment, true),
        (RoundKind::Promotion, Promotion, true),
        (RoundKind::Cpns, Promotion, false),
        (RoundKind::Pppk, Promotion, false),
        (RoundKind::Promotion, Recruitment, false),
    ] {
        assert_eq!(
            round_allows(round, kind).is_ok(),
            allowed,
            "{round:?} {kind:?}"
        );
    }
    assert_eq!(
        round_allows(RoundKind::Promotion, Recruitment),
        Err(FieldError::new(
            "kind",
            "a promotion round holds no recruitment openings"
        ))
    );
}
