//! Test harness: a real server started in-process on a random port, against a fresh database of
//! its own: a temporary SQLite file, or (with `TEST_DATABASE_URL=postgres://...`) a PostgreSQL
//! database cloned from a template migrated once, dropped when the test ends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use asn_merit::agencies::model::AgencyId;
use asn_merit::app::AppState;
use asn_merit::audit::model::AuditContext;
use asn_merit::auth::model::{NewUser, Role, UserId};
use asn_merit::auth::{password, store as users};
use asn_merit::clock::{Clock, ShiftedClock};
use asn_merit::config::Config;
use asn_merit::db::types::Timestamp;
use asn_merit::db::{self, AnyConnection, Backend};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

pub const TEST_PASSWORD: &str = "Sate-Padang-42-Enak";

/// Which backend this run tests: PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
/// Loopback test connections skip TLS unless the URL asks for it: it adds nothing on 127.0.0.1,
/// and it keeps OpenSSL (and its exit-time clean-up, which raced with still-running server
/// threads of finished tests) out of the test process.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|url| {
            if url.contains("sslmode=") {
                url
            } else if url.contains('?') {
                format!("{url}&sslmode=disable")
            } else {
                format!("{url}?sslmode=disable")
            }
        })
}

/// Writes past the test harness's output capture, so the note shows in every run.
pub fn announce(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

pub fn backend() -> Backend {
    if postgres_url().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

fn maintenance_connection(url: &str) -> diesel::PgConnection {
    let admin = with_database(url, "postgres");
    diesel::PgConnection::establish(&admin)
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable ({e}); the PostgreSQL pass cannot run"))
}

static TEMPLATE: OnceLock<String> = OnceLock::new();

/// Hash of the PostgreSQL migrations, so a changed schema gets a template of its own.
fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&root);
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.strip_prefix(&root).unwrap().to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap());
    }
    hex::encode(hasher.finalize())[..16].to_string()
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

/// The migrated template, created once per schema version (under an advisory lock, since test
/// processes may race) and reused; `.ci/run` sweeps old ones.
fn template(url: &str) -> String {
    TEMPLATE
        .get_or_init(|| {
            use diesel::RunQueryDsl;
            let name = format!("asn_merit_tpl_{}", migrations_fingerprint());
            let mut admin = maintenance_connection(url);
            admin.batch_execute("SELECT pg_advisory_lock(7263550999)").unwrap();
            #[derive(diesel::QueryableByName)]
            struct Ready {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                ready: bool,
            }
            let state: Vec<Ready> = diesel::sql_query(
                "SELECT COALESCE(shobj_description(oid, 'pg_database') = 'ready', false) AS ready FROM pg_database WHERE datname = $1",
            )
            .bind::<diesel::sql_types::Text, _>(&name)
            .load(&mut admin)
            .unwrap();
            match state.first() {
                Some(r) if r.ready => {}
                existing => {
                    if existing.is_some() {
                        admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
                    }
                    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                    db::run_migrations(&with_database(url, &name)).unwrap();
                    admin.batch_execute(&format!("COMMENT ON DATABASE {name} IS 'ready'")).unwrap();
                }
            }
            admin.batch_execute("SELECT pg_advisory_unlock(7263550999)").unwrap();
            name
        })
        .clone()
}

