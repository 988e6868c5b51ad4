//! Hand-worked verdicts of the score rules (CASN 2024: TWK and TIU 5 or 0 a question, TKP 1-5).
use super::*;
use crate::db::types::Timestamp;
use crate::ids::{AgencyId, OpeningId, PositionId, RoundId};

fn casn_2024() -> RuleSetRules {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../../seed/rule-sets/casn-2024.json")).unwrap();
    serde_json::from_value(file["rules"].clone()).unwrap()
}

fn scores(twk: i32, tiu: i32, tkp: i32) -> BTreeMap<String, i32> {
    BTreeMap::from([
        ("TWK".to_string(), twk),
        ("TIU".to_string(), tiu),
        ("TKP".to_string(), tkp),
    ])
}

fn plan() -> Vec<Stage> {
    let plan = serde_json::json!([
        {"code": "ADM", "name": "Administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "SKD", "kind": "objective", "test": "skd", "weight_percent": 40},
        {"code": "SKB", "name": "SKB", "kind": "composite", "weight_percent": 60},
    ]);
    serde_json::from_value(plan).unwrap()
}

/// An opening in `status` at stage `current` (SKD is index 1), locked or not.
fn opening(status: OpeningStatus, current: Option<i32>, locked: bool) -> Opening {
    let now = Timestamp::now();
    Opening {
        id: OpeningId::generate(),
        agency_id: AgencyId::generate(),
        round_id: RoundId::generate(),
        position_id: PositionId::generate(),
        rule_set_id: None,
        code: "PK-001".into(),
        unit: "Direktorat".into(),
        location: "Jakarta".into(),
        kind: crate::openings::model::OpeningKind::Recruitment,
        status,
        quota: 1,
        seat_groups: "[]".into(),
        eligibility: "{}".into(),
        plan: "{}".into(),
        application_opens_at: now,
        application_closes_at: now,
        current_stage: current,
        stage_locked: locked,
        published_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The codes of a row's verdict (`ok` when it is accepted).
fn verdict(scores: &BTreeMap<String, i32>, target: Option<&Result<(), Refusal>>) -> Vec<String> {
    match row_verdict(&casn_2024(), 7, scores, target) {
        Ok(()) => vec!["ok".into()],
        Err(errors) => errors
            .into_iter()
            .map(|e| {
                assert_eq!(e.row, 7);
                format!("{}:{}", e.field, e.code)
            })
            .collect(),
    }
}

const FOUND: Option<&Result<(), Refusal>> = Some(&Ok(()));

#[test]
fn a_twk_score_off_the_five_point_scheme_is_an_invalid_score() {
    assert_eq!(verdict(&scores(62, 80, 166), FOUND), ["TWK:invalid_score"]);
    assert_eq!(verdict(&scores(65, 81, 166), FOUND), ["TIU:invalid_score"]);
    // TKP scores 1 to 5 a question: any whole number in range fits.
    assert_eq!(verdict(&scores(65, 80, 167), FOUND), ["ok"]);
}

#[test]
fn scores_at_the_maxima_and_zero_are_accepted_and_one_past_is_not() {
    assert_eq!(verdict(&scores(150, 175, 225), FOUND), ["ok"]);
    assert_eq!(verdict(&scores(0, 0, 0), FOUND), ["ok"]);
    assert_eq!(
        verdict(&scores(150, 175, 226), FOUND),
        ["TKP:invalid_score"]
    );
    assert_eq!(verdict(&scores(150, 175, -1), FOUND), ["TKP:invalid_score"]);
    // 155 is on the scheme but out of range.
    assert_eq!(
        verdict(&scores(155, 180, 225), FOUND),
        ["TWK:invalid_score", "TIU:invalid_score"]
    );
}

#[test]
fn a_row_with_a_missing_or_unknown_subtest_is_refused_before_its_number_is_looked_at() {
    let mut missing = scores(100, 100, 200);
    missing.remove("TKP");
    assert_eq!(verdict(&missing, None), ["TKP:invalid_score"]);
    let mut extra = scores(100, 100, 200);
    extra.insert("CAT-SKB".into(), 300);
    assert_eq!(verdict(&extra, FOUND), ["CAT-SKB:invalid_score"]);
}

#[test]
fn good_scores_still_need_a_known_number_whose_application_takes_scores() {
    assert_eq!(
        verdict(&scores(100, 100, 200), None),
        ["registration_number:unknown_registration_number"]
    );
    let locked = Err(Refusal::new(RESULTS_LOCKED, "locked"));
    assert_eq!(
        verdict(&scores(100, 100, 200), Some(&locked)),
        ["registration_number:results_locked"]
    );
}

#[test]
fn only_admitted_applications_that_are_not_withdrawn_take_scores() {
    assert_eq!(
        application_takes_scores(ApplicationStatus::Submitted, Some(ADMITTED)),
        Ok(())
    );
    let code = |status, screening| {
        application_takes_scores(status, screening)
            .unwrap_err()
            .code
    };
    let ineligible = Some(ScreeningOutcome::Ineligible);
    assert_eq!(
        code(ApplicationStatus::Submitted, ineligible),
        "not_admitted"
    );
    // No screening result yet: absent from screening is not admitted.
    assert_eq!(code(ApplicationStatus::Submitted, None), "not_admitted");
    assert_eq!(
        code(ApplicationStatus::Withdrawn, Some(ADMITTED)),
        "application_withdrawn"
    );
}

#[test]
fn an_opening_takes_scores_only_at_its_skd_stage_under_way_and_unlocked() {
    let stages = plan();
    let skd = lookup_stage(&stages, "SKD");
    assert!(matches!(skd, StageLookup::Skd(1, _)));
    let code = |o: &Opening, lookup: &StageLookup| {
        opening_takes_scores(o, "SKD", lookup).err().map(|r| r.code)
    };
    let under_way = opening(OpeningStatus::Assessing, Some(1), false);
    assert_eq!(code(&under_way, &skd), None);
    assert_eq!(
        code(&opening(OpeningStatus::Assessing, Some(1), true), &skd),
        Some(RESULTS_LOCKED)
    );
    assert_eq!(
        code(&opening(OpeningStatus::Screening, None, false), &skd),
        Some("stage_not_under_way")
    );
    assert_eq!(
        code(&opening(OpeningStatus::Assessing, Some(2), false), &skd),
        Some("stage_not_under_way")
    );
    assert_eq!(
        code(&under_way, &lookup_stage(&stages, "SKB")),
        Some("not_an_skd_stage")
    );
}

#[test]
fn an_import_stage_must_be_an_exact_skd_code_of_some_plan() {
    let stages = plan();
    assert_eq!(import_stage("SKD", [stages.as_slice()]), Ok(()));
    let err = |code| import_stage(code, [stages.as_slice()]).unwrap_err();
    assert!(
        err("skd").contains("stage codes are exact: SKD"),
        "{}",
        err("skd")
    );
    assert!(
        err("SKB").contains("not an objective test (its kind is composite)"),
        "{}",
        err("SKB")
    );
    assert!(err("ADM").contains("administrative"), "{}", err("ADM"));
    assert!(err("XYZ").contains("no opening"), "{}", err("XYZ"));
    assert!(import_stage("SKD", std::iter::empty::<&[Stage]>()).is_err());
    // SKD in one plan is enough; the others are judged row by row.
    let other = &stages[..1];
    assert_eq!(import_stage("SKD", [other, stages.as_slice()]), Ok(()));
}

#[test]
fn a_whole_file_commits_only_without_rejected_rows() {
    assert!(whole_file_commits(0));
    assert!(!whole_file_commits(1));
}

#[test]
fn corrections_wait_for_the_lock_and_results_wait_for_the_start() {
    let allowed = |o: &Opening| correction_allowed(o, 1).err().map(|r| r.code);
    assert_eq!(
        allowed(&opening(OpeningStatus::Assessing, Some(1), false)),
        Some("results_not_locked")
    );
    assert_eq!(
        allowed(&opening(OpeningStatus::Assessing, Some(1), true)),
        None
    );
    assert_eq!(
        allowed(&opening(OpeningStatus::Assessing, Some(2), false)),
        None
    );
    assert_eq!(allowed(&opening(OpeningStatus::Ranked, None, false)), None);
    assert_eq!(
        allowed(&opening(OpeningStatus::Screening, None, false)),
        Some("stage_not_under_way")
    );

    assert!(!stage_has_results(
        &opening(OpeningStatus::Published, None, false),
        1
    ));
    assert!(!stage_has_results(
        &opening(OpeningStatus::Assessing, Some(0), false),
        1
    ));
    assert!(stage_has_results(
        &opening(OpeningStatus::Assessing, Some(1), false),
        1
    ));
    assert!(stage_has_results(
        &opening(OpeningStatus::Finalized, None, false),
        1
    ));
}

#[test]
fn who_goes_on_follows_the_stage_or_the_rule_sets_multiplier() {
    let groups = vec![
        SeatGroup {
            group: "general".into(),
            seats: 2,
        },
        SeatGroup {
            group: "disability".into(),
            seats: 1,
        },
    ];
    let seats = |pairs: &[(&str, i32)]| -> BTreeMap<String, i32> {
        pairs.iter().map(|(g, n)| (g.to_string(), *n)).collect()
    };
    assert_eq!(
        advance_quota(
            Some(&Advance::MultipleOfQuota { multiplier: 3 }),
            &groups,
            5
        ),
        (3, seats(&[("general", 2), ("disability", 1)]))
    );
    assert_eq!(
        advance_quota(Some(&Advance::Absolute { count: 10 }), &groups, 5),
        (1, seats(&[("general", 10), ("disability", 10)]))
    );
    assert_eq!(
        advance_quota(None, &groups, 5),
        (5, seats(&[("general", 2), ("disability", 1)]))
    );
    let (multiplier, all) = advance_quota(Some(&Advance::AllPassers {}), &groups, 5);
    assert_eq!(multiplier, 1);
    assert!(all.values().all(|&n| n > 1_000_000));
}
