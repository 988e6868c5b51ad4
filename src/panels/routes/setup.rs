//! The HR and auditor side of panels.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::applications::store as applications;
use crate::auth::policy::{self, Permission, Principal};
use crate::auth::store as users;
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};
use crate::openings::model::OpeningId;
use crate::openings::store as openings;
use crate::panels::analytics::{self, Divergence, RaterAnalytics};
use crate::panels::model::{ApplicationId, Panel, PanelId, PanelStatus, UserId};
use crate::panels::requests::{AddMemberRequest, CreatePanelRequest, Material, UnlockRequest};
use crate::panels::rubrics::store as rubrics;
use crate::panels::views::*;
use crate::panels::{conflicts, results, store};

/// The panel for those who oversee it by role (HR officers, appointing officials, auditors).
/// A sitting member, whatever their role has become, reaches it only as a member until its
/// scores are locked: these views link panel codes to applicants.
fn as_overseer(
    conn: &mut Conn,
    principal: &Principal,
    permission: Permission,
    find: impl FnOnce(&mut Conn) -> Result<Option<Panel>, AppError>,
) -> Result<Panel, AppError> {
    let panel = policy::load(conn, principal, permission, find)?;
    if panel.status != PanelStatus::Locked
        && store::find_member(conn, panel.id, principal.user_id)?.is_some()
    {
        return Err(AppError::Forbidden {
            code: "sitting_member",
            detail: "you sit on this panel: until its scores are locked you reach it only as a \
                     member"
                .into(),
        });
    }
    Ok(panel)
}

fn panel_view(conn: &mut Conn, panel: Panel) -> Result<PanelView, AppError> {
    let declarations = store::declarations(conn, panel.id)?;
    let members = store::members(conn, panel.id)?
        .into_iter()
        .map(|m| {
            let d = declarations.iter().find(|d| d.user_id == m.user_id);
            MemberView {
                user_id: m.user_id,
                chair: m.chair,
                internal: m.internal,
                political_party_member: m.political_party_member,
                declaration_version: d.map(|d| d.version),
                declared_at: d.map(|d| d.declared_at),
            }
        })
        .collect();
    let recusals = conflicts::assignments(conn, panel.id)?
        .iter()
        .filter(|a| a.recused_at.is_some())
        .count();
    Ok(PanelView::new(panel, members, recusals))
}

/// Set up the panel of a panel stage, or of the panel part of a composite stage (HR officer of
/// the opening's agency), before that stage starts; the plan gives the scorers per application,
/// blindness and the aggregate.
#[utoipa::path(post, path = "/api/v1/openings/{id}/panels", tag = "panels", request_body = CreatePanelRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_panel(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<OpeningId>,
    body: JsonBody<CreatePanelRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let opening = policy::load(conn, &principal, Permission::PanelManage, |c| {
                openings::find_for_update(c, id)
            })?;
            let rubric = rubrics::find_by_id(conn, request.rubric_id)?
                .filter(|r| r.agency_id == opening.agency_id)
                .ok_or_else(|| {
                    AppError::field("rubric_id", "no rubric of the opening's agency has this id")
                })?;
            let panel = store::create(conn, &ctx, &opening, &rubric, &request)?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The panels of an opening.
#[utoipa::path(get, path = "/api/v1/openings/{id}/panels", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_panels(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<OpeningId>,
) -> Result<web::Json<PanelList>, AppError> {
    let id = id.into_inner();
    let items = state
        .db
        .run(move |conn| {
            policy::load(conn, &principal, Permission::PanelRead, |c| {
                openings::find_by_id(c, id)
            })?;
            store::for_opening(conn, id)?
                .into_iter()
                .map(|p| panel_view(conn, p))
                .collect()
        })
        .await?;
    Ok(web::Json(PanelList { items }))
}

/// One panel with its members, their declarations (versions, never contents) and the recusal
/// count.
#[utoipa::path(get, path = "/api/v1/panels/{id}", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_panel(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<PanelView>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelRead, |c| {
                store::find_by_id(c, id)
            })?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(web::Json(view))
}

