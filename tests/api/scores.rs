//! SKD scores: import with row rules, stage results (thresholds per seat group, ranks, who goes
//! on with ties at the cut-off), and locked results.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::world::*;

/// An opening with 1 general, 1 cum laude and 1 disability seat, whose window closes in 1.5 s;
/// `people` = (serial, seat group) applications are recorded before it closes. Returns the
/// opening id once its SKD stage is under way, and the registration numbers by serial.
async fn opening_at_skd(
    app: &TestApp,
    r: &Recruitment,
    people: &[(u32, &str)],
) -> (String, Vec<(u32, String)>) {
    let mut body = r.opening_body("SKD-001");
    body["seat_groups"] = json!([{"group": "general", "seats": 1}, {"group": "cum_laude", "seats": 1}, {"group": "disability", "seats": 1}]);
    body["application_closes_at"] =
        json!((chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339());
    let opening = id_of(&draft_opening(app, &r.hr, &body).await);
    publish(app, &r.hr, &opening).await;
    let mut numbers = Vec::new();
    for (serial, group) in people {
        let mut applicant = applicant(*serial);
        applicant["seat_group"] = json!(group);
        let response = apply(app, &r.hr, &opening, &applicant).await;
        let created: Value = response.json().await.unwrap();
        numbers.push((
            *serial,
            created["registration_number"].as_str().unwrap().to_string(),
        ));
    }
    app.advance(chrono::Duration::milliseconds(1600));
    for action in ["close", "start-screening"] {
        assert_eq!(
            act(app, &r.hr, &opening, action).await.status(),
            200,
            "{action}"
        );
    }
    pass_screening(app, &r.hr, &opening).await;
    start_stage(app, &r.hr, &opening, "SKD").await;
    (opening, numbers)
}

async fn import_scores(app: &TestApp, r: &Recruitment, mode: &str, csv: String) -> (u16, Value) {
    let response = app
        .post(
            &format!(
                "/api/v1/selection-rounds/{}/scores?stage=SKD&mode={mode}",
                r.round
            ),
            &r.hr,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The opening's SKD stage results, as the round's auditor reads them.
async fn skd_results(app: &TestApp, r: &Recruitment, opening: &str) -> Value {
    app.get(
        &format!("/api/v1/openings/{opening}/stages/SKD/results"),
        &r.auditor,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// The item of a listing (`items`) with this registration number.
fn item_for<'a>(page: &'a Value, registration_number: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["registration_number"] == registration_number)
        .unwrap_or_else(|| panic!("{registration_number} is not listed: {page}"))
}

#[actix_web::test]
async fn skd_results_apply_each_seat_groups_thresholds_and_let_ties_at_the_cut_off_through() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let people = [
        (1, "general"),
        (2, "general"),
        (3, "general"),
        (4, "general"),
        (5, "general"),
        (6, "general"),
        (7, "cum_laude"),
        (8, "disability"),
        (9, "general"),
    ];
    let (opening, numbers) = opening_at_skd(&app, &r, &people).await;
    let number = |serial: u32| {
        numbers
            .iter()
            .find(|(s, _)| *s == serial)
            .unwrap()
            .1
            .clone()
    };
    let scores = [
        (1, 100, 120, 200),
        (2, 100, 120, 190),
        (3, 95, 115, 200),
        (4, 100, 120, 190),
        (5, 60, 150, 220),
        (6, 90, 100, 170),
        (7, 80, 85, 150),
        (8, 50, 55, 190),
    ];
    let mut csv = String::from("registration_number,TWK,TIU,TKP\n");
    for (serial, twk, tiu, tkp) in scores {
        csv.push_str(&format!("{},{twk},{tiu},{tkp}\n", number(serial)));
    }
    // Bad rows: TWK not a multiple of 5, TIU above its maximum, an unknown number.
    let bad = format!(
        "{csv}{},62,100,170\n{},90,180,170\nNO-SUCH-NUMBER,90,100,170\n",
        number(9),
        number(9)
    );

    let (status, report) = import_scores(&app, &r, "all_or_nothing", bad.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["recorded"].as_bool(),
            report["rows_accepted"].as_i64(),
            report["rows_rejected"].as_i64()
        ),
        (Some(false), Some(0), Some(3))
    );
    let codes: Vec<(i64, &str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (9, "TWK", "invalid_score"),
            (10, "TIU", "invalid_score"),
            (11, "registration_number", "unknown_registration_number")
        ]
    );
    let results = skd_results(&app, &r, &opening).await;
    assert!(
        results["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["scores"].is_null()),
        "nothing recorded: {results}"
    );

    let (status, report) = import_scores(&app, &r, "valid_rows", bad).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            report["rows_accepted"].as_i64(),
            report["rows_rejected"].as_i64()
        ),
        (Some(8), Some(3)),
        "{report}"
    );

    let results = skd_results(&app, &r, &opening).await;
    assert_eq!(results["multiplier"], 3);
    let by_number = |serial: u32| -> Value { item_for(&results, &number(serial)).clone() };
    let outcome = |serial: u32| {
        let row = by_number(serial);
        (
            row["passed"].as_bool().unwrap(),
            row["rank"].as_i64(),
            row["goes_on"].as_bool().unwrap(),
        )
    };
    assert_eq!(outcome(1), (true, Some(1), true));
    assert_eq!(outcome(3), (true, Some(2), true), "equal total, higher TKP");
    assert_eq!(outcome(2), (true, Some(3), true));
    assert_eq!(
        outcome(4),
        (true, Some(3), true),
        "tied with the last place on the whole chain"
    );
    assert_eq!(outcome(6), (true, Some(5), false));
    assert_eq!(outcome(5), (false, None, false));
    assert_eq!(
        by_number(5)["failed"],
        json!([{"rule": "TWK", "minimum": 65, "actual": 60}])
    );
    assert!(
        by_number(5)["reason"]
            .as_str()
            .unwrap()
            .contains("TWK 60 < 65"),
        "{}",
        by_number(5)
    );
    // Cum laude: total 315 >= 311 and TIU 85 >= 85 under its own threshold set.
    assert_eq!(outcome(7), (true, Some(1), true));
    assert_eq!(by_number(7)["threshold_set"], "cum_laude_diaspora");
    // Disability: total 295 >= 286 but TIU 55 < 60.
    assert_eq!(outcome(8), (false, None, false));
    assert_eq!(
        by_number(8)["failed"],
        json!([{"rule": "TIU", "minimum": 60, "actual": 55}])
    );
    assert_eq!(by_number(9)["reason"], "absent: no score recorded");
    assert!(!results.to_string().contains("Siti"), "results name no one");

    // Batches are audited with a digest, not row by row.
    let events: Value = app
        .get(
            "/api/v1/audit/events?action=objective_scores.recorded",
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    let payload: Value = serde_json::from_str(events[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["rows"], 8);
    assert_eq!(payload["scores_sha256"].as_str().unwrap().len(), 64);

    // Before the lock a new file replaces scores; within one file the later row of an
    // application wins, as it would row by row.
    let total_of = |results: &Value, serial: u32| {
        let item = item_for(results, &number(serial));
        (item["total"].as_i64(), item["rank"].as_i64())
    };
    for (file_rows, expected) in [
        ([(90, 100, 170), (150, 175, 225)], (Some(550), Some(1))),
        ([(150, 175, 225), (90, 100, 170)], (Some(360), Some(5))),
    ] {
        let mut csv = String::from("registration_number,TWK,TIU,TKP\n");
        for (twk, tiu, tkp) in file_rows {
            csv.push_str(&format!("{},{twk},{tiu},{tkp}\n", number(6)));
        }
        let (status, report) = import_scores(&app, &r, "all_or_nothing", csv).await;
        assert_eq!(
            (status, report["rows_accepted"].as_i64()),
            (200, Some(2)),
            "{report}"
        );
        let now = skd_results(&app, &r, &opening).await;
        assert_eq!(total_of(&now, 6), expected, "{now}");
    }

    // Once the stage is locked, scores change only as a deviation.
    lock_stage(&app, &r.hr, &opening, "SKD").await;
    let relock = format!(
        "registration_number,TWK,TIU,TKP\n{},150,175,225\n",
        number(6)
    );
    let (_, report) = import_scores(&app, &r, "valid_rows", relock).await;
    assert_eq!(report["errors"][0]["code"], "results_locked", "{report}");
    let again = skd_results(&app, &r, &opening).await;
    assert_eq!(again["items"], results["items"]);
}

#[actix_web::test]
async fn a_score_file_with_the_wrong_columns_is_refused_whole() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    // An opening of the round has the SKD stage, so the request's stage is known.
    let opening = id_of(&r.published_opening(&app, "X-1").await);
    let (status, problem) = import_scores(
        &app,
        &r,
        "valid_rows",
        "registration_number,TWK,TIU\nX,100,100\n".into(),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "invalid_file");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("registration_number, TWK, TIU, TKP")
    );
    let not_skd = app
        .get(
            &format!("/api/v1/openings/{opening}/stages/SKB/results"),
            &r.hr,
        )
        .send()
        .await
        .unwrap();
    assert_problem(not_skd, 409, "stage_results_unavailable").await;
}

