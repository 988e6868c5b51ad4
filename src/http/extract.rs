//! Request extractors: validated JSON bodies, the request id, and the authenticated principal.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::json::{self, JsonProblem};
use super::middleware::RequestId;
use crate::app::AppState;
use crate::error::{AppError, FieldError};

/// A JSON body, size-limited, deserialised with the failing field's path, then validated.
/// Also keeps the SHA-256 of the raw body for idempotency checks.
pub struct JsonBody<T> {
    pub value: T,
    pub body_sha256: String,
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, idle) = req
            .app_data::<web::Data<AppState>>()
            .map(|s| (s.config.max_body_bytes, s.config.body_timeout))
            .unwrap_or((1024 * 1024, std::time::Duration::from_secs(30)));
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType {
                    detail: "the request body must be application/json".into(),
                });
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = super::upload::next_chunk(&mut payload, idle).await? {
                if body.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            let value = parse_json::<T>(&body)?;
            value
                .validate()
                .map_err(|e| AppError::validation(field_errors(&e)))?;
            Ok(JsonBody {
                value,
                body_sha256: hex::encode(Sha256::digest(&body)),
            })
        })
    }
}

/// Malformed JSON is 400, and so is an object naming a key twice (checked first, over the whole
/// body); well-formed JSON with text no database stores, wrong types (an array for an object
/// too), unknown fields or unknown enum values is 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value = json::parse_value(body).map_err(|problem| match problem {
        JsonProblem::Syntax(e) => {
            AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        JsonProblem::DuplicateKey(key) => AppError::bad_request(
            "duplicate_key",
            format!("the key `{key}` appears more than once in one object"),
        ),
    })?;
    if let Some((field, why)) = json::unstorable_text(&value) {
        return Err(AppError::field(&field, why));
    }
    serde_path_to_error::deserialize::<_, T>(json::Objects(value)).map_err(|error| {
        let path = error.path().to_string();
        let message = strip_position(&error.into_inner().to_string());
        AppError::Invalid {
            code: "invalid_body",
            detail: "the body does not have the expected shape".into(),
            errors: vec![FieldError::new(field_of(&path, &message), message)],
        }
    })
}

/// For `#[validate(custom(function = ...))]`: text that is only white space is empty.
///
/// The document says it with the pattern
/// `[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]` (one character
/// that is not Unicode White_Space, which is what `str::trim` removes); `\S` would not do, as
/// regex dialects disagree with Rust and with each other on U+0085, U+FEFF and U+001C-U+001F.
pub fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() {
        Err(validator::ValidationError::new("blank").with_message("must not be blank".into()))
    } else {
        Ok(())
    }
}

/// The failing field: serde reports a missing field at its parent's path, with the field's name
/// only in the message.
fn field_of(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    match (parent, named) {
        ("", Some(name)) => name.to_string(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_string(),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Flattens validator's nested errors into `[{field, message}]` with dotted paths.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect_errors(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect_errors(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_errors(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_errors(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(error: &validator::ValidationError) -> String {
    match error.code.as_ref() {
        "length" => {
            let min = error.params.get("min").map(|v| v.to_string());
            let max = error.params.get("max").map(|v| v.to_string());
            match (min, max) {
                (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
                (Some(min), None) => format!("length must be at least {min}"),
                (None, Some(max)) => format!("length must be at most {max}"),
                _ => "invalid length".into(),
            }
        }
        "range" => "out of range".into(),
        "email" => "must be an email address".into(),
        other => format!("invalid ({other})"),
    }
}

impl FromRequest for RequestId {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
        std::future::ready(Ok(id))
    }
}
