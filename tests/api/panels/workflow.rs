//! Blind panel scoring end to end: rubrics, a panel that cannot start until every member has
//! declared, the random balanced assignment, independent scores, the lock, fixed-point results,
//! and conflict-of-interest recusal that never tells the panelist which applicant matched.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::panel_world::*;
use crate::world;

#[actix_web::test]
async fn a_blind_panel_scores_independently_locks_and_gives_fixed_point_results() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 6, 3, true, 2).await;
    world::start_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    import_skd_for_all(&app, &w).await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    // No member has declared: the stage cannot start.
    let problem = assert_problem(
        world::stage_act(&app, &w.r.hr, &w.opening, "start-stage", "WWN").await,
        409,
        "declaration_missing",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&w.members[0].id.to_string()),
        "{problem}"
    );
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    world::start_stage(&app, &w.r.hr, &w.opening, "WWN").await;
    let panel = app
        .get_json(&format!("/api/v1/panels/{}", w.panel), &w.r.hr)
        .await;
    assert_eq!(panel["status"], "scoring", "{panel}");
    assert!(panel["assignment_seed"].as_i64().is_some(), "{panel}");

    // 6 applications × 2 scorers over 3 members: 4 each, and each application twice.
    let mut all = Vec::new();
    for m in &w.members {
        let q = queue(&app, m, &w.panel).await;
        assert_eq!(q["items"].as_array().unwrap().len(), 4, "{q}");
        assert_eq!(q["recusals_happened"], false);
        all.extend(codes(&q));
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 6);

    // Reading the others' scores needs one's own first.
    let m0 = &w.members[0];
    let first = codes(&queue(&app, m0, &w.panel).await)[0].clone();
    assert_problem(
        app.get(
            &format!("/api/v1/panels/{}/queue/{first}/scores", w.panel),
            m0,
        )
        .send()
        .await
        .unwrap(),
        409,
        "own_score_missing",
    )
    .await;
    // A level at an end of the scale needs a justification.
    assert_problem(
        submit(
            &app,
            m0,
            &w.panel,
            &first,
            &json!({"levels": {"INTEGRITY": 5, "TEAMWORK": 3}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // The chair cannot lock with scores missing unless it justifies a deviation.
    assert_problem(
        app.post(&format!("/api/v1/panels/{}/lock", w.panel), m0)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        422,
        "justification_required",
    )
    .await;

    // Everyone scores INTEGRITY 4, TEAMWORK 3: weighted (0.6×4 + 0.4×3) = 3.6; stage score
    // (3.6 − 1) / (5 − 1) × 100 = 65.
    for m in &w.members {
        for code in codes(&queue(&app, m, &w.panel).await) {
            let response = submit(&app, m, &w.panel, &code, &score_body(4, 3)).await;
            let body = created(response, "score").await;
            assert_eq!(body["weighted_x100"], 360, "{body}");
        }
    }
    // A second submission is refused; the others' scores are now readable, and that freezes
    // one's own.
    assert_problem(
        submit(&app, m0, &w.panel, &first, &score_body(4, 3)).await,
        409,
        "score_exists",
    )
    .await;
    let others = app
        .get_json(
            &format!("/api/v1/panels/{}/queue/{first}/scores", w.panel),
            m0,
        )
        .await;
    assert_eq!(others["items"].as_array().unwrap().len(), 2, "{others}");
    let amend =
        json!({"levels": {"INTEGRITY": 3, "TEAMWORK": 3}, "reason": "Re-read the second answer."});
    assert_problem(
        app.put(
            &format!("/api/v1/panels/{}/queue/{first}/score", w.panel),
            m0,
        )
        .json(&amend)
        .send()
        .await
        .unwrap(),
        409,
        "others_scores_seen",
    )
    .await;
    // Amending another application before seeing the others' is a new version, all kept; then
    // back to 4/3 so every application ends equal.
    let second = codes(&queue(&app, m0, &w.panel).await)[1].clone();
    let path = format!("/api/v1/panels/{}/queue/{second}/score", w.panel);
    let v2 = ok(
        app.put(&path, m0).json(&amend).send().await.unwrap(),
        "amend",
    )
    .await;
    assert_eq!(
        (v2["version"].as_i64(), v2["weighted_x100"].as_i64()),
        (Some(2), Some(300)),
        "{v2}"
    );
    let back = json!({"levels": {"INTEGRITY": 4, "TEAMWORK": 3}, "reason": "Restored after the panel's review."});
    ok(
        app.put(&path, m0).json(&back).send().await.unwrap(),
        "amend",
    )
    .await;
    let versions = app.get_json(&path, m0).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 3, "{versions}");

    // Only the chair locks; after the lock every write is 409.
    let not_chair = &w.members[1];
    assert_problem(
        app.post(&format!("/api/v1/panels/{}/lock", w.panel), not_chair)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let lock = app
        .post(&format!("/api/v1/panels/{}/lock", w.panel), m0)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(lock.status(), 204);
    assert_problem(
        app.put(&path, m0).json(&back).send().await.unwrap(),
        409,
        "panel_locked",
    )
    .await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "WWN").await;

    let results = app
        .get_json(&format!("/api/v1/panels/{}/results", w.panel), &w.r.auditor)
        .await;
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{results}");
    for item in items {
        let r = &item["result"];
        assert_eq!(
            (
                r["scorers"].as_i64(),
                r["weighted_total_x100"].as_i64(),
                r["stage_score_x100"].as_i64()
            ),
            (Some(2), Some(360), Some(6500)),
            "{item}"
        );
        assert_eq!(
            r["criteria_x100"],
            json!({"INTEGRITY": 400, "TEAMWORK": 300})
        );
        assert_eq!(r["divergent"], false);
    }
    let analytics = app
        .get_json(
            &format!("/api/v1/panels/{}/analytics", w.panel),
            &w.r.auditor,
        )
        .await;
    assert_eq!(
        analytics["raters"].as_array().unwrap().len(),
        3,
        "{analytics}"
    );
    assert_eq!(analytics["recusals"], 0);
    // Every member gave 4/3 everywhere: no variance, so no reliability figure.
    assert!(analytics["reliability"].is_null(), "{analytics}");
    let verify = app.get_json("/api/v1/audit/verify", &w.r.admin).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

/// Every text the panelist can read from their queue and declaration.
fn texts(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn a_declared_relatives_nik_recuses_the_panelist_and_reassigns_without_saying_which() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 6, 3, true, 2).await;
    let m0 = &w.members[0];
    // m0's spouse is applicant 3 (by NIK).
    let receipt = declare(
        &app,
        m0,
        &w.panel,
        json!([{"relation": "spouse", "name": "Siti Rahmawati 3", "nik": "3273014506990003"}]),
    )
    .await;
    for m in &w.members[1..] {
        declare(&app, m, &w.panel, json!([])).await;
    }
    start_panel_stage(&app, &w).await;
    let target = &w.applications[2];
    let assignments = app
        .get_json(
            &format!("/api/v1/panels/{}/assignments?limit=200", w.panel),
            &w.r.hr,
        )
        .await;
    let row = assignments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application_id"] == *target)
        .unwrap()
        .clone();
    let scorers = row["scorers"].as_array().unwrap();
    assert_eq!(scorers.len(), 2, "{row}");
    assert!(!scorers.contains(&json!(m0.id)), "{row}");
    let code = row["panel_code"].as_str().unwrap();

    // HR and auditors see the recusal and its basis; the panelist only that some happened.
    let recusals = app
        .get_json(
            &format!("/api/v1/panels/{}/recusals", w.panel),
            &w.r.auditor,
        )
        .await;
    let items = recusals["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{recusals}");
    assert_eq!(
        (
            items[0]["application_id"].as_str(),
            items[0]["basis"].as_str(),
            items[0]["detail"].as_str()
        ),
        (
            Some(target.as_str()),
            Some("declared_relation"),
            Some("spouse")
        )
    );
    let q0 = queue(&app, m0, &w.panel).await;
    assert_eq!(q0["recusals_happened"], true);
    assert!(!codes(&q0).contains(&code.to_string()));
    let seen = texts(&[&q0, &receipt]);
    for leak in [
        target.as_str(),
        w.numbers[2].as_str(),
        "3273014506990003",
        "Siti Rahmawati 3",
        "spouse",
    ] {
        assert!(!seen.contains(leak), "the panelist can read {leak}: {seen}");
    }
    // The code of the recused application answers 404 to them, like any code not theirs.
    assert_problem(
        submit(&app, m0, &w.panel, code, &score_body(3, 3)).await,
        404,
        "not_found",
    )
    .await;

    // When one of its scorers steps back, the replacement is never the related member: here
    // no one is left, and the application is short of a scorer rather than scored by m0.
    let stepping_back = scorers[0].as_str().unwrap();
    let member = w
        .members
        .iter()
        .find(|m| m.id.to_string() == stepping_back)
        .unwrap();
    let response = app
        .post(
            &format!("/api/v1/panels/{}/queue/{code}/recuse", w.panel),
            member,
        )
        .json(&json!({"reason": "I supervised this applicant's thesis."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let after = app
        .get_json(
            &format!("/api/v1/panels/{}/assignments?limit=200", w.panel),
            &w.r.hr,
        )
        .await;
    let now = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["application_id"] == *target)
        .unwrap()
        .clone();
    assert_eq!(now["scorers"], json!([scorers[1]]), "{now}");
}

#[actix_web::test]
async fn rubrics_are_versioned_and_checked() {
    let app = TestApp::spawn().await;
    let r = world::Recruitment::setup(&app).await;
    let v1 = created(
        app.post("/api/v1/rubrics", &r.hr)
            .json(&rubric_body("R1"))
            .send()
            .await
            .unwrap(),
        "rubric",
    )
    .await;
    assert_eq!(v1["version"], 1);
    assert_problem(
        app.post("/api/v1/rubrics", &r.hr)
            .json(&rubric_body("R1"))
            .send()
            .await
            .unwrap(),
        409,
        "rubric_exists",
    )
    .await;
    let mut content = rubric_body("R1");
    content.as_object_mut().unwrap().remove("code");
    let v2 = created(
        app.post(
            &format!("/api/v1/rubrics/{}/versions", v1["id"].as_str().unwrap()),
            &r.hr,
        )
        .json(&content)
        .send()
        .await
        .unwrap(),
        "version",
    )
    .await;
    assert_eq!(
        (v2["version"].as_i64(), v2["code"].as_str()),
        (Some(2), Some("R1"))
    );
    // A scale level without its descriptor is refused, naming the field.
    content["code"] = json!("R2");
    content["criteria"][0]["levels"]
        .as_array_mut()
        .unwrap()
        .pop();
    let problem = assert_problem(
        app.post("/api/v1/rubrics", &r.hr)
            .json(&content)
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        problem["errors"][0]["field"], "criteria[0].levels",
        "{problem}"
    );
    // Panelists and other roles cannot write rubrics.
    let panelist = app.user(asn_merit::auth::model::Role::Panelist, None).await;
    assert_problem(
        app.post("/api/v1/rubrics", &panelist)
            .json(&rubric_body("R3"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn a_jpt_panel_that_breaks_the_composition_rules_cannot_start_its_stage() {
    let app = TestApp::spawn().await;
    let w = forming_panel_for(&app, 3, 3, true, 2, "high_leadership").await;
    let internal = app
        .user(asn_merit::auth::model::Role::Panelist, Some(w.agency))
        .await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    world::start_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    import_skd_for_all(&app, &w).await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    let start = || world::stage_act(&app, &w.r.hr, &w.opening, "start-stage", "WWN");
    assert_problem(start().await, 422, "jpt_panel_size").await;
    // Five members, one of them a party member: refused, naming that rule.
    let party = app.user(asn_merit::auth::model::Role::Panelist, None).await;
    let body = json!({"user_id": party.id, "political_party_member": true});
    created(
        app.post(&format!("/api/v1/panels/{}/members", w.panel), &w.r.hr)
            .json(&body)
            .send()
            .await
            .unwrap(),
        "member",
    )
    .await;
    add_member(&app, &w.r.hr, &w.panel, &internal, false).await;
    for m in [&party, &internal] {
        declare(&app, m, &w.panel, json!([])).await;
    }
    assert_problem(start().await, 422, "jpt_panel_party_member").await;
    // Six: even.
    let sixth = app.user(asn_merit::auth::model::Role::Panelist, None).await;
    add_member(&app, &w.r.hr, &w.panel, &sixth, false).await;
    declare(&app, &sixth, &w.panel, json!([])).await;
    let path = format!("/api/v1/panels/{}/members/{}", w.panel, party.id);
    ok(app.delete(&path, &w.r.hr).send().await.unwrap(), "remove").await;
    let second_internal = app
        .user(asn_merit::auth::model::Role::Panelist, Some(w.agency))
        .await;
    add_member(&app, &w.r.hr, &w.panel, &second_internal, false).await;
    declare(&app, &second_internal, &w.panel, json!([])).await;
    let third_internal = app
        .user(asn_merit::auth::model::Role::Panelist, Some(w.agency))
        .await;
    add_member(&app, &w.r.hr, &w.panel, &third_internal, false).await;
    declare(&app, &third_internal, &w.panel, json!([])).await;
    // Seven with three internal (42.9 %) passes; a fourth internal (4 of 8) would be even.
    let panel = world::start_stage(&app, &w.r.hr, &w.opening, "WWN").await;
    assert_eq!(panel["current_stage_code"], "WWN", "{panel}");
    // An internal member scores through the membership grant.
    let q = queue(&app, &internal, &w.panel).await;
    assert_eq!(q["status"], "scoring", "{q}");
}
