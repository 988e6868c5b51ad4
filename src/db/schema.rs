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
        client_digest -> Text,
        in_flight -> Bool,
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

    audit_events (id) {
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
        prev_hash -> Nullable<Text>,
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
        root_hash -> Nullable<Text>,
        tree_signature -> Nullable<Text>,
    }
}

diesel::table! {
    audit_tree_nodes (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hash -> Text,
        event_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(activation_tokens -> users (user_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    grants (id) {
        id -> SqlUuid,
        user_id -> SqlUuid,
        object_kind -> Text,
        object_id -> SqlUuid,
        permission -> Text,
        object_agency -> Nullable<SqlUuid>,
        granted_by -> Nullable<SqlUuid>,
        granted_at -> SqlTime,
        revoked_by -> Nullable<SqlUuid>,
        revoked_at -> Nullable<SqlTime>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    users,
    activation_tokens,
    sessions,
    login_failures,
    idempotency_keys,
    grants,
    audit_events,
    audit_pending,
    audit_checkpoints,
    audit_tree_nodes,
    competencies,
    positions,
    position_competencies,
    rule_sets,
    selection_rounds,
    openings,
    deviations,
    persons,
    application_imports,
    import_errors,
    applications,
    objective_scores,
    screening_results,
    screening_publications,
    appeals,
    rubrics,
    panels,
    panel_members,
    panel_declarations,
    panel_entries,
    panel_assignments,
    panel_scores,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    competencies (id) {
        id -> SqlUuid,
        agency_id -> Nullable<SqlUuid>,
        code -> Text,
        kind -> Text,
        name -> Text,
        level_descriptions -> Text,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    positions (id) {
        id -> SqlUuid,
        agency_id -> SqlUuid,
        code -> Text,
        title -> Text,
        kind -> Text,
        grade -> Integer,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::SqlUuid;

    position_competencies (position_id, competency_id) {
        position_id -> SqlUuid,
        competency_id -> SqlUuid,
        required_level -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    rule_sets (id) {
        id -> SqlUuid,
        code -> Text,
        name -> Text,
        year -> Integer,
        rules -> Text,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    selection_rounds (id) {
        id -> SqlUuid,
        name -> Text,
        year -> Integer,
        kind -> Text,
        phase -> Text,
        rule_set_id -> SqlUuid,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    openings (id) {
        id -> SqlUuid,
        agency_id -> SqlUuid,
        round_id -> SqlUuid,
        position_id -> SqlUuid,
        rule_set_id -> Nullable<SqlUuid>,
        code -> Text,
        unit -> Text,
        location -> Text,
        kind -> Text,
        status -> Text,
        quota -> Integer,
        seat_groups -> Text,
        eligibility -> Text,
        plan -> Text,
        application_opens_at -> SqlTime,
        application_closes_at -> SqlTime,
        current_stage -> Nullable<Integer>,
        stage_locked -> Bool,
        published_at -> Nullable<SqlTime>,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    deviations (id) {
        id -> SqlUuid,
        agency_id -> Nullable<SqlUuid>,
        kind -> Text,
        object_type -> Text,
        object_id -> Text,
        justification -> Text,
        official_id -> SqlUuid,
        details -> Text,
        created_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    persons (id) {
        id -> SqlUuid,
        round_id -> SqlUuid,
        nik_hash -> Text,
        nik_enc -> Text,
        kk_hash -> Text,
        kk_enc -> Text,
        full_name -> Text,
        birth_date -> Text,
        sex -> Text,
        region_of_origin -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    application_imports (id) {
        id -> SqlUuid,
        round_id -> SqlUuid,
        agency_id -> Nullable<SqlUuid>,
        importer_id -> Nullable<SqlUuid>,
        importer_label -> Nullable<Text>,
        mode -> Text,
        format -> Text,
        file_sha256 -> Text,
        file_bytes -> BigInt,
        status -> Text,
        rows_read -> BigInt,
        rows_accepted -> BigInt,
        rows_unchanged -> BigInt,
        rows_rejected -> BigInt,
        committed_batches -> Integer,
        detail -> Nullable<Text>,
        created_at -> SqlTime,
        started_at -> Nullable<SqlTime>,
        finished_at -> Nullable<SqlTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::SqlUuid;

    import_errors (import_id, row_number, field) {
        import_id -> SqlUuid,
        row_number -> BigInt,
        field -> Text,
        code -> Text,
        message -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    applications (id) {
        id -> SqlUuid,
        round_id -> SqlUuid,
        opening_id -> SqlUuid,
        agency_id -> SqlUuid,
        person_id -> SqlUuid,
        registration_number -> Text,
        seat_group -> Text,
        education_level -> Text,
        education_field -> Text,
        gpa_x100 -> Integer,
        certificates -> Text,
        current_grade -> Nullable<Integer>,
        years_in_grade -> Nullable<Integer>,
        last_rating -> Nullable<Text>,
        status -> Text,
        import_id -> Nullable<SqlUuid>,
        withdrawn_at -> Nullable<SqlTime>,
        withdrawal_reason -> Nullable<Text>,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    objective_scores (application_id, stage_code) {
        application_id -> SqlUuid,
        opening_id -> SqlUuid,
        stage_code -> Text,
        scores -> Text,
        total -> Integer,
        recorded_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    screening_results (application_id) {
        application_id -> SqlUuid,
        opening_id -> SqlUuid,
        outcome -> Text,
        failed -> Text,
        decided_by -> Text,
        decided_at -> SqlTime,
    }
}

diesel::joinable!(applications -> persons (person_id));
diesel::joinable!(screening_results -> applications (application_id));
diesel::joinable!(applications -> selection_rounds (round_id));

diesel::joinable!(position_competencies -> positions (position_id));
diesel::joinable!(position_competencies -> competencies (competency_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    screening_publications (opening_id) {
        opening_id -> SqlUuid,
        published_at -> SqlTime,
        appeal_deadline -> SqlTime,
        time_zone -> Text,
        window_days -> Integer,
        published_by -> SqlUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    appeals (id) {
        id -> SqlUuid,
        application_id -> SqlUuid,
        opening_id -> SqlUuid,
        agency_id -> SqlUuid,
        reason -> Text,
        submitted_at -> SqlTime,
        recorded_by -> SqlUuid,
        recorded_at -> SqlTime,
        status -> Text,
        answer -> Nullable<Text>,
        decided_by -> Nullable<SqlUuid>,
        decided_at -> Nullable<SqlTime>,
    }
}

diesel::joinable!(appeals -> applications (application_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    rubrics (id) {
        id -> SqlUuid,
        agency_id -> SqlUuid,
        code -> Text,
        version -> Integer,
        name -> Text,
        scale_min -> Integer,
        scale_max -> Integer,
        criteria -> Text,
        created_by -> Nullable<SqlUuid>,
        created_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panels (id) {
        id -> SqlUuid,
        opening_id -> SqlUuid,
        agency_id -> SqlUuid,
        stage_code -> Text,
        part_code -> Text,
        rubric_id -> SqlUuid,
        min_scorers -> Integer,
        blind -> Bool,
        aggregate -> Text,
        divergence_spread_x100 -> Integer,
        status -> Text,
        assignment_seed -> Nullable<BigInt>,
        started_at -> Nullable<SqlTime>,
        locked_at -> Nullable<SqlTime>,
        created_at -> SqlTime,
        updated_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panel_members (panel_id, user_id) {
        panel_id -> SqlUuid,
        user_id -> SqlUuid,
        chair -> Bool,
        internal -> Bool,
        political_party_member -> Bool,
        grant_id -> SqlUuid,
        added_at -> SqlTime,
        removed_at -> Nullable<SqlTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panel_declarations (panel_id, user_id) {
        panel_id -> SqlUuid,
        user_id -> SqlUuid,
        relations -> Text,
        ties -> Text,
        version -> Integer,
        declared_at -> SqlTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panel_entries (panel_id, application_id) {
        panel_id -> SqlUuid,
        application_id -> SqlUuid,
        panel_code -> Text,
        material -> Nullable<Text>,
        material_redacted -> Nullable<Text>,
        material_updated_at -> Nullable<SqlTime>,
        in_roster -> Bool,
        moderation_note -> Nullable<Text>,
        moderated_by -> Nullable<SqlUuid>,
        moderated_at -> Nullable<SqlTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panel_assignments (panel_id, application_id, user_id) {
        panel_id -> SqlUuid,
        application_id -> SqlUuid,
        user_id -> SqlUuid,
        assigned_at -> SqlTime,
        conflict_cleared_at -> Nullable<SqlTime>,
        others_seen_at -> Nullable<SqlTime>,
        recused_at -> Nullable<SqlTime>,
        recusal_basis -> Nullable<Text>,
        recusal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{SqlTime, SqlUuid};

    panel_scores (id) {
        id -> SqlUuid,
        panel_id -> SqlUuid,
        application_id -> SqlUuid,
        user_id -> SqlUuid,
        version -> Integer,
        levels -> Text,
        justifications -> Text,
        weighted_x100 -> Integer,
        amendment_reason -> Nullable<Text>,
        submitted_at -> SqlTime,
    }
}

diesel::joinable!(panel_entries -> applications (application_id));
diesel::joinable!(panel_members -> panels (panel_id));
