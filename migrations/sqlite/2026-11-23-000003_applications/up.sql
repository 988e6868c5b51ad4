-- Applications: one identity record per person and round (NIK and KK encrypted, matched by keyed
-- hash), the assessment side of each application apart from it, and bulk import jobs with their
-- per-row error reports.

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES selection_rounds (id),
    nik_hash TEXT NOT NULL,
    nik_enc TEXT NOT NULL,
    kk_hash TEXT NOT NULL,
    kk_enc TEXT NOT NULL,
    full_name TEXT NOT NULL,
    -- ISO date (YYYY-MM-DD).
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male')),
    region_of_origin TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- NIK hash first: every lookup is by a batch of hashes (one round, or the rounds of a year).
    UNIQUE (nik_hash, round_id)
);
CREATE INDEX persons_kk_idx ON persons (kk_hash);

CREATE TABLE application_imports (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES selection_rounds (id),
    -- NULL: a whole-round import by an admin or operator; else one agency's openings only.
    agency_id TEXT REFERENCES agencies (id),
    importer_id TEXT REFERENCES users (id),
    importer_label TEXT,
    mode TEXT NOT NULL CHECK (mode IN ('all_or_nothing', 'valid_rows')),
    format TEXT NOT NULL CHECK (format IN ('csv', 'jsonl')),
    file_sha256 TEXT NOT NULL,
    file_bytes BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'rejected', 'interrupted', 'failed')),
    rows_read BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    committed_batches INTEGER NOT NULL,
    detail TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX application_imports_round_idx ON application_imports (round_id, id);

CREATE TABLE import_errors (
    import_id TEXT NOT NULL REFERENCES application_imports (id),
    row_number BIGINT NOT NULL,
    field TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number, field)
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES selection_rounds (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    -- Public: given to the applicant and used in published results. Random, never derived from
    -- identity; panel codes for blind stages are separate.
    registration_number TEXT NOT NULL,
    seat_group TEXT NOT NULL,
    education_level TEXT NOT NULL,
    education_field TEXT NOT NULL,
    gpa_x100 INTEGER NOT NULL,
    certificates TEXT NOT NULL,
    current_grade INTEGER,
    years_in_grade INTEGER,
    last_rating TEXT,
    status TEXT NOT NULL,
    import_id TEXT REFERENCES application_imports (id),
    withdrawn_at TEXT,
    withdrawal_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (opening_id, person_id),
    UNIQUE (round_id, registration_number)
);
CREATE INDEX applications_opening_idx ON applications (opening_id, id);
CREATE INDEX applications_person_idx ON applications (person_id);
CREATE INDEX applications_agency_idx ON applications (agency_id, id);

