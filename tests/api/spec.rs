//! The committed OpenAPI document matches the code, and every documented operation is served;
//! both schemas (PostgreSQL and SQLite) have the same tables and columns as `src/db/schema.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use diesel::RunQueryDsl;
use serde_json::Value;

use crate::helpers::{TestApp, TestDb, postgres_url};
use asn_merit::db::{self, AnyConnection};

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Regenerate with `UPDATE_API_SPEC=1 cargo test --test api spec`.
#[test]
fn committed_api_spec_matches_the_code() {
    let generated = asn_merit::openapi::document();
    let path = repo_file("api-spec/openapi.json");
    if std::env::var("UPDATE_API_SPEC").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "api-spec/openapi.json differs from the code; run `UPDATE_API_SPEC=1 cargo test --test api spec` and commit it"
    );
}

/// The white space the document's patterns name (inside `[...]`, `[^...]` or `[^;...]`, the
/// negated ones with NUL added), spelled the same everywhere, is exactly what `str::trim`
/// removes: Unicode White_Space.
#[test]
fn the_white_space_of_the_document_patterns_is_rusts() {
    const WHITE_SPACE: &str =
        r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    fn patterns(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("pattern", Value::String(p)) => out.push(p.clone()),
                        _ => patterns(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| patterns(item, out)),
            _ => {}
        }
    }
    let spec: Value = serde_json::from_str(&asn_merit::openapi::document()).unwrap();
    let mut all = Vec::new();
    patterns(&spec, &mut all);
    let mut classes = 0;
    for pattern in &all {
        for class in pattern.split('[').skip(1).filter(|c| c.contains(r"\u0085")) {
            let inner = class.split(']').next().unwrap();
            let inner = inner.trim_start_matches('^').trim_start_matches(';');
            // A negated class also excludes NUL (src/openapi/refusals.rs).
            let inner = inner.strip_suffix(r"\u0000").unwrap_or(inner);
            assert_eq!(inner, WHITE_SPACE, "in {pattern}");
            classes += 1;
        }
    }
    assert!(classes > 30, "only {classes} white-space classes found");
    // The class's characters: escapes `\t`, `\r`, `\uXXXX`, a space, and `a-b` ranges.
    let mut chars = Vec::new();
    let mut rest = WHITE_SPACE;
    while !rest.is_empty() {
        let (c, tail) = match rest.strip_prefix('\\') {
            Some(t) if t.starts_with('t') => ('\t', &t[1..]),
            Some(t) if t.starts_with('r') => ('\r', &t[1..]),
            Some(t) => {
                let code = u32::from_str_radix(&t[1..5], 16).unwrap();
                (char::from_u32(code).unwrap(), &t[5..])
            }
            None => (rest.chars().next().unwrap(), &rest[1..]),
        };
        chars.push(c);
        rest = tail;
    }
    let mut white_space = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars.get(i + 1) == Some(&'-') {
            white_space.extend(chars[i]..=chars[i + 2]);
            i += 3;
        } else {
            white_space.push(chars[i]);
            i += 1;
        }
    }
    let rust: Vec<char> = (char::MIN..=char::MAX)
        .filter(|c| c.is_whitespace())
        .collect();
    assert_eq!(white_space, rust);
}

/// Every route in the router appears in the document (a new route without a spec entry fails).
/// The router is read as text; if it moves or the reading breaks, the count below fails (it read
/// the old `src/http/mod.rs`, which held no route any more, and checked nothing).
#[test]
fn every_routed_path_is_documented() {
    let spec: Value = serde_json::from_str(&asn_merit::openapi::document()).unwrap();
    let documented: BTreeSet<String> = spec["paths"].as_object().unwrap().keys().cloned().collect();
    let router = std::fs::read_to_string(repo_file("src/router.rs")).unwrap();
    let mut routed = BTreeSet::new();
    let mut in_api_scope = false;
    for line in router.lines() {
        if line.contains("web::scope(\"/api/v1\")") {
            in_api_scope = true;
        }
        let Some(start) = line.find("resource(\"") else {
            continue;
        };
        let rest = &line[start + 10..];
        let path = &rest[..rest.find('"').unwrap()];
        let full = if in_api_scope {
            format!("/api/v1{path}")
        } else {
            path.to_string()
        };
        assert!(
            documented.contains(&full),
            "{full} is routed but not in the OpenAPI document"
        );
        routed.insert(full);
    }
    assert!(
        routed.len() >= 50 && routed.contains("/api/v1/openings/{id}/lock-stage"),
        "only {} routed paths read from src/router.rs: {routed:?}",
        routed.len()
    );
}

/// Every documented operation is routed: no `route_not_found` or `method_not_allowed`.
#[actix_web::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    let served: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let generated: Value = serde_json::from_str(&asn_merit::openapi::document()).unwrap();
    assert_eq!(
        served, generated,
        "the served document differs from the generated one"
    );
    let mut checked = 0;
    for (path, operations) in generated["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .http
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert!(
                body["code"] != "route_not_found" && body["code"] != "method_not_allowed",
                "{method} {path} is documented but not served ({status} {body})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations checked");
}

/// Tables and columns as `src/db/schema.rs` declares them.
fn declared_schema() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(repo_file("src/db/schema.rs")).unwrap();
    let mut tables = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line
            .strip_suffix('{')
            .and_then(|l| l.split_once(" ("))
            .map(|(n, _)| n.trim())
            && !name.contains(' ')
            && !name.is_empty()
        {
            current = Some(name.to_string());
            tables.insert(name.to_string(), BTreeSet::new());
            continue;
        }
        if line == "}" {
            current = None;
        }
        if let (Some(table), Some((column, _))) = (&current, line.split_once(" -> ")) {
            tables.get_mut(table).unwrap().insert(column.to_string());
        }
    }
    tables
}

#[derive(diesel::QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

fn actual_schema(conn: &mut AnyConnection) -> BTreeMap<String, BTreeSet<String>> {
    let query = match conn {
        AnyConnection::Postgresql(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
        AnyConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT IN ('__diesel_schema_migrations', 'write_lock') AND m.name NOT LIKE 'sqlite_%'"
        }
    };
    let rows: Vec<ColumnRow> = diesel::sql_query(query).load(conn).unwrap();
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        tables
            .entry(row.table_name)
            .or_default()
            .insert(row.column_name);
    }
    tables
}

/// SQLite is always checked; PostgreSQL too in the PostgreSQL pass. Both equal to schema.rs
/// means both equal to each other.
#[test]
fn both_backends_have_the_tables_and_columns_of_schema_rs() {
    let declared = declared_schema();
    assert!(declared.len() >= 8, "{declared:?}");
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = dir.path().join("schema.db").to_string_lossy().into_owned();
    db::run_migrations(&sqlite_url).unwrap();
    assert_eq!(
        actual_schema(&mut db::establish(&sqlite_url).unwrap()),
        declared,
        "SQLite schema differs"
    );
    if postgres_url().is_some() {
        let pg = TestDb::fresh();
        assert_eq!(
            actual_schema(&mut pg.connection()),
            declared,
            "PostgreSQL schema differs"
        );
    }
}
