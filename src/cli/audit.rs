//! `audit verify | export | checkpoint`: the chain in the database or an export, offline; and
//! `audit verify-inclusion | verify-consistency`: proofs against signed tree heads, offline.

use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use clap::error::ErrorKind;
use ed25519_dalek::VerifyingKey;
use serde::de::DeserializeOwned;

use super::{AuditCommand, Cli, seal_all};
use crate::audit::checkpoint::{CheckpointSigner, PinnedCheckpoint};
use crate::audit::model::Checkpoint;
use crate::audit::{export, offline, store as audit};
use crate::build_state;
use crate::config::Config;
use crate::db;
use crate::error::AppError;

/// `--public-key`, parsed once (boxed: a parsed key is large beside the other commands).
pub fn parse_public_key_arg(text: &str) -> Result<Box<VerifyingKey>, String> {
    crate::audit::checkpoint::parse_public_key(text).map(Box::new)
}

fn read_checkpoint(path: &Path) -> Result<Checkpoint, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::internal(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::internal(format!("{} is not a checkpoint: {e}", path.display())))
}

/// `--checkpoint` with `--file` and no `--public-key`: refused the way clap refuses a missing
/// argument (exit 2). Offline there is no installation key, and the key inside the checkpoint file
/// vouches for nothing. Clap's `requires` cannot say "only together with --file", as verifying
/// against the database falls back to the installation's key.
pub fn offline_checkpoint_needs_public_key() -> ExitCode {
    let mut cli = Cli::command();
    cli.build();
    let message = "the following required arguments were not provided:\n  --public-key <HEX>\n\n\
         offline, a checkpoint is checked only with the public key given by --public-key, \
         never with the key inside the checkpoint file";
    let error = match cli
        .find_subcommand_mut("audit")
        .and_then(|audit| audit.find_subcommand_mut("verify"))
    {
        Some(verify) => verify.error(ErrorKind::MissingRequiredArgument, message),
        None => cli.error(ErrorKind::MissingRequiredArgument, message),
    };
    // Printing to a closed stderr is not worth another error.
    let _ = error.print();
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Verifies an export offline; a checkpoint is checked with `public_key` only.
pub fn verify_export_file(
    file: &Path,
    checkpoint: Option<&Path>,
    public_key: Option<&VerifyingKey>,
) -> Result<ExitCode, AppError> {
    let checkpoint = match (checkpoint, public_key) {
        (None, _) => None,
        (Some(path), Some(key)) => Some(PinnedCheckpoint::new(read_checkpoint(path)?, *key)),
        (Some(_), None) => {
            return Err(AppError::invalid(
                "public_key_required",
                "an offline checkpoint needs --public-key",
            ));
        }
    };
    let f = std::fs::File::open(file)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", file.display())))?;
    print_report(&export::verify_export(BufReader::new(f), checkpoint))
}

/// Runs `verify-inclusion` or `verify-consistency`, which need no configuration or database;
/// None for every other audit command.
pub fn run_proof_check(command: &AuditCommand) -> Option<ExitCode> {
    match command {
        AuditCommand::VerifyInclusion {
            event,
            proof,
            head,
            public_key,
        } => Some(verify_inclusion_files(event, proof, head, public_key)),
        AuditCommand::VerifyConsistency {
            old,
            new,
            proof,
            public_key,
        } => Some(verify_consistency_files(old, new, proof, public_key)),
        _ => None,
    }
}

/// Checks an event file against an inclusion proof file and a signed head file.
pub fn verify_inclusion_files(
    event: &Path,
    proof: &Path,
    head: &Path,
    trusted_key: &VerifyingKey,
) -> ExitCode {
    exit_with(read_and_verify_inclusion(event, proof, head, trusted_key))
}

fn read_and_verify_inclusion(
    event: &Path,
    proof: &Path,
    head: &Path,
    trusted_key: &VerifyingKey,
) -> Result<String, String> {
    offline::verify_inclusion(
        &read_json(event, "an audit event")?,
        &read_json(proof, "an inclusion proof")?,
        &read_json(head, "a checkpoint")?,
        trusted_key,
    )
}

/// Checks a consistency proof file between two signed head files.
pub fn verify_consistency_files(
    old: &Path,
    new: &Path,
    proof: &Path,
    trusted_key: &VerifyingKey,
) -> ExitCode {
    exit_with(read_and_verify_consistency(old, new, proof, trusted_key))
}

fn read_and_verify_consistency(
    old: &Path,
    new: &Path,
    proof: &Path,
    trusted_key: &VerifyingKey,
) -> Result<String, String> {
    offline::verify_consistency(
        &read_json(old, "a checkpoint")?,
        &read_json(new, "a checkpoint")?,
        &read_json(proof, "a consistency proof")?,
        trusted_key,
    )
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not {what}: {e}", path.display()))
}

/// The success line on stdout (exit 0), or the reason on stderr (exit 1).
fn exit_with(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("error: {reason}");
            ExitCode::from(1)
        }
    }
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
        } => verify_export_file(&file, checkpoint.as_deref(), public_key.as_deref()),
        AuditCommand::Verify {
            file: None,
            checkpoint,
            public_key,
        } => {
            // The checkpoint is checked with --public-key if given, else with the installation's
            // own key; never with the key the checkpoint file names.
            let checkpoint = match checkpoint {
                None => None,
                Some(path) => {
                    let trusted_key = match public_key {
                        Some(key) => *key,
                        None => {
                            CheckpointSigner::load(&config.audit_signing_key_file)?.verifying_key()
                        }
                    };
                    Some(PinnedCheckpoint::new(read_checkpoint(&path)?, trusted_key))
                }
            };
            let mut conn = db::establish(&config.database_url)?;
            seal_all(&mut conn)?;
            print_report(&audit::verify(&mut conn, checkpoint)?)
        }
        AuditCommand::VerifyInclusion {
            event,
            proof,
            head,
            public_key,
        } => Ok(verify_inclusion_files(&event, &proof, &head, &public_key)),
        AuditCommand::VerifyConsistency {
            old,
            new,
            proof,
            public_key,
        } => Ok(verify_consistency_files(&old, &new, &proof, &public_key)),
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
