//! The hash chain and its verifier: legacy chained events, events written once after them,
//! and checkpoints (signed tree heads) checked with the pinned key.

use super::*;
use crate::db::types::Timestamp;

fn chain(n: i64) -> Vec<AuditEvent> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=n)
        .map(|seq| {
            let mut e = AuditEvent {
                seq,
                occurred_at: Timestamp::parse("2026-11-23T01:02:03.123456Z")
                    .unwrap_or_else(Timestamp::now),
                actor_type: "system".into(),
                actor_id: None,
                actor_role: None,
                actor_agency: None,
                actor_label: Some("test".into()),
                action: "agency.created".into(),
                object_type: "agency".into(),
                object_id: Some(format!("{seq}")),
                agency_id: None,
                request_id: None,
                payload: format!(r#"{{"b":{seq},"a":"x"}}"#),
                justification: None,
                prev_hash: Some(prev.clone()),
                hash: String::new(),
            };
            e.hash = event_hash(&e).unwrap_or_default();
            prev = e.hash.clone();
            e
        })
        .collect()
}

/// Events written once: no chain, each hashed over its content alone.
fn written_once(from_seq: i64, n: i64) -> Vec<AuditEvent> {
    chain(from_seq + n - 1)
        .into_iter()
        .skip(from_seq as usize - 1)
        .map(|mut e| {
            e.prev_hash = None;
            e.hash = event_hash(&e).unwrap_or_default();
            e
        })
        .collect()
}

#[test]
fn a_chain_followed_by_events_written_once_verifies_and_breaks_are_located() {
    let mut events = chain(3);
    events.extend(written_once(4, 3));
    let report = verify(&events);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.head_hash, events[5].hash);

    let mut edited = events.clone();
    edited[4].payload = r#"{"forged":true}"#.into();
    assert_eq!(verify(&edited).broken_seq, Some(5));

    let mut gap = events.clone();
    gap.remove(4);
    assert_eq!(verify(&gap).broken_seq, Some(5));

    // A chained event cannot be slipped in after the chain ended.
    let mut late = events.clone();
    late[5] = chain(6).remove(5);
    assert_eq!(verify(&late).broken_seq, Some(6));
}

#[test]
fn the_content_hash_leaves_out_the_position() {
    let mut e = written_once(1, 1).remove(0);
    let at_one = e.hash.clone();
    e.seq = 9;
    assert_eq!(event_hash(&e).unwrap_or_default(), at_one);
}

fn root_of(events: &[AuditEvent]) -> String {
    let mut tree = Frontier::default();
    events.iter().for_each(|e| tree.push(leaf_of(&e.hash)));
    hex::encode(tree.root())
}

fn verify(events: &[AuditEvent]) -> VerifyReport {
    let mut v = ChainVerifier::new(None);
    events.iter().for_each(|e| v.push(e));
    v.finish()
}

#[test]
fn the_hash_covers_canonical_content_not_key_order() {
    let mut e = chain(1).remove(0);
    let original = e.hash.clone();
    e.payload = r#"{"a":"x","b":1}"#.into();
    assert_eq!(
        event_hash(&e).unwrap_or_default(),
        original,
        "key order must not matter"
    );
    e.action = "agency.deleted".into();
    assert_ne!(event_hash(&e).unwrap_or_default(), original);
}

#[test]
fn an_intact_chain_verifies_and_any_break_is_located() {
    let events = chain(5);
    let report = verify(&events);
    assert!(report.ok);
    assert_eq!(report.events_checked, 5);
    assert_eq!(report.head_hash, events[4].hash);

    let mut edited = events.clone();
    edited[2].object_id = Some("forged".into());
    assert_eq!(verify(&edited).broken_seq, Some(3));

    let mut gap = events.clone();
    gap.remove(1);
    assert_eq!(verify(&gap).broken_seq, Some(2));

    let mut swapped = events.clone();
    swapped.swap(3, 4);
    assert_eq!(verify(&swapped).broken_seq, Some(4));
}

