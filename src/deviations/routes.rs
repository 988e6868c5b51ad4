//! HTTP surface of deviations: auditors, admins, HR and appointing officials read them in scope.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{DeviationId, DeviationKind, DeviationView};
use super::report::{self, DeviationCount, ReportFilter};
use super::store::{self, DeviationFilter};
use crate::agencies::model::AgencyId;
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviationReportQuery {
    /// One agency (national callers; an agency-bound caller sees only their own anyway).
    #[param(format = Uuid)]
    pub agency_id: Option<String>,
    /// The calendar year in WIB (UTC+7) in which the deviation was recorded.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub kind: Option<DeviationKind>,
    /// The official who decided.
    #[param(format = Uuid)]
    pub official_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviationReport {
    /// Every deviation in the filtered set and the caller's scope, by agency and kind.
    pub counts: Vec<DeviationCount>,
    /// The sum of `counts`.
    pub total: i64,
    /// One page of the deviations themselves, oldest first.
    pub items: Vec<DeviationView>,
    pub next_cursor: Option<String>,
}

fn uuid_param<T: std::str::FromStr>(
    field: &str,
    value: Option<String>,
) -> Result<Option<T>, AppError> {
    value
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| AppError::field(field, "is not an id"))
        })
        .transpose()
}

impl DeviationReportQuery {
    fn into_filter(self, scope: Option<AgencyId>) -> Result<ReportFilter, AppError> {
        if let Some(year) = self.year
            && !(report::MIN_YEAR..=report::MAX_YEAR).contains(&year)
        {
            return Err(AppError::field(
                "year",
                format!(
                    "must be between {} and {}",
                    report::MIN_YEAR,
                    report::MAX_YEAR
                ),
            ));
        }
        Ok(ReportFilter {
            scope,
            agency: uuid_param("agency_id", self.agency_id)?,
            year: self.year,
            kind: self.kind,
            official: uuid_param("official_id", self.official_id)?,
        })
    }
}

/// The deviations report (auditors, admins, HR officers and appointing officials, in their
/// scope): counts per agency and kind over everything the filters select, and the deviations
/// themselves page by page, each with its justification, official and audit event.
#[utoipa::path(get, path = "/api/v1/reports/deviations", tag = "deviations", params(PageQuery, DeviationReportQuery),
    responses((status = 200, body = DeviationReport), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn deviation_report(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<DeviationReportQuery>,
) -> Result<web::Json<DeviationReport>, AppError> {
    policy::authorize(&principal, Permission::DeviationRead)?;
    let limit = page.limit()?;
    let after = page.cursor::<DeviationId>()?;
    let filter = query
        .into_inner()
        .into_filter(policy::list_scope(&principal))?;
    sealer::seal_now(&state.db).await?;
    let view = state
        .db
        .run(move |conn| {
            let counts = report::counts(conn, &filter)?;
            let rows = report::page(conn, &filter, after, limit + 1)?;
            let (rows, next_cursor) = split_page(rows, limit, |d| d.id);
            let items = rows
                .into_iter()
                .map(|d| store::view(conn, d))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(DeviationReport {
                total: counts.iter().map(|c| c.count).sum(),
                counts,
                items,
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(view))
}
