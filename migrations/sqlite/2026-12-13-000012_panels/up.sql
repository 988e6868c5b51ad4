-- Blind panel scoring: rubrics (versioned, immutable once written), one panel per panel stage
-- or panel part of an opening, its members (each holds a `panel_score` grant), their
-- conflict-of-interest declarations (identity numbers only as keyed hashes, relatives' names
-- encrypted), the entries a panel scores (a random panel code per application, the stage
-- material), the assignment of scorers with recusals, and every version of every score.

CREATE TABLE rubrics (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    code TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    name TEXT NOT NULL,
    scale_min INTEGER NOT NULL,
    scale_max INTEGER NOT NULL CHECK (scale_max > scale_min),
    -- JSON: [{code, name, weight, levels: [{level, descriptor}]}]
    criteria TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, code, version)
);

CREATE TABLE panels (
    id TEXT PRIMARY KEY,
    opening_id TEXT NOT NULL REFERENCES openings (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    stage_code TEXT NOT NULL,
    -- '' for a panel stage; the part's code for the panel part of a composite stage.
    part_code TEXT NOT NULL,
    rubric_id TEXT NOT NULL REFERENCES rubrics (id),
    min_scorers INTEGER NOT NULL CHECK (min_scorers >= 2),
    blind BOOLEAN NOT NULL,
    aggregate TEXT NOT NULL CHECK (aggregate IN ('mean', 'trimmed_mean')),
    -- Weighted totals of one application further apart than this (x100, rubric scale) diverge.
    divergence_spread_x100 INTEGER NOT NULL CHECK (divergence_spread_x100 >= 0),
    status TEXT NOT NULL CHECK (status IN ('forming', 'scoring', 'locked')),
    assignment_seed INTEGER,
    started_at TEXT,
    locked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (opening_id, stage_code, part_code)
);

CREATE TABLE panel_members (
    panel_id TEXT NOT NULL REFERENCES panels (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    chair BOOLEAN NOT NULL,
    -- From the opening's agency (JPT panels: at most 45% internal).
    internal BOOLEAN NOT NULL,
    political_party_member BOOLEAN NOT NULL,
    grant_id TEXT NOT NULL REFERENCES grants (id),
    added_at TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (panel_id, user_id)
);

CREATE TABLE panel_declarations (
    panel_id TEXT NOT NULL REFERENCES panels (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    -- JSON: [{relation, name_enc, nik_hash, kk_hash}]: names encrypted, numbers keyed-hashed.
    relations TEXT NOT NULL,
    -- JSON: [{kind, name}]: former employers, schools, organisations.
    ties TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    declared_at TEXT NOT NULL,
    PRIMARY KEY (panel_id, user_id)
);

CREATE TABLE panel_entries (
    panel_id TEXT NOT NULL REFERENCES panels (id),
    application_id TEXT NOT NULL REFERENCES applications (id),
    -- Random per panel, never published, unrelated to the registration number.
    panel_code TEXT NOT NULL,
    -- JSON {answers: [{prompt, text}], work_samples: [{title, reference}]}, or NULL.
    material TEXT,
    -- The same with the applicant's own identifiers redacted: what panelists read.
    material_redacted TEXT,
    material_updated_at TEXT,
    in_roster BOOLEAN NOT NULL,
    moderation_note TEXT,
    moderated_by TEXT REFERENCES users (id),
    moderated_at TEXT,
    PRIMARY KEY (panel_id, application_id),
    UNIQUE (panel_id, panel_code)
);

CREATE TABLE panel_assignments (
    panel_id TEXT NOT NULL REFERENCES panels (id),
    application_id TEXT NOT NULL REFERENCES applications (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    assigned_at TEXT NOT NULL,
    -- Non-blind stages: when the panelist confirmed no conflict with this candidate.
    conflict_cleared_at TEXT,
    -- The panelist read the others' scores (after submitting their own): no amendment after.
    others_seen_at TEXT,
    recused_at TEXT,
    recusal_basis TEXT CHECK (recusal_basis IN ('declared_relation', 'self', 'declined_at_reveal')),
    recusal_reason TEXT,
    PRIMARY KEY (panel_id, application_id, user_id)
);
CREATE INDEX panel_assignments_user_idx ON panel_assignments (panel_id, user_id, application_id);

CREATE TABLE panel_scores (
    id TEXT PRIMARY KEY,
    panel_id TEXT NOT NULL REFERENCES panels (id),
    application_id TEXT NOT NULL REFERENCES applications (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    -- JSON {criterion_code: level}
    levels TEXT NOT NULL,
    -- JSON {criterion_code: text}
    justifications TEXT NOT NULL,
    weighted_x100 INTEGER NOT NULL,
    amendment_reason TEXT,
    submitted_at TEXT NOT NULL,
    UNIQUE (panel_id, application_id, user_id, version)
);

CREATE TRIGGER panel_scores_no_update BEFORE UPDATE ON panel_scores
BEGIN
    SELECT RAISE(ABORT, 'panel scores are append-only: amend with a new version');
END;
CREATE TRIGGER panel_scores_no_delete BEFORE DELETE ON panel_scores
BEGIN
    SELECT RAISE(ABORT, 'panel scores are append-only: amend with a new version');
END;