/// Add a member (HR officer): a panelist, or an HR officer or appointing official of any agency
/// acting as one; membership grants scoring on this panel only.
#[utoipa::path(post, path = "/api/v1/panels/{id}/members", tag = "panels", request_body = AddMemberRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 201, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn add_member(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
    body: JsonBody<AddMemberRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelManage, |c| {
                store::find_for_update(c, id)
            })?;
            let user = users::find_by_id(conn, request.user_id)?
                .ok_or_else(|| AppError::field("user_id", "no active user has this id"))?;
            store::add_member(conn, &ctx, &panel, &user, &request, Some(principal.user_id))?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Remove a member before the stage starts (HR officer); their grant is revoked.
#[utoipa::path(delete, path = "/api/v1/panels/{id}/members/{user_id}", tag = "panels",
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn remove_member(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, UserId)>,
) -> Result<web::Json<PanelView>, AppError> {
    let (id, user) = path.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelManage, |c| {
                store::find_for_update(c, id)
            })?;
            store::remove_member(conn, &ctx, &panel, user)?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(web::Json(view))
}

/// Attach (or replace) one application's stage material (HR officer): written answers and
/// work-sample references. Panelists read only its redacted copy, made now.
#[utoipa::path(put, path = "/api/v1/panels/{id}/applications/{application_id}/material", tag = "panels",
    request_body = Material, params(("id" = String, Path, format = Uuid), ("application_id" = String, Path, format = Uuid)),
    responses((status = 200, body = MaterialView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn attach_material(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    path: web::Path<(PanelId, ApplicationId)>,
    body: JsonBody<Material>,
) -> Result<web::Json<MaterialView>, AppError> {
    let (id, application) = path.into_inner();
    let material = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let vault = state.identities.clone();
    let entry = state
        .db
        .write(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelManage, |c| {
                store::find_for_update(c, id)
            })?;
            let application = applications::find_for_update(conn, application)?
                .filter(|a| a.opening_id == panel.opening_id)
                .ok_or_else(AppError::not_found)?;
            store::attach_material(conn, &ctx, &vault, &panel, &application, &material)
        })
        .await?;
    Ok(web::Json(material_view(entry)?))
}

fn material_view(entry: crate::panels::model::Entry) -> Result<MaterialView, AppError> {
    let parse = |m: Option<String>| -> Result<Material, AppError> {
        let text = m.ok_or_else(AppError::not_found)?;
        serde_json::from_str(&text).map_err(AppError::internal_from)
    };
    Ok(MaterialView {
        application_id: entry.application_id,
        panel_code: entry.panel_code,
        updated_at: entry.material_updated_at.ok_or_else(AppError::not_found)?,
        material: parse(entry.material)?,
        redacted: parse(entry.material_redacted)?,
    })
}

/// One application's stage material as HR recorded it, with the redacted copy (HR officer).
#[utoipa::path(get, path = "/api/v1/panels/{id}/applications/{application_id}/material", tag = "panels",
    params(("id" = String, Path, format = Uuid), ("application_id" = String, Path, format = Uuid)),
    responses((status = 200, body = MaterialView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_material(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(PanelId, ApplicationId)>,
) -> Result<web::Json<MaterialView>, AppError> {
    let (id, application) = path.into_inner();
    let entry = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelManage, |c| {
                store::find_by_id(c, id)
            })?;
            store::find_entry(conn, panel.id, application)?.ok_or_else(AppError::not_found)
        })
        .await?;
    Ok(web::Json(material_view(entry)?))
}

/// Who scores which application (HR officers, auditors), with the assignment's seed.
#[utoipa::path(get, path = "/api/v1/panels/{id}/assignments", tag = "panels",
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, body = AssignmentPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<AssignmentPage>, AppError> {
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<ApplicationId>()?;
    let (seed, rows) = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelRead, |c| {
                store::find_by_id(c, id)
            })?;
            let rows = results::assignment_views(conn, &panel, after, limit + 1)?;
            Ok((panel.assignment_seed, rows))
        })
        .await?;
    let (items, next_cursor) = split_page(rows, limit, |a| a.application_id);
    Ok(web::Json(AssignmentPage {
        assignment_seed: seed,
        items,
        next_cursor,
    }))
}

