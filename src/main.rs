//! The `asn-merit` command: serve the API (default), migrate, create the first admin, audit tools.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use asn_merit::audit::model::{AuditContext, Checkpoint};
use asn_merit::audit::{export, store as audit};
use asn_merit::auth::model::{Role, check_password_strength, normalize_email};
use asn_merit::auth::{password, store as users};
use asn_merit::config::Config;
use asn_merit::db;
use asn_merit::error::AppError;
use asn_merit::openings::rounds::model::CreateRuleSetRequest;
use asn_merit::openings::rounds::store as rounds;
use asn_merit::{build_state, spawn_background_jobs, start_server, telemetry};

#[derive(Parser)]
#[command(
    name = "asn-merit",
    version,
    about = "Merit-based ASN recruitment and promotion: system of record"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
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
}

#[derive(Subcommand)]
enum RuleSetCommand {
    /// Load a rule set from a JSON file (the body of `POST /api/v1/rule-sets`), audited as this operator.
    Load { file: PathBuf },
}

#[derive(Subcommand)]
enum ImportCommand {
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
enum GenCommand {
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
enum AuditCommand {
    /// Verify the chain in the database, or an export with --file (offline, no database).
    Verify {
        #[arg(long)]
        file: Option<PathBuf>,
        /// A checkpoint (JSON, as listed by GET /api/v1/audit/checkpoints) the chain must still contain.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The installation's checkpoint public key (hex) the checkpoint must be signed with. Offline,
        /// without it only the key inside the checkpoint file vouches for it; with a database the
        /// installation's own key is used.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Write the chain as JSON Lines.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign the current head and print the checkpoint as JSON.
    Checkpoint,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        return match verify_export_file(file, checkpoint, public_key.as_deref()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Generating synthetic data needs no configuration, keys or database either.
    let command = match cli.command {
        Some(Command::Gen { command }) => {
            return match generate_applicants(command) {
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
    let result = match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::CreateAdmin { email, name } => create_admin(config, &email, &name),
        Command::RuleSets {
            command: RuleSetCommand::Load { file },
        } => load_rule_set(config, &file),
        Command::Import {
            command:
                ImportCommand::Applications {
                    file,
                    round,
                    opening,
                    mode,
                    format,
                },
        } => import_applications(config, &file, round, opening, &mode, format.as_deref()),
        Command::Audit { command } => run_audit(config, command),
        Command::Gen { .. } => Ok(ExitCode::SUCCESS),
        #[cfg(feature = "bench-baselines")]
        Command::BenchHashRate { threads, seconds } => {
            println!(
                "{:.1}",
                asn_merit::bench_baselines::hash_rate(threads, seconds)
            );
            Ok(ExitCode::SUCCESS)
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

fn migrate(config: &Config) -> Result<ExitCode, AppError> {
    let applied = db::run_migrations(config.migration_url())?;
    tracing::info!(count = applied.len(), "migrations applied");
    Ok(ExitCode::SUCCESS)
}

fn serve(config: Config) -> Result<ExitCode, AppError> {
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let bind = config.bind_addr.clone();
    let state = build_state(config)?;
    let listener = std::net::TcpListener::bind(&bind)
        .map_err(|e| AppError::internal(format!("cannot bind {bind}: {e}")))?;
    actix_web::rt::System::new().block_on(async move {
        let probe = state.clone();
        match probe.db.run(users::admin_exists).await {
            Ok(false) => tracing::warn!(
                "no administrator exists yet: create one with `asn-merit create-admin --email you@agency.go.id` (password on stdin)"
            ),
            Ok(true) => {}
            Err(e) => tracing::warn!(error = %e, "could not check for an administrator"),
        }
        tracing::info!(addr = %bind, backend = ?state.db.backend(), "serving asn-merit");
        spawn_background_jobs(state.clone());
        let server = start_server(state, listener).map_err(|e| AppError::internal(format!("cannot start: {e}")))?;
        server.await.map_err(|e| AppError::internal(format!("server error: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}

fn read_admin_password() -> Result<String, AppError> {
    if let Ok(p) = std::env::var("ASN_MERIT_ADMIN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    BufReader::new(std::io::stdin().take(1024))
        .read_line(&mut line)
        .map_err(|e| AppError::internal(format!("cannot read the password from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn create_admin(config: Config, email: &str, name: &str) -> Result<ExitCode, AppError> {
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let email = normalize_email(email);
    if !email.contains('@') || email.len() > 254 {
        return Err(AppError::field("email", "must be an email address"));
    }
    let password = read_admin_password()?;
    if let Err(reason) = check_password_strength(&password, &email) {
        eprintln!("refused: the password {reason}");
        return Ok(ExitCode::from(2));
    }
    let hash = password::hash_blocking(&password)?;
    let state = build_state(config)?;
    let mut conn = db::establish(&state.config.database_url)?;
    // The operator's login name is personal data: the chain keeps only its keyed digest.
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let ctx = AuditContext::cli(state.digester.digest(&operator));
    let user = db::write_transaction(&mut conn, |conn| {
        users::create(
            conn,
            &ctx,
            &state.digester,
            users::NewUser {
                email: email.clone(),
                full_name: name.to_string(),
                role: Role::Admin,
                agency_id: None,
                password_hash: Some(hash),
            },
        )
    })?;
    seal_all(&mut conn)?;
    println!("created admin {} ({})", user.id, user.email);
    Ok(ExitCode::SUCCESS)
}

fn load_rule_set(config: Config, file: &std::path::Path) -> Result<ExitCode, AppError> {
    use validator::Validate;
    let text = std::fs::read(file)
        .map_err(|e| AppError::internal(format!("cannot read {}: {e}", file.display())))?;
    let request: CreateRuleSetRequest = asn_merit::http::extract::parse_json(&text)
        .and_then(|r: CreateRuleSetRequest| {
            r.validate()
                .map_err(|e| AppError::validation(asn_merit::http::extract::field_errors(&e)))?;
            Ok(r)
        })
        .inspect_err(print_field_errors)?;
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let state = build_state(config)?;
    let mut conn = db::establish(&state.config.database_url)?;
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let ctx = AuditContext::cli(state.digester.digest(&operator));
    let rule_set = db::write_transaction(&mut conn, |conn| {
        rounds::create_rule_set(conn, &ctx, &request)
    })
    .inspect_err(print_field_errors)?;
    seal_all(&mut conn)?;
    println!(
        "loaded rule set {} ({}, {})",
        rule_set.id, rule_set.code, rule_set.year
    );
    Ok(ExitCode::SUCCESS)
}

fn import_applications(
    config: Config,
    file: &std::path::Path,
    round: Option<uuid::Uuid>,
    opening: Option<uuid::Uuid>,
    mode: &str,
    format: Option<&str>,
) -> Result<ExitCode, AppError> {
    use asn_merit::applications::import_cli::{Target, import_file};
    use asn_merit::applications::import_model::{ImportFormat, ImportMode};
    let mode = ImportMode::parse(mode)
        .ok_or_else(|| AppError::field("mode", "must be all_or_nothing or valid_rows"))?;
    let guessed = match file.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson") => "jsonl",
        _ => "csv",
    };
    let format = ImportFormat::parse(format.unwrap_or(guessed))
        .ok_or_else(|| AppError::field("format", "must be csv or jsonl"))?;
    let target = match (round, opening) {
        (_, Some(id)) => Target::Opening(asn_merit::openings::model::OpeningId(id)),
        (Some(id), None) => Target::Round(asn_merit::openings::rounds::model::RoundId(id)),
        (None, None) => return Err(AppError::field("round", "give --round or --opening")),
    };
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let state = build_state(config)?;
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let ctx = AuditContext::cli(state.digester.digest(&operator));
    let import = import_file(
        &state.config.database_url,
        &state.identities,
        ctx,
        file,
        target,
        mode,
        format,
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
            asn_merit::applications::import_job::list_errors(&mut conn, import.id, None, 20)?;
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
    Ok(if import.status == "completed" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn generate_applicants(command: GenCommand) -> Result<ExitCode, AppError> {
    use asn_merit::applications::generator::{Format, GenOptions, write_applicants};
    let GenCommand::Applicants {
        rows,
        seed,
        openings,
        prefix,
        format,
        invalid_per_mille,
        out,
    } = command;
    let format = match format.as_str() {
        "csv" => Format::Csv,
        "jsonl" => Format::Jsonl,
        _ => return Err(AppError::field("format", "must be csv or jsonl")),
    };
    let options = GenOptions {
        rows,
        seed,
        openings,
        opening_prefix: prefix,
        format,
        invalid_per_mille,
    };
    let written = match out {
        Some(path) => {
            let file = std::fs::File::create(&path).map_err(|e| {
                AppError::internal(format!("cannot create {}: {e}", path.display()))
            })?;
            write_applicants(std::io::BufWriter::new(file), &options)
        }
        None => write_applicants(std::io::BufWriter::new(std::io::stdout().lock()), &options),
    }
    .map_err(|e| AppError::internal(format!("cannot write: {e}")))?;
    eprintln!("generated {written} rows");
    Ok(ExitCode::SUCCESS)
}

fn print_field_errors(error: &AppError) {
    for field in error.problem().errors {
        eprintln!("  {}: {}", field.field, field.message);
    }
}

/// Seals every pending audit event (the CLI runs without the server's background sealer).
fn seal_all(conn: &mut db::AnyConnection) -> Result<(), AppError> {
    while db::write_transaction(conn, audit::seal_pending)? == audit::SEAL_BATCH as usize {}
    Ok(())
}

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

fn verify_export_file(
    file: &PathBuf,
    checkpoint: &Option<PathBuf>,
    public_key: Option<&str>,
) -> Result<ExitCode, AppError> {
    let checkpoint = pinned_checkpoint(checkpoint, public_key)?;
    let f = std::fs::File::open(file)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", file.display())))?;
    print_report(&export::verify_export(BufReader::new(f), checkpoint))
}

fn print_report(report: &asn_merit::audit::chain::VerifyReport) -> Result<ExitCode, AppError> {
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

fn run_audit(config: Config, command: AuditCommand) -> Result<ExitCode, AppError> {
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
                None => asn_merit::audit::checkpoint::CheckpointSigner::load_or_create(
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
