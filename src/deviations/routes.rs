//! HTTP surface of deviations: auditors, admins, HR and appointing officials read them in scope.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{DeviationId, DeviationKind, DeviationView};
use super::store::{self, DeviationFilter};
use crate::app::AppState;
use crate::audit::sealer;
use crate::auth::policy::{self, Permission, Principal};
use crate::error::{AppError, Problem};
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviationPage {
    pub items: Vec<DeviationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviationListQuery {
    pub kind: Option<DeviationKind>,
    /// e.g. `opening`.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

/// Every deviation in the caller's scope, oldest first.
#[utoipa::path(get, path = "/api/v1/deviations", tag = "deviations", params(PageQuery, DeviationListQuery),
    responses((status = 200, body = DeviationPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_deviations(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<DeviationListQuery>,
) -> Result<web::Json<DeviationPage>, AppError> {
    policy::authorize(&principal, Permission::DeviationRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<DeviationId>()?;
    let query = query.into_inner();
    let filter = DeviationFilter {
        scope: policy::list_scope(&principal),
        kind: query.kind,
        object_type: query.object_type,
        object_id: query.object_id,
    };
    sealer::seal_now(&state.db).await?;
    let (items, next_cursor) = state
        .db
        .run(move |conn| {
            let rows = store::list(conn, &filter, after, limit + 1)?;
            let (rows, next) = split_page(rows, limit, |d| d.id);
            let views = rows
                .into_iter()
                .map(|d| store::view(conn, d))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        })
        .await?;
    Ok(web::Json(DeviationPage { items, next_cursor }))
}

/// One deviation with its justification and audit event.
#[utoipa::path(get, path = "/api/v1/deviations/{id}", tag = "deviations", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = DeviationView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_deviation(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<DeviationId>,
) -> Result<web::Json<DeviationView>, AppError> {
    let id = id.into_inner();
    // Sealed first, so the view can name the deviation's place in the chain.
    sealer::seal_now(&state.db).await?;
    let view = state
        .db
        .run(move |conn| {
            let deviation = policy::load(conn, &principal, Permission::DeviationRead, |c| {
                store::find_by_id(c, id)
            })?;
            store::view(conn, deviation)
        })
        .await?;
    Ok(web::Json(view))
}
