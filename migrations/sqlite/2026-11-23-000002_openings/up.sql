-- Openings: the competency catalogue, positions with their competency standard, national rule
-- sets per selection year, selection rounds, openings (formasi) with their assessment plan, and
-- deviations from merit order or from published rules.

CREATE TABLE competencies (
    id TEXT PRIMARY KEY,
    -- NULL: the national catalogue (managerial, sociocultural, shared technical); else one agency's.
    agency_id TEXT REFERENCES agencies (id),
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('technical', 'managerial', 'sociocultural')),
    name TEXT NOT NULL,
    -- JSON array of five descriptions, level 1 to 5.
    level_descriptions TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX competencies_agency_idx ON competencies (agency_id, id);

CREATE TABLE positions (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('executive', 'functional', 'administrator', 'supervisor', 'high_leadership')),
    grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 17),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (agency_id, code)
);

CREATE TABLE position_competencies (
    position_id TEXT NOT NULL REFERENCES positions (id),
    competency_id TEXT NOT NULL REFERENCES competencies (id),
    required_level INTEGER NOT NULL CHECK (required_level BETWEEN 1 AND 5),
    PRIMARY KEY (position_id, competency_id)
);
CREATE INDEX position_competencies_competency_idx ON position_competencies (competency_id);

CREATE TABLE rule_sets (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    -- The rules as canonical JSON, validated by the server on every write.
    rules TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE selection_rounds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cpns', 'pppk', 'promotion')),
    phase TEXT NOT NULL CHECK (phase IN ('planning', 'registration', 'screening', 'assessment', 'announcement', 'closed')),
    rule_set_id TEXT NOT NULL REFERENCES rule_sets (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE openings (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    round_id TEXT NOT NULL REFERENCES selection_rounds (id),
    position_id TEXT NOT NULL REFERENCES positions (id),
    -- Set at publish: the rule set the frozen plan was validated against.
    rule_set_id TEXT REFERENCES rule_sets (id),
    code TEXT NOT NULL,
    unit TEXT NOT NULL,
    location TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('recruitment', 'promotion')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed', 'screening', 'assessing', 'ranked', 'finalized')),
    quota INTEGER NOT NULL CHECK (quota > 0),
    seat_groups TEXT NOT NULL,
    eligibility TEXT NOT NULL,
    plan TEXT NOT NULL,
    application_opens_at TEXT NOT NULL,
    application_closes_at TEXT NOT NULL,
    current_stage INTEGER,
    stage_locked BOOLEAN NOT NULL,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (round_id, code)
);
CREATE INDEX openings_agency_idx ON openings (agency_id, id);
CREATE INDEX openings_status_idx ON openings (status, id);

CREATE TABLE deviations (
    id TEXT PRIMARY KEY,
    agency_id TEXT REFERENCES agencies (id),
    kind TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    justification TEXT NOT NULL,
    official_id TEXT NOT NULL REFERENCES users (id),
    -- JSON: what was changed (field names and digests, never personal data in clear).
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX deviations_agency_idx ON deviations (agency_id, id);
CREATE INDEX deviations_object_idx ON deviations (object_type, object_id);

-- Deviations are a permanent record, like the chain that points at them.
CREATE TRIGGER deviations_no_update BEFORE UPDATE ON deviations
BEGIN SELECT RAISE(ABORT, 'deviations are append-only'); END;
CREATE TRIGGER deviations_no_delete BEFORE DELETE ON deviations
BEGIN SELECT RAISE(ABORT, 'deviations are append-only'); END;
