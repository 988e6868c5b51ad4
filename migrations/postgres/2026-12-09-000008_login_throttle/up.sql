-- The login throttle counts failures per client address as well as per email, and tells an
-- attempt being checked (in_flight) from a settled failure: only failures count against a
-- correct password. Rows from before this migration are settled failures of an unknown client.
ALTER TABLE login_failures ADD COLUMN client_digest text NOT NULL DEFAULT '';
ALTER TABLE login_failures ADD COLUMN in_flight boolean NOT NULL DEFAULT false;
CREATE INDEX login_failures_client_idx ON login_failures (client_digest, failed_at);
