//! Applications one at a time: identity at rest, registration numbers, the row rules, the
//! one-application rules, withdrawal, and who sees identity.

use asn_merit::auth::model::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::world::*;

async fn body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[actix_web::test]
async fn hr_records_an_application_with_identity_encrypted_and_a_public_registration_number() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let opening = id_of(&r.published_opening(&app, "A-001").await);
    let applicant = applicant(17);
    let (status, created) = body(apply(&app, &r.hr, &opening, &applicant).await).await;
    assert_eq!(status, 201, "{created}");
    let number = created["registration_number"].as_str().unwrap();
    assert!(
        number.starts_with("2024C-") && number.len() == 18,
        "{number}"
    );
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["identity"]["full_name"], "Siti Rahmawati 17");
    assert_eq!(created["identity"]["nik_masked"], "3273**********17");
    assert_eq!(created["identity"]["kk_masked"], "3273**********17");

    // At rest: neither number is stored in clear, and the hash is keyed (not a plain SHA-256).
    let nik = applicant["nik"].as_str().unwrap().to_string();
    let stored: Vec<(String, String, String, String)> = app
        .with_conn(|conn| {
            use asn_merit::db::schema::persons::dsl::*;
            persons
                .select((nik_enc, nik_hash, kk_enc, kk_hash))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 1);
    let (nik_enc, nik_hash, kk_enc, kk_hash) = &stored[0];
    for column in [nik_enc, nik_hash, kk_enc, kk_hash] {
        assert!(
            !column.contains(&nik) && !column.contains(applicant["kk"].as_str().unwrap()),
            "{column}"
        );
    }
    assert!(nik_hash.starts_with("hmac-sha256:"));

    // Only the agency's HR officers see identity; auditors, the PPK and the admin see the
    // assessment side.
    let id = created["id"].as_str().unwrap();
    for reader in [&r.auditor, &r.ppk, &r.admin] {
        let (status, seen) = body(
            app.get(&format!("/api/v1/applications/{id}"), reader)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            seen["identity"],
            Value::Null,
            "{:?} sees identity",
            reader.role
        );
        let text = seen.to_string();
        for personal in ["Siti Rahmawati", "1999-06-05", "siti.17@", "327301"] {
            assert!(
                !text.contains(personal),
                "{:?} sees {personal}: {text}",
                reader.role
            );
        }
        assert_eq!(seen["registration_number"], number);
    }
    let (_, listed) = body(
        app.get(&format!("/api/v1/openings/{opening}/applications"), &r.hr)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        listed["items"][0]["identity"]["full_name"],
        "Siti Rahmawati 17"
    );

    // The audit chain has the event, with personal values only as keyed digests.
    let events: Value = app
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
    let event = &events["items"][0];
    assert_eq!(event["object_id"], id);
    let chain = app
        .get("/api/v1/audit/events?limit=200", &r.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for personal in [
        nik.as_str(),
        applicant["kk"].as_str().unwrap(),
        "Siti Rahmawati",
        "1999-06-05",
        "siti.17@example.co.id",
    ] {
        assert!(
            !chain.contains(personal),
            "the chain holds {personal} in clear"
        );
    }
}

#[actix_web::test]
async fn row_rules_reject_bad_identity_and_wrong_openings_naming_the_field() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let opening = id_of(&r.published_opening(&app, "A-002").await);
    let cases = [
        (json!({"sex": "male"}), "nik"),
        (json!({"nik": "32730145069900"}), "nik"),
        (json!({"kk": "12345"}), "kk"),
        (json!({"email": "siti.example.co.id"}), "email"),
        (json!({"gpa_x100": 450}), "gpa_x100"),
        (json!({"birth_date": "1999-02-30"}), "birth_date"),
        (json!({"full_name": "   "}), "full_name"),
        (json!({"seat_group": "veterans"}), "seat_group"),
    ];
    for (change, field) in cases {
        let mut applicant = applicant(1);
        for (k, v) in change.as_object().unwrap() {
            applicant[k] = v.clone();
        }
        let problem = assert_problem(
            apply(&app, &r.hr, &opening, &applicant).await,
            422,
            "validation_failed",
        )
        .await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{change}: {problem}");
    }
    // A draft opening takes no applications; nothing was recorded by the refusals.
    let draft = id_of(&draft_opening(&app, &r.hr, &r.opening_body("A-DRAFT")).await);
    assert_problem(
        apply(&app, &r.hr, &draft, &applicant(1)).await,
        409,
        "opening_not_accepting",
    )
    .await;
    let (_, listed) = body(
        app.get(&format!("/api/v1/openings/{opening}/applications"), &r.hr)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["items"], json!([]));
}

#[actix_web::test]
async fn one_nik_applies_once_per_opening_and_to_one_opening_per_year() {
    let app = TestApp::spawn().await;
    let r = Recruitment::setup(&app).await;
    let first = id_of(&r.published_opening(&app, "A-010").await);
    let second = id_of(&r.published_opening(&app, "A-011").await);
    let (status, created) = body(apply(&app, &r.hr, &first, &applicant(5)).await).await;
    assert_eq!(status, 201, "{created}");
    assert_problem(
        apply(&app, &r.hr, &first, &applicant(5)).await,
        409,
        "already_applied",
    )
    .await;
    assert_problem(
        apply(&app, &r.hr, &second, &applicant(5)).await,
        409,
        "one_opening_per_year",
    )
    .await;
    let mut impostor = applicant(5);
    impostor["full_name"] = json!("Dewi Lestari");
    assert_problem(
        apply(&app, &r.hr, &second, &impostor).await,
        409,
        "nik_conflict",
    )
    .await;
    // Another HR officer of another agency cannot touch this opening at all.
    let other = app.agency(&r.admin, "BPS").await;
    let other_hr = app.user(Role::HrOfficer, Some(other)).await;
    assert_problem(
        apply(&app, &other_hr, &first, &applicant(6)).await,
        404,
        "not_found",
    )
    .await;

    // After withdrawal the person may apply to another opening of the year; the withdrawn
    // application keeps its history.
    let id = created["id"].as_str().unwrap();
    let short = app
        .post(&format!("/api/v1/applications/{id}/withdraw"), &r.hr)
        .json(&json!({"reason": " "}))
        .send()
        .await
        .unwrap();
    assert_problem(short, 422, "validation_failed").await;
    let reason = "Pelamar mengundurkan diri melalui surat tanggal 3 September 2024.";
    let (status, withdrawn) = body(
        app.post(&format!("/api/v1/applications/{id}/withdraw"), &r.hr)
            .json(&json!({"reason": reason}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(
        (
            withdrawn["status"].as_str(),
            withdrawn["withdrawal_reason"].as_str()
        ),
        (Some("withdrawn"), Some(reason))
    );
    let again = app
        .post(&format!("/api/v1/applications/{id}/withdraw"), &r.hr)
        .json(&json!({"reason": reason}))
        .send()
        .await
        .unwrap();
    assert_problem(again, 409, "application_withdrawn").await;
    let (status, moved) = body(apply(&app, &r.hr, &second, &applicant(5)).await).await;
    assert_eq!(status, 201, "{moved}");
    assert_eq!(
        moved["identity"]["person_id"], created["identity"]["person_id"],
        "one person per round"
    );
    let (_, kept) = body(
        app.get(&format!("/api/v1/applications/{id}"), &r.auditor)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(kept["status"], "withdrawn");
    let events: Value = app
        .get(&format!("/api/v1/audit/events?object_id={id}"), &r.auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["application.created", "application.withdrawn"]);
}