#[actix_web::test]
async fn screening_checks_every_application_against_the_requirements_with_reasons() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let mut body = r.opening_body("ADM-001");
    body["application_closes_at"] =
        json!((chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339());
    let opening = id_of(&draft_opening(&app, &r.hr, &body).await);
    publish(&app, &r.hr, &opening).await;
    let mut low_gpa = applicant(2);
    low_gpa["gpa_x100"] = json!(280);
    let mut diploma = applicant(3);
    diploma["education_level"] = json!("D3");
    let mut older = applicant(4);
    older["birth_date"] = json!("1980-01-01");
    older["nik"] = json!("3273014101800004");
    let mut numbers = Vec::new();
    for person in [applicant(1), low_gpa, diploma, older] {
        let response = apply(&app, &r.hr, &opening, &person).await;
        let created: Value = response.json().await.unwrap();
        numbers.push(
            created["registration_number"]
                .as_str()
                .unwrap_or_else(|| panic!("{created}"))
                .to_string(),
        );
    }
    // Not in screening yet.
    let early = app
        .post(&format!("/api/v1/openings/{opening}/screening/run"), &r.hr)
        .send()
        .await
        .unwrap();
    assert_problem(early, 409, "opening_state_conflict").await;
    app.advance(chrono::Duration::milliseconds(1600));
    for action in ["close", "start-screening"] {
        assert_eq!(act(&app, &r.hr, &opening, action).await.status(), 200);
    }
    let run: Value = app
        .post(&format!("/api/v1/openings/{opening}/screening/run"), &r.hr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run, json!({"checked": 4, "eligible": 1, "ineligible": 3}));
    let page: Value = app
        .get(&format!("/api/v1/openings/{opening}/screening"), &r.auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes = |number: &str| -> Vec<String> {
        let item = item_for(&page, number);
        item["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(&numbers[0]).is_empty());
    assert_eq!(codes(&numbers[1]), ["gpa_below_minimum"]);
    assert_eq!(codes(&numbers[2]), ["education_level_not_accepted"]);
    assert_eq!(codes(&numbers[3]), ["age_above_maximum"]);
    assert!(!page.to_string().contains("Siti"), "results name no one");
    let events: Value = app
        .get("/api/v1/audit/events?action=screening.run", &r.auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);

    // HR decides individually with a reason code; the previous outcome goes to the chain.
    let low_gpa_id = item_for(&page, &numbers[1])["application_id"]
        .as_str()
        .unwrap()
        .to_string();
    let decide = |body: Value| {
        let (app, hr, id) = (&app, &r.hr, low_gpa_id.clone());
        async move {
            app.post(&format!("/api/v1/applications/{id}/screening-decision"), hr)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let bad_code = decide(json!({"outcome": "eligible", "reason_code": "friend_of_the_minister", "note": "Diterima."})).await;
    assert_problem(bad_code, 422, "invalid_body").await;
    let note = "IPK 3,02 menurut transkrip resmi yang dilegalisasi.";
    let decided: Value = decide(
        json!({"outcome": "eligible", "reason_code": "requirement_met_on_review", "note": note}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (decided["outcome"].as_str(), decided["decided_by"].as_str()),
        (Some("eligible"), Some("hr_officer")),
        "{decided}"
    );
    let trail: Value = app
        .get(
            &format!("/api/v1/audit/events?action=screening.decided&object_id={low_gpa_id}"),
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payload: Value =
        serde_json::from_str(trail["items"][0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            payload["from"].as_str(),
            payload["to"].as_str(),
            payload["reason_code"].as_str()
        ),
        (
            Some("ineligible"),
            Some("eligible"),
            Some("requirement_met_on_review")
        )
    );
    assert_eq!(trail["items"][0]["justification"], note);
    // Published results change only through appeals.
    post_ok(
        &app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/screening/publish"),
    )
    .await;
    let rerun = app
        .post(&format!("/api/v1/openings/{opening}/screening/run"), &r.hr)
        .send()
        .await
        .unwrap();
    assert_problem(rerun, 409, "screening_published").await;
    let after_publication = decide(
        json!({"outcome": "ineligible", "reason_code": "other", "note": "Setelah diumumkan."}),
    )
    .await;
    assert_problem(after_publication, 409, "screening_published").await;
    // Locked screening results no longer change.
    end_appeal_window(&app, &opening).await;
    lock_stage(&app, &r.hr, &opening, "screening").await;
    let late = app
        .post(&format!("/api/v1/openings/{opening}/screening/run"), &r.hr)
        .send()
        .await
        .unwrap();
    assert_problem(late, 409, "opening_state_conflict").await;
    let late_decision = decide(
        json!({"outcome": "ineligible", "reason_code": "other", "note": "Terlambat diputuskan."}),
    )
    .await;
    assert_problem(late_decision, 409, "opening_state_conflict").await;
}

#[actix_web::test]
async fn a_locked_score_changes_only_as_a_deviation_by_the_appointing_official() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let (opening, numbers) = opening_at_skd(&app, &r, &[(1, "general"), (2, "general")]).await;
    let csv = format!(
        "registration_number,TWK,TIU,TKP\n{},100,120,200\n{},90,110,190\n",
        numbers[0].1, numbers[1].1
    );
    let (status, report) = import_scores(&app, &r, "all_or_nothing", csv.clone()).await;
    assert_eq!(
        (status, report["rows_accepted"].as_i64()),
        (200, Some(2)),
        "{report}"
    );
    let page: Value = app
        .get(&format!("/api/v1/openings/{opening}/applications"), &r.hr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["registration_number"] == numbers[1].1.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let correct = |user: &crate::helpers::TestUser, body: Value| {
        app.post(
            &format!("/api/v1/applications/{second}/score-corrections"),
            user,
        )
        .json(&body)
        .send()
    };
    let justification = "Berita acara BKN nomor 45/2024 mengoreksi nilai TIU peserta ini.";
    let corrected = json!({"stage": "SKD", "scores": {"TWK": 90, "TIU": 125, "TKP": 190}, "justification": justification});

    // While the stage is open, scores are imported, not corrected.
    assert_problem(
        correct(&r.ppk, corrected.clone()).await.unwrap(),
        409,
        "results_not_locked",
    )
    .await;
    lock_stage(&app, &r.hr, &opening, "SKD").await;
    let (_, refused) = import_scores(&app, &r, "valid_rows", csv).await;
    assert_eq!(refused["errors"][0]["code"], "results_locked", "{refused}");

    // Only the PPK, only with a sentence of justification, only with scores that fit the rules.
    assert_problem(
        correct(&r.hr, corrected.clone()).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    let mut terse = corrected.clone();
    terse["justification"] = json!("koreksi");
    assert_problem(
        correct(&r.ppk, terse).await.unwrap(),
        422,
        "justification_required",
    )
    .await;
    let mut off_scheme = corrected.clone();
    off_scheme["scores"]["TWK"] = json!(62);
    let problem = assert_problem(
        correct(&r.ppk, off_scheme).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "scores.TWK", "{problem}");

    let response = correct(&r.ppk, corrected.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["before"], json!({"TWK": 90, "TIU": 110, "TKP": 190}));
    assert_eq!(done["after"], json!({"TWK": 90, "TIU": 125, "TKP": 190}));
    assert_problem(correct(&r.ppk, corrected).await.unwrap(), 409, "no_change").await;

    // The deviation, with before and after, is listed for auditors and chained.
    let deviation: Value = app
        .get(
            &format!(
                "/api/v1/deviations/{}",
                done["deviation_id"].as_str().unwrap()
            ),
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            deviation["kind"].as_str(),
            deviation["object_id"].as_str(),
            deviation["justification"].as_str()
        ),
        (
            Some("locked_score_changed"),
            Some(second.as_str()),
            Some(justification)
        )
    );
    assert_eq!(deviation["details"]["before"]["TIU"], 110);
    assert!(deviation["audit_seq"].as_i64().is_some(), "{deviation}");
    // The stage result uses the corrected score.
    let results = skd_results(&app, &r, &opening).await;
    let row = item_for(&results, &numbers[1].1);
    assert_eq!(row["scores"]["TIU"], 125, "{row}");
}

/// Posts a score file for `stage` (as given, unescaped) in `valid_rows` mode.
async fn import_for_stage(
    app: &TestApp,
    r: &Recruitment,
    stage: &str,
    content_type: &str,
    file: &str,
) -> reqwest::Response {
    app.post(
        &format!(
            "/api/v1/selection-rounds/{}/scores?stage={stage}&mode=valid_rows",
            r.round
        ),
        &r.hr,
    )
    .header("content-type", content_type)
    .body(file.to_string())
    .send()
    .await
    .unwrap()
}

#[actix_web::test]
async fn a_score_import_with_a_wrong_stage_or_no_rows_is_one_422_not_a_report() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    r.published_opening(&app, "X-1").await;
    let good = "registration_number,TWK,TIU,TKP\nNO-SUCH-NUMBER,100,120,200\n";
    // Unknown, wrongly cased, or not an objective test: the stage parameter is named.
    for (stage, says) in [
        ("NOPE", "no opening of the round"),
        ("skd", "stage codes are exact: SKD"),
        ("SKB", "not an objective test"),
        ("ADM", "not an objective test"),
    ] {
        let problem = assert_problem(
            import_for_stage(&app, &r, stage, "text/csv", good).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "stage", "{stage}: {problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{stage}: {problem}"
        );
    }
    // No data rows: empty, header only, blank JSON lines.
    for (content_type, file) in [
        ("text/csv", ""),
        ("text/csv", "registration_number,TWK,TIU,TKP\n"),
        ("application/x-ndjson", "\n\n"),
    ] {
        assert_problem(
            import_for_stage(&app, &r, "SKD", content_type, file).await,
            422,
            "empty_file",
        )
        .await;
    }
    // Columns of another stage: the message names the stage the request is for.
    let problem = assert_problem(
        import_for_stage(
            &app,
            &r,
            "SKD",
            "text/csv",
            "registration_number,CAT-SKB\nX,300\n",
        )
        .await,
        422,
        "invalid_file",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("stage SKD expects the columns registration_number, TWK, TIU, TKP"),
        "{problem}"
    );
    // A file whose every row is refused writes nothing, and says so.
    let response = import_for_stage(&app, &r, "SKD", "text/csv", good).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(
        (
            report["rows_accepted"].as_i64(),
            report["recorded"].as_bool()
        ),
        (Some(0), Some(false)),
        "{report}"
    );
}

#[actix_web::test]
async fn stage_results_are_404_for_a_stage_not_in_the_plan_and_409_for_one_without_results() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let opening = id_of(&r.published_opening(&app, "X-1").await);
    let results = |code: &'static str| {
        let (app, opening, auditor) = (&app, opening.clone(), &r.auditor);
        async move {
            app.get(
                &format!("/api/v1/openings/{opening}/stages/{code}/results"),
                auditor,
            )
            .send()
            .await
            .unwrap()
        }
    };
    assert_problem(results("NOPE").await, 404, "stage_not_found").await;
    assert_problem(results("skd").await, 404, "stage_not_found").await;
    // A composite and an administrative stage have no test results; SKD has not started.
    for code in ["SKB", "ADM", "SKD"] {
        let problem = assert_problem(results(code).await, 409, "stage_results_unavailable").await;
        assert!(
            problem["detail"].as_str().unwrap().contains(code),
            "{problem}"
        );
    }
}

/// Audit events with this action, as the round's auditor lists them.
async fn events_of(app: &TestApp, r: &Recruitment, action: &str) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/v1/audit/events?action={action}"), &r.auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn refused_changes_to_locked_results_are_audited_once_a_minute_with_their_counts() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let (opening, numbers) = opening_at_skd(&app, &r, &[(1, "general")]).await;
    let csv = format!(
        "registration_number,TWK,TIU,TKP\n{},100,120,200\n",
        numbers[0].1
    );
    let (status, report) = import_scores(&app, &r, "all_or_nothing", csv.clone()).await;
    assert_eq!(
        (status, report["recorded"].as_bool()),
        (200, Some(true)),
        "{report}"
    );
    lock_stage(&app, &r.hr, &opening, "SKD").await;

    // Two refused imports in a row: the change stays rolled back, one event stands for them.
    let mut sha = Vec::new();
    for mode in ["all_or_nothing", "valid_rows"] {
        let (status, refused) = import_scores(&app, &r, mode, csv.clone()).await;
        assert_eq!(status, 200, "{refused}");
        assert_eq!(refused["errors"][0]["code"], "results_locked", "{refused}");
        assert_eq!(refused["recorded"], false, "{refused}");
        sha.push(refused["file_sha256"].as_str().unwrap().to_string());
    }
    let events = events_of(&app, &r, "objective_scores.refused").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["actor_id"], r.hr.id.to_string(), "{event}");
    assert_eq!(event["object_id"], r.round, "{event}");
    let payload: Value = serde_json::from_str(event["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["file_sha256"], sha[0].as_str(), "{payload}");
    assert_eq!(
        (
            payload["rows_read"].as_i64(),
            payload["rows_locked"].as_i64(),
            payload["rows_accepted"].as_i64(),
            payload["attempts"].as_i64(),
            payload["stage_code"].as_str()
        ),
        (Some(1), Some(1), Some(0), Some(1), Some("SKD")),
        "{payload}"
    );

    // A correction by someone who may not make one: 403, and one event for two attempts.
    let page: Value = app
        .get(&format!("/api/v1/openings/{opening}/applications"), &r.hr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let application = page["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"stage": "SKD", "scores": {"TWK": 150, "TIU": 175, "TKP": 225},
        "justification": "Saya ingin mengubah nilai ini tanpa berita acara apa pun."});
    for _ in 0..2 {
        let response = app
            .post(
                &format!("/api/v1/applications/{application}/score-corrections"),
                &r.hr,
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 403, "forbidden").await;
    }
    let events = events_of(&app, &r, "score_correction.refused").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor_id"], r.hr.id.to_string());
    assert_eq!(events[0]["object_id"], application.as_str());
    let payload: Value = serde_json::from_str(events[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            payload["stage_locked"].as_bool(),
            payload["attempts"].as_i64()
        ),
        (Some(true), Some(1)),
        "{payload}"
    );

    // Nothing changed, and the chain still verifies.
    let results = skd_results(&app, &r, &opening).await;
    assert_eq!(item_for(&results, &numbers[0].1)["total"], 420);
    let verified: Value = app
        .get("/api/v1/audit/verify", &r.auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["ok"], true, "{verified}");
}
