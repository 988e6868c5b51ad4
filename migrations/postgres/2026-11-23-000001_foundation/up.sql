-- Foundation: agencies, users, sessions, activation tokens, login throttling,
-- idempotency keys and the tamper-evident audit chain.

CREATE TABLE agencies (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    level text NOT NULL CHECK (level IN ('central', 'regional')),
    time_zone text NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    full_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'hr_officer', 'panelist', 'appointing_official', 'auditor')),
    agency_id uuid REFERENCES agencies (id),
    password_hash text,
    active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX users_agency_idx ON users (agency_id, id);

CREATE TABLE activation_tokens (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    purpose text NOT NULL CHECK (purpose IN ('activation', 'reset')),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX activation_tokens_user_idx ON activation_tokens (user_id);

CREATE TABLE sessions (
    jti uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_failures (
    id uuid PRIMARY KEY,
    email_digest text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_email_idx ON login_failures (email_digest, failed_at);

CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id),
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    response_status integer NOT NULL,
    response_body text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

CREATE TABLE audit_events (
    seq bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'cli', 'system', 'anonymous')),
    actor_id uuid,
    actor_role text,
    actor_agency uuid,
    actor_label text,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text,
    agency_id uuid,
    request_id text,
    payload text NOT NULL,
    justification text,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
-- Few indexes: every one is paid on each sealed event. Trails (by object), "who did what" (by
-- actor) and agency scope are indexed; time ranges use a BRIN index, nearly free on an
-- append-only table whose rows arrive in time order; the action filter scans in sequence order,
-- a page at a time.
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_agency_idx ON audit_events (agency_id, seq);
CREATE INDEX audit_events_time_idx ON audit_events USING brin (occurred_at);

-- Events written in the transaction of the change they record, waiting to be sealed into the
-- chain (seq, prev_hash, hash) by the sealer, which batches them under the chain lock.
CREATE TABLE audit_pending (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'cli', 'system', 'anonymous')),
    actor_id uuid,
    actor_role text,
    actor_agency uuid,
    actor_label text,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text,
    agency_id uuid,
    request_id text,
    payload text NOT NULL,
    justification text
);

CREATE TABLE audit_checkpoints (
    seq bigint PRIMARY KEY,
    head_hash text NOT NULL,
    signed_at timestamptz NOT NULL,
    public_key text NOT NULL,
    signature text NOT NULL
);

-- The audit chain is append-only: no role may rewrite or remove it through SQL.
CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

-- Where the deployment runs the server as a separate, non-owning role (docker-compose does),
-- that role may only read and append the chain.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON agencies, users, activation_tokens, sessions,
            login_failures, idempotency_keys TO asn_merit_app;
        GRANT SELECT, INSERT, DELETE ON audit_pending TO asn_merit_app;
        REVOKE UPDATE, TRUNCATE ON audit_pending FROM asn_merit_app;
        GRANT SELECT, INSERT ON audit_events, audit_checkpoints TO asn_merit_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM asn_merit_app;
        -- Migration bookkeeping belongs to the owner role alone; the server only reads it (readyz).
        GRANT SELECT ON __diesel_schema_migrations TO asn_merit_app;
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON __diesel_schema_migrations FROM asn_merit_app;
    END IF;
END;
$$;
