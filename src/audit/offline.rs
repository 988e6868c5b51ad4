//! Offline checks of what the proof API hands out, against a signed tree head and a key the
//! auditor trusts: no database, no configuration. Each returns the line to print on success, or
//! the reason it does not hold.
//!
//! Nothing a proof claims about the event, its leaf or a root is trusted: the leaf is recomputed
//! from the event, and the roots come from heads whose signatures verified.

use ed25519_dalek::VerifyingKey;

use super::chain::event_hash;
use super::checkpoint::{VerifiedTreeHead, verify_tree_head};
use super::merkle::{self, Hash};
use super::model::{AuditEvent, Checkpoint};
use super::proofs::{ConsistencyProof, InclusionProof};
use super::tree::leaf_of;

/// Checks that `event` is leaf `event.seq - 1` of the tree `head` signed, by the audit path of
/// `proof` (RFC 9162 2.1.3.2). The `event` inside the proof is not read.
pub fn verify_inclusion(
    event: &AuditEvent,
    proof: &InclusionProof,
    head: &Checkpoint,
    trusted_key: &VerifyingKey,
) -> Result<String, String> {
    let leaf = leaf_of_checked_event(event)?;
    let signed = verified_head(head, trusted_key, "the head")?;
    let index = leaf_index_in(event, head)?;
    check_inclusion_proof_is_for(proof, index, &leaf, head, &signed)?;
    let path = parse_hashes(&proof.audit_path, "audit_path")?;
    merkle::verify_inclusion(index, signed.tree_size, &leaf, &path, &signed.root).map_err(|e| {
        format!(
            "the audit path does not lead from event {} to the signed root: {e}",
            event.seq
        )
    })?;
    Ok(format!(
        "ok: event {} is in the tree of {} events signed at {}",
        event.seq,
        head.seq,
        head.signed_at.to_rfc3339()
    ))
}

/// Checks that the tree `old` signed is a prefix of the tree `new` signed, by the hashes of
/// `proof` (RFC 9162 2.1.4.2).
pub fn verify_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &ConsistencyProof,
    trusted_key: &VerifyingKey,
) -> Result<String, String> {
    let old_signed = verified_head(old, trusted_key, "the old head")?;
    let new_signed = verified_head(new, trusted_key, "the new head")?;
    check_consistency_proof_is_for(proof, old, new, &old_signed, &new_signed)?;
    let hashes = parse_hashes(&proof.proof, "proof")?;
    merkle::verify_consistency(
        old_signed.tree_size,
        new_signed.tree_size,
        &old_signed.root,
        &new_signed.root,
        &hashes,
    )
    .map_err(|e| {
        format!(
            "the proof does not show the tree of {} events to be a prefix of the tree of {} events: {e}",
            old.seq, new.seq
        )
    })?;
    Ok(format!(
        "ok: the tree of {} events signed at {} is a prefix of the tree of {} events signed at {}",
        old.seq,
        old.signed_at.to_rfc3339(),
        new.seq,
        new.signed_at.to_rfc3339()
    ))
}

/// The leaf of an event whose content still matches its hash.
fn leaf_of_checked_event(event: &AuditEvent) -> Result<Hash, String> {
    let recomputed = event_hash(event).map_err(|e| format!("event {}: {e}", event.seq))?;
    if recomputed != event.hash {
        return Err(format!(
            "event {}: its content does not match its hash (edited)",
            event.seq
        ));
    }
    Ok(leaf_of(&event.hash))
}

fn verified_head(
    head: &Checkpoint,
    trusted_key: &VerifyingKey,
    which: &str,
) -> Result<VerifiedTreeHead, String> {
    verify_tree_head(head, trusted_key).map_err(|e| format!("{which} (seq {}): {e}", head.seq))
}

/// The event's leaf index, which must lie inside the head's tree.
fn leaf_index_in(event: &AuditEvent, head: &Checkpoint) -> Result<u64, String> {
    if event.seq < 1 {
        return Err(format!("event {} has no leaf: seq starts at 1", event.seq));
    }
    if event.seq > head.seq {
        return Err(format!(
            "event {} is newer than the head, which covers events 1 to {}",
            event.seq, head.seq
        ));
    }
    Ok(event.seq as u64 - 1)
}

/// The proof must be for this leaf, at this index, in the tree of this head.
fn check_inclusion_proof_is_for(
    proof: &InclusionProof,
    index: u64,
    leaf: &Hash,
    head: &Checkpoint,
    signed: &VerifiedTreeHead,
) -> Result<(), String> {
    if proof.tree_size != head.seq {
        return Err(format!(
            "the proof is for a tree of {} events but the head signs {}",
            proof.tree_size, head.seq
        ));
    }
    if proof.leaf_index != index as i64 {
        return Err(format!(
            "the proof is for leaf {} but event {} is leaf {index}",
            proof.leaf_index,
            index + 1
        ));
    }
    if !same_hash(&proof.leaf_hash, leaf) {
        return Err(format!(
            "the proof's leaf_hash is not the leaf of event {}",
            index + 1
        ));
    }
    if !same_hash(&proof.root_hash, &signed.root) {
        return Err("the proof's root_hash differs from the root the head signs".into());
    }
    Ok(())
}

/// The proof must be between the trees of these two heads, with their roots.
fn check_consistency_proof_is_for(
    proof: &ConsistencyProof,
    old: &Checkpoint,
    new: &Checkpoint,
    old_signed: &VerifiedTreeHead,
    new_signed: &VerifiedTreeHead,
) -> Result<(), String> {
    if (proof.first, proof.second) != (old.seq, new.seq) {
        return Err(format!(
            "the proof is from a tree of {} events to one of {}, but the heads sign {} (old) and {} (new)",
            proof.first, proof.second, old.seq, new.seq
        ));
    }
    if !same_hash(&proof.first_root, &old_signed.root) {
        return Err("the proof's first_root differs from the root the old head signs".into());
    }
    if !same_hash(&proof.second_root, &new_signed.root) {
        return Err("the proof's second_root differs from the root the new head signs".into());
    }
    Ok(())
}

fn same_hash(text: &str, hash: &Hash) -> bool {
    text.trim().eq_ignore_ascii_case(&hex::encode(hash))
}

fn parse_hashes(texts: &[String], field: &str) -> Result<Vec<Hash>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            hex::decode(text.trim())
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or_else(|| format!("{field}[{i}] is not 32 hex bytes"))
        })
        .collect()
}

#[cfg(test)]
#[path = "offline_tests.rs"]
mod tests;
