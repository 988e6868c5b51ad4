//! Bulk application imports: streamed jobs, modes, the error report, idempotent re-imports,
//! interrupted jobs, and the operator's command.

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, cli};
use crate::world::*;

async fn accepted(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        location,
        Some(format!(
            "/api/v1/application-imports/{}",
            body["id"].as_str().unwrap()
        ))
    );
    body
}

async fn count_applications(
    app: &TestApp,
    hr: &crate::helpers::TestUser,
    openings: &[String],
) -> usize {
    let mut total = 0;
    for opening in openings {
        let mut cursor = String::new();
        loop {
            let page: Value = app
                .get(
                    &format!("/api/v1/openings/{opening}/applications?limit=200{cursor}"),
                    hr,
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            total += page["items"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
    }
    total
}

#[actix_web::test]
async fn a_csv_import_records_every_row_once_and_a_reimport_changes_nothing() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 3).await;
    let file = generated(2500, 3, 0, false);
    let queued = accepted(
        upload(
            &app,
            &r.hr,
            &r.round,
            "all_or_nothing",
            "text/csv",
            file.clone(),
        )
        .await,
    )
    .await;
    assert_eq!(queued["status"], "queued");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&file))
    };
    assert_eq!(queued["file_sha256"], sha);
    let done = finished_import(&app, &r.hr, queued["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        (
            done["rows_read"].as_i64(),
            done["rows_accepted"].as_i64(),
            done["rows_rejected"].as_i64()
        ),
        (Some(2500), Some(2500), Some(0))
    );
    assert_eq!(count_applications(&app, &r.hr, &openings).await, 2500);
    // Each application records the import it came from, and numbers are unique in the round.
    let page: Value = app
        .get(
            &format!("/api/v1/openings/{}/applications?limit=200", openings[0]),
            &r.hr,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(items.iter().all(|a| a["import_id"] == queued["id"]));

    // The same file again: idempotent by NIK per opening.
    let again =
        accepted(upload(&app, &r.hr, &r.round, "all_or_nothing", "text/csv", file).await).await;
    let again = finished_import(&app, &r.hr, again["id"].as_str().unwrap()).await;
    assert_eq!(again["status"], "completed", "{again}");
    assert_eq!(
        (
            again["rows_accepted"].as_i64(),
            again["rows_unchanged"].as_i64()
        ),
        (Some(0), Some(2500))
    );
    assert_eq!(count_applications(&app, &r.hr, &openings).await, 2500);

    // One audit event per import (and per batch), carrying the file's hash and the counts.
    let events: Value = app
        .get(
            "/api/v1/audit/events?action=application_import.completed",
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let payload: Value = serde_json::from_str(events[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            payload["file_sha256"].as_str(),
            payload["rows_accepted"].as_i64()
        ),
        (Some(sha.as_str()), Some(2500))
    );
    assert_eq!(events[0]["actor_id"], r.hr.id.to_string());
    let per_row: Value = app
        .get(
            "/api/v1/audit/events?action=application.created",
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        per_row["items"].as_array().unwrap().len(),
        0,
        "no event per row"
    );
}

#[actix_web::test]
async fn bad_rows_reject_an_all_or_nothing_file_and_are_reported_in_valid_rows_mode() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 2).await;
    // 50 of 1000 rows carry one defect each; also a row naming an opening that does not exist.
    let mut file = generated(1000, 2, 50, false);
    let mut extra = String::from_utf8(generated(1, 2, 0, false))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    extra = extra.replacen("GEN-0000", "GEN-9999", 1);
    file.extend_from_slice(format!("{extra}\n").as_bytes());

    let rejected = accepted(
        upload(
            &app,
            &r.hr,
            &r.round,
            "all_or_nothing",
            "text/csv",
            file.clone(),
        )
        .await,
    )
    .await;
    let rejected = finished_import(&app, &r.hr, rejected["id"].as_str().unwrap()).await;
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(
        (
            rejected["rows_read"].as_i64(),
            rejected["rows_accepted"].as_i64(),
            rejected["rows_rejected"].as_i64()
        ),
        (Some(1001), Some(0), Some(51))
    );
    assert_eq!(
        count_applications(&app, &r.hr, &openings).await,
        0,
        "nothing recorded"
    );
    let report: Value = app
        .get(
            &format!(
                "/api/v1/application-imports/{}/errors?limit=1000",
                rejected["id"].as_str().unwrap()
            ),
            &r.hr,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errors = report["items"].as_array().unwrap();
    assert_eq!(errors.len(), 51, "{report}");
    let last = errors.last().unwrap();
    assert_eq!(
        (
            last["row"].as_i64(),
            last["field"].as_str(),
            last["code"].as_str()
        ),
        (Some(1001), Some("opening_code"), Some("unknown_opening"))
    );
    let codes: std::collections::BTreeSet<&str> =
        errors.iter().map(|e| e["code"].as_str().unwrap()).collect();
    for code in [
        "nik_birth_date_mismatch",
        "invalid_nik",
        "out_of_range",
        "invalid_email",
        "unknown_seat_group",
        "required",
    ] {
        assert!(codes.contains(code), "no {code} in {codes:?}");
    }

    let partial =
        accepted(upload(&app, &r.hr, &r.round, "valid_rows", "text/csv", file).await).await;
    let partial = finished_import(&app, &r.hr, partial["id"].as_str().unwrap()).await;
    assert_eq!(partial["status"], "completed", "{partial}");
    assert_eq!(
        (
            partial["rows_accepted"].as_i64(),
            partial["rows_rejected"].as_i64()
        ),
        (Some(950), Some(51))
    );
    assert_eq!(count_applications(&app, &r.hr, &openings).await, 950);
}

