//! The deviations report: every deviation in the caller's scope, filtered by agency, year, kind
//! and official, with counts per agency and kind over the whole filtered set.

use asn_merit::auth::model::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};
use crate::world::{self, Recruitment, id_of};

const JUSTIFICATION: &str =
    "Formasi umum ditambah satu kursi sesuai surat MenPANRB B-321/2024 tanggal 2 September.";

/// A published opening of `hr`'s agency whose seats the appointing official `ppk` then changes:
/// one `published_opening_changed` deviation.
async fn changed_opening(app: &TestApp, hr: &TestUser, ppk: &TestUser, body: &Value) {
    let opening = id_of(&world::draft_opening(app, hr, body).await);
    world::publish(app, hr, &opening).await;
    let change = json!({"seat_groups": [{"group": "general", "seats": 4}, {"group": "cum_laude", "seats": 1},
        {"group": "disability", "seats": 1}], "justification": JUSTIFICATION});
    let response = app
        .patch(&format!("/api/v1/openings/{opening}"), ppk)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

fn counts(report: &Value) -> Vec<(String, String, i64)> {
    let mut counts: Vec<_> = report["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["agency_id"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    counts
}

#[actix_web::test]
async fn the_report_counts_and_lists_the_deviations_its_filters_select_in_the_callers_scope() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let agency_a = r.hr.agency.unwrap();
    let agency_b = app.agency(&r.admin, "KEMENKEU").await;
    let hr_b = app.user(Role::HrOfficer, Some(agency_b)).await;
    let ppk_b = app.user(Role::AppointingOfficial, Some(agency_b)).await;
    let position_b = world::position(&app, &hr_b, "PK-AP", json!([])).await;
    changed_opening(&app, &r.hr, &r.ppk, &r.opening_body("A-001")).await;
    changed_opening(&app, &r.hr, &r.ppk, &r.opening_body("A-002")).await;
    let body_b = world::opening_body(&r.round, &position_b, "B-001");
    changed_opening(&app, &hr_b, &ppk_b, &body_b).await;
    let kind = "published_opening_changed".to_string();

    let all = app.get_json("/api/v1/reports/deviations", &r.admin).await;
    assert_eq!(all["total"], 3, "{all}");
    assert_eq!(
        counts(&all),
        {
            let mut expected = vec![
                (agency_a.to_string(), kind.clone(), 2),
                (agency_b.to_string(), kind.clone(), 1),
            ];
            expected.sort();
            expected
        },
        "{all}"
    );
    assert_eq!(all["items"].as_array().unwrap().len(), 3, "{all}");
    assert_eq!(all["items"][0]["justification"], JUSTIFICATION, "{all}");

    // An agency's auditor sees their agency only, whatever they ask for.
    let mine = app.get_json("/api/v1/reports/deviations", &r.auditor).await;
    assert_eq!(counts(&mine), vec![(agency_a.to_string(), kind.clone(), 2)]);
    let theirs = format!("/api/v1/reports/deviations?agency_id={agency_b}");
    assert_eq!(app.get_json(&theirs, &r.auditor).await["total"], 0);
    assert_eq!(app.get_json(&theirs, &r.admin).await["total"], 1);

    // By official, kind and year (the year in WIB).
    let by_official = format!("/api/v1/reports/deviations?official_id={}", ppk_b.id);
    let by_official = app.get_json(&by_official, &r.admin).await;
    assert_eq!(by_official["total"], 1, "{by_official}");
    assert_eq!(by_official["items"][0]["official_id"], ppk_b.id.to_string());
    let other_kind = "/api/v1/reports/deviations?kind=panel_unlocked";
    assert_eq!(app.get_json(other_kind, &r.admin).await["total"], 0);
    let wib = chrono::Utc::now() + chrono::Duration::hours(7);
    let this_year = format!("/api/v1/reports/deviations?year={}", wib.format("%Y"));
    assert_eq!(app.get_json(&this_year, &r.admin).await["total"], 3);
    let long_ago = app
        .get_json("/api/v1/reports/deviations?year=2001", &r.admin)
        .await;
    assert_eq!(
        (&long_ago["total"], &long_ago["items"]),
        (&json!(0), &json!([]))
    );

    // Pages of the list; the counts always cover the whole filtered set.
    let first = app
        .get_json("/api/v1/reports/deviations?limit=2", &r.admin)
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2, "{first}");
    assert_eq!(first["total"], 3, "{first}");
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = format!("/api/v1/reports/deviations?limit=2&cursor={cursor}");
    let rest = app.get_json(&rest, &r.admin).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["next_cursor"], Value::Null, "{rest}");

    // Bad filters are field errors; a panelist reads no deviations.
    for (query, field) in [
        ("year=1999", "year"),
        ("agency_id=not-an-id", "agency_id"),
        ("official_id=42", "official_id"),
    ] {
        let response = app
            .get(&format!("/api/v1/reports/deviations?{query}"), &r.admin)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let panelist = app.user(Role::Panelist, Some(agency_a)).await;
    let response = app
        .get("/api/v1/reports/deviations", &panelist)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
