//! The login throttle: per client address (credential stuffing), per email with a growing delay
//! that does not lock the owner out, the operator's way to lift it, and a reset ending sessions.

use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, assert_problem, cli};
use asn_merit::auth::model::Role;

/// A login as it arrives through a proxy, from `forwarded` (an X-Forwarded-For value).
async fn login_via(
    app: &TestApp,
    forwarded: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn statuses(responses: &[reqwest::Response]) -> (usize, usize) {
    let count = |code: u16| {
        responses
            .iter()
            .filter(|r| r.status().as_u16() == code)
            .count()
    };
    (count(401), count(429))
}

#[actix_web::test]
async fn parallel_failures_for_many_emails_from_one_address_are_throttled() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_ADDRESS", "10"),
        ("DB_POOL_SIZE", "8"),
        ("WORKERS", "2"),
        ("HASH_THREADS", "2"),
    ])
    .await;
    let user = app.user(Role::Auditor, None).await;
    let emails: Vec<String> = (0..30).map(|i| format!("stuffed.{i}@test.go.id")).collect();
    let guesses = emails.iter().map(|e| app.login(e, "Leaked-Password-1"));
    let responses = futures_util::future::join_all(guesses).await;
    assert_eq!(statuses(&responses), (10, 20));
    let refused = responses.iter().find(|r| r.status() == 429).unwrap();
    let wait = retry_after(refused);
    assert!(wait > 800 && wait <= 900, "{wait}");
    // The address is refused for every email until its oldest failure leaves the window.
    assert_problem(
        app.login(&user.email, TEST_PASSWORD).await,
        429,
        "too_many_login_attempts",
    )
    .await;
}

#[actix_web::test]
async fn a_forwarded_header_from_an_untrusted_peer_does_not_escape_the_limit() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ADDRESS", "3")]).await;
    for i in 0..3 {
        let response = login_via(
            &app,
            &format!("198.51.100.{i}"),
            &format!("a{i}@test.go.id"),
            "Wrong-1",
        )
        .await;
        assert_problem(response, 401, "invalid_credentials").await;
    }
    let spoofed = login_via(&app, "203.0.113.77", "fresh@test.go.id", "Wrong-1").await;
    assert_problem(spoofed, 429, "too_many_login_attempts").await;
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_separately() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES_PER_ADDRESS", "3"),
        ("TRUSTED_PROXIES", "10.9.9.9, 127.0.0.0/8"),
    ])
    .await;
    for i in 0..3 {
        let response = login_via(&app, "203.0.113.7", &format!("a{i}@test.go.id"), "Wrong-1").await;
        assert_problem(response, 401, "invalid_credentials").await;
    }
    assert_problem(
        login_via(&app, "203.0.113.7", "a9@test.go.id", "Wrong-1").await,
        429,
        "too_many_login_attempts",
    )
    .await;
    // Entries left of the one the proxy wrote are the client's own words.
    assert_problem(
        login_via(&app, "192.0.2.1, 203.0.113.7", "a9@test.go.id", "Wrong-1").await,
        429,
        "too_many_login_attempts",
    )
    .await;
    // A trusted proxy further along does not hide the client either.
    assert_problem(
        login_via(&app, "203.0.113.7, 10.9.9.9", "a9@test.go.id", "Wrong-1").await,
        429,
        "too_many_login_attempts",
    )
    .await;
    assert_problem(
        login_via(&app, "198.51.100.9", "a9@test.go.id", "Wrong-1").await,
        401,
        "invalid_credentials",
    )
    .await;
}

#[actix_web::test]
async fn parallel_correct_logins_are_all_accepted() {
    let app = TestApp::spawn_with(&[
        ("DB_POOL_SIZE", "8"),
        ("WORKERS", "2"),
        ("HASH_THREADS", "2"),
    ])
    .await;
    let user = app.user(Role::Auditor, None).await;
    let logins = (0..10).map(|_| app.login(&user.email, TEST_PASSWORD));
    let codes: Vec<u16> = futures_util::future::join_all(logins)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(codes, vec![200; 10]);
}

