//! One error type for the whole service, rendered as RFC 9457 `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbTrouble;

/// A boxed cause kept inside an internal error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, e.g. `email` or `stages[2].weight`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details, as every error leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `opening_not_published`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Not found, or not in the caller's scope: the two are deliberately indistinguishable.
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("this method is not allowed on this endpoint")]
    MethodNotAllowed,
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    /// The body stopped arriving: nothing for `idle_secs` seconds.
    #[error("no part of the request body arrived for {idle_secs} s")]
    RequestTimeout { idle_secs: u64 },
    #[error("the request headers exceed {max_bytes} bytes or {max_count} fields")]
    HeadersTooLarge { max_bytes: usize, max_count: usize },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("{detail}")]
    Invalid {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("too many requests")]
    TooManyRequests {
        code: &'static str,
        retry_after_secs: u64,
    },
    #[error("{detail}")]
    Unavailable { code: &'static str, detail: String },
    /// A fault of ours, never of the caller's input: logged with its cause chain and the request
    /// id, answered as a bare 500 without the detail.
    #[error("internal error: {detail}")]
    Internal {
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            detail: detail.into(),
        }
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "forbidden",
            detail: detail.into(),
        }
    }
    pub fn not_found() -> Self {
        Self::NotFound {
            code: "not_found",
            detail: "the resource does not exist or is outside your scope".into(),
        }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::Invalid {
            code: "validation_failed",
            detail: "one or more fields are invalid".into(),
            errors,
        }
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable {
            code: "database_unavailable",
            detail: detail.into(),
        }
    }
    pub fn pool_exhausted() -> Self {
        Self::Unavailable {
            code: "service_overloaded",
            detail: "no database connection became free in time; retry shortly".into(),
        }
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal {
            detail: detail.into(),
            source: None,
        }
    }
    /// An error that cannot come from the caller's input (e.g. serialising our own value); it
    /// is kept as the source, so the log shows its whole chain.
    pub fn internal_from(error: impl Into<BoxError>) -> Self {
        let source = error.into();
        Self::Internal {
            detail: source.to_string(),
            source: Some(source),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Invalid { code, .. }
            | Self::TooManyRequests { code, .. }
            | Self::Unavailable { code, .. } => code,
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::RequestTimeout { .. } => "body_timeout",
            Self::HeadersTooLarge { .. } => "headers_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::Internal { .. } => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            // Internal details go to the log, never to the client.
            Self::Internal { .. } => "an unexpected error occurred; it has been logged".to_string(),
            Self::PayloadTooLarge { limit } => format!("the request body exceeds {limit} bytes"),
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                format!("too many attempts; retry after {retry_after_secs} seconds")
            }
            other => other.to_string(),
        };
        let errors = match self {
            Self::Invalid { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!(
                "https://asn-merit.go.id/problems/{}",
                self.code().replace('_', "-")
            ),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal { detail, source } = self {
            tracing::error!(error = %detail, causes = %cause_chain(source.as_deref()), "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let Self::RequestTimeout { .. } = self {
            // The rest of the body may still come: the connection cannot be reused.
            response.force_close();
        }
        if let Self::Unauthorized { .. } = self {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        match serde_json::to_string(&self.problem()) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::not_found(),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => Self::conflict(
                    "already_exists",
                    "a record with the same unique value already exists",
                ),
                DatabaseErrorKind::ForeignKeyViolation => Self::conflict(
                    "still_referenced",
                    "the record is referenced by, or refers to, another record",
                ),
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Self::unavailable("the database connection was lost")
                }
                DatabaseErrorKind::SerializationFailure => Self::Unavailable {
                    code: "write_conflict",
                    detail: "a concurrent change interfered; retry".into(),
                },
                _ => match crate::db::trouble_of(info.message()) {
                    Some(DbTrouble::TextRejected) => Self::invalid(
                        "invalid_text",
                        "a text value contains a character the database does not accept",
                    ),
                    Some(DbTrouble::Busy) => Self::Unavailable {
                        code: "database_busy",
                        detail: "the database is busy; retry shortly".into(),
                    },
                    Some(DbTrouble::ConnectionGone) => {
                        Self::unavailable("the database connection was lost")
                    }
                    None => Self::Internal {
                        detail: format!("database error: {}", info.message()),
                        source: None,
                    },
                },
            },
            other => Self::Internal {
                detail: "database error".into(),
                source: Some(Box::new(other)),
            },
        }
    }
}

/// `error: cause: cause ...` for the log.
fn cause_chain(source: Option<&(dyn std::error::Error + Send + Sync + 'static)>) -> String {
    let mut chain = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = source.map(|e| e as _);
    while let Some(error) = next {
        chain.push(error.to_string());
        next = error.source();
    }
    chain.join(": ")
}

impl From<diesel::ConnectionError> for AppError {
    fn from(error: diesel::ConnectionError) -> Self {
        Self::unavailable(format!("cannot connect to the database: {error}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
