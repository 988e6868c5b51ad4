//! The authorization layer every route uses: role, then agency scope, then object grants.
//!
//! A caller who lacks the role for an action gets 403; a caller who has the role but asks for an
//! object outside their agency gets 404, so the existence of other agencies' data is not revealed.
//! A grant on one object (panel membership, ...) admits its holder to that object whatever their
//! role and agency. Object routes load the object through [`load`] inside the handler's own
//! transaction, so the decision and the write that follows see the same row.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::grants::store as grants;
use crate::audit::model::{Actor, AuditContext};
use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::ids::{AgencyId, UserId};
use crate::roles::Role;

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    pub agency: Option<AgencyId>,
    pub session: uuid::Uuid,
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
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
    /// Give and revoke object grants: the admin, and HR officers on their agency's objects.
    GrantManage,
    /// See who holds grants on objects in scope.
    GrantRead,
    /// Write rubric versions (HR officers).
    RubricManage,
    RubricRead,
    /// Set up panels, members and stage material (HR officers of the opening's agency).
    PanelManage,
    /// See panels with members, recusals, assignments, results and rater analytics.
    PanelRead,
    /// Score as a member of one panel: held only through a grant that membership gives.
    PanelScore,
}

crate::text_enum!(Permission {
    AgencyRead => "agency_read", AgencyManage => "agency_manage", UserRead => "user_read",
    UserManage => "user_manage", AuditRead => "audit_read", AuditCheckpoint => "audit_checkpoint",
    CompetencyRead => "competency_read", CompetencyManage => "competency_manage",
    PositionRead => "position_read", PositionManage => "position_manage",
    RuleSetRead => "rule_set_read", RuleSetManage => "rule_set_manage",
    OpeningRead => "opening_read", OpeningManage => "opening_manage",
    OpeningDeviate => "opening_deviate", DeviationRead => "deviation_read",
    ApplicationManage => "application_manage", ApplicationRead => "application_read",
    ApplicationImport => "application_import", IdentityRead => "identity_read",
    GrantManage => "grant_manage", GrantRead => "grant_read",
    RubricManage => "rubric_manage", RubricRead => "rubric_read", PanelManage => "panel_manage",
    PanelRead => "panel_read", PanelScore => "panel_score",
});

/// The kinds of object that access is decided on (and that grants can name).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Agency,
    User,
    Competency,
    Position,
    RuleSet,
    SelectionRound,
    Opening,
    Application,
    ApplicationImport,
    Appeal,
    Deviation,
    Grant,
    Rubric,
    Panel,
}

crate::text_enum!(ObjectKind {
    Agency => "agency", User => "user", Competency => "competency", Position => "position",
    RuleSet => "rule_set", SelectionRound => "selection_round", Opening => "opening",
    Application => "application", ApplicationImport => "application_import", Appeal => "appeal",
    Deviation => "deviation", Grant => "grant", Rubric => "rubric", Panel => "panel",
});

/// The object an action is about: its kind, id and owning agency (`None` = national object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub id: uuid::Uuid,
    pub agency: Option<AgencyId>,
}

/// An object that access is decided on: it knows its kind, id and owning agency.
pub trait Guarded {
    const KIND: ObjectKind;
    fn object_ref(&self) -> ObjectRef;
}

/// Implements [`Guarded`] for an entity row with an `id` newtype field:
/// `guarded!(Opening, Opening, |o| Some(o.agency_id));`.
#[macro_export]
macro_rules! guarded {
    ($ty:ty, $kind:ident, |$o:ident| $agency:expr) => {
        impl $crate::auth::policy::Guarded for $ty {
            const KIND: $crate::auth::policy::ObjectKind = $crate::auth::policy::ObjectKind::$kind;
            fn object_ref(&self) -> $crate::auth::policy::ObjectRef {
                let $o = self;
                $crate::auth::policy::ObjectRef {
                    kind: Self::KIND,
                    id: $o.id.0,
                    agency: $agency,
                }
            }
        }
    };
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
        GrantManage => matches!(role, Role::Admin | Role::HrOfficer),
        GrantRead => matches!(role, Role::Admin | Role::HrOfficer | Role::Auditor),
        RubricManage | PanelManage => role == Role::HrOfficer,
        RubricRead | PanelRead => matches!(
            role,
            Role::Admin | Role::HrOfficer | Role::AppointingOfficial | Role::Auditor
        ),
        // Only the grant a panel membership gives: no role scores by itself.
        PanelScore => false,
    }
}

