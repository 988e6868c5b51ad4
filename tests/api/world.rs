//! Builders for recruitment data over the HTTP API: the shipped 2024 rule set, a round,
//! competencies, positions and openings, so that tests stay short.

use asn_merit::auth::model::Role;
use asn_merit::db::types::Timestamp;
use asn_merit::openings::model::OpeningId;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

/// The shipped seed file, exactly as an admin would post it.
pub fn casn_2024_seed() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/rule-sets/casn-2024.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub async fn created(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "creating {what}: {body}");
    body
}

pub fn id_of(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body}"))
        .to_string()
}

/// Loads the 2024 rule set under `code`; returns its id.
pub async fn load_rule_set(app: &TestApp, admin: &TestUser, code: &str) -> String {
    let mut seed = casn_2024_seed();
    seed["code"] = json!(code);
    let body = created(
        app.post("/api/v1/rule-sets", admin)
            .json(&seed)
            .send()
            .await
            .unwrap(),
        "rule set",
    )
    .await;
    id_of(&body)
}

pub async fn open_round(app: &TestApp, admin: &TestUser, rule_set: &str) -> String {
    let body = json!({"name": "Seleksi CASN 2024", "year": 2024, "kind": "cpns", "phase": "registration", "rule_set_id": rule_set});
    id_of(
        &created(
            app.post("/api/v1/selection-rounds", admin)
                .json(&body)
                .send()
                .await
                .unwrap(),
            "round",
        )
        .await,
    )
}

pub fn competency_body(code: &str, kind: &str) -> Value {
    json!({"code": code, "kind": kind, "name": format!("Kompetensi {code}"),
        "level_descriptions": ["Dasar", "Cakap", "Mahir", "Ahli", "Pakar"]})
}

/// A competency: national when `creator` is the admin, the agency's own for an HR officer.
pub async fn competency(app: &TestApp, creator: &TestUser, code: &str, kind: &str) -> String {
    let response = app
        .post("/api/v1/competencies", creator)
        .json(&competency_body(code, kind))
        .send()
        .await
        .unwrap();
    id_of(&created(response, "competency").await)
}

pub async fn position(app: &TestApp, hr: &TestUser, code: &str, standard: Value) -> String {
    let body = json!({"code": code, "title": "Pranata Komputer Ahli Pertama", "kind": "functional", "grade": 8, "standard": standard});
    id_of(
        &created(
            app.post("/api/v1/positions", hr)
                .json(&body)
                .send()
                .await
                .unwrap(),
            "position",
        )
        .await,
    )
}

pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// A realistic 2024 CPNS plan: screening, SKD (40) and SKB (60) = CAT SKB 70% + interview 30%.
pub fn plan_2024() -> Value {
    json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "Seleksi kompetensi dasar", "kind": "objective", "test": "skd", "weight_percent": 40,
         "advance": {"kind": "multiple_of_quota", "multiplier": 3}},
        {"code": "SKB", "name": "Seleksi kompetensi bidang", "kind": "composite", "weight_percent": 60,
         "score_min": 0, "score_max": 100, "tie_break": ["total", "CAT-SKB"],
         "parts": [
            {"code": "CAT-SKB", "name": "CAT SKB", "kind": "cat_skb", "weight_percent": 70, "score_min": 0, "score_max": 500},
            {"code": "WWN", "name": "Wawancara", "kind": "interview", "weight_percent": 30, "score_min": 0, "score_max": 100,
             "panel": {"min_scorers": 2, "blind": false, "aggregate": "mean"}}
         ]}
    ]})
}

pub fn opening_body(round: &str, position: &str, code: &str) -> Value {
    json!({
        "round_id": round, "position_id": position, "code": code,
        "unit": "Direktorat Sistem Informasi", "location": "Jakarta Pusat", "kind": "recruitment",
        "seat_groups": [{"group": "general", "seats": 3}, {"group": "cum_laude", "seats": 1}, {"group": "disability", "seats": 1}],
        "eligibility": {"education_levels": ["S1"], "education_fields": ["Teknik Informatika", "Sistem Informasi"],
            "min_age": 18, "max_age": 35, "age_reference_date": "2024-08-01", "min_gpa_x100": 300},
        "application_opens_at": in_days(-1), "application_closes_at": in_days(30),
        "plan": plan_2024(),
    })
}

