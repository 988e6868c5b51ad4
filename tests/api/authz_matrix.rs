//! The authorization matrix: every `/api/v1` route called by every kind of caller, each answer
//! pinned. Later issues add a row per new route (and a placeholder per new fixture object).
//!
//! Rules the table encodes: anonymous callers get 401 on every protected route; a role that may
//! never do an action gets 403 whatever the object; a role that may, asking about an object
//! outside its agency, gets 404 (so other agencies' data is not revealed).

use std::collections::BTreeSet;

use asn_merit::agencies::model::AgencyId;
use asn_merit::auth::model::{Role, UserId};
use asn_merit::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, TestUser, assert_problem};
use crate::world;

/// Who calls. The order is the column order of the table below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Admin,
    NationalAuditor,
    HrA,
    PanelistA,
    AppointingA,
    AuditorA,
    /// An HR officer of agency B: has the roles' powers, but every object below lives in A.
    ForeignHrB,
    /// A panelist of agency B holding one object grant: `opening_read` on `{published_opening_a}`.
    GrantedPanelistB,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Admin,
    Caller::NationalAuditor,
    Caller::HrA,
    Caller::PanelistA,
    Caller::AppointingA,
    Caller::AuditorA,
    Caller::ForeignHrB,
    Caller::GrantedPanelistB,
];

/// A standard world: agencies A, B and an empty one, one caller of each kind, and target
/// accounts in A. Every row that may change data gets a fresh one, so its changes cannot leak
/// into another row.
struct Fixture {
    app: TestApp,
    admin: TestUser,
    national_auditor: TestUser,
    hr_a: TestUser,
    panelist_a: TestUser,
    appointing_a: TestUser,
    auditor_a: TestUser,
    foreign_hr_b: TestUser,
    granted_panelist_b: TestUser,
    /// The grant `granted_panelist_b` holds (given by the HR officer of A).
    grant_a: String,
    /// Two more grants in A, revoked by the admin and the HR officer of A in the revoke row.
    spare_grants: (String, String),
    agency_a: AgencyId,
    empty_agency: AgencyId,
    /// Objects the callers act on (not callers themselves).
    panelist_in_a: TestUser,
    hr_in_a: TestUser,
    /// Recruitment objects, all in agency A unless national.
    objects: Objects,
    /// A rubric of A and the (forming) panel of the published opening's SKB interview part:
    /// `panelist_a` chairs it and `granted_panelist_b` sits on it; its material for
    /// `application_a` is attached.
    rubric_a: String,
    panel_a: String,
}

/// Ids of the recruitment objects the rows act on.
struct Objects {
    rule_set: String,
    spare_rule_set: String,
    round: String,
    competency_national: String,
    competency_a: String,
    position_a: String,
    draft_opening_a: String,
    published_opening_a: String,
    deviation_a: String,
    application_a: String,
    import_a: String,
    /// An opening in screening with published results and two ineligible applications: one
    /// with a pending appeal, one without.
    screened_opening_a: String,
    appealable_a: String,
    appeal_a: String,
    /// The sequence number of a sealed audit event of agency A.
    event_a: i64,
}

