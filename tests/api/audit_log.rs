//! The audit log with events written once (issue 12): a thousand events each proved offline
//! against a signed head, a rewrite by the database owner that breaks every proof issued before,
//! parallel writers with proofs in between, a malformed row sealed as it is and reported, and an
//! installation from before (a linear chain, a tree behind it, events still pending) migrated.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ed25519_dalek::VerifyingKey;
use serde_json::json;

use crate::audit::{
    event_id_at, installation_key, load_chain, positions, rebuild_tree, rehash_from,
    sign_checkpoint, tree_root, unprotect, verify,
};
use crate::audit_offline::{
    consistency_proof, inclusion_proof, verify_consistency_offline, verify_inclusion_offline,
};
use crate::helpers::{TestApp, TestDb, TestUser};
use asn_merit::audit::chain::{GENESIS_HASH, event_hash};
use asn_merit::audit::checkpoint::{CheckpointSigner, PinnedCheckpoint};
use asn_merit::audit::model::{AuditContext, AuditEvent, Checkpoint, NewAuditEvent, StoredEvent};
use asn_merit::audit::proofs::{ConsistencyProof, InclusionProof};
use asn_merit::audit::{merkle, offline, store, tree};
use asn_merit::auth::model::Role;
use asn_merit::db::AnyConnection;
use asn_merit::db::schema::audit_events;
use asn_merit::db::types::Timestamp;

fn hash_of(hex_text: &str) -> merkle::Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

async fn trusted_key(app: &TestApp, auditor: &TestUser) -> VerifyingKey {
    let bytes: [u8; 32] = hex::decode(installation_key(app, auditor).await)
        .unwrap()
        .try_into()
        .unwrap();
    VerifyingKey::from_bytes(&bytes).unwrap()
}

/// `n` events through the server's own writer, in one transaction (a thousand HTTP writes would
/// only make the test slow; the parallel test below writes through the API).
async fn write_events(app: &TestApp, n: usize) {
    app.with_conn(move |conn| {
        asn_merit::db::write_transaction(conn, |c| {
            let ctx = AuditContext::system("test-load", Timestamp::now());
            for i in 0..n {
                let event = NewAuditEvent::new("test.recorded", "test", i).payload(json!({"i": i}));
                store::append(c, &ctx, event)?;
            }
            Ok(())
        })
        .unwrap()
    })
    .await;
}

