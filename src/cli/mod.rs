//! The command line: serve (default), migrate, create-admin, rule sets, imports, synthetic data
//! and the audit tools. `main.rs` only parses and calls [`run`].

pub mod accounts;
pub mod audit;
pub mod generate;
pub mod import;
pub mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::telemetry;

#[derive(Parser)]
#[command(
    name = "asn-merit",
    version,
    about = "Merit-based ASN recruitment and promotion: system of record"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an administrator. The password comes from ASN_MERIT_ADMIN_PASSWORD or the first line of stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Lift the login throttle of one email: its recorded failures (from every address) are
    /// deleted, audited as this operator.
    ClearLoginThrottle {
        #[arg(long)]
        email: String,
    },
    /// National rule sets: `rule-sets load seed/rule-sets/casn-2024.json` loads the 2024 figures.
    RuleSets {
        #[command(subcommand)]
        command: RuleSetCommand,
    },
    /// Bulk imports run against the database directly.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Synthetic data for benchmarks and trials.
    Gen {
        #[command(subcommand)]
        command: GenCommand,
    },
    /// Audit-chain tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Benchmark builds only: raw argon2id hashes per second on N threads.
    #[cfg(feature = "bench-baselines")]
    BenchHashRate {
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Benchmark builds only: the import benchmark's floor (binary COPY of FILE's persons and
    /// applications, transformed first) into a benchmark database; prints the timings.
    #[cfg(feature = "bench-baselines")]
    BenchImportFloor {
        file: PathBuf,
        #[arg(long)]
        round: uuid::Uuid,
        /// Applications per transaction (0: one transaction, one COPY per table).
        #[arg(long, default_value_t = 0)]
        batch: usize,
    },
}

