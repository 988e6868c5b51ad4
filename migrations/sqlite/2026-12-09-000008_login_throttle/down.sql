DROP INDEX login_failures_client_idx;
ALTER TABLE login_failures DROP COLUMN in_flight;
ALTER TABLE login_failures DROP COLUMN client_digest;
