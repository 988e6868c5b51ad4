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
///
/// Every seal commits durably, the background sealer's too: readers and proofs read positions
/// without writing, and PostgreSQL flushes nothing for a transaction that wrote nothing, so a
/// position committed asynchronously could be seen, proved, and then lost in a crash and given
/// to another event on the next seal.
pub async fn seal_now(db: &Database) -> Result<usize, AppError> {
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
                let more = crate::db::write_transaction(conn, |conn| seal_step(conn, &mut next))?;
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
            if let Err(e) = seal_now(&db).await {
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

    /// Drops the ids found (ascending) from the gaps: they are sealed now, or were already.
    fn forget_found(&mut self, found: &[i64]) {
        if found.is_empty() {
            return;
        }
        let mut kept = Vec::with_capacity(self.gaps.len());
        for &(first, last, at) in &self.gaps {
            let mut start = first;
            let from = found.partition_point(|&id| id < first);
            for &id in found[from..].iter().take_while(|&&id| id <= last) {
                if id > start {
                    kept.push((start, id - 1, at));
                }
                start = id + 1;
            }
            if start <= last {
                kept.push((start, last, at));
            }
        }
        self.gaps = kept;
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
    let scanned = candidates_after(conn, cursor.scanned_to)?;
    let mut to_seal: Vec<(i64, String)> = Vec::new();
    if !cursor.gaps.is_empty() {
        let found = gap_events(conn, &cursor.gaps)?;
        let ids: Vec<i64> = found.iter().map(|c| c.0).collect();
        cursor.forget_found(&ids);
        to_seal.extend(
            found
                .into_iter()
                .filter(|c| c.2.is_none())
                .map(|c| (c.0, c.1)),
        );
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

/// The next batch of events after `after`, with their leaves if they have one.
fn candidates_after(conn: &mut Conn, after: i64) -> Result<Vec<Candidate>, AppError> {
    // The join repeats the lower bound on the leaves' side: without it PostgreSQL may merge-join
    // the whole leaf index from its start, so that every step costs as much as the log is long.
    Ok(audit_events::table
        .left_join(
            audit_tree_nodes::table.on(audit_tree_nodes::event_id
                .eq(audit_events::id.nullable())
                .and(audit_tree_nodes::event_id.gt(after))),
        )
        .filter(audit_events::id.gt(after))
        .select((
            audit_events::id,
            audit_events::hash,
            audit_tree_nodes::idx.nullable(),
        ))
        .order(audit_events::id.asc())
        .limit(SEAL_BATCH)
        .load(conn)?)
}

/// The events now visible in the remembered gaps, with their leaves if they have one: two
/// lookups by key per chunk of ranges, however long the log.
fn gap_events(conn: &mut Conn, gaps: &[(i64, i64, Instant)]) -> Result<Vec<Candidate>, AppError> {
    let mut found = Vec::new();
    for chunk in gaps.chunks(100) {
        let mut any = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
            as Box<
                dyn BoxableExpression<audit_events::table, _, SqlType = diesel::sql_types::Bool>,
            >;
        for (first, last, _) in chunk {
            any = Box::new(any.or(audit_events::id.between(*first, *last)));
        }
        let events: Vec<(i64, String)> = audit_events::table
            .filter(any)
            .select((audit_events::id, audit_events::hash))
            .load(conn)?;
        if events.is_empty() {
            continue;
        }
        let ids: Vec<i64> = events.iter().map(|e| e.0).collect();
        let leaves: std::collections::HashMap<i64, i64> = audit_tree_nodes::table
            .filter(audit_tree_nodes::event_id.eq_any(&ids))
            .select((
                audit_tree_nodes::event_id.assume_not_null(),
                audit_tree_nodes::idx,
            ))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect();
        found.extend(
            events
                .into_iter()
                .map(|(id, hash)| (id, hash, leaves.get(&id).copied())),
        );
    }
    found.sort_by_key(|c| c.0);
    Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(cursor: &SealCursor) -> Vec<(i64, i64)> {
        cursor.gaps.iter().map(|g| (g.0, g.1)).collect()
    }

    #[test]
    fn found_ids_leave_the_gaps_and_split_the_ranges_they_were_in() {
        let mut cursor = SealCursor::default();
        cursor.remember_gap(3, 3);
        cursor.remember_gap(10, 15);
        cursor.remember_gap(20, 21);
        cursor.forget_found(&[3, 10, 12, 15, 30]);
        assert_eq!(ranges(&cursor), vec![(11, 11), (13, 14), (20, 21)]);
        cursor.forget_found(&[11, 13, 14, 20, 21]);
        assert!(cursor.gaps.is_empty());
    }
}
