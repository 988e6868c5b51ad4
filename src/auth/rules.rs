//! Who may create or change which accounts: plain functions over the principal and the request.

use super::model::{Role, User};
use super::policy::Principal;
use crate::agencies::model::AgencyId;
use crate::error::AppError;

/// The agency a new account will belong to, if the caller may create it.
/// Admins create any role; HR officers create panelists in their own agency only.
pub fn agency_for_new_user(
    principal: &Principal,
    role: Role,
    agency: Option<AgencyId>,
) -> Result<Option<AgencyId>, AppError> {
    let agency = match principal.role {
        Role::Admin => agency,
        Role::HrOfficer => {
            if role != Role::Panelist {
                return Err(AppError::forbidden(
                    "HR officers may create panelist accounts only",
                ));
            }
            match agency {
                None => principal.agency,
                Some(a) if Some(a) == principal.agency => Some(a),
                Some(_) => {
                    return Err(AppError::forbidden(
                        "HR officers may create accounts in their own agency only",
                    ));
                }
            }
        }
        _ => return Err(AppError::forbidden("your role may not create accounts")),
    };
    check_role_agency(role, agency)?;
    Ok(agency)
}

/// Agency-scoped roles need an agency; an admin has none.
pub fn check_role_agency(role: Role, agency: Option<AgencyId>) -> Result<(), AppError> {
    if role.requires_agency() && agency.is_none() {
        return Err(AppError::field(
            "agency_id",
            format!("is required for the {} role", role.as_str()),
        ));
    }
    if role == Role::Admin && agency.is_some() {
        return Err(AppError::field(
            "agency_id",
            "must be empty for admins (they are national)",
        ));
    }
    Ok(())
}

/// Checks a change to an existing account beyond scope (which the policy already checked).
pub fn check_user_change(
    principal: &Principal,
    target: &User,
    new_role: Option<Role>,
    active: Option<bool>,
) -> Result<(), AppError> {
    if principal.role == Role::HrOfficer {
        if target.role() != Role::Panelist {
            return Err(AppError::forbidden(
                "HR officers may change panelist accounts only",
            ));
        }
        if new_role.is_some_and(|r| r != Role::Panelist) {
            return Err(AppError::forbidden("HR officers may not change roles"));
        }
    }
    let changes_self = target.id == principal.user_id;
    if changes_self && (new_role.is_some_and(|r| r != target.role()) || active == Some(false)) {
        return Err(AppError::conflict(
            "cannot_change_own_account",
            "you may not change your own role or disable yourself",
        ));
    }
    if let Some(role) = new_role {
        check_role_agency(role, target.agency_id)?;
    }
    Ok(())
}

/// Who may issue a password-reset token for `target`: admins for anyone, HR for their panelists.
pub fn check_can_reset(principal: &Principal, target: &User) -> Result<(), AppError> {
    match principal.role {
        Role::Admin => Ok(()),
        Role::HrOfficer if target.role() == Role::Panelist => Ok(()),
        _ => Err(AppError::forbidden("your role may not reset this account")),
    }
}
