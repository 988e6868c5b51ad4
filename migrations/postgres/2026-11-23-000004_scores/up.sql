-- Objective test scores (CAT SKD/SKB) per application and stage, as imported.

CREATE TABLE objective_scores (
    application_id uuid NOT NULL REFERENCES applications (id),
    opening_id uuid NOT NULL REFERENCES openings (id),
    stage_code text NOT NULL,
    -- Canonical JSON object: subtest code -> points.
    scores text NOT NULL,
    total integer NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (application_id, stage_code)
);
CREATE INDEX objective_scores_opening_idx ON objective_scores (opening_id, stage_code);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON objective_scores TO asn_merit_app;
    END IF;
END;
$$;
