#!/usr/bin/env bash
# Runs the conformance suite against the real Python AgentOS (agno) on loopback.
# 1. generates an RS256 key pair in a temp dir, 2. starts app.py under uvicorn with a fresh SQLite db,
# 3. waits for /health, 4. runs agentos-conformance with json/junit/html reports into ./run/ and
# expected-failures.json, 5. stops the server. Exit code: the suite's (0 = every failure explained).
# Needs ./setup.sh first. PORT (default 7779) and extra suite flags (after --) can be given:
#   conformance/targets/agno/run.sh -- --only 'SCOPE-*'
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port="${PORT:-7779}"
[ "${1:-}" = "--" ] && shift
if [ ! -x "$here/.venv/bin/uvicorn" ]; then
  echo "run.sh: no venv in $here/.venv; run $here/setup.sh first" >&2
  exit 3
fi
target_init "$here"
(
  cd "$here"
  AGENTOS_PUBLIC_KEY_FILE="$tmp/public.pem" AGENTOS_AUDIENCE=agentos-conformance AGENTOS_DB_FILE="$tmp/agno.db" \
    exec "$here/.venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --log-level warning
) >"$here/run/server.log" 2>&1 &
target_started $! "$port" "the Python AgentOS"
target_suite "$port" --config "$here/conformance.yaml" --expect "$here/expected-failures.json" "$@"
