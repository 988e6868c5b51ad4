-- SQL floor of the audited create (bench/run.sh): bench/floor_create.sql plus the statement that
-- writes the event, as POST /api/v1/agencies sends it (the content hash is computed by the
-- server; a fixed 64-hex value stands in for it here). Nothing seals this database.
\set n random(1, 4611686018427387903)
BEGIN;
SELECT COUNT(*) FROM "agencies" WHERE ("agencies"."code" = 'F-' || :n);
INSERT INTO "agencies" ("id", "code", "name", "level", "time_zone", "created_at", "updated_at")
  VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, 'F-' || :n, 'Floor agency ' || :n, 'central', 'WIB', now(), now());
INSERT INTO "audit_events" ("occurred_at", "actor_type", "actor_id", "actor_role", "actor_agency", "actor_label",
    "action", "object_type", "object_id", "agency_id", "request_id", "payload", "justification", "prev_hash", "hash")
  VALUES (now(), 'user', '01a24d1f-38f7-76ad-9f8a-2c843f672f0e', 'admin', DEFAULT, DEFAULT,
    'agency.created', 'agency', lpad(to_hex(:n::bigint), 32, '0')::uuid::text, lpad(to_hex(:n::bigint), 32, '0')::uuid,
    'req-' || :n, '{"code":"F-' || :n || '","level":"central","name":"Floor agency ' || :n || '","time_zone":"WIB"}',
    DEFAULT, DEFAULT, 'e3fd224dc85148a45730d62a3fdcdd19e4d49dd3ad3bb8aee1483b4b218f5c76');
COMMIT;
