//! Panel setup queries: creating a panel for a plan entry, its members (each membership is a
//! `panel_score` grant on the panel) and the panel codes of its applications. Declarations are
//! in `declarations`, stage material in `material`. Every change is audited in the caller's
//! transaction.

use diesel::prelude::*;

use super::events::PanelEvent;
use super::model::*;
use super::requests::{AddMemberRequest, CreatePanelRequest};
use super::rubrics::model::Rubric;
use super::rules::{self, PanelTarget};
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::auth::grants::{model::NewGrant, store as grants};
use crate::auth::model::User;
use crate::auth::policy::{ObjectKind, ObjectRef, Permission};
use crate::db::Conn;
use crate::db::schema::{panel_entries, panel_members, panels};
use crate::error::AppError;
use crate::openings::model::{Opening, OpeningStatus};
use crate::roles::Role;

pub const DEFAULT_DIVERGENCE_X100: i32 = 150;

pub fn find_by_id(conn: &mut Conn, id: PanelId) -> Result<Option<Panel>, AppError> {
    Ok(panels::table.find(id).first(conn).optional()?)
}

/// The panel, locked until the transaction ends (every write to a panel's rows takes it first).
pub fn find_for_update(conn: &mut Conn, id: PanelId) -> Result<Option<Panel>, AppError> {
    Ok(crate::find_for_update!(conn, panels, id)?)
}

pub fn for_opening(conn: &mut Conn, opening: OpeningId) -> Result<Vec<Panel>, AppError> {
    Ok(panels::table
        .filter(panels::opening_id.eq(opening))
        .order(panels::id.asc())
        .load(conn)?)
}

/// The plan entry the panel scores.
pub fn target_of(opening: &Opening, panel: &Panel) -> Result<PanelTarget, AppError> {
    let part = (!panel.part_code.is_empty()).then_some(panel.part_code.as_str());
    rules::panel_target(&opening.parsed_plan()?, &panel.stage_code, part)
}

/// A panel for one panel stage or panel part of a published opening, before that stage starts.
pub fn create(
    conn: &mut Conn,
    ctx: &AuditContext,
    opening: &Opening,
    rubric: &Rubric,
    request: &CreatePanelRequest,
) -> Result<Panel, AppError> {
    if opening.status == OpeningStatus::Draft {
        return Err(AppError::conflict(
            "opening_not_published",
            "a panel is set up once the opening's plan is published",
        ));
    }
    let target = rules::panel_target(
        &opening.parsed_plan()?,
        &request.stage_code,
        request.part_code.as_deref(),
    )?;
    if opening
        .current_stage
        .is_some_and(|c| c as usize >= target.stage_index)
    {
        return Err(AppError::conflict(
            "stage_started",
            format!("stage {} has already started", request.stage_code),
        ));
    }
    if rubric.agency_id != opening.agency_id {
        return Err(AppError::field(
            "rubric_id",
            "no rubric of the opening's agency has this id",
        ));
    }
    if target.spec.rubric_id.is_some_and(|id| id != rubric.id.0) {
        return Err(AppError::field(
            "rubric_id",
            "the published plan names another rubric for this stage",
        ));
    }
    let panel = Panel {
        id: PanelId::generate(),
        opening_id: opening.id,
        agency_id: opening.agency_id,
        stage_code: request.stage_code.clone(),
        part_code: request.part_code.clone().unwrap_or_default(),
        rubric_id: rubric.id,
        min_scorers: target.spec.min_scorers,
        blind: target.spec.blind,
        aggregate: aggregate_text(target.spec.aggregate).into(),
        divergence_spread_x100: request
            .divergence_spread_x100
            .unwrap_or(DEFAULT_DIVERGENCE_X100),
        status: PanelStatus::Forming,
        assignment_seed: None,
        started_at: None,
        locked_at: None,
        created_at: ctx.at,
        updated_at: ctx.at,
    };
    diesel::insert_into(panels::table)
        .values(&panel)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => AppError::conflict(
                "panel_exists",
                format!("{} already has a panel", panel.target()),
            ),
            other => other,
        })?;
    let event = PanelEvent::Created {
        opening_id: opening.id,
        stage_code: panel.stage_code.clone(),
        part_code: panel.part_code.clone(),
        rubric_id: rubric.id,
        min_scorers: panel.min_scorers,
        blind: panel.blind,
        divergence_spread_x100: panel.divergence_spread_x100,
    };
    audit::append(conn, ctx, event.of("panel.created", &panel)?)?;
    Ok(panel)
}

/// Active members, ordered by user id.
pub fn members(conn: &mut Conn, panel: PanelId) -> Result<Vec<PanelMember>, AppError> {
    Ok(panel_members::table
        .filter(panel_members::panel_id.eq(panel))
        .filter(panel_members::removed_at.is_null())
        .order(panel_members::user_id.asc())
        .load(conn)?)
}

pub fn find_member(
    conn: &mut Conn,
    panel: PanelId,
    user: UserId,
) -> Result<Option<PanelMember>, AppError> {
    Ok(panel_members::table
        .find((panel, user))
        .filter(panel_members::removed_at.is_null())
        .first(conn)
        .optional()?)
}