#[derive(Subcommand)]
pub enum RuleSetCommand {
    /// Load a rule set from a JSON file (the body of `POST /api/v1/rule-sets`), audited as this operator.
    Load { file: PathBuf },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import applications from CSV or JSON Lines, validated and audited as an upload would be.
    Applications {
        file: PathBuf,
        /// A whole round: each row names its opening by code.
        #[arg(long, conflicts_with = "opening", required_unless_present = "opening")]
        round: Option<uuid::Uuid>,
        /// One opening: rows may leave opening_code empty; rows naming another opening are rejected.
        #[arg(long)]
        opening: Option<uuid::Uuid>,
        /// all_or_nothing (default) or valid_rows.
        #[arg(long, default_value = "all_or_nothing")]
        mode: String,
        /// csv or jsonl (default: from the file name, else csv).
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum GenCommand {
    /// Realistic synthetic applicant rows (CSV or JSON Lines) on stdout or into --out.
    Applicants {
        #[arg(long, default_value_t = 1000)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Rows name openings PREFIX-00001 .. PREFIX-<openings>.
        #[arg(long, default_value_t = 100)]
        openings: u32,
        #[arg(long, default_value = "GEN")]
        prefix: String,
        #[arg(long, default_value = "csv")]
        format: String,
        /// Rows per thousand with one realistic defect.
        #[arg(long, default_value_t = 0)]
        invalid_per_mille: u32,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the chain in the database, or an export with --file (offline, no database).
    Verify {
        #[arg(long)]
        file: Option<PathBuf>,
        /// A checkpoint (JSON, as listed by GET /api/v1/audit/checkpoints) the chain must still contain.
        /// With --file it needs --public-key.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The installation's checkpoint public key (hex, the `public_key` of GET
        /// /api/v1/audit/checkpoints, kept by the auditor); the checkpoint must be signed with it. The
        /// key named inside a checkpoint file is never trusted. Without it, verifying against the
        /// database uses the installation's key (AUDIT_SIGNING_KEY_FILE).
        #[arg(long, value_name = "HEX", value_parser = audit::parse_public_key_arg)]
        public_key: Option<Box<ed25519_dalek::VerifyingKey>>,
    },
    /// Write the chain as JSON Lines.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign the current head and print the checkpoint as JSON.
    Checkpoint,
    /// Check offline that an event is in the tree a signed head commits to (no database).
    VerifyInclusion {
        /// One audit event (JSON): a line of the export, or the `event` of an inclusion proof.
        #[arg(long, value_name = "E.json")]
        event: PathBuf,
        /// The response of GET /api/v1/audit/proofs/inclusion for that event and the head's size.
        #[arg(long, value_name = "P.json")]
        proof: PathBuf,
        /// A checkpoint with its signed tree head (JSON, as listed by GET /api/v1/audit/checkpoints).
        #[arg(long, value_name = "H.json")]
        head: PathBuf,
        /// The installation's checkpoint public key (hex), kept by the auditor; the key named
        /// inside the head is never trusted.
        #[arg(long, value_name = "HEX", value_parser = audit::parse_public_key_arg)]
        public_key: Box<ed25519_dalek::VerifyingKey>,
    },
    /// Check offline that the tree of an older signed head is a prefix of a newer one's.
    VerifyConsistency {
        /// The older checkpoint (JSON).
        #[arg(long, value_name = "H1.json")]
        old: PathBuf,
        /// The newer checkpoint (JSON).
        #[arg(long, value_name = "H2.json")]
        new: PathBuf,
        /// The response of GET /api/v1/audit/proofs/consistency for the two heads' sizes.
        #[arg(long, value_name = "P.json")]
        proof: PathBuf,
        /// The installation's checkpoint public key (hex), kept by the auditor.
        #[arg(long, value_name = "HEX", value_parser = audit::parse_public_key_arg)]
        public_key: Box<ed25519_dalek::VerifyingKey>,
    },
}

/// Runs one command line to its exit code.
pub fn run(cli: Cli) -> ExitCode {
    // Offline verification of an export needs no configuration, keys or database.
    if let Some(Command::Audit {
        command:
            AuditCommand::Verify {
                file: Some(file),
                checkpoint,
                public_key,
            },
    }) = &cli.command
    {
        if checkpoint.is_some() && public_key.is_none() {
            return audit::offline_checkpoint_needs_public_key();
        }
        return match audit::verify_export_file(file, checkpoint.as_deref(), public_key.as_deref()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Nor does checking a proof against a signed tree head.
    if let Some(Command::Audit { command }) = &cli.command
        && let Some(code) = audit::run_proof_check(command)
    {
        return code;
    }
    // Generating synthetic data needs no configuration, keys or database either.
    let command = match cli.command {
        Some(Command::Gen { command }) => {
            return match generate::applicants(command) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        other => other,
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    for note in &config.startup_notes {
        tracing::info!("{note}");
    }
    for warning in &config.startup_warnings {
        tracing::warn!("{warning}");
    }
    let result = match command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(config),
        Command::Migrate => server::migrate(&config),
        Command::CreateAdmin { email, name } => server::create_admin(config, &email, &name),
        Command::ClearLoginThrottle { email } => accounts::clear_login_throttle(config, &email),
        Command::RuleSets {
            command: RuleSetCommand::Load { file },
        } => server::load_rule_set(config, &file),
        Command::Import {
            command:
                ImportCommand::Applications {
                    file,
                    round,
                    opening,
                    mode,
                    format,
                },
        } => import::applications(config, &file, round, opening, &mode, format.as_deref()),
        Command::Audit { command } => audit::run(config, command),
        Command::Gen { .. } => Ok(ExitCode::SUCCESS),
        #[cfg(feature = "bench-baselines")]
        Command::BenchHashRate { threads, seconds } => {
            println!("{:.1}", crate::bench_baselines::hash_rate(threads, seconds));
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "bench-baselines")]
        Command::BenchImportFloor { file, round, batch } => {
            crate::bench_baselines::import_floor_command(config, &file, round, batch)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn print_field_errors(error: &AppError) {
    for field in error.problem().errors {
        eprintln!("  {}: {}", field.field, field.message);
    }
}

/// The operator's login name is personal data: the chain keeps only its keyed digest.
fn operator_context(
    digester: &crate::audit::model::PersonalDigester,
) -> crate::audit::model::AuditContext {
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    crate::audit::model::AuditContext::cli(digester.digest(&operator))
}

/// Seals every committed audit event (the CLI runs without the server's background sealer).
pub fn seal_all(conn: &mut db::AnyConnection) -> Result<(), AppError> {
    let mut cursor = crate::audit::sealer::SealCursor::default();
    loop {
        let mut next = cursor.clone();
        let more = db::write_transaction(conn, |conn| {
            crate::audit::sealer::seal_step(conn, &mut next)
        })?;
        cursor = next;
        if !more {
            return Ok(());
        }
    }
}
