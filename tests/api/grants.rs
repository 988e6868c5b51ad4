//! Object grants: access to one object beyond a user's role and agency, given and revoked over
//! the API, read by the policy on every decision, audited.

use asn_merit::auth::model::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};
use crate::world::{self, Recruitment};

async fn give(app: &TestApp, by: &TestUser, body: &Value) -> reqwest::Response {
    app.post("/api/v1/grants", by)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn opening_read(user: &TestUser, opening: &str) -> Value {
    json!({"user_id": user.id, "object_kind": "opening", "object_id": opening,
        "permission": "opening_read"})
}

async fn status_of(app: &TestApp, user: &TestUser, path: &str) -> u16 {
    app.get(path, user).send().await.unwrap().status().as_u16()
}

async fn actions(app: &TestApp, auditor: &TestUser, action: &str) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/v1/audit/events?action={action}"), auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_grant_opens_one_opening_to_a_panelist_of_another_agency_until_it_is_revoked() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let other_agency = app.agency(&r.admin, "UNIV-PADJADJARAN").await;
    let external = app.user(Role::Panelist, Some(other_agency)).await;
    let opening = world::id_of(&r.published_opening(&app, "PK-01").await);
    let other_opening = world::id_of(&r.published_opening(&app, "PK-02").await);
    let path = format!("/api/v1/openings/{opening}");

    assert_eq!(status_of(&app, &external, &path).await, 403);
    let grant = give(&app, &r.hr, &opening_read(&external, &opening)).await;
    assert_eq!(grant.status(), 201);
    let grant: Value = grant.json().await.unwrap();
    assert_eq!(grant["granted_by"], r.hr.id.to_string());
    assert!(grant["revoked_at"].is_null());

    assert_eq!(status_of(&app, &external, &path).await, 200);
    // Only that opening: another of the same agency is not found, and no list opens.
    let other = format!("/api/v1/openings/{other_opening}");
    assert_eq!(status_of(&app, &external, &other).await, 404);
    assert_eq!(status_of(&app, &external, "/api/v1/openings").await, 403);

    let id = world::id_of(&grant);
    let revoked = app
        .post(&format!("/api/v1/grants/{id}/revoke"), &r.hr)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["revoked_by"], r.hr.id.to_string());
    // Access ends at once, and the grant stays on record.
    assert_eq!(status_of(&app, &external, &path).await, 403);
    let history: Value = app
        .get(
            &format!("/api/v1/grants?user_id={}&active=false", external.id),
            &r.admin,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    assert_problem(
        app.post(&format!("/api/v1/grants/{id}/revoke"), &r.hr)
            .send()
            .await
            .unwrap(),
        409,
        "grant_revoked",
    )
    .await;

    let created = actions(&app, &r.auditor, "grant.created").await;
    let ended = actions(&app, &r.auditor, "grant.revoked").await;
    assert_eq!((created.len(), ended.len()), (1, 1));
    assert_eq!(created[0]["object_id"], id);
    assert_eq!(created[0]["actor_id"], r.hr.id.to_string());
}

#[actix_web::test]
async fn only_grantable_access_to_an_existing_object_in_scope_can_be_given_once() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let agency_b = app.agency(&r.admin, "AGENCY-B").await;
    let hr_b = app.user(Role::HrOfficer, Some(agency_b)).await;
    let panelist = app.user(Role::Panelist, Some(agency_b)).await;
    let opening = world::id_of(&r.published_opening(&app, "PK-01").await);

    let mut identity = opening_read(&panelist, &opening);
    identity["permission"] = json!("identity_read");
    let refused =
        assert_problem(give(&app, &r.hr, &identity).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "permission");

    let mut wrong_kind = opening_read(&panelist, &opening);
    wrong_kind["object_kind"] = json!("application");
    let refused = assert_problem(
        give(&app, &r.hr, &wrong_kind).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "object_kind");

    let missing = opening_read(&panelist, &uuid::Uuid::now_v7().to_string());
    assert_problem(give(&app, &r.hr, &missing).await, 404, "not_found").await;
    // Another agency's HR officer cannot give access to A's opening (it does not exist for them).
    assert_problem(
        give(&app, &hr_b, &opening_read(&panelist, &opening)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        give(&app, &panelist, &opening_read(&panelist, &opening)).await,
        403,
        "forbidden",
    )
    .await;

    let mut nobody = opening_read(&panelist, &opening);
    nobody["user_id"] = json!(uuid::Uuid::now_v7());
    let refused = assert_problem(give(&app, &r.hr, &nobody).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "user_id");

    assert_eq!(
        give(&app, &r.hr, &opening_read(&panelist, &opening))
            .await
            .status(),
        201
    );
    assert_problem(
        give(&app, &r.admin, &opening_read(&panelist, &opening)).await,
        409,
        "grant_exists",
    )
    .await;
}
