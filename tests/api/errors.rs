//! Every kind of bad request answers 4xx in RFC 9457 problem+json with a stable code (and, for
//! invalid values, the failing field); plus `Idempotency-Key` replay on creating POSTs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, TestUser, assert_problem, data_dir};
use asn_merit::auth::model::Role;

fn agency_body() -> Value {
    json!({"code": "BKN", "name": "Badan Kepegawaian Negara", "level": "central", "time_zone": "WIB"})
}

async fn post_agency_raw(
    app: &TestApp,
    admin: &TestUser,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.post("/api/v1/agencies", admin)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Sends `body` as JSON text and expects 422 naming `field` with `code`.
async fn assert_rejected_field(body: Value, code: &str, field: &str) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = post_agency_raw(&app, &admin, "application/json", body.to_string()).await;
    let problem = assert_problem(response, 422, code).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, [field], "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{problem}"
    );
}

#[actix_web::test]
async fn malformed_json_is_400_malformed_json() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A complete, valid object followed by garbage is still not JSON.
    let trailing = format!("{} trailing", agency_body());
    for text in [r#"{"code": "BKN", "name": "#, "{code: BKN}", &trailing, ""] {
        let response = post_agency_raw(&app, &admin, "application/json", text.to_string()).await;
        assert_eq!(response.status(), 400, "{text:?}");
        assert_problem(response, 400, "malformed_json").await;
    }
}

/// Syntax is judged before shape: a body that is not JSON is 400 even when serde would first
/// trip over a wrong type or a missing field in the part it could read.
#[actix_web::test]
async fn body_that_is_not_json_is_400_even_if_its_start_has_the_wrong_shape() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for text in [
        r#"{"code": "BKN"} trailing"#,
        "[1, 2",
        r#"{"code": 1, "name": "#,
    ] {
        let response = post_agency_raw(&app, &admin, "application/json", text).await;
        assert_eq!(response.status(), 400, "{text:?}");
        assert_problem(response, 400, "malformed_json").await;
    }
}

#[actix_web::test]
async fn wrong_json_type_is_422_naming_the_field() {
    let mut body = agency_body();
    body["name"] = json!(42);
    assert_rejected_field(body, "invalid_body", "name").await;
}

#[actix_web::test]
async fn unknown_enum_value_is_422_naming_the_field() {
    let mut body = agency_body();
    body["level"] = json!("provincial");
    assert_rejected_field(body, "invalid_body", "level").await;
}

#[actix_web::test]
async fn unknown_field_is_422_naming_the_field() {
    let mut body = agency_body();
    body["budget"] = json!(1_000_000);
    assert_rejected_field(body, "invalid_body", "budget").await;
}

#[actix_web::test]
async fn missing_required_field_is_422_naming_the_field() {
    let mut body = agency_body();
    body.as_object_mut().unwrap().remove("level");
    assert_rejected_field(body, "invalid_body", "level").await;
}

#[actix_web::test]
async fn invalid_value_is_422_validation_failed_naming_the_field() {
    let mut body = agency_body();
    body["code"] = json!("bkn lower case");
    assert_rejected_field(body, "validation_failed", "code").await;
}

#[actix_web::test]
async fn blank_name_is_422_validation_failed() {
    let mut body = agency_body();
    body["name"] = json!("        ");
    assert_rejected_field(body, "validation_failed", "name").await;
}

/// PostgreSQL cannot store NUL in text: it must be a 422 on both backends, never a 500.
#[actix_web::test]
async fn nul_characters_are_422_in_bodies_and_queries() {
    let mut body = agency_body();
    body["name"] = json!("Badan\u{0}Kepegawaian");
    assert_rejected_field(body, "validation_failed", "name").await;

    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let login = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "a\u{0}b@test.go.id", "password": "Whatever-123-x"}))
        .send()
        .await
        .unwrap();
    assert_problem(login, 422, "validation_failed").await;
    let query = app
        .get("/api/v1/audit/events?object_type=user%00x", &admin)
        .send()
        .await
        .unwrap();
    // The document says so too: every query string is NUL-free by its pattern. SQLite answered
    // 200 and PostgreSQL 422 before the check moved in front of the handlers.
    let problem = assert_problem(query, 422, "invalid_text").await;
    assert_eq!(problem["errors"][0]["field"], "query", "{problem}");
    let path = app
        .get(
            "/api/v1/openings/0192f0a4-0000-7000-8000-000000000000/stages/S%00KD/results",
            &admin,
        )
        .send()
        .await
        .unwrap();
    let problem = assert_problem(path, 422, "invalid_text").await;
    assert_eq!(problem["errors"][0]["field"], "path", "{problem}");
}

