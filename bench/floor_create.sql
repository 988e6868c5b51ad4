-- SQL floor of the unaudited create (bench/run.sh, pgbench -M prepared on a database migrated like
-- the server's): the statements of POST /bench/agencies in one transaction, the code check and
-- the insert. Codes and ids come from one random number per transaction.
\set n random(1, 4611686018427387903)
BEGIN;
SELECT COUNT(*) FROM "agencies" WHERE ("agencies"."code" = 'F-' || :n);
INSERT INTO "agencies" ("id", "code", "name", "level", "time_zone", "created_at", "updated_at")
  VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, 'F-' || :n, 'Floor agency ' || :n, 'central', 'WIB', now(), now());
COMMIT;
