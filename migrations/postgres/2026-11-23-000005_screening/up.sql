-- Administrative screening results: one per application, with the requirements it failed.

CREATE TABLE screening_results (
    application_id uuid PRIMARY KEY REFERENCES applications (id),
    opening_id uuid NOT NULL REFERENCES openings (id),
    outcome text NOT NULL CHECK (outcome IN ('eligible', 'ineligible')),
    -- JSON array of {code, reason}.
    failed text NOT NULL,
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL
);
CREATE INDEX screening_results_opening_idx ON screening_results (opening_id, application_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON screening_results TO asn_merit_app;
    END IF;
END;
$$;
