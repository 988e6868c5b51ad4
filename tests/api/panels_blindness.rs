//! Blindness and reach of a panel member: nothing a panelist can reach reveals who an applicant
//! is; a panelist reaches only their own assignments, panels and agency; reading the others'
//! scores needs one's own and freezes it, and the lock freezes everything; a retried submission
//! is not a second score.

use std::collections::{BTreeMap, HashSet};

use asn_merit::auth::model::Role;
use asn_merit::clock::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::panel_world::*;
use crate::world::{self, id_of};

/// One response, read whole.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

fn call(app: &TestApp, method: Method, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
    app.http
        .request(method, app.url(path))
        .bearer_auth(&user.token)
}

/// Every response a panelist got, labelled, for the leak scan.
#[derive(Default)]
struct Transcript {
    entries: Vec<(String, u16, String)>,
}

impl Transcript {
    async fn call(&mut self, label: impl Into<String>, request: reqwest::RequestBuilder) -> Reply {
        let reply = send(request).await;
        self.entries
            .push((label.into(), reply.status, reply.text.clone()));
        reply
    }

    /// Records a response and asserts its status (and problem code, when given).
    async fn expect(
        &mut self,
        label: impl Into<String>,
        request: reqwest::RequestBuilder,
        status: u16,
        code: Option<&str>,
    ) -> Reply {
        let label = label.into();
        let reply = self.call(label.clone(), request).await;
        assert_eq!(reply.status, status, "{label}: {}", reply.text);
        if let Some(code) = code {
            assert_eq!(reply.code(), code, "{label}: {}", reply.text);
        }
        reply
    }
}

const PROMPT: &str = "Ceritakan pengalaman Anda memimpin sebuah tim kecil.";
const REDACTED_ANSWER: &str = "Saya [redacted], NIK [redacted], KK [redacted], lahir [redacted], \
     email [redacted], HP [redacted]. Saya memimpin tim relawan literasi digital di kampus.";
const REFERENCE: &str = "Lampiran portofolio, berkas kedua";

/// Stage material whose text names the applicant by every identifier they have.
fn material_of(serial: u32) -> Value {
    json!({
        "answers": [{
            "prompt": PROMPT,
            "text": format!(
                "Saya Siti Rahmawati {serial}, NIK 327301450699{serial:04}, KK 3273010101{serial:06}, \
                 lahir 05-06-1999, email siti.{serial}@example.co.id, HP 0812-3456-7890. \
                 Saya memimpin tim relawan literasi digital di kampus."
            ),
        }],
        "work_samples": [{"title": format!("Portofolio Siti Rahmawati {serial}"), "reference": REFERENCE}],
    })
}

/// A published opening of `hr`'s agency with a blind panel stage, and its panel on `rubric`;
/// its application window is around the server's clock (which earlier steps moved on).
async fn second_panel(
    app: &TestApp,
    hr: &TestUser,
    round: &str,
    position: &str,
    code: &str,
    rubric: &str,
) -> (String, String) {
    let now = app.clock.now().as_datetime();
    let mut body = world::opening_body(round, position, code);
    body["plan"] = panel_plan(true, 2);
    body["application_opens_at"] = json!((now - chrono::Duration::days(1)).to_rfc3339());
    body["application_closes_at"] = json!((now + chrono::Duration::days(30)).to_rfc3339());
    let opening = id_of(&world::draft_opening(app, hr, &body).await);
    world::publish(app, hr, &opening).await;
    let panel = id_of(
        &created(
            app.post(&format!("/api/v1/openings/{opening}/panels"), hr)
                .json(&json!({"stage_code": "WWN", "rubric_id": rubric}))
                .send()
                .await
                .unwrap(),
            "second panel",
        )
        .await,
    );
    (opening, panel)
}

async fn declare_nothing(app: &TestApp, user: &TestUser, panel: &str) -> Reply {
    let reply = send(
        app.put(&format!("/api/v1/panels/{panel}/declaration"), user)
            .json(&json!({"relations": [], "ties": []})),
    )
    .await;
    assert_eq!(reply.status, 200, "declaration: {}", reply.text);
    reply
}

/// What must never reach a panelist, lower-cased, each with what it is.
fn secrets(w: &PanelWorld, n: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for serial in 1..=n {
        let a = world::applicant(serial);
        for field in ["full_name", "nik", "kk", "email"] {
            out.push((
                a[field].as_str().unwrap().to_lowercase(),
                format!("applicant {serial} {field}"),
            ));
        }
    }
    for (what, text) in [
        ("surname", "Rahmawati"),
        ("phone", "081234567890"),
        ("phone", "+6281234567890"),
        ("phone", "6281234567890"),
        ("phone as written", "0812-3456-7890"),
        ("birth date", "1999-06-05"),
        ("birth date", "05-06-1999"),
    ] {
        out.push((text.to_lowercase(), what.to_string()));
    }
    for (i, id) in w.applications.iter().enumerate() {
        out.push((
            id.to_lowercase(),
            format!("application id of applicant {}", i + 1),
        ));
    }
    for (i, number) in w.numbers.iter().enumerate() {
        out.push((
            number.to_lowercase(),
            format!("registration number of applicant {}", i + 1),
        ));
        let tail = number.rsplit('-').next().unwrap();
        out.push((
            tail.to_lowercase(),
            format!("registration number tail of applicant {}", i + 1),
        ));
    }
    out
}

