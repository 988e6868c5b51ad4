-- Openings: the competency catalogue, positions with their competency standard, national rule
-- sets per selection year, selection rounds, openings (formasi) with their assessment plan, and
-- deviations from merit order or from published rules.

CREATE TABLE competencies (
    id uuid PRIMARY KEY,
    -- NULL: the national catalogue (managerial, sociocultural, shared technical); else one agency's.
    agency_id uuid REFERENCES agencies (id),
    code text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('technical', 'managerial', 'sociocultural')),
    name text NOT NULL,
    -- JSON array of five descriptions, level 1 to 5.
    level_descriptions text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX competencies_agency_idx ON competencies (agency_id, id);

CREATE TABLE positions (
    id uuid PRIMARY KEY,
    agency_id uuid NOT NULL REFERENCES agencies (id),
    code text NOT NULL,
    title text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('executive', 'functional', 'administrator', 'supervisor', 'high_leadership')),
    grade integer NOT NULL CHECK (grade BETWEEN 1 AND 17),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (agency_id, code)
);

CREATE TABLE position_competencies (
    position_id uuid NOT NULL REFERENCES positions (id),
    competency_id uuid NOT NULL REFERENCES competencies (id),
    required_level integer NOT NULL CHECK (required_level BETWEEN 1 AND 5),
    PRIMARY KEY (position_id, competency_id)
);
CREATE INDEX position_competencies_competency_idx ON position_competencies (competency_id);

CREATE TABLE rule_sets (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    year integer NOT NULL,
    -- The rules as canonical JSON, validated by the server on every write.
    rules text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE selection_rounds (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    year integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('cpns', 'pppk', 'promotion')),
    phase text NOT NULL CHECK (phase IN ('planning', 'registration', 'screening', 'assessment', 'announcement', 'closed')),
    rule_set_id uuid NOT NULL REFERENCES rule_sets (id),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE openings (
    id uuid PRIMARY KEY,
    agency_id uuid NOT NULL REFERENCES agencies (id),
    round_id uuid NOT NULL REFERENCES selection_rounds (id),
    position_id uuid NOT NULL REFERENCES positions (id),
    -- Set at publish: the rule set the frozen plan was validated against.
    rule_set_id uuid REFERENCES rule_sets (id),
    code text NOT NULL,
    unit text NOT NULL,
    location text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('recruitment', 'promotion')),
    status text NOT NULL CHECK (status IN ('draft', 'published', 'closed', 'screening', 'assessing', 'ranked', 'finalized')),
    quota integer NOT NULL CHECK (quota > 0),
    seat_groups text NOT NULL,
    eligibility text NOT NULL,
    plan text NOT NULL,
    application_opens_at timestamptz NOT NULL,
    application_closes_at timestamptz NOT NULL,
    current_stage integer,
    stage_locked boolean NOT NULL,
    published_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (round_id, code)
);
CREATE INDEX openings_agency_idx ON openings (agency_id, id);
CREATE INDEX openings_status_idx ON openings (status, id);

CREATE TABLE deviations (
    id uuid PRIMARY KEY,
    agency_id uuid REFERENCES agencies (id),
    kind text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    justification text NOT NULL,
    official_id uuid NOT NULL REFERENCES users (id),
    -- JSON: what was changed (field names and digests, never personal data in clear).
    details text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX deviations_agency_idx ON deviations (agency_id, id);
CREATE INDEX deviations_object_idx ON deviations (object_type, object_id);

-- Deviations are a permanent record, like the chain that points at them.
CREATE TRIGGER deviations_append_only BEFORE UPDATE OR DELETE ON deviations
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON competencies, positions, position_competencies,
            rule_sets, selection_rounds, openings TO asn_merit_app;
        GRANT SELECT, INSERT ON deviations TO asn_merit_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON deviations FROM asn_merit_app;
    END IF;
END;
$$;
