//! Audit events as stored, as appended, and as shown; the actor and context of a change.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::db::schema::{audit_checkpoints, audit_events};
use crate::db::types::Timestamp;
use crate::ids::AgencyId;
use crate::ids::UserId;
use crate::roles::Role;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User {
        id: UserId,
        role: Role,
        agency: Option<AgencyId>,
    },
    /// An operator at the command line (`asn-merit create-admin`, imports, ...).
    Cli { operator: String },
    /// A job of the server itself.
    System { job: String },
    /// Somebody not (yet) authenticated, e.g. a failed login.
    Anonymous,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::Cli { .. } => "cli",
            Actor::System { .. } => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    /// The user acting, `None` for an operator, a system job or no one.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// The who, when and from-where of one change; every store function that changes data takes
/// one, and takes "now" from `at` (read once from the server's clock).
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: Actor,
    pub request_id: Option<String>,
    pub at: Timestamp,
}

impl AuditContext {
    /// An operator at the command line, acting now (the CLI runs on the system clock).
    pub fn cli(operator: impl Into<String>) -> Self {
        Self {
            actor: Actor::Cli {
                operator: operator.into(),
            },
            request_id: None,
            at: Timestamp::now(),
        }
    }

    /// The same actor and request, acting at another time (a long job's later steps).
    pub fn at_time(&self, at: Timestamp) -> Self {
        Self { at, ..self.clone() }
    }

    /// A job of the server itself, acting at `at`.
    pub fn system(job: impl Into<String>, at: Timestamp) -> Self {
        Self {
            actor: Actor::System { job: job.into() },
            request_id: None,
            at,
        }
    }
}

/// What a change appends to the chain (the chain fields are filled in by the store).
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Option<String>,
    pub agency_id: Option<AgencyId>,
    /// The fields that changed. Never secrets; personal values only as [`PersonalDigester`] digests.
    pub payload: serde_json::Value,
    pub justification: Option<String>,
}

impl NewAuditEvent {
    pub fn new(action: &'static str, object_type: &'static str, object_id: impl ToString) -> Self {
        Self {
            action,
            object_type,
            object_id: Some(object_id.to_string()),
            agency_id: None,
            payload: serde_json::Value::Object(Default::default()),
            justification: None,
        }
    }
    pub fn agency(mut self, agency: Option<AgencyId>) -> Self {
        self.agency_id = agency;
        self
    }
    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// One event as shown and exported (one JSON line per event): its position `seq` in the log
/// (leaf `seq - 1` of the Merkle tree) and its stored content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    /// `user`, `cli`, `system` or `anonymous`.
    pub actor_type: String,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub actor_agency: Option<AgencyId>,
    /// CLI operator or system job name.
    pub actor_label: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub request_id: Option<String>,
    /// Canonical (RFC 8785) JSON text of the changed fields.
    pub payload: String,
    pub justification: Option<String>,
    /// Only on events chained before events were written once: the previous event's hash (the
    /// linear chain, which those events' hashes include with `seq`). Null on later events.
    pub prev_hash: Option<String>,
    /// SHA-256 of the event's canonical content; see [`crate::audit::chain::event_hash`].
    pub hash: String,
}

/// One row of `audit_events`: inserted once, in the transaction of the change it records, and
/// never updated. Its position comes later, from the sealer, as the leaf that names it.
#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = audit_events)]
// Absent values are bound as NULL rather than written as DEFAULT, so that the INSERT has one
// shape and is prepared once per connection instead of parsed and planned for every event.
#[diesel(treat_none_as_default_value = false)]
pub struct StoredEvent {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub occurred_at: Timestamp,
    pub actor_type: String,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub actor_agency: Option<AgencyId>,
    pub actor_label: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub request_id: Option<String>,
    pub payload: String,
    pub justification: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl StoredEvent {
    /// The event as shown, at its position.
    pub fn at(self, seq: i64) -> AuditEvent {
        AuditEvent {
            seq,
            occurred_at: self.occurred_at,
            actor_type: self.actor_type,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            actor_agency: self.actor_agency,
            actor_label: self.actor_label,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            agency_id: self.agency_id,
            request_id: self.request_id,
            payload: self.payload,
            justification: self.justification,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// An event written before events were written once and still waiting in `audit_pending` at
/// the upgrade; the server moves it into `audit_events` once, at start-up.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct PendingEvent {
    pub id: i64,
    pub occurred_at: Timestamp,
    pub actor_type: String,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub actor_agency: Option<AgencyId>,
    pub actor_label: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub request_id: Option<String>,
    pub payload: String,
    pub justification: Option<String>,
}

impl PendingEvent {
    /// The row it becomes (hashed by the caller).
    pub fn into_stored(self) -> StoredEvent {
        StoredEvent {
            id: 0,
            occurred_at: self.occurred_at,
            actor_type: self.actor_type,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            actor_agency: self.actor_agency,
            actor_label: self.actor_label,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            agency_id: self.agency_id,
            request_id: self.request_id,
            payload: self.payload,
            justification: self.justification,
            prev_hash: None,
            hash: String::new(),
        }
    }
}

/// A signed statement "the chain had `seq` events and its head hash was `head_hash`"; since the
/// Merkle tree, also a signed tree head: "the tree over those `seq` events has root `root_hash`".
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, diesel::Queryable, diesel::Insertable,
)]
#[diesel(table_name = audit_checkpoints)]
pub struct Checkpoint {
    pub seq: i64,
    pub head_hash: String,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: Timestamp,
    /// Hex Ed25519 public key that made the signature.
    pub public_key: String,
    /// Hex Ed25519 signature over [`crate::audit::checkpoint::signed_message`].
    pub signature: String,
    /// The head of the Merkle tree over events 1..=`seq` (hex); null on checkpoints made before
    /// the tree existed.
    pub root_hash: Option<String>,
    /// Hex Ed25519 signature over [`crate::audit::checkpoint::tree_head_message`], by the same
    /// key and at the same `signed_at`; null exactly when `root_hash` is.
    pub tree_signature: Option<String>,
}

/// Keyed digests of personal values, so the chain proves what changed without revealing it.
#[derive(Clone)]
pub struct PersonalDigester {
    key: SecretSlice<u8>,
}

impl PersonalDigester {
    pub fn new(key: SecretSlice<u8>) -> Self {
        Self { key }
    }

    /// `hmac-sha256:<hex>` of the value under the installation's personal-data key.
    pub fn digest(&self, value: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose_secret()) {
            Ok(mac) => mac,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return String::from("hmac-sha256:unavailable"),
        };
        mac.update(value.as_bytes());
        format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
    }
}
