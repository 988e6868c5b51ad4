#!/usr/bin/env bash
# Creates the owner role asn_merit_owner (not a superuser) and the application role asn_merit_app.
#
# The postgres image runs this once, when the data volume is empty (first `docker compose up`),
# as the superuser `postgres` against POSTGRES_DB (asn_merit), over the Unix socket of a temporary
# server. It does not run again on later starts.
#
# How the privileges end up:
#   * asn_merit_owner owns the database, the public schema and every table. Only the one-off
#     `migrate` service connects as it; it is NOSUPERUSER, so it cannot switch off triggers
#     cluster-wide (session_replication_role) or bypass them beyond its own tables.
#   * The default privileges below give asn_merit_app SELECT/INSERT/UPDATE/DELETE on each table
#     the owner creates, at the moment it is created.
#   * The migrations then take back UPDATE/DELETE/TRUNCATE on audit_events and audit_checkpoints
#     and all writes on __diesel_schema_migrations from asn_merit_app (the grants block at the end
#     of 2026-11-23-000001_foundation/up.sql); BEFORE UPDATE/DELETE/TRUNCATE triggers reject
#     changes to the audit tables for every role.
#   * A future migration that adds another append-only table must REVOKE in the same way: by
#     default asn_merit_app may update and delete in every new table.
#
# Passwords are passed as psql variables and quoted by psql (:'app_password'); they are never
# spliced into SQL by the shell.

set -Eeo pipefail

for required in OWNER_DB_PASSWORD APP_DB_PASSWORD; do
    if [[ -z "${!required:-}" ]]; then
        echo "01-roles.sh: $required is empty; it is needed to create the database roles" >&2
        exit 1
    fi
done

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$OWNER_DB_PASSWORD" \
    -v app_password="$APP_DB_PASSWORD" \
    -v dbname="$POSTGRES_DB" <<'SQL'
BEGIN;

CREATE ROLE asn_merit_owner LOGIN PASSWORD :'owner_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE asn_merit_app LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

ALTER DATABASE :"dbname" OWNER TO asn_merit_owner;
ALTER SCHEMA public OWNER TO asn_merit_owner;

-- Only the roles named here may connect to this database or create temporary tables in it.
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO asn_merit_owner, asn_merit_app;

-- The app role may use the schema but not create objects in it (only the owner migrates).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO asn_merit_app;

-- Tables and sequences the owner creates from now on (in the migrations).
ALTER DEFAULT PRIVILEGES FOR ROLE asn_merit_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO asn_merit_app;
ALTER DEFAULT PRIVILEGES FOR ROLE asn_merit_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO asn_merit_app;

COMMIT;
SQL