#[actix_web::test]
async fn an_attacker_slows_only_itself_and_its_delay_doubles() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("LOGIN_DELAY_BASE_SECONDS", "1"),
    ])
    .await;
    let user = app.user(Role::Auditor, None).await;
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        let wrong = login_via(&app, attacker, &user.email, "Wrong-Password-99").await;
        assert_problem(wrong, 401, "invalid_credentials").await;
    }
    let held = login_via(&app, attacker, &user.email, TEST_PASSWORD).await;
    assert_eq!(retry_after(&held), 1);
    assert_problem(held, 429, "too_many_login_attempts").await;

    // The owner, from an address without failures, logs in at once.
    let owner = login_via(&app, "198.51.100.20", &user.email, TEST_PASSWORD).await;
    assert_eq!(owner.status(), 200);

    // Past the delay the attacker gets one more guess, and then waits twice as long.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let wrong = login_via(&app, attacker, &user.email, "Wrong-Password-98").await;
    assert_problem(wrong, 401, "invalid_credentials").await;
    let held = login_via(&app, attacker, &user.email, "Wrong-Password-97").await;
    assert_eq!(retry_after(&held), 2);
    assert_problem(held, 429, "too_many_login_attempts").await;

    // Another address gets one attempt; once it has failed, the email's delay holds it too.
    let other = "192.0.2.44";
    let first = login_via(&app, other, &user.email, "Wrong-Password-96").await;
    assert_problem(first, 401, "invalid_credentials").await;
    let second = login_via(&app, other, &user.email, TEST_PASSWORD).await;
    assert_problem(second, 429, "too_many_login_attempts").await;
}

#[actix_web::test]
async fn an_operator_clears_the_login_throttle_of_an_account() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Auditor, None).await;
    let auditor = app.user(Role::Auditor, None).await;
    for _ in 0..5 {
        let wrong = app.login(&user.email, "Wrong-Password-99").await;
        assert_problem(wrong, 401, "invalid_credentials").await;
    }
    let held = app.login(&user.email, TEST_PASSWORD).await;
    assert_problem(held, 429, "too_many_login_attempts").await;

    let (code, out, err) = cli(
        &app,
        &[
            "clear-login-throttle",
            "--email",
            &user.email.to_uppercase(),
        ],
    );
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("cleared 5"), "{out}");
    assert_eq!(app.login(&user.email, TEST_PASSWORD).await.status(), 200);

    let body: Value = app
        .get(
            "/api/v1/audit/events?limit=50&action=auth.login_throttle_cleared",
            &auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["object_id"], user.id.to_string());
    let payload: Value = serde_json::from_str(events[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["failures_cleared"], 5);
    assert_eq!(events[0]["actor_type"], "cli", "{body}");
}

#[actix_web::test]
async fn a_password_reset_ends_every_session_and_the_old_password_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user(Role::Auditor, None).await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let issued: Value = login.json().await.unwrap();
    let bearer = issued["access_token"].as_str().unwrap().to_string();
    // Warm the session cache for both tokens: the reset must evict them, not merely miss them.
    let me = |token: String| {
        app.http
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(me(bearer.clone()).await.unwrap().status(), 200);
    assert_eq!(me(user.token.clone()).await.unwrap().status(), 200);

    let reset = app
        .post(&format!("/api/v1/users/{}/reset-password", user.id), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let reset: Value = reset.json().await.unwrap();

    for token in [bearer, user.token.clone()] {
        assert_problem(me(token).await.unwrap(), 401, "invalid_token").await;
    }
    assert_problem(
        app.login(&user.email, TEST_PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;

    let new_password = "Rendang-Minang-77-Pedas";
    let activated = app
        .http
        .post(app.url("/api/v1/auth/activate"))
        .json(&json!({"token": reset["token"], "password": new_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 204);
    assert_eq!(app.login(&user.email, new_password).await.status(), 200);
}
