#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume (docker-entrypoint-initdb.d):
# creates the role the worker connects as (a plain login role: not a superuser, no CREATEROLE, no
# CREATEDB) and the warehouse database it owns, so `punchcard migrate` creates and owns the schemas.
# The password travels as a psql variable (:'password' quotes it), never inside the SQL text.
set -eu
: "${PUNCHCARD_DB_PASSWORD:?PUNCHCARD_DB_PASSWORD must be set}"
role="${PUNCHCARD_DB_USER:-punchcard}"
database="${PUNCHCARD_DB_NAME:-punchcard}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v role="$role" -v database="$database" -v password="$PUNCHCARD_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
-- Only the owner (and superusers) may connect; a BI role gets CONNECT from `punchcard grant-bi`.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
