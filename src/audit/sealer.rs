//! Seals committed audit events into the Merkle tree (gives them their positions): continuously in the background, and on demand
//! before anything reads the chain (so a reader always sees every committed event).

//!
//! A step takes the chain lock and gives committed events without a position the next positions,
//! in id order, by appending their leaves to the Merkle tree (see [`seal_step`]).

use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::model::{AuditContext, NewAuditEvent, PendingEvent};
use super::{chain, store, tree};
use crate::db::schema::{audit_events, audit_pending, audit_tree_nodes};
use crate::db::types::Timestamp;
use crate::db::{Conn, Database, lock_audit_chain};
use crate::error::AppError;

/// Seals every committed pending event and grows the Merkle tree over it, batch by batch,
/// durably: callers go on to read or export the chain. Returns how many steps it took.
pub async fn seal_now(db: &Database) -> Result<usize, AppError> {
    seal_all(db, false).await
}

/// `relaxed`: the background sealer's own transactions need not wait for their WAL flush, since
/// after a crash the events they positioned simply have no leaf again and are sealed again;
/// nobody has seen their sequence numbers yet. Readers always seal durably first.
async fn seal_all(db: &Database, relaxed: bool) -> Result<usize, AppError> {
    let mut steps = 0;
    loop {
        let shared = db.seal_cursor.clone();
        let more = db
            .run(move |conn| {
                // One step at a time in this process; the cursor moves only when a step commits.
                let mut cursor = shared
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut next = cursor.clone();
                let more = crate::db::write_transaction(conn, |conn| {
                    if relaxed {
                        crate::db::relax_commit_durability(conn)?;
                    }
                    seal_step(conn, &mut next)
                })?;
                *cursor = next;
                Ok(more)
            })
            .await?;
        steps += 1;
        if !more {
            return Ok(steps);
        }
    }
}

/// How often the sealer sweeps for events written by other processes (the CLI, another server)
/// or left by a crash; events written by this process are sealed every `interval`.
const SWEEP: Duration = Duration::from_secs(1);

pub fn spawn(db: Database, interval: Duration) {
    actix_web::rt::spawn(async move {
        let mut last_sweep = Instant::now() - SWEEP;
        loop {
            actix_web::rt::time::sleep(interval).await;
            if !store::take_pending_flag() && last_sweep.elapsed() < SWEEP {
                continue;
            }
            last_sweep = Instant::now();
            if let Err(e) = seal_all(&db, true).await {
                tracing::warn!(error = %e, "could not seal pending audit events; will retry");
            }
        }
    });
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
    store::append(
        conn,
        &ctx,
        NewAuditEvent::new("schema.migrated", "schema", "database").payload(serde_json::json!({
            "applied": applied,
            "pending_events_moved": adopted,
        })),
    )
}
