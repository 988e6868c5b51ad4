//! HTTP plumbing shared by every domain: extractors, pagination, idempotency, middleware,
//! metrics and health. It imports no domain module; the router lives at the crate root.

pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod pagination;
pub mod upload;

use actix_web::web;

use crate::error::AppError;

/// Path, query and payload errors in the one problem format.
pub fn extractor_configs(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(web::PathConfig::default().error_handler(|err, _| {
        AppError::bad_request(
            "invalid_path_parameter",
            format!("a path parameter is malformed: {err}"),
        )
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        AppError::bad_request(
            "invalid_query",
            format!("the query string is malformed: {err}"),
        )
        .into()
    }))
    .app_data(web::PayloadConfig::new(max_body_bytes))
    .app_data(web::JsonConfig::default().limit(max_body_bytes));
}
