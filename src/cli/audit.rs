//! `audit verify | export | checkpoint`: the chain in the database or an export, offline.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{AuditCommand, seal_all};
use crate::audit::model::Checkpoint;
use crate::audit::{export, store as audit};
use crate::build_state;
use crate::config::Config;
use crate::db;
use crate::error::AppError;

fn read_checkpoint(path: &Option<PathBuf>) -> Result<Option<Checkpoint>, AppError> {
    path.as_ref()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .map_err(|e| AppError::internal(format!("cannot read {}: {e}", p.display())))?;
            serde_json::from_str(&text).map_err(|e| {
                AppError::internal(format!("{} is not a checkpoint: {e}", p.display()))
            })
        })
        .transpose()
}

/// Reads the checkpoint; with a pinned key, one signed by any other key is refused.
fn pinned_checkpoint(
    path: &Option<PathBuf>,
    pinned: Option<&str>,
) -> Result<Option<Checkpoint>, AppError> {
    let checkpoint = read_checkpoint(path)?;
    match (&checkpoint, pinned) {
        (Some(cp), Some(key)) if !cp.public_key.eq_ignore_ascii_case(key.trim()) => {
            Err(AppError::invalid(
                "checkpoint_key_mismatch",
                "the checkpoint is not signed with the installation's key",
            ))
        }
        (Some(_), None) => {
            eprintln!(
                "note: no --public-key given; the checkpoint is checked against the key it names"
            );
            Ok(checkpoint)
        }
        _ => Ok(checkpoint),
    }
}

pub fn verify_export_file(
    file: &PathBuf,
    checkpoint: &Option<PathBuf>,
    public_key: Option<&str>,
) -> Result<ExitCode, AppError> {
    let checkpoint = pinned_checkpoint(checkpoint, public_key)?;
    let f = std::fs::File::open(file)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", file.display())))?;
    print_report(&export::verify_export(BufReader::new(f), checkpoint))
}

fn print_report(report: &crate::audit::chain::VerifyReport) -> Result<ExitCode, AppError> {
    println!(
        "{}",
        serde_json::to_string_pretty(report).unwrap_or_default()
    );
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run(config: Config, command: AuditCommand) -> Result<ExitCode, AppError> {
    match command {
        AuditCommand::Verify {
            file: Some(file),
            checkpoint,
            public_key,
        } => verify_export_file(&file, &checkpoint, public_key.as_deref()),
        AuditCommand::Verify {
            file: None,
            checkpoint,
            public_key,
        } => {
            let own_key = match public_key {
                Some(key) => key,
                None => crate::audit::checkpoint::CheckpointSigner::load_or_create(
                    &config.audit_signing_key_file,
                )?
                .0
                .public_key_hex(),
            };
            let checkpoint = pinned_checkpoint(&checkpoint, Some(&own_key))?;
            let mut conn = db::establish(&config.database_url)?;
            seal_all(&mut conn)?;
            print_report(&audit::verify(&mut conn, checkpoint)?)
        }
        AuditCommand::Export { out } => {
            let mut conn = db::establish(&config.database_url)?;
            seal_all(&mut conn)?;
            let file = std::fs::File::create(&out)
                .map_err(|e| AppError::internal(format!("cannot create {}: {e}", out.display())))?;
            let mut writer = std::io::BufWriter::new(file);
            let count = export::export(&mut conn, &mut writer)?;
            eprintln!("exported {count} events to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint => {
            let state = build_state(config)?;
            let mut conn = db::establish(&state.config.database_url)?;
            seal_all(&mut conn)?;
            let created = db::write_transaction(&mut conn, |conn| {
                audit::checkpoint_head(conn, &state.signer)?;
                match audit::head(conn)? {
                    Some((seq, _)) => audit::find_checkpoint(conn, seq),
                    None => Ok(None),
                }
            })?;
            match created {
                Some(cp) => {
                    println!("{}", serde_json::to_string_pretty(&cp).unwrap_or_default());
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("the audit chain is empty; nothing to sign");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