fn forming(panel: &Panel, what: &str) -> Result<(), AppError> {
    if panel.status != PanelStatus::Forming {
        return Err(AppError::conflict(
            "panel_started",
            format!("the panel's stage has started: members can no longer {what}"),
        ));
    }
    Ok(())
}

/// A member of a panel that has not locked keeps their role until it locks (409
/// `sits_on_panel`): a new role could read by role what their seat must not see, or make them
/// one who may not sit at all.
pub fn check_role_may_change(conn: &mut Conn, user: UserId) -> Result<(), AppError> {
    let seats: Vec<PanelId> = panel_members::table
        .filter(panel_members::user_id.eq(user))
        .filter(panel_members::removed_at.is_null())
        .select(panel_members::panel_id)
        .load(conn)?;
    let open: Vec<Panel> = panels::table
        .filter(panels::id.eq_any(&seats))
        .filter(panels::status.ne(PanelStatus::Locked))
        .load(conn)?;
    if open.is_empty() {
        return Ok(());
    }
    Err(AppError::conflict(
        "sits_on_panel",
        format!(
            "the user sits on the panel of {} until its scores lock; change the role afterwards",
            open.iter()
                .map(Panel::target)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// Adds a member (a panelist, or an HR officer or appointing official of another agency acting
/// as one) with a `panel_score` grant on the panel; at most one chair.
pub fn add_member(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: &User,
    request: &AddMemberRequest,
    granted_by: Option<UserId>,
) -> Result<PanelMember, AppError> {
    forming(panel, "join")?;
    if !user.active
        || !matches!(
            user.role,
            Role::Panelist | Role::HrOfficer | Role::AppointingOfficial
        )
    {
        return Err(AppError::field(
            "user_id",
            "a member is an active panelist, HR officer or appointing official",
        ));
    }
    if reads_the_openings_applications(user, panel) {
        return Err(AppError::field(
            "user_id",
            "an HR officer or appointing official of the opening's agency reads the applications \
             behind the panel codes and may not sit on its panel",
        ));
    }
    let current = members(conn, panel.id)?;
    if current.iter().any(|m| m.user_id == user.id) {
        return Err(AppError::conflict(
            "member_exists",
            "the user is already a member",
        ));
    }
    if request.chair && current.iter().any(|m| m.chair) {
        return Err(AppError::conflict(
            "chair_exists",
            "the panel already has a chair",
        ));
    }
    let grant = grants::create(
        conn,
        ctx,
        NewGrant {
            user_id: user.id,
            object: ObjectRef {
                kind: ObjectKind::Panel,
                id: panel.id.0,
                agency: Some(panel.agency_id),
            },
            permission: Permission::PanelScore,
            granted_by,
        },
    )?;
    let member = PanelMember {
        panel_id: panel.id,
        user_id: user.id,
        chair: request.chair,
        internal: user.agency_id == Some(panel.agency_id),
        political_party_member: request.political_party_member,
        grant_id: grant.id,
        added_at: ctx.at,
        removed_at: None,
    };
    // A member removed earlier comes back on the same row.
    diesel::delete(panel_members::table.find((panel.id, user.id))).execute(conn)?;
    diesel::insert_into(panel_members::table)
        .values(&member)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        member_event(&member).of("panel.member_added", panel)?,
    )?;
    Ok(member)
}

/// Whether the user's own role links panel codes to applicants: the opening agency's HR
/// officers and appointing officials.
fn reads_the_openings_applications(user: &User, panel: &Panel) -> bool {
    matches!(user.role, Role::HrOfficer | Role::AppointingOfficial)
        && user.agency_id == Some(panel.agency_id)
}

fn member_event(m: &PanelMember) -> PanelEvent {
    PanelEvent::Member {
        user_id: m.user_id,
        chair: m.chair,
        internal: m.internal,
        political_party_member: m.political_party_member,
    }
}

/// Removes a member before the stage starts; their grant is revoked.
pub fn remove_member(
    conn: &mut Conn,
    ctx: &AuditContext,
    panel: &Panel,
    user: UserId,
) -> Result<(), AppError> {
    forming(panel, "leave")?;
    let member = find_member(conn, panel.id, user)?.ok_or_else(AppError::not_found)?;
    diesel::update(panel_members::table.find((panel.id, user)))
        .set(panel_members::removed_at.eq(Some(ctx.at)))
        .execute(conn)?;
    if let Some(grant) = grants::find_by_id(conn, member.grant_id)? {
        grants::revoke(conn, ctx, grant)?;
    }
    audit::append(
        conn,
        ctx,
        member_event(&member).of("panel.member_removed", panel)?,
    )?;
    Ok(())
}

/// A new random panel code (12 characters of Crockford base32, in three groups).
pub fn new_panel_code() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect();
    Ok(format!(
        "{}-{}-{}",
        chars[..4].iter().collect::<String>(),
        chars[4..8].iter().collect::<String>(),
        chars[8..].iter().collect::<String>()
    ))
}

pub fn find_entry(
    conn: &mut Conn,
    panel: PanelId,
    application: ApplicationId,
) -> Result<Option<Entry>, AppError> {
    Ok(panel_entries::table
        .find((panel, application))
        .first(conn)
        .optional()?)
}
