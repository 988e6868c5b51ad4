//! What every handler can reach: the database, settings, key material and shared services.

use std::sync::Arc;

use crate::applications::identity::IdentityVault;
use crate::applications::imports::model::ImportRegistry;
use crate::audit::checkpoint::CheckpointSigner;
use crate::audit::model::PersonalDigester;
use crate::auth::jwt::TokenService;
use crate::auth::password::PasswordHasher;
use crate::auth::session_cache::SessionCache;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Database;
use crate::http::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenService>,
    pub hasher: PasswordHasher,
    pub digester: PersonalDigester,
    /// Encrypts and hashes NIK and KK numbers.
    pub identities: IdentityVault,
    /// Import jobs running in this process.
    pub imports: Arc<ImportRegistry>,
    /// Bounds how many uploads (with the import work after them) run at once.
    pub uploads: Arc<crate::http::upload::UploadSlots>,
    /// When this server's state was built: import jobs older than this and still running were
    /// cut off by an earlier stop.
    pub started_at: crate::db::types::Timestamp,
    pub signer: Arc<CheckpointSigner>,
    pub metrics: Metrics,
    pub sessions: Arc<SessionCache>,
    /// The time the server acts at: the system clock, except in tests, which move it forward.
    pub clock: SharedClock,
    /// Limits audit events of refused changes to locked results to one per actor, stage and
    /// minute (in process: a restart starts a new minute).
    pub refusals: Arc<crate::ranking::scores::refusals::RefusalLimiter>,
    /// Woken whenever a login attempt of this process is settled, so that attempts waiting for
    /// it ask the throttle again at once (attempts of other processes are seen by polling).
    pub login_settled: Arc<tokio::sync::Notify>,
}

/// What every idempotent create names: who asks, in which request, under which key, for which
/// operation (`POST /api/v1/openings`) and body.
pub struct CreateRequest<'a> {
    pub principal: &'a crate::auth::policy::Principal,
    pub request_id: crate::http::middleware::RequestId,
    pub key: crate::http::idempotency::IdempotencyKey,
    pub operation: &'static str,
    pub body_sha256: &'a str,
}

impl AppState {
    /// The shape of every idempotent create: the key is bound to the caller, the operation and
    /// the body; `write` runs once, in one transaction, with the caller's audit context; 201
    /// with its result (a repeat of the same key and body answers the first response again,
    /// with `redact` applied to what is kept of it).
    pub async fn create_once<T, F>(
        &self,
        request: CreateRequest<'_>,
        redact: crate::http::idempotency::Redact,
        write: F,
    ) -> Result<actix_web::HttpResponse, crate::error::AppError>
    where
        T: serde::Serialize + 'static,
        F: FnOnce(
                &mut crate::db::Conn,
                &crate::audit::model::AuditContext,
            ) -> Result<T, crate::error::AppError>
            + Send
            + 'static,
    {
        let ctx = request.principal.audit_context(Some(request.request_id.0));
        let once = request.key.bind(
            request.principal.user_id,
            request.operation,
            request.body_sha256,
        );
        crate::http::idempotency::run_once(
            &self.db,
            once,
            actix_web::http::StatusCode::CREATED,
            redact,
            move |conn| write(conn, &ctx),
        )
        .await
    }
}
