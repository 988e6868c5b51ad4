ALTER TABLE audit_checkpoints DROP COLUMN tree_signature;
ALTER TABLE audit_checkpoints DROP COLUMN root_hash;
