//! Accounts: creation with one-time activation, login, logout, revocation, throttling.

use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, assert_problem};
use asn_merit::auth::model::Role;

#[actix_web::test]
async fn admin_creates_a_user_who_activates_and_logs_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "BKN").await;
    let created = app
        .post("/api/v1/users", &admin)
        .json(&json!({"email": "Siti.Rahma@BKN.go.id", "full_name": "Siti Rahma", "role": "hr_officer", "agency_id": agency}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["user"]["email"], "siti.rahma@bkn.go.id");
    assert_eq!(body["user"]["activated"], false);
    let token = body["activation"]["token"].as_str().unwrap().to_string();

    // Nobody can log in before the user sets their own password.
    let early = app.login("siti.rahma@bkn.go.id", "Anything-Goes-123").await;
    assert_problem(early, 401, "invalid_credentials").await;

    let weak = app
        .http
        .post(app.url("/api/v1/auth/activate"))
        .json(&json!({"token": token, "password": "password123"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(weak, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "password");

    let activated = app
        .http
        .post(app.url("/api/v1/auth/activate"))
        .json(&json!({"token": token, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 204);
    let reused = app
        .http
        .post(app.url("/api/v1/auth/activate"))
        .json(&json!({"token": token, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_problem(reused, 422, "invalid_activation_token").await;

    let login = app.login("siti.rahma@bkn.go.id", TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 900);
    let bearer = login["access_token"].as_str().unwrap();
    let me: Value = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "hr_officer");
    assert_eq!(me["agency_id"], agency.to_string());
}

#[actix_web::test]
async fn logout_and_disabling_revoke_tokens_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "KEMENKES").await;
    let hr = app.user(Role::HrOfficer, Some(agency)).await;
    assert_eq!(
        app.get("/api/v1/me", &hr).send().await.unwrap().status(),
        200
    );
    let out = app.post("/api/v1/auth/logout", &hr).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_problem(
        app.get("/api/v1/me", &hr).send().await.unwrap(),
        401,
        "invalid_token",
    )
    .await;

    let hr2 = app.user(Role::HrOfficer, Some(agency)).await;
    // Warm the session cache first: revocation must evict it, not merely miss it.
    assert_eq!(
        app.get("/api/v1/me", &hr2).send().await.unwrap().status(),
        200
    );
    let disabled = app
        .patch(&format!("/api/v1/users/{}", hr2.id), &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    assert_problem(
        app.get("/api/v1/me", &hr2).send().await.unwrap(),
        401,
        "invalid_token",
    )
    .await;

    let hr3 = app.user(Role::HrOfficer, Some(agency)).await;
    assert_eq!(
        app.get("/api/v1/me", &hr3).send().await.unwrap().status(),
        200
    );
    let demoted = app
        .patch(&format!("/api/v1/users/{}", hr3.id), &admin)
        .json(&json!({"role": "panelist"}))
        .send()
        .await
        .unwrap();
    assert_eq!(demoted.status(), 200);
    assert_problem(
        app.get("/api/v1/me", &hr3).send().await.unwrap(),
        401,
        "invalid_token",
    )
    .await;
}

#[actix_web::test]
async fn unknown_user_and_wrong_password_look_the_same_and_five_failures_throttle() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Auditor, None).await;
    let unknown = assert_problem(
        app.login("nobody@test.go.id", "Wrong-Password-99").await,
        401,
        "invalid_credentials",
    )
    .await;
    let wrong = assert_problem(
        app.login(&user.email, "Wrong-Password-99").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown["detail"], wrong["detail"]);

    for _ in 0..4 {
        assert_problem(
            app.login(&user.email, "Wrong-Password-99").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let throttled = app.login(&user.email, TEST_PASSWORD).await;
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    assert_problem(throttled, 429, "too_many_login_attempts").await;

    // Throttling is per email, whether or not the account exists.
    for _ in 0..5 {
        assert_problem(
            app.login("ghost@test.go.id", "Wrong-Password-99").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_problem(
        app.login("ghost@test.go.id", "Wrong-Password-99").await,
        429,
        "too_many_login_attempts",
    )
    .await;
}

#[actix_web::test]
async fn tokens_can_be_signed_with_an_ed25519_key_file() {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let db = crate::helpers::TestDb::fresh();
    let key_path = db.dir.path().join("jwt-ed25519.pem");
    let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    std::fs::write(&key_path, pem.as_bytes()).unwrap();
    let app = TestApp::spawn_on(db, &[("JWT_ED25519_KEY_FILE", key_path.to_str().unwrap())]).await;
    let user = app.user(Role::Auditor, None).await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    // A token of the same claims signed with HS256 by anyone is refused: the algorithm is pinned.
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::from_slice::<Value>(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').nth(1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .unwrap();
    let refused = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 401, "invalid_token").await;
}

#[actix_web::test]
async fn parallel_wrong_guesses_cannot_slip_past_the_throttle() {
    let app = TestApp::spawn_with(&[
        ("DB_POOL_SIZE", "8"),
        ("WORKERS", "2"),
        ("HASH_THREADS", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let user = app.user(Role::Auditor, None).await;
    let login_from = |address: &'static str, password: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": user.email, "password": password}))
            .send()
    };
    let guesses = (0..12).map(|i| {
        login_from(
            "203.0.113.5",
            if i == 0 {
                "Wrong-Password-00"
            } else {
                "Wrong-Password-99"
            },
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((unauthorized, throttled), (5, 7), "{statuses:?}");
    // The guessing address is held even with the right password...
    assert_problem(
        login_from("203.0.113.5", TEST_PASSWORD).await.unwrap(),
        429,
        "too_many_login_attempts",
    )
    .await;
    // ... but the owner, from an address that has not failed, is not locked out.
    let owner = login_from("198.51.100.7", TEST_PASSWORD).await.unwrap();
    assert_eq!(owner.status(), 200);
    let other = app.user(Role::Auditor, None).await;
    assert_eq!(app.login(&other.email, TEST_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn a_successful_login_clears_that_addresss_failures() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Auditor, None).await;
    for _ in 0..4 {
        assert_problem(
            app.login(&user.email, "Wrong-Password-99").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    for _ in 0..3 {
        assert_eq!(app.login(&user.email, TEST_PASSWORD).await.status(), 200);
    }
    // Four more failures fit under the limit again: the success forgave the earlier ones.
    for _ in 0..4 {
        assert_problem(
            app.login(&user.email, "Wrong-Password-99").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_eq!(app.login(&user.email, TEST_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn a_replayed_user_creation_does_not_repeat_the_activation_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "IDEM").await;
    let body = json!({"email": "panel.one@idem.go.id", "full_name": "Panel One", "role": "panelist", "agency_id": agency});
    let send = |body: &Value, path: &str| {
        app.post(path, &admin)
            .header("Idempotency-Key", "create-panel-1")
            .json(body)
            .send()
    };
    let first = send(&body, "/api/v1/users").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["activation"]["token"].as_str().unwrap().len(), 64);
    let again = send(&body, "/api/v1/users").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["user"]["id"], first["user"]["id"]);
    assert_eq!(
        again["activation"]["token"], "",
        "the one-time token must not be stored for replays"
    );
    // The same key on another endpoint is a reuse, not a replay.
    let agency_body =
        json!({"code": "IDEM-2", "name": "Other", "level": "central", "time_zone": "WIB"});
    assert_problem(
        send(&agency_body, "/api/v1/agencies").await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    // Another user's identical key is independent.
    let other_admin = app.admin().await;
    let other = app
        .post("/api/v1/users", &other_admin)
        .header("Idempotency-Key", "create-panel-1")
        .json(&json!({"email": "panel.two@idem.go.id", "full_name": "Panel Two", "role": "panelist", "agency_id": agency}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);
    assert!(other.headers().get("idempotency-replayed").is_none());
}

#[actix_web::test]
async fn an_hr_officer_lists_and_reads_only_the_panelists_of_the_agency() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "LISTED").await;
    let hr = app.user(Role::HrOfficer, Some(agency)).await;
    let panelist = app.user(Role::Panelist, Some(agency)).await;
    let ppk = app.user(Role::AppointingOfficial, Some(agency)).await;
    let auditor = app.user(Role::Auditor, Some(agency)).await;
    let page = app.get_json("/api/v1/users?limit=200", &hr).await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![panelist.id.to_string().as_str()], "{page}");
    let asked = app.get_json("/api/v1/users?role=auditor", &hr).await;
    assert_eq!(asked["items"], serde_json::json!([]));
    for other in [&ppk, &auditor] {
        let response = app
            .get(&format!("/api/v1/users/{}", other.id), &hr)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{:?}", other.role);
    }
    // The agency's auditor reads them all.
    let response = app
        .get(&format!("/api/v1/users/{}", ppk.id), &auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
