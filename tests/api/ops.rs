//! Operations: health, readiness through a database outage, pool exhaustion, metrics,
//! request ids, and logs that never contain secrets.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TEST_PASSWORD, TestApp, TestDb, assert_problem, postgres_url};

#[actix_web::test]
async fn health_and_readiness_answer_when_the_database_is_up() {
    let app = TestApp::spawn().await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
}

#[actix_web::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let echoed = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42.a_b");
    let replaced = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let generated = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
}

#[actix_web::test]
async fn metrics_count_requests_per_route_and_show_the_pool() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "METRIK").await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/agencies/{agency}"), &admin)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/agencies/{id}",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/agencies/{id}\""
    ));
    for gauge in [
        "db_pool_connections_in_use",
        "db_pool_connections_idle",
        "db_pool_connections_max 4",
    ] {
        assert!(text.contains(gauge), "{gauge} missing");
    }
}

#[actix_web::test]
async fn an_exhausted_pool_answers_503_promptly() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "1"), ("DB_ACQUIRE_TIMEOUT_MS", "300")]).await;
    let db = app.state.db.clone();
    let holder = actix_web::rt::spawn(async move {
        db.run(|_conn| {
            std::thread::sleep(Duration::from_millis(2500));
            Ok(())
        })
        .await
    });
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    let waited = started.elapsed();
    assert_problem(response, 503, "service_overloaded").await;
    assert!(waited < Duration::from_millis(1500), "waited {waited:?}");
    holder.await.unwrap().unwrap();
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// A TCP proxy in front of PostgreSQL that can be cut and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (up2, conns2) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns2.lock().unwrap().push(task);
            }
        });
        Proxy {
            port,
            up,
            connections,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn ready_status(app: &TestApp) -> u16 {
    app.http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn wait_for_ready(app: &TestApp, status: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if ready_status(app).await == status {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// PostgreSQL only: SQLite is a file inside the process and cannot go away on its own, so the
/// SQLite pass has nothing to check here and only prints that this belongs to the PostgreSQL pass.
#[actix_web::test]
async fn the_server_recovers_when_postgres_goes_away_and_comes_back() {
    let Some(pg) = postgres_url() else {
        crate::helpers::announce(
            "NOTE: database outage recovery runs in the PostgreSQL pass only (TEST_DATABASE_URL)",
        );
        return;
    };
    let db = TestDb::fresh();
    let host_port = pg
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_string();
    let proxy = Proxy::start(host_port.clone()).await;
    let proxied_url = db
        .url
        .replace(&host_port, &format!("127.0.0.1:{}", proxy.port));
    let app = TestApp::spawn_on(
        db,
        &[
            ("DATABASE_URL", &proxied_url),
            ("DB_ACQUIRE_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let admin = app.admin().await;
    assert_eq!(ready_status(&app).await, 200);
    assert_eq!(
        app.get("/api/v1/me", &admin).send().await.unwrap().status(),
        200
    );

    proxy.cut();
    assert!(
        wait_for_ready(&app, 503).await,
        "readyz never reported the outage"
    );
    let during = app.get("/api/v1/me", &admin).send().await.unwrap();
    assert_eq!(
        during.status(),
        503,
        "requests during the outage must get 503 problem+json"
    );

    proxy.restore();
    assert!(
        wait_for_ready(&app, 200).await,
        "the server did not recover without a restart"
    );
    assert_eq!(
        app.get("/api/v1/me", &admin).send().await.unwrap().status(),
        200
    );
}

/// Starts the real binary with JSON logs, logs in, and checks that no log line carries the
/// password or the token, while the request id does appear.
#[actix_web::test]
async fn login_logs_contain_neither_password_nor_token() {
    let db = TestDb::fresh();
    let data = db.dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = env!("CARGO_BIN_EXE_asn-merit");
    let envs = [
        ("DATABASE_URL", db.url.clone()),
        ("DATA_DIR", data.to_string_lossy().into_owned()),
        ("BIND_ADDR", format!("127.0.0.1:{port}")),
        ("LOG_FORMAT", "json".into()),
        ("RUST_LOG", "debug".into()),
        ("WORKERS", "1".into()),
    ];
    let mut server = Command::new(binary)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            Instant::now() < deadline,
            "server did not start: {:?}",
            lines.lock().unwrap()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let created = Command::new(binary)
        .args(["create-admin", "--email", "admin.log@bkn.go.id"])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("ASN_MERIT_ADMIN_PASSWORD", TEST_PASSWORD)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("x-request-id", "login-log-check")
        .json(&serde_json::json!({"email": "admin.log@bkn.go.id", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    // A request the HTTP parser cannot read is a client's mistake: WARN, not ERROR.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        raw.write_all(b"GARBAGE \x01 HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut answer)).await;
        assert!(
            answer.starts_with(b"HTTP/1.1 400"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let _ = server.kill();
    let _ = server.wait();

    let logs = lines.lock().unwrap().join("\n");
    assert!(
        logs.contains("no administrator exists yet"),
        "start-up must say how to create an admin:\n{logs}"
    );
    assert!(
        logs.contains("login-log-check"),
        "the login request's log line is missing:\n{logs}"
    );
    for line in lines.lock().unwrap().iter() {
        if line.starts_with('{') {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        }
    }
    assert!(
        logs.contains("unreadable request"),
        "the malformed request is not logged:\n{logs}"
    );
    assert!(
        !logs.contains("\"level\":\"ERROR\""),
        "something was logged at ERROR:\n{logs}"
    );
    assert!(
        !logs.contains(TEST_PASSWORD),
        "the password appears in the logs"
    );
    assert!(!logs.contains(&token), "the token appears in the logs");
    let token_signature = token.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(token_signature),
        "the token signature appears in the logs"
    );
    assert!(
        !logs.contains("admin.log@bkn.go.id"),
        "the email appears in the logs"
    );
}

#[actix_web::test]
async fn serve_refuses_a_short_jwt_secret() {
    let db = TestDb::fresh();
    let output = Command::new(env!("CARGO_BIN_EXE_asn-merit"))
        .env("DATABASE_URL", &db.url)
        .env("DATA_DIR", db.dir.path().join("data"))
        .env("JWT_SECRET", "too-short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("JWT_SECRET must be at least 32 bytes")
    );
}

#[actix_web::test]
async fn generated_secrets_are_private_files_that_survive_restarts() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let data = crate::helpers::data_dir(&app);
    for file in ["jwt-secret", "pii.key", "audit-signing.key"] {
        let mode = std::fs::metadata(data.join(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
    // A second server on the same data directory accepts the first one's token.
    app.stop().await;
    let restarted = TestApp::spawn_on(app.into_db(), &[]).await;
    assert_eq!(
        restarted
            .get("/api/v1/me", &admin)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// SIGTERM while a request is half-sent: the server finishes that request, then exits.
#[actix_web::test]
async fn sigterm_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::fresh();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_asn-merit"))
        .env("DATABASE_URL", &db.url)
        .env("DATA_DIR", db.dir.path().join("data"))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("WORKERS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "server did not start");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let body = r#"{"email":"nobody@test.go.id","password":"Wrong-Password-99"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;

    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the in-flight request was not completed: {response:?}"
    );

    let exited = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        server.try_wait().unwrap()
    });
    assert!(exited.is_some(), "the server did not exit after SIGTERM");
    assert!(
        client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err(),
        "still accepting"
    );
}

/// The deployment runs the server as `asn_merit_app`, a role that owns nothing: the migration's
/// grants block must leave it able to serve, but never to rewrite the audit chain or the
/// migration bookkeeping. SQLite has no roles: there the server's own connection is the one to
/// check, and the append-only triggers must refuse every rewrite of the chain's rows.
#[actix_web::test]
async fn the_server_role_may_read_and_append_the_audit_chain_but_never_rewrite_it() {
    if postgres_url().is_none() {
        sqlite_connection_may_append_the_audit_chain_but_never_rewrite_it().await;
        return;
    }
    let password = "asn-merit-test-app-role";
    crate::helpers::as_maintenance(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') \
         THEN CREATE ROLE asn_merit_app LOGIN; END IF; END $$; \
         ALTER ROLE asn_merit_app LOGIN PASSWORD '{password}'"
    ));
    let db = actix_web::web::block(TestDb::migrated_from_scratch)
        .await
        .unwrap();
    let app_url = db.url_as("asn_merit_app", password);
    let app = TestApp::spawn_on(
        db,
        &[("DATABASE_URL", &app_url), ("MIGRATE_ON_START", "false")],
    )
    .await;
    // Fixtures below write through the harness's own (owner) connection; the server itself and
    // the checks at the end use the restricted role.
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let admin = app.admin().await;
    app.agency(&admin, "ROLE-TEST").await;
    let auditor = app.user(asn_merit::auth::model::Role::Auditor, None).await;
    let verified: Value = app
        .get("/api/v1/audit/verify", &auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["ok"], true, "{verified}");

    let refused = actix_web::web::block(move || {
        use diesel::connection::SimpleConnection;
        let conn = &mut asn_merit::db::establish(&app_url).unwrap();
        [
            "DELETE FROM audit_events",
            "UPDATE audit_events SET action = 'forged'",
            "TRUNCATE audit_events",
            "UPDATE audit_tree_nodes SET event_id = event_id + 1 WHERE level = 0",
            "UPDATE audit_tree_nodes SET hash = 'forged'",
            "DELETE FROM audit_tree_nodes",
            "TRUNCATE audit_tree_nodes",
            "ALTER TABLE audit_tree_nodes DISABLE TRIGGER USER",
            "DELETE FROM audit_checkpoints",
            "DELETE FROM __diesel_schema_migrations",
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "SET session_replication_role = replica",
            "CREATE TABLE intruder (id int)",
        ]
        .iter()
        .filter(|sql| conn.batch_execute(sql).is_ok())
        .map(|sql| sql.to_string())
        .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(
        refused.is_empty(),
        "the server role was allowed: {refused:?}"
    );
    drop(app);
}

/// The SQLite side of the restricted role: any connection may append (the server serves and
/// seals), none may change or delete an event or a checkpoint. (Whoever can drop the triggers
/// controls the file; the signed checkpoints are what reveal that.)
async fn sqlite_connection_may_append_the_audit_chain_but_never_rewrite_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.agency(&admin, "ROLE-TEST").await;
    let auditor = app.user(asn_merit::auth::model::Role::Auditor, None).await;
    let checkpoint = app
        .post("/api/v1/audit/checkpoints", &auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(checkpoint.status(), 201);
    let count = |conn: &mut asn_merit::db::AnyConnection| -> (i64, i64) {
        use asn_merit::db::schema::{audit_checkpoints, audit_events};
        use diesel::prelude::*;
        (
            audit_events::table.count().get_result(conn).unwrap(),
            audit_checkpoints::table.count().get_result(conn).unwrap(),
        )
    };
    let before = app.with_conn(count).await;
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");
    let allowed = app
        .with_conn(|conn| {
            use diesel::connection::SimpleConnection;
            [
                "DELETE FROM audit_events",
                "UPDATE audit_events SET action = 'forged'",
                "UPDATE audit_tree_nodes SET event_id = event_id + 1 WHERE level = 0",
                "DELETE FROM audit_tree_nodes",
                "DELETE FROM audit_checkpoints",
                "UPDATE audit_checkpoints SET head_hash = 'forged'",
            ]
            .iter()
            .filter(|sql| conn.batch_execute(sql).is_ok())
            .map(|sql| sql.to_string())
            .collect::<Vec<_>>()
        })
        .await;
    assert!(allowed.is_empty(), "SQLite allowed: {allowed:?}");
    assert_eq!(app.with_conn(count).await, before);
    let verified: Value = app
        .get("/api/v1/audit/verify", &auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["ok"], true, "{verified}");
}

#[cfg(unix)]
#[actix_web::test]
async fn the_data_directory_and_the_sqlite_files_of_a_running_server_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.agency(&admin, "PRIVAT").await;
    assert_eq!(mode(&crate::helpers::data_dir(&app)), 0o700);
    if let Some(file) = asn_merit::db::sqlite_file(&app.db.url) {
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}
