-- Object grants: access to one object beyond a user's base role and agency (e.g. panel
-- membership: "scorer of stage X"). The policy reads them on every object decision. Rows are
-- kept after revocation so the history stays visible; each change is audited.

CREATE TABLE grants (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    object_kind text NOT NULL,
    object_id uuid NOT NULL,
    permission text NOT NULL,
    -- The agency that owned the object when it was granted (NULL: a national object).
    object_agency uuid REFERENCES agencies (id),
    -- NULL: granted by an operator at the command line or by a rule of the system.
    granted_by uuid REFERENCES users (id),
    granted_at timestamptz NOT NULL,
    revoked_by uuid REFERENCES users (id),
    revoked_at timestamptz
);
CREATE UNIQUE INDEX grants_active_key ON grants (user_id, object_kind, object_id, permission)
    WHERE revoked_at IS NULL;
CREATE INDEX grants_object_idx ON grants (object_kind, object_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE ON grants TO asn_merit_app;
        REVOKE DELETE, TRUNCATE ON grants FROM asn_merit_app;
    END IF;
END;
$$;
