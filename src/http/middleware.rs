//! Per-request plumbing: request id (echoed as `x-request-id`), a tracing span, access log line
//! and metrics. Never logs bodies, headers, tokens or personal data.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::app::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request headers beyond these get 431 in the problem format. actix-http itself answers a bare
/// 431 (no body) before any of our code runs for a head over 128 KiB or more than 96 headers.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
pub const MAX_HEADER_COUNT: usize = 64;

/// 431 `headers_too_large` for a request whose headers exceed [`MAX_HEADER_BYTES`] in all or
/// [`MAX_HEADER_COUNT`] in number.
pub async fn limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if bytes > MAX_HEADER_BYTES || headers.len() > MAX_HEADER_COUNT {
        let error = crate::error::AppError::HeadersTooLarge {
            max_bytes: MAX_HEADER_BYTES,
            max_count: MAX_HEADER_COUNT,
        };
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// 422 `invalid_text` for a path or query holding a NUL character (`%00`, the only way a request
/// line can carry one), on both backends alike: PostgreSQL refuses NUL in text, SQLite would
/// compare with it (see `crate::db::text`).
pub async fn refuse_nul_in_target(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let has_nul = |text: &str| {
        text.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    let uri = req.uri();
    let field = if has_nul(uri.path()) {
        Some("path")
    } else if uri.query().is_some_and(has_nul) {
        Some("query")
    } else {
        None
    };
    if let Some(field) = field {
        let error = crate::error::AppError::Invalid {
            code: "invalid_text",
            detail: "a text value contains a character the database does not accept".into(),
            errors: vec![crate::error::FieldError::new(
                field,
                "must not contain NUL characters",
            )],
        };
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The id of the current request, also recorded on every audit event it writes.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Keeps a caller's request id when it is short and plain, otherwise makes a new one.
fn request_id_for(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .filter(|v| {
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = request_id_for(&req);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request completed"
        )
    });
    Ok(response)
}
