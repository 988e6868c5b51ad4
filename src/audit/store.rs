//! All audit-chain queries: append under the chain lock, list, stream for verification, checkpoints.

use diesel::prelude::*;

use super::chain::{self, ChainVerifier, GENESIS_HASH, VerifyReport};
use std::sync::atomic::{AtomicBool, Ordering};

use super::model::{Actor, AuditContext, AuditEvent, Checkpoint, NewAuditEvent, PendingEvent};
use crate::db::schema::{audit_checkpoints, audit_events, audit_pending};
use crate::db::types::Timestamp;
use crate::db::{Conn, lock_audit_chain};
use crate::error::AppError;
use crate::ids::AgencyId;
use crate::ids::UserId;

/// Writes one event in the caller's transaction, so the change and its record commit or roll
/// back together. No lock is taken here: the sealer chains pending events in batches under the
/// chain lock moments later (see [`seal_pending`]), so parallel writers never queue on it.
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
    let row = PendingEvent {
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
    };
    diesel::insert_into(audit_pending::table)
        .values(&row)
        .execute(conn)?;
    PENDING_WRITTEN.store(true, Ordering::Release);
    Ok(())
}

/// Set when this process wrote a pending event, so the sealer knows there is work.
static PENDING_WRITTEN: AtomicBool = AtomicBool::new(false);

/// Whether this process wrote pending events since the last call (resets the flag).
pub fn take_pending_flag() -> bool {
    PENDING_WRITTEN.swap(false, Ordering::AcqRel)
}

pub const SEAL_BATCH: i64 = 1_000;
/// Events added to the Merkle tree per step: more than are sealed, so that a tree behind the
/// chain (events sealed before the tree existed) catches up while sealing goes on.
pub const TREE_BATCH: i64 = 2 * SEAL_BATCH;

/// One write transaction of the sealer: seals a batch of pending events and grows the Merkle
/// tree over them (and over any older events it lacks). Returns whether work remains.
pub fn seal_step(conn: &mut Conn) -> Result<bool, AppError> {
    let sealed = seal_pending(conn)?;
    let grown = super::tree::extend(conn, TREE_BATCH)?;
    Ok(sealed == SEAL_BATCH as usize || grown == TREE_BATCH as usize)
}

/// Chains up to one batch of committed pending events in the caller's write transaction: takes
/// the chain lock, numbers them after the head (gap-free), hashes, inserts them into the chain
/// and removes exactly those from the pending table. Returns how many it sealed.
pub fn seal_pending(conn: &mut Conn) -> Result<usize, AppError> {
    lock_audit_chain(conn)?;
    let pending: Vec<PendingEvent> = audit_pending::table
        .order(audit_pending::id.asc())
        .limit(SEAL_BATCH)
        .load(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let (mut seq, mut prev_hash) = match head(conn)? {
        Some((seq, hash)) => (seq, hash),
        None => (0, GENESIS_HASH.to_string()),
    };
    let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
    let mut sealed = Vec::with_capacity(pending.len());
    for event in pending {
        seq += 1;
        let event = chain::seal(event, seq, prev_hash).map_err(AppError::internal)?;
        prev_hash = event.hash.clone();
        sealed.push(event);
    }
    for chunk in sealed.chunks(100) {
        crate::on_backend!(conn, |c| diesel::insert_into(audit_events::table)
            .values(chunk)
            .execute(c))?;
    }
    let removed = diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(&ids)))
        .execute(conn)?;
    if removed != ids.len() {
        // Another sealer or a direct edit interfered: roll the whole batch back.
        return Err(AppError::internal(format!(
            "sealed {} pending events but removed {removed}",
            ids.len()
        )));
    }
    Ok(sealed.len())
}

/// (seq, hash) of the newest event.
pub fn head(conn: &mut Conn) -> Result<Option<(i64, String)>, AppError> {
    Ok(audit_events::table
        .select((audit_events::seq, audit_events::hash))
        .order(audit_events::seq.desc())
        .first::<(i64, String)>(conn)
        .optional()?)
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
    let mut query = audit_events::table.into_boxed();
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
        query = query.filter(audit_events::seq.gt(v));
    }
    Ok(query
        .order(audit_events::seq.asc())
        .limit(limit)
        .load(conn)?)
}

const VERIFY_BATCH: i64 = 2_000;

/// Calls `visit` with every event in order, a batch at a time (constant memory).
pub fn for_each_event(
    conn: &mut Conn,
    mut visit: impl FnMut(&AuditEvent) -> bool,
) -> Result<(), AppError> {
    let mut after = 0i64;
    loop {
        let batch: Vec<AuditEvent> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(VERIFY_BATCH)
            .load(conn)?;
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
    // The tree grows in the sealer's transactions; under the chain lock it can lag only behind
    // events sealed before the tree existed, and catches up here.
    while super::tree::extend(conn, TREE_BATCH)? > 0 {}
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
