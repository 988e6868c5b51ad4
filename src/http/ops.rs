//! Operational endpoints: liveness, readiness, metrics and the OpenAPI document.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::db;
use crate::error::{AppError, Problem};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` (process up) or `ready` (database reachable, migrations current).
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
    })
}

/// The database is reachable and every migration is applied; 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, AppError> {
    let current = state
        .db
        .run(|conn| {
            db::ping(conn)?;
            db::migrations_current(conn)
        })
        .await?;
    if !current {
        return Err(AppError::Unavailable {
            code: "migrations_pending",
            detail: "database migrations are not applied".into(),
        });
    }
    Ok(web::Json(Health {
        status: "ready".into(),
    }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let text = state.metrics.render(&state.db)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}

/// Unknown routes answer in the same problem format.
pub async fn route_not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound {
        code: "route_not_found",
        detail: "no such endpoint".into(),
    })
}

pub async fn method_not_allowed() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}
