//! The hash chain as pure functions: how an event's hash is computed and how a sequence of events
//! (from the database or from an export) is verified, optionally against a signed checkpoint and
//! the key the verifier trusts.

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::checkpoint::{self, PinnedCheckpoint};
use super::merkle::Frontier;
use super::model::{AuditEvent, StoredEvent};
use super::tree::leaf_of;
use crate::db::types::Timestamp;
use crate::ids::{AgencyId, UserId};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an event as shown: SHA-256 over the RFC 8785 encoding of its content (every
/// field but `seq`, `prev_hash` and `hash`). An event chained before events were written once
/// (it has a `prev_hash`) was hashed with `seq` and `prev_hash` in the same object.
pub fn event_hash(event: &AuditEvent) -> Result<String, String> {
    hash_content(
        Content {
            occurred_at: &event.occurred_at,
            actor_type: &event.actor_type,
            actor_id: event.actor_id,
            actor_role: event.actor_role.as_deref(),
            actor_agency: event.actor_agency,
            actor_label: event.actor_label.as_deref(),
            action: &event.action,
            object_type: &event.object_type,
            object_id: event.object_id.as_deref(),
            agency_id: event.agency_id,
            request_id: event.request_id.as_deref(),
            payload: &event.payload,
            justification: event.justification.as_deref(),
        },
        event.prev_hash.as_deref().map(|prev| (event.seq, prev)),
    )
}

/// The hash the writer stores with a new event (it has no position and no chain yet).
pub fn content_hash(row: &StoredEvent) -> Result<String, String> {
    hash_content(
        Content {
            occurred_at: &row.occurred_at,
            actor_type: &row.actor_type,
            actor_id: row.actor_id,
            actor_role: row.actor_role.as_deref(),
            actor_agency: row.actor_agency,
            actor_label: row.actor_label.as_deref(),
            action: &row.action,
            object_type: &row.object_type,
            object_id: row.object_id.as_deref(),
            agency_id: row.agency_id,
            request_id: row.request_id.as_deref(),
            payload: &row.payload,
            justification: row.justification.as_deref(),
        },
        None,
    )
}

struct Content<'a> {
    occurred_at: &'a Timestamp,
    actor_type: &'a str,
    actor_id: Option<UserId>,
    actor_role: Option<&'a str>,
    actor_agency: Option<AgencyId>,
    actor_label: Option<&'a str>,
    action: &'a str,
    object_type: &'a str,
    object_id: Option<&'a str>,
    agency_id: Option<AgencyId>,
    request_id: Option<&'a str>,
    payload: &'a str,
    justification: Option<&'a str>,
}

