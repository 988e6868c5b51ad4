-- Publication of an opening's screening results (which starts the appeal window) and the
-- appeals (sanggah) recorded against them.

CREATE TABLE screening_publications (
    opening_id uuid PRIMARY KEY REFERENCES openings (id),
    published_at timestamptz NOT NULL,
    -- The last instant an appeal may be submitted: the end of the window's last day in the
    -- agency's time zone.
    appeal_deadline timestamptz NOT NULL,
    time_zone text NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT')),
    window_days integer NOT NULL CHECK (window_days >= 0),
    published_by uuid NOT NULL REFERENCES users (id)
);

CREATE TABLE appeals (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
    opening_id uuid NOT NULL REFERENCES openings (id),
    agency_id uuid NOT NULL REFERENCES agencies (id),
    reason text NOT NULL,
    submitted_at timestamptz NOT NULL,
    recorded_by uuid NOT NULL REFERENCES users (id),
    recorded_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'granted', 'rejected')),
    answer text,
    decided_by uuid REFERENCES users (id),
    decided_at timestamptz
);
CREATE INDEX appeals_opening_idx ON appeals (opening_id, id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT ON screening_publications TO asn_merit_app;
        GRANT SELECT, INSERT, UPDATE ON appeals TO asn_merit_app;
    END IF;
END;
$$;
