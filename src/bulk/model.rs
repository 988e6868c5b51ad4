//! What every import shares: how a file is sent (format), what happens to its bad rows (mode),
//! and the errors of one row or of the whole file.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

/// What happens to a file with bad rows.
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
pub enum ImportMode {
    /// One bad row rejects the whole file; nothing is recorded.
    AllOrNothing,
    /// Good rows are recorded batch by batch; bad rows are reported.
    ValidRows,
}

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
pub enum ImportFormat {
    Csv,
    Jsonl,
}

impl ImportFormat {
    /// The format a file was sent as (`text/csv`, or JSON Lines under its usual media types).
    pub fn from_media_type(media_type: &str) -> Result<Self, AppError> {
        match media_type {
            "text/csv" => Ok(ImportFormat::Csv),
            "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Ok(ImportFormat::Jsonl)
            }
            _ => Err(AppError::UnsupportedMediaType {
                detail: "send the file as text/csv or application/x-ndjson (JSON Lines)".into(),
            }),
        }
    }
}

/// How an import file is read: its format and the longest row it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLayout {
    pub format: ImportFormat,
    /// `MAX_IMPORT_ROW_BYTES`.
    pub max_row_bytes: usize,
}

/// One problem with one row: the error report lists every one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// 1-based data row (the CSV header is not counted).
    pub row: u64,
    pub field: String,
    /// Stable code, e.g. `nik_birth_date_mismatch`.
    pub code: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: u64, field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            row,
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }

    /// A row the reader could not make sense of (broken CSV quoting, a line that is not a
    /// JSON object).
    pub fn malformed(row: u64, message: impl Into<String>) -> Self {
        Self::new(row, "row", "malformed_row", message)
    }

    /// A row longer than `MAX_IMPORT_ROW_BYTES`: skipped unread.
    pub fn too_long(row: u64, max_row_bytes: usize) -> Self {
        Self::new(
            row,
            "row",
            "row_too_long",
            format!("the row is longer than {max_row_bytes} bytes (MAX_IMPORT_ROW_BYTES)"),
        )
    }

    /// Text no database stores (a NUL character), or a row that is not UTF-8.
    pub fn invalid_text(row: u64, field: &str, message: impl Into<String>) -> Self {
        Self::new(row, field, "invalid_text", message)
    }
}

/// Why a whole file cannot be read: nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// `invalid_file` (a header that does not fit) or `empty_file` (no data row at all).
    pub code: &'static str,
    pub detail: String,
}

impl FileProblem {
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self {
            code: "invalid_file",
            detail: detail.into(),
        }
    }

    pub fn empty() -> Self {
        Self {
            code: "empty_file",
            detail: "the file has no data rows".into(),
        }
    }
}

impl From<FileProblem> for AppError {
    fn from(problem: FileProblem) -> Self {
        AppError::Invalid {
            code: problem.code,
            detail: problem.detail,
            errors: vec![],
        }
    }
}

crate::text_enum!(ImportMode { AllOrNothing => "all_or_nothing", ValidRows => "valid_rows" });
crate::text_enum!(ImportFormat { Csv => "csv", Jsonl => "jsonl" });