/// A key holding a NUL is refused, and the answer names it without repeating the NUL: the
/// document says no text of the API holds one (schemathesis found `field` echoing it).
#[actix_web::test]
async fn a_nul_in_a_key_is_named_as_an_escape_never_echoed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = r#"{"code": "BKN", "name": "Badan Kepegawaian Negara", "level": "central",
        "time_zone": "WIB", "x\u0000y": 1}"#;
    let response = post_agency_raw(&app, &admin, "application/json", body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "x\\u0000y", "{problem}");

    let twice = r#"{"code": "BKN", "k\u0000": 1, "k\u0000": 2}"#;
    let response = post_agency_raw(&app, &admin, "application/json", twice).await;
    let problem = assert_problem(response, 400, "duplicate_key").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("k\\u0000") && !detail.contains('\0'),
        "{detail}"
    );
}

#[actix_web::test]
async fn a_key_named_twice_is_400_duplicate_key_naming_the_key() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = r#"{"code": "BKN", "name": "Badan Kepegawaian Negara", "level": "central",
        "time_zone": "WIB", "name": "Another name"}"#;
    let response = post_agency_raw(&app, &admin, "application/json", body).await;
    let problem = assert_problem(response, 400, "duplicate_key").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("`name`"),
        "{problem}"
    );
}

#[actix_web::test]
async fn an_array_where_an_object_belongs_is_422_invalid_body() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = r#"["ARRAY", "Badan Kepegawaian Negara", "central", "WIB"]"#;
    let response = post_agency_raw(&app, &admin, "application/json", body).await;
    assert_problem(response, 422, "invalid_body").await;
    let agencies: Value = app
        .get("/api/v1/agencies?limit=200", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !agencies.to_string().contains("ARRAY"),
        "the array created an agency: {agencies}"
    );
}

#[actix_web::test]
async fn oversized_body_is_413_payload_too_large() {
    let app = TestApp::spawn_with(&[("MAX_BODY_BYTES", "1024")]).await;
    let admin = app.admin().await;
    let mut body = agency_body();
    body["name"] = json!("x".repeat(2048));
    let response = post_agency_raw(&app, &admin, "application/json", body.to_string()).await;
    let problem = assert_problem(response, 413, "payload_too_large").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("1024"),
        "{problem}"
    );
    // Just under the limit is read and judged on its content.
    body["name"] = json!("x".repeat(900));
    let response = post_agency_raw(&app, &admin, "application/json", body.to_string()).await;
    assert_problem(response, 422, "validation_failed").await;
}

