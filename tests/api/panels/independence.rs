//! Independence of the panel from those who know the applicants, and of each scorer from the
//! others: who may sit, when declarations close, what the chair sees while moderating, and when
//! a lock can still be undone. Each test here failed before the fix it pins.

use asn_merit::auth::model::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};
use crate::panel_world::*;
use crate::world;

fn member_request(user: &TestUser) -> Value {
    json!({"user_id": user.id})
}

#[actix_web::test]
async fn the_openings_own_hr_officers_and_appointing_officials_cannot_sit_on_its_panels() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 2, 2, true, 2).await;
    let members = format!("/api/v1/panels/{}/members", w.panel);
    // They read the applications behind the panel codes and attach the material panelists see.
    for role in [Role::HrOfficer, Role::AppointingOfficial] {
        let own = app.user(role, Some(w.agency)).await;
        let response = app
            .post(&members, &w.r.hr)
            .json(&member_request(&own))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "user_id", "{problem}");
    }
    // The same roles of another agency, and panelists of this one, may.
    let other_agency = app.agency(&w.r.admin, "KEMENKEU").await;
    for (role, agency) in [
        (Role::HrOfficer, other_agency),
        (Role::AppointingOfficial, other_agency),
        (Role::Panelist, w.agency),
    ] {
        let user = app.user(role, Some(agency)).await;
        let response = app
            .post(&members, &w.r.hr)
            .json(&member_request(&user))
            .send()
            .await
            .unwrap();
        created(response, "member").await;
    }
}

/// A panelist of the agency who sits on its panel and is then made an HR officer.
async fn promoted_member(app: &TestApp, w: &PanelWorld, member: &TestUser) -> TestUser {
    let path = format!("/api/v1/users/{}", member.id);
    let response = app
        .patch(&path, &w.r.admin)
        .json(&json!({"role": "hr_officer"}))
        .send()
        .await
        .unwrap();
    ok(response, "role change").await;
    let token = app
        .mint_token(member.id, Role::HrOfficer, Some(w.agency))
        .await;
    TestUser {
        id: member.id,
        email: member.email.clone(),
        role: Role::HrOfficer,
        agency: Some(w.agency),
        token,
    }
}

const LOCK_WHY: &str = "Two applicants withdrew before their interviews took place.";
const UNLOCK_WHY: &str = "A scorer reported a clerical error in the second answer.";

