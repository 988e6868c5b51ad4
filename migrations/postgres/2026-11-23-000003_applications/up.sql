-- Applications: one identity record per person and round (NIK and KK encrypted, matched by keyed
-- hash), the assessment side of each application apart from it, and bulk import jobs with their
-- per-row error reports.

CREATE TABLE persons (
    id uuid PRIMARY KEY,
    round_id uuid NOT NULL REFERENCES selection_rounds (id),
    nik_hash text NOT NULL,
    nik_enc text NOT NULL,
    kk_hash text NOT NULL,
    kk_enc text NOT NULL,
    full_name text NOT NULL,
    -- ISO date (YYYY-MM-DD).
    birth_date text NOT NULL,
    sex text NOT NULL CHECK (sex IN ('female', 'male')),
    region_of_origin text NOT NULL,
    email text NOT NULL,
    phone text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- NIK hash first: every lookup is by a batch of hashes (one round, or the rounds of a year).
    UNIQUE (nik_hash, round_id)
);
CREATE INDEX persons_kk_idx ON persons (kk_hash);

CREATE TABLE application_imports (
    id uuid PRIMARY KEY,
    round_id uuid NOT NULL REFERENCES selection_rounds (id),
    -- NULL: a whole-round import by an admin or operator; else one agency's openings only.
    agency_id uuid REFERENCES agencies (id),
    importer_id uuid REFERENCES users (id),
    importer_label text,
    mode text NOT NULL CHECK (mode IN ('all_or_nothing', 'valid_rows')),
    format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
    file_sha256 text NOT NULL,
    file_bytes bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'rejected', 'interrupted', 'failed')),
    rows_read bigint NOT NULL,
    rows_accepted bigint NOT NULL,
    rows_unchanged bigint NOT NULL,
    rows_rejected bigint NOT NULL,
    committed_batches integer NOT NULL,
    detail text,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX application_imports_round_idx ON application_imports (round_id, id);

CREATE TABLE import_errors (
    import_id uuid NOT NULL REFERENCES application_imports (id),
    row_number bigint NOT NULL,
    field text NOT NULL,
    code text NOT NULL,
    message text NOT NULL,
    PRIMARY KEY (import_id, row_number, field)
);

CREATE TABLE applications (
    id uuid PRIMARY KEY,
    round_id uuid NOT NULL REFERENCES selection_rounds (id),
    opening_id uuid NOT NULL REFERENCES openings (id),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    person_id uuid NOT NULL REFERENCES persons (id),
    -- Public: given to the applicant and used in published results. Random, never derived from
    -- identity; panel codes for blind stages are separate.
    registration_number text NOT NULL,
    seat_group text NOT NULL,
    education_level text NOT NULL,
    education_field text NOT NULL,
    gpa_x100 integer NOT NULL,
    certificates text NOT NULL,
    current_grade integer,
    years_in_grade integer,
    last_rating text,
    status text NOT NULL,
    import_id uuid REFERENCES application_imports (id),
    withdrawn_at timestamptz,
    withdrawal_reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (opening_id, person_id),
    UNIQUE (round_id, registration_number)
);
CREATE INDEX applications_opening_idx ON applications (opening_id, id);
CREATE INDEX applications_person_idx ON applications (person_id);
CREATE INDEX applications_agency_idx ON applications (agency_id, id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON persons, application_imports, import_errors,
            applications TO asn_merit_app;
    END IF;
END;
$$;
