//! Login, logout and password setting: the flows that combine hashing, throttling and sessions.

use serde_json::json;
use uuid::Uuid;

use super::model::LoginFailureId;
use super::model::{LoginResponse, User, UserView, check_password_strength, normalize_email};
use super::store::throttle::{self, Attempt};
use super::store::{self, activation, sessions};
use crate::app::AppState;
use crate::audit::model::{Actor, AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::types::Timestamp;
use crate::error::AppError;

/// Checks credentials. Unknown email, wrong password, disabled or not-yet-activated account all
/// take the same path (a full argon2 verification) and give the same 401; five failures for one
/// email within the window give 429, whether or not the account exists.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    request_id: String,
) -> Result<LoginResponse, AppError> {
    let email = normalize_email(email);
    let email_digest = state.digester.digest(&email);
    let window = chrono::Duration::from_std(state.config.login_window)
        .unwrap_or(chrono::Duration::minutes(15));
    let max_failures = state.config.login_max_failures;

    let digest = email_digest.clone();
    let attempt = state
        .db
        .write(move |conn| {
            let since = Timestamp::from_datetime(Timestamp::now().as_datetime() - window);
            throttle::reserve_attempt(conn, &digest, since, max_failures)
        })
        .await?;
    let attempt = match attempt {
        Attempt::Granted(id) => id,
        Attempt::Refused { oldest } => {
            let retry_at = oldest
                .map(|t| t.as_datetime() + window)
                .unwrap_or_else(chrono::Utc::now);
            let retry_after_secs = (retry_at - chrono::Utc::now()).num_seconds().max(1) as u64;
            return Err(AppError::TooManyRequests {
                code: "too_many_login_attempts",
                retry_after_secs,
            });
        }
    };

    let user = state
        .db
        .run(move |conn| store::find_by_email(conn, &email))
        .await?;
    let usable = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let matched = state.hasher.verify(password, usable).await?;
    match user.filter(|_| matched) {
        Some(user) => start_session(state, user, attempt, request_id).await,
        None => {
            audit_failure(state, email_digest, request_id).await?;
            Err(AppError::unauthorized(
                "invalid_credentials",
                "the email or password is wrong",
            ))
        }
    }
}

async fn start_session(
    state: &AppState,
    user: User,
    attempt: LoginFailureId,
    request_id: String,
) -> Result<LoginResponse, AppError> {
    let jti = Uuid::now_v7();
    let now = Timestamp::now();
    let (token, claims) = state.tokens.issue(
        user.id,
        user.role,
        user.agency_id,
        jti,
        now.as_datetime().timestamp(),
    )?;
    let expires_at = Timestamp::from_datetime(
        chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now),
    );
    let session_user = user.clone();
    state
        .db
        .write(move |conn| {
            throttle::forgive_attempt(conn, attempt)?;
            sessions::create_session(conn, jti, session_user.id, now, expires_at)?;
            let ctx = AuditContext {
                actor: Actor::User {
                    id: session_user.id,
                    role: session_user.role,
                    agency: session_user.agency_id,
                },
                request_id: Some(request_id),
                at: now,
            };
            audit::append(
                conn,
                &ctx,
                NewAuditEvent::new("auth.login_succeeded", "session", jti)
                    .agency(session_user.agency_id)
                    .payload(
                        json!({"user_id": session_user.id, "expires_at": expires_at.to_rfc3339()}),
                    ),
            )?;
            Ok(())
        })
        .await?;
    Ok(LoginResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl().as_secs(),
        user: UserView::from(user),
    })
}

async fn audit_failure(
    state: &AppState,
    email_digest: String,
    request_id: String,
) -> Result<(), AppError> {
    state
        .db
        .write(move |conn| {
            // The failure itself was counted when the attempt was reserved.
            let ctx = AuditContext {
                actor: Actor::Anonymous,
                request_id: Some(request_id),
                at: Timestamp::now(),
            };
            let mut event = NewAuditEvent::new("auth.login_failed", "session", "");
            event.object_id = None;
            audit::append(conn, &ctx, event.payload(json!({"email": email_digest})))?;
            Ok(())
        })
        .await
}

/// Sets a password with a one-time activation or reset token.
pub async fn activate(
    state: &AppState,
    token: String,
    password: String,
    request_id: String,
) -> Result<(), AppError> {
    let lookup_token = token.clone();
    let found = state
        .db
        .run(
            move |conn| match activation::find_activation_token(conn, &lookup_token)? {
                Some((user_id, purpose)) => {
                    Ok(store::find_by_id(conn, user_id)?.map(|u| (u, purpose)))
                }
                None => Ok(None),
            },
        )
        .await?;
    let (user, purpose) = found.ok_or_else(|| {
        AppError::invalid(
            "invalid_activation_token",
            "the activation token is unknown, used or expired",
        )
    })?;
    check_password_strength(&password, &user.email).map_err(|m| AppError::field("password", m))?;
    let hash = state.hasher.hash(password).await?;
    let user_id = user.id;
    state
        .db
        .write(move |conn| {
            activation::set_password_with_token(
                conn,
                &token,
                &user,
                &purpose,
                hash,
                Some(request_id),
            )
        })
        .await?;
    state.sessions.forget_user(user_id);
    Ok(())
}