#[actix_web::test]
async fn a_thousand_events_are_each_proved_offline_and_a_rewrite_breaks_every_earlier_proof() {
    let app = TestApp::spawn().await;
    let auditor = app.user(Role::Auditor, None).await;
    write_events(&app, 1_000).await;
    let head = sign_checkpoint(&app, &auditor).await;
    let size = head["seq"].as_i64().unwrap();
    assert!(size > 1_000, "{head}");
    let head_cp: Checkpoint = serde_json::from_value(head.clone()).unwrap();
    let key = trusted_key(&app, &auditor).await;

    let mut proofs = Vec::new();
    for seq in 1..=size {
        let value = inclusion_proof(&app, &auditor, seq, size).await;
        let proof: InclusionProof = serde_json::from_value(value.clone()).unwrap();
        let checked = offline::verify_inclusion(&proof.event, &proof, &head_cp, &key);
        assert!(checked.is_ok(), "seq {seq}: {checked:?}");
        proofs.push((value, proof));
    }
    let public_key = installation_key(&app, &auditor).await;
    for seq in [1, size / 2, size] {
        let (value, _) = &proofs[seq as usize - 1];
        let (code, out, err) =
            verify_inclusion_offline(&app, &value["event"], value, &head, &public_key);
        assert_eq!(code, 0, "seq {seq}: {out} {err}");
    }

    // The database owner rewrites event 10 and rehashes everything after it, tree included.
    app.with_conn(|conn| {
        unprotect(conn);
        let id = event_id_at(conn, 10);
        diesel::update(audit_events::table.find(id))
            .set(audit_events::payload.eq(r#"{"i":"rewritten"}"#))
            .execute(conn)
            .unwrap();
        rehash_from(conn, 10);
        rebuild_tree(conn);
    })
    .await;
    assert_eq!(
        verify(&app, &auditor, "").await["ok"],
        true,
        "only heads can tell"
    );
    write_events(&app, 5).await;
    let later = sign_checkpoint(&app, &auditor).await;
    let later_cp: Checkpoint = serde_json::from_value(later.clone()).unwrap();
    let second = later_cp.seq;

    let value = consistency_proof(&app, &auditor, size, second).await;
    let proof: ConsistencyProof = serde_json::from_value(value.clone()).unwrap();
    assert!(offline::verify_consistency(&head_cp, &later_cp, &proof, &key).is_err());
    let (code, _, err) = verify_consistency_offline(&app, &head, &later, &value, &public_key);
    assert_eq!(code, 1, "{err}");

    // Against the tree of `size` events the log shows now, no proof issued before verifies.
    let now_root = hash_of(&tree_root(&app, &auditor, size).await);
    assert_ne!(Some(hex::encode(now_root)), head_cp.root_hash);
    for (_, proof) in &proofs {
        let path: Vec<_> = proof.audit_path.iter().map(|h| hash_of(h)).collect();
        let leaf = hash_of(&proof.leaf_hash);
        let index = proof.leaf_index as u64;
        assert!(
            merkle::verify_inclusion(index, size as u64, &leaf, &path, &now_root).is_err(),
            "the proof of event {} still verifies",
            proof.event.seq
        );
    }
    // And the rewritten event, as the log shows it now, is not the event the head signed.
    let rewritten: InclusionProof =
        serde_json::from_value(inclusion_proof(&app, &auditor, 10, size).await).unwrap();
    let (_, before) = &proofs[9];
    assert!(offline::verify_inclusion(&rewritten.event, before, &head_cp, &key).is_err());
}

/// 200 audited writes from 16 clients, each asking for proofs between its writes: positions
/// have no gap and no duplicate, and every proof handed out verifies and ends at a head the
/// final signed head extends.
#[actix_web::test]
async fn two_hundred_writes_from_sixteen_clients_interleaved_with_proofs() {
    let app = TestApp::spawn_with(&[("DB_POOL_SIZE", "8"), ("WORKERS", "2")]).await;
    let admin = app.admin().await;
    let auditor = app.user(Role::Auditor, None).await;
    let start = sign_checkpoint(&app, &auditor).await["seq"]
        .as_i64()
        .unwrap();
    let clients = (0..16).map(|client| {
        let (app, admin, auditor) = (&app, &admin, &auditor);
        async move {
            let mut heads = Vec::new();
            let writes = 200 / 16 + usize::from(client < 200 % 16);
            for i in 0..writes {
                let created = app
                    .post("/api/v1/agencies", admin)
                    .json(&json!({"code": format!("P{client}-{i}"), "name": format!("Parallel {client} {i}"),
                        "level": "regional", "time_zone": "WIT"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(created.status(), 201);
                // This client's own writes are committed, so the log has at least this many.
                let size = start + i as i64 + 1;
                let seq = 1 + (client as i64 * 7 + i as i64 * 13) % size;
                let proof = inclusion_proof(app, auditor, seq, size).await;
                let root = hash_of(proof["root_hash"].as_str().unwrap());
                let leaf = tree::leaf_of(proof["event"]["hash"].as_str().unwrap());
                let path: Vec<_> = proof["audit_path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| hash_of(h.as_str().unwrap()))
                    .collect();
                assert_eq!(
                    merkle::verify_inclusion(seq as u64 - 1, size as u64, &leaf, &path, &root),
                    Ok(())
                );
                heads.push((size, root));
            }
            heads
        }
    });
    let heads: Vec<(i64, merkle::Hash)> = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(heads.len(), 200);

    let last = sign_checkpoint(&app, &auditor).await;
    let last_size = last["seq"].as_i64().unwrap();
    let last_root = hash_of(last["root_hash"].as_str().unwrap());
    for (size, root) in heads {
        let proof = consistency_proof(&app, &auditor, size, last_size).await;
        let hashes: Vec<_> = proof["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash_of(h.as_str().unwrap()))
            .collect();
        assert_eq!(
            merkle::verify_consistency(size as u64, last_size as u64, &root, &last_root, &hashes),
            Ok(()),
            "the head of {size} events"
        );
    }
    let (positioned, rows, chain) = app
        .with_conn(|conn| {
            let rows: i64 = audit_events::table.count().get_result(conn).unwrap();
            (positions(conn), rows, load_chain(conn))
        })
        .await;
    let seqs: Vec<i64> = positioned.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=rows).collect::<Vec<_>>(), "no gap, no duplicate");
    let mut ids: Vec<i64> = positioned.iter().map(|(_, id)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, rows, "no event has two positions");
    let created = chain.iter().filter(|e| e.action == "agency.created");
    assert_eq!(created.count(), 200);
    assert_eq!(verify(&app, &auditor, "").await["ok"], true);
}

/// A row written straight into the table, not even JSON and without a real hash, does not stop
/// sealing: it gets its position over its stored bytes, later events are sealed after it, and
/// verify names it.
#[actix_web::test]
async fn a_malformed_row_is_sealed_as_it_is_and_reported_by_verify() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.user(Role::Auditor, None).await;
    let before = sign_checkpoint(&app, &auditor).await["seq"]
        .as_i64()
        .unwrap();
    app.with_conn(|conn| {
        let row = StoredEvent {
            id: 0,
            occurred_at: Timestamp::now(),
            actor_type: "system".into(),
            actor_id: None,
            actor_role: None,
            actor_agency: None,
            actor_label: Some("intruder".into()),
            action: "forged".into(),
            object_type: "nothing".into(),
            object_id: None,
            agency_id: None,
            request_id: None,
            payload: "not json".into(),
            justification: None,
            prev_hash: None,
            hash: "not a hash".into(),
        };
        diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(conn)
            .unwrap();
    })
    .await;
    app.agency(&admin, "AFTER-MALFORMED").await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["broken_seq"], before + 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("payload"),
        "{report}"
    );
    let chain = app.with_conn(load_chain).await;
    assert_eq!(chain[before as usize].hash, "not a hash");
    assert!(
        chain[before as usize + 1..]
            .iter()
            .any(|e| e.action == "agency.created"),
        "events after the malformed row are sealed"
    );
}

/// Applies the migrations up to and including `last` (a directory name prefix), as an
/// installation of that release did.
fn migrate_through(url: &str, last: &str) {
    use diesel_migrations::MigrationHarness;
    fn run<C, DB>(conn: &mut C, source: diesel_migrations::EmbeddedMigrations, last: &str)
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
    {
        for migration in conn.pending_migrations(source).unwrap() {
            if migration.name().to_string().as_str() > last {
                break;
            }
            conn.run_migration(&*migration).unwrap();
        }
    }
    match &mut asn_merit::db::establish(url).unwrap() {
        AnyConnection::Postgresql(c) => run(c, asn_merit::db::POSTGRES_MIGRATIONS, last),
        AnyConnection::Sqlite(c) => run(c, asn_merit::db::SQLITE_MIGRATIONS, last),
    }
}

/// Five events of the old linear chain, as the release before stored them.
fn legacy_chain() -> Vec<AuditEvent> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=5)
        .map(|seq| {
            let mut event = AuditEvent {
                seq,
                occurred_at: Timestamp::parse(&format!("2026-11-30T01:02:0{seq}.000001Z")).unwrap(),
                actor_type: "system".into(),
                actor_id: None,
                actor_role: None,
                actor_agency: None,
                actor_label: Some("old-release".into()),
                action: "legacy.recorded".into(),
                object_type: "legacy".into(),
                object_id: Some(seq.to_string()),
                agency_id: None,
                request_id: None,
                payload: format!(r#"{{"n":{seq}}}"#),
                justification: None,
                prev_hash: Some(prev.clone()),
                hash: String::new(),
            };
            event.hash = event_hash(&event).unwrap();
            prev = event.hash.clone();
            event
        })
        .collect()
}

/// The old release's rows: five chained events, a tree over the first four only (the tree
/// lagged behind), a signed head of those four, and two events still pending.
fn write_legacy_rows(url: &str, events: &[AuditEvent], head: &Checkpoint) {
    let mut sql = String::new();
    for e in events {
        sql += &format!(
            "INSERT INTO audit_events (seq, occurred_at, actor_type, actor_label, action, object_type, \
             object_id, payload, prev_hash, hash) VALUES ({}, '{}', 'system', 'old-release', '{}', \
             '{}', '{}', '{}', '{}', '{}');",
            e.seq,
            e.occurred_at.to_rfc3339(),
            e.action,
            e.object_type,
            e.object_id.as_deref().unwrap(),
            e.payload,
            e.prev_hash.as_deref().unwrap(),
            e.hash
        );
    }
    let leaves: Vec<_> = events[..4].iter().map(|e| tree::leaf_of(&e.hash)).collect();
    for (node, hash) in merkle::complete_subtrees(&leaves) {
        sql += &format!(
            "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES ({}, {}, '{}');",
            node.level,
            node.index,
            hex::encode(hash)
        );
    }
    sql += &format!(
        "INSERT INTO audit_checkpoints (seq, head_hash, signed_at, public_key, signature, root_hash, \
         tree_signature) VALUES ({}, '{}', '{}', '{}', '{}', '{}', '{}');",
        head.seq,
        head.head_hash,
        head.signed_at.to_rfc3339(),
        head.public_key,
        head.signature,
        head.root_hash.as_deref().unwrap(),
        head.tree_signature.as_deref().unwrap()
    );
    for n in 1..=2 {
        sql += &format!(
            "INSERT INTO audit_pending (occurred_at, actor_type, actor_label, action, object_type, \
             object_id, payload) VALUES ('2026-11-30T02:00:0{n}.000001Z', 'system', 'old-release', \
             'legacy.pending', 'legacy', 'p{n}', '{{\"p\":{n}}}');"
        );
    }
    asn_merit::db::establish(url)
        .unwrap()
        .batch_execute(&sql)
        .unwrap();
}

#[actix_web::test]
async fn an_installation_with_the_linear_chain_migrates_and_its_old_heads_still_verify() {
    let db = TestDb::empty();
    migrate_through(&db.url, "2026-12-11-000010_tree_heads");
    let events = legacy_chain();
    let signer = CheckpointSigner::from_seed([5; 32]);
    let leaves: Vec<_> = events[..4].iter().map(|e| tree::leaf_of(&e.hash)).collect();
    let old_root = merkle::root(&merkle::complete_subtrees(&leaves), 4).unwrap();
    let old_head = signer.sign(4, &events[3].hash, &hex::encode(old_root));
    write_legacy_rows(&db.url, &events, &old_head);

    // The real start-up path: the remaining migrations, then the record of them.
    let settings = TestApp::settings(&db, &[]);
    let config =
        asn_merit::config::Config::from_lookup(&|name| settings.get(name).cloned()).unwrap();
    asn_merit::cli::server::migrate(&config).unwrap();
    let app = TestApp::spawn_on(db, &[]).await;
    let auditor = app.user(Role::Auditor, None).await;
    let report = verify(&app, &auditor, "").await;
    assert_eq!(report["ok"], true, "{report}");

    let chain = app.with_conn(load_chain).await;
    assert_eq!(
        &chain[..5],
        &events[..],
        "the chained events are kept as they were"
    );
    let actions: Vec<&str> = chain[5..8].iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["legacy.pending", "legacy.pending", "schema.migrated"]
    );
    assert!(chain[5..].iter().all(|e| e.prev_hash.is_none()));
    assert!(
        chain[7].payload.contains("20261212000011"),
        "{}",
        chain[7].payload
    );
    assert!(chain[7].payload.contains(r#""pending_events_moved":2"#));

    // The head the auditor kept from before still verifies, with the key they kept ...
    let kept = PinnedCheckpoint::new(old_head.clone(), signer.verifying_key());
    let checked = app
        .with_conn(move |conn| store::verify(conn, Some(kept)).unwrap())
        .await;
    assert!(checked.ok, "{checked:?}");
    assert_eq!(checked.checkpoint_verified, Some(true));
    // ... and the tree grown since is consistent with it.
    let admin = app.admin().await;
    app.agency(&admin, "AFTER-UPGRADE").await;
    let now = sign_checkpoint(&app, &auditor).await;
    let size = now["seq"].as_i64().unwrap();
    let proof: ConsistencyProof =
        serde_json::from_value(consistency_proof(&app, &auditor, 4, size).await).unwrap();
    let hashes: Vec<_> = proof.proof.iter().map(|h| hash_of(h)).collect();
    let now_root = hash_of(now["root_hash"].as_str().unwrap());
    assert_eq!(
        merkle::verify_consistency(4, size as u64, &old_root, &now_root, &hashes),
        Ok(())
    );
    // The pending table is empty, and the rebuilt table is append-only.
    let (pending, edited) = app
        .with_conn(|conn| {
            let pending: i64 = asn_merit::db::schema::audit_pending::table
                .count()
                .get_result(conn)
                .unwrap();
            let edited = diesel::update(audit_events::table.find(1))
                .set(audit_events::action.eq("forged"))
                .execute(conn);
            (pending, edited.is_err())
        })
        .await;
    assert_eq!(pending, 0);
    assert!(edited, "an UPDATE of the rebuilt audit_events succeeded");
}
