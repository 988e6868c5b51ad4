-- Object grants: access to one object beyond a user's base role and agency (e.g. panel
-- membership: "scorer of stage X"). The policy reads them on every object decision. Rows are
-- kept after revocation so the history stays visible; each change is audited.

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    object_kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    permission TEXT NOT NULL,
    -- The agency that owned the object when it was granted (NULL: a national object).
    object_agency TEXT REFERENCES agencies (id),
    -- NULL: granted by an operator at the command line or by a rule of the system.
    granted_by TEXT REFERENCES users (id),
    granted_at TEXT NOT NULL,
    revoked_by TEXT REFERENCES users (id),
    revoked_at TEXT
);
CREATE UNIQUE INDEX grants_active_key ON grants (user_id, object_kind, object_id, permission)
    WHERE revoked_at IS NULL;
CREATE INDEX grants_object_idx ON grants (object_kind, object_id);
