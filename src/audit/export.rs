//! JSON Lines export of the chain and its offline verification (no database needed).

use std::io::{BufRead, Write};

use super::chain::{ChainVerifier, VerifyReport};
use super::checkpoint::PinnedCheckpoint;
use super::model::AuditEvent;
use super::store;
use crate::db::Conn;
use crate::error::AppError;

/// Writes every event, one JSON object per line, in sequence order. Returns the count.
pub fn export(conn: &mut Conn, out: &mut impl Write) -> Result<i64, AppError> {
    let mut count = 0i64;
    let mut write_error = None;
    store::for_each_event(conn, |event| {
        match serde_json::to_writer(&mut *out, event)
            .map_err(|e| e.to_string())
            .and_then(|_| out.write_all(b"\n").map_err(|e| e.to_string()))
        {
            Ok(()) => {
                count += 1;
                true
            }
            Err(e) => {
                write_error = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = write_error {
        return Err(AppError::internal(format!("cannot write export: {e}")));
    }
    out.flush()
        .map_err(|e| AppError::internal(format!("cannot write export: {e}")))?;
    Ok(count)
}

/// Verifies an export read line by line. A line that is not a valid event breaks the chain there.
/// A checkpoint is checked with its pinned key, never with the key the checkpoint file names.
pub fn verify_export(input: impl BufRead, checkpoint: Option<PinnedCheckpoint>) -> VerifyReport {
    let mut verifier = ChainVerifier::new(checkpoint);
    for (index, line) in input.lines().enumerate() {
        let parsed = line
            .map_err(|e| e.to_string())
            .and_then(|l| serde_json::from_str::<AuditEvent>(&l).map_err(|e| e.to_string()));
        match parsed {
            Ok(event) => verifier.push(&event),
            Err(e) => return unreadable_line(verifier, index, e),
        }
        if verifier.is_broken() {
            break;
        }
    }
    verifier.finish()
}

fn unreadable_line(verifier: ChainVerifier, index: usize, error: String) -> VerifyReport {
    let mut report = verifier.finish();
    if report.ok {
        report.ok = false;
        report.broken_seq = Some(report.events_checked + 1);
        report.reason = Some(format!(
            "line {} is not a valid audit event: {error}",
            index + 1
        ));
    }
    report
}
