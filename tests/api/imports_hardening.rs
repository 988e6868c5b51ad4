//! Imports against hostile files: rows longer than the row limit, text the databases refuse,
//! JSON lines that name a key twice, and paging an error report whose rows have many errors.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};
use crate::world::*;

/// A generated CSV file with the cell `column` of data row `row` (1-based) set to `value`.
fn csv_with_cell(file: &[u8], row: usize, column: &str, value: &str) -> Vec<u8> {
    let mut reader = csv::Reader::from_reader(file);
    let header = reader.headers().unwrap().clone();
    let index = header.iter().position(|h| h == column).unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let cells: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if i + 1 == row && c == index {
                    value
                } else {
                    cell
                }
            })
            .collect();
        writer.write_record(cells).unwrap();
    }
    writer.into_inner().unwrap()
}

/// A generated JSON Lines file with line `row` (1-based) replaced by `line`.
fn jsonl_with_line(file: &[u8], row: usize, line: &str) -> Vec<u8> {
    let text = String::from_utf8(file.to_vec()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == row { line } else { l })
        .collect();
    format!("{}\n", lines.join("\n")).into_bytes()
}

/// A generated JSON line with `key` set to `value`.
fn jsonl_line_with(file: &[u8], row: usize, key: &str, value: Value) -> String {
    let text = String::from_utf8(file.to_vec()).unwrap();
    let mut object: serde_json::Map<String, Value> =
        serde_json::from_str(text.lines().nth(row - 1).unwrap()).unwrap();
    object.insert(key.into(), value);
    serde_json::to_string(&object).unwrap()
}

async fn import_valid_rows(
    app: &TestApp,
    r: &Recruitment,
    content_type: &str,
    file: Vec<u8>,
) -> Value {
    let response = upload(app, &r.hr, &r.round, "valid_rows", content_type, file).await;
    let status = response.status().as_u16();
    let queued: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{queued}");
    finished_import(app, &r.hr, queued["id"].as_str().unwrap()).await
}

async fn error_page(app: &TestApp, user: &TestUser, import: &str, query: &str) -> Value {
    let response = app
        .get(
            &format!("/api/v1/application-imports/{import}/errors?{query}"),
            user,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// Every error of the report as `(row, field, code)`, in report order.
async fn all_errors(app: &TestApp, user: &TestUser, import: &str) -> Vec<(i64, String, String)> {
    let page = error_page(app, user, import, "limit=1000").await;
    assert!(page["next_cursor"].is_null());
    triples(&page)
}

fn triples(page: &Value) -> Vec<(i64, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn counts(import: &Value) -> (Option<&str>, Option<i64>, Option<i64>, Option<i64>) {
    (
        import["status"].as_str(),
        import["rows_read"].as_i64(),
        import["rows_accepted"].as_i64(),
        import["rows_rejected"].as_i64(),
    )
}

#[actix_web::test]
async fn imports_refuse_a_row_longer_than_max_import_row_bytes_and_import_the_others() {
    let app = TestApp::spawn_with(&[("MAX_IMPORT_ROW_BYTES", "4096")]).await;
    let r = Recruitment::setup(&app).await;
    generated_openings(&app, &r, 1).await;
    let long_name = "x".repeat(3 * 1024 * 1024);

    let csv = csv_with_cell(&generated(20, 1, 0, false), 5, "full_name", &long_name);
    let done = import_valid_rows(&app, &r, "text/csv", csv).await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(20), Some(19), Some(1)),
        "{done}"
    );
    let id = done["id"].as_str().unwrap();
    assert_eq!(
        all_errors(&app, &r.hr, id).await,
        [(5, "row".to_string(), "row_too_long".to_string())]
    );

    // The same in JSON Lines (other people, so nothing is unchanged).
    let jsonl = generated(40, 1, 0, true);
    let jsonl: Vec<u8> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .skip(20)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let line = jsonl_line_with(&jsonl, 7, "full_name", json!(long_name));
    let done = import_valid_rows(
        &app,
        &r,
        "application/x-ndjson",
        jsonl_with_line(&jsonl, 7, &line),
    )
    .await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(20), Some(19), Some(1)),
        "{done}"
    );
    assert_eq!(
        all_errors(&app, &r.hr, done["id"].as_str().unwrap()).await,
        [(7, "row".to_string(), "row_too_long".to_string())]
    );
}

