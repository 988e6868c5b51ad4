//! The Merkle tree over the chain (RFC 9162): grown with every sealed event, equal to the tree
//! recomputed from the events, and checked by verification, which names what was touched.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::audit::{
    app_with_chain, checkpoint_query, delete_events_from, load_chain, sign_checkpoint, tree_root,
    unprotect, verify,
};
use crate::helpers::assert_problem;
use asn_merit::audit::{merkle, tree};
use asn_merit::db::schema::audit_tree_nodes;
use asn_merit::db::{AnyConnection, lock_audit_chain};

#[actix_web::test]
async fn the_stored_tree_is_the_tree_of_the_sealed_events() {
    let (app, _auditor) = app_with_chain().await;
    let (stored_size, stored_root, events) = app
        .with_conn(|conn| {
            let size = tree::size(conn).unwrap();
            (size, tree::root_at(conn, size).unwrap(), load_chain(conn))
        })
        .await;
    assert_eq!(stored_size, events.len() as u64);
    assert!(stored_size >= 11, "{stored_size}");
    let leaves: Vec<_> = events.iter().map(|e| tree::leaf_of(&e.hash)).collect();
    let recomputed = merkle::complete_subtrees(&leaves);
    assert_eq!(stored_root, merkle::root(&recomputed, stored_size).unwrap());
    // Every node is stored once, and only complete ones: 2n - popcount(n) of them.
    let rows: i64 = app
        .with_conn(|conn| audit_tree_nodes::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(rows as usize, recomputed.len());
    assert_eq!(
        rows as u64,
        2 * stored_size - u64::from(stored_size.count_ones())
    );
}

#[actix_web::test]
async fn the_database_rejects_edits_and_deletes_of_the_tree() {
    let (app, _auditor) = app_with_chain().await;
    let (updated, deleted) = app
        .with_conn(|conn| {
            let node = audit_tree_nodes::table
                .filter(audit_tree_nodes::level.eq(1))
                .filter(audit_tree_nodes::idx.eq(0));
            let updated = diesel::update(node)
                .set(audit_tree_nodes::hash.eq("00"))
                .execute(conn);
            let deleted = diesel::delete(node).execute(conn);
            (updated.is_err(), deleted.is_err())
        })
        .await;
    assert!(updated && deleted);
}

#[actix_web::test]
async fn verify_names_the_events_under_an_edited_tree_node() {
    let (app, auditor) = app_with_chain().await;
    app.with_conn(|conn| {
        unprotect(conn);
        let node = audit_tree_nodes::table
            .filter(audit_tree_nodes::level.eq(1))
            .filter(audit_tree_nodes::idx.eq(1));
        diesel::update(node)
            .set(audit_tree_nodes::hash.eq("ab".repeat(32)))
            .execute(conn)
            .unwrap();
    })
    .await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["broken_seq"], 3, "{report}");
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("events 3 to 4") && reason.contains("does not match"),
        "{reason}"
    );
}

/// Without any checkpoint: the tree still has the leaves of the removed events.
#[actix_web::test]
async fn removing_the_newest_events_is_caught_by_the_tree_alone() {
    let (app, auditor) = app_with_chain().await;
    let last = app
        .with_conn(|conn| {
            unprotect(conn);
            let last = tree::size(conn).unwrap() as i64;
            delete_events_from(conn, last - 1);
            last
        })
        .await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["broken_seq"], last - 1, "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("events were removed"),
        "{report}"
    );
}

