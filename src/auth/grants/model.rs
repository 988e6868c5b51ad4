//! Grant rows, the form that creates one, and what the API shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::policy::{ObjectKind, ObjectRef, Permission, grantable_on};
use crate::db::schema::grants;
use crate::db::types::Timestamp;
pub use crate::ids::{AgencyId, GrantId, ObjectId, UserId};

/// A grant row as stored (revoked grants stay, with who revoked them and when).
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: GrantId,
    pub user_id: UserId,
    pub object_kind: ObjectKind,
    pub object_id: ObjectId,
    pub permission: Permission,
    pub object_agency: Option<AgencyId>,
    pub granted_by: Option<UserId>,
    pub granted_at: Timestamp,
    pub revoked_by: Option<UserId>,
    pub revoked_at: Option<Timestamp>,
}

// A grant belongs to the agency of the object it names: HR officers manage those of their own.
crate::guarded!(Grant, Grant, |g| g.object_agency);

/// What creates a grant (checked: the permission is grantable, the object exists and the
/// grantor may manage it).
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub user_id: UserId,
    pub object: ObjectRef,
    pub permission: Permission,
    pub granted_by: Option<UserId>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantRequest {
    /// Who receives the access.
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub object_kind: ObjectKind,
    #[schema(value_type = String, format = Uuid)]
    pub object_id: ObjectId,
    /// Grantable today: `opening_read` on an `opening`.
    #[schema(schema_with = grantable_permission_schema)]
    pub permission: Permission,
}

/// `permission` as the document states it: only the permissions `policy::grantable_on` names
/// (any other is refused with 422), taken from `Permission`'s own schema so the two stay in step.
fn grantable_permission_schema() -> utoipa::openapi::Object {
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    let all = match Permission::schema() {
        RefOr::T(Schema::Object(permission)) => permission.enum_values.unwrap_or_default(),
        _ => Vec::new(),
    };
    let grantable = all.into_iter().filter(|value| {
        value
            .as_str()
            .and_then(Permission::parse)
            .is_some_and(|p| grantable_on(p).is_some())
    });
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Grantable today: `opening_read` on an `opening`."))
        .enum_values(Some(grantable))
        .build()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantView {
    #[schema(value_type = String, format = Uuid)]
    pub id: GrantId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub object_kind: ObjectKind,
    #[schema(value_type = String, format = Uuid)]
    pub object_id: ObjectId,
    pub permission: Permission,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub object_agency: Option<AgencyId>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub granted_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: Timestamp,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub revoked_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<Grant> for GrantView {
    fn from(g: Grant) -> Self {
        GrantView {
            id: g.id,
            user_id: g.user_id,
            object_kind: g.object_kind,
            object_id: g.object_id,
            permission: g.permission,
            object_agency: g.object_agency,
            granted_by: g.granted_by,
            granted_at: g.granted_at,
            revoked_by: g.revoked_by,
            revoked_at: g.revoked_at,
        }
    }
}
