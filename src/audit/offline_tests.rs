//! Offline proof checks over a small chain built in memory, signed with a fixed key.

use super::*;
use crate::audit::checkpoint::CheckpointSigner;
use crate::db::types::Timestamp;

fn installation() -> CheckpointSigner {
    CheckpointSigner::from_seed([7; 32])
}

/// Events as written since events are written once (no linear chain).
fn chain(n: i64) -> Vec<AuditEvent> {
    (1..=n)
        .map(|seq| {
            let mut event = AuditEvent {
                seq,
                occurred_at: Timestamp::parse("2026-11-23T01:02:03.123456Z").unwrap(),
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
                payload: format!(r#"{{"code":"AG-{seq}"}}"#),
                justification: None,
                prev_hash: None,
                hash: String::new(),
            };
            event.hash = event_hash(&event).unwrap();
            event
        })
        .collect()
}

/// A chain of events and every complete subtree of its Merkle tree, to sign and prove from.
struct Log {
    events: Vec<AuditEvent>,
    nodes: std::collections::BTreeMap<merkle::Node, Hash>,
}

impl Log {
    fn of(n: i64) -> Self {
        let events = chain(n);
        let leaves: Vec<Hash> = events.iter().map(|e| leaf_of(&e.hash)).collect();
        let nodes = merkle::complete_subtrees(&leaves);
        Self { events, nodes }
    }

    fn root(&self, size: i64) -> Hash {
        merkle::root(&self.nodes, size as u64).unwrap()
    }

    fn head(&self, size: i64, signer: &CheckpointSigner) -> Checkpoint {
        let head_hash = &self.events[size as usize - 1].hash;
        signer.sign(size, head_hash, &hex::encode(self.root(size)))
    }

    fn inclusion(&self, seq: i64, size: i64) -> InclusionProof {
        let (index, tree_size) = (seq as u64 - 1, size as u64);
        let path = merkle::inclusion_proof(&self.nodes, index, tree_size).unwrap();
        let event = self.events[index as usize].clone();
        InclusionProof {
            leaf_index: index as i64,
            tree_size: size,
            leaf_hash: hex::encode(leaf_of(&event.hash)),
            audit_path: path.iter().map(hex::encode).collect(),
            root_hash: hex::encode(self.root(size)),
            event,
        }
    }

    fn consistency(&self, first: i64, second: i64) -> ConsistencyProof {
        let hashes = merkle::consistency_proof(&self.nodes, first as u64, second as u64).unwrap();
        ConsistencyProof {
            first,
            second,
            first_root: hex::encode(self.root(first)),
            second_root: hex::encode(self.root(second)),
            proof: hashes.iter().map(hex::encode).collect(),
        }
    }

    fn check_inclusion(&self, seq: i64, size: i64) -> Result<String, String> {
        let event = &self.events[seq as usize - 1];
        let head = self.head(size, &installation());
        verify_inclusion(
            event,
            &self.inclusion(seq, size),
            &head,
            &installation().verifying_key(),
        )
    }
}

fn flip_first(hashes: &mut [String]) {
    let flipped = if hashes[0].starts_with('0') { '1' } else { '0' };
    hashes[0].replace_range(0..1, &flipped.to_string());
}

fn refused(outcome: Result<String, String>, says: &str) {
    match outcome {
        Ok(message) => panic!("accepted: {message}"),
        Err(reason) => assert!(reason.contains(says), "{reason:?} should say {says:?}"),
    }
}

#[test]
fn every_event_is_in_every_signed_tree_that_covers_it() {
    let log = Log::of(7);
    for size in 1..=7 {
        for seq in 1..=size {
            let message = log.check_inclusion(seq, size).unwrap();
            assert!(
                message.starts_with(&format!(
                    "ok: event {seq} is in the tree of {size} events signed at "
                )),
                "{message}"
            );
        }
    }
}

#[test]
fn an_edited_event_is_refused_for_its_hash() {
    let log = Log::of(7);
    let mut event = log.events[2].clone();
    event.action = "agency.deleted".into();
    let head = log.head(7, &installation());
    let outcome = verify_inclusion(
        &event,
        &log.inclusion(3, 7),
        &head,
        &installation().verifying_key(),
    );
    refused(outcome, "does not match its hash");
}

#[test]
fn an_edited_and_rehashed_event_is_not_in_the_signed_tree() {
    let log = Log::of(7);
    let mut event = log.events[2].clone();
    event.action = "agency.deleted".into();
    event.hash = event_hash(&event).unwrap();
    let mut proof = log.inclusion(3, 7);
    // The proof is given the forged leaf, so that only the path can tell.
    proof.leaf_hash = hex::encode(leaf_of(&event.hash));
    let head = log.head(7, &installation());
    let outcome = verify_inclusion(&event, &proof, &head, &installation().verifying_key());
    refused(outcome, "does not lead from event 3 to the signed root");
}

#[test]
fn a_flipped_path_hash_is_refused() {
    let log = Log::of(7);
    let mut proof = log.inclusion(5, 7);
    flip_first(&mut proof.audit_path);
    let head = log.head(7, &installation());
    let outcome = verify_inclusion(
        &log.events[4],
        &proof,
        &head,
        &installation().verifying_key(),
    );
    refused(outcome, "does not lead");
}

#[test]
fn a_proof_for_another_tree_size_or_leaf_is_refused() {
    let log = Log::of(7);
    let head = log.head(7, &installation());
    let key = installation().verifying_key();
    let smaller = log.inclusion(3, 6);
    refused(
        verify_inclusion(&log.events[2], &smaller, &head, &key),
        "a tree of 6 events but the head signs 7",
    );
    let other_leaf = log.inclusion(4, 7);
    refused(
        verify_inclusion(&log.events[2], &other_leaf, &head, &key),
        "for leaf 3 but event 3 is leaf 2",
    );
    // A proof relabelled as the right size still does not lead to the signed root.
    let mut relabelled = smaller;
    relabelled.tree_size = 7;
    relabelled.root_hash = hex::encode(log.root(7));
    refused(
        verify_inclusion(&log.events[2], &relabelled, &head, &key),
        "does not lead",
    );
    refused(
        verify_inclusion(
            &log.events[6],
            &log.inclusion(7, 7),
            &log.head(6, &installation()),
            &key,
        ),
        "newer than the head",
    );
}

#[test]
fn a_head_signed_by_another_key_is_refused() {
    let log = Log::of(7);
    let forger = CheckpointSigner::from_seed([9; 32]);
    let key = installation().verifying_key();
    let forged = log.head(7, &forger);
    refused(
        verify_inclusion(&log.events[0], &log.inclusion(1, 7), &forged, &key),
        "not signed with the installation's key",
    );
    let mut posing = forged;
    posing.public_key = installation().public_key_hex();
    refused(
        verify_inclusion(&log.events[0], &log.inclusion(1, 7), &posing, &key),
        "does not verify with the trusted key",
    );
}

#[test]
fn an_edited_root_is_refused_in_the_head_and_in_the_proof() {
    let log = Log::of(7);
    let key = installation().verifying_key();
    let mut head = log.head(7, &installation());
    head.root_hash = Some(hex::encode(log.root(6)));
    refused(
        verify_inclusion(&log.events[0], &log.inclusion(1, 7), &head, &key),
        "tree head's signature does not verify",
    );
    let mut proof = log.inclusion(1, 7);
    proof.root_hash = hex::encode(log.root(6));
    refused(
        verify_inclusion(&log.events[0], &proof, &log.head(7, &installation()), &key),
        "root_hash differs from the root the head signs",
    );
}

#[test]
fn a_malformed_path_hash_is_refused_by_position() {
    let log = Log::of(7);
    let mut proof = log.inclusion(2, 7);
    proof.audit_path[1] = "abc".into();
    let head = log.head(7, &installation());
    refused(
        verify_inclusion(
            &log.events[1],
            &proof,
            &head,
            &installation().verifying_key(),
        ),
        "audit_path[1] is not 32 hex bytes",
    );
}

fn check_consistency(log: &Log, first: i64, second: i64) -> Result<String, String> {
    let signer = installation();
    verify_consistency(
        &log.head(first, &signer),
        &log.head(second, &signer),
        &log.consistency(first, second),
        &signer.verifying_key(),
    )
}

#[test]
fn every_signed_tree_is_a_prefix_of_every_later_one() {
    let log = Log::of(9);
    for second in 1..=9 {
        for first in 1..=second {
            let message = check_consistency(&log, first, second).unwrap();
            assert!(
                message.starts_with(&format!("ok: the tree of {first} events signed at ")),
                "{message}"
            );
        }
    }
}

#[test]
fn a_flipped_consistency_hash_is_refused() {
    let log = Log::of(9);
    let signer = installation();
    let mut proof = log.consistency(3, 9);
    flip_first(&mut proof.proof);
    let outcome = verify_consistency(
        &log.head(3, &signer),
        &log.head(9, &signer),
        &proof,
        &signer.verifying_key(),
    );
    refused(outcome, "does not show the tree of 3 events to be a prefix");
}

#[test]
fn swapped_heads_or_another_pair_of_sizes_are_refused() {
    let log = Log::of(9);
    let signer = installation();
    let key = signer.verifying_key();
    let (old, new) = (log.head(3, &signer), log.head(9, &signer));
    refused(
        verify_consistency(&new, &old, &log.consistency(3, 9), &key),
        "the heads sign 9 (old) and 3 (new)",
    );
    refused(
        verify_consistency(&old, &new, &log.consistency(4, 9), &key),
        "from a tree of 4 events to one of 9",
    );
}

#[test]
fn consistency_needs_both_heads_signed_by_the_trusted_key() {
    let log = Log::of(9);
    let signer = installation();
    let forger = CheckpointSigner::from_seed([9; 32]);
    let proof = log.consistency(3, 9);
    refused(
        verify_consistency(
            &log.head(3, &forger),
            &log.head(9, &signer),
            &proof,
            &signer.verifying_key(),
        ),
        "the old head (seq 3): the checkpoint names public key",
    );
    refused(
        verify_consistency(
            &log.head(3, &signer),
            &log.head(9, &forger),
            &proof,
            &signer.verifying_key(),
        ),
        "the new head (seq 9)",
    );
}

#[test]
fn a_proof_root_that_differs_from_the_signed_one_is_refused() {
    let log = Log::of(9);
    let signer = installation();
    let (old, new) = (log.head(3, &signer), log.head(9, &signer));
    let mut proof = log.consistency(3, 9);
    proof.first_root = hex::encode(log.root(4));
    refused(
        verify_consistency(&old, &new, &proof, &signer.verifying_key()),
        "first_root differs from the root the old head signs",
    );
    let mut proof = log.consistency(3, 9);
    proof.second_root = hex::encode(log.root(8));
    refused(
        verify_consistency(&old, &new, &proof, &signer.verifying_key()),
        "second_root differs from the root the new head signs",
    );
}