impl TestDb {
    pub fn fresh() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match postgres_url() {
            None => TestDb {
                url: dir.path().join("test.db").to_string_lossy().into_owned(),
                dir,
                pg_name: None,
            },
            Some(url) => {
                let template = template(&url);
                let name = format!("asn_merit_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = maintenance_connection(&url);
                let mut attempts = 0;
                loop {
                    match admin
                        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    {
                        Ok(()) => break,
                        Err(e) if attempts < 20 => {
                            attempts += 1;
                            let _ = e;
                            std::thread::sleep(std::time::Duration::from_millis(50 * attempts));
                        }
                        Err(e) => panic!("cannot create test database: {e}"),
                    }
                }
                TestDb {
                    url: with_database(&url, &name),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// PostgreSQL only: a database created empty and migrated now (not cloned from the
    /// template), for tests whose migrations must see roles that exist at this moment.
    pub fn migrated_from_scratch() -> Self {
        assert!(postgres_url().is_some(), "a PostgreSQL test");
        let db = Self::empty();
        db::run_migrations(&db.url).unwrap();
        db
    }

    /// A database with no schema at all (PostgreSQL: created empty; SQLite: a file not yet
    /// created), for tests that migrate it step by step.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match postgres_url() {
            None => TestDb {
                url: dir.path().join("test.db").to_string_lossy().into_owned(),
                dir,
                pg_name: None,
            },
            Some(url) => {
                let name = format!("asn_merit_test_{}", uuid::Uuid::new_v4().simple());
                maintenance_connection(&url)
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                TestDb {
                    url: with_database(&url, &name),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// This database's URL with another user and password.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap();
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        format!("{scheme}://{user}:{password}@{host}")
    }

    pub fn connection(&self) -> AnyConnection {
        db::establish(&self.url).unwrap()
    }
}

/// Runs SQL on the PostgreSQL maintenance database as the test role.
pub fn as_maintenance(sql: &str) {
    let url = postgres_url().expect("a PostgreSQL test");
    maintenance_connection(&url).batch_execute(sql).unwrap();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let Some(url) = postgres_url() else { return };
        let mut admin = maintenance_connection(&url);
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// A user with a minted access token (through the project's own token and session code).
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub agency: Option<AgencyId>,
    pub token: String,
}

fn precomputed_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_blocking(TEST_PASSWORD).unwrap())
        .clone()
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub state: AppState,
    /// The server's clock: tests move it forward instead of sleeping or editing timestamps.
    pub clock: Arc<ShiftedClock>,
    handle: actix_web::dev::ServerHandle,
}

/// A finished test stops its server at once, so no worker threads (and their database
/// connections) outlive it.
impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the returned future would only wait for completion.
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server with extra settings (env-var names and values).
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        let db = TestDb::fresh();
        Self::spawn_on(db, settings).await
    }

    pub fn settings(db: &TestDb, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = [
            (
                "DATA_DIR",
                db.dir.path().join("data").to_string_lossy().into_owned(),
            ),
            ("DATABASE_URL", db.url.clone()),
            ("WORKERS", "1".into()),
            ("DB_POOL_SIZE", "4".into()),
            ("HASH_THREADS", "1".into()),
            ("CHECKPOINT_INTERVAL_SECONDS", "0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            map.insert(k.to_string(), v.to_string());
        }
        map
    }

    pub async fn spawn_on(db: TestDb, extra: &[(&str, &str)]) -> Self {
        let map = Self::settings(&db, extra);
        let config = Config::from_lookup(&|name| map.get(name).cloned()).unwrap();
        if backend() == Backend::Sqlite {
            db::run_migrations(&config.database_url).unwrap();
        }
        let clock = Arc::new(ShiftedClock::new());
        let mut state = asn_merit::build_state(config).unwrap();
        state.clock = clock.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = asn_merit::start_server(state.clone(), listener).unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        asn_merit::spawn_background_jobs(state.clone());
        TestApp {
            base,
            http: reqwest::Client::new(),
            db,
            state,
            clock,
            handle,
        }
    }

    /// Moves the server's clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Moves the server's clock just past `instant` (no move if it is already past).
    pub fn advance_past(&self, instant: chrono::DateTime<chrono::Utc>) {
        let now = self.clock.now().as_datetime();
        if instant >= now {
            self.clock
                .advance(instant - now + chrono::Duration::milliseconds(1));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&user.token)
    }
    /// GET `path` as `user` and read the JSON body, whatever the status.
    pub async fn get_json(&self, path: &str, user: &TestUser) -> Value {
        self.get(path, user)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    pub fn post(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&user.token)
    }
    pub fn patch(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.http.patch(self.url(path)).bearer_auth(&user.token)
    }
    pub fn put(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.http.put(self.url(path)).bearer_auth(&user.token)
    }
    pub fn delete(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(&user.token)
    }

    /// Runs blocking database work for fixtures and tampering.
    pub async fn with_conn<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> R + Send + 'static,
    ) -> R {
        let url = self.db.url.clone();
        actix_web::web::block(move || f(&mut db::establish(&url).unwrap()))
            .await
            .unwrap()
    }

    /// Creates an active user with a known password (fixture, audited as a CLI operator) and
    /// mints a session token for it.
    pub async fn user(&self, role: Role, agency: Option<AgencyId>) -> TestUser {
        let email = format!(
            "{}.{}@test.go.id",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        );
        let state = self.state.clone();
        let hash = precomputed_hash();
        let mail = email.clone();
        let user_id = self
            .with_conn(move |conn| {
                db::write_transaction(conn, |conn| {
                    users::create(
                        conn,
                        &AuditContext::cli("test-fixture"),
                        &state.digester,
                        NewUser {
                            email: mail,
                            full_name: "Fixture User".into(),
                            role,
                            agency_id: agency,
                            password_hash: Some(hash),
                        },
                    )
                })
                .unwrap()
                .id
            })
            .await;
        let token = self.mint_token(user_id, role, agency).await;
        TestUser {
            id: user_id,
            email,
            role,
            agency,
            token,
        }
    }

    pub async fn mint_token(&self, user: UserId, role: Role, agency: Option<AgencyId>) -> String {
        let jti = uuid::Uuid::now_v7();
        let now = Timestamp::now();
        let (token, claims) = self
            .state
            .tokens
            .issue(user, role, agency, jti, now.as_datetime().timestamp())
            .unwrap();
        let expires =
            Timestamp::from_datetime(chrono::DateTime::from_timestamp(claims.exp, 0).unwrap());
        self.with_conn(move |conn| {
            db::write_transaction(conn, |conn| {
                users::sessions::create_session(conn, jti, user, now, expires)
            })
            .unwrap()
        })
        .await;
        token
    }

    pub async fn admin(&self) -> TestUser {
        self.user(Role::Admin, None).await
    }

    /// Creates an agency over the API as `admin`.
    pub async fn agency(&self, admin: &TestUser, code: &str) -> AgencyId {
        let response = self
            .post("/api/v1/agencies", admin)
            .json(&json!({"code": code, "name": format!("Instansi {code}"), "level": "central", "time_zone": "WIB"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "creating agency {code}");
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Logs in over HTTP (a real argon2 verification).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// The database (and data directory) of this app, to start another server on it.
    pub fn into_db(mut self) -> TestDb {
        let placeholder = TestDb {
            url: String::new(),
            dir: tempfile::tempdir().unwrap(),
            pg_name: None,
        };
        std::mem::replace(&mut self.db, placeholder)
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// Asserts an RFC 9457 problem response with the given status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "problem body: {body}");
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

pub fn data_dir(app: &TestApp) -> PathBuf {
    app.db.dir.path().join("data")
}

/// Runs the `asn-merit` binary against this app's database; returns exit code, stdout, stderr.
pub fn cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_asn-merit"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("DATA_DIR", data_dir(app))
        .env("CHECKPOINT_INTERVAL_SECONDS", "0")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
