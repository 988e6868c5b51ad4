-- Foundation: agencies, users, sessions, activation tokens, login throttling,
-- idempotency keys and the tamper-evident audit chain.

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('central', 'regional')),
    time_zone TEXT NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'hr_officer', 'panelist', 'appointing_official', 'auditor')),
    agency_id TEXT REFERENCES agencies (id),
    password_hash TEXT,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_agency_idx ON users (agency_id, id);

CREATE TABLE activation_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'reset')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX activation_tokens_user_idx ON activation_tokens (user_id);

CREATE TABLE sessions (
    jti TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    email_digest TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_email_idx ON login_failures (email_digest, failed_at);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'cli', 'system', 'anonymous')),
    actor_id TEXT,
    actor_role TEXT,
    actor_agency TEXT,
    actor_label TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    agency_id TEXT,
    request_id TEXT,
    payload TEXT NOT NULL,
    justification TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- The same few indexes as on PostgreSQL (there, time ranges use BRIN).
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_agency_idx ON audit_events (agency_id, seq);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);

-- Events written in the transaction of the change they record, waiting to be sealed into the
-- chain (seq, prev_hash, hash) by the sealer, which batches them under the chain lock.
CREATE TABLE audit_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'cli', 'system', 'anonymous')),
    actor_id TEXT,
    actor_role TEXT,
    actor_agency TEXT,
    actor_label TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    agency_id TEXT,
    request_id TEXT,
    payload TEXT NOT NULL,
    justification TEXT
);

CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- The audit chain is append-only: SQLite triggers reject any rewrite or removal.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;

-- One row that every write transaction touches first, so SQLite takes its write lock at the
-- start of the transaction (the effect of BEGIN IMMEDIATE) and audit appends are serialised.
CREATE TABLE write_lock (
    id INTEGER PRIMARY KEY,
    touched INTEGER NOT NULL
);
INSERT INTO write_lock (id, touched) VALUES (1, 0);
