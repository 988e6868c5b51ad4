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

/// What `/readyz` allows beyond the pool's acquire timeout for the ping itself.
const READY_MARGIN: std::time::Duration = std::time::Duration::from_millis(500);

/// The database answers within the pool's acquire timeout and every migration is applied; 503
/// otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, AppError> {
    let check = state.db.run(|conn| {
        db::ping(conn)?;
        db::migrations_current(conn)
    });
    // A server whose database calls cannot start (pool or blocking threads all held) is not
    // ready, however long the queue: the orchestrator should restart it.
    let deadline = state.config.db_acquire_timeout + READY_MARGIN;
    let current = actix_web::rt::time::timeout(deadline, check)
        .await
        .map_err(|_| AppError::Unavailable {
            code: "database_unreachable",
            detail: format!(
                "the database did not answer within {} ms",
                deadline.as_millis()
            ),
        })??;
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
