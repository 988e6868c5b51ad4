//! A panelist reaches only their own assignments, panels and agency (a matrix of calls).

use asn_merit::auth::model::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::*;
use crate::helpers::{TestApp, TestUser};
use crate::panel_world::*;
use crate::world::{self, id_of};

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
