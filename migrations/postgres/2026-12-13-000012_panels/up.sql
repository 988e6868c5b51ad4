-- Blind panel scoring: rubrics (versioned, immutable once written), one panel per panel stage
-- or panel part of an opening, its members (each holds a `panel_score` grant), their
-- conflict-of-interest declarations (identity numbers only as keyed hashes, relatives' names
-- encrypted), the entries a panel scores (a random panel code per application, the stage
-- material), the assignment of scorers with recusals, and every version of every score.

CREATE TABLE rubrics (
    id uuid PRIMARY KEY,
    agency_id uuid NOT NULL REFERENCES agencies (id),
    code text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    name text NOT NULL,
    scale_min integer NOT NULL,
    scale_max integer NOT NULL CHECK (scale_max > scale_min),
    -- JSON: [{code, name, weight, levels: [{level, descriptor}]}]
    criteria text NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL,
    UNIQUE (agency_id, code, version)
);

CREATE TABLE panels (
    id uuid PRIMARY KEY,
    opening_id uuid NOT NULL REFERENCES openings (id),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    stage_code text NOT NULL,
    -- '' for a panel stage; the part's code for the panel part of a composite stage.
    part_code text NOT NULL,
    rubric_id uuid NOT NULL REFERENCES rubrics (id),
    min_scorers integer NOT NULL CHECK (min_scorers >= 2),
    blind boolean NOT NULL,
    aggregate text NOT NULL CHECK (aggregate IN ('mean', 'trimmed_mean')),
    -- Weighted totals of one application further apart than this (x100, rubric scale) diverge.
    divergence_spread_x100 integer NOT NULL CHECK (divergence_spread_x100 >= 0),
    status text NOT NULL CHECK (status IN ('forming', 'scoring', 'locked')),
    assignment_seed bigint,
    started_at timestamptz,
    locked_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (opening_id, stage_code, part_code)
);

CREATE TABLE panel_members (
    panel_id uuid NOT NULL REFERENCES panels (id),
    user_id uuid NOT NULL REFERENCES users (id),
    chair boolean NOT NULL,
    -- From the opening's agency (JPT panels: at most 45% internal).
    internal boolean NOT NULL,
    political_party_member boolean NOT NULL,
    grant_id uuid NOT NULL REFERENCES grants (id),
    added_at timestamptz NOT NULL,
    removed_at timestamptz,
    PRIMARY KEY (panel_id, user_id)
);

CREATE TABLE panel_declarations (
    panel_id uuid NOT NULL REFERENCES panels (id),
    user_id uuid NOT NULL REFERENCES users (id),
    -- JSON: [{relation, name_enc, nik_hash, kk_hash}]: names encrypted, numbers keyed-hashed.
    relations text NOT NULL,
    -- JSON: [{kind, name}]: former employers, schools, organisations.
    ties text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    declared_at timestamptz NOT NULL,
    PRIMARY KEY (panel_id, user_id)
);

CREATE TABLE panel_entries (
    panel_id uuid NOT NULL REFERENCES panels (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    -- Random per panel, never published, unrelated to the registration number.
    panel_code text NOT NULL,
    -- JSON {answers: [{prompt, text}], work_samples: [{title, reference}]}, or NULL.
    material text,
    -- The same with the applicant's own identifiers redacted: what panelists read.
    material_redacted text,
    material_updated_at timestamptz,
    in_roster boolean NOT NULL,
    moderation_note text,
    moderated_by uuid REFERENCES users (id),
    moderated_at timestamptz,
    PRIMARY KEY (panel_id, application_id),
    UNIQUE (panel_id, panel_code)
);

CREATE TABLE panel_assignments (
    panel_id uuid NOT NULL REFERENCES panels (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    user_id uuid NOT NULL REFERENCES users (id),
    assigned_at timestamptz NOT NULL,
    -- Non-blind stages: when the panelist confirmed no conflict with this candidate.
    conflict_cleared_at timestamptz,
    -- The panelist read the others' scores (after submitting their own): no amendment after.
    others_seen_at timestamptz,
    recused_at timestamptz,
    recusal_basis text CHECK (recusal_basis IN ('declared_relation', 'self', 'declined_at_reveal')),
    recusal_reason text,
    PRIMARY KEY (panel_id, application_id, user_id)
);
CREATE INDEX panel_assignments_user_idx ON panel_assignments (panel_id, user_id, application_id);

CREATE TABLE panel_scores (
    id uuid PRIMARY KEY,
    panel_id uuid NOT NULL REFERENCES panels (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    user_id uuid NOT NULL REFERENCES users (id),
    version integer NOT NULL CHECK (version >= 1),
    -- JSON {criterion_code: level}
    levels text NOT NULL,
    -- JSON {criterion_code: text}
    justifications text NOT NULL,
    weighted_x100 integer NOT NULL,
    amendment_reason text,
    submitted_at timestamptz NOT NULL,
    UNIQUE (panel_id, application_id, user_id, version)
);

CREATE FUNCTION panel_scores_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'panel scores are append-only: amend with a new version';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER panel_scores_append_only BEFORE UPDATE OR DELETE ON panel_scores
    FOR EACH ROW EXECUTE FUNCTION panel_scores_append_only();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT ON rubrics, panel_scores TO asn_merit_app;
        GRANT SELECT, INSERT, UPDATE ON panels, panel_members, panel_declarations, panel_entries,
            panel_assignments TO asn_merit_app;
    END IF;
END;
$$;
