//! What every handler can reach: the database, settings, key material and shared services.

use std::sync::Arc;

use crate::audit::checkpoint::CheckpointSigner;
use crate::audit::model::PersonalDigester;
use crate::auth::jwt::TokenService;
use crate::auth::password::PasswordHasher;
use crate::auth::session_cache::SessionCache;
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
    pub signer: Arc<CheckpointSigner>,
    pub metrics: Metrics,
    pub sessions: Arc<SessionCache>,
}