#[actix_web::test]
async fn oversized_chunked_body_without_length_is_413() {
    let app = TestApp::spawn_with(&[("MAX_BODY_BYTES", "1024")]).await;
    let admin = app.admin().await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let mut request = format!(
        "POST /api/v1/agencies HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        admin.token
    );
    for _ in 0..4 {
        request.push_str(&format!("200\r\n{}\r\n", " ".repeat(0x200)));
    }
    request.push_str("0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).to_ascii_lowercase();
    assert!(response.starts_with("http/1.1 413"), "{response}");
    assert!(
        response.contains("content-type: application/problem+json"),
        "{response}"
    );
    assert!(
        response.contains(r#""code":"payload_too_large""#),
        "{response}"
    );
}

#[actix_web::test]
async fn non_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let text = agency_body().to_string();
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let response = post_agency_raw(&app, &admin, content_type, text.clone()).await;
        assert_problem(response, 415, "unsupported_media_type").await;
    }
    let missing = app
        .post("/api/v1/agencies", &admin)
        .body(text)
        .send()
        .await
        .unwrap();
    assert_problem(missing, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn malformed_uuid_in_path_is_400_invalid_path_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for path in [
        "/api/v1/agencies/not-a-uuid",
        "/api/v1/users/12345",
        "/api/v1/users/not-a-uuid/reset-password",
    ] {
        let response = if path.ends_with("reset-password") {
            app.post(path, &admin).send().await.unwrap()
        } else {
            app.get(path, &admin).send().await.unwrap()
        };
        assert_problem(response, 400, "invalid_path_parameter").await;
    }
    let patch = app
        .patch("/api/v1/agencies/xyz", &admin)
        .json(&json!({"name": "Nama"}))
        .send()
        .await
        .unwrap();
    assert_problem(patch, 400, "invalid_path_parameter").await;
}

/// A required query parameter left out is named in the project's words and in `errors`, not in
/// the framework's ("Query deserialize error: missing field `stage`").
#[actix_web::test]
async fn a_missing_query_parameter_is_named() {
    let app = TestApp::spawn().await;
    let r = crate::world::Recruitment::setup(&app).await;
    let response = app
        .post(
            &format!("/api/v1/selection-rounds/{}/scores", r.round),
            &r.hr,
        )
        .header("content-type", "text/csv")
        .body("registration_number,TWK,TIU,TKP\n")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400, "invalid_query").await;
    assert_eq!(problem["detail"], "the query parameter `stage` is missing");
    assert_eq!(
        problem["errors"],
        json!([{"field": "stage", "message": "is required"}]),
        "{problem}"
    );
}

#[actix_web::test]
async fn malformed_query_is_400_and_out_of_range_query_is_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for path in [
        "/api/v1/agencies?limit=abc",
        "/api/v1/users?agency_id=not-a-uuid",
        "/api/v1/users?role=superuser",
    ] {
        assert_problem(
            app.get(path, &admin).send().await.unwrap(),
            400,
            "invalid_query",
        )
        .await;
    }
    for (path, field) in [
        ("/api/v1/agencies?limit=5000", "limit"),
        ("/api/v1/agencies?limit=0", "limit"),
        ("/api/v1/agencies?cursor=garbage", "cursor"),
        ("/api/v1/audit/events?from=yesterday", "from"),
    ] {
        let problem = assert_problem(
            app.get(path, &admin).send().await.unwrap(),
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
}

#[actix_web::test]
async fn missing_token_is_401_missing_token_with_www_authenticate() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/me"),
        (reqwest::Method::POST, "/api/v1/agencies"),
    ] {
        let response = app
            .http
            .request(method, app.url(path))
            .json(&agency_body())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer"
        );
        assert_problem(response, 401, "missing_token").await;
    }
    // Another scheme is no bearer token either.
    let basic = app
        .http
        .get(app.url("/api/v1/me"))
        .basic_auth("admin", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401, "missing_token").await;
}

#[actix_web::test]
async fn garbage_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."] {
        let response = app
            .http
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer"
        );
        assert_problem(response, 401, "invalid_token").await;
    }
}

/// The claims of a token the server issued (for a live session), to alter and re-sign.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[actix_web::test]
async fn forged_expired_and_misaddressed_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.admin().await;
    let secret = hex::decode(
        std::fs::read_to_string(data_dir(&app).join("jwt-secret"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let claims = claims_of(&user.token);
    let app = &app;
    let me = |token: String| async move {
        app.http
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    };

    // Control: the same claims re-signed with the server's secret are accepted, so each refusal
    // below is due to the one thing changed.
    assert_eq!(
        me(sign(&claims, Algorithm::HS256, &secret)).await.status(),
        200
    );

    let now = chrono::Utc::now().timestamp();
    let with = |field: &str, value: Value| {
        let mut altered = claims.clone();
        altered[field] = value;
        altered
    };
    let forged = [
        (
            "another secret",
            sign(&claims, Algorithm::HS256, &[7u8; 64]),
        ),
        (
            "another algorithm, same secret",
            sign(&claims, Algorithm::HS512, &secret),
        ),
        (
            "expired beyond the leeway",
            sign(&with("exp", json!(now - 120)), Algorithm::HS256, &secret),
        ),
        (
            "wrong audience",
            sign(
                &with("aud", json!("someone-else")),
                Algorithm::HS256,
                &secret,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &with("iss", json!("evil-issuer")),
                Algorithm::HS256,
                &secret,
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            ),
        ),
    ];
    for (what, token) in forged {
        let response = me(token).await;
        assert_eq!(response.status(), 401, "{what}");
        assert_problem(response, 401, "invalid_token").await;
    }
}

#[actix_web::test]
async fn unknown_route_is_404_route_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for path in [
        "/api/v1/nope",
        "/api/v2/agencies",
        "/api/v1/agencies/extra/segments/here",
    ] {
        assert_problem(
            app.get(path, &admin).send().await.unwrap(),
            404,
            "route_not_found",
        )
        .await;
    }
    assert_problem(
        app.http.get(app.url("/api/v1/nope")).send().await.unwrap(),
        404,
        "route_not_found",
    )
    .await;
}

#[actix_web::test]
async fn wrong_method_is_405_method_not_allowed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/api/v1/agencies", "GET, POST"),
        (reqwest::Method::DELETE, "/api/v1/users", "GET, POST"),
        (reqwest::Method::GET, "/api/v1/auth/login", "POST"),
        (reqwest::Method::POST, "/api/v1/me", "GET"),
        (reqwest::Method::DELETE, "/readyz", "GET"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_problem(response, 405, "method_not_allowed").await;
    }
}

