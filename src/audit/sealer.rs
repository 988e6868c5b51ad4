//! Seals committed audit events into the Merkle tree (gives them their positions): continuously in the background, and on demand
//! before anything reads the chain (so a reader always sees every committed event).

use std::time::{Duration, Instant};

use super::store;
use crate::db::Database;
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
                    store::seal_step(conn, &mut next)
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
