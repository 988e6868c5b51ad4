//! The panel part of a composite stage (the SKB interview beside CAT SKB): its panel starts
//! with the stage, scores on the part's own range, and the stage waits for its other parts.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::panel_world::*;
use crate::world;

/// Screening, SKD, then SKB = CAT SKB 70 % + a blind interview 30 % scored on 0–200.
fn composite_plan() -> Value {
    json!({"stages": [
        {"code": "ADM", "name": "Seleksi administrasi", "kind": "administrative", "weight_percent": 0},
        {"code": "SKD", "name": "Seleksi kompetensi dasar", "kind": "objective", "test": "skd", "weight_percent": 40,
         "advance": {"kind": "multiple_of_quota", "multiplier": 3}},
        {"code": "SKB", "name": "Seleksi kompetensi bidang", "kind": "composite", "weight_percent": 60,
         "score_min": 0, "score_max": 100,
         "parts": [
            {"code": "CAT-SKB", "name": "CAT SKB", "kind": "cat_skb", "weight_percent": 70, "score_min": 0, "score_max": 500},
            {"code": "WWN", "name": "Wawancara", "kind": "interview", "weight_percent": 30, "score_min": 0, "score_max": 200,
             "panel": {"min_scorers": 2, "blind": true, "aggregate": "mean"}}
         ]}
    ]})
}

#[actix_web::test]
async fn the_interview_panel_of_a_composite_stage_scores_with_it_and_the_stage_waits_for_cat() {
    let app = TestApp::spawn().await;
    let target = json!({"stage_code": "SKB", "part_code": "WWN"});
    let w = forming_panel_at(&app, 3, 2, composite_plan(), "functional", target).await;
    world::start_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    import_skd_for_all(&app, &w).await;
    world::lock_stage(&app, &w.r.hr, &w.opening, "SKD").await;
    // The part's panel starts with the stage, so its readiness rules hold the stage back.
    let response = world::stage_act(&app, &w.r.hr, &w.opening, "start-stage", "SKB").await;
    assert_problem(response, 409, "declaration_missing").await;
    for m in &w.members {
        declare(&app, m, &w.panel, json!([])).await;
    }
    let started = world::start_stage(&app, &w.r.hr, &w.opening, "SKB").await;
    assert_eq!(started["current_stage_code"], "SKB", "{started}");

    for m in &w.members {
        let codes = codes(&queue(&app, m, &w.panel).await);
        assert_eq!(codes.len(), 3, "each of the 2 members scores all 3");
        for code in codes {
            created(
                submit(&app, m, &w.panel, &code, &score_body(4, 3)).await,
                "score",
            )
            .await;
        }
    }
    let response = world::stage_act(&app, &w.r.hr, &w.opening, "lock-stage", "SKB").await;
    assert_problem(response, 409, "panel_not_locked").await;
    let response = app
        .post(&format!("/api/v1/panels/{}/lock", w.panel), &w.members[0])
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // The part's result is on its own range: 3.6 on the 1–5 rubric is 65 % of 0–200.
    let results = app
        .get_json(&format!("/api/v1/panels/{}/results", w.panel), &w.r.hr)
        .await;
    assert_eq!(
        (
            &results["stage_code"],
            &results["part_code"],
            &results["score_min"],
            &results["score_max"]
        ),
        (&json!("SKB"), &json!("WWN"), &json!(0), &json!(200)),
        "{results}"
    );
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{results}");
    for item in items {
        assert_eq!(item["result"]["scorers"], 2, "{item}");
        assert_eq!(item["result"]["stage_score_x100"], 13000, "{item}");
    }

    // CAT SKB has no scores the system can record yet, so the stage cannot lock without them.
    let response = world::stage_act(&app, &w.r.hr, &w.opening, "lock-stage", "SKB").await;
    let problem = assert_problem(response, 409, "stage_parts_unscored").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("CAT-SKB"),
        "{problem}"
    );
}
