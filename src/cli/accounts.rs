//! Operator actions on accounts: lifting the login throttle of one email.

use std::process::ExitCode;

use serde_json::json;

use super::{operator_context, seal_all};
use crate::audit::model::NewAuditEvent;
use crate::audit::store as audit;
use crate::auth::model::normalize_email;
use crate::auth::store::{self as users, throttle};
use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::{build_state, cli::server::migrate};

/// Deletes the recorded login failures of one email (from every address) and audits it in the
/// same transaction, so that its owner's next attempt is not delayed. An email without an
/// account is cleared too: the throttle counts emails whether or not they exist.
pub fn clear_login_throttle(config: Config, email: &str) -> Result<ExitCode, AppError> {
    if config.migrate_on_start {
        migrate(&config)?;
    }
    let email = normalize_email(email);
    let state = build_state(config)?;
    let email_digest = state.digester.digest(&email);
    let mut conn = db::establish(&state.config.database_url)?;
    let ctx = operator_context(&state.digester);
    let cleared = db::write_transaction(&mut conn, |conn| {
        let user = users::find_by_email(conn, &email)?;
        let cleared = throttle::clear_failures_for_email(conn, &email_digest)?;
        let mut event = match &user {
            Some(user) => NewAuditEvent::new("auth.login_throttle_cleared", "user", user.id)
                .agency(user.agency_id),
            None => {
                let mut event = NewAuditEvent::new("auth.login_throttle_cleared", "user", "");
                event.object_id = None;
                event
            }
        };
        event = event.payload(json!({"email": email_digest, "failures_cleared": cleared}));
        audit::append(conn, &ctx, event)?;
        Ok(cleared)
    })?;
    seal_all(&mut conn)?;
    println!("cleared {cleared} recorded login failure(s) for {email}");
    Ok(ExitCode::SUCCESS)
}
