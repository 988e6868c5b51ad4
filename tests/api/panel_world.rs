//! Builders for blind panel scoring: a rubric, an opening whose plan has a blind panel stage
//! after screening, applicants, and a panel with members who have declared, in one call.

use asn_merit::auth::model::Role;
use asn_merit::ids::AgencyId;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
pub use crate::world::created;
use crate::world::{self, Recruitment, id_of};

/// A 1–5 rubric with two criteria weighted 60 and 40.
pub fn rubric_body(code: &str) -> Value {
    let levels = |what: &str| {
        (1..=5)
            .map(|l| json!({"level": l, "descriptor": format!("{what}: level {l} as anchored")}))
            .collect::<Vec<_>>()
    };
    json!({"code": code, "name": "Wawancara berbasis kompetensi", "scale_min": 1, "scale_max": 5,
    "criteria": [
        {"code": "INTEGRITY", "name": "Integritas", "weight": 60, "levels": levels("integrity")},
        {"code": "TEAMWORK", "name": "Kerja sama", "weight": 40, "levels": levels("teamwork")}
    ]})
}

/// Screening, then a blind (or not) panel stage scored by `min_scorers` of the panel.
pub fn panel_plan(blind: bool, min_scorers: u32) -> Value {
    json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "Seleksi kompetensi dasar", "kind": "objective", "test": "skd", "weight_percent": 40,
         "advance": {"kind": "multiple_of_quota", "multiplier": 3}},
        {"code": "WWN", "name": "Wawancara", "kind": "panel", "weight_percent": 60, "score_min": 0, "score_max": 100,
         "panel": {"min_scorers": min_scorers, "blind": blind, "aggregate": "mean"}}
    ]})
}

pub struct PanelWorld {
    pub r: Recruitment,
    pub agency: AgencyId,
    pub opening: String,
    pub applications: Vec<String>,
    pub numbers: Vec<String>,
    pub rubric: String,
    pub panel: String,
    pub members: Vec<TestUser>,
}

pub async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

/// An opening in screening, with `n` applicants (serials 1..=n), screening passed; a rubric
/// and a panel of `members` panelists (the first is the chair), none declared yet.
pub async fn forming_panel(
    app: &TestApp,
    n: u32,
    members: usize,
    blind: bool,
    min_scorers: u32,
) -> PanelWorld {
    forming_panel_for(app, n, members, blind, min_scorers, "functional").await
}

/// [`forming_panel`] for a position of `kind` (`high_leadership` for a JPT selection).
pub async fn forming_panel_for(
    app: &TestApp,
    n: u32,
    members: usize,
    blind: bool,
    min_scorers: u32,
    kind: &str,
) -> PanelWorld {
    let plan = panel_plan(blind, min_scorers);
    forming_panel_with_plan(app, n, members, plan, kind).await
}

/// [`forming_panel_for`] with any plan; the panel is set up for its stage `WWN`.
pub async fn forming_panel_with_plan(
    app: &TestApp,
    n: u32,
    members: usize,
    plan: Value,
    kind: &str,
) -> PanelWorld {
    let target = json!({"stage_code": "WWN"});
    forming_panel_at(app, n, members, plan, kind, target).await
}