/// Every recusal with its basis (HR officers, auditors): the relation kind of a matched
/// declaration or the panelist's own reason; never the relative's name or numbers.
#[utoipa::path(get, path = "/api/v1/panels/{id}/recusals", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RecusalList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_recusals(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<RecusalList>, AppError> {
    let id = id.into_inner();
    let items = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelRead, |c| {
                store::find_by_id(c, id)
            })?;
            results::recusal_views(conn, &panel)
        })
        .await?;
    Ok(web::Json(RecusalList { items }))
}

fn basis_of(conn: &mut Conn, panel: &Panel) -> Result<results::Basis, AppError> {
    let opening = openings::find_by_id(conn, panel.opening_id)?.ok_or_else(AppError::not_found)?;
    let target = store::target_of(&opening, panel)?;
    results::basis(conn, panel, (target.score_min, target.score_max))
}

/// Each application's stage result (HR officers, auditors): per criterion, the weighted total
/// and the stage score as integer × 100, the number of scorers and the divergence flag.
#[utoipa::path(get, path = "/api/v1/panels/{id}/results", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_panel_results(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<PanelResults>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelRead, |c| {
                store::find_by_id(c, id)
            })?;
            let basis = basis_of(conn, &panel)?;
            let items = results::results(conn, &panel, &basis)?;
            Ok(PanelResults {
                panel_id: panel.id,
                part_code: (!panel.part_code.is_empty()).then(|| panel.part_code.clone()),
                stage_code: panel.stage_code.clone(),
                status: panel.status,
                scale_min: basis.scale.min as i32,
                scale_max: basis.scale.max as i32,
                score_min: basis.range.min as i32,
                score_max: basis.range.max as i32,
                items,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Rater analytics (auditors, HR officers): each panelist's leniency or severity and score
/// distribution, inter-rater reliability (ICC) with its band, divergences and recusals.
#[utoipa::path(get, path = "/api/v1/panels/{id}/analytics", tag = "panels", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RaterAnalytics), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_rater_analytics(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<PanelId>,
) -> Result<web::Json<RaterAnalytics>, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::PanelRead, |c| {
                store::find_by_id(c, id)
            })?;
            let basis = basis_of(conn, &panel)?;
            let scores = results::scores_by_application(conn, &panel)?;
            let divergences = results::results(conn, &panel, &basis)?
                .into_iter()
                .filter_map(|r| {
                    let spread = r.result.as_ref().filter(|a| a.divergent)?.spread_x100;
                    Some(Divergence {
                        application_id: r.application_id,
                        panel_code: r.panel_code,
                        spread_x100: spread,
                        moderated: r.moderation_note.is_some(),
                    })
                })
                .collect();
            let recusals = conflicts::assignments(conn, panel.id)?
                .iter()
                .filter(|a| a.recused_at.is_some())
                .count();
            Ok(RaterAnalytics {
                panel_id: panel.id,
                raters: analytics::rater_stats(&scores)?,
                reliability: analytics::reliability_of(&scores),
                divergences,
                recusals,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Re-open a locked panel (appointing official): a deviation with its justification, while
/// the opening's stage is neither locked nor behind it (409 `stage_locked` then).
#[utoipa::path(post, path = "/api/v1/panels/{id}/unlock", tag = "panels", request_body = UnlockRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PanelView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn unlock_panel(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<PanelId>,
    body: JsonBody<UnlockRequest>,
) -> Result<web::Json<PanelView>, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let view = state
        .db
        .write(move |conn| {
            let panel = as_overseer(conn, &principal, Permission::OpeningDeviate, |c| {
                store::find_for_update(c, id)
            })?;
            let opening = openings::find_for_update(conn, panel.opening_id)?
                .ok_or_else(AppError::not_found)?;
            let index = store::target_of(&opening, &panel)?.stage_index as i32;
            let current = opening.current_stage.unwrap_or(-1);
            let stage_settled = current > index || (current == index && opening.stage_locked);
            results::unlock(
                conn,
                &ctx,
                &panel,
                principal.user_id,
                stage_settled,
                &request.justification,
            )?;
            let panel = store::find_by_id(conn, id)?.ok_or_else(AppError::not_found)?;
            panel_view(conn, panel)
        })
        .await?;
    Ok(web::Json(view))
}
