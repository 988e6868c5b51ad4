-- Publication of an opening's screening results (which starts the appeal window) and the
-- appeals (sanggah) recorded against them.

CREATE TABLE screening_publications (
    opening_id TEXT PRIMARY KEY REFERENCES openings (id),
    published_at TEXT NOT NULL,
    -- The last instant an appeal may be submitted: the end of the window's last day in the
    -- agency's time zone.
    appeal_deadline TEXT NOT NULL,
    time_zone TEXT NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT')),
    window_days INTEGER NOT NULL CHECK (window_days >= 0),
    published_by TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE appeals (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    opening_id TEXT NOT NULL REFERENCES openings (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    reason TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'rejected')),
    answer TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT
);
CREATE INDEX appeals_opening_idx ON appeals (opening_id, id);
