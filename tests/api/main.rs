//! Integration tests: every test drives the HTTP API of a real server on a fresh database.
//! `cargo test` runs them on SQLite; with `TEST_DATABASE_URL=postgres://...` on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod appeals;
mod applications;
mod audit;
mod authz_matrix;
mod errors;
mod grants;
mod imports;
mod openings;
mod ops;
mod scores;
mod spec;
mod world;

/// Says which backend this run covered, so a missing PostgreSQL pass is never silent.
#[test]
fn backend_of_this_run() {
    match helpers::postgres_url() {
        Some(_) => helpers::announce("NOTE: this run tests PostgreSQL (TEST_DATABASE_URL is set)"),
        None => helpers::announce(
            "NOTE: this run tests SQLite only; the PostgreSQL pass did NOT run. \
             Set TEST_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres to run it (.ci/run does).",
        ),
    }
}
