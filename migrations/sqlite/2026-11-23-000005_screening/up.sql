-- Administrative screening results: one per application, with the requirements it failed.

CREATE TABLE screening_results (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('eligible', 'ineligible')),
    -- JSON array of {code, reason}.
    failed TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX screening_results_opening_idx ON screening_results (opening_id, application_id);
