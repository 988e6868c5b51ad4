//! Conflict-of-interest declarations (relatives, close relations, prior ties) of panel
//! members, made before the stage starts; the matching against applicants happens at the start
//! (see `start` and `conflicts`).

use diesel::prelude::*;

use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::requests::DeclarationRequest;
use super::store::find_member;
use crate::applications::identity::{IdNumber, IdentityVault};
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::panel_declarations;
use crate::error::AppError;

/// Declarations are matched against the roster when the stage starts. After that a new one
/// could test a number against it (a recusal would tell), so they close.
fn declarations_open(panel: &Panel) -> Result<(), AppError> {
    match panel.status {
        PanelStatus::Forming => Ok(()),
        PanelStatus::Scoring => Err(AppError::conflict(
            "panel_started",
            "the panel's stage has started: declarations are closed; step back from an \
             application you find you are connected to",
        )),
        PanelStatus::Locked => Err(AppError::conflict(
            "panel_locked",
            "the panel's scores are locked",
        )),
    }
}

pub fn declarations(conn: &mut Conn, panel: PanelId) -> Result<Vec<Declaration>, AppError> {
    Ok(panel_declarations::table
        .filter(panel_declarations::panel_id.eq(panel))
        .order(panel_declarations::user_id.asc())
        .load(conn)?)
}

pub fn has_declared(conn: &mut Conn, panel: PanelId, user: UserId) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        panel_declarations::table.find((panel, user)),
    ))
    .get_result(conn)?)
}

/// Stores a member's declaration (replacing an earlier one): relatives' names encrypted, their
/// NIK/KK as keyed hashes only. Returns the stored declaration.
pub fn declare(
    conn: &mut Conn,
    ctx: &AuditContext,
    vault: &IdentityVault,
    panel: &Panel,
    user: UserId,
    request: &DeclarationRequest,
) -> Result<Declaration, AppError> {
    find_member(conn, panel.id, user)?.ok_or_else(AppError::not_found)?;
    declarations_open(panel)?;
    check_numbers(request)?;
    let relations = request
        .relations
        .iter()
        .map(|r| {
            Ok(StoredRelation {
                relation: r.relation,
                name_enc: vault.encrypt(r.name.trim())?,
                nik_hash: r.nik.as_deref().map(|n| vault.hash(IdNumber::Nik, n)),
                kk_hash: r.kk.as_deref().map(|k| vault.hash(IdNumber::Kk, k)),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let previous: Option<i32> = panel_declarations::table
        .find((panel.id, user))
        .select(panel_declarations::version)
        .first(conn)
        .optional()?;
    let declaration = Declaration {
        panel_id: panel.id,
        user_id: user,
        relations: serde_json::to_string(&relations).map_err(AppError::internal_from)?,
        ties: serde_json::to_string(&request.ties).map_err(AppError::internal_from)?,
        version: previous.unwrap_or(0) + 1,
        declared_at: ctx.at,
    };
    diesel::delete(panel_declarations::table.find((panel.id, user))).execute(conn)?;
    diesel::insert_into(panel_declarations::table)
        .values(&declaration)
        .execute(conn)?;
    let event = PanelEvent::Declared {
        user_id: user,
        version: declaration.version,
        relations: relations.len(),
        ties: request.ties.len(),
        declaration_sha256: text_digest(&format!(
            "{}\n{}",
            declaration.relations, declaration.ties
        )),
    };
    audit::append(conn, ctx, event.of("panel.declaration_made", panel)?)?;
    Ok(declaration)
}

fn check_numbers(request: &DeclarationRequest) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for (i, r) in request.relations.iter().enumerate() {
        for (field, value) in [("nik", &r.nik), ("kk", &r.kk)] {
            if value
                .as_deref()
                .is_some_and(|v| !super::requests::is_identity_number(v))
            {
                errors.push(crate::error::FieldError::new(
                    format!("relations[{i}].{field}"),
                    "16 digits",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}
