//! Independence of each score: reading the others' scores needs one's own and freezes it, the
//! lock freezes everything, and a retried submission is not a second score.

use serde_json::json;

use super::support::*;
use crate::helpers::{TestApp, TestUser};
use crate::panel_world::*;

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