#[actix_web::test]
async fn json_lines_import_and_unreadable_files_are_rejected_whole() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 1).await;
    let jsonl = accepted(
        upload(
            &app,
            &r.hr,
            &r.round,
            "all_or_nothing",
            "application/x-ndjson",
            generated(300, 1, 0, true),
        )
        .await,
    )
    .await;
    let jsonl = finished_import(&app, &r.hr, jsonl["id"].as_str().unwrap()).await;
    assert_eq!(
        (jsonl["status"].as_str(), jsonl["rows_accepted"].as_i64()),
        (Some("completed"), Some(300)),
        "{jsonl}"
    );
    assert_eq!(count_applications(&app, &r.hr, &openings).await, 300);

    let bad_header = accepted(
        upload(
            &app,
            &r.hr,
            &r.round,
            "valid_rows",
            "text/csv",
            b"opening_code,nik,shoe_size\nGEN-00001,1,44\n".to_vec(),
        )
        .await,
    )
    .await;
    let bad_header = finished_import(&app, &r.hr, bad_header["id"].as_str().unwrap()).await;
    assert_eq!(bad_header["status"], "rejected");
    assert!(
        bad_header["detail"]
            .as_str()
            .unwrap()
            .contains("unknown columns: shoe_size"),
        "{bad_header}"
    );
    let wrong_type = upload(
        &app,
        &r.hr,
        &r.round,
        "valid_rows",
        "application/pdf",
        b"%PDF".to_vec(),
    )
    .await;
    assert_problem(wrong_type, 415, "unsupported_media_type").await;
    let missing_round = upload(
        &app,
        &r.hr,
        &uuid::Uuid::now_v7().to_string(),
        "valid_rows",
        "text/csv",
        b"x".to_vec(),
    )
    .await;
    assert_problem(missing_round, 404, "not_found").await;
    let unknown_mode = upload(
        &app,
        &r.hr,
        &r.round,
        "sometimes",
        "text/csv",
        b"x".to_vec(),
    )
    .await;
    assert_problem(unknown_mode, 400, "invalid_query").await;
}

