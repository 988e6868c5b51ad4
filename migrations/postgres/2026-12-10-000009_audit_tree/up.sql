-- The Merkle tree of RFC 9162 over the sealed audit events in seq order: every complete subtree
-- (an aligned block of 2^level events), stored once, when its last event is sealed. Level 0
-- holds the leaf hashes, SHA-256(0x00 || the event's hash); an interior node is
-- SHA-256(0x01 || left || right). The head of any tree size and every proof come from O(log n)
-- rows. The server fills it in the transaction that seals the events and, for events sealed
-- before this table existed, in batches after start.
CREATE TABLE audit_tree_nodes (
    level integer NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx bigint NOT NULL CHECK (idx >= 0),
    hash text NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asn_merit_app') THEN
        GRANT SELECT, INSERT ON audit_tree_nodes TO asn_merit_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_tree_nodes FROM asn_merit_app;
    END IF;
END;
$$;
