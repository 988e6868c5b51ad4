//! The authorization layer every route uses: role, then agency scope, then object grants.
//!
//! A caller who lacks the role for an action gets 403; a caller who has the role but asks for an
//! object outside their agency gets 404, so the existence of other agencies' data is not revealed.

use super::model::{Role, UserId};
use crate::agencies::model::AgencyId;
use crate::audit::model::{Actor, AuditContext};
use crate::db::types::Timestamp;
use crate::error::AppError;

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    pub agency: Option<AgencyId>,
    pub session: uuid::Uuid,
    /// Object grants held on top of the base role (e.g. panel membership). Loaded by the routes
    /// that can be reached through one.
    pub grants: Vec<Grant>,
    /// When the request is served, read once from the server's clock.
    pub at: Timestamp,
}

impl Principal {
    /// National users (admin and auditors without an agency) see every agency.
    pub fn is_national(&self) -> bool {
        self.agency.is_none() && self.role.may_be_national()
    }

    pub fn audit_context(&self, request_id: Option<String>) -> AuditContext {
        AuditContext {
            actor: Actor::User {
                id: self.user_id,
                role: self.role,
                agency: self.agency,
            },
            request_id,
            at: self.at,
        }
    }
}

/// What a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    AgencyRead,
    AgencyManage,
    UserRead,
    UserManage,
    AuditRead,
    AuditCheckpoint,
    CompetencyRead,
    CompetencyManage,
    PositionRead,
    PositionManage,
    RuleSetRead,
    RuleSetManage,
    OpeningRead,
    OpeningManage,
    /// Changing what was frozen at publish: a deviation, made by the appointing official (PPK).
    OpeningDeviate,
    DeviationRead,
    /// Record, import and withdraw applications (HR officers).
    ApplicationManage,
    /// The assessment side of applications; identity only with `IdentityRead`.
    ApplicationRead,
    /// Start a bulk import: HR officers for their agency's openings, the admin for a whole round.
    ApplicationImport,
    /// Applicants' identity (name, masked NIK/KK, birth date, contact): the agency's HR officers.
    IdentityRead,
}

/// The object an action is about: its kind, id and owning agency (`None` = national object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: &'static str,
    pub id: String,
    pub agency: Option<AgencyId>,
}

/// Access to one object beyond the base role, e.g. "scorer of stage X".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub permission: Permission,
    pub kind: &'static str,
    pub id: String,
}

/// Which roles may do what, regardless of scope.
fn role_allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match permission {
        AgencyRead => true,
        AgencyManage => role == Role::Admin,
        UserRead => matches!(role, Role::Admin | Role::HrOfficer | Role::Auditor),
        UserManage => matches!(role, Role::Admin | Role::HrOfficer),
        AuditRead => matches!(role, Role::Admin | Role::Auditor),
        AuditCheckpoint => matches!(role, Role::Admin | Role::Auditor),
        CompetencyRead | RuleSetRead => true,
        CompetencyManage => matches!(role, Role::Admin | Role::HrOfficer),
        PositionRead | OpeningRead | DeviationRead => matches!(
            role,
            Role::Admin | Role::HrOfficer | Role::AppointingOfficial | Role::Auditor
        ),
        PositionManage | OpeningManage => role == Role::HrOfficer,
        RuleSetManage => role == Role::Admin,
        OpeningDeviate => role == Role::AppointingOfficial,
        ApplicationManage | IdentityRead => role == Role::HrOfficer,
        ApplicationImport => matches!(role, Role::Admin | Role::HrOfficer),
        ApplicationRead => matches!(
            role,
            Role::Admin | Role::HrOfficer | Role::AppointingOfficial | Role::Auditor
        ),
    }
}

fn in_scope(principal: &Principal, object_agency: Option<AgencyId>) -> bool {
    principal.is_national() || (principal.agency.is_some() && principal.agency == object_agency)
}

fn granted(principal: &Principal, permission: Permission, object: &ObjectRef) -> bool {
    principal
        .grants
        .iter()
        .any(|g| g.permission == permission && g.kind == object.kind && g.id == object.id)
}

/// May the caller do `permission` at all (collection routes: list, create)?
pub fn authorize(principal: &Principal, permission: Permission) -> Result<(), AppError> {
    if role_allows(principal.role, permission) {
        Ok(())
    } else {
        Err(AppError::forbidden("your role may not do this"))
    }
}

/// May the caller do `permission` on this object? A grant on the object admits whatever the
/// role and agency; otherwise role first (403: the same answer for any id, so it reveals
/// nothing), then scope (404).
pub fn authorize_object(
    principal: &Principal,
    permission: Permission,
    object: &ObjectRef,
) -> Result<(), AppError> {
    if granted(principal, permission, object) {
        return Ok(());
    }
    authorize(principal, permission)?;
    if !in_scope(principal, object.agency) {
        return Err(AppError::not_found());
    }
    Ok(())
}

/// The agency filter for list queries: `None` = every agency (national users).
pub fn list_scope(principal: &Principal) -> Option<AgencyId> {
    if principal.is_national() {
        None
    } else {
        principal.agency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, agency: Option<AgencyId>) -> Principal {
        Principal {
            user_id: UserId::generate(),
            role,
            agency,
            session: uuid::Uuid::nil(),
            grants: vec![],
            at: Timestamp::now(),
        }
    }

    fn object(agency: Option<AgencyId>) -> ObjectRef {
        ObjectRef {
            kind: "agency",
            id: "x".into(),
            agency,
        }
    }

    #[test]
    fn foreign_agency_objects_are_not_found_and_missing_roles_are_forbidden() {
        let own = AgencyId::generate();
        let other = AgencyId::generate();
        let hr = principal(Role::HrOfficer, Some(own));
        assert!(authorize_object(&hr, Permission::UserManage, &object(Some(own))).is_ok());
        assert!(matches!(
            authorize_object(&hr, Permission::UserManage, &object(Some(other))),
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            authorize_object(&hr, Permission::AgencyManage, &object(Some(own))),
            Err(AppError::Forbidden { .. })
        ));
        let admin = principal(Role::Admin, None);
        assert!(authorize_object(&admin, Permission::AgencyManage, &object(Some(other))).is_ok());
    }

    #[test]
    fn a_grant_admits_a_user_from_another_agency_to_that_object_only() {
        let mut panelist = principal(Role::Panelist, Some(AgencyId::generate()));
        let stage = ObjectRef {
            kind: "stage",
            id: "s1".into(),
            agency: Some(AgencyId::generate()),
        };
        assert!(authorize_object(&panelist, Permission::AuditRead, &stage).is_err());
        panelist.grants.push(Grant {
            permission: Permission::AuditRead,
            kind: "stage",
            id: "s1".into(),
        });
        assert!(authorize_object(&panelist, Permission::AuditRead, &stage).is_ok());
        let other_stage = ObjectRef {
            id: "s2".into(),
            ..stage
        };
        assert!(authorize_object(&panelist, Permission::AuditRead, &other_stage).is_err());
    }
}