#[actix_web::test]
async fn an_hr_officer_imports_only_into_own_agency_openings() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 1).await;
    let other = app.agency(&r.admin, "BPS").await;
    let other_hr = app
        .user(asn_merit::auth::model::Role::HrOfficer, Some(other))
        .await;
    let foreign = accepted(
        upload(
            &app,
            &other_hr,
            &r.round,
            "valid_rows",
            "text/csv",
            generated(20, 1, 0, false),
        )
        .await,
    )
    .await;
    let foreign = finished_import(&app, &other_hr, foreign["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            foreign["rows_accepted"].as_i64(),
            foreign["rows_rejected"].as_i64()
        ),
        (Some(0), Some(20))
    );
    assert_eq!(count_applications(&app, &r.hr, &openings).await, 0);
    // The import of agency B is not visible to agency A's HR officer.
    let peek = app
        .get(
            &format!(
                "/api/v1/application-imports/{}",
                foreign["id"].as_str().unwrap()
            ),
            &r.hr,
        )
        .send()
        .await
        .unwrap();
    assert_problem(peek, 404, "not_found").await;
    // The admin imports a whole round.
    let whole = accepted(
        upload(
            &app,
            &r.admin,
            &r.round,
            "valid_rows",
            "text/csv",
            generated(20, 1, 0, false),
        )
        .await,
    )
    .await;
    let whole = finished_import(&app, &r.admin, whole["id"].as_str().unwrap()).await;
    assert_eq!(whole["rows_accepted"], 20);
}

#[actix_web::test]
async fn a_job_cut_off_by_a_stop_is_marked_interrupted_when_the_server_starts() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let done = accepted(
        upload(
            &app,
            &r.hr,
            &r.round,
            "valid_rows",
            "text/csv",
            generated(10, 1, 0, false),
        )
        .await,
    )
    .await;
    let done = finished_import(&app, &r.hr, done["id"].as_str().unwrap()).await;
    // Simulate a job the last server was running when it stopped.
    let id = done["id"].as_str().unwrap().to_string();
    let stale = id.clone();
    app.with_conn(move |conn| {
        use asn_merit::db::schema::application_imports::dsl::*;
        use diesel::prelude::*;
        let stale_id: asn_merit::applications::model::ImportId = stale.parse().unwrap();
        diesel::update(application_imports.find(stale_id))
            .set(status.eq("running"))
            .execute(conn)
            .unwrap();
    })
    .await;
    app.stop().await;
    let app = TestApp::spawn_on(app.into_db(), &[]).await;
    // The new server marks it shortly after it starts.
    let import = finished_import(&app, &r.hr, &id).await;
    assert_eq!(import["status"], "interrupted", "{import}");
    let events: Value = app
        .get(
            "/api/v1/audit/events?action=application_import.interrupted",
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"][0]["object_id"], id.as_str());
    assert_eq!(events["items"][0]["actor_type"], "system");
}

#[actix_web::test]
async fn an_operator_imports_a_file_for_one_opening_from_the_command_line() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let openings = generated_openings(&app, &r, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pelamar.csv");
    std::fs::write(&path, generated(400, 2, 0, false)).unwrap();
    let (code, stdout, stderr) = cli(
        &app,
        &[
            "import",
            "applications",
            path.to_str().unwrap(),
            "--opening",
            &openings[0],
            "--mode",
            "valid_rows",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // Rows naming the other opening are rejected: --opening limits the import to one opening.
    let first = count_applications(&app, &r.hr, &openings[..1]).await;
    let second = count_applications(&app, &r.hr, &openings[1..]).await;
    assert!(first > 0 && second == 0, "{first} / {second}");
    assert!(stdout.contains(&format!("{first} accepted")), "{stdout}");
    let events: Value = app
        .get(
            "/api/v1/audit/events?action=application_import.completed",
            &r.auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"][0]["actor_type"], "cli");
}