/// Every finding: (secret kind, response label, excerpt).
fn leaks(transcript: &Transcript, secrets: &[(String, String)]) -> Vec<String> {
    let mut scanned: HashSet<&str> = HashSet::new();
    let mut found = Vec::new();
    for (label, status, body) in &transcript.entries {
        if !scanned.insert(body.as_str()) {
            continue;
        }
        let lower = body.to_lowercase();
        for (secret, what) in secrets {
            if let Some(at) = lower.find(secret.as_str()) {
                let start = lower[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let end = (at + secret.len() + 60).min(lower.len());
                let end = (end..=lower.len())
                    .find(|&i| lower.is_char_boundary(i))
                    .unwrap();
                found.push(format!(
                    "{what} in {label} ({status}): …{}…",
                    &lower[start..end]
                ));
            }
        }
    }
    found
}

#[actix_web::test]
async fn nothing_a_panelist_can_reach_reveals_an_applicants_identity() {
    const N: u32 = 100;
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, N, 3, true, 2).await;
    let p = w.panel.clone();
    let mut t = Transcript::default();

    // HR attaches material naming each applicant by every identifier, before the start.
    for (i, application) in w.applications.iter().enumerate() {
        let serial = i as u32 + 1;
        let reply = send(
            app.put(
                &format!("/api/v1/panels/{p}/applications/{application}/material"),
                &w.r.hr,
            )
            .json(&material_of(serial)),
        )
        .await;
        assert_eq!(reply.status, 200, "material {serial}: {}", reply.text);
        let view = reply.json();
        assert_eq!(
            view["redacted"]["answers"][0]["text"], REDACTED_ANSWER,
            "{view}"
        );
    }
    for (i, m) in w.members.iter().enumerate() {
        let receipt = declare_nothing(&app, m, &p).await;
        t.entries.push((
            format!("member {i} PUT declaration"),
            receipt.status,
            receipt.text,
        ));
    }
    start_panel_stage(&app, &w).await;
    // Another panel of the same agency, on another opening, that no member sits on.
    let (other_opening, other_panel) = second_panel(
        &app,
        &w.r.hr,
        &w.r.round,
        &w.r.position,
        "WWN-02",
        &w.rubric,
    )
    .await;
    let absent_panel = uuid::Uuid::now_v7().to_string();
    let unknown = "ZZZZ-ZZZZ-ZZZZ";

    // The paths to GET from the published document: every one without a path parameter.
    let doc: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let collections: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|path| !path.contains('{'))
        .cloned()
        .collect();
    for must in [
        "/api/v1/openings",
        "/api/v1/users",
        "/api/v1/rubrics",
        "/api/v1/audit/events",
        "/api/v1/deviations",
        "/api/v1/grants",
        "/api/v1/me",
    ] {
        assert!(
            collections.iter().any(|c| c == must),
            "{must} not in the document: {collections:?}"
        );
    }

    let mut all_codes: Vec<String> = Vec::new();
    let mut queued = 0usize;
    for (mi, m) in w.members.iter().enumerate() {
        let who = format!("member {mi}");
        // The queue, page by page with a small limit; every item carries redacted material only.
        let mut items: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for page in 0.. {
            assert!(page < 100, "{who}: the queue's cursor never ends");
            let path = match &cursor {
                None => format!("/api/v1/panels/{p}/queue?limit=7"),
                Some(c) => format!("/api/v1/panels/{p}/queue?limit=7&cursor={c}"),
            };
            let v = t
                .expect(format!("{who} GET {path}"), app.get(&path, m), 200, None)
                .await
                .json();
            let page_items = v["items"].as_array().unwrap();
            assert!(page_items.len() <= 7, "{v}");
            assert_eq!(
                (v["blind"].as_bool(), v["chair"].as_bool()),
                (Some(true), Some(mi == 0)),
                "{v}"
            );
            items.extend(page_items.iter().cloned());
            cursor = v["next_cursor"].as_str().map(str::to_string);
            if cursor.is_none() {
                break;
            }
        }
        let codes: Vec<String> = items
            .iter()
            .map(|i| i["panel_code"].as_str().unwrap().to_string())
            .collect();
        assert!(
            codes.windows(2).all(|p| p[0] < p[1]),
            "{who}: pages overlap or are out of order: {codes:?}"
        );
        let whole = t
            .expect(
                format!("{who} GET queue?limit=200"),
                app.get(&format!("/api/v1/panels/{p}/queue?limit=200"), m),
                200,
                None,
            )
            .await
            .json();
        assert_eq!(
            codes,
            crate::panel_world::codes(&whole),
            "{who}: the pages and one page of 200 differ"
        );
        assert!(whole["next_cursor"].is_null(), "{whole}");
        for item in &items {
            assert!(
                item["candidate_name"].is_null()
                    && item["conflict_cleared"].is_null()
                    && item["my_score"].is_null(),
                "{item}"
            );
            let material = &item["material"];
            assert_eq!(material["answers"][0]["prompt"], PROMPT, "{item}");
            assert_eq!(material["answers"][0]["text"], REDACTED_ANSWER, "{item}");
            assert_eq!(
                material["work_samples"][0]["title"], "Portofolio [redacted]",
                "{item}"
            );
            assert_eq!(
                material["work_samples"][0]["reference"], REFERENCE,
                "{item}"
            );
        }
        queued += codes.len();
        all_codes.extend(codes.iter().cloned());
        let first = codes.first().expect("an empty queue").clone();
        let score = |code: &str| format!("/api/v1/panels/{p}/queue/{code}/score");
        let scores = |code: &str| format!("/api/v1/panels/{p}/queue/{code}/scores");

        // Before submitting: no own score, and the others' are closed.
        let own = t
            .call(
                format!("{who} GET own score before submitting"),
                app.get(&score(&first), m),
            )
            .await;
        assert!(
            own.status == 404
                || (own.status == 200
                    && own.json()["items"].as_array().is_some_and(|a| a.is_empty())),
            "{who} own score before submitting: {} {}",
            own.status,
            own.text
        );
        t.expect(
            format!("{who} GET others' scores before submitting"),
            app.get(&scores(&first), m),
            409,
            Some("own_score_missing"),
        )
        .await;
        // Bad requests.
        t.expect(
            format!("{who} POST score with a level off the scale"),
            app.post(&score(&first), m).json(&score_body(9, 3)),
            422,
            Some("validation_failed"),
        )
        .await;
        let malformed = t
            .call(
                format!("{who} POST score not JSON"),
                app.post(&score(&first), m)
                    .header("content-type", "application/json")
                    .body("{\"levels\": "),
            )
            .await;
        assert!((400..500).contains(&malformed.status), "{}", malformed.text);
        t.expect(
            format!("{who} POST conflict-check at a blind stage"),
            app.post(
                &format!("/api/v1/panels/{p}/queue/{first}/conflict-check"),
                m,
            )
            .json(&json!({"no_conflict": true})),
            409,
            Some("stage_is_blind"),
        )
        .await;
        // An unknown code.
        for (method, path, body) in [
            (Method::GET, score(unknown), None),
            (Method::GET, scores(unknown), None),
            (Method::POST, score(unknown), Some(score_body(3, 3))),
            (
                Method::PUT,
                score(unknown),
                Some(
                    json!({"levels": {"INTEGRITY": 3, "TEAMWORK": 3}, "reason": "A second look at it."}),
                ),
            ),
            (
                Method::POST,
                format!("/api/v1/panels/{p}/queue/{unknown}/recuse"),
                Some(json!({"reason": "I know this person well."})),
            ),
        ] {
            let mut request = call(&app, method.clone(), &path, m);
            if let Some(body) = body {
                request = request.json(&body);
            }
            t.expect(
                format!("{who} {method} {path} (unknown code)"),
                request,
                404,
                Some("not_found"),
            )
            .await;
        }
        // Another panel of the agency, and a panel that does not exist.
        for path in [
            format!("/api/v1/panels/{other_panel}/queue"),
            format!("/api/v1/panels/{other_panel}/queue/{first}/score"),
            format!("/api/v1/panels/{absent_panel}/queue"),
        ] {
            t.expect(
                format!("{who} GET {path}"),
                app.get(&path, m),
                404,
                Some("not_found"),
            )
            .await;
        }
        t.expect(
            format!("{who} PUT another panel's declaration"),
            app.put(&format!("/api/v1/panels/{other_panel}/declaration"), m)
                .json(&json!({"relations": [], "ties": []})),
            404,
            Some("not_found"),
        )
        .await;
        // The HR and auditor side: 403 for a panelist.
        let application = &w.applications[mi];
        let material_path = format!("/api/v1/panels/{p}/applications/{application}/material");
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/panels/{p}"), None),
            (Method::GET, format!("/api/v1/panels/{p}/assignments"), None),
            (Method::GET, format!("/api/v1/panels/{p}/recusals"), None),
            (Method::GET, format!("/api/v1/panels/{p}/results"), None),
            (Method::GET, format!("/api/v1/panels/{p}/analytics"), None),
            (Method::GET, material_path.clone(), None),
            (Method::PUT, material_path.clone(), Some(material_of(1))),
            (
                Method::GET,
                format!("/api/v1/openings/{}/panels", w.opening),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/openings/{other_opening}/panels"),
                Some(json!({"stage_code": "WWN", "rubric_id": w.rubric})),
            ),
            (
                Method::POST,
                format!("/api/v1/panels/{p}/members"),
                Some(json!({"user_id": m.id, "chair": false})),
            ),
            (Method::GET, format!("/api/v1/panels/{other_panel}"), None),
        ] {
            let mut request = call(&app, method.clone(), &path, m);
            if let Some(body) = body {
                request = request.json(&body);
            }
            t.expect(
                format!("{who} {method} {path} (HR side)"),
                request,
                403,
                Some("forbidden"),
            )
            .await;
        }
        if mi != 0 {
            t.expect(
                format!("{who} GET moderation (not the chair)"),
                app.get(&format!("/api/v1/panels/{p}/moderation"), m),
                403,
                Some("forbidden"),
            )
            .await;
            t.expect(
                format!("{who} POST lock (not the chair)"),
                app.post(&format!("/api/v1/panels/{p}/lock"), m)
                    .json(&json!({})),
                403,
                Some("forbidden"),
            )
            .await;
        }
        // Every documented path without a parameter; the proofs also with their query, so
        // that they answer past the parsing of it.
        for path in &collections {
            t.call(format!("{who} GET {path}"), app.get(path, m)).await;
        }
        for path in [
            "/api/v1/audit/proofs/inclusion?seq=1&tree_size=2",
            "/api/v1/audit/proofs/consistency?first=1&second=2",
            "/api/v1/audit/events?limit=200",
        ] {
            t.expect(
                format!("{who} GET {path}"),
                app.get(path, m),
                403,
                Some("forbidden"),
            )
            .await;
        }
        // A queue page size out of range.
        for limit in ["0", "201", "x"] {
            let path = format!("/api/v1/panels/{p}/queue?limit={limit}");
            let reply = t.call(format!("{who} GET {path}"), app.get(&path, m)).await;
            assert!(
                matches!(reply.status, 400 | 422),
                "{path}: {} {}",
                reply.status,
                reply.text
            );
        }

        // Scoring the whole queue, then reading own versions and the others' scores.
        for (i, code) in codes.iter().enumerate() {
            let levels = (2 + (i % 3) as i32, 2 + ((i / 3) % 3) as i32);
            let v = t
                .expect(
                    format!("{who} POST score {code}"),
                    app.post(&score(code), m)
                        .json(&score_body(levels.0, levels.1)),
                    201,
                    None,
                )
                .await
                .json();
            assert_eq!(
                (v["panel_code"].as_str(), v["scorer"].as_str()),
                (Some(code.as_str()), Some(m.id.to_string().as_str())),
                "{v}"
            );
        }
        for code in &codes {
            let own = t
                .expect(
                    format!("{who} GET own score {code}"),
                    app.get(&score(code), m),
                    200,
                    None,
                )
                .await
                .json();
            assert_eq!(own["items"].as_array().map(Vec::len), Some(1), "{own}");
            let others = t
                .expect(
                    format!("{who} GET others' scores {code}"),
                    app.get(&scores(code), m),
                    200,
                    None,
                )
                .await
                .json();
            let n = others["items"].as_array().map_or(0, Vec::len);
            assert!((1..=2).contains(&n), "{others}");
        }
        t.expect(
            format!("{who} GET queue after scoring"),
            app.get(&format!("/api/v1/panels/{p}/queue?limit=200"), m),
            200,
            None,
        )
        .await;
    }

    // The queues together cover every application twice.
    assert_eq!(queued, 2 * N as usize, "assignments in the members' queues");
    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    for code in &all_codes {
        *per_code.entry(code.as_str()).or_default() += 1;
    }
    assert_eq!(per_code.len(), N as usize, "distinct panel codes");
    assert!(per_code.values().all(|&n| n == 2), "{per_code:?}");

    // The chair's side, then the lock; afterwards the members read again.
    let chair = &w.members[0];
    let divergent = t
        .expect(
            "chair GET moderation",
            app.get(&format!("/api/v1/panels/{p}/moderation"), chair),
            200,
            None,
        )
        .await
        .json();
    // The score pattern above makes some of the chair's applications diverge.
    let some_code = divergent["items"][0]["panel_code"]
        .as_str()
        .unwrap_or_else(|| panic!("no divergent application for the chair: {divergent}"))
        .to_string();
    t.expect(
        "chair POST moderation",
        app.post(&format!("/api/v1/panels/{p}/moderation/{some_code}"), chair)
            .json(&json!({"note": "Discussed the spread with both scorers."})),
        200,
        None,
    )
    .await;
    t.expect(
        "chair POST lock",
        app.post(&format!("/api/v1/panels/{p}/lock"), chair)
            .json(&json!({})),
        204,
        None,
    )
    .await;
    for (mi, m) in w.members.iter().enumerate() {
        let v = t
            .expect(
                format!("member {mi} GET queue after the lock"),
                app.get(&format!("/api/v1/panels/{p}/queue?limit=200"), m),
                200,
                None,
            )
            .await
            .json();
        assert_eq!(v["status"], "locked", "{v}");
        let code = crate::panel_world::codes(&v)[0].clone();
        t.expect(
            format!("member {mi} GET others' scores after the lock"),
            app.get(&format!("/api/v1/panels/{p}/queue/{code}/scores"), m),
            200,
            None,
        )
        .await;
    }

    // HR sees the same 100 × 2 assignment (so the queues were not a subset).
    let assignments = app
        .get_json(
            &format!("/api/v1/panels/{p}/assignments?limit=200"),
            &w.r.hr,
        )
        .await;
    let rows = assignments["items"].as_array().unwrap();
    assert_eq!(rows.len(), N as usize, "{assignments}");
    assert!(
        rows.iter()
            .all(|r| r["scorers"].as_array().unwrap().len() == 2),
        "{assignments}"
    );

    // The scan: not one response names, numbers or points at an applicant.
    let secrets = secrets(&w, N);
    let found = leaks(&t, &secrets);
    assert!(
        found.is_empty(),
        "{} leak(s) in {} responses:\n{}",
        found.len(),
        t.entries.len(),
        found.join("\n")
    );
    // Not vacuous: the scanner finds identifiers where they are (HR's clear copy of the
    // material, which a panelist cannot read), and the redacted material arrived in what was
    // scanned.
    let mut control = Transcript::default();
    let application = &w.applications[16];
    control
        .expect(
            "HR GET material",
            app.get(
                &format!("/api/v1/panels/{p}/applications/{application}/material"),
                &w.r.hr,
            ),
            200,
            None,
        )
        .await;
    let found = leaks(&control, &secrets).join("\n");
    for kind in [
        "applicant 17 full_name",
        "applicant 17 nik",
        "applicant 17 kk",
        "applicant 17 email",
        "phone as written",
        "birth date",
        "application id of applicant 17",
    ] {
        assert!(
            found.contains(kind),
            "the scanner missed {kind} in HR's copy:\n{found}"
        );
    }
    let seen: String = t
        .entries
        .iter()
        .map(|e| e.2.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        seen.contains("[redacted]")
            && seen.contains(PROMPT)
            && seen.contains("memimpin tim relawan")
    );
}

