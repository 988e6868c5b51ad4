//! The audit chain: every change audited, concurrency-safe appends, and tamper detection in the
//! database, in exports, and against signed checkpoints.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, cli};
use asn_merit::audit::chain::event_hash;
use asn_merit::audit::checkpoint::CheckpointSigner;
use asn_merit::audit::model::AuditEvent;
use asn_merit::audit::{merkle, tree};
use asn_merit::auth::model::Role;
use asn_merit::db::AnyConnection;
use asn_merit::db::schema::{audit_events, audit_tree_nodes};

async fn events(app: &TestApp, auditor: &TestUser, query: &str) -> Vec<Value> {
    let body: Value = app
        .get(&format!("/api/v1/audit/events?limit=200{query}"), auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["items"].as_array().unwrap().clone()
}

pub(crate) async fn verify(app: &TestApp, auditor: &TestUser, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/audit/verify{query}"), auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Builds a chain of a dozen events through the API.
pub(crate) async fn app_with_chain() -> (TestApp, TestUser) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..5 {
        let agency = app.agency(&admin, &format!("AG-{i}")).await;
        let renamed = app
            .patch(&format!("/api/v1/agencies/{agency}"), &admin)
            .json(&json!({"name": format!("Renamed {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(renamed.status(), 200);
    }
    let auditor = app.user(Role::Auditor, None).await;
    // Reading the chain seals every pending event first.
    assert_eq!(verify(&app, &auditor, "").await["ok"], true);
    (app, auditor)
}

/// Lifts the append-only protection of the chain and its Merkle tree, as someone with direct
/// database access could.
pub(crate) fn unprotect(conn: &mut AnyConnection) {
    match conn {
        AnyConnection::Postgresql(c) => c
            .batch_execute(
                "ALTER TABLE audit_events DISABLE TRIGGER USER;
                 ALTER TABLE audit_tree_nodes DISABLE TRIGGER USER",
            )
            .unwrap(),
        AnyConnection::Sqlite(c) => c
            .batch_execute(
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;
                 DROP TRIGGER audit_tree_nodes_no_update; DROP TRIGGER audit_tree_nodes_no_delete;",
            )
            .unwrap(),
    }
}

/// Replaces the stored Merkle tree by the tree of the events as they now are, as an attacker
/// who rewrote events would, so that only a signed head can tell.
pub(crate) fn rebuild_tree(conn: &mut AnyConnection) {
    let positioned = positions(conn);
    let hashes: Vec<String> = load_chain(conn).into_iter().map(|e| e.hash).collect();
    diesel::delete(audit_tree_nodes::table)
        .execute(conn)
        .unwrap();
    let leaves: Vec<_> = hashes.iter().map(|h| tree::leaf_of(h)).collect();
    for (node, hash) in merkle::complete_subtrees(&leaves) {
        let event = (node.level == 0).then(|| positioned[node.index as usize].1);
        diesel::insert_into(audit_tree_nodes::table)
            .values((
                audit_tree_nodes::level.eq(i32::from(node.level)),
                audit_tree_nodes::idx.eq(node.index as i64),
                audit_tree_nodes::hash.eq(hex::encode(hash)),
                audit_tree_nodes::event_id.eq(event),
            ))
            .execute(conn)
            .unwrap();
    }
}

/// The sealed events in position order, as shown.
pub(crate) fn load_chain(conn: &mut AnyConnection) -> Vec<AuditEvent> {
    asn_merit::audit::store::sealed_after(conn, 0, i64::MAX).unwrap()
}

/// (seq, event id) of every sealed event whose row still exists, in position order.
pub(crate) fn positions(conn: &mut AnyConnection) -> Vec<(i64, i64)> {
    audit_tree_nodes::table
        .inner_join(
            audit_events::table.on(audit_tree_nodes::event_id.eq(audit_events::id.nullable())),
        )
        .filter(audit_tree_nodes::level.eq(0))
        .order(audit_tree_nodes::idx.asc())
        .select((audit_tree_nodes::idx + 1, audit_events::id))
        .load(conn)
        .unwrap()
}

/// The id of the row at position `seq`.
pub(crate) fn event_id_at(conn: &mut AnyConnection, seq: i64) -> i64 {
    audit_tree_nodes::table
        .filter(audit_tree_nodes::level.eq(0))
        .filter(audit_tree_nodes::idx.eq(seq - 1))
        .select(audit_tree_nodes::event_id)
        .first::<Option<i64>>(conn)
        .unwrap()
        .unwrap()
}

/// Deletes the rows of the events at positions `from_seq` and after (their leaves stay).
pub(crate) fn delete_events_from(conn: &mut AnyConnection, from_seq: i64) {
    let ids: Vec<i64> = positions(conn)
        .into_iter()
        .filter(|(seq, _)| *seq >= from_seq)
        .map(|(_, id)| id)
        .collect();
    diesel::delete(audit_events::table.filter(audit_events::id.eq_any(ids)))
        .execute(conn)
        .unwrap();
}

/// Recomputes every hash from `from_seq` on (the chained ones with their chain), as an attacker
/// who controls the database would.
pub(crate) fn rehash_from(conn: &mut AnyConnection, from_seq: i64) {
    let chain = load_chain(conn);
    let mut prev = chain
        .iter()
        .find(|e| e.seq == from_seq - 1)
        .map(|e| e.hash.clone())
        .unwrap_or_else(|| "0".repeat(64));
    for mut event in chain.into_iter().filter(|e| e.seq >= from_seq) {
        if event.prev_hash.is_some() {
            event.prev_hash = Some(prev.clone());
        }
        event.hash = event_hash(&event).unwrap();
        let id = event_id_at(conn, event.seq);
        diesel::update(audit_events::table.find(id))
            .set((
                audit_events::prev_hash.eq(&event.prev_hash),
                audit_events::hash.eq(&event.hash),
            ))
            .execute(conn)
            .unwrap();
        prev = event.hash;
    }
}

#[actix_web::test]
async fn every_state_change_is_audited_with_actor_and_request_id_and_no_personal_data() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "BKD-JATIM").await;
    let created = app
        .post("/api/v1/users", &admin)
        .header("x-request-id", "req-create-user-1")
        .json(&json!({"email": "dewi.lestari@jatim.go.id", "full_name": "Dewi Lestari", "role": "hr_officer", "agency_id": agency}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["x-request-id"], "req-create-user-1");
    let user_id = created.json::<Value>().await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = app
        .patch(&format!("/api/v1/users/{user_id}"), &admin)
        .json(&json!({"role": "appointing_official"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_problem(
        app.login("dewi.lestari@jatim.go.id", "Wrong-Password-1")
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let auditor = app.user(Role::Auditor, None).await;
    let logged_in = app
        .login(&auditor.email, crate::helpers::TEST_PASSWORD)
        .await;
    assert_eq!(logged_in.status(), 200);
    let token = logged_in.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let logout = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let reset: Value = app
        .post(&format!("/api/v1/users/{user_id}/reset-password"), &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let activated = app
        .http
        .post(app.url("/api/v1/auth/activate"))
        .json(&json!({"token": reset["token"], "password": crate::helpers::TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 204);
    let empty = app.agency(&admin, "KOSONG").await;
    let deleted = app
        .delete(&format!("/api/v1/agencies/{empty}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    let all = events(&app, &auditor, "").await;
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for expected in [
        "agency.created",
        "agency.deleted",
        "user.created",
        "user.updated",
        "user.password_reset_issued",
        "user.password_set",
        "auth.login_failed",
        "auth.login_succeeded",
        "auth.logout",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let user_created = all
        .iter()
        .find(|e| e["action"] == "user.created" && e["object_id"] == user_id.as_str())
        .unwrap();
    assert_eq!(user_created["request_id"], "req-create-user-1");
    assert_eq!(user_created["actor_type"], "user");
    assert_eq!(user_created["actor_id"], admin.id.to_string());
    assert_eq!(user_created["actor_role"], "admin");
    let role_change = all.iter().find(|e| e["action"] == "user.updated").unwrap();
    let payload: Value = serde_json::from_str(role_change["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        payload["changes"]["role"],
        json!({"from": "hr_officer", "to": "appointing_official"})
    );

    // No personal value in clear anywhere in the chain.
    let text = serde_json::to_string(&all).unwrap().to_lowercase();
    for personal in [
        "dewi",
        "lestari",
        "jatim.go.id",
        "wrong-password",
        crate::helpers::TEST_PASSWORD,
    ] {
        assert!(
            !text.contains(&personal.to_lowercase()),
            "{personal} appears in the audit chain"
        );
    }
    // Filters.
    let only_failed = events(&app, &auditor, "&action=auth.login_failed").await;
    assert_eq!(only_failed.len(), 1);
    let by_object = events(
        &app,
        &auditor,
        &format!("&object_type=user&object_id={user_id}"),
    )
    .await;
    let trail: Vec<&str> = by_object
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        trail,
        [
            "user.created",
            "user.updated",
            "user.password_reset_issued",
            "user.password_set"
        ]
    );
    let by_actor = events(&app, &auditor, &format!("&actor_id={}", admin.id)).await;
    assert!(
        by_actor
            .iter()
            .all(|e| e["actor_id"] == admin.id.to_string())
            && by_actor.len() >= 3
    );
    let future = events(&app, &auditor, "&from=2999-01-01T00:00:00Z").await;
    assert!(future.is_empty());
    assert_eq!(verify(&app, &auditor, "").await["ok"], true);
}

#[actix_web::test]
async fn cursor_pagination_walks_the_chain_in_order_without_gaps() {
    let (app, auditor) = app_with_chain().await;
    let mut seqs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/audit/events?limit=3&cursor={c}"),
            None => "/api/v1/audit/events?limit=3".to_string(),
        };
        let page: Value = app
            .get(&query, &auditor)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seqs.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected);
    assert!(seqs.len() >= 11);
}

/// Sixty parallel audited writes while readers keep sealing the log concurrently: every event is
/// sealed exactly once and numbered without gaps.
#[actix_web::test]
async fn parallel_writes_are_each_sealed_once_without_gaps() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "8"), ("WORKERS", "2")]).await;
    let admin = app.admin().await;
    let auditor = app.user(Role::Auditor, None).await;
    let writes = (0..60).map(|i| {
        app.post("/api/v1/agencies", &admin)
            .json(&json!({"code": format!("PAR-{i}"), "name": format!("Parallel {i}"), "level": "regional", "time_zone": "WITA"}))
            .send()
    });
    let reads = (0..20).map(|_| app.get("/api/v1/audit/events?limit=1", &auditor).send());
    let (writes, reads) = futures_util::future::join(
        futures_util::future::join_all(writes),
        futures_util::future::join_all(reads),
    )
    .await;
    for response in writes {
        assert_eq!(response.unwrap().status(), 201);
    }
    for response in reads {
        assert_eq!(response.unwrap().status(), 200);
    }
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], true, "{report}");
    let (chain, mut ids, rows) = app
        .with_conn(|conn| {
            let ids: Vec<i64> = positions(conn).into_iter().map(|(_, id)| id).collect();
            let rows: i64 = audit_events::table.count().get_result(conn).unwrap();
            (load_chain(conn), ids, rows)
        })
        .await;
    assert_eq!(ids.len() as i64, rows, "every row has a position");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, rows, "an event has two positions");
    assert_eq!(
        chain
            .iter()
            .filter(|e| e.action == "agency.created")
            .count(),
        60
    );
    let seqs: Vec<i64> = chain.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=chain.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        report["events_checked"].as_i64().unwrap(),
        chain.len() as i64
    );
}

/// The event is written in the change's own transaction: a change that fails leaves no event,
/// and the background sealer chains committed events without anyone reading.
#[actix_web::test]
async fn events_commit_with_their_change_and_are_sealed_in_the_background() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.agency(&admin, "SEAL-1").await;
    let duplicate = app
        .post("/api/v1/agencies", &admin)
        .json(&json!({"code": "SEAL-1", "name": "Again", "level": "central", "time_zone": "WIB"}))
        .send()
        .await
        .unwrap();
    assert_problem(duplicate, 409, "agency_code_taken").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (pending, chain) = app
            .with_conn(|conn| {
                let rows: i64 = audit_events::table.count().get_result(conn).unwrap();
                let chain = load_chain(conn);
                (rows - chain.len() as i64, chain)
            })
            .await;
        if pending == 0 && chain.iter().any(|e| e.action == "agency.created") {
            assert_eq!(
                chain
                    .iter()
                    .filter(|e| e.action == "agency.created")
                    .count(),
                1
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sealer did not chain the event ({pending} pending)"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn the_database_rejects_edits_and_deletes_of_the_chain() {
    let (app, _) = app_with_chain().await;
    let (updated, deleted) = app
        .with_conn(|conn| {
            let id = event_id_at(conn, 2);
            let updated = diesel::update(audit_events::table.find(id))
                .set(audit_events::action.eq("forged"))
                .execute(conn);
            let deleted = diesel::delete(audit_events::table.find(id)).execute(conn);
            (updated.is_err(), deleted.is_err())
        })
        .await;
    assert!(updated, "an UPDATE of audit_events succeeded");
    assert!(deleted, "a DELETE of audit_events succeeded");
}

#[actix_web::test]
async fn verify_names_the_edited_event() {
    let (app, auditor) = app_with_chain().await;
    app.with_conn(|conn| {
        unprotect(conn);
        let id = event_id_at(conn, 4);
        diesel::update(audit_events::table.find(id))
            .set(audit_events::payload.eq(r#"{"code":"FORGED"}"#))
            .execute(conn)
            .unwrap();
    })
    .await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["broken_seq"], 4, "{report}");
    assert_eq!(report["events_checked"], 3);
}

#[actix_web::test]
async fn verify_names_a_deleted_event() {
    let (app, auditor) = app_with_chain().await;
    app.with_conn(|conn| {
        unprotect(conn);
        let id = event_id_at(conn, 6);
        diesel::delete(audit_events::table.find(id))
            .execute(conn)
            .unwrap();
    })
    .await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["broken_seq"], 6, "{report}");
}

#[actix_web::test]
async fn verify_names_reordered_events() {
    let (app, auditor) = app_with_chain().await;
    app.with_conn(|conn| {
        unprotect(conn);
        // Swap events 3 and 4 (each keeps its own hash, but the order changes): their leaves
        // now name each other's event.
        let (third, fourth) = (event_id_at(conn, 3), event_id_at(conn, 4));
        for (idx, id) in [(2, -1), (3, third), (2, fourth)] {
            diesel::update(
                audit_tree_nodes::table
                    .filter(audit_tree_nodes::level.eq(0))
                    .filter(audit_tree_nodes::idx.eq(idx)),
            )
            .set(audit_tree_nodes::event_id.eq(id))
            .execute(conn)
            .unwrap();
        }
    })
    .await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["broken_seq"], 3, "{report}");
}

pub(crate) async fn sign_checkpoint(app: &TestApp, auditor: &TestUser) -> Value {
    let response = app
        .post("/api/v1/audit/checkpoints", auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The query that checks a checkpoint, with its signed tree head when it has one.
pub(crate) fn checkpoint_query(cp: &Value) -> String {
    let mut query = format!(
        "?checkpoint_seq={}&checkpoint_head_hash={}&checkpoint_signed_at={}&checkpoint_signature={}",
        cp["seq"],
        cp["head_hash"].as_str().unwrap(),
        cp["signed_at"].as_str().unwrap().replace('+', "%2B"),
        cp["signature"].as_str().unwrap()
    );
    if let (Some(root), Some(signature)) = (cp["root_hash"].as_str(), cp["tree_signature"].as_str())
    {
        query += &format!("&checkpoint_root_hash={root}&checkpoint_tree_signature={signature}");
    }
    query
}

#[actix_web::test]
async fn a_checkpoint_detects_removal_of_the_newest_events() {
    let (app, auditor) = app_with_chain().await;
    let checkpoint = sign_checkpoint(&app, &auditor).await;
    let seq = checkpoint["seq"].as_i64().unwrap();
    assert_eq!(
        verify(&app, &auditor, &checkpoint_query(&checkpoint)).await["checkpoint_verified"],
        true
    );
    // Signing again without new events returns the same checkpoint (200).
    let again = app
        .post("/api/v1/audit/checkpoints", &auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);

    app.with_conn(move |conn| {
        unprotect(conn);
        delete_events_from(conn, seq - 1);
        // The stored tree alone would tell (tests/api/audit_tree.rs): it is cut back too.
        rebuild_tree(conn);
    })
    .await;
    // The truncated chain is internally consistent ...
    let plain = verify(&app, &auditor, "").await;
    assert_eq!(plain["ok"], true);
    // ... but not against the checkpoint the auditor kept.
    let report = verify(&app, &auditor, &checkpoint_query(&checkpoint)).await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["checkpoint_verified"], false);
    assert_eq!(report["broken_seq"], seq - 1);
}

#[actix_web::test]
async fn a_checkpoint_detects_a_rehashed_rewrite_of_the_whole_chain() {
    let (app, auditor) = app_with_chain().await;
    let checkpoint = sign_checkpoint(&app, &auditor).await;
    app.with_conn(|conn| {
        unprotect(conn);
        let id = event_id_at(conn, 2);
        diesel::update(audit_events::table.find(id))
            .set(audit_events::payload.eq(r#"{"code":"REWRITTEN"}"#))
            .execute(conn)
            .unwrap();
        rehash_from(conn, 2);
        rebuild_tree(conn);
    })
    .await;
    assert_eq!(
        verify(&app, &auditor, "").await["ok"],
        true,
        "a full rehash, tree included, hides from the plain chain check"
    );
    let report = verify(&app, &auditor, &checkpoint_query(&checkpoint)).await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["checkpoint_verified"], false);
    assert_eq!(report["broken_seq"], checkpoint["seq"], "{report}");
}

#[actix_web::test]
async fn a_checkpoint_with_a_forged_signature_is_refused() {
    let (app, auditor) = app_with_chain().await;
    let checkpoint = sign_checkpoint(&app, &auditor).await;
    assert_eq!(
        verify(&app, &auditor, &checkpoint_query(&checkpoint)).await["ok"],
        true
    );
    // Same seq and head hash (so the chain comparison alone would pass), one signature bit flipped.
    let mut forged = checkpoint.clone();
    let signature = checkpoint["signature"].as_str().unwrap();
    let flipped = if signature.starts_with('0') { '1' } else { '0' };
    forged["signature"] = json!(format!("{flipped}{}", &signature[1..]));
    let report = verify(&app, &auditor, &checkpoint_query(&forged)).await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["checkpoint_verified"], false);
    assert!(
        report["reason"].as_str().unwrap().contains("signature"),
        "{report}"
    );
}

/// A checkpoint over the real head, signed with a fresh Ed25519 key and naming `public_key`
/// (by default the forger's own).
fn forged_checkpoint(seq: i64, head_hash: &str, root: &str, public_key: Option<&str>) -> Value {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let mut forged =
        serde_json::to_value(CheckpointSigner::from_seed(seed).sign(seq, head_hash, root)).unwrap();
    if let Some(key) = public_key {
        forged["public_key"] = json!(key);
    }
    forged
}

/// The head of the tree over the first `size` events, as anyone reading the proofs learns it.
pub(crate) async fn tree_root(app: &TestApp, auditor: &TestUser, size: i64) -> String {
    let proof: Value = app
        .get(
            &format!("/api/v1/audit/proofs/consistency?first={size}&second={size}"),
            auditor,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    proof["second_root"].as_str().unwrap().to_string()
}

/// The key this installation signs with, as an auditor would have kept it.
pub(crate) async fn installation_key(app: &TestApp, auditor: &TestUser) -> String {
    let listed: Value = app
        .get("/api/v1/audit/checkpoints", auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["public_key"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_checkpoint_signed_with_another_key_over_the_real_head_is_refused() {
    let (app, auditor) = app_with_chain().await;
    let head = verify(&app, &auditor, "").await;
    let seq = head["events_checked"].as_i64().unwrap();
    let root = tree_root(&app, &auditor, seq).await;
    let forged = forged_checkpoint(seq, head["head_hash"].as_str().unwrap(), &root, None);
    let report = verify(&app, &auditor, &checkpoint_query(&forged)).await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["checkpoint_verified"], false);
    assert_eq!(report["broken_seq"], seq);
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("does not verify with the trusted key"),
        "{report}"
    );
    // The installation's own checkpoint of the same head verifies.
    let real = sign_checkpoint(&app, &auditor).await;
    assert_eq!(real["head_hash"], head["head_hash"]);
    let report = verify(&app, &auditor, &checkpoint_query(&real)).await;
    assert_eq!(report["checkpoint_verified"], true, "{report}");
}

/// Verifies an export offline; a checkpoint is given with the public key to check it with.
fn offline_verify(
    app: &TestApp,
    lines: &[String],
    checkpoint: Option<(&Value, &str)>,
) -> (i32, Value) {
    let dir = app.db.dir.path();
    let file = dir.join(format!("tampered-{}.jsonl", uuid::Uuid::new_v4()));
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let mut args = vec![
        "audit".to_string(),
        "verify".into(),
        "--file".into(),
        file.to_string_lossy().into_owned(),
    ];
    if let Some((cp, public_key)) = checkpoint {
        let cp_file = dir.join(format!("checkpoint-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&cp_file, cp.to_string()).unwrap();
        args.extend([
            "--checkpoint".into(),
            cp_file.to_string_lossy().into_owned(),
            "--public-key".into(),
            public_key.into(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = cli(app, &args);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("not JSON: {stdout} / {stderr}")),
    )
}

#[actix_web::test]
async fn cli_export_verifies_offline_and_names_the_first_broken_seq_of_a_tampered_file() {
    let (app, auditor) = app_with_chain().await;
    let checkpoint = sign_checkpoint(&app, &auditor).await;
    let (code, stdout, stderr) = cli(&app, &["audit", "verify"]);
    assert_eq!(code, 0, "{stdout} {stderr}");
    let export = app.db.dir.path().join("chain.jsonl");
    let (code, _, stderr) = cli(
        &app,
        &["audit", "export", "--out", export.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len() as i64, checkpoint["seq"].as_i64().unwrap());

    let own_key = installation_key(&app, &auditor).await;
    let kept = Some((&checkpoint, own_key.as_str()));
    let (code, report) = offline_verify(&app, &lines, kept);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["checkpoint_verified"], true);

    // Pinning the installation's key: the right key passes, any other key is refused.
    let cp_file = app.db.dir.path().join("pinned-checkpoint.json");
    std::fs::write(&cp_file, checkpoint.to_string()).unwrap();
    let export_path = export.to_str().unwrap();
    let cp_path = cp_file.to_str().unwrap();
    let pinned = cli(
        &app,
        &[
            "audit",
            "verify",
            "--file",
            export_path,
            "--checkpoint",
            cp_path,
            "--public-key",
            &own_key,
        ],
    );
    assert_eq!(pinned.0, 0, "{pinned:?}");
    // Another installation's key (a valid Ed25519 key, so that the parser accepts it).
    let other_key = CheckpointSigner::from_seed([3; 32]).public_key_hex();
    let refused = cli(
        &app,
        &[
            "audit",
            "verify",
            "--file",
            export_path,
            "--checkpoint",
            cp_path,
            "--public-key",
            &other_key,
        ],
    );
    assert_eq!(refused.0, 1, "{refused:?}");
    let report: Value = serde_json::from_str(&refused.1).unwrap();
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["checkpoint_verified"], false);
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("not signed with the installation's key"),
        "{refused:?}"
    );

    // Edited field.
    let mut edited = lines.clone();
    edited[4] = edited[4].replace("agency.", "agencyX.");
    let (code, report) = offline_verify(&app, &edited, None);
    assert_eq!(
        (code, report["broken_seq"].as_i64()),
        (1, Some(5)),
        "{report}"
    );
    // Deleted line.
    let mut deleted = lines.clone();
    deleted.remove(6);
    let (code, report) = offline_verify(&app, &deleted, None);
    assert_eq!(
        (code, report["broken_seq"].as_i64()),
        (1, Some(7)),
        "{report}"
    );
    // Reordered lines.
    let mut reordered = lines.clone();
    reordered.swap(2, 3);
    let (code, report) = offline_verify(&app, &reordered, None);
    assert_eq!(
        (code, report["broken_seq"].as_i64()),
        (1, Some(3)),
        "{report}"
    );
    // Newest events dropped: fine alone, caught by the checkpoint.
    let truncated = lines[..lines.len() - 2].to_vec();
    assert_eq!(offline_verify(&app, &truncated, None).0, 0);
    let (code, report) = offline_verify(&app, &truncated, kept);
    assert_eq!(code, 1);
    assert_eq!(report["checkpoint_verified"], false);
    // Whole chain rewritten with fresh hashes from event 2 on: caught by the checkpoint.
    let mut events: Vec<AuditEvent> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    events[1].payload = r#"{"code":"REWRITTEN"}"#.into();
    for i in 1..events.len() {
        if events[i].prev_hash.is_some() {
            events[i].prev_hash = Some(events[i - 1].hash.clone());
        }
        events[i].hash = event_hash(&events[i]).unwrap();
    }
    let rewritten: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_eq!(offline_verify(&app, &rewritten, None).0, 0);
    let (code, report) = offline_verify(&app, &rewritten, kept);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["broken_seq"], checkpoint["seq"]);
}

#[actix_web::test]
async fn cli_checks_checkpoints_with_the_trusted_key_never_the_one_they_name() {
    let (app, auditor) = app_with_chain().await;
    let own_key = installation_key(&app, &auditor).await;
    let head = verify(&app, &auditor, "").await;
    let (seq, head_hash) = (
        head["events_checked"].as_i64().unwrap(),
        head["head_hash"].as_str().unwrap(),
    );
    let export = app.db.dir.path().join("chain.jsonl");
    let (code, _, stderr) = cli(
        &app,
        &["audit", "export", "--out", export.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();

    // Signed with another key and naming it: consistent in itself, refused for its key.
    let root = tree_root(&app, &auditor, seq).await;
    let self_consistent = forged_checkpoint(seq, head_hash, &root, None);
    let (code, report) = offline_verify(&app, &lines, Some((&self_consistent, &own_key)));
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["ok"], false);
    assert_eq!(report["checkpoint_verified"], false);
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("not signed with the installation's key"),
        "{report}"
    );
    // Signed with another key but naming the installation's: the signature fails.
    let posing = forged_checkpoint(seq, head_hash, &root, Some(&own_key));
    let (code, report) = offline_verify(&app, &lines, Some((&posing, &own_key)));
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("does not verify with the trusted key"),
        "{report}"
    );

    // Offline, a checkpoint without --public-key is refused before anything is read.
    let cp_file = app.db.dir.path().join("forged-checkpoint.json");
    std::fs::write(&cp_file, self_consistent.to_string()).unwrap();
    let cp_path = cp_file.to_str().unwrap();
    let (code, stdout, stderr) = cli(
        &app,
        &[
            "audit",
            "verify",
            "--file",
            export.to_str().unwrap(),
            "--checkpoint",
            cp_path,
        ],
    );
    assert_eq!(code, 2, "{stdout} {stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("--public-key"), "{stderr}");
    // A key that is not hex is refused by the argument parser.
    let (code, _, stderr) = cli(
        &app,
        &[
            "audit",
            "verify",
            "--file",
            export.to_str().unwrap(),
            "--checkpoint",
            cp_path,
            "--public-key",
            "not-a-key",
        ],
    );
    assert_eq!(code, 2, "{stderr}");

    // Against the database, without --public-key, the installation's own key is the trusted one.
    let (code, stdout, stderr) = cli(&app, &["audit", "verify", "--checkpoint", cp_path]);
    assert_eq!(code, 1, "{stdout} {stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["checkpoint_verified"], false, "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("not signed with the installation's key"),
        "{report}"
    );
    let real = sign_checkpoint(&app, &auditor).await;
    std::fs::write(&cp_file, real.to_string()).unwrap();
    let (code, stdout, stderr) = cli(&app, &["audit", "verify", "--checkpoint", cp_path]);
    assert_eq!(code, 0, "{stdout} {stderr}");
    // ... and with --public-key, that key is: the real checkpoint fails against another key.
    let other_key = CheckpointSigner::from_seed([3; 32]).public_key_hex();
    let (code, stdout, stderr) = cli(
        &app,
        &[
            "audit",
            "verify",
            "--checkpoint",
            cp_path,
            "--public-key",
            &other_key,
        ],
    );
    assert_eq!(code, 1, "{stdout} {stderr}");
}

#[actix_web::test]
async fn only_auditors_and_admins_read_the_chain() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let agency = app.agency(&admin, "KEMENDAG").await;
    for role in [Role::HrOfficer, Role::Panelist, Role::AppointingOfficial] {
        let user = app.user(role, Some(agency)).await;
        assert_problem(
            app.get("/api/v1/audit/events", &user).send().await.unwrap(),
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.get("/api/v1/audit/verify", &user).send().await.unwrap(),
            403,
            "forbidden",
        )
        .await;
    }
    // An agency auditor sees only their agency's events.
    let other = app.agency(&admin, "KEMENPAN").await;
    let agency_auditor = app.user(Role::Auditor, Some(agency)).await;
    let seen = events(&app, &agency_auditor, "").await;
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|e| e["agency_id"] == agency.to_string()),
        "{seen:?}"
    );
    assert!(
        events(&app, &agency_auditor, &format!("&agency_id={other}"))
            .await
            .is_empty()
    );
}