#[actix_web::test]
async fn same_idempotency_key_and_body_replays_the_first_creation() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (app, admin) = (&app, &admin);
    let send = |body: Value| async move {
        app.post("/api/v1/agencies", admin)
            .header("idempotency-key", "create-bkn-2026-01")
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let first = send(agency_body()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotency-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = send(agency_body()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotency-replayed").unwrap(), "true");
    assert_eq!(
        again.headers().get("content-type").unwrap(),
        "application/json"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);

    let agencies: Value = app
        .get("/api/v1/agencies", admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&Value> = agencies["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, [&first["id"]]);
    let events: Value = app
        .get("/api/v1/audit/events?action=agency.created", admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["object_id"], first["id"]);

    let mut other = agency_body();
    other["name"] = json!("Another Name");
    assert_problem(send(other).await, 422, "idempotency_key_reused").await;
}

#[actix_web::test]
async fn malformed_idempotency_key_is_400() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for key in ["".to_string(), "k".repeat(201), "with space".to_string()] {
        let response = app
            .post("/api/v1/agencies", &admin)
            .header("idempotency-key", key)
            .json(&agency_body())
            .send()
            .await
            .unwrap();
        assert_problem(response, 400, "invalid_idempotency_key").await;
    }
    let agencies: Value = app
        .get("/api/v1/agencies", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(agencies["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn oversized_request_headers_get_431_in_the_problem_format() {
    let app = TestApp::spawn().await;
    let big = app
        .http
        .get(app.url("/healthz"))
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_problem(big, 431, "headers_too_large").await;
    let mut many = app.http.get(app.url("/healthz"));
    for i in 0..70 {
        many = many.header(format!("x-field-{i}"), "a");
    }
    assert_problem(many.send().await.unwrap(), 431, "headers_too_large").await;
    let fine = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(fine.status(), 200);
}

/// JSON Schema reads `8.0` as an integer, and so does the server; `8.5` is not one.
#[actix_web::test]
async fn an_integral_number_written_with_a_fraction_is_an_integer() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "ANGKA").await;
    let hr = app.user(Role::HrOfficer, Some(agency)).await;
    let body = |grade: f64| json!({"code": format!("PK-{}", grade as i64), "title": "Pranata Komputer", "kind": "functional", "grade": grade, "standard": []});
    let created = app
        .post("/api/v1/positions", &hr)
        .json(&body(8.0))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["grade"], 8);
    let refused = app
        .post("/api/v1/positions", &hr)
        .json(&body(8.5))
        .send()
        .await
        .unwrap();
    assert_problem(refused, 422, "invalid_body").await;
}

/// The document says a cursor is an id (or a sequence number): an empty one is refused like any
/// other that the list did not issue.
#[actix_web::test]
async fn an_empty_cursor_is_refused_as_the_document_says() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for path in [
        "/api/v1/agencies?cursor=",
        "/api/v1/audit/checkpoints?cursor=",
    ] {
        let response = app.get(path, &admin).send().await.unwrap();
        let body = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "cursor", "{path}: {body}");
    }
}
