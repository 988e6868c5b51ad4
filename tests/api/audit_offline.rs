//! Offline proof checks by the real binary: `audit verify-inclusion` and `audit
//! verify-consistency` over proofs and signed heads fetched from a running server, with the key
//! the auditor kept, and refusals of anything edited.

use serde_json::{Value, json};

use crate::audit::{app_with_chain, installation_key, sign_checkpoint};
use crate::helpers::{TestApp, TestUser, cli};
use asn_merit::audit::checkpoint::CheckpointSigner;
use asn_merit::db::types::Timestamp;

async fn get_json(app: &TestApp, auditor: &TestUser, path: &str) -> Value {
    let response = app.get(path, auditor).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

pub(crate) async fn inclusion_proof(
    app: &TestApp,
    auditor: &TestUser,
    seq: i64,
    tree_size: i64,
) -> Value {
    let path = format!("/api/v1/audit/proofs/inclusion?seq={seq}&tree_size={tree_size}");
    get_json(app, auditor, &path).await
}

pub(crate) async fn consistency_proof(
    app: &TestApp,
    auditor: &TestUser,
    first: i64,
    second: i64,
) -> Value {
    let path = format!("/api/v1/audit/proofs/consistency?first={first}&second={second}");
    get_json(app, auditor, &path).await
}

/// Writes `value` to a fresh file in the test's directory and returns its path.
fn json_file(app: &TestApp, name: &str, value: &Value) -> String {
    let file = app
        .db
        .dir
        .path()
        .join(format!("{name}-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, value.to_string()).unwrap();
    file.to_string_lossy().into_owned()
}

/// Runs `audit verify-inclusion` on the event, proof and head as files.
pub(crate) fn verify_inclusion_offline(
    app: &TestApp,
    event: &Value,
    proof: &Value,
    head: &Value,
    public_key: &str,
) -> (i32, String, String) {
    let files = [
        json_file(app, "event", event),
        json_file(app, "inclusion", proof),
        json_file(app, "head", head),
    ];
    cli(
        app,
        &[
            "audit",
            "verify-inclusion",
            "--event",
            &files[0],
            "--proof",
            &files[1],
            "--head",
            &files[2],
            "--public-key",
            public_key,
        ],
    )
}

/// Runs `audit verify-consistency` on the two heads and the proof as files.
pub(crate) fn verify_consistency_offline(
    app: &TestApp,
    old: &Value,
    new: &Value,
    proof: &Value,
    public_key: &str,
) -> (i32, String, String) {
    let files = [
        json_file(app, "old-head", old),
        json_file(app, "new-head", new),
        json_file(app, "consistency", proof),
    ];
    cli(
        app,
        &[
            "audit",
            "verify-consistency",
            "--old",
            &files[0],
            "--new",
            &files[1],
            "--proof",
            &files[2],
            "--public-key",
            public_key,
        ],
    )
}

/// A copy of `proof` with the first hash of the array `field` changed in one hex digit.
fn with_flipped_hash(proof: &Value, field: &str) -> Value {
    let mut flipped = proof.clone();
    let hash = proof[field][0].as_str().unwrap();
    let digit = if hash.starts_with('0') { '1' } else { '0' };
    flipped[field][0] = json!(format!("{digit}{}", &hash[1..]));
    flipped
}

/// The head's `signed_at` as the command prints it: six fractional digits and `Z`.
fn signed_at(head: &Value) -> String {
    Timestamp::parse(head["signed_at"].as_str().unwrap())
        .unwrap()
        .to_rfc3339()
}

fn assert_refused(outcome: (i32, String, String), says: &str) {
    let (code, stdout, stderr) = &outcome;
    assert_eq!(*code, 1, "{outcome:?}");
    assert!(stdout.is_empty(), "{outcome:?}");
    assert!(stderr.contains(says), "{stderr:?} should say {says:?}");
}

#[actix_web::test]
async fn events_verify_offline_against_a_signed_head_and_edits_are_refused() {
    let (app, auditor) = app_with_chain().await;
    let own_key = installation_key(&app, &auditor).await;
    let head = sign_checkpoint(&app, &auditor).await;
    let size = head["seq"].as_i64().unwrap();
    assert!(size >= 11, "{head}");

    for seq in [1, size / 2, size] {
        let proof = inclusion_proof(&app, &auditor, seq, size).await;
        let (code, stdout, stderr) =
            verify_inclusion_offline(&app, &proof["event"], &proof, &head, &own_key);
        assert_eq!(code, 0, "event {seq}: {stdout} {stderr}");
        assert_eq!(
            stdout.trim(),
            format!(
                "ok: event {seq} is in the tree of {size} events signed at {}",
                signed_at(&head)
            ),
            "{stderr}"
        );
    }

    let proof = inclusion_proof(&app, &auditor, 3, size).await;
    let mut edited = proof["event"].clone();
    edited["action"] = json!("agency.deleted");
    assert_refused(
        verify_inclusion_offline(&app, &edited, &proof, &head, &own_key),
        "does not match its hash",
    );
    let flipped = with_flipped_hash(&proof, "audit_path");
    assert_refused(
        verify_inclusion_offline(&app, &proof["event"], &flipped, &head, &own_key),
        "does not lead from event 3 to the signed root",
    );
    // A proof for another event, given with this one, is refused for its leaf.
    let other = inclusion_proof(&app, &auditor, 4, size).await;
    assert_refused(
        verify_inclusion_offline(&app, &proof["event"], &other, &head, &own_key),
        "for leaf 3 but event 3 is leaf 2",
    );
    // A head checked with another installation's key.
    let other_key = CheckpointSigner::from_seed([3; 32]).public_key_hex();
    assert_refused(
        verify_inclusion_offline(&app, &proof["event"], &proof, &head, &other_key),
        "not signed with the installation's key",
    );
    // A file that is not an event.
    assert_refused(
        verify_inclusion_offline(&app, &json!({"seq": 3}), &proof, &head, &own_key),
        "is not an audit event",
    );
}

#[actix_web::test]
async fn a_later_signed_head_extends_the_earlier_one_offline() {
    let (app, auditor) = app_with_chain().await;
    let own_key = installation_key(&app, &auditor).await;
    let old = sign_checkpoint(&app, &auditor).await;
    let admin = app.admin().await;
    for i in 0..3 {
        app.agency(&admin, &format!("LATER-{i}")).await;
    }
    let new = sign_checkpoint(&app, &auditor).await;
    let (first, second) = (old["seq"].as_i64().unwrap(), new["seq"].as_i64().unwrap());
    assert!(second > first + 3, "{old} {new}");

    let proof = consistency_proof(&app, &auditor, first, second).await;
    let (code, stdout, stderr) = verify_consistency_offline(&app, &old, &new, &proof, &own_key);
    assert_eq!(code, 0, "{stdout} {stderr}");
    assert!(
        stdout.starts_with(&format!("ok: the tree of {first} events signed at ")),
        "{stdout}"
    );
    // An old event is still in the new tree.
    let inclusion = inclusion_proof(&app, &auditor, first, second).await;
    let (code, stdout, stderr) =
        verify_inclusion_offline(&app, &inclusion["event"], &inclusion, &new, &own_key);
    assert_eq!(code, 0, "{stdout} {stderr}");

    assert_refused(
        verify_consistency_offline(
            &app,
            &old,
            &new,
            &with_flipped_hash(&proof, "proof"),
            &own_key,
        ),
        "to be a prefix",
    );
    assert_refused(
        verify_consistency_offline(&app, &new, &old, &proof, &own_key),
        "but the heads sign",
    );
    let other_key = CheckpointSigner::from_seed([3; 32]).public_key_hex();
    assert_refused(
        verify_consistency_offline(&app, &old, &new, &proof, &other_key),
        "not signed with the installation's key",
    );
}

#[actix_web::test]
async fn proof_checks_without_a_public_key_are_usage_errors() {
    let (app, auditor) = app_with_chain().await;
    let head = sign_checkpoint(&app, &auditor).await;
    let path = json_file(&app, "head", &head);
    let (code, stdout, stderr) = cli(
        &app,
        &[
            "audit",
            "verify-consistency",
            "--old",
            &path,
            "--new",
            &path,
            "--proof",
            &path,
        ],
    );
    assert_eq!(code, 2, "{stdout} {stderr}");
    assert!(stderr.contains("--public-key"), "{stderr}");
    let (code, _, stderr) = cli(
        &app,
        &[
            "audit",
            "verify-inclusion",
            "--event",
            &path,
            "--proof",
            &path,
            "--head",
            &path,
            "--public-key",
            "not-a-key",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
}