async fn get_json(
    app: &crate::helpers::TestApp,
    who: &crate::helpers::TestUser,
    path: &str,
) -> (u16, serde_json::Value) {
    let response = app.get(path, who).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn hash_of(value: &serde_json::Value) -> merkle::Hash {
    hex::decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn path_of(value: &serde_json::Value) -> Vec<merkle::Hash> {
    value.as_array().unwrap().iter().map(hash_of).collect()
}

/// Every proof the API gives verifies with the RFC 9162 verifier, against heads that agree with
/// each other: the inclusion proof of event k in the tree of k events ends at the head the
/// consistency proof starts from.
#[actix_web::test]
async fn every_event_has_an_inclusion_proof_and_every_size_a_consistency_proof() {
    let (app, auditor) = app_with_chain().await;
    let size = app.with_conn(|conn| tree::size(conn).unwrap()).await;
    let mut head = None;
    for seq in 1..=size {
        let (status, proof) = get_json(
            &app,
            &auditor,
            &format!("/api/v1/audit/proofs/inclusion?seq={seq}&tree_size={size}"),
        )
        .await;
        assert_eq!(status, 200, "{proof}");
        assert_eq!(proof["event"]["seq"], seq);
        let leaf = tree::leaf_of(proof["event"]["hash"].as_str().unwrap());
        assert_eq!(leaf, hash_of(&proof["leaf_hash"]));
        let root = hash_of(&proof["root_hash"]);
        assert_eq!(*head.get_or_insert(root), root);
        let path = path_of(&proof["audit_path"]);
        assert_eq!(
            merkle::verify_inclusion(seq - 1, size, &leaf, &path, &root),
            Ok(()),
            "seq {seq}"
        );

        let (status, consistency) = get_json(
            &app,
            &auditor,
            &format!("/api/v1/audit/proofs/consistency?first={seq}&second={size}"),
        )
        .await;
        assert_eq!(status, 200, "{consistency}");
        let (first_root, second_root) = (
            hash_of(&consistency["first_root"]),
            hash_of(&consistency["second_root"]),
        );
        assert_eq!(second_root, root);
        let proof = path_of(&consistency["proof"]);
        assert_eq!(
            merkle::verify_consistency(seq, size, &first_root, &second_root, &proof),
            Ok(())
        );
        let (_, at_seq) = get_json(
            &app,
            &auditor,
            &format!("/api/v1/audit/proofs/inclusion?seq={seq}&tree_size={seq}"),
        )
        .await;
        assert_eq!(
            hash_of(&at_seq["root_hash"]),
            first_root,
            "the head of {seq} events"
        );
    }
    for query in [
        format!("inclusion?seq=1&tree_size={}", size + 1),
        "inclusion?seq=3&tree_size=2".to_string(),
        "inclusion?seq=0&tree_size=2".to_string(),
        format!("consistency?first=2&second={}", size + 1),
        "consistency?first=3&second=2".to_string(),
        "consistency?first=0&second=2".to_string(),
    ] {
        let (status, problem) =
            get_json(&app, &auditor, &format!("/api/v1/audit/proofs/{query}")).await;
        assert_eq!(status, 422, "{query}: {problem}");
    }
}

/// Proofs over a size already sealed only read the tree: while another session holds the chain
/// lock (as a long seal would), they are still answered.
#[actix_web::test]
async fn proofs_of_a_sealed_size_do_not_wait_for_the_chain_lock() {
    let (app, auditor) = app_with_chain().await;
    let size = app.with_conn(|conn| tree::size(conn).unwrap()).await;
    let mut holder = app.db.connection();
    // SQLite's chain lock is the write lock itself; PostgreSQL's is taken inside the transaction.
    let begin = match holder {
        AnyConnection::Postgresql(_) => "BEGIN",
        AnyConnection::Sqlite(_) => "BEGIN IMMEDIATE",
    };
    holder.batch_execute(begin).unwrap();
    lock_audit_chain(&mut holder).unwrap();
    for path in [
        format!("/api/v1/audit/proofs/inclusion?seq=1&tree_size={size}"),
        format!("/api/v1/audit/proofs/consistency?first=1&second={size}"),
    ] {
        let answered = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            app.get(&path, &auditor).send(),
        )
        .await;
        let response = answered.unwrap_or_else(|_| panic!("{path} waited for the chain lock"));
        assert_eq!(response.unwrap().status(), 200, "{path}");
    }
    holder.batch_execute("ROLLBACK").unwrap();
}

/// An agency's auditor gets inclusion proofs for the agency's own events only; consistency
/// proofs carry only hashes, so every auditor gets them.
#[actix_web::test]
async fn an_agency_auditor_proves_only_the_agency_s_events() {
    let (app, _national) = app_with_chain().await;
    let events = app.with_conn(load_chain).await;
    let own = events
        .iter()
        .find(|e| e.agency_id.is_some())
        .expect("an agency's event");
    let agency = own.agency_id.unwrap();
    let other = events
        .iter()
        .find(|e| e.agency_id.is_some_and(|a| a != agency))
        .expect("another agency's event");
    let auditor = app
        .user(asn_merit::auth::model::Role::Auditor, Some(agency))
        .await;
    let size = events.len();
    let (status, _) = get_json(
        &app,
        &auditor,
        &format!(
            "/api/v1/audit/proofs/inclusion?seq={}&tree_size={size}",
            own.seq
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = get_json(
        &app,
        &auditor,
        &format!(
            "/api/v1/audit/proofs/inclusion?seq={}&tree_size={size}",
            other.seq
        ),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get_json(
        &app,
        &auditor,
        &format!("/api/v1/audit/proofs/consistency?first=1&second={size}"),
    )
    .await;
    assert_eq!(status, 200);
}

/// A checkpoint is a signed tree head: its root is the root of the tree over its `seq` events,
/// verify accepts it with its tree signature, and an edited root or a root without its
/// signature is refused.
#[actix_web::test]
async fn a_checkpoint_signs_the_tree_head_and_verify_checks_it() {
    let (app, auditor) = app_with_chain().await;
    let checkpoint = sign_checkpoint(&app, &auditor).await;
    let seq = checkpoint["seq"].as_i64().unwrap();
    assert_eq!(
        checkpoint["root_hash"].as_str().unwrap(),
        tree_root(&app, &auditor, seq).await
    );
    let report = verify(&app, &auditor, &checkpoint_query(&checkpoint)).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checkpoint_verified"], true, "{report}");

    let mut edited = checkpoint.clone();
    edited["root_hash"] = serde_json::json!("ab".repeat(32));
    let report = verify(&app, &auditor, &checkpoint_query(&edited)).await;
    assert_eq!(report["checkpoint_verified"], false, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("signature"),
        "{report}"
    );

    let root_only = checkpoint_query(&checkpoint)
        .split('&')
        .filter(|part| !part.starts_with("checkpoint_tree_signature="))
        .collect::<Vec<_>>()
        .join("&");
    let response = app
        .get(&format!("/api/v1/audit/verify{root_only}"), &auditor)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["field"], "checkpoint_root_hash",
        "{problem}"
    );

    let (status, listed) = get_json(&app, &auditor, "/api/v1/audit/checkpoints").await;
    assert_eq!(status, 200);
    let newest = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cp| cp["seq"] == seq)
        .expect("the checkpoint is listed");
    assert_eq!(newest["root_hash"], checkpoint["root_hash"]);
    assert_eq!(newest["tree_signature"], checkpoint["tree_signature"]);
}