#[test]
fn a_checkpoint_beyond_the_end_reports_removed_events() {
    let events = chain(4);
    let signer = checkpoint::CheckpointSigner::from_seed([7; 32]);
    let pinned = PinnedCheckpoint::new(
        signer.sign(4, &events[3].hash, &root_of(&events)),
        signer.verifying_key(),
    );
    let mut whole = ChainVerifier::new(Some(pinned.clone()));
    events.iter().for_each(|e| whole.push(e));
    assert_eq!(whole.finish().checkpoint_verified, Some(true));

    let mut truncated = ChainVerifier::new(Some(pinned));
    events[..3].iter().for_each(|e| truncated.push(e));
    let report = truncated.finish();
    assert!(!report.ok);
    assert_eq!(report.checkpoint_verified, Some(false));
    assert_eq!(report.broken_seq, Some(4));
    assert!(
        report
            .reason
            .unwrap_or_default()
            .contains("newest events were removed")
    );
}

#[test]
fn a_chain_does_not_verify_against_a_checkpoint_signed_by_another_key() {
    let events = chain(4);
    let installation = checkpoint::CheckpointSigner::from_seed([7; 32]);
    let forged = checkpoint::CheckpointSigner::from_seed([9; 32]).sign(
        4,
        &events[3].hash,
        &root_of(&events),
    );
    let mut verifier = ChainVerifier::new(Some(PinnedCheckpoint::new(
        forged,
        installation.verifying_key(),
    )));
    events.iter().for_each(|e| verifier.push(e));
    let report = verifier.finish();
    assert!(!report.ok);
    assert_eq!(report.checkpoint_verified, Some(false));
    assert_eq!(report.broken_seq, Some(4));
    assert!(
        report
            .reason
            .unwrap_or_default()
            .contains("not signed with the installation's key")
    );
}

fn checked_against(events: &[AuditEvent], cp: super::super::model::Checkpoint) -> VerifyReport {
    let key = checkpoint::CheckpointSigner::from_seed([7; 32]).verifying_key();
    let mut verifier = ChainVerifier::new(Some(PinnedCheckpoint::new(cp, key)));
    events.iter().for_each(|e| verifier.push(e));
    verifier.finish()
}

#[test]
fn a_tree_head_over_another_tree_is_reported_at_its_size() {
    let events = chain(4);
    let signer = checkpoint::CheckpointSigner::from_seed([7; 32]);
    // Signed by the installation, with the right chain head, over the tree of other events.
    let other_root = root_of(&chain(5)[..4].iter().rev().cloned().collect::<Vec<_>>());
    let report = checked_against(&events, signer.sign(4, &events[3].hash, &other_root));
    assert!(!report.ok);
    assert_eq!(report.broken_seq, Some(4));
    assert!(
        report.reason.unwrap_or_default().contains("Merkle tree"),
        "names the tree"
    );
}

#[test]
fn an_edited_root_or_a_root_without_its_signature_is_refused() {
    let events = chain(4);
    let signer = checkpoint::CheckpointSigner::from_seed([7; 32]);
    let good = signer.sign(4, &events[3].hash, &root_of(&events));
    assert!(checked_against(&events, good.clone()).ok);

    let mut edited = good.clone();
    edited.root_hash = Some(root_of(&events[..3]));
    let reason = checked_against(&events, edited).reason.unwrap_or_default();
    assert!(reason.contains("tree head's signature"), "{reason}");

    let mut unsigned = good.clone();
    unsigned.tree_signature = None;
    let reason = checked_against(&events, unsigned)
        .reason
        .unwrap_or_default();
    assert!(reason.contains("without the other"), "{reason}");
}

#[test]
fn a_checkpoint_from_before_the_tree_still_verifies() {
    let events = chain(4);
    let signer = checkpoint::CheckpointSigner::from_seed([7; 32]);
    let mut old = signer.sign(4, &events[3].hash, &root_of(&events));
    // What a checkpoint made before the tree holds: the chain signature alone.
    old.root_hash = None;
    old.tree_signature = None;
    let report = checked_against(&events, old);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checkpoint_verified, Some(true));
}
