//! `import applications`: the same job as an upload, run against the database directly.

use std::process::ExitCode;

use super::{operator_context, seal_all, server::migrate};
use crate::build_state;
use crate::config::Config;
use crate::db;
use crate::error::AppError;

pub fn applications(
    config: Config,
    file: &std::path::Path,
    round: Option<uuid::Uuid>,
    opening: Option<uuid::Uuid>,
    mode: &str,
    format: Option<&str>,
) -> Result<ExitCode, AppError> {
    use crate::applications::imports::cli::{Target, import_file};
    use crate::applications::imports::model::ImportStatus;
    use crate::bulk::model::{FileLayout, ImportFormat, ImportMode};
    let mode = ImportMode::parse(mode)
        .ok_or_else(|| AppError::field("mode", "must be all_or_nothing or valid_rows"))?;
    let guessed = match file.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson") => "jsonl",
        _ => "csv",
    };
    let format = ImportFormat::parse(format.unwrap_or(guessed))
        .ok_or_else(|| AppError::field("format", "must be csv or jsonl"))?;
    let target = match (round, opening) {
        (_, Some(id)) => Target::Opening(crate::openings::model::OpeningId(id)),
        (Some(id), None) => Target::Round(crate::openings::rounds::model::RoundId(id)),
        (None, None) => return Err(AppError::field("round", "give --round or --opening")),
    };
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let state = build_state(config)?;
    let ctx = operator_context(&state.digester);
    let import = import_file(
        &state.config.database_url,
        &state.identities,
        ctx,
        file,
        target,
        mode,
        FileLayout {
            format,
            max_row_bytes: state.config.max_import_row_bytes,
        },
    )?;
    let mut conn = db::establish(&state.config.database_url)?;
    seal_all(&mut conn)?;
    println!(
        "import {}: {} ({} rows read, {} accepted, {} unchanged, {} rejected)",
        import.id,
        import.status,
        import.rows_read,
        import.rows_accepted,
        import.rows_unchanged,
        import.rows_rejected
    );
    if import.rows_rejected > 0 {
        let errors =
            crate::applications::imports::job::list_errors(&mut conn, import.id, None, 20)?;
        for e in errors {
            eprintln!(
                "  row {}: {}: {} ({})",
                e.row_number, e.field, e.message, e.code
            );
        }
        if import.rows_rejected > 20 {
            eprintln!(
                "  ... the full report: GET /api/v1/application-imports/{}/errors",
                import.id
            );
        }
    }
    Ok(if import.status == ImportStatus::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
