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
}
