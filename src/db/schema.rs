//! The one schema both backends share, written in portable SQL types.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    agencies (id) {
        id -> SqlUuid,
        code -> Text,
        name -> Text,
        level -> Text,
        time_zone -> Text,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    users (id) {
        id -> SqlUuid,
        email -> Text,
        full_name -> Text,
        role -> Text,
        agency_id -> Nullable<SqlUuid>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    activation_tokens (token_hash) {
        token_hash -> Text,
        user_id -> SqlUuid,
        purpose -> Text,
        expires_at -> SqlTime,
        used_at -> Nullable<SqlTime>,
        created_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    sessions (jti) {
        jti -> SqlUuid,
        user_id -> SqlUuid,
        issued_at -> SqlTime,
        expires_at -> SqlTime,
        revoked_at -> Nullable<SqlTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    login_failures (id) {
        id -> SqlUuid,
        email_digest -> Text,
        failed_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    idempotency_keys (user_id, idempotency_key) {
        user_id -> SqlUuid,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    audit_events (seq) {
        seq -> BigInt,
        occurred_at -> SqlTime,
        actor_type -> Text,
        actor_id -> Nullable<SqlUuid>,
        actor_role -> Nullable<Text>,
        actor_agency -> Nullable<SqlUuid>,
        actor_label -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        agency_id -> Nullable<SqlUuid>,
        request_id -> Nullable<Text>,
        payload -> Text,
        justification -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    audit_pending (id) {
        id -> BigInt,
        occurred_at -> SqlTime,
        actor_type -> Text,
        actor_id -> Nullable<SqlUuid>,
        actor_role -> Nullable<Text>,
        actor_agency -> Nullable<SqlUuid>,
        actor_label -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        agency_id -> Nullable<SqlUuid>,
        request_id -> Nullable<Text>,
        payload -> Text,
        justification -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::SqlTime;

    audit_checkpoints (seq) {
        seq -> BigInt,
        head_hash -> Text,
        signed_at -> SqlTime,
        public_key -> Text,
        signature -> Text,
    }
}

diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(activation_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    users,
    activation_tokens,
    sessions,
    login_failures,
    idempotency_keys,
    audit_events,
    audit_pending,
    audit_checkpoints,
);