/// One request of the reach matrix.
struct Row<'a> {
    who: &'static str,
    user: &'a TestUser,
    method: Method,
    path: String,
    body: Option<Value>,
    expect: u16,
}

fn row<'a>(
    who: &'static str,
    user: &'a TestUser,
    method: Method,
    path: String,
    body: Option<Value>,
    expect: u16,
) -> Row<'a> {
    Row {
        who,
        user,
        method,
        path,
        body,
        expect,
    }
}

#[actix_web::test]
async fn a_panelist_reaches_only_their_own_assignments_panels_and_agency() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 6, 3, true, 2).await;
    for m in &w.members {
        declare_nothing(&app, m, &w.panel).await;
    }
    start_panel_stage(&app, &w).await;
    let (a, b) = (&w.members[0], &w.members[1]);
    let p1 = w.panel.clone();
    let a_codes = codes(&queue(&app, a, &p1).await);
    let b_codes = codes(&queue(&app, b, &p1).await);
    let b_only = b_codes
        .iter()
        .find(|c| !a_codes.contains(c))
        .expect("an application B scores and A does not")
        .clone();
    let a_own = a_codes[0].clone();

    // A second agency with its own HR officer, opening, rubric and panel (member D).
    let agency2 = app.agency(&w.r.admin, "KEMENKEU").await;
    let hr2 = app.user(Role::HrOfficer, Some(agency2)).await;
    let position2 = world::position(&app, &hr2, "PK-AP", json!([])).await;
    let rubric2 = id_of(
        &created(
            app.post("/api/v1/rubrics", &hr2)
                .json(&rubric_body("WWN-2024"))
                .send()
                .await
                .unwrap(),
            "rubric",
        )
        .await,
    );
    let (op2, p2) = second_panel(&app, &hr2, &w.r.round, &position2, "WWN-02", &rubric2).await;
    let d = &app.user(Role::Panelist, None).await;
    add_member(&app, &hr2, &p2, d, true).await;
    // A panelist who sits on no panel at all.
    let e = &app.user(Role::Panelist, None).await;
    let absent = uuid::Uuid::now_v7().to_string();

    let q =
        |panel: &str, code: &str, tail: &str| format!("/api/v1/panels/{panel}/queue/{code}/{tail}");
    let amend = json!({"levels": {"INTEGRITY": 3, "TEAMWORK": 3}, "reason": "A second look at the answers."});
    let recuse = json!({"reason": "I supervised this person before."});
    let material_path = format!(
        "/api/v1/panels/{p1}/applications/{}/material",
        w.applications[0]
    );
    let mut rows = vec![
        // Controls: the codes are real and their holders reach them.
        row(
            "B (control)",
            b,
            Method::GET,
            q(&p1, &b_only, "score"),
            None,
            200,
        ),
        row(
            "A (control)",
            a,
            Method::GET,
            q(&p1, &a_own, "score"),
            None,
            200,
        ),
        row(
            "A (control)",
            a,
            Method::GET,
            format!("/api/v1/panels/{p1}/queue"),
            None,
            200,
        ),
        row(
            "D (control)",
            d,
            Method::GET,
            format!("/api/v1/panels/{p2}/queue"),
            None,
            200,
        ),
        row(
            "HR1 (control)",
            &w.r.hr,
            Method::GET,
            format!("/api/v1/panels/{p1}"),
            None,
            200,
        ),
        row(
            "HR2 (control)",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p2}"),
            None,
            200,
        ),
        // A on an application assigned to B only, on the same panel.
        row(
            "A on B's application",
            a,
            Method::GET,
            q(&p1, &b_only, "score"),
            None,
            404,
        ),
        row(
            "A on B's application",
            a,
            Method::GET,
            q(&p1, &b_only, "scores"),
            None,
            404,
        ),
        row(
            "A on B's application",
            a,
            Method::POST,
            q(&p1, &b_only, "score"),
            Some(score_body(3, 3)),
            404,
        ),
        row(
            "A on B's application",
            a,
            Method::PUT,
            q(&p1, &b_only, "score"),
            Some(amend.clone()),
            404,
        ),
        row(
            "A on B's application",
            a,
            Method::POST,
            q(&p1, &b_only, "recuse"),
            Some(recuse.clone()),
            404,
        ),
        // A (holding a panel grant) on the other agency's panel, and on no panel.
        row(
            "A on panel 2",
            a,
            Method::GET,
            format!("/api/v1/panels/{p2}/queue"),
            None,
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::PUT,
            format!("/api/v1/panels/{p2}/declaration"),
            Some(json!({"relations": [], "ties": []})),
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::GET,
            q(&p2, &a_own, "score"),
            None,
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::POST,
            q(&p2, &a_own, "score"),
            Some(score_body(3, 3)),
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::GET,
            q(&p2, &a_own, "scores"),
            None,
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::POST,
            q(&p2, &a_own, "recuse"),
            Some(recuse.clone()),
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::GET,
            format!("/api/v1/panels/{p2}/moderation"),
            None,
            404,
        ),
        row(
            "A on panel 2",
            a,
            Method::POST,
            format!("/api/v1/panels/{p2}/lock"),
            Some(json!({})),
            404,
        ),
        row(
            "A on panel 2 (HR side)",
            a,
            Method::GET,
            format!("/api/v1/panels/{p2}"),
            None,
            403,
        ),
        row(
            "A on no panel",
            a,
            Method::GET,
            format!("/api/v1/panels/{absent}/queue"),
            None,
            404,
        ),
        // D (member of panel 2 only) on panel 1.
        row(
            "D on panel 1",
            d,
            Method::GET,
            format!("/api/v1/panels/{p1}/queue"),
            None,
            404,
        ),
        row(
            "D on panel 1",
            d,
            Method::GET,
            q(&p1, &a_own, "score"),
            None,
            404,
        ),
        row(
            "D on panel 1",
            d,
            Method::POST,
            q(&p1, &a_own, "score"),
            Some(score_body(3, 3)),
            404,
        ),
        row(
            "D on panel 1",
            d,
            Method::PUT,
            format!("/api/v1/panels/{p1}/declaration"),
            Some(json!({"relations": [], "ties": []})),
            404,
        ),
        // E, with no panel grant at all: 403 for any panel, real or not.
        row(
            "E (no grant)",
            e,
            Method::GET,
            format!("/api/v1/panels/{p1}/queue"),
            None,
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::GET,
            format!("/api/v1/panels/{absent}/queue"),
            None,
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::PUT,
            format!("/api/v1/panels/{p1}/declaration"),
            Some(json!({"relations": [], "ties": []})),
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::GET,
            q(&p1, &a_own, "score"),
            None,
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::POST,
            q(&p1, &a_own, "score"),
            Some(score_body(3, 3)),
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::GET,
            q(&p1, &a_own, "scores"),
            None,
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::POST,
            q(&p1, &a_own, "recuse"),
            Some(recuse.clone()),
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::GET,
            format!("/api/v1/panels/{p1}/moderation"),
            None,
            403,
        ),
        row(
            "E (no grant)",
            e,
            Method::POST,
            format!("/api/v1/panels/{p1}/lock"),
            Some(json!({})),
            403,
        ),
        // The other agency's HR officer on panel 1's HR side: 404 (existence not revealed).
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}"),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}/assignments"),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}/recusals"),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}/results"),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}/analytics"),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            material_path.clone(),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::PUT,
            material_path.clone(),
            Some(material_of(1)),
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::POST,
            format!("/api/v1/panels/{p1}/members"),
            Some(json!({"user_id": e.id, "chair": false})),
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::DELETE,
            format!("/api/v1/panels/{p1}/members/{}", b.id),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/openings/{}/panels", w.opening),
            None,
            404,
        ),
        row(
            "HR2 on panel 1",
            &hr2,
            Method::POST,
            format!("/api/v1/openings/{}/panels", w.opening),
            Some(json!({"stage_code": "WWN", "rubric_id": rubric2})),
            404,
        ),
        // …and on its member side: an HR officer scores only through a grant.
        row(
            "HR2 on panel 1",
            &hr2,
            Method::GET,
            format!("/api/v1/panels/{p1}/queue"),
            None,
            403,
        ),
        // Agency 1's auditor on agency 2's panel.
        row(
            "auditor 1 on panel 2",
            &w.r.auditor,
            Method::GET,
            format!("/api/v1/panels/{p2}"),
            None,
            404,
        ),
        row(
            "auditor 1 on panel 2",
            &w.r.auditor,
            Method::GET,
            format!("/api/v1/panels/{p2}/assignments"),
            None,
            404,
        ),
        row(
            "HR1 on panel 2",
            &w.r.hr,
            Method::GET,
            format!("/api/v1/openings/{op2}/panels"),
            None,
            404,
        ),
    ];
    // The same A-on-B rows once more for every application A lacks.
    for code in b_codes
        .iter()
        .chain(codes(&queue(&app, &w.members[2], &p1).await).iter())
    {
        if !a_codes.contains(code) && code != &b_only {
            rows.push(row(
                "A on another's application",
                a,
                Method::GET,
                q(&p1, code, "score"),
                None,
                404,
            ));
            rows.push(row(
                "A on another's application",
                a,
                Method::GET,
                q(&p1, code, "scores"),
                None,
                404,
            ));
        }
    }

    let mut report = Vec::new();
    let mut failed = 0;
    for r in &rows {
        let mut request = call(&app, r.method.clone(), &r.path, r.user);
        if let Some(body) = &r.body {
            request = request.json(body);
        }
        let reply = send(request).await;
        let ok = reply.status == r.expect;
        if !ok {
            failed += 1;
        }
        report.push(format!(
            "{} {:<28} {:<6} {:<90} expected {} got {} {}",
            if ok { "  " } else { "✗ " },
            r.who,
            r.method.as_str(),
            r.path,
            r.expect,
            reply.status,
            if ok {
                String::new()
            } else {
                reply.text.chars().take(200).collect()
            }
        ));
    }
    assert!(
        failed == 0,
        "{failed} of {} rows differ:\n{}",
        rows.len(),
        report.join("\n")
    );

    // Nothing A tried changed B's application: no score of A's on it, B still holds it.
    let assignments = app
        .get_json(
            &format!("/api/v1/panels/{p1}/assignments?limit=200"),
            &w.r.hr,
        )
        .await;
    let on_b_only = assignments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["panel_code"] == b_only.as_str())
        .unwrap()
        .clone();
    assert!(
        !on_b_only["scorers"]
            .as_array()
            .unwrap()
            .contains(&json!(a.id)),
        "{on_b_only}"
    );
    assert!(
        on_b_only["scorers"]
            .as_array()
            .unwrap()
            .contains(&json!(b.id)),
        "{on_b_only}"
    );
    assert_eq!(on_b_only["recused"], json!([]), "{on_b_only}");
}

