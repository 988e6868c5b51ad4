//! The audit-log queries: append (written once), read the sealed events in position order, list,
//! stream for verification, checkpoints. Sealing itself is in [`super::sealer`].

use diesel::prelude::*;

use std::sync::atomic::{AtomicBool, Ordering};

use super::chain::{self, ChainVerifier, VerifyReport};
use super::model::{Actor, AuditContext, AuditEvent, Checkpoint, NewAuditEvent, StoredEvent};
use crate::db::schema::{audit_checkpoints, audit_events, audit_tree_nodes};
use crate::db::types::Timestamp;
use crate::db::{Conn, lock_audit_chain};
use crate::error::AppError;
use crate::ids::AgencyId;
use crate::ids::UserId;

/// Writes one event in the caller's transaction, so the change and its record commit or roll
/// back together, into the table it stays in, with its content hash. No lock is taken: the
/// sealer gives committed events their positions in batches moments later (see [`super::sealer::seal_step`]),
/// so parallel writers never queue on the chain lock.
pub fn append(conn: &mut Conn, ctx: &AuditContext, event: NewAuditEvent) -> Result<(), AppError> {
    let payload = chain::canonical_payload(&event.payload).map_err(AppError::internal)?;
    let (actor_id, actor_role, actor_agency, actor_label) = match &ctx.actor {
        Actor::User { id, role, agency } => {
            (Some(*id), Some(role.as_str().to_string()), *agency, None)
        }
        Actor::Cli { operator } => (None, None, None, Some(operator.clone())),
        Actor::System { job } => (None, None, None, Some(job.clone())),
        Actor::Anonymous => (None, None, None, None),
    };
    let mut row = StoredEvent {
        id: 0,
        occurred_at: ctx.at,
        actor_type: ctx.actor.kind().to_string(),
        actor_id,
        actor_role,
        actor_agency,
        actor_label,
        action: event.action.to_string(),
        object_type: event.object_type.to_string(),
        object_id: event.object_id,
        agency_id: event.agency_id,
        request_id: ctx.request_id.clone(),
        payload,
        justification: event.justification,
        prev_hash: None,
        hash: String::new(),
    };
    row.hash = chain::content_hash(&row).map_err(AppError::internal)?;
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)?;
    PENDING_WRITTEN.store(true, Ordering::Release);
    Ok(())
}

/// Set when this process wrote an event, so the sealer knows there is work.
static PENDING_WRITTEN: AtomicBool = AtomicBool::new(false);

/// Whether this process wrote events since the last call (resets the flag).
pub fn take_pending_flag() -> bool {
    PENDING_WRITTEN.swap(false, Ordering::AcqRel)
}

/// The sealed events (inner join of leaves and their events) in position order.
fn sealed_query<'a>() -> SealedQuery<'a> {
    audit_tree_nodes::table
        .inner_join(
            audit_events::table.on(audit_tree_nodes::event_id.eq(audit_events::id.nullable())),
        )
        .filter(audit_tree_nodes::level.eq(0))
        .select((audit_tree_nodes::idx, audit_events::all_columns))
        .into_boxed()
}

type SealedQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<
        diesel::dsl::Filter<
            diesel::dsl::InnerJoinOn<
                audit_tree_nodes::table,
                audit_events::table,
                diesel::dsl::Eq<
                    audit_tree_nodes::event_id,
                    diesel::dsl::Nullable<audit_events::id>,
                >,
            >,
            diesel::dsl::Eq<audit_tree_nodes::level, i32>,
        >,
        (
            audit_tree_nodes::idx,
            <audit_events::table as Table>::AllColumns,
        ),
    >,
    crate::db::MultiBackend,
>;

fn at_positions(rows: Vec<(i64, StoredEvent)>) -> Vec<AuditEvent> {
    rows.into_iter()
        .map(|(idx, event)| event.at(idx + 1))
        .collect()
}

/// Up to `limit` sealed events after position `after_seq`, in order.
pub fn sealed_after(
    conn: &mut Conn,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    let rows = sealed_query()
        .filter(audit_tree_nodes::idx.ge(after_seq))
        .order(audit_tree_nodes::idx.asc())
        .limit(limit)
        .load(conn)?;
    Ok(at_positions(rows))
}

/// The sealed event at position `seq`.
pub fn sealed_at(conn: &mut Conn, seq: i64) -> Result<Option<AuditEvent>, AppError> {
    let row = sealed_query()
        .filter(audit_tree_nodes::idx.eq(seq - 1))
        .first(conn)
        .optional()?;
    Ok(row.map(|(idx, event): (i64, StoredEvent)| event.at(idx + 1)))
}

