//! Grant rows, the form that creates one, and what the API shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::policy::{ObjectKind, ObjectRef, Permission};
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
    pub permission: Permission,
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
