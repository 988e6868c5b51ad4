//! The HR side of panels: setting one up, its members and the stage material; what HR and
//! auditors read of it afterwards is in `oversight`.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::applications::store as applications;
use crate::auth::policy::{self, Permission, Principal};
use crate::auth::store as users;
use crate::db::Conn;
use crate::error::{AppError, Problem};
use crate::http::extract::JsonBody;
use crate::http::middleware::RequestId;
use crate::openings::model::OpeningId;
use crate::openings::store as openings;
use crate::panels::model::{ApplicationId, Panel, PanelId, PanelStatus, UserId};
use crate::panels::requests::{AddMemberRequest, CreatePanelRequest, Material};
use crate::panels::rubrics::store as rubrics;
use crate::panels::views::*;
use crate::panels::{conflicts, declarations, material, store};

/// The panel for those who oversee it by role (HR officers, appointing officials, auditors).
/// A sitting member, whatever their role has become, reaches it only as a member until its
/// scores are locked: these views link panel codes to applicants.
pub(super) fn as_overseer(
    conn: &mut Conn,
    principal: &Principal,
    permission: Permission,
    find: impl FnOnce(&mut Conn) -> Result<Option<Panel>, AppError>,
) -> Result<Panel, AppError> {
    let panel = policy::load(conn, principal, permission, find)?;
    refuse_sitting_member(conn, principal, &panel)?;
    Ok(panel)
}

fn refuse_sitting_member(
    conn: &mut Conn,
    principal: &Principal,
    panel: &Panel,
) -> Result<(), AppError> {
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
    Ok(())
}

/// [`as_overseer`] for reading the panel `id` (`panel_read`).
pub(super) fn read_as_overseer(
    conn: &mut Conn,
    principal: &Principal,
    id: PanelId,
) -> Result<Panel, AppError> {
    as_overseer(conn, principal, Permission::PanelRead, |c| {
        store::find_by_id(c, id)
    })
}

pub(super) fn panel_view(conn: &mut Conn, panel: Panel) -> Result<PanelView, AppError> {
    let declarations = declarations::declarations(conn, panel.id)?;
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

/// The panels of an opening (403 `sitting_member` to a member of one of them until it locks).
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
            let panels = store::for_opening(conn, id)?;
            for panel in &panels {
                refuse_sitting_member(conn, &principal, panel)?;
            }
            panels.into_iter().map(|p| panel_view(conn, p)).collect()
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
            let panel = read_as_overseer(conn, &principal, id)?;
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
            material::attach_material(conn, &ctx, &vault, &panel, &application, &material)
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
