-- The Merkle tree of RFC 9162 over the sealed audit events in seq order: every complete subtree
-- (an aligned block of 2^level events), stored once, when its last event is sealed. Level 0
-- holds the leaf hashes, SHA-256(0x00 || the event's hash); an interior node is
-- SHA-256(0x01 || left || right). The head of any tree size and every proof come from O(log n)
-- rows. The server fills it in the transaction that seals the events and, for events sealed
-- before this table existed, in batches after start.
CREATE TABLE audit_tree_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
