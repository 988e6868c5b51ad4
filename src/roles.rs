//! The base roles a user can hold. Below every domain, so that the audit chain and the
//! authorization policy share them without importing each other.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's one base role.
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
pub enum Role {
    /// Runs the installation: agencies, users, rule sets.
    Admin,
    /// Agency HR bureau (biro kepegawaian / BKD).
    HrOfficer,
    /// Member of a selection panel (panitia seleksi).
    Panelist,
    /// PPK, pejabat pembina kepegawaian: makes final choices.
    AppointingOfficial,
    /// Inspectorate or commission: reads everything in scope, changes nothing.
    Auditor,
}

crate::text_enum!(Role {
    Admin => "admin", HrOfficer => "hr_officer", Panelist => "panelist",
    AppointingOfficial => "appointing_official", Auditor => "auditor",
});

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::HrOfficer,
        Role::Panelist,
        Role::AppointingOfficial,
        Role::Auditor,
    ];

    /// Whether a user of this role must belong to an agency.
    pub fn requires_agency(&self) -> bool {
        matches!(
            self,
            Role::HrOfficer | Role::Panelist | Role::AppointingOfficial
        )
    }

    /// Whether a user of this role may be national (without an agency).
    pub fn may_be_national(&self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
}
