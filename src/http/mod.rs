//! HTTP plumbing shared by every domain: extractors, pagination, idempotency, middleware,
//! metrics and health. It imports no domain module; the router lives at the crate root.

pub mod client_address;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod pagination;
pub mod upload;

use actix_web::error::InternalError;
use actix_web::{HttpResponse, web};

use crate::error::{AppError, FieldError};

/// Path, query and payload errors in the one problem format.
pub fn extractor_configs(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(web::PathConfig::default().error_handler(|err, _| {
        AppError::bad_request(
            "invalid_path_parameter",
            format!("a path parameter is malformed: {err}"),
        )
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _| query_problem(&err.to_string())))
    .app_data(web::PayloadConfig::new(max_body_bytes))
    .app_data(web::JsonConfig::default().limit(max_body_bytes));
}

/// A query string that does not fit: 400 `invalid_query`. A missing parameter is named in our own
/// words and in `errors` (the framework says only "missing field `stage`").
fn query_problem(message: &str) -> actix_web::Error {
    let Some(field) = missing_field(message) else {
        return AppError::bad_request(
            "invalid_query",
            format!("the query string is malformed: {message}"),
        )
        .into();
    };
    let error = AppError::bad_request(
        "invalid_query",
        format!("the query parameter `{field}` is missing"),
    );
    let mut problem = error.problem();
    problem.errors.push(FieldError::new(field, "is required"));
    let response = HttpResponse::build(actix_web::ResponseError::status_code(&error))
        .content_type("application/problem+json")
        .json(problem);
    InternalError::from_response(error, response).into()
}

/// The parameter named by serde's "missing field `name`" message, if that is what it says.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.split("missing field `").nth(1)?;
    let field = &rest[..rest.find('`')?];
    (!field.is_empty()).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::missing_field;

    #[test]
    fn a_missing_parameter_is_read_from_serdes_message() {
        assert_eq!(
            missing_field("Query deserialize error: missing field `stage`"),
            Some("stage")
        );
        assert_eq!(missing_field("missing field `stage`"), Some("stage"));
        assert_eq!(missing_field("invalid digit found in string"), None);
        assert_eq!(missing_field("missing field ``"), None);
    }
}
