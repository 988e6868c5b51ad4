//! All audit-log queries: append (written once), seal (positions as Merkle leaves), list, stream
//! for verification, checkpoints.

use diesel::prelude::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::chain::{self, ChainVerifier, VerifyReport};
use super::model::{
    Actor, AuditContext, AuditEvent, Checkpoint, NewAuditEvent, PendingEvent, StoredEvent,
};
use super::tree;
use crate::db::schema::{audit_checkpoints, audit_events, audit_pending, audit_tree_nodes};
use crate::db::types::Timestamp;
use crate::db::{Conn, lock_audit_chain};
use crate::error::AppError;
use crate::ids::AgencyId;
use crate::ids::UserId;

/// Writes one event in the caller's transaction, so the change and its record commit or roll
/// back together, into the table it stays in, with its content hash. No lock is taken: the
/// sealer gives committed events their positions in batches moments later (see [`seal_step`]),
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

/// Events given positions per sealer step.
pub const SEAL_BATCH: i64 = 1_000;

/// How long an id the sealer found missing is looked for again at each step, and how often
/// the sealer sweeps the whole table for committed events without a position.
const GAP_LIFETIME: Duration = Duration::from_secs(600);
/// At most this many missing ids are remembered; beyond, the next sweep finds them.
const MAX_GAPS: usize = 1_000;

/// What the sealer knows between steps, so that a step reads only new rows. On PostgreSQL an
/// event's id is drawn when it is inserted but becomes visible when its transaction commits, so
/// a later id can be visible before an earlier one: the earlier one is remembered as a gap and
/// looked for again, and a periodic sweep finds any committed event still without a position.
/// (On SQLite writers are serialised, so ids become visible in order.)
#[derive(Debug, Clone, Default)]
pub struct SealCursor {
    /// Every event with an id up to here has a position, or its id range is in `gaps`.
    scanned_to: i64,
    /// Ranges of ids (first, last) not visible when scanned, with when they were found.
    gaps: Vec<(i64, i64, Instant)>,
    last_sweep: Option<Instant>,
}

impl SealCursor {
    fn sweep_due(&self, conn: &Conn) -> bool {
        match self.last_sweep {
            None => true,
            Some(at) => {
                matches!(conn, crate::db::AnyConnection::Postgresql(_))
                    && at.elapsed() >= GAP_LIFETIME
            }
        }
    }

    fn remember_gap(&mut self, first: i64, last: i64) {
        if first <= last && self.gaps.len() < MAX_GAPS {
            self.gaps.push((first, last, Instant::now()));
        }
    }
}

/// An event row as the sealer sees it: id, stored hash, and its leaf if it already has one.
type Candidate = (i64, String, Option<i64>);

/// One write transaction of the sealer: takes the chain lock and gives up to one batch of
/// committed events without a position the next positions, in id order, by appending their
/// leaves to the Merkle tree. The caller keeps the updated `cursor` only if the transaction
/// commits. Returns whether more rows may be waiting.
pub fn seal_step(conn: &mut Conn, cursor: &mut SealCursor) -> Result<bool, AppError> {
    lock_audit_chain(conn)?;
    if cursor.sweep_due(conn) {
        sweep(conn, cursor)?;
    }
    cursor
        .gaps
        .retain(|(_, _, found)| found.elapsed() < GAP_LIFETIME);
    let scanned = candidates(conn, Scan::After(cursor.scanned_to))?;
    let mut to_seal: Vec<(i64, String)> = Vec::new();
    if !cursor.gaps.is_empty() {
        let ranges: Vec<(i64, i64)> = cursor.gaps.iter().map(|g| (g.0, g.1)).collect();
        for chunk in ranges.chunks(100) {
            let found = candidates(conn, Scan::Ranges(chunk))?;
            to_seal.extend(
                found
                    .into_iter()
                    .filter(|c| c.2.is_none())
                    .map(|c| (c.0, c.1)),
            );
        }
    }
    let mut next_expected = cursor.scanned_to + 1;
    for (id, _, _) in &scanned {
        cursor.remember_gap(next_expected, id - 1);
        next_expected = id + 1;
    }
    if let Some((last, _, _)) = scanned.last() {
        cursor.scanned_to = *last;
    }
    let more = scanned.len() as i64 == SEAL_BATCH;
    to_seal.extend(
        scanned
            .into_iter()
            .filter(|c| c.2.is_none())
            .map(|c| (c.0, c.1)),
    );
    to_seal.sort_by_key(|(id, _)| *id);
    to_seal.dedup_by_key(|(id, _)| *id);
    tree::append_leaves(conn, &to_seal)?;
    Ok(more)
}

