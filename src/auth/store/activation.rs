//! One-time activation and reset tokens (stored only as their SHA-256) and setting a password
//! with one. They run on the system clock, as every credential lifetime does (see `clock`).

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::model::{User, UserId};
use crate::auth::store::sessions;
use crate::db::Conn;
use crate::db::schema::{activation_tokens, users};
use crate::db::types::Timestamp;
use crate::error::AppError;

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh one-time token (returned once) stored only as its SHA-256; earlier unused tokens of the
/// user are invalidated.
pub fn issue_activation_token(
    conn: &mut Conn,
    user: UserId,
    purpose: &'static str,
    ttl: std::time::Duration,
) -> Result<(String, Timestamp), AppError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let token = hex::encode(random);
    let now = Timestamp::now();
    let expires_at = Timestamp::from_datetime(
        now.as_datetime() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(72)),
    );
    diesel::update(
        activation_tokens::table
            .filter(activation_tokens::user_id.eq(user))
            .filter(activation_tokens::used_at.is_null()),
    )
    .set(activation_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    diesel::insert_into(activation_tokens::table)
        .values((
            activation_tokens::token_hash.eq(token_digest(&token)),
            activation_tokens::user_id.eq(user),
            activation_tokens::purpose.eq(purpose),
            activation_tokens::expires_at.eq(expires_at),
            activation_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok((token, expires_at))
}

/// The user a still-valid activation token belongs to.
pub fn find_activation_token(
    conn: &mut Conn,
    token: &str,
) -> Result<Option<(UserId, String)>, AppError> {
    let now = Timestamp::now();
    Ok(activation_tokens::table
        .filter(activation_tokens::token_hash.eq(token_digest(token)))
        .filter(activation_tokens::used_at.is_null())
        .filter(activation_tokens::expires_at.gt(now))
        .select((activation_tokens::user_id, activation_tokens::purpose))
        .first(conn)
        .optional()?)
}

/// Consumes the token and sets the password; fails with 409 if another request consumed it first.
pub fn set_password_with_token(
    conn: &mut Conn,
    token: &str,
    user: &User,
    purpose: &str,
    password_hash: String,
    request_id: Option<String>,
) -> Result<(), AppError> {
    let now = Timestamp::now();
    let consumed = diesel::update(
        activation_tokens::table
            .filter(activation_tokens::token_hash.eq(token_digest(token)))
            .filter(activation_tokens::used_at.is_null()),
    )
    .set(activation_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if consumed != 1 {
        return Err(AppError::conflict(
            "token_used",
            "the activation token has already been used",
        ));
    }
    diesel::update(users::table.find(user.id))
        .set((
            users::password_hash.eq(Some(password_hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    let revoked = sessions::revoke_user_sessions(conn, user.id)?;
    let ctx = AuditContext {
        actor: crate::audit::model::Actor::User {
            id: user.id,
            role: user.role,
            agency: user.agency_id,
        },
        request_id,
        at: now,
    };
    audit::append(
        conn,
        &ctx,
        NewAuditEvent::new("user.password_set", "user", user.id)
            .agency(user.agency_id)
            .payload(json!({"purpose": purpose, "sessions_revoked": revoked})),
    )?;
    Ok(())
}

/// Deletes tokens that expired or were used before `cutoff`.
pub fn prune_finished_before(conn: &mut Conn, cutoff: Timestamp) -> Result<usize, AppError> {
    Ok(diesel::delete(
        activation_tokens::table.filter(
            activation_tokens::expires_at
                .lt(cutoff)
                .or(activation_tokens::used_at.lt(cutoff)),
        ),
    )
    .execute(conn)?)
}