pub async fn draft_opening(app: &TestApp, hr: &TestUser, body: &Value) -> Value {
    created(
        app.post("/api/v1/openings", hr)
            .json(body)
            .send()
            .await
            .unwrap(),
        "opening",
    )
    .await
}

/// A lifecycle action with no body: `publish`, `close`, `start-screening` (a stage action sent
/// this way is refused for want of its body).
pub async fn act(app: &TestApp, user: &TestUser, opening: &str, action: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/openings/{opening}/{action}"), user)
        .send()
        .await
        .unwrap()
}

/// A stage action (`start-stage`, `lock-stage`) naming the stage it means: `screening` or a
/// stage code such as `SKD`.
pub async fn stage_act(
    app: &TestApp,
    user: &TestUser,
    opening: &str,
    action: &str,
    stage: &str,
) -> reqwest::Response {
    app.post(&format!("/api/v1/openings/{opening}/{action}"), user)
        .json(&json!({"stage": stage}))
        .send()
        .await
        .unwrap()
}

async fn stage_ok(app: &TestApp, hr: &TestUser, opening: &str, action: &str, stage: &str) -> Value {
    let response = stage_act(app, hr, opening, action, stage).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{action} {stage}: {body}");
    body
}

/// Locks `stage` (`screening` or the code of the stage under way); asserts 200.
pub async fn lock_stage(app: &TestApp, hr: &TestUser, opening: &str, stage: &str) -> Value {
    stage_ok(app, hr, opening, "lock-stage", stage).await
}

/// Starts `stage`, the next scored stage; asserts 200.
pub async fn start_stage(app: &TestApp, hr: &TestUser, opening: &str, stage: &str) -> Value {
    stage_ok(app, hr, opening, "start-stage", stage).await
}

pub async fn publish(app: &TestApp, hr: &TestUser, opening: &str) -> Value {
    let response = act(app, hr, opening, "publish").await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "publishing: {body}");
    body
}

/// One agency's recruitment set-up: people, the 2024 rules, a round and a position.
pub struct Recruitment {
    pub admin: TestUser,
    pub hr: TestUser,
    pub ppk: TestUser,
    pub auditor: TestUser,
    pub rule_set: String,
    pub round: String,
    pub position: String,
}

impl Recruitment {
    pub async fn setup(app: &TestApp) -> Self {
        let admin = app.admin().await;
        let agency = app.agency(&admin, "KEMENKOMINFO").await;
        let hr = app.user(Role::HrOfficer, Some(agency)).await;
        let rule_set = load_rule_set(app, &admin, "casn-2024").await;
        let round = open_round(app, &admin, &rule_set).await;
        let position = position(app, &hr, "PK-AP", json!([])).await;
        Recruitment {
            ppk: app.user(Role::AppointingOfficial, Some(agency)).await,
            auditor: app.user(Role::Auditor, Some(agency)).await,
            admin,
            hr,
            rule_set,
            round,
            position,
        }
    }

    pub fn opening_body(&self, code: &str) -> Value {
        opening_body(&self.round, &self.position, code)
    }

    pub async fn published_opening(&self, app: &TestApp, code: &str) -> Value {
        let draft = draft_opening(app, &self.hr, &self.opening_body(code)).await;
        publish(app, &self.hr, &id_of(&draft)).await
    }
}

/// A valid applicant body for `POST /openings/{id}/applications`: a woman born 1999-06-05 in
/// Kota Bandung (NIK region 327301), with serial `serial` (1..=9999) so NIKs differ.
pub fn applicant(serial: u32) -> Value {
    json!({
        "nik": format!("327301450699{serial:04}"),
        "kk": format!("3273010101{serial:06}"),
        "full_name": format!("Siti Rahmawati {serial}"),
        "birth_date": "1999-06-05",
        "sex": "female",
        "region_of_origin": "Jawa Barat",
        "email": format!("siti.{serial}@example.co.id"),
        "phone": "081234567890",
        "seat_group": "general",
        "education_level": "S1",
        "education_field": "Teknik Informatika",
        "gpa_x100": 352,
        "certificates": ["TOEFL 520"],
    })
}

