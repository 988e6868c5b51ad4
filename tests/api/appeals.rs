//! Screening publication and appeals (sanggah): the window in the agency's time zone, late
//! appeals refused, decisions with an answer, granted appeals re-admitting to SKD.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::world::*;

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// An opening of an agency in WIT (UTC+9) in screening, with applicants 1 (eligible), 2 (GPA too
/// low) and 3 (diploma); returns the opening and the application ids and numbers by serial.
async fn screened_opening(app: &TestApp, r: &Recruitment) -> (String, Vec<(String, String)>) {
    let opening = draft_opening(app, &r.hr, &r.opening_body("SGH-001")).await;
    let agency = opening["agency_id"].as_str().unwrap().to_string();
    let moved = app
        .patch(&format!("/api/v1/agencies/{agency}"), &r.admin)
        .json(&json!({"time_zone": "WIT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let opening = id_of(&opening);
    publish(app, &r.hr, &opening).await;
    let mut low_gpa = applicant(2);
    low_gpa["gpa_x100"] = json!(280);
    let mut diploma = applicant(3);
    diploma["education_level"] = json!("D3");
    let mut people = Vec::new();
    for person in [applicant(1), low_gpa, diploma] {
        let (status, created) = json_of(apply(app, &r.hr, &opening, &person).await).await;
        assert_eq!(status, 201, "{created}");
        people.push((
            id_of(&created),
            created["registration_number"].as_str().unwrap().to_string(),
        ));
    }
    end_application_window(app, &opening).await;
    for action in ["close", "start-screening"] {
        post_ok(app, &r.hr, &format!("/api/v1/openings/{opening}/{action}")).await;
    }
    (opening, people)
}

async fn appeal(
    app: &TestApp,
    r: &Recruitment,
    application: &str,
    body: Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/applications/{application}/appeals"),
        &r.hr,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn decide(app: &TestApp, r: &Recruitment, appeal: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/appeals/{appeal}/decision"), &r.hr)
        .json(&body)
        .send()
        .await
        .unwrap()
}

const REASON: &str = "Transkrip yang diunggah keliru; IPK saya 3,10 sesuai ijazah.";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[actix_web::test]
async fn results_are_published_by_registration_number_and_start_a_window_ending_at_local_midnight()
{
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let (opening, people) = screened_opening(&app, &r).await;
    let public_path = format!("/api/v1/public/openings/{opening}/screening-results");

    // Nothing to appeal, lock or read publicly before publication.
    assert_problem(
        appeal(&app, &r, &people[1].0, json!({"reason": REASON})).await,
        409,
        "screening_not_published",
    )
    .await;
    assert_eq!(
        app.http
            .get(app.url(&public_path))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (status, problem) = json_of(
        app.post(
            &format!("/api/v1/openings/{opening}/screening/publish"),
            &r.hr,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("screening_incomplete")),
        "{problem}"
    );

    post_ok(
        &app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/screening/run"),
    )
    .await;
    let publication = post_ok(
        &app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/screening/publish"),
    )
    .await;
    // Three days counted in WIT from the local day of publication, ending at local midnight.
    let published = at(publication["published_at"].as_str().unwrap());
    let wit = FixedOffset::east_opt(9 * 3600).unwrap();
    let local_day = published.with_timezone(&wit).date_naive();
    let expected = (local_day + Duration::days(4))
        .and_time(NaiveTime::MIN)
        .and_local_timezone(wit)
        .unwrap();
    assert_eq!(
        at(publication["appeal_deadline"].as_str().unwrap()),
        expected
    );
    assert_eq!(publication["appeal_deadline_local"], expected.to_rfc3339());
    assert_eq!(
        (
            publication["time_zone"].as_str(),
            publication["window_days"].as_i64()
        ),
        (Some("WIT"), Some(3))
    );
    assert_problem(
        app.post(
            &format!("/api/v1/openings/{opening}/screening/publish"),
            &r.hr,
        )
        .send()
        .await
        .unwrap(),
        409,
        "screening_published",
    )
    .await;

    // The public list: registration numbers, outcomes and codes; no names, ids or values.
    let (status, page) = json_of(app.http.get(app.url(&public_path)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let mut numbers: Vec<&str> = people.iter().map(|(_, n)| n.as_str()).collect();
    numbers.sort();
    let listed: Vec<&str> = items
        .iter()
        .map(|i| i["registration_number"].as_str().unwrap())
        .collect();
    assert_eq!(listed, numbers, "ordered by registration number");
    let text = page.to_string();
    for secret in [
        "Siti",
        "3273",
        "1999-06-05",
        "@",
        "application_id",
        &people[0].0,
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let of = |number: &str| {
        items
            .iter()
            .find(|i| i["registration_number"] == number)
            .unwrap()
            .clone()
    };
    assert_eq!(of(&people[0].1)["outcome"], "eligible");
    assert_eq!(
        of(&people[1].1)["failed_codes"],
        json!(["gpa_below_minimum"])
    );
    assert_eq!(
        of(&people[2].1)["failed_codes"],
        json!(["education_level_not_accepted"])
    );
    // HR sees the publication with the results.
    let (_, internal) = json_of(
        app.get(&format!("/api/v1/openings/{opening}/screening"), &r.hr)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        internal["publication"]["appeal_deadline"],
        publication["appeal_deadline"]
    );

    // The publication is in the chain with a digest of what was published.
    let (_, events) = json_of(
        app.get(
            "/api/v1/audit/events?action=screening.published",
            &r.auditor,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let payload: Value =
        serde_json::from_str(events["items"][0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["results"], 3);
    assert_eq!(payload["results_sha256"].as_str().unwrap().len(), 64);
}

#[actix_web::test]
async fn appeals_are_judged_by_submission_time_in_the_agencys_zone_and_a_granted_one_readmits() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let (opening, people) = screened_opening(&app, &r).await;
    let (eligible, low_gpa, diploma) = (&people[0].0, &people[1].0, &people[2].0);
    post_ok(
        &app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/screening/run"),
    )
    .await;
    post_ok(
        &app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/screening/publish"),
    )
    .await;

    // Only an ineligible result can be appealed; bad bodies are 422 naming the field.
    assert_problem(
        appeal(&app, &r, eligible, json!({"reason": REASON})).await,
        409,
        "nothing_to_appeal",
    )
    .await;
    let (status, problem) =
        json_of(appeal(&app, &r, low_gpa, json!({"reason": "Salah."})).await).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("reason")),
        "{problem}"
    );
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let (status, problem) = json_of(
        appeal(
            &app,
            &r,
            low_gpa,
            json!({"reason": REASON, "submitted_at": future}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("submitted_at")),
        "{problem}"
    );

    let (status, recorded) =
        json_of(appeal(&app, &r, low_gpa, json!({"reason": REASON})).await).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(
        (recorded["status"].as_str(), recorded["reason"].as_str()),
        (Some("pending"), Some(REASON))
    );
    assert!(
        recorded["submitted_at_local"]
            .as_str()
            .unwrap()
            .ends_with("+09:00")
    );
    assert_problem(
        appeal(&app, &r, low_gpa, json!({"reason": REASON})).await,
        409,
        "appeal_exists",
    )
    .await;

    // Three days later: the window has ended. A submission one second before the WIT deadline
    // is on time; thirty seconds after it (still 22:00 in WIB) is late, and so is one made now.
    end_appeal_window(&app, &opening).await;
    let (_, screening) = json_of(
        app.get(&format!("/api/v1/openings/{opening}/screening"), &r.hr)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let deadline = at(screening["publication"]["appeal_deadline"]
        .as_str()
        .unwrap());
    let late = (deadline + Duration::seconds(30)).to_rfc3339();
    let (status, problem) = json_of(
        appeal(
            &app,
            &r,
            diploma,
            json!({"reason": REASON, "submitted_at": late}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("appeal_window_closed")),
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("+09:00"),
        "{problem}"
    );
    assert_problem(
        appeal(&app, &r, diploma, json!({"reason": REASON})).await,
        409,
        "appeal_window_closed",
    )
    .await;
    let in_time = (deadline - Duration::seconds(1)).to_rfc3339();
    let (status, second) = json_of(
        appeal(
            &app,
            &r,
            diploma,
            json!({"reason": REASON, "submitted_at": in_time}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{second}");

    // Screening cannot lock while appeals are undecided.
    assert_problem(
        stage_act(&app, &r.hr, &opening, "lock-stage", "screening").await,
        409,
        "appeals_pending",
    )
    .await;

    // Decisions carry an answer; granted re-admits, rejected leaves the result.
    let first = recorded["id"].as_str().unwrap();
    let (status, problem) = json_of(
        decide(
            &app,
            &r,
            first,
            json!({"outcome": "granted", "answer": "Ya."}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("answer")),
        "{problem}"
    );
    let answer = "Ijazah dan transkrip asli menunjukkan IPK 3,10; memenuhi syarat.";
    let (status, granted) = json_of(
        decide(
            &app,
            &r,
            first,
            json!({"outcome": "granted", "answer": answer}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(
        (granted["status"].as_str(), granted["answer"].as_str()),
        (Some("granted"), Some(answer))
    );
    assert_problem(
        decide(
            &app,
            &r,
            first,
            json!({"outcome": "rejected", "answer": answer}),
        )
        .await,
        409,
        "appeal_decided",
    )
    .await;
    let rejection = "Persyaratan pendidikan minimal S1 tidak terpenuhi oleh ijazah D3.";
    let second_id = second["id"].as_str().unwrap();
    let (status, rejected) = json_of(
        decide(
            &app,
            &r,
            second_id,
            json!({"outcome": "rejected", "answer": rejection}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, rejected["status"].as_str()),
        (200, Some("rejected")),
        "{rejected}"
    );

    let (_, public) = json_of(
        app.http
            .get(app.url(&format!(
                "/api/v1/public/openings/{opening}/screening-results"
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let row = |number: &str| {
        public["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["registration_number"] == number)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            row(&people[1].1)["outcome"].as_str(),
            row(&people[1].1)["changed_on_appeal"].as_bool()
        ),
        (Some("eligible"), Some(true))
    );
    assert_eq!(row(&people[2].1)["outcome"], "ineligible");

    // Listing by status; auditors read appeals, panelists do not reach them.
    let (_, pending) = json_of(
        app.get(
            &format!("/api/v1/openings/{opening}/appeals?status=pending"),
            &r.auditor,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 0);
    let (_, all) = json_of(
        app.get(&format!("/api/v1/openings/{opening}/appeals"), &r.auditor)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    // The chain: two appeals recorded (reason as a digest only) and two decisions whose
    // justification is the answer.
    let (_, chain) = json_of(
        app.get("/api/v1/audit/events?limit=200", &r.auditor)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !chain.to_string().contains("IPK saya"),
        "the applicant's words stay out of the chain"
    );
    let actions: Vec<&str> = chain["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "appeal.recorded").count(),
        2
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "appeal.decided").count(),
        2
    );
    let (_, decided) = json_of(
        app.get(
            &format!("/api/v1/audit/events?action=appeal.decided&object_id={first}"),
            &r.auditor,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(decided["items"][0]["justification"], answer);

    // Locked now; the re-admitted applicant takes SKD, the rejected one cannot be scored.
    lock_stage(&app, &r.hr, &opening, "screening").await;
    assert_problem(
        appeal(&app, &r, diploma, json!({"reason": REASON})).await,
        409,
        "appeal_window_closed",
    )
    .await;
    start_stage(&app, &r.hr, &opening, "SKD").await;
    let csv = format!(
        "registration_number,TWK,TIU,TKP\n{},100,120,200\n{},100,120,200\n{},100,120,200\n",
        people[0].1, people[1].1, people[2].1
    );
    let (status, report) = json_of(
        app.post(
            &format!(
                "/api/v1/selection-rounds/{}/scores?stage=SKD&mode=valid_rows",
                r.round
            ),
            &r.hr,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rows_accepted"], 2, "{report}");
    assert_eq!(report["errors"][0]["code"], "not_admitted", "{report}");
    assert_eq!(report["errors"][0]["row"], 3, "{report}");
    let (_, results) = json_of(
        app.get(
            &format!("/api/v1/openings/{opening}/stages/SKD/results"),
            &r.hr,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let listed: Vec<&str> = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["registration_number"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{results}");
    assert!(!listed.contains(&people[2].1.as_str()));
}
