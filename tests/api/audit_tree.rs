//! The Merkle tree over the chain (RFC 9162): grown with every sealed event, equal to the tree
//! recomputed from the events, and checked by verification, which names what was touched.

use diesel::prelude::*;

use crate::audit::{app_with_chain, load_chain, unprotect, verify};
use asn_merit::audit::{merkle, tree};
use asn_merit::db::schema::{audit_events, audit_tree_nodes};

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
            let last: i64 = audit_events::table
                .select(diesel::dsl::max(audit_events::seq))
                .first::<Option<i64>>(conn)
                .unwrap()
                .unwrap();
            diesel::delete(audit_events::table.filter(audit_events::seq.ge(last - 1)))
                .execute(conn)
                .unwrap();
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

/// An installation from before the tree: its events are already sealed and the tree is empty.
/// The sealer builds the tree over them, and new events extend it.
#[actix_web::test]
async fn the_tree_is_built_over_events_sealed_before_it_existed() {
    let (app, auditor) = app_with_chain().await;
    let expected = app
        .with_conn(|conn| {
            let size = tree::size(conn).unwrap();
            let root = tree::root_at(conn, size).unwrap();
            unprotect(conn);
            diesel::delete(audit_tree_nodes::table)
                .execute(conn)
                .unwrap();
            assert_eq!(tree::size(conn).unwrap(), 0);
            (size, root)
        })
        .await;
    // Reading the chain seals first, which grows the tree.
    assert_eq!(verify(&app, &auditor, "").await["ok"], true);
    let rebuilt = app
        .with_conn(move |conn| {
            let size = tree::size(conn).unwrap();
            (size, tree::root_at(conn, expected.0).unwrap())
        })
        .await;
    assert!(rebuilt.0 >= expected.0);
    assert_eq!(rebuilt.1, expected.1);
}
