//! Nothing a panelist can reach reveals who an applicant is: every endpoint a member reaches,
//! error replies included, scanned for every applicant's identifiers; free text arrives redacted.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::TestApp;
use crate::panel_world::*;

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
