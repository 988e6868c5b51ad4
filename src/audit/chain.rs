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
mod tests {
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
}
