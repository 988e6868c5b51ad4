//! asn-merit: the system of record for merit-based ASN recruitment and promotion.
//! This crate root builds the application so that the binary and the tests start the same server.

pub mod agencies;
pub mod app;
pub mod applications;
pub mod audit;
pub mod auth;
#[cfg(feature = "bench-baselines")]
pub mod bench_baselines;
pub mod bulk;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod deviations;
pub mod error;
pub mod http;
pub mod ids;
pub mod openapi;
pub mod openings;
pub mod panels;
pub mod ranking;
pub mod roles;
pub mod router;
pub mod synthetic;
pub mod telemetry;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware::from_fn, web};

use crate::app::AppState;
use crate::audit::checkpoint::CheckpointSigner;
use crate::audit::model::PersonalDigester;
use crate::auth::jwt::TokenService;
use crate::auth::password::PasswordHasher;
use crate::config::Config;
use crate::db::Database;
use crate::error::AppError;
use crate::http::metrics::Metrics;

/// Builds the shared state; migrations must already have run.
pub fn build_state(config: Config) -> Result<AppState, AppError> {
    let db = Database::connect(
        &config.database_url,
        config.db_pool_size,
        config.db_acquire_timeout,
    )?;
    let (signer, created) = CheckpointSigner::load_or_create(&config.audit_signing_key_file)?;
    if created {
        tracing::info!(path = %config.audit_signing_key_file.display(), "generated the audit checkpoint signing key (mode 0600)");
    }
    let digester = PersonalDigester::new(config.pii_key.clone());
    let identities =
        crate::applications::identity::IdentityVault::new(&config.identity_key, digester.clone())?;
    Ok(AppState {
        identities,
        imports: Default::default(),
        uploads: http::upload::UploadSlots::new(config.max_uploads, config.max_uploads_per_user),
        refusals: Default::default(),
        login_settled: Default::default(),
        started_at: db::types::Timestamp::now(),
        tokens: Arc::new(TokenService::from_config(&config)?),
        hasher: PasswordHasher::new(config.hash_threads)?,
        digester,
        signer: Arc::new(signer),
        metrics: Metrics::new()?,
        sessions: Arc::new(auth::session_cache::SessionCache::new(
            config.session_cache_ttl,
        )),
        db,
        config: Arc::new(config),
        clock: Arc::new(clock::SystemClock),
    })
}

/// Starts the HTTP server on `listener` (the caller awaits or spawns the returned server).
pub fn start_server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let workers = state.config.workers.max(1);
    let max_body = state.config.max_body_bytes;
    let blocking_threads = state.config.blocking_threads;
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(|cfg| http::extractor_configs(cfg, max_body))
            .configure(router::routes)
            .default_service(web::to(http::ops::route_not_found))
            .wrap(from_fn(http::middleware::refuse_nul_in_target))
            .wrap(from_fn(http::middleware::limit_headers))
            .wrap(from_fn(http::middleware::observe))
    })
    .workers(workers)
    .shutdown_timeout(30);
    if let Some(threads) = blocking_threads {
        server = server.worker_max_blocking_threads(threads);
    }
    Ok(server.listen(listener)?.run())
}

/// Background jobs of a running server: the audit sealer and the periodic checkpoint signer.
pub fn spawn_background_jobs(state: AppState) {
    spawn_import_recovery(state.clone());
    audit::sealer::spawn(state.db.clone(), state.config.audit_seal_interval);
    spawn_housekeeping(state.clone());
    spawn_checkpoint_timer(state);
}

/// An import job found queued or running when a server starts, and created before it started,
/// was cut off by a stop: it is marked `interrupted` (its `valid_rows` batches stay committed;
/// `all_or_nothing` left nothing).
fn spawn_import_recovery(state: AppState) {
    let started = state.started_at;
    let clock = state.clock.clone();
    actix_web::rt::spawn(async move {
        let result = state
            .db
            .run(move |conn| {
                applications::imports::job::mark_interrupted(conn, started, clock.now())
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                count = n,
                "marked imports cut off by the last stop as interrupted"
            ),
            Err(e) => tracing::warn!(error = %e, "could not check for interrupted imports"),
        }
    });
}

/// Hourly: removes expired sessions, throttling rows, used tokens and idempotency records, and
/// records what it removed as one audit event.
fn spawn_housekeeping(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            ticker.tick().await;
            let window = chrono::Duration::from_std(state.config.login_window)
                .unwrap_or(chrono::Duration::minutes(15));
            let now = state.clock.now();
            let result = state
                .db
                .write(move |conn| {
                    let (sessions, failures, tokens) = auth::store::prune_expired(conn, window)?;
                    let keys = http::idempotency::prune_expired(conn, now)?;
                    if sessions + failures + tokens + keys > 0 {
                        let ctx = audit::model::AuditContext::system("housekeeping", now);
                        let mut event = audit::model::NewAuditEvent::new(
                            "system.pruned_expired",
                            "installation",
                            "",
                        );
                        event.object_id = None;
                        audit::store::append(
                            conn,
                            &ctx,
                            event.payload(serde_json::json!({
                                "sessions": sessions, "login_failures": failures,
                                "activation_tokens": tokens, "idempotency_keys": keys,
                            })),
                        )?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "housekeeping failed; will retry in an hour");
            }
        }
    });
}

/// Signs the chain head every `interval` while the server runs.
fn spawn_checkpoint_timer(state: AppState) {
    let interval = state.config.checkpoint_interval;
    if interval.is_zero() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(e) = audit::sealer::seal_now(&state.db).await {
                tracing::warn!(error = %e, "could not seal pending audit events");
                continue;
            }
            let signer = state.signer.clone();
            match state
                .db
                .write(move |conn| audit::store::checkpoint_head(conn, &signer))
                .await
            {
                Ok(Some(cp)) => tracing::info!(seq = cp.seq, "signed an audit checkpoint"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not sign an audit checkpoint"),
            }
        }
    });
}
