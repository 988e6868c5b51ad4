//! Bulk import jobs as stored and shown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agencies::model::AgencyId;
use crate::applications::model::ImportId;
use crate::audit::model::{Actor, AuditContext};
use crate::auth::model::UserId;
use crate::bulk::model::{ImportFormat, ImportMode};
use crate::db::schema::{application_imports, import_errors};
use crate::db::types::Timestamp;
use crate::openings::rounds::model::RoundId;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Queued,
    Running,
    /// Every good row is recorded (in `valid_rows` mode, bad rows are in the report).
    Completed,
    /// `all_or_nothing` with bad rows, or an unreadable file: nothing is recorded.
    Rejected,
    /// The server stopped mid-import: `all_or_nothing` recorded nothing; `valid_rows` recorded
    /// exactly `committed_batches` batches (`rows_accepted` rows).
    Interrupted,
    /// An internal error stopped the job; as for `interrupted`.
    Failed,
}

crate::text_enum!(ImportStatus {
    Queued => "queued", Running => "running", Completed => "completed", Rejected => "rejected",
    Interrupted => "interrupted", Failed => "failed",
});

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = application_imports)]
pub struct ApplicationImport {
    pub id: ImportId,
    pub round_id: RoundId,
    pub agency_id: Option<AgencyId>,
    pub importer_id: Option<UserId>,
    pub importer_label: Option<String>,
    pub mode: ImportMode,
    pub format: ImportFormat,
    pub file_sha256: String,
    pub file_bytes: i64,
    pub status: ImportStatus,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_unchanged: i64,
    pub rows_rejected: i64,
    pub committed_batches: i32,
    pub detail: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// What an import is started with; the rest of its row starts empty.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub id: ImportId,
    pub round_id: RoundId,
    /// `None`: a whole round (the admin, or an operator at the command line).
    pub agency_id: Option<AgencyId>,
    pub mode: ImportMode,
    pub format: ImportFormat,
    pub file_sha256: String,
    pub file_bytes: u64,
}

impl ApplicationImport {
    /// A queued import, by whoever the context names, at its time.
    pub fn queued(new: NewImport, ctx: &AuditContext) -> Self {
        let (importer_id, importer_label) = match &ctx.actor {
            Actor::User { id, .. } => (Some(*id), None),
            Actor::Cli { operator } => (None, Some(operator.clone())),
            Actor::System { job } => (None, Some(job.clone())),
            Actor::Anonymous => (None, None),
        };
        ApplicationImport {
            id: new.id,
            round_id: new.round_id,
            agency_id: new.agency_id,
            importer_id,
            importer_label,
            mode: new.mode,
            format: new.format,
            file_sha256: new.file_sha256,
            file_bytes: new.file_bytes as i64,
            status: ImportStatus::Queued,
            rows_read: 0,
            rows_accepted: 0,
            rows_unchanged: 0,
            rows_rejected: 0,
            committed_batches: 0,
            detail: None,
            created_at: ctx.at,
            started_at: None,
            finished_at: None,
        }
    }
}

crate::guarded!(ApplicationImport, ApplicationImport, |i| i.agency_id);

#[derive(Debug, Clone, diesel::Queryable, diesel::Insertable)]
#[diesel(table_name = import_errors, treat_none_as_default_value = false)]
pub struct ImportErrorRow {
    pub import_id: ImportId,
    pub row_number: i64,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Where a page of the error report ends: the last error's row and field, the report's order
/// and key (a row reports each field once). Sent as opaque base64url text, so a field named
/// by a JSON line needs no escaping in the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCursor {
    pub row: i64,
    pub field: String,
}

impl ErrorCursor {
    pub fn after(error: &ImportErrorRow) -> Self {
        Self {
            row: error.row_number,
            field: error.field.clone(),
        }
    }
}

impl std::fmt::Display for ErrorCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        use base64::Engine;
        let text = format!("{}:{}", self.row, self.field);
        f.write_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text))
    }
}

impl std::str::FromStr for ErrorCursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| ())?;
        let text = String::from_utf8(bytes).map_err(|_| ())?;
        let (row, field) = text.split_once(':').ok_or(())?;
        Ok(Self {
            row: row.parse().map_err(|_| ())?,
            field: field.to_string(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    pub id: ImportId,
    pub round_id: RoundId,
    /// `null` for a whole-round import.
    pub agency_id: Option<AgencyId>,
    pub importer_id: Option<UserId>,
    pub mode: ImportMode,
    pub format: ImportFormat,
    /// SHA-256 of the uploaded file, as recorded in the audit chain.
    pub file_sha256: String,
    pub file_bytes: i64,
    pub status: ImportStatus,
    /// Counts so far (live while running).
    pub rows_read: i64,
    pub rows_accepted: i64,
    /// Rows that repeat an application already recorded (re-imports change nothing).
    pub rows_unchanged: i64,
    pub rows_rejected: i64,
    pub committed_batches: i32,
    pub detail: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

impl ImportView {
    pub fn new(i: ApplicationImport, live: Option<&Progress>) -> Self {
        let status = i.status;
        let (read, accepted, unchanged, rejected) = match (status, live) {
            (ImportStatus::Running, Some(p)) => p.snapshot(),
            _ => (
                i.rows_read,
                i.rows_accepted,
                i.rows_unchanged,
                i.rows_rejected,
            ),
        };
        Self {
            id: i.id,
            round_id: i.round_id,
            agency_id: i.agency_id,
            importer_id: i.importer_id,
            mode: i.mode,
            format: i.format,
            file_sha256: i.file_sha256,
            file_bytes: i.file_bytes,
            status,
            rows_read: read,
            rows_accepted: accepted,
            rows_unchanged: unchanged,
            rows_rejected: rejected,
            committed_batches: i.committed_batches,
            detail: i.detail,
            created_at: i.created_at,
            finished_at: i.finished_at,
        }
    }
}

/// Live counters of a running job (an all-or-nothing job commits nothing until its end).
#[derive(Debug, Default)]
pub struct Progress {
    pub read: AtomicU64,
    pub accepted: AtomicU64,
    pub unchanged: AtomicU64,
    pub rejected: AtomicU64,
    pub bytes: AtomicU64,
}

impl Progress {
    /// Adds one applied batch's counts.
    pub fn add(&self, outcome: &crate::applications::intake::batch::BatchOutcome, rejected: usize) {
        self.accepted
            .fetch_add(outcome.accepted.len() as u64, Ordering::Relaxed);
        self.unchanged
            .fetch_add(outcome.unchanged, Ordering::Relaxed);
        self.rejected.fetch_add(rejected as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> (i64, i64, i64, i64) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as i64;
        (
            get(&self.read),
            get(&self.accepted),
            get(&self.unchanged),
            get(&self.rejected),
        )
    }
}

/// The jobs this process runs.
#[derive(Debug, Default)]
pub struct ImportRegistry {
    running: Mutex<HashMap<ImportId, Arc<Progress>>>,
}

impl ImportRegistry {
    pub fn start(&self, id: ImportId) -> Arc<Progress> {
        let progress = Arc::new(Progress::default());
        if let Ok(mut map) = self.running.lock() {
            map.insert(id, progress.clone());
        }
        progress
    }
    pub fn get(&self, id: ImportId) -> Option<Arc<Progress>> {
        self.running.lock().ok().and_then(|m| m.get(&id).cloned())
    }
    pub fn finish(&self, id: ImportId) {
        if let Ok(mut map) = self.running.lock() {
            map.remove(&id);
        }
    }
}
