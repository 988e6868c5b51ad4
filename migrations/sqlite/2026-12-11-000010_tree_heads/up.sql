-- Signed tree heads: a checkpoint made after this migration also signs the head of the Merkle
-- tree over its `seq` events (RFC 9162 2.1.1) with the same Ed25519 key and time, over
-- "asn-merit-tree-head:v1:{seq}:{root_hash}:{signed_at}". Checkpoints made before it keep
-- only their chain signature (both columns NULL) and verify as before.
ALTER TABLE audit_checkpoints ADD COLUMN root_hash text;
ALTER TABLE audit_checkpoints ADD COLUMN tree_signature text;
