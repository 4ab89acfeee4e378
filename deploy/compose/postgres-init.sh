#!/bin/bash
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d): one
# login role and one database per service, each database owned by its role and closed to
# everyone else. The passwords come from the compose secrets, never from the environment.
set -euo pipefail

for service in users cinema payments booking notifications; do
  # psql reads the password file itself (the backquoted \set), so the password is on no
  # command line; :'password' quotes it as an SQL literal.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v service="$service" -v pwfile="/run/secrets/db-password-$service" <<'SQL'
\set password `cat :'pwfile'`
create role :"service" login password :'password';
create database :"service" owner :"service";
-- Every role may connect to a new database by default: only its own service may here.
revoke connect, temporary on database :"service" from public;
grant connect, temporary on database :"service" to :"service";
SQL
done