async fn lock_with_justification(app: &TestApp, w: &PanelWorld) {
    let response = app
        .post(&format!("/api/v1/panels/{}/lock", w.panel), &w.members[0])
        .json(&json!({"justification": LOCK_WHY}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

async fn ppk_unlocks(app: &TestApp, w: &PanelWorld) {
    let response = app
        .post(&format!("/api/v1/panels/{}/unlock", w.panel), &w.r.ppk)
        .json(&json!({"justification": UNLOCK_WHY}))
        .send()
        .await
        .unwrap();
    ok(response, "unlock").await;
}

/// A member keeps their role while their panel is open; one whose role changed after the lock
/// and whose panel was then unlocked reaches it only as a member again.
#[actix_web::test]
async fn a_sitting_member_reads_and_manages_nothing_of_the_panel_by_role_until_its_lock() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 4, 2, true, 2).await;
    let insider = app.user(Role::Panelist, Some(w.agency)).await;
    add_member(&app, &w.r.hr, &w.panel, &insider, false).await;
    for m in w.members.iter().chain([&insider]) {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let response = app
        .patch(&format!("/api/v1/users/{}", insider.id), &w.r.admin)
        .json(&json!({"role": "hr_officer"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 409, "sits_on_panel").await;
    let p = &w.panel;
    let material = format!(
        "/api/v1/panels/{p}/applications/{}/material",
        w.applications[0]
    );
    let body = json!({"answers": [{"prompt": "Ceritakan sebuah tantangan.", "text": "Saya belajar."}], "work_samples": []});
    let response = app
        .put(&material, &w.r.hr)
        .json(&body)
        .send()
        .await
        .unwrap();
    ok(response, "HR attaches the material").await;
    lock_with_justification(&app, &w).await;
    let insider = promoted_member(&app, &w, &insider).await;
    ppk_unlocks(&app, &w).await;
    for path in [
        format!("/api/v1/openings/{}/panels", w.opening),
        format!("/api/v1/panels/{p}"),
        format!("/api/v1/panels/{p}/assignments"),
        format!("/api/v1/panels/{p}/results"),
        format!("/api/v1/panels/{p}/analytics"),
        format!("/api/v1/panels/{p}/recusals"),
        material.clone(),
    ] {
        // The opening's other HR officer reads it; the sitting member does not.
        ok(app.get(&path, &w.r.hr).send().await.unwrap(), &path).await;
        let response = app.get(&path, &insider).send().await.unwrap();
        assert_problem(response, 403, "sitting_member").await;
    }
    let response = app
        .put(&material, &insider)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "sitting_member").await;
    // As a member they still reach their queue.
    queue(&app, &insider, p).await;
}

/// Reading the others' scores on a locked panel freezes one's own as it does while scoring,
/// so an unlock does not reopen a score its author has compared.
#[actix_web::test]
async fn scores_read_while_the_panel_is_locked_stay_frozen_after_an_unlock() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 2, 2, true, 2).await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    score_every_seat(&app, &w).await;
    chair_locks(&app, &w).await;
    let m = &w.members[1];
    let code = codes(&queue(&app, m, &w.panel).await).remove(0);
    let scores = format!("/api/v1/panels/{}/queue/{code}/scores", w.panel);
    ok(
        app.get(&scores, m).send().await.unwrap(),
        "the others' scores",
    )
    .await;
    ppk_unlocks(&app, &w).await;
    assert_amend_frozen(&app, &w, m, &code).await;
}

/// An amendment of `user`'s score of `code` is refused: they have seen the others' scores.
async fn assert_amend_frozen(app: &TestApp, w: &PanelWorld, user: &TestUser, code: &str) {
    let amend = json!({"levels": {"INTEGRITY": 2, "TEAMWORK": 2}, "reason": "Now that I have seen theirs."});
    let response = app
        .put(
            &format!("/api/v1/panels/{}/queue/{code}/score", w.panel),
            user,
        )
        .json(&amend)
        .send()
        .await
        .unwrap();
    assert_problem(response, 409, "others_scores_seen").await;
}

#[actix_web::test]
async fn declarations_close_when_the_stage_starts_so_a_number_cannot_be_tested_against_the_roster()
{
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 4, 3, true, 2).await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let assignments = format!("/api/v1/panels/{}/assignments?limit=200", w.panel);
    let before = app.get_json(&assignments, &w.r.hr).await;
    let q_before = queue(&app, &w.members[1], &w.panel).await;
    // Applicant 2's KK: before the fix this recused the member at once, and their queue said so.
    let relation = json!([{"relation": "sibling", "name": "Adik", "kk": "3273010101000002"}]);
    let response = app
        .put(
            &format!("/api/v1/panels/{}/declaration", w.panel),
            &w.members[1],
        )
        .json(&json!({"relations": relation, "ties": []}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 409, "panel_started").await;
    assert_eq!(app.get_json(&assignments, &w.r.hr).await, before);
    assert_eq!(queue(&app, &w.members[1], &w.panel).await, q_before);
}

/// Everyone's scorers of each panel code, as HR sees them.
async fn scorers_by_code(app: &TestApp, w: &PanelWorld) -> Vec<(String, Vec<String>)> {
    let path = format!("/api/v1/panels/{}/assignments?limit=200", w.panel);
    let body = app.get_json(&path, &w.r.hr).await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let scorers = a["scorers"].as_array().unwrap();
            (
                a["panel_code"].as_str().unwrap().to_string(),
                scorers
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Each of `scorers` (user ids) scores `code` at the level paired with them, on every criterion.
async fn scores_by(app: &TestApp, w: &PanelWorld, code: &str, scorers: &[String], levels: &[i32]) {
    for (u, level) in scorers.iter().zip(levels) {
        let response = submit(
            app,
            member(w, u),
            &w.panel,
            code,
            &score_body(*level, *level),
        )
        .await;
        created(response, "score").await;
    }
}

fn member<'a>(w: &'a PanelWorld, id: &str) -> &'a TestUser {
    w.members.iter().find(|m| m.id.to_string() == id).unwrap()
}

async fn moderation_codes(app: &TestApp, w: &PanelWorld, chair: &TestUser) -> Vec<String> {
    let path = format!("/api/v1/panels/{}/moderation", w.panel);
    let body = app.get_json(&path, chair).await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["panel_code"].as_str().unwrap().to_string())
        .collect()
}

async fn moderate(
    app: &TestApp,
    w: &PanelWorld,
    chair: &TestUser,
    code: &str,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/panels/{}/moderation/{code}", w.panel),
        chair,
    )
    .json(&json!({"note": "The panel discussed the second answer."}))
    .send()
    .await
    .unwrap()
}

