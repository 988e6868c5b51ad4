-- Events are written once, in the transaction of their change, into the table they stay in.
-- The sealer no longer copies them: it gives each its position by writing its leaf in the
-- Merkle tree (audit_tree_nodes level 0, which now names the event). `hash` is computed by the
-- writer over the event's content; `prev_hash` (the linear chain) is kept only on the events
-- chained before this migration, which keep their hashes and still verify as a chain.
CREATE TABLE audit_events_written_once (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'cli', 'system', 'anonymous')),
    actor_id TEXT,
    actor_role TEXT,
    actor_agency TEXT,
    actor_label TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    agency_id TEXT,
    request_id TEXT,
    payload TEXT NOT NULL,
    justification TEXT,
    prev_hash TEXT,
    hash TEXT NOT NULL
);
-- The chained events keep their sequence number as their id (and so their position).
INSERT INTO audit_events_written_once (id, occurred_at, actor_type, actor_id, actor_role,
    actor_agency, actor_label, action, object_type, object_id, agency_id, request_id, payload,
    justification, prev_hash, hash)
SELECT seq, occurred_at, actor_type, actor_id, actor_role, actor_agency, actor_label, action,
    object_type, object_id, agency_id, request_id, payload, justification, prev_hash, hash
FROM audit_events ORDER BY seq;
DROP TABLE audit_events;
ALTER TABLE audit_events_written_once RENAME TO audit_events;

CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_agency_idx ON audit_events (agency_id, id);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;

-- A leaf names its event: leaf number idx is the event at position seq = idx + 1.
-- (SQLite checks an added column's CHECK against the existing rows, so only the half that
-- holds before the leaves are named; PostgreSQL checks both halves.)
ALTER TABLE audit_tree_nodes ADD COLUMN event_id INTEGER CHECK (event_id IS NULL OR level = 0);
DROP TRIGGER audit_tree_nodes_no_update;
UPDATE audit_tree_nodes SET event_id = idx + 1 WHERE level = 0;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE UNIQUE INDEX audit_tree_leaves_event_idx ON audit_tree_nodes (event_id)
    WHERE event_id IS NOT NULL;
-- Events still pending are moved into audit_events by the server at start-up (their hash needs
-- the RFC 8785 encoding), recorded by an audit event; audit_pending then stays empty.
