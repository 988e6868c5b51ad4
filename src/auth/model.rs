//! Users, roles and the request/response types of accounts and login.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::agencies::model::AgencyId;
use crate::db::schema::users;
use crate::db::types::Timestamp;
pub use crate::ids::{LoginFailureId, SessionId, UserId};
pub use crate::roles::Role;

crate::guarded!(User, User, |u| u.agency_id);

/// A user row.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of a new account; the password is set later by its owner.
pub struct NewUser {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    /// Only the CLI's `create-admin` sets a password directly (the operator is the admin).
    pub password_hash: Option<String>,
}

/// What an update may change; `None` leaves a field as it is.
pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub active: bool,
    /// False until the user has set a password with their activation token.
    pub activated: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        let role = u.role;
        Self {
            id: u.id,
            email: u.email,
            full_name: u.full_name,
            role,
            agency_id: u.agency_id,
            active: u.active,
            activated: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[validate(email(message = "must be an email address"), length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: String,
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub full_name: String,
    pub role: Role,
    /// Required for HR officers, panelists and appointing officials; absent for national admins and auditors.
    pub agency_id: Option<AgencyId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "crate::http::extract::not_blank")
    )]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub full_name: Option<String>,
    pub role: Option<Role>,
    /// `false` disables the account and revokes its tokens at once.
    pub active: Option<bool>,
}

/// A new user and the one-time token with which they set their own password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserCreated {
    pub user: UserView,
    pub activation: ActivationToken,
}

/// Shown once to the creator; stored only as a hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivationToken {
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// 12 to 256 characters from three of: lower case, upper case, digits, symbols; no common
    /// password and not the account's email name.
    // The length bounds are `check_password_strength`'s, inside the validator's 1 to 1024.
    #[validate(length(min = 1, max = 1024))]
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: u64,
    pub user: UserView,
}

/// Normalises an email for lookup and uniqueness.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "passw0rd",
    "123456",
    "12345678",
    "123456789",
    "qwerty",
    "letmein",
    "welcome",
    "admin",
    "iloveyou",
    "indonesia",
    "jakarta",
    "merdeka",
    "rahasia",
    "bismillah",
];

/// Refuses weak passwords: at least 12 characters, three character classes, not built on a
/// common password or on the account's own email.
pub fn check_password_strength(password: &str, email: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < 12 {
        return Err("must be at least 12 characters".into());
    }
    if length > 256 {
        return Err("must be at most 256 characters".into());
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("must mix at least three of: lower case, upper case, digits, symbols".into());
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS
        .iter()
        .any(|common| lowered.contains(common))
    {
        return Err("must not contain a common password".into());
    }
    let local_part = normalize_email(email)
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    if local_part.len() >= 4 && lowered.contains(&local_part) {
        return Err("must not contain the account's email name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_and_strong_ones_accepted() {
        assert!(check_password_strength("short1A!", "a@b.id").is_err());
        assert!(check_password_strength("alllowercaseletters", "a@b.id").is_err());
        assert!(check_password_strength("MyPassword123!", "a@b.id").is_err());
        assert!(check_password_strength("Budi.Santoso-2026", "budi.santoso@bkn.go.id").is_err());
        assert!(check_password_strength("Kopi-Tubruk-7-Pagi", "budi@bkn.go.id").is_ok());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
