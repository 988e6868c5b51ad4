//! Public, unauthenticated transparency endpoints: published openings with their rules, plan and
//! quota. Only what an applicant needs; no internal fields (timestamps of edits, lifecycle
//! bookkeeping, ids of officials).

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::model::PositionKind;
use super::catalogue::store as catalogue;
use super::eligibility::Eligibility;
use super::model::{Opening, OpeningId, OpeningKind, OpeningStatus};
use super::plan::{AssessmentPlan, SeatGroup};
use super::rounds::model::{RoundKind, RuleSetId};
use super::rounds::rules::RuleSetRules;
use super::rounds::store as rounds;
use super::routes::OpeningListQuery;
use super::store::{self, OpeningFilter};
use crate::agencies::store as agencies;
use crate::app::AppState;
use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::error::{AppError, Problem};
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAgency {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicPosition {
    pub code: String,
    pub title: String,
    pub kind: PositionKind,
    pub grade: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicRound {
    pub name: String,
    pub year: i32,
    pub kind: RoundKind,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicRuleSet {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub rules: RuleSetRules,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicOpening {
    pub id: OpeningId,
    pub code: String,
    pub agency: PublicAgency,
    pub position: PublicPosition,
    pub round: PublicRound,
    pub unit: String,
    pub location: String,
    pub kind: OpeningKind,
    pub status: OpeningStatus,
    pub quota: i32,
    pub seat_groups: Vec<SeatGroup>,
    pub eligibility: Eligibility,
    pub plan: AssessmentPlan,
    /// The national rules the plan was published under.
    pub rule_set: PublicRuleSet,
    #[schema(value_type = String, format = DateTime)]
    pub application_opens_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub application_closes_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicOpeningPage {
    pub items: Vec<PublicOpening>,
    pub next_cursor: Option<String>,
}

fn public_view(conn: &mut Conn, o: Opening) -> Result<PublicOpening, AppError> {
    let agency = agencies::find_by_id(conn, o.agency_id)?.ok_or_else(AppError::not_found)?;
    let position =
        catalogue::find_position(conn, o.position_id)?.ok_or_else(AppError::not_found)?;
    let round = rounds::find_round(conn, o.round_id)?.ok_or_else(AppError::not_found)?;
    let rule_set_id: RuleSetId = o.rule_set_id.ok_or_else(AppError::not_found)?;
    let rule_set = rounds::find_rule_set(conn, rule_set_id)?.ok_or_else(AppError::not_found)?;
    Ok(PublicOpening {
        seat_groups: o.parsed_seat_groups()?,
        eligibility: o.parsed_eligibility()?,
        plan: o.parsed_plan()?,
        kind: o.kind,
        status: o.status,
        id: o.id,
        code: o.code,
        agency: PublicAgency {
            code: agency.code,
            name: agency.name,
        },
        position: PublicPosition {
            kind: position.kind,
            code: position.code,
            title: position.title,
            grade: position.grade,
        },
        round: PublicRound {
            kind: round.kind,
            name: round.name,
            year: round.year,
        },
        rule_set: PublicRuleSet {
            rules: rule_set.parsed_rules()?,
            code: rule_set.code,
            name: rule_set.name,
            year: rule_set.year,
        },
        unit: o.unit,
        location: o.location,
        quota: o.quota,
        application_opens_at: o.application_opens_at,
        application_closes_at: o.application_closes_at,
        published_at: o.published_at,
    })
}

/// Published openings of every agency (no login), ordered by id.
#[utoipa::path(get, path = "/api/v1/public/openings", tag = "public", params(PageQuery, OpeningListQuery),
    responses((status = 200, body = PublicOpeningPage), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn list_public_openings(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
    query: web::Query<OpeningListQuery>,
) -> Result<web::Json<PublicOpeningPage>, AppError> {
    let limit = page.limit()?;
    let after = page.cursor::<OpeningId>()?;
    if query.status == Some(OpeningStatus::Draft) {
        return Ok(web::Json(PublicOpeningPage {
            items: vec![],
            next_cursor: None,
        }));
    }
    let filter = OpeningFilter {
        scope: None,
        status: query.status,
        round_id: query.round_id,
        published_only: true,
    };
    let (items, next_cursor) = state
        .db
        .run(move |conn| {
            let rows = store::list(conn, &filter, after, limit + 1)?;
            let (rows, next) = split_page(rows, limit, |o| o.id);
            let views = rows
                .into_iter()
                .map(|o| public_view(conn, o))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        })
        .await?;
    Ok(web::Json(PublicOpeningPage { items, next_cursor }))
}

/// One published opening (no login); drafts are not found.
#[utoipa::path(get, path = "/api/v1/public/openings/{id}", tag = "public", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PublicOpening), (status = 400, body = Problem), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn get_public_opening(
    state: web::Data<AppState>,
    id: web::Path<OpeningId>,
) -> Result<web::Json<PublicOpening>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| match store::find_by_id(conn, id)? {
            Some(o) if o.status != OpeningStatus::Draft => public_view(conn, o),
            _ => Err(AppError::not_found()),
        })
        .await?;
    Ok(web::Json(view))
}
