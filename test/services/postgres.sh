#!/usr/bin/env bash
# PostgreSQL for the tests of the PostgreSQL tracking store (issue 10.3), idempotent:
# installs Debian's `postgresql` if missing (CI: a clean Debian machine, as root), starts the
# cluster listening on 127.0.0.1 if it is down, creates the test role and database if missing,
# and prints the URL on its last line of stdout. Safe to run while it is already running.
# Environment: EXPMAN_PG_PORT (default 5432).
set -euo pipefail
PORT="${EXPMAN_PG_PORT:-5432}"
ROLE=expman_test
PASSWORD=expman_test
DB=expman_test

log() { echo "postgres.sh: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main -p "$PORT" >&2
fi
# Serialised: several test processes may find the server down at the same moment.
exec 9>/tmp/expman-postgres.lock
flock 9
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting cluster $VERSION/main on 127.0.0.1:$PORT"
  pg_ctlcluster "$VERSION" main start -o "-c listen_addresses=127.0.0.1 -c port=$PORT" >&2
fi
for _ in $(seq 1 50); do
  if su postgres -c "psql -p $PORT -Atqc 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
psql_admin() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -Atq $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'\"")" != "1" ]; then
  log "creating role $ROLE"
  psql_admin "-c \"CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"")" != "1" ]; then
  log "creating database $DB"
  psql_admin "-c \"CREATE DATABASE $DB OWNER $ROLE\"" >&2
fi
flock -u 9
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