#[actix_web::test]
async fn seeing_the_others_scores_needs_ones_own_and_freezes_it_and_the_lock_freezes_all() {
    let app = TestApp::spawn().await;
    // 3 applications × 2 scorers over 2 members: both score everything.
    let w = forming_panel(&app, 3, 2, true, 2).await;
    for m in &w.members {
        declare_nothing(&app, m, &w.panel).await;
    }
    start_panel_stage(&app, &w).await;
    let p = w.panel.clone();
    let (chair, m1) = (&w.members[0], &w.members[1]);
    let c = codes(&queue(&app, chair, &p).await);
    assert_eq!(c, codes(&queue(&app, m1, &p).await));
    assert_eq!(c.len(), 3);
    let score = |code: &str| format!("/api/v1/panels/{p}/queue/{code}/score");
    let scores = |code: &str| format!("/api/v1/panels/{p}/queue/{code}/scores");
    let amend = |reason: &str| json!({"levels": {"INTEGRITY": 3, "TEAMWORK": 2}, "reason": reason});
    let problem = |r: &Reply, status: u16, code: &str, what: &str| {
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{what}: {}",
            r.text
        );
    };

    // Before one's own score: 409, for either member.
    problem(
        &send(app.get(&scores(&c[0]), chair)).await,
        409,
        "own_score_missing",
        "chair reads first",
    );
    problem(
        &send(app.get(&scores(&c[0]), m1)).await,
        409,
        "own_score_missing",
        "m1 reads first",
    );
    // Amending before submitting is not a way in either.
    problem(
        &send(
            app.put(&score(&c[0]), chair)
                .json(&amend("Nothing to amend yet here.")),
        )
        .await,
        409,
        "score_missing",
        "amend before submitting",
    );

    // Submit, amend (allowed: the others' are unseen), then read the others' — which freezes it.
    assert_eq!(
        send(app.post(&score(&c[0]), chair).json(&score_body(4, 3)))
            .await
            .status,
        201
    );
    let v2 = send(
        app.put(&score(&c[0]), chair)
            .json(&amend("Re-read the second answer.")),
    )
    .await;
    assert_eq!(v2.status, 200, "{}", v2.text);
    assert_eq!(v2.json()["version"], 2);
    let others = send(app.get(&scores(&c[0]), chair)).await;
    assert_eq!(others.status, 200, "{}", others.text);
    assert_eq!(
        others.json()["items"].as_array().unwrap().len(),
        1,
        "only the chair's own so far: {}",
        others.text
    );
    problem(
        &send(
            app.put(&score(&c[0]), chair)
                .json(&amend("Changed my mind after all.")),
        )
        .await,
        409,
        "others_scores_seen",
        "amend after reading",
    );
    // Still frozen once the other member's score is in and read again.
    assert_eq!(
        send(app.post(&score(&c[0]), m1).json(&score_body(1, 1)))
            .await
            .status,
        201
    );
    let others = send(app.get(&scores(&c[0]), chair)).await.json();
    assert_eq!(others["items"].as_array().unwrap().len(), 2, "{others}");
    // 2.6 against 1.0 diverges beyond the default 1.5: moderation works while scoring.
    let moderated = send(
        app.post(&format!("/api/v1/panels/{p}/moderation/{}", c[0]), chair)
            .json(&json!({"note": "Scores differ by over a level; both checked."})),
    )
    .await;
    assert_eq!(moderated.status, 200, "{}", moderated.text);
    problem(
        &send(
            app.put(&score(&c[0]), chair)
                .json(&amend("Now that I see the other one.")),
        )
        .await,
        409,
        "others_scores_seen",
        "amend after reading twice",
    );
    let versions = send(app.get(&score(&c[0]), chair)).await.json();
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{versions}");
    assert_eq!(
        items[1]["levels"],
        json!({"INTEGRITY": 3, "TEAMWORK": 2}),
        "{versions}"
    );
    // m1 has not read the others' of c[0], so m1 may still amend theirs.
    let m1_v2 = send(
        app.put(&score(&c[0]), m1)
            .json(&amend("A closer look at the evidence.")),
    )
    .await;
    assert_eq!(m1_v2.status, 200, "{}", m1_v2.text);

    // The chair scores c[1] too; c[1] lacks m1's score and c[2] has none.
    assert_eq!(
        send(app.post(&score(&c[1]), chair).json(&score_body(3, 3)))
            .await
            .status,
        201
    );
    // m1's amendment brought c[0] level with the chair's: nothing is left to moderate.
    problem(
        &send(
            app.post(&format!("/api/v1/panels/{p}/moderation/{}", c[0]), chair)
                .json(&json!({"note": "Scores differ by a level; both checked."})),
        )
        .await,
        409,
        "not_divergent",
        "moderation after the scores converged",
    );

    // The lock with scores missing needs a real justification.
    let lock = format!("/api/v1/panels/{p}/lock");
    for body in [
        json!({}),
        json!({"justification": null}),
        json!({"justification": "Too short."}),
        json!({"justification": "Fourwords-only-but-more-than-thirty characters here, yes"}),
        json!({"justification": "                                                     "}),
    ] {
        problem(
            &send(app.post(&lock, chair).json(&body)).await,
            422,
            "justification_required",
            &format!("lock {body}"),
        );
    }
    let justification = "A member fell ill, so two applications lack one or two scores.";
    problem(
        &send(
            app.post(&lock, m1)
                .json(&json!({"justification": justification})),
        )
        .await,
        403,
        "forbidden",
        "lock by a non-chair",
    );
    let locked = send(
        app.post(&lock, chair)
            .json(&json!({"justification": justification})),
    )
    .await;
    assert_eq!(locked.status, 204, "{}", locked.text);
    let deviations = app.get_json("/api/v1/deviations", &w.r.auditor).await;
    assert!(
        deviations.to_string().contains("panel_locked_incomplete"),
        "{deviations}"
    );

    // After the lock every write is 409, by anyone, on any application.
    let declaration = json!({"relations": [], "ties": []});
    let writes: Vec<(&str, &TestUser, reqwest::RequestBuilder, &str)> = vec![
        (
            "m1 submits c1",
            m1,
            app.post(&score(&c[1]), m1).json(&score_body(3, 3)),
            "panel_locked",
        ),
        (
            "m1 submits c2 with a key",
            m1,
            app.post(&score(&c[2]), m1)
                .header("Idempotency-Key", "after-lock")
                .json(&score_body(3, 3)),
            "panel_locked",
        ),
        (
            "chair submits c2",
            chair,
            app.post(&score(&c[2]), chair).json(&score_body(3, 3)),
            "panel_locked",
        ),
        (
            "chair amends c1",
            chair,
            app.put(&score(&c[1]), chair)
                .json(&amend("After the lock, a change.")),
            "panel_locked",
        ),
        (
            "m1 amends c0",
            m1,
            app.put(&score(&c[0]), m1)
                .json(&amend("After the lock, a change.")),
            "panel_locked",
        ),
        (
            "m1 recuses from c2",
            m1,
            app.post(&format!("/api/v1/panels/{p}/queue/{}/recuse", c[2]), m1)
                .json(&json!({"reason": "I know this applicant."})),
            "panel_locked",
        ),
        (
            "chair moderates c1",
            chair,
            app.post(&format!("/api/v1/panels/{p}/moderation/{}", c[1]), chair)
                .json(&json!({"note": "A note after the lock."})),
            "panel_not_scoring",
        ),
        (
            "chair declares",
            chair,
            app.put(&format!("/api/v1/panels/{p}/declaration"), chair)
                .json(&declaration),
            "panel_locked",
        ),
        (
            "m1 declares",
            m1,
            app.put(&format!("/api/v1/panels/{p}/declaration"), m1)
                .json(&declaration),
            "panel_locked",
        ),
        (
            "chair locks again",
            chair,
            app.post(&lock, chair)
                .json(&json!({"justification": justification})),
            "panel_not_scoring",
        ),
        (
            "HR attaches material",
            &w.r.hr,
            app.put(
                &format!(
                    "/api/v1/panels/{p}/applications/{}/material",
                    w.applications[0]
                ),
                &w.r.hr,
            )
            .json(&material_of(1)),
            "panel_locked",
        ),
    ];
    let mut report = Vec::new();
    let mut failed = 0;
    for (what, _, request, code) in writes {
        let reply = send(request).await;
        let ok = reply.status == 409 && reply.code() == code;
        failed += usize::from(!ok);
        report.push(format!(
            "{} {what:<28} expected 409 {code:<18} got {} {}",
            if ok { "  " } else { "✗ " },
            reply.status,
            reply.text
        ));
    }
    assert!(
        failed == 0,
        "{failed} writes after the lock were not refused:\n{}",
        report.join("\n")
    );

    // Nothing moved: the chair's versions, m1's missing scores.
    assert_eq!(
        send(app.get(&score(&c[1]), chair)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        send(app.get(&score(&c[0]), m1)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let m1_c1 = send(app.get(&score(&c[1]), m1)).await;
    assert!(
        m1_c1.status == 404 || m1_c1.json()["items"] == json!([]),
        "{}",
        m1_c1.text
    );
    let q1 = queue(&app, m1, &p).await;
    assert_eq!(q1["status"], "locked");
    assert_eq!(
        codes(&q1).len(),
        3,
        "a refused recusal removed nothing: {q1}"
    );
}

#[actix_web::test]
async fn a_retried_submission_with_the_same_idempotency_key_is_not_a_second_score() {
    let app = TestApp::spawn().await;
    let w = forming_panel(&app, 2, 2, true, 2).await;
    for m in &w.members {
        declare_nothing(&app, m, &w.panel).await;
    }
    start_panel_stage(&app, &w).await;
    let p = w.panel.clone();
    let (m0, m1) = (&w.members[0], &w.members[1]);
    let c = codes(&queue(&app, m0, &p).await);
    assert_eq!(c.len(), 2);
    let score = |code: &str| format!("/api/v1/panels/{p}/queue/{code}/score");
    let body = score_body(4, 3);

    let first = send(
        app.post(&score(&c[0]), m0)
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_ne!(
        first
            .headers
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let second = send(
        app.post(&score(&c[0]), m0)
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(
        second
            .headers
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true"),
        "{:?}",
        second.headers
    );
    assert_eq!(
        second.json(),
        first.json(),
        "the replay is the first response"
    );

    let versions = send(app.get(&score(&c[0]), m0)).await.json();
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{versions}");
    assert_eq!(items[0]["version"], 1);

    // Without the key it is a second submission: refused.
    let third = send(app.post(&score(&c[0]), m0).json(&body)).await;
    assert_eq!(
        (third.status, third.code().as_str()),
        (409, "score_exists"),
        "{}",
        third.text
    );
    // The same key for another application is a reuse, not a replay, and scores nothing there.
    let reused = send(
        app.post(&score(&c[1]), m0)
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(
        (reused.status, reused.code().as_str()),
        (422, "idempotency_key_reused"),
        "{}",
        reused.text
    );
    assert_eq!(
        send(app.get(&score(&c[1]), m0)).await.json()["items"],
        json!([])
    );
    // Another member's k1 is their own key: a score of their own, not m0's replayed.
    let theirs = send(
        app.post(&score(&c[0]), m1)
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(
        theirs
            .headers
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(theirs.json()["scorer"], json!(m1.id), "{}", theirs.text);

    // Two twins sent at once with one key: one score, and both answered with it.
    let twin = || {
        send(
            app.post(&score(&c[1]), m1)
                .header("Idempotency-Key", "k2")
                .json(&body),
        )
    };
    let (x, y) = futures_join(twin(), twin()).await;
    assert_eq!((x.status, y.status), (201, 201), "{} / {}", x.text, y.text);
    assert_eq!(x.json(), y.json());
    let replayed = [&x, &y]
        .iter()
        .filter(|r| {
            r.headers
                .get("idempotency-replayed")
                .is_some_and(|v| v == "true")
        })
        .count();
    assert_eq!(replayed, 1, "exactly one twin is the replay");
    let versions = send(app.get(&score(&c[1]), m1)).await.json();
    assert_eq!(versions["items"].as_array().unwrap().len(), 1, "{versions}");
    // Still one version of m0's first score after all this.
    assert_eq!(
        send(app.get(&score(&c[0]), m0)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Both futures driven together on this task.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    tokio::join!(a, b)
}