/// The position of the first sealed event about an object.
pub fn first_seq_of(
    conn: &mut Conn,
    object_type: &str,
    object_id: &str,
) -> Result<Option<i64>, AppError> {
    let row = sealed_query()
        .filter(audit_events::object_type.eq(object_type.to_string()))
        .filter(audit_events::object_id.eq(object_id.to_string()))
        .order(audit_tree_nodes::idx.asc())
        .first(conn)
        .optional()?;
    Ok(row.map(|(idx, _): (i64, StoredEvent)| idx + 1))
}

/// (seq, hash) of the newest sealed event.
pub fn head(conn: &mut Conn) -> Result<Option<(i64, String)>, AppError> {
    let row = sealed_query()
        .order(audit_tree_nodes::idx.desc())
        .first(conn)
        .optional()?;
    Ok(row.map(|(idx, event): (i64, StoredEvent)| (idx + 1, event.hash)))
}

#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<UserId>,
    pub action: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only events after this sequence number (the cursor).
    pub after_seq: Option<i64>,
}

pub fn list(
    conn: &mut Conn,
    filter: &EventFilter,
    limit: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    let mut query = sealed_query();
    if let Some(v) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(v.clone()));
    }
    if let Some(v) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(v.clone()));
    }
    if let Some(v) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(v));
    }
    if let Some(v) = &filter.action {
        query = query.filter(audit_events::action.eq(v.clone()));
    }
    if let Some(v) = filter.agency_id {
        query = query.filter(audit_events::agency_id.eq(v));
    }
    if let Some(v) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(v));
    }
    if let Some(v) = filter.after_seq {
        query = query.filter(audit_tree_nodes::idx.ge(v));
    }
    let rows = query
        .order(audit_tree_nodes::idx.asc())
        .limit(limit)
        .load(conn)?;
    Ok(at_positions(rows))
}

const VERIFY_BATCH: i64 = 2_000;

/// Calls `visit` with every event in order, a batch at a time (constant memory).
pub fn for_each_event(
    conn: &mut Conn,
    mut visit: impl FnMut(&AuditEvent) -> bool,
) -> Result<(), AppError> {
    let mut after = 0i64;
    loop {
        let batch = sealed_after(conn, after, VERIFY_BATCH)?;
        for event in &batch {
            if !visit(event) {
                return Ok(());
            }
        }
        match batch.last() {
            Some(last) if batch.len() as i64 == VERIFY_BATCH => after = last.seq,
            _ => return Ok(()),
        }
    }
}

/// Verifies the whole stored chain, and the checkpoint (with its pinned trusted key) if one is given.
pub fn verify(
    conn: &mut Conn,
    checkpoint: Option<super::checkpoint::PinnedCheckpoint>,
) -> Result<VerifyReport, AppError> {
    let mut verifier = ChainVerifier::new(checkpoint);
    for_each_event(conn, |event| {
        verifier.push(event);
        !verifier.is_broken()
    })?;
    let mut report = verifier.finish();
    if report.ok
        && let Some(damage) = super::tree::verify(conn)?
    {
        report.ok = false;
        report.broken_seq = Some(damage.first_seq);
        report.reason = Some(damage.reason);
    }
    Ok(report)
}

pub fn insert_checkpoint(conn: &mut Conn, checkpoint: &Checkpoint) -> Result<(), AppError> {
    diesel::insert_into(audit_checkpoints::table)
        .values(checkpoint)
        .execute(conn)?;
    Ok(())
}

pub fn find_checkpoint(conn: &mut Conn, seq: i64) -> Result<Option<Checkpoint>, AppError> {
    Ok(audit_checkpoints::table.find(seq).first(conn).optional()?)
}

pub fn list_checkpoints(
    conn: &mut Conn,
    after_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<Checkpoint>, AppError> {
    let mut query = audit_checkpoints::table.into_boxed();
    if let Some(after) = after_seq {
        query = query.filter(audit_checkpoints::seq.gt(after));
    }
    Ok(query
        .order(audit_checkpoints::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// Signs the current head unless it is already checkpointed. Returns the new checkpoint, if any.
pub fn checkpoint_head(
    conn: &mut Conn,
    signer: &super::checkpoint::CheckpointSigner,
) -> Result<Option<Checkpoint>, AppError> {
    lock_audit_chain(conn)?;
    let Some((seq, hash)) = head(conn)? else {
        return Ok(None);
    };
    if find_checkpoint(conn, seq)?.is_some() {
        return Ok(None);
    }
    let tree_size = super::tree::size(conn)?;
    if tree_size != seq as u64 {
        return Err(AppError::internal(format!(
            "the Merkle tree covers {tree_size} events but the chain has {seq}"
        )));
    }
    let root = super::tree::root_at(conn, tree_size)?;
    let checkpoint = signer.sign(seq, &hash, &hex::encode(root));
    insert_checkpoint(conn, &checkpoint)?;
    Ok(Some(checkpoint))
}