enum Scan<'a> {
    After(i64),
    Ranges(&'a [(i64, i64)]),
}

fn candidates(conn: &mut Conn, scan: Scan<'_>) -> Result<Vec<Candidate>, AppError> {
    let mut query = audit_events::table
        .left_join(
            audit_tree_nodes::table.on(audit_tree_nodes::event_id.eq(audit_events::id.nullable())),
        )
        .select((
            audit_events::id,
            audit_events::hash,
            audit_tree_nodes::idx.nullable(),
        ))
        .order(audit_events::id.asc())
        .into_boxed();
    match scan {
        Scan::After(id) => query = query.filter(audit_events::id.gt(id)).limit(SEAL_BATCH),
        Scan::Ranges(ranges) => {
            query = query.filter(audit_tree_nodes::idx.is_null());
            let mut any = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
                as Box<dyn BoxableExpression<_, _, SqlType = diesel::sql_types::Bool>>;
            for (first, last) in ranges {
                any = Box::new(any.or(audit_events::id.between(*first, *last)));
            }
            query = query.filter(any);
        }
    }
    Ok(query.load(conn)?)
}

/// Finds committed events below the cursor without a position (left by another process, a
/// transaction open longer than a gap is remembered, or a crash) and remembers them as gaps.
/// At the first step the cursor starts after the newest positioned event.
fn sweep(conn: &mut Conn, cursor: &mut SealCursor) -> Result<(), AppError> {
    let newest_sealed: Option<i64> = audit_tree_nodes::table
        .select(diesel::dsl::max(audit_tree_nodes::event_id))
        .first(conn)?;
    cursor.scanned_to = cursor.scanned_to.max(newest_sealed.unwrap_or(0));
    let unsealed: Vec<i64> = audit_events::table
        .filter(audit_events::id.le(cursor.scanned_to))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            audit_tree_nodes::table
                .filter(audit_tree_nodes::event_id.eq(audit_events::id.nullable())),
        )))
        .select(audit_events::id)
        .order(audit_events::id.asc())
        .limit(MAX_GAPS as i64)
        .load(conn)?;
    for id in unsealed {
        cursor.remember_gap(id, id);
    }
    cursor.last_sweep = Some(Instant::now());
    Ok(())
}

/// Moves the events still pending from before events were written once into `audit_events`
/// (hashed over their content), in the caller's transaction, in the order they were written.
/// Returns how many; a no-op once `audit_pending` is empty.
pub fn adopt_pending(conn: &mut Conn) -> Result<usize, AppError> {
    let pending: Vec<PendingEvent> = audit_pending::table
        .order(audit_pending::id.asc())
        .load(conn)?;
    for event in &pending {
        let mut row = event.clone().into_stored();
        row.hash = chain::content_hash(&row).map_err(AppError::internal)?;
        diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(conn)?;
    }
    let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
    for chunk in ids.chunks(500) {
        diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(pending.len())
}

/// Records the migrations this start applied (they may restructure audited data) as an event,
/// together with the events it moved out of the old pending table, in one transaction.
pub fn record_migrations(conn: &mut Conn, applied: &[String]) -> Result<(), AppError> {
    if applied.is_empty() {
        return Ok(());
    }
    let adopted = adopt_pending(conn)?;
    let ctx = AuditContext::system("migrate", Timestamp::now());
    append(
        conn,
        &ctx,
        NewAuditEvent::new("schema.migrated", "schema", "database").payload(serde_json::json!({
            "applied": applied,
            "pending_events_moved": adopted,
        })),
    )
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
