#!/usr/bin/env bash
# Starts a local PostgreSQL for the test suite and prints the DATABASE_URL to use:
#
#   eval "$(bash scripts/ci-postgres.sh)"
#
# - installs Debian's `postgresql` package when no server is installed (needs root, as in CI);
# - starts the existing Debian cluster (pg_lsclusters / pg_ctlcluster), or creates one, or,
#   without the Debian wrappers, runs initdb + pg_ctl into $AGENTOS_PG_DATA (a temp dir);
# - creates the role and the database `agentos` (password `agentos`) if they are missing;
# - waits until the server accepts connections.
# Idempotent: running it again against a running server only re-checks the role and database.
# Only the `export DATABASE_URL=...` line goes to stdout; progress goes to stderr.
set -euo pipefail

PG_USER_NAME="${AGENTOS_PG_USER:-agentos}"
PG_PASSWORD="${AGENTOS_PG_PASSWORD:-agentos}"
PG_DB="${AGENTOS_PG_DB:-agentos}"
PG_PORT="${AGENTOS_PG_PORT:-5432}"
PG_HOST=127.0.0.1

log() { printf 'ci-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  SUDO=()
fi

# Runs a command as the `postgres` system user.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "${SUDO[@]}" -u postgres "$@"
  fi
}

find_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

# 1. Install the server if it is missing.
if ! find_pg_bin >/dev/null; then
  log "PostgreSQL server not found; installing Debian's postgresql package"
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server and no apt-get to install one"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" apt-get install -y postgresql >&2
fi
PG_BIN="$(find_pg_bin)" || die "PostgreSQL installed but initdb not found"
PSQL="$(command -v psql || echo "$PG_BIN/psql")"
PG_ISREADY="$(command -v pg_isready || echo "$PG_BIN/pg_isready")"

ready() { "$PG_ISREADY" -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }

wait_ready() {
  local i
  for i in $(seq 1 60); do
    if ready; then return 0; fi
    sleep 0.5
  done
  die "PostgreSQL did not become ready on $PG_HOST:$PG_PORT"
}

# 2. Start a server unless one already answers on the port.
if ready; then
  log "PostgreSQL already running on $PG_HOST:$PG_PORT"
elif command -v pg_ctlcluster >/dev/null 2>&1; then
  # Debian wrappers: start the cluster on our port, creating one if there is none.
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1 " " $2; exit }')"
  if [ -z "$cluster" ]; then
    version="$(basename "$(dirname "$PG_BIN")")"
    log "creating cluster $version/main on port $PG_PORT"
    "${SUDO[@]}" pg_createcluster --port "$PG_PORT" "$version" main >&2
    cluster="$version main"
  fi
  log "starting cluster $cluster"
  # shellcheck disable=SC2086
  "${SUDO[@]}" pg_ctlcluster $cluster start >&2 || ready || die "pg_ctlcluster $cluster start failed"
  wait_ready
else
  # Plain binaries: initdb + pg_ctl into a private data directory, owned by `postgres`.
  PGDATA_DIR="${AGENTOS_PG_DATA:-${TMPDIR:-/tmp}/agentos-pg}"
  if ! id postgres >/dev/null 2>&1; then
    "${SUDO[@]}" useradd --system --home-dir "$PGDATA_DIR" postgres 2>/dev/null || true
  fi
  if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
    log "initdb into $PGDATA_DIR"
    "${SUDO[@]}" mkdir -p "$PGDATA_DIR"
    "${SUDO[@]}" chown postgres "$PGDATA_DIR"
    as_postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 >&2
  fi
  log "starting postgres from $PGDATA_DIR"
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" \
    -o "-p $PG_PORT -c listen_addresses=$PG_HOST -k /tmp" start >&2
  wait_ready
fi

# 3. Role and database (idempotent). Connect over the local socket as the superuser.
# psql_admin DB [psql args...]
psql_admin() {
  local db="$1" sock=/tmp
  shift
  if [ -S "/var/run/postgresql/.s.PGSQL.$PG_PORT" ]; then sock=/var/run/postgresql; fi
  as_postgres "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PG_PORT" -d "$db" "$@"
}

psql_admin postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER_NAME}') THEN
    CREATE ROLE "${PG_USER_NAME}" LOGIN PASSWORD '${PG_PASSWORD}';
  ELSE
    ALTER ROLE "${PG_USER_NAME}" LOGIN PASSWORD '${PG_PASSWORD}';
  END IF;
END
\$\$;
SQL
if [ "$(psql_admin postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != 1 ]; then
  log "creating database $PG_DB"
  psql_admin postgres -c "CREATE DATABASE \"${PG_DB}\" OWNER \"${PG_USER_NAME}\"" >&2
fi
# The tests create and drop their own schemas inside the database.
psql_admin "$PG_DB" -c "GRANT CREATE ON DATABASE \"${PG_DB}\" TO \"${PG_USER_NAME}\"" >&2

URL="postgres://${PG_USER_NAME}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/${PG_DB}"
# Check the password login the tests will use.
PGPASSWORD="$PG_PASSWORD" "$PSQL" -X -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER_NAME" -d "$PG_DB" -c 'SELECT 1' >/dev/null \
  || die "cannot log in as $PG_USER_NAME at $PG_HOST:$PG_PORT"
log "ready: $URL"
printf 'export DATABASE_URL=%s\n' "$URL"
