//! `Idempotency-Key` on creating POSTs: the same key and body within 24 hours return the first
//! response; the same key with another body is 422. The key is stored in the transaction that
//! creates the object, so a retry can never create it twice.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::idempotency_keys;
use crate::db::types::Timestamp;
use crate::db::{Conn, Database, write_transaction};
use crate::error::AppError;
use crate::ids::UserId;

pub const HEADER: &str = "idempotency-key";
const RETENTION_HOURS: i64 = 24;

/// The optional `Idempotency-Key` header (1 to 200 visible ASCII characters), with the time the
/// request is served (from the server's clock) for the 24-hour replay window.
pub struct IdempotencyKey(pub Option<String>, pub Timestamp);

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let at = req
            .app_data::<actix_web::web::Data<crate::app::AppState>>()
            .map(|state| state.clock.now())
            .unwrap_or_else(Timestamp::now);
        let key = match req.headers().get(HEADER) {
            None => Ok(IdempotencyKey(None, at)),
            Some(value) => value
                .to_str()
                .ok()
                .filter(|v| {
                    !v.is_empty() && v.len() <= 200 && v.chars().all(|c| c.is_ascii_graphic())
                })
                .map(|v| IdempotencyKey(Some(v.to_string()), at))
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                }),
        };
        std::future::ready(key)
    }
}

impl IdempotencyKey {
    /// Binds the key to its caller and to one operation and body: the same key used for another
    /// endpoint or another body is a reuse (422), never a replay.
    pub fn bind(self, user: UserId, operation: &str, body_sha256: &str) -> Option<Idempotent> {
        let at = self.1;
        self.0.map(|key| Idempotent {
            user,
            key,
            request_hash: format!("{operation} {body_sha256}"),
            at,
        })
    }
}

/// One idempotent request: who, which key, and the hash of its body.
#[derive(Clone)]
pub struct Idempotent {
    pub user: UserId,
    pub key: String,
    pub request_hash: String,
    pub at: Timestamp,
}

/// A response to send, possibly replayed from the first request with the same key.
pub struct StoredResponse {
    pub status: StatusCode,
    pub body: String,
    pub replayed: bool,
}

impl StoredResponse {
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if self.replayed {
            response.insert_header(("idempotency-replayed", "true"));
        }
        response.body(self.body)
    }
}

fn lookup(conn: &mut Conn, request: &Idempotent) -> Result<Option<StoredResponse>, AppError> {
    let cutoff = Timestamp::from_datetime(
        request.at.as_datetime() - chrono::Duration::hours(RETENTION_HOURS),
    );
    let row: Option<(String, i32, String, Timestamp)> = idempotency_keys::table
        .find((request.user, &request.key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    match row {
        Some((hash, status, body, created)) if created > cutoff => {
            if hash != request.request_hash {
                return Err(AppError::invalid(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request body",
                ));
            }
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            Ok(Some(StoredResponse {
                status,
                body,
                replayed: true,
            }))
        }
        Some(_) => {
            diesel::delete(idempotency_keys::table.find((request.user, &request.key)))
                .execute(conn)?;
            Ok(None)
        }
        None => Ok(None),
    }
}

fn remember(
    conn: &mut Conn,
    request: &Idempotent,
    status: StatusCode,
    body: &str,
) -> Result<(), AppError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(request.user),
            idempotency_keys::idempotency_key.eq(&request.key),
            idempotency_keys::request_hash.eq(&request.request_hash),
            idempotency_keys::response_status.eq(i32::from(status.as_u16())),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::created_at.eq(request.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Runs `create` in one write transaction unless the key was seen; stores the response with the
/// key in that same transaction. A concurrent twin that loses the race gets the winner's response.
/// Removes what a replay must not repeat (a one-time secret) from the stored copy.
pub type Redact = fn(&mut serde_json::Value);

/// Stores the response as it was sent.
pub fn keep_all(_: &mut serde_json::Value) {}

pub async fn run_once<T, F>(
    db: &Database,
    request: Option<Idempotent>,
    status: StatusCode,
    redact: Redact,
    create: F,
) -> Result<HttpResponse, AppError>
where
    T: Serialize + 'static,
    F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
{
    run_once_on(
        db,
        request,
        status,
        redact,
        |_| Ok(()),
        |conn, ()| create(conn),
    )
    .await
}

/// [`run_once`] for a creation under an object: `load` finds and authorizes the object in the
/// same transaction, before any replay, so a caller who lost access gets no stored response.
pub async fn run_once_on<O, T, L, F>(
    db: &Database,
    request: Option<Idempotent>,
    status: StatusCode,
    redact: Redact,
    load: L,
    create: F,
) -> Result<HttpResponse, AppError>
where
    T: Serialize + 'static,
    L: FnOnce(&mut Conn) -> Result<O, AppError> + Send + 'static,
    F: FnOnce(&mut Conn, O) -> Result<T, AppError> + Send + 'static,
{
    let attempt = request.clone();
    let result = db
        .write(move |conn| {
            let object = load(conn)?;
            if let Some(request) = &attempt
                && let Some(stored) = lookup(conn, request)?
            {
                return Ok(stored);
            }
            let value = create(conn, object)?;
            let body = serde_json::to_string(&value)
                .map_err(|e| AppError::internal(format!("serialise: {e}")))?;
            let response = StoredResponse {
                status,
                body,
                replayed: false,
            };
            if let Some(request) = &attempt {
                let mut stored = serde_json::to_value(&value)
                    .map_err(|e| AppError::internal(format!("serialise: {e}")))?;
                redact(&mut stored);
                remember(conn, request, status, &stored.to_string())?;
            }
            Ok(response)
        })
        .await;
    match (result, request) {
        (Err(conflict @ AppError::Conflict { .. }), Some(request)) => {
            let replay = db
                .run(move |conn| write_transaction(conn, |conn| lookup(conn, &request)))
                .await?;
            replay.map(StoredResponse::into_response).ok_or(conflict)
        }
        (result, _) => result.map(StoredResponse::into_response),
    }
}

/// Deletes stored responses older than the 24-hour replay window. Returns the count.
pub fn prune_expired(conn: &mut Conn, now: Timestamp) -> Result<usize, AppError> {
    let cutoff =
        Timestamp::from_datetime(now.as_datetime() - chrono::Duration::hours(RETENTION_HOURS));
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
            .execute(conn)?,
    )
}
