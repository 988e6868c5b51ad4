//! Integration tests: every test drives the HTTP API of a real server on a fresh database.
//! `cargo test` runs them on SQLite; with `TEST_DATABASE_URL=postgres://...` on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;

