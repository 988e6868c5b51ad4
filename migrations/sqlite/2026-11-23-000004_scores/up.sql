-- Objective test scores (CAT SKD/SKB) per application and stage, as imported.

CREATE TABLE objective_scores (
    application_id TEXT NOT NULL REFERENCES applications (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    stage_code TEXT NOT NULL,
    -- Canonical JSON object: subtest code -> points.
    scores TEXT NOT NULL,
    total INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (application_id, stage_code)
);
CREATE INDEX objective_scores_opening_idx ON objective_scores (opening_id, stage_code);