/// The kind of object a grant of `permission` names, for the permissions a grant may carry:
/// read access to one opening for now (panel membership adds stage scoring). Anything that
/// reaches applicants' identity, or manages access, is never grantable.
pub fn grantable_on(permission: Permission) -> Option<ObjectKind> {
    match permission {
        Permission::OpeningRead => Some(ObjectKind::Opening),
        _ => None,
    }
}

fn in_scope(principal: &Principal, object_agency: Option<AgencyId>) -> bool {
    principal.is_national() || (principal.agency.is_some() && principal.agency == object_agency)
}

/// May the caller do `permission` at all (collection routes: list, create)? Grants name single
/// objects, so they never open a collection.
pub fn authorize(principal: &Principal, permission: Permission) -> Result<(), AppError> {
    if role_allows(principal.role, permission) {
        Ok(())
    } else {
        Err(AppError::forbidden("your role may not do this"))
    }
}

/// Loads one object with `find` (in the caller's transaction; a `find_for_update` when a write
/// follows) and decides `permission` on it: a role that may never do it is 403 before anything
/// is read, unless the caller holds such a grant on some object of this kind; an object outside
/// the caller's scope, or missing, is 404 unless a grant names it.
pub fn load<T: Guarded>(
    conn: &mut Conn,
    principal: &Principal,
    permission: Permission,
    find: impl FnOnce(&mut Conn) -> Result<Option<T>, AppError>,
) -> Result<T, AppError> {
    let by_role = gate(principal, permission, || {
        grants::holds_any(conn, principal.user_id, permission, T::KIND)
    })?;
    let object = find(conn)?.ok_or_else(AppError::not_found)?;
    let object_ref = object.object_ref();
    admit(principal, permission, by_role, &object_ref, || {
        grants::holds(conn, principal.user_id, permission, &object_ref)
    })?;
    Ok(object)
}

/// The same decision for an object whose kind, id and agency are known without loading it
/// (an agency by its id).
pub fn authorize_object(
    conn: &mut Conn,
    principal: &Principal,
    permission: Permission,
    object: &ObjectRef,
) -> Result<(), AppError> {
    let by_role = gate(principal, permission, || {
        grants::holds_any(conn, principal.user_id, permission, object.kind)
    })?;
    admit(principal, permission, by_role, object, || {
        grants::holds(conn, principal.user_id, permission, object)
    })
}

/// Before loading: whether the role allows the action (`true`), or a grant of this kind might
/// (`false`); otherwise 403, the same answer for any id.
fn gate(
    principal: &Principal,
    permission: Permission,
    holds_grant_of_kind: impl FnOnce() -> Result<bool, AppError>,
) -> Result<bool, AppError> {
    if role_allows(principal.role, permission) {
        Ok(true)
    } else if holds_grant_of_kind()? {
        Ok(false)
    } else {
        Err(AppError::forbidden("your role may not do this"))
    }
}

/// After loading: the role in scope, or a grant on this very object; otherwise 404. Shared
/// national objects (the national competency catalogue, rule sets, rounds) are read in every
/// scope and changed only by national users (403 for anyone else).
fn admit(
    principal: &Principal,
    permission: Permission,
    by_role: bool,
    object: &ObjectRef,
    holds_grant_on_object: impl FnOnce() -> Result<bool, AppError>,
) -> Result<(), AppError> {
    if by_role && object.agency.is_none() && shared_nationally(object.kind) {
        return if permission.is_read() || principal.is_national() {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "only a national user changes national objects",
            ))
        };
    }
    if (by_role && in_scope(principal, object.agency)) || holds_grant_on_object()? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// Kinds whose national objects every agency uses.
fn shared_nationally(kind: ObjectKind) -> bool {
    matches!(
        kind,
        ObjectKind::Competency | ObjectKind::RuleSet | ObjectKind::SelectionRound
    )
}

impl Permission {
    /// Whether the permission only reads.
    pub fn is_read(&self) -> bool {
        self.as_str().ends_with("_read")
    }
}

/// The agency filter for list queries: `None` = every agency (national users).
pub fn list_scope(principal: &Principal) -> Option<AgencyId> {
    if principal.is_national() {
        None
    } else {
        principal.agency
    }
}

