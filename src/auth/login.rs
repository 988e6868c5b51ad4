//! Login, logout and password setting: the flows that combine hashing, throttling and sessions.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use super::model::LoginFailureId;
use super::model::{LoginResponse, User, UserView, check_password_strength, normalize_email};
use super::store::throttle::{self, Attempt, ThrottleKey};
use super::store::{self, activation, sessions};
use super::throttle_policy::{Limits, address_bucket, retry_after_secs};
use crate::app::AppState;
use crate::audit::model::{Actor, AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::types::Timestamp;
use crate::error::AppError;

/// How long an attempt waits for attempts still being checked before it gives up with 429.
const WAIT_LIMIT: Duration = Duration::from_secs(10);
/// Between two looks at the throttle while waiting (attempts of other processes wake no one).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Checks credentials. Unknown email, wrong password, disabled or not-yet-activated account all
/// take the same path (a full argon2 verification) and give the same 401. The throttle (see
/// `throttle_policy`) answers 429 with `Retry-After` before any password is checked.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    client: IpAddr,
    request_id: String,
) -> Result<LoginResponse, AppError> {
    let email = normalize_email(email);
    let key = ThrottleKey {
        email: state.digester.digest(&email),
        address: state.digester.digest(&address_bucket(client)),
    };
    let attempt = reserve(state, &key).await?;
    let checked = check_password(state, email, password).await;
    let outcome = match checked {
        Ok(Some(user)) => start_session(state, user, attempt, &key, request_id).await,
        Ok(None) => record_failure(state, attempt, &key, request_id).await,
        Err(e) => {
            release(state, attempt).await;
            Err(e)
        }
    };
    state.login_settled.notify_waiters();
    outcome
}

/// Reserves an attempt, waiting while attempts still being checked decide whether a limit is
/// reached (so a correct password is delayed by them, never refused).
async fn reserve(state: &AppState, key: &ThrottleKey) -> Result<LoginFailureId, AppError> {
    let limits = Limits::from_config(&state.config);
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        // Created before the look, so a settlement right after it still wakes this attempt.
        let settled = state.login_settled.notified();
        let key = key.clone();
        let attempt = state
            .db
            .write(move |conn| throttle::reserve_attempt(conn, &key, &limits))
            .await?;
        match attempt {
            Attempt::Granted(id) => return Ok(id),
            Attempt::Refused { retry_after } => {
                return Err(too_many(retry_after_secs(retry_after)));
            }
            Attempt::Busy if Instant::now() >= deadline => return Err(too_many(1)),
            Attempt::Busy => {
                let _ = tokio::time::timeout(POLL_INTERVAL, settled).await;
            }
        }
    }
}

fn too_many(retry_after_secs: u64) -> AppError {
    AppError::TooManyRequests {
        code: "too_many_login_attempts",
        retry_after_secs,
    }
}

/// The user whose active account this password opens, if any.
async fn check_password(
    state: &AppState,
    email: String,
    password: String,
) -> Result<Option<User>, AppError> {
    let user = state
        .db
        .run(move |conn| store::find_by_email(conn, &email))
        .await?;
    let usable = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let matched = state.hasher.verify(password, usable).await?;
    Ok(user.filter(|_| matched))
}

async fn release(state: &AppState, attempt: LoginFailureId) {
    let released = state
        .db
        .write(move |conn| throttle::release_attempt(conn, attempt))
        .await;
    if let Err(e) = released {
        // It counts as a failure once it goes stale.
        tracing::warn!(error = %e, "could not release a login attempt");
    }
}

async fn start_session(
    state: &AppState,
    user: User,
    attempt: LoginFailureId,
    key: &ThrottleKey,
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
    let key = key.clone();
    state
        .db
        .write(move |conn| {
            throttle::forgive_attempt(conn, attempt, &key)?;
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

/// Settles the attempt as a failure and audits it in one transaction; answers the 401.
async fn record_failure(
    state: &AppState,
    attempt: LoginFailureId,
    key: &ThrottleKey,
    request_id: String,
) -> Result<LoginResponse, AppError> {
    let key = key.clone();
    state
        .db
        .write(move |conn| {
            throttle::settle_failure(conn, attempt)?;
            let ctx = AuditContext {
                actor: Actor::Anonymous,
                request_id: Some(request_id),
                at: Timestamp::now(),
            };
            let mut event = NewAuditEvent::new("auth.login_failed", "session", "");
            event.object_id = None;
            let payload = json!({"email": key.email, "client": key.address});
            audit::append(conn, &ctx, event.payload(payload))?;
            Ok(())
        })
        .await?;
    Err(AppError::unauthorized(
        "invalid_credentials",
        "the email or password is wrong",
    ))
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
