-- Irreversible: events written since carry no chain hash, so they cannot be put back into the
-- linear chain. Restore a backup taken before the upgrade instead.
SELECT irreversible_migration_2026_12_12_000011_events_written_once();
