//! Serving, migrating, the first administrator and loading rule sets.

use std::io::{BufRead, BufReader, Read};
use std::process::ExitCode;

use super::{operator_context, print_field_errors, seal_all};
use crate::auth::model::{NewUser, Role, check_password_strength, normalize_email};
use crate::auth::{password, store as users};
use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::openings::rounds::model::{CreateRuleSetRequest, NewRuleSet};
use crate::openings::rounds::store as rounds;
use crate::{build_state, spawn_background_jobs, start_server};

pub fn migrate(config: &Config) -> Result<ExitCode, AppError> {
    let applied = db::run_migrations(config.migration_url())?;
    tracing::info!(count = applied.len(), "migrations applied");
    let mut conn = db::establish(config.migration_url())
        .map_err(|e| AppError::unavailable(format!("cannot connect: {e}")))?;
    db::write_transaction(&mut conn, |conn| {
        crate::audit::sealer::record_migrations(conn, &applied)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn serve(config: Config) -> Result<ExitCode, AppError> {
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

pub fn create_admin(config: Config, email: &str, name: &str) -> Result<ExitCode, AppError> {
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
    let ctx = operator_context(&state.digester);
    let user = db::write_transaction(&mut conn, |conn| {
        users::create(
            conn,
            &ctx,
            &state.digester,
            NewUser {
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

pub fn load_rule_set(config: Config, file: &std::path::Path) -> Result<ExitCode, AppError> {
    use validator::Validate;
    let text = std::fs::read(file)
        .map_err(|e| AppError::internal(format!("cannot read {}: {e}", file.display())))?;
    let new: NewRuleSet = crate::http::extract::parse_json(&text)
        .and_then(|r: CreateRuleSetRequest| {
            r.validate()
                .map_err(|e| AppError::validation(crate::http::extract::field_errors(&e)))?;
            Ok(NewRuleSet::from(r))
        })
        .inspect_err(print_field_errors)?;
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let state = build_state(config)?;
    let mut conn = db::establish(&state.config.database_url)?;
    let ctx = operator_context(&state.digester);
    let rule_set =
        db::write_transaction(&mut conn, |conn| rounds::create_rule_set(conn, &ctx, new))
            .inspect_err(print_field_errors)?;
    seal_all(&mut conn)?;
    println!(
        "loaded rule set {} ({}, {})",
        rule_set.id, rule_set.code, rule_set.year
    );
    Ok(ExitCode::SUCCESS)
}