pub async fn apply(app: &TestApp, hr: &TestUser, opening: &str, body: &Value) -> reqwest::Response {
    app.post(&format!("/api/v1/openings/{opening}/applications"), hr)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Synthetic applicant rows naming openings GEN-00001 .. GEN-<openings>.
pub fn generated(rows: u64, openings: u32, invalid_per_mille: u32, jsonl: bool) -> Vec<u8> {
    use asn_merit::synthetic::{Format, GenOptions, write_applicants};
    let mut out = Vec::new();
    let options = GenOptions {
        rows,
        seed: 42,
        openings,
        opening_prefix: "GEN".into(),
        format: if jsonl { Format::Jsonl } else { Format::Csv },
        invalid_per_mille,
    };
    write_applicants(&mut out, &options).unwrap();
    out
}

/// Publishes openings GEN-00001 .. GEN-<n> with every seat group the generator uses.
pub async fn generated_openings(app: &TestApp, r: &Recruitment, n: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=n {
        let mut body = r.opening_body(&format!("GEN-{i:05}"));
        body["seat_groups"] = json!([
            {"group": "general", "seats": 5}, {"group": "cum_laude", "seats": 1}, {"group": "diaspora", "seats": 1},
            {"group": "disability", "seats": 1}, {"group": "papua", "seats": 1}, {"group": "disadvantaged_region", "seats": 1}
        ]);
        let draft = draft_opening(app, &r.hr, &body).await;
        ids.push(id_of(&publish(app, &r.hr, &id_of(&draft)).await));
    }
    ids
}

pub async fn upload(
    app: &TestApp,
    user: &TestUser,
    round: &str,
    mode: &str,
    content_type: &str,
    file: Vec<u8>,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/selection-rounds/{round}/application-imports?mode={mode}"),
        user,
    )
    .header("content-type", content_type)
    .body(file)
    .send()
    .await
    .unwrap()
}

/// Polls an import until it is no longer queued or running.
pub async fn finished_import(app: &TestApp, user: &TestUser, id: &str) -> Value {
    for _ in 0..600 {
        let import: Value = app
            .get(&format!("/api/v1/application-imports/{id}"), user)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !matches!(import["status"].as_str(), Some("queued" | "running")) {
            return import;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish in 60 s");
}

/// Moves the server's clock past an opening's application window (read from the database; the
/// opening must be published, so the window was validated then).
pub async fn end_application_window(app: &TestApp, opening: &str) {
    let target: OpeningId = opening.parse().unwrap();
    let closes: Timestamp = app
        .with_conn(move |conn| {
            use asn_merit::db::schema::openings::dsl::*;
            openings
                .find(target)
                .select(application_closes_at)
                .first(conn)
                .unwrap()
        })
        .await;
    app.advance_past(closes.as_datetime());
}

/// Moves the server's clock past the appeal deadline of an opening's screening publication.
pub async fn end_appeal_window(app: &TestApp, opening: &str) {
    let id: OpeningId = opening.parse().unwrap();
    let deadline: Timestamp = app
        .with_conn(move |conn| {
            use asn_merit::db::schema::screening_publications::dsl::*;
            screening_publications
                .find(id)
                .select(appeal_deadline)
                .first(conn)
                .unwrap()
        })
        .await;
    app.advance_past(deadline.as_datetime());
}

pub async fn post_ok(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.post(path, user).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Screening from start to lock for an opening in screening: the automatic check, publication,
/// the appeal window passing with no appeals, and the lock.
pub async fn pass_screening(app: &TestApp, hr: &TestUser, opening: &str) {
    post_ok(
        app,
        hr,
        &format!("/api/v1/openings/{opening}/screening/run"),
    )
    .await;
    post_ok(
        app,
        hr,
        &format!("/api/v1/openings/{opening}/screening/publish"),
    )
    .await;
    end_appeal_window(app, opening).await;
    lock_stage(app, hr, opening, "screening").await;
}
