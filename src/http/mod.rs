//! HTTP plumbing: router assembly, extractors, request ids, metrics, pagination, idempotency.

pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod state;

use actix_web::{Resource, web};

use crate::error::AppError;
use crate::{agencies, audit, auth};

/// A resource whose unsupported methods answer 405 in the problem format.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(ops::method_not_allowed))
}

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    #[cfg(feature = "bench-baselines")]
    cfg.configure(crate::bench_baselines::routes);
    cfg.service(resource("/healthz").route(web::get().to(ops::healthz)))
        .service(resource("/readyz").route(web::get().to(ops::readyz)))
        .service(resource("/metrics").route(web::get().to(ops::metrics)))
        .service(
            web::scope("/api/v1")
                .service(resource("/openapi.json").route(web::get().to(ops::openapi_json)))
                .service(resource("/auth/login").route(web::post().to(auth::routes::login_user)))
                .service(resource("/auth/logout").route(web::post().to(auth::routes::logout_user)))
                .service(
                    resource("/auth/activate")
                        .route(web::post().to(auth::routes::activate_account)),
                )
                .service(resource("/me").route(web::get().to(auth::routes::get_me)))
                .service(
                    resource("/users")
                        .route(web::get().to(auth::routes::list_users))
                        .route(web::post().to(auth::routes::create_user)),
                )
                .service(
                    resource("/users/{id}")
                        .route(web::get().to(auth::routes::get_user))
                        .route(web::patch().to(auth::routes::update_user)),
                )
                .service(
                    resource("/users/{id}/reset-password")
                        .route(web::post().to(auth::routes::reset_password)),
                )
                .service(
                    resource("/agencies")
                        .route(web::get().to(agencies::routes::list_agencies))
                        .route(web::post().to(agencies::routes::create_agency)),
                )
                .service(
                    resource("/agencies/{id}")
                        .route(web::get().to(agencies::routes::get_agency))
                        .route(web::patch().to(agencies::routes::update_agency))
                        .route(web::delete().to(agencies::routes::delete_agency)),
                )
                .service(resource("/audit/events").route(web::get().to(audit::routes::list_events)))
                .service(
                    resource("/audit/verify").route(web::get().to(audit::routes::verify_chain)),
                )
                .service(
                    resource("/audit/checkpoints")
                        .route(web::get().to(audit::routes::list_checkpoints))
                        .route(web::post().to(audit::routes::create_checkpoint)),
                ),
        );
}

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