/// [`forming_panel_with_plan`] with the panel set up for `target` (`stage_code`, and the
/// `part_code` of a composite stage's panel part).
pub async fn forming_panel_at(
    app: &TestApp,
    n: u32,
    members: usize,
    plan: Value,
    kind: &str,
    target: Value,
) -> PanelWorld {
    let r = Recruitment::setup(app).await;
    let agency = r.hr.agency.unwrap();
    let mut body = r.opening_body("WWN-01");
    if kind != "functional" {
        let position = json!({"code": "JPT-1", "title": "Direktur", "kind": kind, "grade": 17, "standard": []});
        let response = app
            .post("/api/v1/positions", &r.hr)
            .json(&position)
            .send()
            .await
            .unwrap();
        body["position_id"] = json!(id_of(&created(response, "position").await));
    }
    body["plan"] = plan;
    let draft = world::draft_opening(app, &r.hr, &body).await;
    let opening = id_of(&draft);
    world::publish(app, &r.hr, &opening).await;
    let mut applications = Vec::new();
    let mut numbers = Vec::new();
    for serial in 1..=n {
        let response = world::apply(app, &r.hr, &opening, &world::applicant(serial)).await;
        let body = created(response, "application").await;
        applications.push(id_of(&body));
        numbers.push(body["registration_number"].as_str().unwrap().to_string());
    }
    world::end_application_window(app, &opening).await;
    world::post_ok(app, &r.hr, &format!("/api/v1/openings/{opening}/close")).await;
    world::post_ok(
        app,
        &r.hr,
        &format!("/api/v1/openings/{opening}/start-screening"),
    )
    .await;
    world::pass_screening(app, &r.hr, &opening).await;
    let rubric = id_of(
        &created(
            app.post("/api/v1/rubrics", &r.hr)
                .json(&rubric_body("WWN-2024"))
                .send()
                .await
                .unwrap(),
            "rubric",
        )
        .await,
    );
    let panel = id_of(
        &created(
            app.post(&format!("/api/v1/openings/{opening}/panels"), &r.hr)
                .json(&{
                    let mut body = target;
                    body["rubric_id"] = json!(rubric);
                    body
                })
                .send()
                .await
                .unwrap(),
            "panel",
        )
        .await,
    );
    let mut people = Vec::new();
    for i in 0..members {
        let user = app.user(Role::Panelist, None).await;
        add_member(app, &r.hr, &panel, &user, i == 0).await;
        people.push(user);
    }
    PanelWorld {
        r,
        agency,
        opening,
        applications,
        numbers,
        rubric,
        panel,
        members: people,
    }
}

pub async fn add_member(
    app: &TestApp,
    hr: &TestUser,
    panel: &str,
    user: &TestUser,
    chair: bool,
) -> Value {
    created(
        app.post(&format!("/api/v1/panels/{panel}/members"), hr)
            .json(&json!({"user_id": user.id, "chair": chair}))
            .send()
            .await
            .unwrap(),
        "member",
    )
    .await
}

pub async fn declare(app: &TestApp, user: &TestUser, panel: &str, relations: Value) -> Value {
    ok(
        app.put(&format!("/api/v1/panels/{panel}/declaration"), user)
            .json(&json!({"relations": relations, "ties": [{"kind": "school", "name": "Universitas Padjadjaran"}]}))
            .send()
            .await
            .unwrap(),
        "declaration",
    )
    .await
}

/// SKD is run (everyone passes and, tied, goes on), then the opening moves into the panel stage.
pub async fn start_panel_stage(app: &TestApp, w: &PanelWorld) -> Value {
    world::start_stage(app, &w.r.hr, &w.opening, "SKD").await;
    import_skd_for_all(app, w).await;
    world::lock_stage(app, &w.r.hr, &w.opening, "SKD").await;
    world::start_stage(app, &w.r.hr, &w.opening, "WWN").await
}

/// SKD scores that pass everyone (TWK 100, TIU 120, TKP 200), imported as one CSV.
pub async fn import_skd_for_all(app: &TestApp, w: &PanelWorld) {
    let mut csv = String::from("registration_number,TWK,TIU,TKP\n");
    for number in &w.numbers {
        csv.push_str(&format!("{number},100,120,200\n"));
    }
    let response = app
        .post(
            &format!(
                "/api/v1/selection-rounds/{}/scores?stage=SKD&mode=valid_rows",
                w.r.round
            ),
            &w.r.hr,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    ok(response, "SKD import").await;
}

/// The member's queue (first page of up to 200).
pub async fn queue(app: &TestApp, user: &TestUser, panel: &str) -> Value {
    ok(
        app.get(&format!("/api/v1/panels/{panel}/queue?limit=200"), user)
            .send()
            .await
            .unwrap(),
        "queue",
    )
    .await
}

pub fn codes(queue: &Value) -> Vec<String> {
    queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["panel_code"].as_str().unwrap().to_string())
        .collect()
}

pub fn score_body(integrity: i32, teamwork: i32) -> Value {
    let why = "The candidate gave concrete evidence for every answer.";
    json!({"levels": {"INTEGRITY": integrity, "TEAMWORK": teamwork},
        "justifications": {"INTEGRITY": why, "TEAMWORK": why}})
}

pub async fn submit(
    app: &TestApp,
    user: &TestUser,
    panel: &str,
    code: &str,
    body: &Value,
) -> reqwest::Response {
    app.post(&format!("/api/v1/panels/{panel}/queue/{code}/score"), user)
        .json(body)
        .send()
        .await
        .unwrap()
}
