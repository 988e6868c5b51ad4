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
        if target.role != Role::Panelist {
            return Err(AppError::forbidden(
                "HR officers may change panelist accounts only",
            ));
        }
        if new_role.is_some_and(|r| r != Role::Panelist) {
            return Err(AppError::forbidden("HR officers may not change roles"));
        }
    }
    let changes_self = target.id == principal.user_id;
    if changes_self && (new_role.is_some_and(|r| r != target.role) || active == Some(false)) {
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

/// Whose accounts a caller whose role reads accounts may read (scope is decided by the policy):
/// admins and auditors any; HR officers the panelists they manage, not the PPK or the auditors
/// of their agency (least privilege: an inspectorate's auditors stay out of the view of those
/// they audit).
pub fn check_can_read(principal: &Principal, target: &User) -> Result<(), AppError> {
    match principal.role {
        Role::HrOfficer if target.role != Role::Panelist => Err(AppError::forbidden(
            "HR officers read panelist accounts only",
        )),
        _ => Ok(()),
    }
}

/// The role filter of a caller's list of accounts (HR officers see panelists only); `None`
/// when the caller may see no account of the role asked for.
pub fn listed_role(principal: &Principal, asked: Option<Role>) -> Option<Option<Role>> {
    match (principal.role, asked) {
        (Role::HrOfficer, Some(role)) if role != Role::Panelist => None,
        (Role::HrOfficer, _) => Some(Some(Role::Panelist)),
        (_, asked) => Some(asked),
    }
}

/// Who may issue a password-reset token for `target`: admins for anyone, HR for their panelists.
pub fn check_can_reset(principal: &Principal, target: &User) -> Result<(), AppError> {
    match principal.role {
        Role::Admin => Ok(()),
        Role::HrOfficer if target.role == Role::Panelist => Ok(()),
        _ => Err(AppError::forbidden("your role may not reset this account")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::UserId;
    use crate::db::types::Timestamp;

    fn principal(role: Role, agency: Option<AgencyId>) -> Principal {
        Principal {
            user_id: UserId::generate(),
            role,
            agency,
            session: uuid::Uuid::nil(),
            at: Timestamp::now(),
        }
    }

    fn user(role: Role, agency: Option<AgencyId>) -> User {
        User {
            id: UserId::generate(),
            email: "x@y.go.id".into(),
            full_name: "X".into(),
            role,
            agency_id: agency,
            password_hash: None,
            active: true,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    #[test]
    fn hr_officers_read_and_list_panelists_only() {
        let own = AgencyId::generate();
        let hr = principal(Role::HrOfficer, Some(own));
        assert!(check_can_read(&hr, &user(Role::Panelist, Some(own))).is_ok());
        for role in [Role::AppointingOfficial, Role::Auditor, Role::HrOfficer] {
            assert!(
                check_can_read(&hr, &user(role, Some(own))).is_err(),
                "{role:?}"
            );
        }
        assert_eq!(listed_role(&hr, None), Some(Some(Role::Panelist)));
        assert_eq!(listed_role(&hr, Some(Role::Auditor)), None);
        let auditor = principal(Role::Auditor, Some(own));
        assert!(check_can_read(&auditor, &user(Role::AppointingOfficial, Some(own))).is_ok());
        assert_eq!(
            listed_role(&auditor, Some(Role::Auditor)),
            Some(Some(Role::Auditor))
        );
    }

    #[test]
    fn hr_officers_create_panelists_of_their_own_agency_only() {
        let own = AgencyId::generate();
        let hr = principal(Role::HrOfficer, Some(own));
        assert_eq!(
            agency_for_new_user(&hr, Role::Panelist, None).ok(),
            Some(Some(own))
        );
        assert!(matches!(
            agency_for_new_user(&hr, Role::HrOfficer, None),
            Err(AppError::Forbidden { .. })
        ));
        assert!(matches!(
            agency_for_new_user(&hr, Role::Panelist, Some(AgencyId::generate())),
            Err(AppError::Forbidden { .. })
        ));
        let panelist = principal(Role::Panelist, Some(own));
        assert!(agency_for_new_user(&panelist, Role::Panelist, None).is_err());
    }

    #[test]
    fn roles_and_agencies_must_fit() {
        let admin = principal(Role::Admin, None);
        assert!(
            agency_for_new_user(&admin, Role::HrOfficer, None).is_err(),
            "HR needs an agency"
        );
        assert!(agency_for_new_user(&admin, Role::Admin, Some(AgencyId::generate())).is_err());
        assert!(
            agency_for_new_user(&admin, Role::Auditor, None).is_ok(),
            "national auditor"
        );
        assert!(agency_for_new_user(&admin, Role::Auditor, Some(AgencyId::generate())).is_ok());
    }

    #[test]
    fn hr_cannot_promote_and_nobody_disables_themselves() {
        let own = AgencyId::generate();
        let hr = principal(Role::HrOfficer, Some(own));
        let panelist = user(Role::Panelist, Some(own));
        assert!(check_user_change(&hr, &panelist, None, Some(false)).is_ok());
        assert!(check_user_change(&hr, &panelist, Some(Role::HrOfficer), None).is_err());
        assert!(
            check_user_change(&hr, &user(Role::AppointingOfficial, Some(own)), None, None).is_err()
        );
        let admin = principal(Role::Admin, None);
        let mut me = user(Role::Admin, None);
        me.id = admin.user_id;
        assert!(matches!(
            check_user_change(&admin, &me, None, Some(false)),
            Err(AppError::Conflict { .. })
        ));
        assert!(check_user_change(&admin, &me, Some(Role::Auditor), None).is_err());
        assert!(check_can_reset(&hr, &panelist).is_ok());
        assert!(check_can_reset(&hr, &user(Role::HrOfficer, Some(own))).is_err());
    }
}
