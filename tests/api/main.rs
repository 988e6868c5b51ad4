//! Integration tests: every test drives the HTTP API of a real server on a fresh database.
//! `cargo test` runs them on SQLite; with `TEST_DATABASE_URL=postgres://...` on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod appeals;
mod applications;
mod audit;
mod audit_log;
mod audit_offline;
mod audit_tree;
mod authz_matrix;
mod deviations_report;
mod errors;
mod grants;
mod imports;
mod imports_hardening;
mod limits;
mod login_throttle;
mod openings;
mod ops;
mod panel_world;
mod panels;
mod scores;
mod spec;
mod world;

/// Says which backend this run covered, so a missing PostgreSQL pass is never silent, and checks
/// that the server under test and a fresh test database really are on that backend (a harness
/// that fell back to SQLite, or a PostgreSQL it cannot reach, fails here).
#[actix_web::test]
async fn backend_of_this_run() {
    use asn_merit::db::{AnyConnection, Backend};
    let expected = match helpers::postgres_url() {
        Some(_) => {
            helpers::announce("NOTE: this run tests PostgreSQL (TEST_DATABASE_URL is set)");
            Backend::Postgres
        }
        None => {
            helpers::announce(
                "NOTE: this run tests SQLite only; the PostgreSQL pass did NOT run. \
                 Set TEST_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres to run it (.ci/run does).",
            );
            Backend::Sqlite
        }
    };
    let app = helpers::TestApp::spawn().await;
    assert_eq!(app.state.db.backend(), expected, "the server under test");
    let on = app
        .with_conn(|conn| match conn {
            AnyConnection::Postgresql(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        })
        .await;
    assert_eq!(on, expected, "the test database {}", app.db.url);
}