/// The moderation view shows the chair the others' totals, so it freezes the chair's own score
/// of what they score, as reading the scores in the queue does.
#[actix_web::test]
async fn seeing_totals_in_moderation_freezes_the_chairs_own_score() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 1, 2, true, 2).await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let (chair, other) = (&w.members[0], &w.members[1]);
    let code = codes(&queue(&app, chair, &w.panel).await).remove(0);
    created(
        submit(&app, chair, &w.panel, &code, &score_body(5, 5)).await,
        "score",
    )
    .await;
    created(
        submit(&app, other, &w.panel, &code, &score_body(1, 1)).await,
        "score",
    )
    .await;
    assert_eq!(moderation_codes(&app, &w, chair).await, vec![code.clone()]);
    assert_amend_frozen(&app, &w, chair, &code).await;
}

/// A chair who may have read an application's totals in moderation never becomes its scorer.
#[actix_web::test]
async fn a_chair_who_may_have_seen_the_totals_is_not_a_replacement_scorer() {
    let app = TestApp::spawn().await;
    // Three members, two scorers each: some application is scored by the two others only.
    let w = forming_panel(&app, 3, 3, true, 2).await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let chair = &w.members[0];
    let chair_id = chair.id.to_string();
    let seats = scorers_by_code(&app, &w).await;
    let (code, scorers) = seats.iter().find(|(_, s)| !s.contains(&chair_id)).unwrap();
    scores_by(&app, &w, code, scorers, &[5, 1]).await;
    assert_eq!(moderation_codes(&app, &w, chair).await, vec![code.clone()]);
    // The low scorer steps back; the chair is the only member left who could take it over.
    let leaving = member(&w, &scorers[1]);
    let response = app
        .post(
            &format!("/api/v1/panels/{}/queue/{code}/recuse", w.panel),
            leaving,
        )
        .json(&json!({"reason": "I have since learned I know this applicant."}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let after = scorers_by_code(&app, &w).await;
    let (_, now) = after.iter().find(|(c, _)| c == code).unwrap();
    assert_eq!(now, &vec![scorers[0].clone()], "the chair must not replace");
    assert!(!codes(&queue(&app, chair, &w.panel).await).contains(code));
}

#[actix_web::test]
async fn the_chair_moderates_only_what_they_may_see_and_counts_only_current_scorers() {
    let app = TestApp::spawn().await;
    // Four applications, four members, three scorers each: the chair scores three of them.
    let w = forming_panel(&app, 4, 4, true, 3).await;
    let chair = &w.members[0];
    // The chair's relative is applicant 4, whom the three others then score.
    let spouse = json!([{"relation": "spouse", "name": "Siti", "nik": "3273014506990004"}]);
    declare(&app, chair, &w.panel, spouse).await;
    for m in &w.members[1..] {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let chair_id = chair.id.to_string();
    let seats = scorers_by_code(&app, &w).await;
    let (related, theirs) = seats.iter().find(|(_, s)| !s.contains(&chair_id)).unwrap();
    let mut own = seats.iter().filter(|(_, s)| s.contains(&chair_id));
    let (unscored, with_chair) = own.next().unwrap();
    let (scored, scored_with) = own.next().unwrap();
    // Divergent: one other scorer gives 5s, another 1s.
    let others = |s: &Vec<String>| -> Vec<String> {
        s.iter().filter(|u| **u != chair_id).cloned().collect()
    };
    for (code, scorers) in [(related, theirs.clone()), (unscored, others(with_chair))] {
        scores_by(&app, &w, code, &scorers, &[5, 1, 3]).await;
    }
    // Neither the related applicant's divergent scores nor those of one the chair has still
    // to score are the chair's to see.
    assert!(moderation_codes(&app, &w, chair).await.is_empty());
    assert_problem(moderate(&app, &w, chair, related).await, 404, "not_found").await;
    assert_problem(
        moderate(&app, &w, chair, unscored).await,
        409,
        "own_score_missing",
    )
    .await;

    // Once the chair has scored it, they moderate it.
    created(
        submit(&app, chair, &w.panel, unscored, &score_body(3, 3)).await,
        "score",
    )
    .await;
    assert_eq!(
        moderation_codes(&app, &w, chair).await,
        vec![unscored.clone()]
    );
    // An application on which the scorers agree is not moderated.
    for u in scored_with {
        let response = submit(&app, member(&w, u), &w.panel, scored, &score_body(3, 3)).await;
        created(response, "score").await;
    }
    assert_problem(
        moderate(&app, &w, chair, scored).await,
        409,
        "not_divergent",
    )
    .await;

    // The scorer who gave 1s steps back after scoring: the totals moderated are of the current
    // scorers only (the replacement has not scored yet).
    let low = &others(with_chair)[1];
    let response = app
        .post(
            &format!("/api/v1/panels/{}/queue/{unscored}/recuse", w.panel),
            member(&w, low),
        )
        .json(&json!({"reason": "I supervised this applicant's thesis."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // Chair 3s and the remaining scorer's 5s: weighted 300 and 500, still divergent.
    let item = ok(moderate(&app, &w, chair, unscored).await, "moderation").await;
    assert_eq!(item["weighted_totals_x100"], json!([300, 500]), "{item}");
    assert_eq!(item["spread_x100"], 200, "{item}");
}

/// Every member scores every application in their queue.
async fn score_every_seat(app: &TestApp, w: &PanelWorld) {
    for m in &w.members {
        for code in codes(&queue(app, m, &w.panel).await) {
            created(
                submit(app, m, &w.panel, &code, &score_body(4, 3)).await,
                "score",
            )
            .await;
        }
    }
}

async fn chair_locks(app: &TestApp, w: &PanelWorld) {
    let response = app
        .post(&format!("/api/v1/panels/{}/lock", w.panel), &w.members[0])
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[actix_web::test]
async fn a_panel_cannot_be_unlocked_once_the_opening_has_moved_past_its_stage() {
    let app = TestApp::spawn().await;
    // The panel stage comes first, SKD after it.
    let plan = json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "WWN", "name": "Wawancara", "kind": "panel", "weight_percent": 60, "score_min": 0, "score_max": 100,
         "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}},
        {"code": "SKD", "name": "Seleksi kompetensi dasar", "kind": "objective", "test": "skd", "weight_percent": 40,
         "advance": {"kind": "multiple_of_quota", "multiplier": 3}}
    ]});
    let w = forming_panel_with_plan(&app, 2, 2, plan, "functional").await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    world::start_stage(&app, &w.r.hr, &w.opening, "WWN").await;
    score_every_seat(&app, &w).await;
    let unlock = format!("/api/v1/panels/{}/unlock", w.panel);
    let why = json!({"justification": "A scorer reported a clerical error in the second answer."});
    chair_locks(&app, &w).await;
    // While the stage is open the appointing official may unlock, as a deviation.
    let view = ok(
        app.post(&unlock, &w.r.ppk).json(&why).send().await.unwrap(),
        "unlock",
    )
    .await;
    assert_eq!(view["status"], "scoring", "{view}");
    let deviations = app.get_json("/api/v1/deviations", &w.r.ppk).await;
    let kinds: Vec<&Value> = deviations["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["kind"])
        .collect();
    assert!(kinds.contains(&&json!("panel_unlocked")), "{deviations}");
    chair_locks(&app, &w).await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "WWN").await;
    world::start_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    let response = app.post(&unlock, &w.r.ppk).json(&why).send().await.unwrap();
    assert_problem(response, 409, "stage_locked").await;
}

#[actix_web::test]
async fn a_panel_stage_after_another_panel_stage_waits_for_results_that_decide_who_goes_on() {
    let app = TestApp::spawn().await;
    let plan = json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "Seleksi kompetensi dasar", "kind": "objective", "test": "skd", "weight_percent": 40,
         "advance": {"kind": "multiple_of_quota", "multiplier": 3}},
        {"code": "WWN", "name": "Wawancara", "kind": "panel", "weight_percent": 30, "score_min": 0, "score_max": 100,
         "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}},
        {"code": "PRK", "name": "Praktik kerja", "kind": "panel", "weight_percent": 30, "score_min": 0, "score_max": 100,
         "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}}
    ]});
    let w = forming_panel_with_plan(&app, 2, 2, plan, "functional").await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    score_every_seat(&app, &w).await;
    chair_locks(&app, &w).await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "WWN").await;
    // Until panel stages have pass marks, nothing decides who of WWN goes on to PRK; starting
    // PRK used to take every admitted applicant instead.
    let response = world::stage_act(&app, &w.r.hr, &w.opening, "start-stage", "PRK").await;
    assert_problem(response, 409, "roster_undecided").await;
}