/// `chain`: the (seq, prev_hash) a legacy chained event was hashed with.
fn hash_content(event: Content<'_>, chain: Option<(i64, &str)>) -> Result<String, String> {
    let payload: serde_json::Value =
        serde_json::from_str(event.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let mut content = json!({
        "occurred_at": event.occurred_at.to_rfc3339(),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "actor_agency": event.actor_agency,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "agency_id": event.agency_id,
        "request_id": event.request_id,
        "payload": payload,
        "justification": event.justification,
    });
    if let Some((seq, prev_hash)) = chain {
        content["seq"] = json!(seq);
        content["prev_hash"] = json!(prev_hash);
    }
    let canonical = serde_jcs::to_vec(&content).map_err(|e| format!("cannot canonicalise: {e}"))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// Canonical text of a payload, as stored in `audit_events.payload`.
pub fn canonical_payload(payload: &serde_json::Value) -> Result<String, String> {
    serde_jcs::to_string(payload).map_err(|e| format!("cannot canonicalise payload: {e}"))
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    pub events_checked: i64,
    /// Hash of the last event that verified.
    pub head_hash: String,
    /// The first sequence number at which the chain is broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether a checkpoint was given and the chain still contains it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_verified: Option<bool>,
}

/// Walks events in order, one at a time, so that a chain of any length verifies in constant memory.
pub struct ChainVerifier {
    expected_seq: i64,
    /// The Merkle tree over the events so far, to check a signed tree head against.
    tree: Frontier,
    /// Hash of the last event checked (the head).
    prev_hash: String,
    /// Set at the first event without `prev_hash`: the linear chain ended there, and no chained
    /// event may follow.
    chain_ended: bool,
    checkpoint: Option<PinnedCheckpoint>,
    checkpoint_seen: bool,
    /// Whether the checkpoint's signatures verify: a root is compared only if signed, so that a
    /// forged head is reported for its signature.
    checkpoint_signed: bool,
    failure: Option<(i64, String)>,
}

impl ChainVerifier {
    /// With a checkpoint, its signature is checked with the pinned trusted key only.
    pub fn new(checkpoint: Option<PinnedCheckpoint>) -> Self {
        Self {
            expected_seq: 1,
            tree: Frontier::default(),
            checkpoint_signed: checkpoint.as_ref().is_some_and(|pinned| {
                checkpoint::verify(&pinned.checkpoint, &pinned.trusted_key).is_ok()
            }),
            prev_hash: GENESIS_HASH.to_string(),
            chain_ended: false,
            checkpoint,
            checkpoint_seen: false,
            failure: None,
        }
    }

    pub fn is_broken(&self) -> bool {
        self.failure.is_some()
    }

    /// Checks the next event; after the first failure further events are ignored.
    pub fn push(&mut self, event: &AuditEvent) {
        if self.failure.is_some() {
            return;
        }
        if let Err(reason) = self.check(event) {
            self.failure = Some((self.expected_seq, reason));
            return;
        }
        if let Some(PinnedCheckpoint { checkpoint: cp, .. }) = &self.checkpoint
            && cp.seq == event.seq
        {
            if cp.head_hash != event.hash {
                self.failure = Some((
                    event.seq,
                    "the event differs from the one the checkpoint signed".into(),
                ));
                return;
            }
            self.checkpoint_seen = true;
        }
        self.tree.push(leaf_of(&event.hash));
        if let Some(PinnedCheckpoint { checkpoint: cp, .. }) = &self.checkpoint
            && cp.seq == event.seq
            && self.checkpoint_signed
            && let Some(signed_root) = &cp.root_hash
            && !signed_root.eq_ignore_ascii_case(&hex::encode(self.tree.root()))
        {
            self.failure = Some((
                event.seq,
                "the Merkle tree over the events differs from the tree head the checkpoint signed"
                    .into(),
            ));
            return;
        }
        self.prev_hash = event.hash.clone();
        self.chain_ended |= event.prev_hash.is_none();
        self.expected_seq += 1;
    }

    fn check(&self, event: &AuditEvent) -> Result<(), String> {
        if event.seq > self.expected_seq {
            return Err(format!(
                "event {} is missing (next found is {})",
                self.expected_seq, event.seq
            ));
        }
        if event.seq < self.expected_seq {
            return Err(format!("event {} appears out of order or twice", event.seq));
        }
        match &event.prev_hash {
            Some(_) if self.chain_ended => {
                return Err("a chained event (with prev_hash) after the chain ended (reordered or inserted)".into());
            }
            Some(prev) if *prev != self.prev_hash => {
                return Err("prev_hash does not match the previous event's hash (reordered, removed or altered)".into());
            }
            _ => {}
        }
        let recomputed = event_hash(event)?;
        if recomputed != event.hash {
            return Err("the event's content does not match its hash (edited)".into());
        }
        Ok(())
    }

    pub fn finish(self) -> VerifyReport {
        let events_checked = self.expected_seq - 1;
        let mut failure = self.failure;
        let checkpoint_verified = self.checkpoint.as_ref().map(|pinned| {
            let cp = &pinned.checkpoint;
            if failure.is_some() {
                return false;
            }
            if let Err(reason) = checkpoint::verify(cp, &pinned.trusted_key) {
                failure = Some((cp.seq, reason));
                return false;
            }
            if !self.checkpoint_seen {
                failure = Some((
                    events_checked + 1,
                    format!(
                        "the chain ends at event {events_checked} but the checkpoint covers {}: newest events were removed",
                        cp.seq
                    ),
                ));
                return false;
            }
            true
        });
        VerifyReport {
            ok: failure.is_none(),
            events_checked,
            head_hash: self.prev_hash,
            broken_seq: failure.as_ref().map(|f| f.0),
            reason: failure.map(|f| f.1),
            checkpoint_verified,
        }
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
