//! HTTP surface of the audit chain: events, verification, signed checkpoints.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::chain::VerifyReport;
use super::checkpoint::PinnedCheckpoint;
use super::model::{AuditEvent, Checkpoint};
use super::store::{self, EventFilter};
use crate::app::AppState;
use crate::auth::policy::{self, Permission, Principal};
use crate::db::types::Timestamp;
use crate::error::{AppError, Problem};
use crate::http::pagination::{SeqPageQuery, split_page};
use crate::ids::AgencyId;
use crate::ids::UserId;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckpointPage {
    pub items: Vec<Checkpoint>,
    pub next_cursor: Option<String>,
    /// The key that signs this installation's checkpoints (hex Ed25519).
    pub public_key: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<UserId>,
    pub action: Option<String>,
    /// Only for national auditors and admins; agency auditors always see their own agency.
    pub agency_id: Option<AgencyId>,
    /// RFC 3339, inclusive.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(format = DateTime)]
    pub to: Option<String>,
}

fn parse_time(field: &str, value: &Option<String>) -> Result<Option<Timestamp>, AppError> {
    value
        .as_deref()
        .map(|v| {
            Timestamp::parse(v).ok_or_else(|| AppError::field(field, "must be an RFC 3339 time"))
        })
        .transpose()
}

/// Audit events in sequence order, filtered.
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(SeqPageQuery, EventQuery),
    responses((status = 200, body = AuditEventPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_events(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<SeqPageQuery>,
    query: web::Query<EventQuery>,
) -> Result<web::Json<AuditEventPage>, AppError> {
    let page = page.page();
    policy::authorize(&principal, Permission::AuditRead)?;
    super::sealer::seal_now(&state.db).await?;
    let limit = page.limit()?;
    let query = query.into_inner();
    let agency = match policy::list_scope(&principal) {
        Some(own) if query.agency_id.is_some_and(|a| a != own) => {
            return Ok(web::Json(AuditEventPage {
                items: vec![],
                next_cursor: None,
            }));
        }
        Some(own) => Some(own),
        None => query.agency_id,
    };
    let filter = EventFilter {
        from: parse_time("from", &query.from)?,
        to: parse_time("to", &query.to)?,
        object_type: query.object_type,
        object_id: query.object_id,
        actor_id: query.actor_id,
        action: query.action,
        agency_id: agency,
        after_seq: page.cursor::<i64>()?,
    };
    let rows = state
        .db
        .run(move |conn| store::list(conn, &filter, limit + 1))
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |e| e.seq);
    Ok(web::Json(AuditEventPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// A checkpoint the auditor kept: its `seq` ...
    pub checkpoint_seq: Option<i64>,
    /// ... `head_hash` ...
    pub checkpoint_head_hash: Option<String>,
    /// ... `signed_at` ...
    #[param(format = DateTime)]
    pub checkpoint_signed_at: Option<String>,
    /// ... and `signature`. It is checked with the server's own public key only (the `public_key` of
    /// `GET /api/v1/audit/checkpoints`); a checkpoint signed with any other key does not verify.
    pub checkpoint_signature: Option<String>,
    /// With a signed tree head: its `root_hash` ...
    pub checkpoint_root_hash: Option<String>,
    /// ... and `tree_signature`; the tree over the first `checkpoint_seq` events must have that root.
    pub checkpoint_tree_signature: Option<String>,
}

impl VerifyQuery {
    /// The checkpoint, pinned to the key this server signs with.
    fn checkpoint(
        self,
        trusted_key: ed25519_dalek::VerifyingKey,
    ) -> Result<Option<PinnedCheckpoint>, AppError> {
        if self.checkpoint_root_hash.is_some() != self.checkpoint_tree_signature.is_some() {
            return Err(AppError::field(
                "checkpoint_root_hash",
                "a signed tree head needs both checkpoint_root_hash and checkpoint_tree_signature",
            ));
        }
        let (root_hash, tree_signature) =
            (self.checkpoint_root_hash, self.checkpoint_tree_signature);
        match (
            self.checkpoint_seq,
            self.checkpoint_head_hash,
            self.checkpoint_signed_at,
            self.checkpoint_signature,
        ) {
            (None, None, None, None) if root_hash.is_none() => Ok(None),
            (Some(seq), Some(head_hash), Some(signed_at), Some(signature)) => {
                let checkpoint = Checkpoint {
                    seq,
                    head_hash,
                    signed_at: Timestamp::parse(&signed_at).ok_or_else(|| {
                        AppError::field("checkpoint_signed_at", "must be an RFC 3339 time")
                    })?,
                    public_key: hex::encode(trusted_key.to_bytes()),
                    signature,
                    root_hash,
                    tree_signature,
                };
                Ok(Some(PinnedCheckpoint::new(checkpoint, trusted_key)))
            }
            (None, None, None, None) if root_hash.is_some() => Err(AppError::field(
                "checkpoint_seq",
                "a signed tree head is checked as part of its checkpoint: give checkpoint_seq, checkpoint_head_hash, checkpoint_signed_at and checkpoint_signature too",
            )),
            _ => Err(AppError::field(
                "checkpoint_seq",
                "a checkpoint needs checkpoint_seq, checkpoint_head_hash, checkpoint_signed_at and checkpoint_signature",
            )),
        }
    }
}

/// Recompute the whole chain; with a checkpoint, also prove the chain still contains it.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", params(VerifyQuery),
    responses((status = 200, body = VerifyReport), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn verify_chain(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<VerifyQuery>,
) -> Result<web::Json<VerifyReport>, AppError> {
    policy::authorize(&principal, Permission::AuditRead)?;
    super::sealer::seal_now(&state.db).await?;
    let checkpoint = query
        .into_inner()
        .checkpoint(state.signer.verifying_key())?;
    let report = state
        .db
        .run(move |conn| store::verify(conn, checkpoint))
        .await?;
    Ok(web::Json(report))
}

/// Signed checkpoints, oldest first.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "audit", params(SeqPageQuery),
    responses((status = 200, body = CheckpointPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_checkpoints(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<SeqPageQuery>,
) -> Result<web::Json<CheckpointPage>, AppError> {
    let page = page.page();
    policy::authorize(&principal, Permission::AuditRead)?;
    super::sealer::seal_now(&state.db).await?;
    let limit = page.limit()?;
    let after = page.cursor::<i64>()?;
    let rows = state
        .db
        .run(move |conn| store::list_checkpoints(conn, after, limit + 1))
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |c| c.seq);
    Ok(web::Json(CheckpointPage {
        items,
        next_cursor,
        public_key: state.signer.public_key_hex(),
    }))
}

/// Sign the current head now (if not already signed) and return the newest checkpoint.
#[utoipa::path(post, path = "/api/v1/audit/checkpoints", tag = "audit",
    responses((status = 201, body = Checkpoint), (status = 200, body = Checkpoint, description = "The head was already signed"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_checkpoint(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::AuditCheckpoint)?;
    super::sealer::seal_now(&state.db).await?;
    let signer = state.signer.clone();
    let (created, latest) = state
        .db
        .write(move |conn| {
            let created = store::checkpoint_head(conn, &signer)?;
            let latest = match &created {
                Some(c) => Some(c.clone()),
                None => match store::head(conn)? {
                    Some((seq, _)) => store::find_checkpoint(conn, seq)?,
                    None => None,
                },
            };
            Ok((created.is_some(), latest))
        })
        .await?;
    let checkpoint = latest.ok_or_else(|| {
        AppError::conflict("audit_chain_empty", "there are no events to sign yet")
    })?;
    let status = if created {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(checkpoint))
}
