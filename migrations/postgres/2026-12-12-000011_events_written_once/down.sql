-- Irreversible: events written since carry no chain hash, so they cannot be put back into the
-- linear chain. Restore a backup taken before the upgrade instead.
DO $$
BEGIN
    RAISE EXCEPTION 'migration 2026-12-12-000011_events_written_once cannot be reverted';
END;
$$;