impl Objects {
    /// A published opening that an appointing official changed once (a deviation), a draft one,
    /// and what they need.
    async fn build(app: &TestApp, admin: &TestUser, hr_a: &TestUser, ppk_a: &TestUser) -> Self {
        let rule_set = world::load_rule_set(app, admin, "casn-2024").await;
        let spare_rule_set = world::load_rule_set(app, admin, "casn-2024-spare").await;
        let round = world::open_round(app, admin, &rule_set).await;
        let competency_national = world::competency(app, admin, "M-INTEGRITAS", "managerial").await;
        let competency_a = world::competency(app, hr_a, "T-A-JARINGAN", "technical").await;
        let position_a = world::position(app, hr_a, "PRAKOM", json!([])).await;
        let draft = world::draft_opening(
            app,
            hr_a,
            &world::opening_body(&round, &position_a, "A-DRAFT"),
        )
        .await;
        let published = world::draft_opening(
            app,
            hr_a,
            &world::opening_body(&round, &position_a, "A-PUB"),
        )
        .await;
        let published_opening_a = world::id_of(&published);
        world::publish(app, hr_a, &published_opening_a).await;
        let change = app
            .patch(&format!("/api/v1/openings/{published_opening_a}"), ppk_a)
            .json(&json!({"location": "Jakarta Selatan", "justification": JUSTIFICATION}))
            .send()
            .await
            .unwrap();
        assert_eq!(change.status(), 200);
        let deviations: Value = app
            .get("/api/v1/deviations", admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let application = world::apply(app, hr_a, &published_opening_a, &world::applicant(1)).await;
        assert_eq!(application.status(), 201);
        let application: Value = application.json().await.unwrap();
        let import = world::upload(
            app,
            hr_a,
            &round,
            "valid_rows",
            "text/csv",
            world::generated(3, 1, 0, false),
        )
        .await;
        assert_eq!(import.status(), 202);
        let import: Value = import.json().await.unwrap();
        let (screened_opening_a, appealable_a, appeal_a) =
            screened_opening(app, hr_a, &round, &position_a).await;
        let event_a = sealed_event_of(app, admin, &hr_a.agency.unwrap()).await;
        Objects {
            event_a,
            screened_opening_a,
            appealable_a,
            appeal_a,
            import_a: world::id_of(&import),
            application_a: world::id_of(&application),
            deviation_a: world::id_of(&deviations["items"][0]),
            draft_opening_a: world::id_of(&draft),
            rule_set,
            spare_rule_set,
            round,
            competency_national,
            competency_a,
            position_a,
            published_opening_a,
        }
    }
}

/// A sealed event of `agency` (reading the chain seals what is pending).
async fn sealed_event_of(app: &TestApp, admin: &TestUser, agency: &AgencyId) -> i64 {
    let path = format!("/api/v1/audit/events?agency_id={agency}&limit=1");
    let page = app.get_json(&path, admin).await;
    page["items"][0]["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("no event of the agency: {page}"))
}

/// An opening in screening whose results are published, with two applicants whose GPA is too
/// low; the first has appealed. Returns (opening, the second application, the appeal).
async fn screened_opening(
    app: &TestApp,
    hr_a: &TestUser,
    round: &str,
    position: &str,
) -> (String, String, String) {
    // A window of seconds: ending it moves the server's clock only that far, so the matrix's
    // other openings (open for 30 days) stay open.
    let mut body = world::opening_body(round, position, "A-SCR");
    body["application_closes_at"] =
        json!((app.clock.now().as_datetime() + chrono::Duration::seconds(5)).to_rfc3339());
    let opening = world::draft_opening(app, hr_a, &body).await;
    let opening = world::id_of(&opening);
    world::publish(app, hr_a, &opening).await;
    let mut applications = Vec::new();
    for serial in [7, 8] {
        let mut person = world::applicant(serial);
        person["gpa_x100"] = json!(250);
        let created = world::apply(app, hr_a, &opening, &person).await;
        assert_eq!(created.status(), 201);
        applications.push(world::id_of(&created.json::<Value>().await.unwrap()));
    }
    world::end_application_window(app, &opening).await;
    for action in [
        "close",
        "start-screening",
        "screening/run",
        "screening/publish",
    ] {
        world::post_ok(app, hr_a, &format!("/api/v1/openings/{opening}/{action}")).await;
    }
    let appeal = app
        .post(
            &format!("/api/v1/applications/{}/appeals", applications[0]),
            hr_a,
        )
        .json(&appeal_body_value())
        .send()
        .await
        .unwrap();
    assert_eq!(appeal.status(), 201);
    let appeal = world::id_of(&appeal.json::<Value>().await.unwrap());
    (opening, applications.remove(1), appeal)
}

/// A rubric of A and a panel for the published opening's interview part, with `members` (the
/// first chairs) and material for `application_a`. Returns (rubric, panel).
async fn panel_of(
    app: &TestApp,
    hr_a: &TestUser,
    objects: &Objects,
    members: &[&TestUser],
) -> (String, String) {
    let rubric = app
        .post("/api/v1/rubrics", hr_a)
        .json(&crate::panel_world::rubric_body("MATRIX"))
        .send()
        .await
        .unwrap();
    let rubric = world::id_of(&crate::panel_world::created(rubric, "rubric").await);
    let body = json!({"stage_code": "SKB", "part_code": "WWN", "rubric_id": rubric});
    let path = format!("/api/v1/openings/{}/panels", objects.published_opening_a);
    let panel = app.post(&path, hr_a).json(&body).send().await.unwrap();
    let panel = world::id_of(&crate::panel_world::created(panel, "panel").await);
    for (i, member) in members.iter().enumerate() {
        crate::panel_world::add_member(app, hr_a, &panel, member, i == 0).await;
    }
    let material = format!(
        "/api/v1/panels/{panel}/applications/{}/material",
        objects.application_a
    );
    let response = app
        .put(&material, hr_a)
        .json(&material_body_value())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    (rubric, panel)
}

fn material_body_value() -> Value {
    json!({"answers": [{"prompt": "Ceritakan pengalaman kerja tim.", "text": "Saya memimpin migrasi data."}],
        "work_samples": []})
}

fn material_body(_: &Fixture, _: Caller) -> Value {
    material_body_value()
}

fn new_rubric(_: &Fixture, _: Caller) -> Value {
    crate::panel_world::rubric_body(&fresh_code("R"))
}

fn rubric_version(_: &Fixture, _: Caller) -> Value {
    let mut body = crate::panel_world::rubric_body("unused");
    body.as_object_mut().unwrap().remove("code");
    body
}

fn interview_panel(f: &Fixture, _: Caller) -> Value {
    json!({"stage_code": "SKB", "part_code": "WWN", "rubric_id": f.rubric_a})
}

fn panelist_in_a_as_member(f: &Fixture, _: Caller) -> Value {
    json!({"user_id": f.panelist_in_a.id})
}

fn empty_declaration(_: &Fixture, _: Caller) -> Value {
    json!({"relations": [], "ties": []})
}

fn panel_score(_: &Fixture, _: Caller) -> Value {
    crate::panel_world::score_body(3, 3)
}

fn panel_amendment(_: &Fixture, _: Caller) -> Value {
    json!({"levels": {"INTEGRITY": 3, "TEAMWORK": 3}, "reason": "Re-read the candidate's answer."})
}

fn recusal_reason(_: &Fixture, _: Caller) -> Value {
    json!({"reason": "Saya pernah menjadi atasan langsung pelamar ini."})
}

fn no_conflict(_: &Fixture, _: Caller) -> Value {
    json!({"no_conflict": true})
}

fn moderation_note(_: &Fixture, _: Caller) -> Value {
    json!({"note": "Panel membahas perbedaan nilai dan tetap pada nilai masing-masing."})
}

fn no_justification(_: &Fixture, _: Caller) -> Value {
    json!({})
}

fn unlock_justification(_: &Fixture, _: Caller) -> Value {
    json!({"justification": JUSTIFICATION})
}

fn appeal_body_value() -> Value {
    json!({"reason": "Nilai IPK pada transkrip yang diunggah salah ketik."})
}

fn appeal_body(_: &Fixture, _: Caller) -> Value {
    appeal_body_value()
}

fn score_correction(_: &Fixture, _: Caller) -> Value {
    json!({"stage": "SKD", "scores": {"TWK": 100, "TIU": 120, "TKP": 200}, "justification": JUSTIFICATION})
}

fn appeal_decision(_: &Fixture, _: Caller) -> Value {
    json!({"outcome": "rejected", "answer": "Transkrip asli menunjukkan IPK 2,50; tetap tidak memenuhi syarat."})
}

const JUSTIFICATION: &str =
    "Lokasi kerja dipindahkan menurut keputusan kepala instansi nomor 12/2024.";

impl Fixture {
    async fn build() -> Self {
        let app = TestApp::spawn().await;
        let admin = app.admin().await;
        let agency_a = app.agency(&admin, "AGENCY-A").await;
        let agency_b = app.agency(&admin, "AGENCY-B").await;
        let empty_agency = app.agency(&admin, "AGENCY-EMPTY").await;
        let hr_a = app.user(Role::HrOfficer, Some(agency_a)).await;
        let appointing_a = app.user(Role::AppointingOfficial, Some(agency_a)).await;
        let objects = Objects::build(&app, &admin, &hr_a, &appointing_a).await;
        let granted_panelist_b = app.user(Role::Panelist, Some(agency_b)).await;
        let grant = |user: UserId| {
            let body = json!({"user_id": user, "object_kind": "opening",
                "object_id": objects.published_opening_a, "permission": "opening_read"});
            let (app, hr_a) = (&app, &hr_a);
            async move {
                let response = app
                    .post("/api/v1/grants", hr_a)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                world::id_of(&response.json::<Value>().await.unwrap())
            }
        };
        let grant_a = grant(granted_panelist_b.id).await;
        let spare_a = app.user(Role::Panelist, Some(agency_a)).await;
        let spare_grants = (grant(spare_a.id).await, grant(appointing_a.id).await);
        let panelist_a = app.user(Role::Panelist, Some(agency_a)).await;
        let (rubric_a, panel_a) =
            panel_of(&app, &hr_a, &objects, &[&panelist_a, &granted_panelist_b]).await;
        Fixture {
            rubric_a,
            panel_a,
            objects,
            granted_panelist_b,
            grant_a,
            spare_grants,
            hr_a,
            appointing_a,
            national_auditor: app.user(Role::Auditor, None).await,
            panelist_a,
            auditor_a: app.user(Role::Auditor, Some(agency_a)).await,
            foreign_hr_b: app.user(Role::HrOfficer, Some(agency_b)).await,
            panelist_in_a: app.user(Role::Panelist, Some(agency_a)).await,
            hr_in_a: app.user(Role::HrOfficer, Some(agency_a)).await,
            admin,
            agency_a,
            empty_agency,
            app,
        }
    }

    fn caller(&self, caller: Caller) -> Option<&TestUser> {
        match caller {
            Caller::Anonymous => None,
            Caller::Admin => Some(&self.admin),
            Caller::NationalAuditor => Some(&self.national_auditor),
            Caller::HrA => Some(&self.hr_a),
            Caller::PanelistA => Some(&self.panelist_a),
            Caller::AppointingA => Some(&self.appointing_a),
            Caller::AuditorA => Some(&self.auditor_a),
            Caller::ForeignHrB => Some(&self.foreign_hr_b),
            Caller::GrantedPanelistB => Some(&self.granted_panelist_b),
        }
    }

    /// A grant of its own for each caller who may revoke one, so that each revokes a live one.
    fn revocable_grant(&self, caller: Caller) -> &str {
        match caller {
            Caller::Admin => &self.spare_grants.0,
            Caller::HrA => &self.spare_grants.1,
            _ => &self.grant_a,
        }
    }

    /// Fills a path template's placeholders with this fixture's ids (`{me}` is the caller).
    fn path(&self, template: &str, caller: Caller) -> String {
        let me = self
            .caller(caller)
            .map(|u| u.id.to_string())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let path = template
            .replace("{agency_a}", &self.agency_a.to_string())
            .replace("{event_a}", &self.objects.event_a.to_string())
            .replace("{empty_agency}", &self.empty_agency.to_string())
            .replace("{panelist_in_a}", &self.panelist_in_a.id.to_string())
            .replace("{hr_in_a}", &self.hr_in_a.id.to_string())
            .replace("{me}", &me)
            .replace("{spare_rule_set}", &self.objects.spare_rule_set)
            .replace("{rule_set}", &self.objects.rule_set)
            .replace("{round}", &self.objects.round)
            .replace("{competency_national}", &self.objects.competency_national)
            .replace("{competency_a}", &self.objects.competency_a)
            .replace("{position_a}", &self.objects.position_a)
            .replace("{draft_opening_a}", &self.objects.draft_opening_a)
            .replace("{published_opening_a}", &self.objects.published_opening_a)
            .replace("{deviation_a}", &self.objects.deviation_a)
            .replace("{application_a}", &self.objects.application_a)
            .replace("{import_a}", &self.objects.import_a)
            .replace("{screened_opening_a}", &self.objects.screened_opening_a)
            .replace("{appealable_a}", &self.objects.appealable_a)
            .replace("{appeal_a}", &self.objects.appeal_a)
            .replace("{grant_a}", &self.grant_a)
            .replace("{rubric_a}", &self.rubric_a)
            .replace("{panel_a}", &self.panel_a)
            .replace(
                "{granted_panelist_b}",
                &self.granted_panelist_b.id.to_string(),
            )
            .replace("{code}", "ZZZZ-ZZZZ-ZZZZ")
            .replace("{revocable_grant}", self.revocable_grant(caller))
            .replace("{skd}", "SKD");
        assert!(!path.contains('{'), "unknown placeholder in {template}");
        path
    }

    /// Sends one cell's request; returns the status, or a description of what was wrong.
    async fn call(&self, case: &Case, caller: Caller) -> Result<u16, String> {
        let mut request = self.app.http.request(
            case.method.clone(),
            self.app.url(&self.path(case.path, caller)),
        );
        if let Some(user) = self.caller(caller) {
            request = request.bearer_auth(&user.token);
        }
        if let Some(body) = case.body {
            request = request.json(&body(self, caller));
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status().as_u16();
        if status >= 400 {
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if content_type != "application/problem+json" {
                return Err(format!(
                    "{status} with content type {content_type:?}, not application/problem+json"
                ));
            }
            let problem: Value = response
                .json()
                .await
                .map_err(|e| format!("{status} with a body that is not JSON: {e}"))?;
            if problem["status"] != status || !problem["code"].is_string() {
                return Err(format!("{status} with a malformed problem body {problem}"));
            }
        }
        Ok(status)
    }
}

/// One row: a route (with placeholders) and the status each caller must get, in `CALLERS` order.
struct Case {
    method: Method,
    path: &'static str,
    body: Option<fn(&Fixture, Caller) -> Value>,
    expect: [u16; CALLERS.len()],
}

fn case(method: Method, path: &'static str, expect: [u16; CALLERS.len()]) -> Case {
    Case {
        method,
        path,
        body: None,
        expect,
    }
}

impl Case {
    fn body(self, body: fn(&Fixture, Caller) -> Value) -> Self {
        Case {
            body: Some(body),
            ..self
        }
    }
}

/// Each caller who may give it gives it to a different account, so that each gives a new one.
fn grant_opening_read(f: &Fixture, caller: Caller) -> Value {
    let grantee = if caller == Caller::Admin {
        &f.panelist_in_a
    } else {
        &f.hr_in_a
    };
    json!({"user_id": grantee.id, "object_kind": "opening",
        "object_id": f.objects.published_opening_a, "permission": "opening_read"})
}

fn skd_stage(_: &Fixture, _: Caller) -> Value {
    json!({"stage": "SKD"})
}

fn login_as_panelist_in_a(f: &Fixture, _: Caller) -> Value {
    json!({"email": f.panelist_in_a.email, "password": TEST_PASSWORD})
}

/// Well-formed, so it reaches the handler: the unknown token is 422, never 401.
fn unknown_activation_token(_: &Fixture, _: Caller) -> Value {
    json!({"token": "no-such-activation-token", "password": TEST_PASSWORD})
}

fn new_panelist_in_a(f: &Fixture, _: Caller) -> Value {
    let email = format!("panelist.{}@test.go.id", uuid::Uuid::new_v4().simple());
    json!({"email": email, "full_name": "Dewi Lestari", "role": "panelist", "agency_id": f.agency_a})
}

fn rename_user(_: &Fixture, _: Caller) -> Value {
    json!({"full_name": "Renamed Person"})
}

fn new_agency(_: &Fixture, _: Caller) -> Value {
    let code = format!(
        "NEW-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
    );
    json!({"code": code, "name": "Instansi Baru", "level": "regional", "time_zone": "WITA"})
}

fn rename_agency(_: &Fixture, _: Caller) -> Value {
    json!({"name": "Instansi A (renamed)"})
}

fn fresh_code(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

fn new_competency(_: &Fixture, _: Caller) -> Value {
    world::competency_body(&fresh_code("K"), "technical")
}

fn rename(_: &Fixture, _: Caller) -> Value {
    json!({"name": "Nama baru"})
}

fn new_position(_: &Fixture, _: Caller) -> Value {
    json!({"code": fresh_code("P"), "title": "Analis Kepegawaian", "kind": "functional", "grade": 9, "standard": []})
}

fn retitle_position(_: &Fixture, _: Caller) -> Value {
    json!({"title": "Analis SDM Aparatur"})
}

fn nothing_assessed(_: &Fixture, _: Caller) -> Value {
    json!({"assessed": []})
}

fn new_rule_set(_: &Fixture, _: Caller) -> Value {
    let mut seed = world::casn_2024_seed();
    seed["code"] = json!(fresh_code("casn").to_lowercase());
    seed
}

fn new_round(f: &Fixture, _: Caller) -> Value {
    json!({"name": "Seleksi PPPK 2024", "year": 2024, "kind": "pppk", "rule_set_id": f.objects.rule_set})
}

fn new_opening(f: &Fixture, _: Caller) -> Value {
    world::opening_body(&f.objects.round, &f.objects.position_a, &fresh_code("O"))
}

fn new_applicant(_: &Fixture, _: Caller) -> Value {
    world::applicant(2 + (uuid::Uuid::new_v4().as_u128() % 9000) as u32)
}

fn screening_decision(_: &Fixture, _: Caller) -> Value {
    json!({"outcome": "ineligible", "reason_code": "documents_incomplete", "note": "Ijazah belum dilegalisasi."})
}

fn withdrawal(_: &Fixture, _: Caller) -> Value {
    json!({"reason": "Pelamar mengundurkan diri atas permintaan sendiri."})
}

fn move_unit(_: &Fixture, _: Caller) -> Value {
    json!({"unit": "Biro Perencanaan"})
}

fn move_unit_justified(_: &Fixture, _: Caller) -> Value {
    json!({"unit": "Biro Perencanaan", "justification": JUSTIFICATION})
}

/// Columns follow `CALLERS`: anonymous, admin, national auditor, then agency A's HR officer,
/// panelist, appointing official (PPK) and auditor, then agency B's HR officer.
///
/// Within a row, callers expected to be refused go first, so that an allowed change cannot alter
/// what they see; allowed callers then go in column order (which matters only for checkpoints:
/// the first signs the head, 201, and later ones get the already signed head, 200).
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Method as M;
    vec![
        //                                                                anon adm  naud hrA  panA ppkA audA hrB  grB
        // Public: they must not ask for a token.
        case(M::GET,    "/api/v1/openapi.json",                          [200, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/auth/login",                            [200, 200, 200, 200, 200, 200, 200, 200, 200]).body(login_as_panelist_in_a),
        case(M::POST,   "/api/v1/auth/activate",                         [422, 422, 422, 422, 422, 422, 422, 422, 422]).body(unknown_activation_token),
        // The caller's own session and account.
        case(M::POST,   "/api/v1/auth/logout",                           [401, 204, 204, 204, 204, 204, 204, 204, 204]),
        case(M::GET,    "/api/v1/me",                                    [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::GET,    "/api/v1/users/{me}",                            [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        // Accounts.
        case(M::GET,    "/api/v1/users",                                 [401, 200, 200, 200, 403, 403, 200, 200, 403]),
        case(M::POST,   "/api/v1/users",                                 [401, 201, 403, 201, 403, 403, 403, 403, 403]).body(new_panelist_in_a),
        // Reading another account is "not found" for a role that reads only itself.
        case(M::GET,    "/api/v1/users/{panelist_in_a}",                 [401, 200, 200, 200, 404, 404, 200, 404, 404]),
        // HR officers read the panelists they manage, not their agency's other accounts.
        case(M::GET,    "/api/v1/users/{hr_in_a}",                       [401, 200, 200, 404, 404, 404, 200, 404, 404]),
        case(M::PATCH,  "/api/v1/users/{panelist_in_a}",                 [401, 200, 403, 200, 403, 403, 403, 404, 403]).body(rename_user),
        case(M::PATCH,  "/api/v1/users/{hr_in_a}",                       [401, 200, 403, 403, 403, 403, 403, 404, 403]).body(rename_user),
        case(M::POST,   "/api/v1/users/{panelist_in_a}/reset-password",  [401, 200, 403, 200, 403, 403, 403, 404, 403]),
        case(M::POST,   "/api/v1/users/{hr_in_a}/reset-password",        [401, 200, 403, 403, 403, 403, 403, 404, 403]),
        // Agencies.
        case(M::GET,    "/api/v1/agencies",                              [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/agencies",                              [401, 201, 403, 403, 403, 403, 403, 403, 403]).body(new_agency),
        case(M::GET,    "/api/v1/agencies/{agency_a}",                   [401, 200, 200, 200, 200, 200, 200, 404, 404]),
        case(M::PATCH,  "/api/v1/agencies/{agency_a}",                   [401, 200, 403, 403, 403, 403, 403, 403, 403]).body(rename_agency),
        // Agency A has users, so even the admin may not delete it.
        case(M::DELETE, "/api/v1/agencies/{agency_a}",                   [401, 409, 403, 403, 403, 403, 403, 403, 403]),
        case(M::DELETE, "/api/v1/agencies/{empty_agency}",               [401, 204, 403, 403, 403, 403, 403, 403, 403]),
        // The audit chain.
        case(M::GET,    "/api/v1/audit/events",                          [401, 200, 200, 403, 403, 403, 200, 403, 403]),
        case(M::GET,    "/api/v1/audit/verify",                          [401, 200, 200, 403, 403, 403, 200, 403, 403]),
        case(M::GET,    "/api/v1/audit/proofs/inclusion?seq={event_a}&tree_size={event_a}", [401, 200, 200, 403, 403, 403, 200, 403, 403]),
        case(M::GET,    "/api/v1/audit/proofs/consistency?first=1&second=1", [401, 200, 200, 403, 403, 403, 200, 403, 403]),
        case(M::GET,    "/api/v1/audit/checkpoints",                     [401, 200, 200, 403, 403, 403, 200, 403, 403]),
        case(M::POST,   "/api/v1/audit/checkpoints",                     [401, 201, 200, 403, 403, 403, 200, 403, 403]),
        // Competencies: the national catalogue is the admin's; an agency's own is its HR's.
        case(M::GET,    "/api/v1/competencies",                          [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/competencies",                          [401, 201, 403, 201, 403, 403, 403, 201, 403]).body(new_competency),
        case(M::GET,    "/api/v1/competencies/{competency_national}",    [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::GET,    "/api/v1/competencies/{competency_a}",           [401, 200, 200, 200, 200, 200, 200, 404, 404]),
        case(M::PATCH,  "/api/v1/competencies/{competency_national}",    [401, 200, 403, 403, 403, 403, 403, 403, 403]).body(rename),
        case(M::PATCH,  "/api/v1/competencies/{competency_a}",           [401, 200, 403, 200, 403, 403, 403, 404, 403]).body(rename),
        // Positions: HR officers manage their agency's; panelists see none.
        case(M::GET,    "/api/v1/positions",                             [401, 200, 200, 200, 403, 200, 200, 200, 403]),
        case(M::POST,   "/api/v1/positions",                             [401, 403, 403, 201, 403, 403, 403, 201, 403]).body(new_position),
        case(M::GET,    "/api/v1/positions/{position_a}",                [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::PATCH,  "/api/v1/positions/{position_a}",                [401, 403, 403, 200, 403, 403, 403, 404, 403]).body(retitle_position),
        case(M::POST,   "/api/v1/positions/{position_a}/job-match",      [401, 200, 200, 200, 403, 200, 200, 404, 403]).body(nothing_assessed),
        // Rule sets and rounds: national, the admin's; everyone reads them.
        case(M::GET,    "/api/v1/rule-sets",                             [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/rule-sets",                             [401, 201, 403, 403, 403, 403, 403, 403, 403]).body(new_rule_set),
        case(M::GET,    "/api/v1/rule-sets/{rule_set}",                  [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        // In use by a published opening: frozen even for the admin.
        case(M::PATCH,  "/api/v1/rule-sets/{rule_set}",                  [401, 409, 403, 403, 403, 403, 403, 403, 403]).body(rename),
        case(M::PATCH,  "/api/v1/rule-sets/{spare_rule_set}",            [401, 200, 403, 403, 403, 403, 403, 403, 403]).body(rename),
        case(M::GET,    "/api/v1/selection-rounds",                      [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/selection-rounds",                      [401, 201, 403, 403, 403, 403, 403, 403, 403]).body(new_round),
        case(M::GET,    "/api/v1/selection-rounds/{round}",              [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::PATCH,  "/api/v1/selection-rounds/{round}",              [401, 200, 403, 403, 403, 403, 403, 403, 403]).body(rename),
        // Openings: HR runs its agency's; after publish only the PPK changes them (a deviation).
        // B's HR officer has no such position: the position is "not in this agency" (422).
        case(M::GET,    "/api/v1/openings",                              [401, 200, 200, 200, 403, 200, 200, 200, 403]),
        case(M::POST,   "/api/v1/openings",                              [401, 403, 403, 201, 403, 403, 403, 422, 403]).body(new_opening),
        case(M::GET,    "/api/v1/openings/{draft_opening_a}",            [401, 200, 200, 200, 403, 200, 200, 404, 404]),
        case(M::GET,    "/api/v1/openings/{published_opening_a}",        [401, 200, 200, 200, 403, 200, 200, 404, 200]),
        case(M::PATCH,  "/api/v1/openings/{draft_opening_a}",            [401, 403, 403, 200, 403, 403, 403, 404, 403]).body(move_unit),
        case(M::PATCH,  "/api/v1/openings/{published_opening_a}",        [401, 403, 403, 403, 403, 200, 403, 404, 403]).body(move_unit_justified),
        case(M::POST,   "/api/v1/openings/{draft_opening_a}/publish",    [401, 403, 403, 200, 403, 403, 403, 404, 403]),
        // The window is still open, or the state is wrong: 409 for the HR officer who may act.
        case(M::POST,   "/api/v1/openings/{published_opening_a}/close",  [401, 403, 403, 409, 403, 403, 403, 404, 403]),
        case(M::POST,   "/api/v1/openings/{draft_opening_a}/start-screening", [401, 403, 403, 409, 403, 403, 403, 404, 403]),
        case(M::POST,   "/api/v1/openings/{draft_opening_a}/start-stage", [401, 403, 403, 409, 403, 403, 403, 404, 403]).body(skd_stage),
        case(M::POST,   "/api/v1/openings/{draft_opening_a}/lock-stage", [401, 403, 403, 409, 403, 403, 403, 404, 403]).body(skd_stage),
        // Applications: HR records and withdraws; readers in scope see them (identity: HR only).
        case(M::POST,   "/api/v1/openings/{published_opening_a}/applications", [401, 403, 403, 201, 403, 403, 403, 404, 403]).body(new_applicant),
        case(M::GET,    "/api/v1/openings/{published_opening_a}/applications", [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/applications/{application_a}",          [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::POST,   "/api/v1/applications/{application_a}/withdraw", [401, 403, 403, 200, 403, 403, 403, 404, 403]).body(withdrawal),
        // Imports: HR (its agency's openings) and the admin (a whole round) upload; a JSON body is
        // the wrong media type, which only callers allowed to import get to hear.
        case(M::POST,   "/api/v1/selection-rounds/{round}/application-imports", [401, 415, 403, 415, 403, 403, 403, 415, 403]),
        case(M::GET,    "/api/v1/application-imports/{import_a}",        [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/application-imports/{import_a}/errors", [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        // Screening: HR runs it (409 here: the opening is still published); readers in scope follow.
        case(M::POST,   "/api/v1/openings/{published_opening_a}/screening/run", [401, 403, 403, 409, 403, 403, 403, 404, 403]),
        case(M::GET,    "/api/v1/openings/{published_opening_a}/screening", [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::POST,   "/api/v1/applications/{application_a}/screening-decision", [401, 403, 403, 409, 403, 403, 403, 404, 403]).body(screening_decision),
        // Publication and appeals (sanggah): HR records and decides; readers read; the public sees results.
        case(M::POST,   "/api/v1/openings/{published_opening_a}/screening/publish", [401, 403, 403, 409, 403, 403, 403, 404, 403]),
        case(M::POST,   "/api/v1/openings/{screened_opening_a}/screening/publish", [401, 403, 403, 409, 403, 403, 403, 404, 403]),
        case(M::GET,    "/api/v1/public/openings/{screened_opening_a}/screening-results", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::POST,   "/api/v1/applications/{appealable_a}/appeals",   [401, 403, 403, 201, 403, 403, 403, 404, 403]).body(appeal_body),
        case(M::POST,   "/api/v1/applications/{application_a}/appeals",  [401, 403, 403, 409, 403, 403, 403, 404, 403]).body(appeal_body),
        case(M::GET,    "/api/v1/openings/{screened_opening_a}/appeals", [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/appeals/{appeal_a}",                    [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::POST,   "/api/v1/appeals/{appeal_a}/decision",           [401, 403, 403, 200, 403, 403, 403, 404, 403]).body(appeal_decision),
        // SKD scores: imported like applications; results read in scope.
        case(M::POST,   "/api/v1/selection-rounds/{round}/scores?stage=SKD", [401, 415, 403, 415, 403, 403, 403, 415, 403]),
        // Locked scores change only as a deviation by the PPK; this opening has no stage under way.
        case(M::POST,   "/api/v1/applications/{application_a}/score-corrections", [401, 403, 403, 403, 403, 409, 403, 403, 403]).body(score_correction),
        // The SKD stage of this opening has not started: 409 for readers in scope.
        case(M::GET,    "/api/v1/openings/{published_opening_a}/stages/{skd}/results", [401, 409, 409, 409, 403, 409, 409, 404, 403]),
        // Deviations: read in scope by everyone but panelists.
        case(M::GET,    "/api/v1/deviations",                            [401, 200, 200, 200, 403, 200, 200, 200, 403]),
        case(M::GET,    "/api/v1/reports/deviations",                    [401, 200, 200, 200, 403, 200, 200, 200, 403]),
        case(M::GET,    "/api/v1/deviations/{deviation_a}",              [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        // Object grants (the admin, and HR for their agency's objects, give and revoke them).
        case(M::POST,   "/api/v1/grants",                                [401, 201, 403, 201, 403, 403, 403, 404, 403]).body(grant_opening_read),
        case(M::GET,    "/api/v1/grants",                                [401, 200, 200, 200, 403, 403, 200, 200, 403]),
        case(M::GET,    "/api/v1/grants/{grant_a}",                      [401, 200, 200, 200, 403, 403, 200, 404, 403]),
        case(M::POST,   "/api/v1/grants/{revocable_grant}/revoke",       [401, 200, 403, 200, 403, 403, 403, 404, 403]),
        // Rubrics: HR officers write their agency's; readers in scope read.
        case(M::GET,    "/api/v1/rubrics",                               [401, 200, 200, 200, 403, 200, 200, 200, 403]),
        case(M::POST,   "/api/v1/rubrics",                               [401, 403, 403, 201, 403, 403, 403, 201, 403]).body(new_rubric),
        case(M::GET,    "/api/v1/rubrics/{rubric_a}",                    [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::POST,   "/api/v1/rubrics/{rubric_a}/versions",           [401, 403, 403, 201, 403, 403, 403, 404, 403]).body(rubric_version),
        // Panels, HR side: HR officers set up their agency's; readers in scope read; members
        // (panelist A, panelist B through the panel's grant) reach none of it.
        case(M::POST,   "/api/v1/openings/{screened_opening_a}/panels",  [401, 403, 403, 201, 403, 403, 403, 404, 403]).body(interview_panel),
        case(M::GET,    "/api/v1/openings/{published_opening_a}/panels", [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/panels/{panel_a}",                      [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::POST,   "/api/v1/panels/{panel_a}/members",              [401, 403, 403, 201, 403, 403, 403, 404, 403]).body(panelist_in_a_as_member),
        case(M::DELETE, "/api/v1/panels/{panel_a}/members/{granted_panelist_b}", [401, 403, 403, 200, 403, 403, 403, 404, 403]),
        case(M::PUT,    "/api/v1/panels/{panel_a}/applications/{application_a}/material", [401, 403, 403, 200, 403, 403, 403, 404, 403]).body(material_body),
        case(M::GET,    "/api/v1/panels/{panel_a}/applications/{application_a}/material", [401, 403, 403, 200, 403, 403, 403, 404, 403]),
        case(M::GET,    "/api/v1/panels/{panel_a}/assignments",          [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/panels/{panel_a}/recusals",             [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/panels/{panel_a}/results",              [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        case(M::GET,    "/api/v1/panels/{panel_a}/analytics",            [401, 200, 200, 200, 403, 200, 200, 404, 403]),
        // The panel has not started: the PPK's unlock finds nothing locked.
        case(M::POST,   "/api/v1/panels/{panel_a}/unlock",               [401, 403, 403, 403, 403, 409, 403, 403, 403]).body(unlock_justification),
        // Panels, member side: only members, by their grant (no role has it); the stage has not
        // started, so writes are 409 and unknown codes 404; the chair (panelist A) alone moderates
        // and locks.
        case(M::GET,    "/api/v1/panels/{panel_a}/queue",                [401, 403, 403, 403, 200, 403, 403, 403, 200]),
        case(M::PUT,    "/api/v1/panels/{panel_a}/declaration",          [401, 403, 403, 403, 200, 403, 403, 403, 200]).body(empty_declaration),
        case(M::POST,   "/api/v1/panels/{panel_a}/queue/{code}/score",   [401, 403, 403, 403, 409, 403, 403, 403, 409]).body(panel_score),
        case(M::PUT,    "/api/v1/panels/{panel_a}/queue/{code}/score",   [401, 403, 403, 403, 409, 403, 403, 403, 409]).body(panel_amendment),
        case(M::GET,    "/api/v1/panels/{panel_a}/queue/{code}/score",   [401, 403, 403, 403, 404, 403, 403, 403, 404]),
        case(M::GET,    "/api/v1/panels/{panel_a}/queue/{code}/scores",  [401, 403, 403, 403, 404, 403, 403, 403, 404]),
        case(M::POST,   "/api/v1/panels/{panel_a}/queue/{code}/recuse",  [401, 403, 403, 403, 409, 403, 403, 403, 409]).body(recusal_reason),
        case(M::POST,   "/api/v1/panels/{panel_a}/queue/{code}/conflict-check", [401, 403, 403, 403, 409, 403, 403, 403, 409]).body(no_conflict),
        case(M::GET,    "/api/v1/panels/{panel_a}/moderation",           [401, 403, 403, 403, 200, 403, 403, 403, 403]),
        case(M::POST,   "/api/v1/panels/{panel_a}/moderation/{code}",    [401, 403, 403, 403, 409, 403, 403, 403, 403]).body(moderation_note),
        case(M::POST,   "/api/v1/panels/{panel_a}/lock",                 [401, 403, 403, 403, 409, 403, 403, 403, 403]).body(no_justification),
        // Public transparency: no token needed, any token accepted.
        case(M::GET,    "/api/v1/public/openings",                       [200, 200, 200, 200, 200, 200, 200, 200, 200]),
        case(M::GET,    "/api/v1/public/openings/{published_opening_a}", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ]
}

/// Runs rows one after another on one fresh fixture; returns the cells that differ from the table.
async fn run_rows(cases: Vec<Case>) -> Vec<String> {
    let fixture = Fixture::build().await;
    let mut mismatches = Vec::new();
    for case in &cases {
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|&i| case.expect[i] < 400);
        for i in order {
            let (caller, expected) = (CALLERS[i], case.expect[i]);
            match fixture.call(case, caller).await {
                Ok(status) if status == expected => {}
                Ok(status) => mismatches.push(format!(
                    "{} {} as {caller:?}: expected {expected}, got {status}",
                    case.method, case.path
                )),
                Err(problem) => mismatches.push(format!(
                    "{} {} as {caller:?}: {problem}",
                    case.method, case.path
                )),
            }
        }
    }
    fixture.app.stop().await;
    // Dropping a PostgreSQL test database blocks; keep it off this single-threaded runtime.
    let db = fixture.app.into_db();
    actix_web::web::block(move || drop(db)).await.unwrap();
    mismatches
}

/// Fixtures in flight at once (each is a server and a database).
const FIXTURES_AT_ONCE: usize = 4;

#[actix_web::test]
async fn every_route_answers_every_caller_as_the_matrix_says() {
    // GET rows change nothing, so they share one fixture; every other row gets its own.
    let (reads, writes): (Vec<Case>, Vec<Case>) =
        cases().into_iter().partition(|c| c.method == Method::GET);
    let mut groups = std::iter::once(reads).chain(writes.into_iter().map(|case| vec![case]));
    let mut mismatches = Vec::new();
    loop {
        let batch: Vec<_> = groups
            .by_ref()
            .take(FIXTURES_AT_ONCE)
            .map(|group| actix_web::rt::spawn(run_rows(group)))
            .collect();
        if batch.is_empty() {
            break;
        }
        for group in batch {
            mismatches.extend(group.await.unwrap());
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} cells differ from the matrix:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// `{agency_a}` and `{id}` are both "a path parameter" for comparing with the OpenAPI document.
fn route_shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn the_matrix_has_a_row_for_every_documented_api_route() {
    let app = TestApp::spawn().await;
    let document: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            documented.insert(format!("{} {}", method.to_uppercase(), route_shape(path)));
        }
    }
    let tested: BTreeSet<String> = cases()
        .iter()
        .map(|c| format!("{} {}", c.method, route_shape(c.path)))
        .collect();
    let missing: Vec<_> = documented.difference(&tested).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
    let undocumented: Vec<_> = tested.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "matrix rows for routes the OpenAPI document lacks: {undocumented:?}"
    );
}

#[actix_web::test]
async fn foreign_agency_hr_gets_404_on_agency_a_objects() {
    let f = Fixture::build().await;
    let (app, hr_b) = (&f.app, &f.foreign_hr_b);
    for path in [
        format!("/api/v1/agencies/{}", f.agency_a),
        format!("/api/v1/users/{}", f.panelist_in_a.id),
    ] {
        assert_problem(app.get(&path, hr_b).send().await.unwrap(), 404, "not_found").await;
    }
    let patch = app
        .patch(&format!("/api/v1/users/{}", f.panelist_in_a.id), hr_b)
        .json(&json!({"full_name": "Hijacked"}))
        .send()
        .await
        .unwrap();
    assert_problem(patch, 404, "not_found").await;
    let reset = app
        .post(
            &format!("/api/v1/users/{}/reset-password", f.panelist_in_a.id),
            hr_b,
        )
        .send()
        .await
        .unwrap();
    assert_problem(reset, 404, "not_found").await;
    // "Outside your scope" and "does not exist" cannot be told apart.
    let missing = app
        .get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), hr_b)
        .send()
        .await
        .unwrap();
    let foreign = app
        .get(&format!("/api/v1/users/{}", f.panelist_in_a.id), hr_b)
        .send()
        .await
        .unwrap();
    let (missing, foreign) = (
        assert_problem(missing, 404, "not_found").await,
        assert_problem(foreign, 404, "not_found").await,
    );
    assert_eq!(missing["detail"], foreign["detail"]);
    // Nothing was changed by the refused attempts.
    let target: Value = app
        .get(&format!("/api/v1/users/{}", f.panelist_in_a.id), &f.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(target["full_name"], "Fixture User");
}

#[actix_web::test]
async fn hr_officer_creates_only_panelists_and_only_in_own_agency() {
    let f = Fixture::build().await;
    let (app, hr) = (&f.app, &f.hr_a);
    let create = |body: Value| async move {
        app.post("/api/v1/users", hr)
            .json(&body)
            .send()
            .await
            .unwrap()
    };

    for role in ["hr_officer", "appointing_official", "auditor"] {
        let response = create(json!({"email": format!("{role}@a.go.id"), "full_name": "Budi", "role": role, "agency_id": f.agency_a})).await;
        assert_problem(response, 403, "forbidden").await;
    }
    let admin =
        create(json!({"email": "root@a.go.id", "full_name": "Budi", "role": "admin"})).await;
    assert_problem(admin, 403, "forbidden").await;
    let elsewhere = create(json!({"email": "p1@b.go.id", "full_name": "Budi", "role": "panelist", "agency_id": f.foreign_hr_b.agency})).await;
    assert_problem(elsewhere, 403, "forbidden").await;

    let explicit = create(json!({"email": "p2@a.go.id", "full_name": "Budi", "role": "panelist", "agency_id": f.agency_a})).await;
    assert_eq!(explicit.status(), 201);
    let body: Value = explicit.json().await.unwrap();
    assert_eq!(body["user"]["agency_id"], f.agency_a.to_string());
    // Without an agency, the HR officer's own is used.
    let implicit =
        create(json!({"email": "p3@a.go.id", "full_name": "Budi", "role": "panelist"})).await;
    assert_eq!(implicit.status(), 201);
    let body: Value = implicit.json().await.unwrap();
    assert_eq!(body["user"]["role"], "panelist");
    assert_eq!(body["user"]["agency_id"], f.agency_a.to_string());
}

#[actix_web::test]
async fn foreign_agency_hr_never_lists_agency_a_users_or_agency() {
    let f = Fixture::build().await;
    let (app, hr_b) = (&f.app, &f.foreign_hr_b);
    let agency_b = hr_b.agency.unwrap().to_string();
    for query in [
        "",
        "?limit=200",
        &format!("?agency_id={}", f.agency_a),
        "?role=panelist",
    ] {
        let page: Value = app
            .get(&format!("/api/v1/users{query}"), hr_b)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert!(
            items.iter().all(|u| u["agency_id"] == agency_b.as_str()),
            "users{query} leaks: {page}"
        );
        assert!(
            !items
                .iter()
                .any(|u| u["id"] == f.panelist_in_a.id.to_string()),
            "users{query} leaks: {page}"
        );
    }
    let mine: Value = app
        .get("/api/v1/users", hr_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    seen.sort();
    // HR officers list the panelists they manage (their own account is at /me).
    let panelist_b_id = f.granted_panelist_b.id.to_string();
    assert_eq!(
        seen,
        vec![panelist_b_id.as_str()],
        "HR of B sees exactly the panelist in B: {mine}"
    );

    let agencies: Value = app
        .get("/api/v1/agencies", hr_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = agencies["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["AGENCY-B"]);

    // The same lists as agency A's HR show A's accounts, so the filter is scope, not emptiness.
    let page: Value = app
        .get("/api/v1/users", &f.hr_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == f.panelist_in_a.id.to_string())
    );
}