/// PostgreSQL refuses NUL in text; SQLite would store it. Both refuse the row alone, with the
/// code the JSON API uses for the same value, and import the rest of the file.
#[actix_web::test]
async fn imports_refuse_a_nul_in_a_row_as_invalid_text_and_import_the_rest() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 1).await;
    let file = generated(1500, 1, 0, false);
    let csv = csv_with_cell(&file, 1200, "full_name", "Siti\u{0}Rahma");
    let done = import_valid_rows(&app, &r, "text/csv", csv).await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(1500), Some(1499), Some(1)),
        "{done}"
    );
    assert_eq!(
        all_errors(&app, &r.hr, done["id"].as_str().unwrap()).await,
        [(1200, "full_name".to_string(), "invalid_text".to_string())]
    );

    let jsonl = generated(1540, 1, 0, true);
    let jsonl: Vec<u8> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .skip(1500)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let line = jsonl_line_with(&jsonl, 3, "education_field", json!("Teknik\u{0}"));
    let done = import_valid_rows(
        &app,
        &r,
        "application/x-ndjson",
        jsonl_with_line(&jsonl, 3, &line),
    )
    .await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(40), Some(39), Some(1)),
        "{done}"
    );
    assert_eq!(
        all_errors(&app, &r.hr, done["id"].as_str().unwrap()).await,
        [(3, "education_field".to_string(), "invalid_text".to_string())]
    );

    // The JSON API refuses the same value with 422.
    let mut body = applicant(9001);
    body["full_name"] = json!("Siti\u{0}Rahma");
    let response = apply(&app, &r.hr, &openings[0], &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "full_name", "{problem}");
}

#[actix_web::test]
async fn json_lines_that_name_a_key_twice_or_are_not_objects_are_row_errors() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    generated_openings(&app, &r, 1).await;
    let file = generated(10, 1, 0, true);
    let twice = jsonl_line_with(&file, 2, "email", json!("first@example.co.id"));
    let twice = format!(
        "{},\"email\":\"second@example.co.id\"}}",
        &twice[..twice.len() - 1]
    );
    let file = jsonl_with_line(&file, 2, &twice);
    let file = jsonl_with_line(&file, 4, "[\"GEN-00001\", \"3273014506990001\"]");
    let done = import_valid_rows(&app, &r, "application/x-ndjson", file).await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(10), Some(8), Some(2)),
        "{done}"
    );
    let errors = all_errors(&app, &r.hr, done["id"].as_str().unwrap()).await;
    assert_eq!(
        errors,
        [
            (2, "email".to_string(), "duplicate_key".to_string()),
            (4, "row".to_string(), "malformed_row".to_string())
        ]
    );
}

#[actix_web::test]
async fn paging_the_error_report_returns_every_error_exactly_once() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    generated_openings(&app, &r, 1).await;
    let mut file = generated(12, 1, 0, false);
    // Rows 2..=10 have four or more bad fields each; the others are good.
    for row in 2..=10 {
        for (column, value) in [
            ("nik", "12"),
            ("kk", "34"),
            ("email", "not-an-email"),
            ("gpa_x100", "999"),
            ("seat_group", "nobody"),
        ] {
            file = csv_with_cell(&file, row, column, value);
        }
    }
    let done = import_valid_rows(&app, &r, "text/csv", file).await;
    assert_eq!(
        counts(&done),
        (Some("completed"), Some(12), Some(3), Some(9)),
        "{done}"
    );
    let id = done["id"].as_str().unwrap();
    let everything = all_errors(&app, &r.hr, id).await;
    assert!(everything.len() >= 36, "{everything:?}");
    for limit in [1, 2, 3, 7] {
        let mut seen = Vec::new();
        let mut query = format!("limit={limit}");
        loop {
            let page = error_page(&app, &r.hr, id, &query).await;
            let items = triples(&page);
            assert!(items.len() <= limit, "{page}");
            seen.extend(items);
            match &page["next_cursor"] {
                Value::Null => break,
                Value::String(next) => query = format!("limit={limit}&cursor={next}"),
                other => query = format!("limit={limit}&cursor={other}"),
            }
            assert!(seen.len() <= everything.len(), "paging does not end");
        }
        assert_eq!(seen, everything, "limit={limit}");
        let distinct: BTreeSet<_> = seen.iter().collect();
        assert_eq!(distinct.len(), seen.len());
    }
}