/// The agency a new agency-owned object goes to: the caller's own, or for the admin the one
/// named (`None` = national). Naming another agency is 403 (the caller may not create there).
pub fn target_agency(
    principal: &Principal,
    asked: Option<AgencyId>,
) -> Result<Option<AgencyId>, AppError> {
    match (principal.role, asked) {
        (Role::Admin, asked) => Ok(asked),
        (_, None) => Ok(principal.agency),
        (_, Some(asked)) if Some(asked) == principal.agency => Ok(Some(asked)),
        _ => Err(AppError::forbidden(
            "you may create only in your own agency",
        )),
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
            at: Timestamp::now(),
        }
    }

    fn object(agency: Option<AgencyId>) -> ObjectRef {
        ObjectRef {
            kind: ObjectKind::Agency,
            id: uuid::Uuid::now_v7(),
            agency,
        }
    }

    /// The whole decision with grant lookups answered by constants.
    fn decide(
        principal: &Principal,
        permission: Permission,
        object: &ObjectRef,
        grant_of_kind: bool,
        grant_on_object: bool,
    ) -> Result<(), AppError> {
        let by_role = gate(principal, permission, || Ok(grant_of_kind))?;
        admit(principal, permission, by_role, object, || {
            Ok(grant_on_object)
        })
    }

    #[test]
    fn foreign_agency_objects_are_not_found_and_missing_roles_are_forbidden() {
        let own = AgencyId::generate();
        let other = AgencyId::generate();
        let hr = principal(Role::HrOfficer, Some(own));
        let manage = Permission::UserManage;
        assert!(decide(&hr, manage, &object(Some(own)), false, false).is_ok());
        assert!(matches!(
            decide(&hr, manage, &object(Some(other)), false, false),
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            decide(
                &hr,
                Permission::AgencyManage,
                &object(Some(own)),
                false,
                false
            ),
            Err(AppError::Forbidden { .. })
        ));
        let admin = principal(Role::Admin, None);
        assert!(
            decide(
                &admin,
                Permission::AgencyManage,
                &object(Some(other)),
                false,
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn a_grant_admits_a_user_from_another_agency_to_that_object_only() {
        let panelist = principal(Role::Panelist, Some(AgencyId::generate()));
        let opening = object(Some(AgencyId::generate()));
        let read = Permission::OpeningRead;
        // No grant of this kind at all: 403, whatever the object.
        assert!(matches!(
            decide(&panelist, read, &opening, false, false),
            Err(AppError::Forbidden { .. })
        ));
        // A grant of this kind on another object: this one is not found.
        assert!(matches!(
            decide(&panelist, read, &opening, true, false),
            Err(AppError::NotFound { .. })
        ));
        assert!(decide(&panelist, read, &opening, true, true).is_ok());
    }

    #[test]
    fn a_grant_also_admits_a_role_holder_outside_their_agency() {
        let hr_b = principal(Role::HrOfficer, Some(AgencyId::generate()));
        let opening = object(Some(AgencyId::generate()));
        assert!(decide(&hr_b, Permission::OpeningRead, &opening, false, false).is_err());
        assert!(decide(&hr_b, Permission::OpeningRead, &opening, true, true).is_ok());
    }

    #[test]
    fn national_catalogue_entries_are_read_by_all_and_changed_by_national_users_only() {
        let hr = principal(Role::HrOfficer, Some(AgencyId::generate()));
        let national = ObjectRef {
            kind: ObjectKind::Competency,
            id: uuid::Uuid::now_v7(),
            agency: None,
        };
        assert!(decide(&hr, Permission::CompetencyRead, &national, false, false).is_ok());
        assert!(matches!(
            decide(&hr, Permission::CompetencyManage, &national, false, false),
            Err(AppError::Forbidden { .. })
        ));
        let admin = principal(Role::Admin, None);
        assert!(
            decide(
                &admin,
                Permission::CompetencyManage,
                &national,
                false,
                false
            )
            .is_ok()
        );
        // A national object of another kind (a whole-round import) stays out of an agency's scope.
        let import = ObjectRef {
            kind: ObjectKind::ApplicationImport,
            ..national
        };
        assert!(matches!(
            decide(&hr, Permission::ApplicationRead, &import, false, false),
            Err(AppError::NotFound { .. })
        ));
    }

    #[test]
    fn only_reads_of_openings_are_grantable() {
        assert_eq!(
            grantable_on(Permission::OpeningRead),
            Some(ObjectKind::Opening)
        );
        for never in [
            Permission::IdentityRead,
            Permission::ApplicationRead,
            Permission::GrantManage,
            Permission::OpeningDeviate,
        ] {
            assert_eq!(grantable_on(never), None, "{never:?}");
        }
    }

    #[test]
    fn permissions_and_kinds_round_trip_through_their_stored_text() {
        for p in [
            Permission::OpeningRead,
            Permission::GrantManage,
            Permission::IdentityRead,
        ] {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        for k in [
            ObjectKind::Opening,
            ObjectKind::ApplicationImport,
            ObjectKind::SelectionRound,
        ] {
            assert_eq!(ObjectKind::parse(k.as_str()), Some(k));
        }
    }
}
